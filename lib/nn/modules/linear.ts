/** torch/nn/modules/linear.py: Identity, Linear and Bilinear. */
import * as F from '../functional';
import * as init from '../init';
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, checkInt } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import { Module, pyFloat } from '../module';
import type { Parameter } from '../parameter';
import { emptyParameter, type FactoryOptions } from './factory';
import { pyBool } from './utils';

export interface LinearOptions extends FactoryOptions {
  bias?: boolean;
}

/** `y = x @ weight.T + bias`: `new nn.Linear(3, 4)`, `new nn.Linear(3, 4, false)` or `{ bias: false }`. */
export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, ...args: WithOptions<[bias: boolean], LinearOptions>) {
    super();
    const o = bindArgs<LinearOptions>(args, ['bias'], 'Linear', ['bias', 'device', 'dtype']);
    this.inFeatures = checkInt(inFeatures, 'inFeatures', 0);
    this.outFeatures = checkInt(outFeatures, 'outFeatures', 0);
    this.weight = emptyParameter([outFeatures, inFeatures], o);
    this.bias = checkBool(o.bias ?? true, 'bias') ? emptyParameter([outFeatures], o) : null;
    this.resetParameters();
  }

  /** PyTorch's default: kaiming_uniform_(a=sqrt(5)) weight, uniform(±1/sqrt(in)) bias. */
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const bound = this.inFeatures > 0 ? 1 / Math.sqrt(this.inFeatures) : 0;
      init.uniform_(this.bias, -bound, bound);
    }
  }

  forward(input: Tensor): Tensor {
    return F.linear(input, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'}`;
  }
}

/** Returns its input. */
export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return input;
  }
}

/** Flattens dims startDim..endDim (default: all but the batch dimension). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
    checkInt(startDim, 'startDim');
    checkInt(endDim, 'endDim');
  }
  forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** Zeroes elements with probability `p` in training: `new nn.Dropout(0.5)`, `new nn.Dropout({ p: 0.2, inplace: true })`. */
export class Dropout extends Module {
  readonly p: number;
  readonly inplace: boolean;
  constructor(...args: WithOptions<[p: number, inplace: boolean], { p?: number; inplace?: boolean }>) {
    super();
    const o = bindArgs<{ p: number; inplace: boolean }>(args, ['p', 'inplace'], 'Dropout');
    const p = o.p ?? 0.5;
    this.p = p;
    this.inplace = checkBool(o.inplace ?? false, 'inplace');
    if (typeof p !== 'number' || p < 0 || p > 1)
      throw new RangeError(`Expected a probability between 0 and 1 for p but received ${String(p)}`);
  }
  forward(input: Tensor): Tensor {
    return F.dropout(input, this.p, this.training, this.inplace);
  }
  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=${this.inplace ? 'True' : 'False'}`;
  }
}

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
