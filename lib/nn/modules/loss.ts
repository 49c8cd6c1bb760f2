import { checkOptions } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import { Module } from '../module';

/** Cross entropy between logits and class indices or probabilities (`nn.CrossEntropyLoss`). */
export class CrossEntropyLoss extends Module {
  /** The class weight, a buffer as in PyTorch (state-dict key 'weight'); null when not given. */
  declare weight: Tensor | null;
  readonly options: F.CrossEntropyOptions;
  constructor(options: F.CrossEntropyOptions = {}) {
    super();
    this.options = { ...checkOptions<F.CrossEntropyOptions>(options) };
    this.registerBuffer('weight', this.options.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, { ...this.options, weight: this.weight });
  }
}

export class NLLLoss extends Module {
  readonly options: Omit<F.CrossEntropyOptions, 'labelSmoothing'>;
  /** The class weight, a buffer as in PyTorch (state-dict key 'weight'); null when not given. */
  declare weight: Tensor | null;
  constructor(options: Omit<F.CrossEntropyOptions, 'labelSmoothing'> = {}) {
    super();
    this.options = { ...checkOptions<F.CrossEntropyOptions>(options) };
    this.registerBuffer('weight', this.options.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, { ...this.options, weight: this.weight });
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
