/**
 * The dropout family of torch/nn/modules/dropout.py besides `Dropout` (in linear.ts):
 * `new nn.Dropout2d(0.2)`, `new nn.AlphaDropout(0.1, { inplace: false })`.
 */
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, rangeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import { Module, pyFloat } from '../module';

/** PyTorch's `_DropoutNd`: a probability `p` and `inplace`, printed as PyTorch prints them. */
abstract class DropoutNd extends Module {
  readonly p: number;
  readonly inplace: boolean;
  constructor(args: readonly unknown[]) {
    super();
    const o = bindArgs<{ p: number; inplace: boolean }>(args, ['p', 'inplace'], this.constructor.name);
    const p = o.p ?? 0.5;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw rangeError('a dropout probability between 0 and 1', 'p', p);
    this.p = p;
    this.inplace = checkBool(o.inplace ?? false, 'inplace');
  }
  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=${this.inplace ? 'True' : 'False'}`;
  }
}

type DropoutArgs = WithOptions<[p: number, inplace: boolean], { p?: number; inplace?: boolean }>;

/** Zeroes whole channels of (N, C, L) or (C, L) inputs with probability p in training. */
export class Dropout1d extends DropoutNd {
  constructor(...args: DropoutArgs) {
    super(args);
  }
  forward(input: Tensor): Tensor {
    return F.dropout1d(input, this.p, this.training, this.inplace);
  }
}

/** Zeroes whole channels of (N, C, H, W) or (C, H, W) inputs with probability p in training. */
export class Dropout2d extends DropoutNd {
  constructor(...args: DropoutArgs) {
    super(args);
  }
  forward(input: Tensor): Tensor {
    return F.dropout2d(input, this.p, this.training, this.inplace);
  }
}

/** Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) inputs with probability p in training. */
export class Dropout3d extends DropoutNd {
  constructor(...args: DropoutArgs) {
    super(args);
  }
  forward(input: Tensor): Tensor {
    return F.dropout3d(input, this.p, this.training, this.inplace);
  }
}

/** Alpha dropout: keeps a SELU network's mean and variance (PyTorch ignores `inplace` here too). */
export class AlphaDropout extends DropoutNd {
  constructor(...args: DropoutArgs) {
    super(args);
  }
  forward(input: Tensor): Tensor {
    return F.alphaDropout(input, this.p, this.training);
  }
}

/** Alpha dropout of whole channels (PyTorch ignores `inplace` here too). */
export class FeatureAlphaDropout extends DropoutNd {
  constructor(...args: DropoutArgs) {
    super(args);
  }
  forward(input: Tensor): Tensor {
    return F.featureAlphaDropout(input, this.p, this.training);
  }
}
