import { checkOptions } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import { Module } from '../module';

/** Cross entropy between logits and class indices or probabilities (`nn.CrossEntropyLoss`). */
export class CrossEntropyLoss extends Module {
  readonly options: F.CrossEntropyOptions;
  constructor(options: F.CrossEntropyOptions = {}) {
    super();
    this.options = { ...checkOptions<F.CrossEntropyOptions>(options) };
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, this.options);
  }
}

export class NLLLoss extends Module {
  readonly options: Omit<F.CrossEntropyOptions, 'labelSmoothing'>;
  constructor(options: Omit<F.CrossEntropyOptions, 'labelSmoothing'> = {}) {
    super();
    this.options = { ...checkOptions<F.CrossEntropyOptions>(options) };
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, this.options);
  }
}

export class MSELoss extends Module {
  readonly options: { reduction?: F.Reduction };
  constructor(options: { reduction?: F.Reduction } = {}) {
    super();
    this.options = { ...checkOptions<{ reduction: F.Reduction }>(options) };
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, this.options);
  }
}
