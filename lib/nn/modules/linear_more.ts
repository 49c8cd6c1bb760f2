/** nn.Bilinear (torch/nn/modules/linear.py; Linear and Identity are in linear.ts). */
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, checkInt } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import * as init from '../init';
import { Module } from '../module';
import type { Parameter } from '../parameter';
import { emptyParameter, type FactoryOptions } from './factory';
import { pyBool } from './utils';

/** `y = x1^T A x2 + b` with `weight` of shape (out, in1, in2). */
export class Bilinear extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly in1Features: number;
  readonly in2Features: number;
  readonly outFeatures: number;
  constructor(
    in1Features: number,
    in2Features: number,
    outFeatures: number,
    ...args: WithOptions<[bias: boolean], FactoryOptions & { bias?: boolean }>
  ) {
    super();
    const o = bindArgs<FactoryOptions & { bias: boolean }>(args, ['bias'], 'Bilinear', ['bias', 'device', 'dtype']);
    this.in1Features = checkInt(in1Features, 'in1Features', 1);
    this.in2Features = checkInt(in2Features, 'in2Features', 0);
    this.outFeatures = checkInt(outFeatures, 'outFeatures', 0);
    this.weight = emptyParameter([outFeatures, in1Features, in2Features], o);
    this.bias = checkBool(o.bias ?? true, 'bias') ? emptyParameter([outFeatures], o) : null;
    this.resetParameters();
  }
  /** PyTorch's: weight and bias uniform(±1/sqrt(in1Features)). */
  resetParameters(): void {
    const bound = 1 / Math.sqrt(this.weight.size(1));
    init.uniform_(this.weight, -bound, bound);
    if (this.bias) init.uniform_(this.bias, -bound, bound);
  }
  forward(input1: Tensor, input2: Tensor): Tensor {
    return F.bilinear(input1, input2, this.weight, this.bias);
  }
  override extraRepr(): string {
    return `in1_features=${this.in1Features}, in2_features=${this.in2Features}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}
