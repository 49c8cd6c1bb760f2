/** torch/nn/modules/upsampling.py: Upsample, UpsamplingNearest2d, UpsamplingBilinear2d. */
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, checkNumber, rangeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import { Module, pyFloat } from '../module';
import { ntuple, pyTuple } from './utils';

type Size = number | readonly number[];
type Scale = number | readonly number[];
export type UpsampleMode = 'nearest' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area' | 'nearest-exact';
const MODES: readonly string[] = ['nearest', 'linear', 'bilinear', 'bicubic', 'trilinear', 'area', 'nearest-exact'];

export interface UpsampleOptions {
  size?: Size | null;
  scaleFactor?: Scale | null;
  mode?: UpsampleMode;
  alignCorners?: boolean | null;
  recomputeScaleFactor?: boolean | null;
}
const POSITIONAL = ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor'] as const;

/** Resizes to `size` or by `scaleFactor` with F.interpolate: `new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' })`. */
export class Upsample extends Module {
  readonly size: Size | null;
  readonly scaleFactor: Scale | null;
  readonly mode: UpsampleMode;
  readonly alignCorners: boolean | null;
  readonly recomputeScaleFactor: boolean | null;
  constructor(
    ...args: WithOptions<
      [
        size: Size | null,
        scaleFactor: Scale | null,
        mode: UpsampleMode,
        alignCorners: boolean | null,
        recomputeScaleFactor: boolean | null,
      ],
      UpsampleOptions
    >
  ) {
    super();
    const o = bindArgs<UpsampleOptions>(args, POSITIONAL, this.constructor.name);
    this.size = o.size ?? null;
    if (this.size !== null) ntuple(this.size, typeof this.size === 'number' ? 1 : this.size.length, 'size', 0);
    const s = o.scaleFactor ?? null;
    // PyTorch: `float(scale_factor) if scale_factor else None`.
    this.scaleFactor =
      s === null || s === 0
        ? null
        : typeof s === 'number'
          ? checkNumber(s, 'scaleFactor')
          : s.map((x) => checkNumber(x, 'scaleFactor'));
    const mode = o.mode ?? 'nearest';
    if (!MODES.includes(mode)) throw rangeError(MODES.map((m) => `'${m}'`).join(', '), 'mode', mode);
    this.mode = mode;
    this.alignCorners =
      o.alignCorners === undefined || o.alignCorners === null ? null : checkBool(o.alignCorners, 'alignCorners');
    this.recomputeScaleFactor =
      o.recomputeScaleFactor === undefined || o.recomputeScaleFactor === null
        ? null
        : checkBool(o.recomputeScaleFactor, 'recomputeScaleFactor');
  }
  forward(input: Tensor): Tensor {
    return F.interpolate(input, this.size, this.scaleFactor, this.mode, this.alignCorners, this.recomputeScaleFactor);
  }
  override extraRepr(): string {
    let info: string;
    if (this.scaleFactor !== null)
      info = `scale_factor=${typeof this.scaleFactor === 'number' ? pyFloat(this.scaleFactor) : pyTuple(this.scaleFactor.map((x) => pyFloat(x)))}`;
    else info = `size=${this.size === null ? 'None' : typeof this.size === 'number' ? this.size : pyTuple(this.size)}`;
    return `${info}, mode='${this.mode}'`;
  }
}

type Upsample2dArgs = WithOptions<
  [size: Size | null, scaleFactor: Scale | null],
  { size?: Size | null; scaleFactor?: Scale | null }
>;

/** Nearest-neighbour 2-d upsampling (PyTorch's deprecated alias of Upsample(mode='nearest')). */
export class UpsamplingNearest2d extends Upsample {
  constructor(...args: Upsample2dArgs) {
    const o = bindArgs<{ size: Size | null; scaleFactor: Scale | null }>(
      args,
      ['size', 'scaleFactor'],
      'UpsamplingNearest2d',
    );
    super(o.size ?? null, o.scaleFactor ?? null, 'nearest');
  }
}

/** Bilinear 2-d upsampling with aligned corners (PyTorch's deprecated alias). */
export class UpsamplingBilinear2d extends Upsample {
  constructor(...args: Upsample2dArgs) {
    const o = bindArgs<{ size: Size | null; scaleFactor: Scale | null }>(
      args,
      ['size', 'scaleFactor'],
      'UpsamplingBilinear2d',
    );
    super(o.size ?? null, o.scaleFactor ?? null, 'bilinear', true);
  }
}
