import { bindArgs, type WithOptions } from '../../torch/args';
import { checkOptions, optionKeys } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import { Module } from '../module';

const CROSS_ENTROPY_KEYS = optionKeys<F.CrossEntropyOptions>({
  weight: 1,
  sizeAverage: 1,
  ignoreIndex: 1,
  reduce: 1,
  reduction: 1,
  labelSmoothing: 1,
});
const NLL_KEYS = CROSS_ENTROPY_KEYS.filter((k) => k !== 'labelSmoothing');

/**
 * Cross entropy between logits and class indices or probabilities (`nn.CrossEntropyLoss`).
 * The class weight may be positional, as in PyTorch; the rest are named (PyTorch's next
 * positional ones are the deprecated sizeAverage and reduce): `new nn.CrossEntropyLoss(weight, { labelSmoothing: 0.1 })`.
 */
export class CrossEntropyLoss extends Module {
  /** The class weight, a buffer as in PyTorch (state-dict key 'weight'); null when not given. */
  declare weight: Tensor | null;
  readonly options: F.CrossEntropyOptions;
  constructor(...args: WithOptions<[weight: Tensor | null], F.CrossEntropyOptions>) {
    super();
    this.options = bindArgs<F.CrossEntropyOptions>(args, ['weight'], 'CrossEntropyLoss', CROSS_ENTROPY_KEYS);
    this.registerBuffer('weight', this.options.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, { ...this.options, weight: this.weight });
  }
}

/** Negative log likelihood (`nn.NLLLoss`): the class weight positional or named, the rest named. */
export class NLLLoss extends Module {
  readonly options: Omit<F.CrossEntropyOptions, 'labelSmoothing'>;
  /** The class weight, a buffer as in PyTorch (state-dict key 'weight'); null when not given. */
  declare weight: Tensor | null;
  constructor(...args: WithOptions<[weight: Tensor | null], Omit<F.CrossEntropyOptions, 'labelSmoothing'>>) {
    super();
    this.options = bindArgs<F.CrossEntropyOptions>(args, ['weight'], 'NLLLoss', NLL_KEYS);
    this.registerBuffer('weight', this.options.weight ?? null);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, { ...this.options, weight: this.weight });
  }
}

/** Options of the losses that take only a reduction (PyTorch's deprecated sizeAverage/reduce included). */
export interface ReductionOptions {
  sizeAverage?: boolean | null;
  reduce?: boolean | null;
  reduction?: F.Reduction;
}

/** Mean squared error (`nn.MSELoss`): `new nn.MSELoss({ reduction: 'sum' })`. */
export class MSELoss extends Module {
  readonly options: ReductionOptions;
  constructor(options: ReductionOptions = {}) {
    super();
    this.options = {
      ...checkOptions<ReductionOptions>(options, 'MSELoss options', ['sizeAverage', 'reduce', 'reduction']),
    };
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, this.options);
  }
}
