import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, checkInt } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import * as init from '../init';
import { Module, pyFloat } from '../module';
import type { Parameter } from '../parameter';
import { emptyParameter, type FactoryOptions } from './factory';

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
