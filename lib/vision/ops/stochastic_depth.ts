/** torchvision/ops/stochastic_depth.py: drops whole residual branches (Huang et al.). */
import * as nn from '../../nn/index';
import { pyFloat } from '../../nn/module';
import { empty } from '../../torch/creation';
import { checkBool, checkNumber, rangeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';

/**
 * Zeroes the input per sample (`mode` 'row') or as a whole ('batch') with probability `p`,
 * scaling what survives by 1 / (1 - p); the identity outside training or when p is 0.
 */
export function stochasticDepth(input: Tensor, p: number, mode: 'batch' | 'row', training = true): Tensor {
  checkNumber(p, 'p');
  if (p < 0 || p > 1) throw rangeError('a drop probability between 0 and 1', 'p', p);
  if (mode !== 'batch' && mode !== 'row') throw rangeError("'batch' or 'row'", 'mode', mode);
  if (!checkBool(training, 'training') || p === 0) return input;
  const survival = 1 - p;
  const size = mode === 'row' ? [input.shape[0], ...Array(input.dim() - 1).fill(1)] : Array(input.dim()).fill(1);
  const noise = empty(size, { dtype: input.dtype, device: input.device }).bernoulli_(survival);
  if (survival > 0) noise.div_(survival);
  return input.mul(noise);
}

/** {@link stochasticDepth} as a module (it has no parameters). */
export class StochasticDepth extends nn.Module {
  constructor(
    readonly p: number,
    readonly mode: 'batch' | 'row',
  ) {
    super();
    checkNumber(p, 'p');
    if (mode !== 'batch' && mode !== 'row') throw rangeError("'batch' or 'row'", 'mode', mode);
  }
  forward(input: Tensor): Tensor {
    return stochasticDepth(input, this.p, this.mode, this.training);
  }
  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, mode=${this.mode}`;
  }
}
