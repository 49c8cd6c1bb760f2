/**
 * torch/nn/modules/pooling.py's pooling to an output size: adaptive average and max pooling
 * in 1-3 d, and fractional max pooling (random windows with an output size or ratio).
 */
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, checkNumber, rangeError, typeError } from '../../torch/errors';
import { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import { Module } from '../module';
import { type AdaptiveSize, checkSize, ntuple, pySize, type Size } from './utils';

function adaptiveSize(v: unknown, n: number): AdaptiveSize {
  if (typeof v === 'number') return checkSize(v, n, 'outputSize');
  if (!Array.isArray(v) || v.length !== n) throw typeError(`an integer or ${n} integers or nulls`, 'outputSize', v);
  v.forEach((x) => {
    if (x !== null) checkSize(x, 1, 'outputSize');
  });
  return v as (number | null)[];
}

/** PyTorch's `_AdaptiveAvgPoolNd`/`_AdaptiveMaxPoolNd` for 2-d: the output size, printed as given. */
abstract class AdaptivePool2d extends Module {
  readonly outputSize: [number, number];
  /** As passed, which PyTorch keeps and prints (`output_size=1`, `output_size=(1, 1)`). */
  private readonly given: F.Size2;
  constructor(outputSize: F.Size2) {
    super();
    this.outputSize = F.pair(outputSize, 'outputSize', 1);
    this.given = outputSize;
  }
  override extraRepr(): string {
    return `output_size=${pySize(this.given)}`;
  }
}

/** 2-d adaptive average pooling to `outputSize`. */
export class AdaptiveAvgPool2d extends AdaptivePool2d {
  forward(input: Tensor): Tensor {
    return F.adaptiveAvgPool2d(input, this.outputSize);
  }
}

/** 2-d adaptive max pooling to `outputSize`. */
export class AdaptiveMaxPool2d extends AdaptivePool2d {
  forward(input: Tensor): Tensor {
    return F.adaptiveMaxPool2d(input, this.outputSize);
  }
}

/** 1-d adaptive average pooling to `outputSize`. */
export class AdaptiveAvgPool1d extends Module {
  readonly outputSize: AdaptiveSize;
  constructor(outputSize: number | readonly [number]) {
    super();
    this.outputSize = adaptiveSize(outputSize, 1);
  }
  forward(input: Tensor): Tensor {
    return F.adaptiveAvgPool1d(input, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${pySize(this.outputSize)}`;
  }
}

/** 3-d adaptive average pooling to `outputSize` (null keeps that dimension). */
export class AdaptiveAvgPool3d extends Module {
  readonly outputSize: AdaptiveSize;
  constructor(outputSize: AdaptiveSize) {
    super();
    this.outputSize = adaptiveSize(outputSize, 3);
  }
  forward(input: Tensor): Tensor {
    return F.adaptiveAvgPool3d(input, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${pySize(this.outputSize)}`;
  }
}

type ReturnIndicesArgs = WithOptions<[returnIndices: boolean], { returnIndices?: boolean }>;

/** 1-d adaptive max pooling; with `returnIndices`, [output, indices]. */
export class AdaptiveMaxPool1d extends Module {
  readonly outputSize: AdaptiveSize;
  readonly returnIndices: boolean;
  constructor(outputSize: number | readonly [number], ...args: ReturnIndicesArgs) {
    super();
    this.outputSize = adaptiveSize(outputSize, 1);
    const o = bindArgs<{ returnIndices: boolean }>(args, ['returnIndices'], 'AdaptiveMaxPool1d');
    this.returnIndices = checkBool(o.returnIndices ?? false, 'returnIndices');
  }
  forward(input: Tensor): Tensor | [Tensor, Tensor] {
    return this.returnIndices
      ? F.adaptiveMaxPool1d(input, this.outputSize, true)
      : F.adaptiveMaxPool1d(input, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${pySize(this.outputSize)}`;
  }
}

/** 3-d adaptive max pooling; with `returnIndices`, [output, indices]. */
export class AdaptiveMaxPool3d extends Module {
  readonly outputSize: AdaptiveSize;
  readonly returnIndices: boolean;
  constructor(outputSize: AdaptiveSize, ...args: ReturnIndicesArgs) {
    super();
    this.outputSize = adaptiveSize(outputSize, 3);
    const o = bindArgs<{ returnIndices: boolean }>(args, ['returnIndices'], 'AdaptiveMaxPool3d');
    this.returnIndices = checkBool(o.returnIndices ?? false, 'returnIndices');
  }
  forward(input: Tensor): Tensor | [Tensor, Tensor] {
    return this.returnIndices
      ? F.adaptiveMaxPool3d(input, this.outputSize, true)
      : F.adaptiveMaxPool3d(input, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${pySize(this.outputSize)}`;
  }
}

type FractionalOptions = {
  outputSize?: Size | null;
  outputRatio?: number | readonly number[] | null;
  returnIndices?: boolean;
  /** Fixed window offsets (PyTorch's `_random_samples` buffer); random on each call when null. */
  randomSamples?: Tensor | null;
};

/** PyTorch's FractionalMaxPool2d/3d: random windows with an output size or ratio. */
abstract class FractionalMaxPoolNd extends Module {
  declare _random_samples: Tensor | null;
  readonly kernelSize: number[];
  readonly returnIndices: boolean;
  readonly outputSize: number[] | null;
  readonly outputRatio: number[] | null;
  constructor(n: number, kernelSize: Size, args: readonly unknown[]) {
    super();
    const o = bindArgs<FractionalOptions>(
      args,
      ['outputSize', 'outputRatio', 'returnIndices', 'randomSamples'],
      this.constructor.name,
    );
    this.kernelSize = ntuple(kernelSize, n, 'kernelSize', 1);
    this.returnIndices = checkBool(o.returnIndices ?? false, 'returnIndices');
    const samples = o.randomSamples ?? null;
    if (samples !== null && !(samples instanceof Tensor)) throw typeError('a Tensor or null', 'randomSamples', samples);
    this.registerBuffer('_random_samples', samples);
    this.outputSize =
      o.outputSize === undefined || o.outputSize === null ? null : ntuple(o.outputSize, n, 'outputSize', 1);
    const r = o.outputRatio ?? null;
    this.outputRatio =
      r === null
        ? null
        : typeof r === 'number'
          ? new Array<number>(n).fill(r)
          : r.map((x) => checkNumber(x, 'outputRatio'));
    if (this.outputSize === null && this.outputRatio === null)
      throw new TypeError(`${this.constructor.name} requires specifying either an output size, or a pooling ratio`);
    if (this.outputSize !== null && this.outputRatio !== null)
      throw new TypeError('only one of outputSize and outputRatio may be specified');
    if (this.outputRatio !== null && (this.outputRatio.length !== n || !this.outputRatio.every((x) => x > 0 && x < 1)))
      throw rangeError(`${n} ratios between 0 and 1`, 'outputRatio', r);
  }
  protected options(): FractionalOptions & { returnIndices: boolean } {
    return {
      outputSize: this.outputSize,
      outputRatio: this.outputRatio,
      returnIndices: this.returnIndices,
      randomSamples: this._random_samples,
    } as FractionalOptions & { returnIndices: boolean };
  }
}

type FractionalArgs = WithOptions<
  [outputSize: Size | null, outputRatio: number | readonly number[] | null, returnIndices: boolean],
  FractionalOptions
>;

/** 2-d fractional max pooling. */
export class FractionalMaxPool2d extends FractionalMaxPoolNd {
  constructor(kernelSize: Size, ...args: FractionalArgs) {
    super(2, kernelSize, args);
  }
  forward(input: Tensor): Tensor | [Tensor, Tensor] {
    return F.fractionalMaxPool2d(input, this.kernelSize, this.options() as never);
  }
}
/** 3-d fractional max pooling. */
export class FractionalMaxPool3d extends FractionalMaxPoolNd {
  constructor(kernelSize: Size, ...args: FractionalArgs) {
    super(3, kernelSize, args);
  }
  forward(input: Tensor): Tensor | [Tensor, Tensor] {
    return F.fractionalMaxPool3d(input, this.kernelSize, this.options() as never);
  }
}
