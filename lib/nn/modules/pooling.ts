/**
 * torch/nn/modules/pooling.py's fixed-window pooling: max, average and power-average (LP)
 * pooling in 1-3 d, and max unpooling (adaptive and fractional pooling, which choose windows
 * from an output size, are in adaptive_pooling.ts). Sizes are kept as given and printed as
 * PyTorch prints them (`kernel_size=3` or `kernel_size=(2, 3)`).
 */
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, checkInt, checkNumber, optionKeys, rangeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import { Module } from '../module';
import { checkSize, ntuple, pyBool, pySize, pyTuple, type Size } from './utils';

export interface MaxPool2dOptions {
  /** Defaults to kernelSize. */
  stride?: F.Size2 | null;
  padding?: F.Size2;
  dilation?: F.Size2;
  /** Must be false: MaxPool2d returns the values only (use F.maxPool2d for the indices). */
  returnIndices?: false;
  ceilMode?: boolean;
}

const MAXPOOL_KEYS = optionKeys<MaxPool2dOptions>({
  stride: 1,
  padding: 1,
  dilation: 1,
  returnIndices: 1,
  ceilMode: 1,
});

/**
 * 2-d max pooling; PyTorch's optional arguments may be positional, in its order (stride,
 * padding, dilation, returnIndices, ceilMode): `new nn.MaxPool2d(2, 2)`, `new nn.MaxPool2d(3, { stride: 2, padding: 1 })`.
 */
export class MaxPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly ceilMode: boolean;
  constructor(
    kernelSize: F.Size2,
    ...args: WithOptions<
      [stride: F.Size2 | null, padding: F.Size2, dilation: F.Size2, returnIndices: false, ceilMode: boolean],
      MaxPool2dOptions
    >
  ) {
    super();
    const o = bindArgs<MaxPool2dOptions>(args, MAXPOOL_KEYS, 'MaxPool2d');
    if (o.returnIndices !== undefined && checkBool(o.returnIndices, 'returnIndices'))
      throw rangeError('false (MaxPool2d returns the values only; F.maxPool2d returns indices)', 'returnIndices', true);
    this.kernelSize = F.pair(kernelSize, 'kernelSize', 1);
    this.stride = o.stride === undefined || o.stride === null ? this.kernelSize : F.pair(o.stride, 'stride', 1);
    this.padding = F.pair(o.padding ?? 0, 'padding', 0);
    this.dilation = F.pair(o.dilation ?? 1, 'dilation', 1);
    this.ceilMode = checkBool(o.ceilMode ?? false, 'ceilMode');
    this.given = [kernelSize, o.stride ?? kernelSize, o.padding ?? 0, o.dilation ?? 1];
  }
  /** The sizes as passed, which PyTorch keeps and prints (`kernel_size=3`, `kernel_size=(3, 3)`). */
  private readonly given: F.Size2[];
  forward(input: Tensor): Tensor {
    return F.maxPool2d(input, this.kernelSize, this.stride, this.padding, this.dilation, this.ceilMode);
  }
  override extraRepr(): string {
    const [k, st, p, d] = this.given.map(pySize);
    return `kernel_size=${k}, stride=${st}, padding=${p}, dilation=${d}, ceil_mode=${this.ceilMode ? 'True' : 'False'}`;
  }
}

export interface AvgPool2dOptions {
  stride?: F.Size2 | null;
  padding?: F.Size2;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

const AVGPOOL_KEYS = optionKeys<AvgPool2dOptions>({
  stride: 1,
  padding: 1,
  ceilMode: 1,
  countIncludePad: 1,
  divisorOverride: 1,
});

/**
 * 2-d average pooling; optional arguments positional in PyTorch's order (stride, padding,
 * ceilMode, countIncludePad, divisorOverride) or named: `new nn.AvgPool2d(2, 2)`, `new nn.AvgPool2d(2, { stride: 2 })`.
 */
export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  constructor(
    kernelSize: F.Size2,
    ...args: WithOptions<
      [
        stride: F.Size2 | null,
        padding: F.Size2,
        ceilMode: boolean,
        countIncludePad: boolean,
        divisorOverride: number | null,
      ],
      AvgPool2dOptions
    >
  ) {
    super();
    const o = bindArgs<AvgPool2dOptions>(args, AVGPOOL_KEYS, 'AvgPool2d');
    this.kernelSize = F.pair(kernelSize, 'kernelSize', 1);
    this.stride = o.stride === undefined || o.stride === null ? this.kernelSize : F.pair(o.stride, 'stride', 1);
    this.padding = F.pair(o.padding ?? 0, 'padding', 0);
    this.ceilMode = checkBool(o.ceilMode ?? false, 'ceilMode');
    this.countIncludePad = checkBool(o.countIncludePad ?? true, 'countIncludePad');
    this.given = [kernelSize, o.stride ?? kernelSize, o.padding ?? 0];
    this.divisorOverride =
      o.divisorOverride === undefined || o.divisorOverride === null
        ? null
        : checkInt(o.divisorOverride, 'divisorOverride', 1);
  }
  forward(input: Tensor): Tensor {
    return F.avgPool2d(
      input,
      this.kernelSize,
      this.stride,
      this.padding,
      this.ceilMode,
      this.countIncludePad,
      this.divisorOverride,
    );
  }
  /** The sizes as passed, which PyTorch keeps and prints. */
  private readonly given: F.Size2[];
  override extraRepr(): string {
    const [k, st, p] = this.given.map(pySize);
    return `kernel_size=${k}, stride=${st}, padding=${p}`;
  }
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
    this.kernelSize = checkSize(kernelSize, n, 'kernelSize', 1);
    this.stride = o.stride === undefined || o.stride === null ? this.kernelSize : checkSize(o.stride, n, 'stride', 1);
    this.padding = checkSize(o.padding ?? 0, n, 'padding');
    this.dilation = checkSize(o.dilation ?? 1, n, 'dilation', 1);
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
    this.kernelSize = checkSize(kernelSize, 3, 'kernelSize', 1);
    this.stride = o.stride === undefined || o.stride === null ? this.kernelSize : checkSize(o.stride, 3, 'stride', 1);
    this.padding = checkSize(o.padding ?? 0, 3, 'padding');
    this.ceilMode = checkBool(o.ceilMode ?? false, 'ceilMode');
    this.countIncludePad = checkBool(o.countIncludePad ?? true, 'countIncludePad');
    this.divisorOverride =
      o.divisorOverride === undefined || o.divisorOverride === null
        ? null
        : (checkSize(o.divisorOverride, 1, 'divisorOverride', 1) as number);
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
    this.kernelSize = checkSize(kernelSize, n, 'kernelSize', 1);
    this.stride = o.stride === undefined || o.stride === null ? null : checkSize(o.stride, n, 'stride', 1);
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
