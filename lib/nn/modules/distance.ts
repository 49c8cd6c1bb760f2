/** torch/nn/modules/distance.py: PairwiseDistance and CosineSimilarity. */
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, checkInt, checkNumber } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import { Module } from '../module';

/** The p-norm distance between rows of `x1` and `x2`: `new nn.PairwiseDistance(1)`. */
export class PairwiseDistance extends Module {
  /** The p of the norm (PyTorch's attribute name). */
  readonly norm: number;
  readonly eps: number;
  readonly keepdim: boolean;
  constructor(
    ...args: WithOptions<[p: number, eps: number, keepdim: boolean], { p?: number; eps?: number; keepdim?: boolean }>
  ) {
    super();
    const o = bindArgs<{ p: number; eps: number; keepdim: boolean }>(args, ['p', 'eps', 'keepdim'], 'PairwiseDistance');
    this.norm = checkNumber(o.p ?? 2, 'p');
    this.eps = checkNumber(o.eps ?? 1e-6, 'eps');
    this.keepdim = checkBool(o.keepdim ?? false, 'keepdim');
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    return F.pairwiseDistance(x1, x2, this.norm, this.eps, this.keepdim);
  }
}

/** Cosine similarity of `x1` and `x2` along `dim`. */
export class CosineSimilarity extends Module {
  readonly dim: number;
  readonly eps: number;
  constructor(...args: WithOptions<[dim: number, eps: number], { dim?: number; eps?: number }>) {
    super();
    const o = bindArgs<{ dim: number; eps: number }>(args, ['dim', 'eps'], 'CosineSimilarity');
    this.dim = checkInt(o.dim ?? 1, 'dim');
    this.eps = checkNumber(o.eps ?? 1e-8, 'eps');
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    return F.cosineSimilarity(x1, x2, this.dim, this.eps);
  }
}
