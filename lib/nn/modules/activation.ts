import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, checkInt } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import { Module } from '../module';

/** `max(0, x)`: `new nn.ReLU()`, `new nn.ReLU(true)` or `new nn.ReLU({ inplace: true })`. */
export class ReLU extends Module {
  readonly inplace: boolean;
  constructor(...args: WithOptions<[inplace: boolean], { inplace?: boolean }>) {
    super();
    this.inplace = checkBool(bindArgs<{ inplace: boolean }>(args, ['inplace'], 'ReLU').inplace ?? false, 'inplace');
  }
  forward(input: Tensor): Tensor {
    return F.relu(input, this.inplace);
  }
  override extraRepr(): string {
    return this.inplace ? 'inplace=True' : '';
  }
}

export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return input.sigmoid();
  }
}

export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    return input.tanh();
  }
}

export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
    checkInt(dim, 'dim');
  }
  forward(input: Tensor): Tensor {
    return F.softmax(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
    checkInt(dim, 'dim');
  }
  forward(input: Tensor): Tensor {
    return F.logSoftmax(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}
