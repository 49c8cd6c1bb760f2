/**
 * torch/nn/modules/conv.py: Conv1d/2d/3d and ConvTranspose1d/2d/3d, ported from PyTorch's
 * `_ConvNd` / `_ConvTransposeNd`: the same positional order, weight layout,
 * `reset_parameters`, padding modes and repr.
 */
import * as F from '../functional';
import * as init from '../init';
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, checkInt, rangeError, typeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import { Module } from '../module';
import type { Parameter } from '../parameter';
import { emptyParameter, type FactoryOptions } from './factory';
import { ntuple, pyTuple } from './utils';

export interface Conv2dOptions extends FactoryOptions {
  stride?: F.Size2;
  /** An int, a pair, 'same' or 'valid'. */
  padding?: F.Size2 | 'same' | 'valid';
  dilation?: F.Size2;
  groups?: number;
  bias?: boolean;
  paddingMode?: 'zeros';
}

const CONV2D_POSITIONAL = ['stride', 'padding', 'dilation', 'groups', 'bias', 'paddingMode'] as const;
const CONV2D_KEYS = [...CONV2D_POSITIONAL, 'device', 'dtype'] as const;

/**
 * 2-d convolution over [N, C, H, W] inputs. PyTorch's optional arguments may be positional, in
 * its order (stride, padding, dilation, groups, bias, paddingMode), or named:
 * `new nn.Conv2d(1, 32, 3, 1)`, `new nn.Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false })`.
 */
export class Conv2d extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | 'same' | 'valid';
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: F.Size2,
    ...args: WithOptions<
      [
        stride: F.Size2,
        padding: F.Size2 | 'same' | 'valid',
        dilation: F.Size2,
        groups: number,
        bias: boolean,
        paddingMode: 'zeros',
      ],
      Conv2dOptions
    >
  ) {
    super();
    const o = bindArgs<Conv2dOptions>(args, CONV2D_POSITIONAL, 'Conv2d', CONV2D_KEYS);
    this.inChannels = checkInt(inChannels, 'inChannels', 1);
    this.outChannels = checkInt(outChannels, 'outChannels', 1);
    this.kernelSize = F.pair(kernelSize, 'kernelSize', 1);
    this.stride = F.pair(o.stride ?? 1, 'stride', 1);
    this.padding = o.padding === 'same' || o.padding === 'valid' ? o.padding : F.pair(o.padding ?? 0, 'padding', 0);
    this.dilation = F.pair(o.dilation ?? 1, 'dilation', 1);
    this.groups = checkInt(o.groups ?? 1, 'groups', 1);
    if (o.paddingMode !== undefined && o.paddingMode !== 'zeros')
      throw rangeError("'zeros'", 'paddingMode', o.paddingMode);
    if (inChannels % this.groups !== 0)
      throw rangeError(`inChannels divisible by groups (${this.groups})`, 'inChannels', inChannels);
    if (outChannels % this.groups !== 0)
      throw rangeError(`outChannels divisible by groups (${this.groups})`, 'outChannels', outChannels);
    if (this.padding === 'same' && this.stride.some((s) => s !== 1))
      throw rangeError("stride 1 with padding 'same'", 'stride', o.stride);
    this.weight = emptyParameter([outChannels, inChannels / this.groups, ...this.kernelSize], o);
    this.bias = checkBool(o.bias ?? true, 'bias') ? emptyParameter([outChannels], o) : null;
    this.resetParameters();
  }

  /** PyTorch's default: kaiming_uniform_(a=sqrt(5)) weights, uniform(±1/sqrt(fan_in)) bias. */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = init.calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      init.uniform_(this.bias, -bound, bound);
    }
  }

  forward(input: Tensor): Tensor {
    return F.conv2d(input, this.weight, this.bias, this.stride, this.padding, this.dilation, this.groups);
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize.join(', ')}), stride=(${this.stride.join(', ')})`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=(${this.padding.join(', ')})`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=(${this.dilation.join(', ')})`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    return s;
  }
}

type Size = number | readonly number[];
export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';
const PADDING_MODES: readonly string[] = ['zeros', 'reflect', 'replicate', 'circular'];

export interface ConvOptions extends FactoryOptions {
  stride?: Size;
  /** Ints, or 'same' / 'valid'. */
  padding?: Size | 'same' | 'valid';
  dilation?: Size;
  groups?: number;
  bias?: boolean;
  paddingMode?: PaddingMode;
}
export interface ConvTransposeOptions extends FactoryOptions {
  stride?: Size;
  padding?: Size;
  outputPadding?: Size;
  groups?: number;
  bias?: boolean;
  dilation?: Size;
  paddingMode?: 'zeros';
}

const CONV_POSITIONAL = ['stride', 'padding', 'dilation', 'groups', 'bias', 'paddingMode'] as const;
const TRANSPOSE_POSITIONAL = [
  'stride',
  'padding',
  'outputPadding',
  'groups',
  'bias',
  'dilation',
  'paddingMode',
] as const;

type ConvArgs = WithOptions<
  [
    stride: Size,
    padding: Size | 'same' | 'valid',
    dilation: Size,
    groups: number,
    bias: boolean,
    paddingMode: PaddingMode,
  ],
  ConvOptions
>;
type ConvTransposeArgs = WithOptions<
  [
    stride: Size,
    padding: Size,
    outputPadding: Size,
    groups: number,
    bias: boolean,
    dilation: Size,
    paddingMode: 'zeros',
  ],
  ConvTransposeOptions
>;

/** PyTorch's `_ConvNd`: shared state, initialisation and repr of the convolutions. */
abstract class ConvNd extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly transposed: boolean;
  readonly outputPadding: number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
  /** F.pad's argument for a padding mode other than 'zeros' (PyTorch's `_reversed_padding_repeated_twice`). */
  protected readonly reversedPaddingRepeatedTwice: number[];

  constructor(
    n: number,
    transposed: boolean,
    inChannels: number,
    outChannels: number,
    kernelSize: Size,
    o: ConvOptions & { outputPadding?: Size },
  ) {
    super();
    this.inChannels = checkInt(inChannels, 'inChannels', 1);
    this.outChannels = checkInt(outChannels, 'outChannels', 1);
    this.kernelSize = ntuple(kernelSize, n, 'kernelSize', 1);
    this.stride = ntuple(o.stride ?? 1, n, 'stride', 1);
    const padding = o.padding ?? 0;
    this.padding = padding === 'same' || padding === 'valid' ? padding : ntuple(padding, n, 'padding', 0);
    this.dilation = ntuple(o.dilation ?? 1, n, 'dilation', 1);
    this.transposed = transposed;
    this.outputPadding = ntuple(o.outputPadding ?? 0, n, 'outputPadding', 0);
    this.groups = checkInt(o.groups ?? 1, 'groups', 1);
    const mode = o.paddingMode ?? 'zeros';
    if (!PADDING_MODES.includes(mode))
      throw rangeError("'zeros', 'reflect', 'replicate' or 'circular'", 'paddingMode', mode);
    this.paddingMode = mode;
    if (inChannels % this.groups !== 0)
      throw rangeError(`inChannels divisible by groups (${this.groups})`, 'inChannels', inChannels);
    if (outChannels % this.groups !== 0)
      throw rangeError(`outChannels divisible by groups (${this.groups})`, 'outChannels', outChannels);
    if (typeof padding === 'string' && padding !== 'same' && padding !== 'valid')
      throw typeError("ints, 'same' or 'valid'", 'padding', padding);
    if (this.padding === 'same' && this.stride.some((s) => s !== 1))
      throw rangeError("stride 1 with padding 'same'", 'stride', o.stride);
    if (this.padding === 'same') {
      this.reversedPaddingRepeatedTwice = [];
      for (let i = n - 1; i >= 0; i--) {
        const total = this.dilation[i] * (this.kernelSize[i] - 1);
        const left = Math.floor(total / 2);
        this.reversedPaddingRepeatedTwice.push(left, total - left);
      }
    } else if (this.padding === 'valid') {
      this.reversedPaddingRepeatedTwice = new Array<number>(2 * n).fill(0);
    } else {
      this.reversedPaddingRepeatedTwice = [...this.padding].reverse().flatMap((p) => [p, p]);
    }
    const shape = transposed
      ? [inChannels, outChannels / this.groups, ...this.kernelSize]
      : [outChannels, inChannels / this.groups, ...this.kernelSize];
    this.weight = emptyParameter(shape, o);
    this.bias = checkBool(o.bias ?? true, 'bias') ? emptyParameter([outChannels], o) : null;
    this.resetParameters();
  }

  /** PyTorch's default: kaiming_uniform_(a=sqrt(5)) weights, uniform(±1/sqrt(fan_in)) bias. */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const [fanIn] = init.calculateFanInAndFanOut(this.weight);
      if (fanIn !== 0) {
        const bound = 1 / Math.sqrt(fanIn);
        init.uniform_(this.bias, -bound, bound);
      }
    }
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=${pyTuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pyTuple(this.dilation)}`;
    if (this.outputPadding.some((p) => p !== 0)) s += `, output_padding=${pyTuple(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    if (this.paddingMode !== 'zeros') s += `, padding_mode=${this.paddingMode}`;
    return s;
  }
}

type ConvFn = (
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  stride: number[],
  padding: number[] | string,
  dilation: number[],
  groups: number,
) => Tensor;

/** A convolution: `_conv_forward` of PyTorch's Conv1d/Conv3d. */
abstract class Conv extends ConvNd {
  protected abstract readonly conv: ConvFn;
  forward(input: Tensor): Tensor {
    if (this.paddingMode !== 'zeros') {
      const padded = F.pad(input, this.reversedPaddingRepeatedTwice, this.paddingMode);
      return this.conv(
        padded,
        this.weight,
        this.bias,
        this.stride,
        this.kernelSize.map(() => 0),
        this.dilation,
        this.groups,
      );
    }
    return this.conv(
      input,
      this.weight,
      this.bias,
      this.stride,
      this.padding as number[] | string,
      this.dilation,
      this.groups,
    );
  }
}

function convOptions(args: readonly unknown[], where: string): ConvOptions {
  return bindArgs<ConvOptions>(args, CONV_POSITIONAL, where, [...CONV_POSITIONAL, 'device', 'dtype']);
}

/** 1-d convolution over (N, C, L) or (C, L): `new nn.Conv1d(16, 33, 3, 2)`. */
export class Conv1d extends Conv {
  protected readonly conv = F.conv1d as unknown as ConvFn;
  constructor(inChannels: number, outChannels: number, kernelSize: Size, ...args: ConvArgs) {
    super(1, false, inChannels, outChannels, kernelSize, convOptions(args, 'Conv1d'));
  }
}

/** 3-d convolution over (N, C, D, H, W) or (C, D, H, W). */
export class Conv3d extends Conv {
  protected readonly conv = F.conv3d as unknown as ConvFn;
  constructor(inChannels: number, outChannels: number, kernelSize: Size, ...args: ConvArgs) {
    super(3, false, inChannels, outChannels, kernelSize, convOptions(args, 'Conv3d'));
  }
}

type ConvTransposeFn = (
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  stride: number[],
  padding: number[],
  outputPadding: number[],
  groups: number,
  dilation: number[],
) => Tensor;

/** PyTorch's `_ConvTransposeNd`, with `forward(input, outputSize?)`. */
abstract class ConvTranspose extends ConvNd {
  protected abstract readonly convT: ConvTransposeFn;
  constructor(
    n: number,
    inChannels: number,
    outChannels: number,
    kernelSize: Size,
    args: readonly unknown[],
    where: string,
  ) {
    const o = bindArgs<ConvTransposeOptions>(args, TRANSPOSE_POSITIONAL, where, [
      ...TRANSPOSE_POSITIONAL,
      'device',
      'dtype',
    ]);
    if (o.paddingMode !== undefined && o.paddingMode !== 'zeros')
      throw rangeError(`'zeros' (the only padding mode ${where} has)`, 'paddingMode', o.paddingMode);
    if (typeof o.padding === 'string') throw typeError('ints', 'padding', o.padding);
    super(n, true, inChannels, outChannels, kernelSize, o as ConvOptions & { outputPadding?: Size });
  }

  /** PyTorch's `_output_padding`: the output padding that gives `outputSize`, or the module's own. */
  protected outputPaddingFor(input: Tensor, outputSize: readonly number[] | null): number[] {
    if (outputSize === null) return this.outputPadding;
    const n = this.kernelSize.length;
    const nonSpatial = input.dim() === n + 2 ? 2 : 1;
    let size = [...outputSize];
    if (size.length === nonSpatial + n) size = size.slice(nonSpatial);
    if (size.length !== n) throw rangeError(`${n} or ${n + nonSpatial} sizes`, 'outputSize', outputSize);
    const padding = this.padding as number[];
    return size.map((s, d) => {
      const min =
        (input.size(d + nonSpatial) - 1) * this.stride[d] -
        2 * padding[d] +
        this.dilation[d] * (this.kernelSize[d] - 1) +
        1;
      const max = min + this.stride[d] - 1;
      if (s < min || s > max) throw rangeError(`output sizes between [${min}] and [${max}]`, 'outputSize', outputSize);
      return s - min;
    });
  }

  forward(input: Tensor, outputSize: readonly number[] | null = null): Tensor {
    const outputPadding = this.outputPaddingFor(input, outputSize);
    return this.convT(
      input,
      this.weight,
      this.bias,
      this.stride,
      this.padding as number[],
      outputPadding,
      this.groups,
      this.dilation,
    );
  }
}

/** 1-d transposed convolution ("deconvolution"). */
export class ConvTranspose1d extends ConvTranspose {
  protected readonly convT = F.convTranspose1d as unknown as ConvTransposeFn;
  constructor(inChannels: number, outChannels: number, kernelSize: Size, ...args: ConvTransposeArgs) {
    super(1, inChannels, outChannels, kernelSize, args, 'ConvTranspose1d');
  }
}
/** 2-d transposed convolution ("deconvolution"). */
export class ConvTranspose2d extends ConvTranspose {
  protected readonly convT = F.convTranspose2d as unknown as ConvTransposeFn;
  constructor(inChannels: number, outChannels: number, kernelSize: Size, ...args: ConvTransposeArgs) {
    super(2, inChannels, outChannels, kernelSize, args, 'ConvTranspose2d');
  }
}
/** 3-d transposed convolution ("deconvolution"). */
export class ConvTranspose3d extends ConvTranspose {
  protected readonly convT = F.convTranspose3d as unknown as ConvTransposeFn;
  constructor(inChannels: number, outChannels: number, kernelSize: Size, ...args: ConvTransposeArgs) {
    super(3, inChannels, outChannels, kernelSize, args, 'ConvTranspose3d');
  }
}
