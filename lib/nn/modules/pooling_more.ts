/**
 * The rest of torch/nn/modules/pooling.py (MaxPool2d, AvgPool2d, AdaptiveAvgPool2d and
 * AdaptiveMaxPool2d are in pooling.ts): 1-d and 3-d max/average pooling, adaptive pooling,
 * power-average (LP) pooling, fractional max pooling and max unpooling. Sizes are kept as
 * given and printed as PyTorch prints them (`kernel_size=3` or `kernel_size=(2, 3)`).
 */
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, checkNumber, rangeError, typeError } from '../../torch/errors';
import { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import { Module } from '../module';
import { ntuple, pyBool, pyTuple } from './utils';

/** An int or a tuple of ints (or nulls, for adaptive output sizes). */
export type Size = number | readonly number[];
type AdaptiveSize = number | readonly (number | null)[];

/** A size as Python prints what was passed: `3`, `(2, 3)`, `None`. */
function pySize(v: AdaptiveSize | null): string {
  if (v === null) return 'None';
  if (typeof v === 'number') return String(v);
  return pyTuple(v.map((x) => (x === null ? 'None' : x)));
}

/** Checks an int or a list of `n` ints (at least `min`), returning it as given. */
function size(v: unknown, n: number, argument: string, min = 0): Size {
  ntuple(v, n, argument, min);
  return v as Size;
}

function adaptiveSize(v: unknown, n: number): AdaptiveSize {
  if (typeof v === 'number') return size(v, n, 'outputSize');
  if (!Array.isArray(v) || v.length !== n) throw typeError(`an integer or ${n} integers or nulls`, 'outputSize', v);
  v.forEach((x) => {
    if (x !== null) size(x, 1, 'outputSize');
  });
  return v as (number | null)[];
}

type MaxPoolOptions = {
  stride?: Size | null;
  padding?: Size;
  dilation?: Size;
  returnIndices?: boolean;
  ceilMode?: boolean;
};
type MaxPoolArgs = WithOptions<
  [stride: Size | null, padding: Size, dilation: Size, returnIndices: boolean, ceilMode: boolean],
  MaxPoolOptions
>;

/** PyTorch's `_MaxPoolNd` for 1-d and 3-d. */
abstract class MaxPoolNd extends Module {
  readonly kernelSize: Size;
  readonly stride: Size;
  readonly padding: Size;
  readonly dilation: Size;
  readonly returnIndices: boolean;
  readonly ceilMode: boolean;
  constructor(n: number, kernelSize: Size, args: readonly unknown[]) {
    super();
    const o = bindArgs<MaxPoolOptions>(
      args,
      ['stride', 'padding', 'dilation', 'returnIndices', 'ceilMode'],
      this.constructor.name,
    );
    this.kernelSize = size(kernelSize, n, 'kernelSize', 1);
    this.stride = o.stride === undefined || o.stride === null ? this.kernelSize : size(o.stride, n, 'stride', 1);
    this.padding = size(o.padding ?? 0, n, 'padding');
    this.dilation = size(o.dilation ?? 1, n, 'dilation', 1);
    this.returnIndices = checkBool(o.returnIndices ?? false, 'returnIndices');
    this.ceilMode = checkBool(o.ceilMode ?? false, 'ceilMode');
  }
  override extraRepr(): string {
    return `kernel_size=${pySize(this.kernelSize)}, stride=${pySize(this.stride)}, padding=${pySize(this.padding)}, dilation=${pySize(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

/** 1-d max pooling over (N, C, L) or (C, L); with `returnIndices`, [output, indices]. */
export class MaxPool1d extends MaxPoolNd {
  constructor(kernelSize: Size, ...args: MaxPoolArgs) {
    super(1, kernelSize, args);
  }
  forward(input: Tensor): Tensor | [Tensor, Tensor] {
    return F.maxPool1d(
      input,
      this.kernelSize,
      this.stride,
      this.padding,
      this.dilation,
      this.ceilMode,
      this.returnIndices,
    );
  }
}

/** 3-d max pooling over (N, C, D, H, W) or (C, D, H, W); with `returnIndices`, [output, indices]. */
export class MaxPool3d extends MaxPoolNd {
  constructor(kernelSize: Size, ...args: MaxPoolArgs) {
    super(3, kernelSize, args);
  }
  forward(input: Tensor): Tensor | [Tensor, Tensor] {
    return F.maxPool3d(
      input,
      this.kernelSize,
      this.stride,
      this.padding,
      this.dilation,
      this.ceilMode,
      this.returnIndices,
    );
  }
}

type AvgPoolOptions = {
  stride?: Size | null;
  padding?: Size;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
};

/** 1-d average pooling (PyTorch keeps its sizes as 1-tuples: `kernel_size=(3,)`). */
export class AvgPool1d extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  constructor(
    kernelSize: Size,
    ...args: WithOptions<
      [stride: Size | null, padding: Size, ceilMode: boolean, countIncludePad: boolean],
      Omit<AvgPoolOptions, 'divisorOverride'>
    >
  ) {
    super();
    const o = bindArgs<AvgPoolOptions>(args, ['stride', 'padding', 'ceilMode', 'countIncludePad'], 'AvgPool1d');
    this.kernelSize = ntuple(kernelSize, 1, 'kernelSize', 1);
    this.stride = o.stride === undefined || o.stride === null ? this.kernelSize : ntuple(o.stride, 1, 'stride', 1);
    this.padding = ntuple(o.padding ?? 0, 1, 'padding', 0);
    this.ceilMode = checkBool(o.ceilMode ?? false, 'ceilMode');
    this.countIncludePad = checkBool(o.countIncludePad ?? true, 'countIncludePad');
  }
  forward(input: Tensor): Tensor {
    return F.avgPool1d(input, this.kernelSize, this.stride, this.padding, this.ceilMode, this.countIncludePad);
  }
  override extraRepr(): string {
    return `kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}, padding=${pyTuple(this.padding)}`;
  }
}

/** 3-d average pooling. */
export class AvgPool3d extends Module {
  readonly kernelSize: Size;
  readonly stride: Size;
  readonly padding: Size;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  constructor(
    kernelSize: Size,
    ...args: WithOptions<
      [stride: Size | null, padding: Size, ceilMode: boolean, countIncludePad: boolean, divisorOverride: number | null],
      AvgPoolOptions
    >
  ) {
    super();
    const o = bindArgs<AvgPoolOptions>(
      args,
      ['stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride'],
      'AvgPool3d',
    );
    this.kernelSize = size(kernelSize, 3, 'kernelSize', 1);
    this.stride = o.stride === undefined || o.stride === null ? this.kernelSize : size(o.stride, 3, 'stride', 1);
    this.padding = size(o.padding ?? 0, 3, 'padding');
    this.ceilMode = checkBool(o.ceilMode ?? false, 'ceilMode');
    this.countIncludePad = checkBool(o.countIncludePad ?? true, 'countIncludePad');
    this.divisorOverride =
      o.divisorOverride === undefined || o.divisorOverride === null
        ? null
        : (size(o.divisorOverride, 1, 'divisorOverride', 1) as number);
  }
  forward(input: Tensor): Tensor {
    return F.avgPool3d(
      input,
      this.kernelSize,
      this.stride,
      this.padding,
      this.ceilMode,
      this.countIncludePad,
      this.divisorOverride,
    );
  }
  override extraRepr(): string {
    return `kernel_size=${pySize(this.kernelSize)}, stride=${pySize(this.stride)}, padding=${pySize(this.padding)}`;
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

type LPPoolArgs = WithOptions<[stride: Size | null, ceilMode: boolean], { stride?: Size | null; ceilMode?: boolean }>;

/** PyTorch's `_LPPoolNd`: `(sum of x^p over each window)^(1/p)`. */
abstract class LPPoolNd extends Module {
  readonly normType: number;
  readonly kernelSize: Size;
  readonly stride: Size | null;
  readonly ceilMode: boolean;
  constructor(n: number, normType: number, kernelSize: Size, args: readonly unknown[]) {
    super();
    const o = bindArgs<{ stride: Size | null; ceilMode: boolean }>(args, ['stride', 'ceilMode'], this.constructor.name);
    this.normType = checkNumber(normType, 'normType');
    this.kernelSize = size(kernelSize, n, 'kernelSize', 1);
    this.stride = o.stride === undefined || o.stride === null ? null : size(o.stride, n, 'stride', 1);
    this.ceilMode = checkBool(o.ceilMode ?? false, 'ceilMode');
  }
  override extraRepr(): string {
    return `norm_type=${this.normType}, kernel_size=${pySize(this.kernelSize)}, stride=${pySize(this.stride)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

/** 1-d power-average pooling. */
export class LPPool1d extends LPPoolNd {
  constructor(normType: number, kernelSize: Size, ...args: LPPoolArgs) {
    super(1, normType, kernelSize, args);
  }
  forward(input: Tensor): Tensor {
    return F.lpPool1d(input, this.normType, this.kernelSize, this.stride, this.ceilMode);
  }
}
/** 2-d power-average pooling. */
export class LPPool2d extends LPPoolNd {
  constructor(normType: number, kernelSize: Size, ...args: LPPoolArgs) {
    super(2, normType, kernelSize, args);
  }
  forward(input: Tensor): Tensor {
    return F.lpPool2d(input, this.normType, this.kernelSize, this.stride, this.ceilMode);
  }
}
/** 3-d power-average pooling. */
export class LPPool3d extends LPPoolNd {
  constructor(normType: number, kernelSize: Size, ...args: LPPoolArgs) {
    super(3, normType, kernelSize, args);
  }
  forward(input: Tensor): Tensor {
    return F.lpPool3d(input, this.normType, this.kernelSize, this.stride, this.ceilMode);
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

type UnpoolArgs = WithOptions<[stride: Size | null, padding: Size], { stride?: Size | null; padding?: Size }>;

/** PyTorch's `_MaxUnpoolNd`: the inverse of max pooling given its indices. */
abstract class MaxUnpoolNd extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  constructor(n: number, kernelSize: Size, args: readonly unknown[]) {
    super();
    const o = bindArgs<{ stride: Size | null; padding: Size }>(args, ['stride', 'padding'], this.constructor.name);
    this.kernelSize = ntuple(kernelSize, n, 'kernelSize', 1);
    this.stride = o.stride === undefined || o.stride === null ? this.kernelSize : ntuple(o.stride, n, 'stride', 1);
    this.padding = ntuple(o.padding ?? 0, n, 'padding', 0);
  }
  override extraRepr(): string {
    return `kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}, padding=${pyTuple(this.padding)}`;
  }
}

/** Inverse of MaxPool1d. */
export class MaxUnpool1d extends MaxUnpoolNd {
  constructor(kernelSize: Size, ...args: UnpoolArgs) {
    super(1, kernelSize, args);
  }
  forward(input: Tensor, indices: Tensor, outputSize: readonly number[] | null = null): Tensor {
    return F.maxUnpool1d(input, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }
}
/** Inverse of MaxPool2d. */
export class MaxUnpool2d extends MaxUnpoolNd {
  constructor(kernelSize: Size, ...args: UnpoolArgs) {
    super(2, kernelSize, args);
  }
  forward(input: Tensor, indices: Tensor, outputSize: readonly number[] | null = null): Tensor {
    return F.maxUnpool2d(input, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }
}
/** Inverse of MaxPool3d. */
export class MaxUnpool3d extends MaxUnpoolNd {
  constructor(kernelSize: Size, ...args: UnpoolArgs) {
    super(3, kernelSize, args);
  }
  forward(input: Tensor, indices: Tensor, outputSize: readonly number[] | null = null): Tensor {
    return F.maxUnpool3d(input, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }
}
