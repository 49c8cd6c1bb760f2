import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, checkInt, rangeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import * as init from '../init';
import { Module } from '../module';
import type { Parameter } from '../parameter';
import { emptyParameter, type FactoryOptions } from './factory';

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
