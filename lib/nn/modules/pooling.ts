import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, checkInt, optionKeys, rangeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import { Module } from '../module';

/** A pair as PyTorch prints a size given as an int (`3`) or a pair (`(3, 2)`): one number when both are equal. */
function sizeRepr([a, b]: readonly [number, number]): string {
  return a === b ? `${a}` : `(${a}, ${b})`;
}

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
  }
  forward(input: Tensor): Tensor {
    return F.maxPool2d(input, this.kernelSize, this.stride, this.padding, this.dilation, this.ceilMode);
  }
  override extraRepr(): string {
    return `kernel_size=${sizeRepr(this.kernelSize)}, stride=${sizeRepr(this.stride)}, padding=${sizeRepr(this.padding)}, dilation=${sizeRepr(this.dilation)}, ceil_mode=${this.ceilMode ? 'True' : 'False'}`;
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
  override extraRepr(): string {
    return `kernel_size=${sizeRepr(this.kernelSize)}, stride=${sizeRepr(this.stride)}, padding=${sizeRepr(this.padding)}`;
  }
}

export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: [number, number];
  /** An int as given prints as one (`output_size=1`), a pair as a pair (`output_size=(1, 1)`), as in PyTorch. */
  private readonly givenInt: boolean;
  constructor(outputSize: F.Size2) {
    super();
    this.outputSize = F.pair(outputSize, 'outputSize', 1);
    this.givenInt = typeof outputSize === 'number';
  }
  forward(input: Tensor): Tensor {
    return F.adaptiveAvgPool2d(input, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${this.givenInt ? this.outputSize[0] : `(${this.outputSize.join(', ')})`}`;
  }
}

export class AdaptiveMaxPool2d extends Module {
  readonly outputSize: [number, number];
  /** An int as given prints as one (`output_size=1`), a pair as a pair (`output_size=(1, 1)`), as in PyTorch. */
  private readonly givenInt: boolean;
  constructor(outputSize: F.Size2) {
    super();
    this.outputSize = F.pair(outputSize, 'outputSize', 1);
    this.givenInt = typeof outputSize === 'number';
  }
  forward(input: Tensor): Tensor {
    return F.adaptiveMaxPool2d(input, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${this.givenInt ? this.outputSize[0] : `(${this.outputSize.join(', ')})`}`;
  }
}
