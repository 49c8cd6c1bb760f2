/**
 * nn.functional activations and dropout, following torch/nn/functional.py on the generated
 * ops. Each takes Python's parameters positionally or, after the required ones, as an
 * options object.
 */
import {
  _nn,
  rrelu as rreluOp,
  rrelu_,
  selu as seluOp,
  selu_,
  celu as celuOp,
  celu_,
} from '../torch/generated/functions';
import * as T from '../torch/generated/functions';
import { rangeError } from '../torch/errors';
import type { DType } from '../torch/dtype';
import { emptyLike, zerosLike } from '../torch/creation';
import type { Tensor } from '../torch/tensor';
import { bindArgs, bool, num, probability, tensorOf } from './functional_args';

type Inplace = { inplace?: boolean };

/** `threshold(x) = x if x > threshold else value` */
export function threshold(input: Tensor, threshold: number, value: number, inplace?: boolean): Tensor;
export function threshold(...args: unknown[]): Tensor {
  const a = bindArgs('threshold', args, ['input', 'threshold', 'value'], { inplace: false });
  const x = tensorOf(a.input, 'input');
  return bool(a.inplace, 'inplace')
    ? T.threshold_(x, num(a.threshold, 'threshold'), num(a.value, 'value'))
    : T.threshold(x, num(a.threshold, 'threshold'), num(a.value, 'value'));
}

/** ReLU clipped at 6. */
export function relu6(input: Tensor, inplace?: boolean): Tensor;
export function relu6(input: Tensor, options: Inplace): Tensor;
export function relu6(...args: unknown[]): Tensor {
  const a = bindArgs('relu6', args, ['input'], { inplace: false });
  const x = tensorOf(a.input, 'input');
  return bool(a.inplace, 'inplace') ? _nn.relu6_(x) : _nn.relu6(x);
}

/** Clamps to [minVal, maxVal]. */
export function hardtanh(input: Tensor, minVal?: number, maxVal?: number, inplace?: boolean): Tensor;
export function hardtanh(input: Tensor, options: { minVal?: number; maxVal?: number } & Inplace): Tensor;
export function hardtanh(...args: unknown[]): Tensor {
  const a = bindArgs('hardtanh', args, ['input'], { minVal: -1, maxVal: 1, inplace: false });
  const lo = num(a.minVal, 'minVal');
  const hi = num(a.maxVal, 'maxVal');
  if (lo > hi) throw rangeError(`minVal <= maxVal (${hi})`, 'minVal', lo);
  const x = tensorOf(a.input, 'input');
  return bool(a.inplace, 'inplace') ? _nn.hardtanh_(x, lo, hi) : _nn.hardtanh(x, lo, hi);
}

/** Exponential linear unit. */
export function elu(input: Tensor, alpha?: number, inplace?: boolean): Tensor;
export function elu(input: Tensor, options: { alpha?: number } & Inplace): Tensor;
export function elu(...args: unknown[]): Tensor {
  const a = bindArgs('elu', args, ['input'], { alpha: 1, inplace: false });
  const x = tensorOf(a.input, 'input');
  return bool(a.inplace, 'inplace') ? _nn.elu_(x, num(a.alpha, 'alpha')) : _nn.elu(x, num(a.alpha, 'alpha'));
}

/** Scaled ELU. */
export function selu(input: Tensor, inplace?: boolean): Tensor;
export function selu(input: Tensor, options: Inplace): Tensor;
export function selu(...args: unknown[]): Tensor {
  const a = bindArgs('selu', args, ['input'], { inplace: false });
  const x = tensorOf(a.input, 'input');
  return bool(a.inplace, 'inplace') ? selu_(x) : seluOp(x);
}

/** Continuously differentiable ELU. */
export function celu(input: Tensor, alpha?: number, inplace?: boolean): Tensor;
export function celu(input: Tensor, options: { alpha?: number } & Inplace): Tensor;
export function celu(...args: unknown[]): Tensor {
  const a = bindArgs('celu', args, ['input'], { alpha: 1, inplace: false });
  const x = tensorOf(a.input, 'input');
  return bool(a.inplace, 'inplace') ? celu_(x, num(a.alpha, 'alpha')) : celuOp(x, num(a.alpha, 'alpha'));
}

/** `max(0, x) + negativeSlope * min(0, x)` */
export function leakyRelu(input: Tensor, negativeSlope?: number, inplace?: boolean): Tensor;
export function leakyRelu(input: Tensor, options: { negativeSlope?: number } & Inplace): Tensor;
export function leakyRelu(...args: unknown[]): Tensor {
  const a = bindArgs('leakyRelu', args, ['input'], { negativeSlope: 0.01, inplace: false });
  const x = tensorOf(a.input, 'input');
  const s = num(a.negativeSlope, 'negativeSlope');
  return bool(a.inplace, 'inplace') ? _nn.leakyRelu_(x, s) : _nn.leakyRelu(x, s);
}

/** Randomized leaky ReLU. */
export function rrelu(input: Tensor, lower?: number, upper?: number, training?: boolean, inplace?: boolean): Tensor;
export function rrelu(input: Tensor, options: { lower?: number; upper?: number; training?: boolean } & Inplace): Tensor;
export function rrelu(...args: unknown[]): Tensor {
  const a = bindArgs('rrelu', args, ['input'], { lower: 1 / 8, upper: 1 / 3, training: false, inplace: false });
  const x = tensorOf(a.input, 'input');
  const f = bool(a.inplace, 'inplace') ? rrelu_ : rreluOp;
  return f(x, num(a.lower, 'lower'), num(a.upper, 'upper'), bool(a.training, 'training'));
}

/** Gated linear unit over `dim`. */
export function glu(input: Tensor, dim?: number): Tensor {
  const x = tensorOf(input, 'input');
  if (x.dim() === 0) throw rangeError('a tensor with at least one dimension (glu halves one)', 'input', 'a scalar');
  return _nn.glu(x, dim ?? -1);
}

/** `x * sigmoid(x)` */
export function silu(input: Tensor, inplace?: boolean): Tensor;
export function silu(input: Tensor, options: Inplace): Tensor;
export function silu(...args: unknown[]): Tensor {
  const a = bindArgs('silu', args, ['input'], { inplace: false });
  const x = tensorOf(a.input, 'input');
  return bool(a.inplace, 'inplace') ? _nn.silu_(x) : _nn.silu(x);
}

/** `x * tanh(softplus(x))` */
export function mish(input: Tensor, inplace?: boolean): Tensor;
export function mish(input: Tensor, options: Inplace): Tensor;
export function mish(...args: unknown[]): Tensor {
  const a = bindArgs('mish', args, ['input'], { inplace: false });
  const x = tensorOf(a.input, 'input');
  return bool(a.inplace, 'inplace') ? _nn.mish_(x) : _nn.mish(x);
}

/** Piecewise-linear sigmoid. */
export function hardsigmoid(input: Tensor, inplace?: boolean): Tensor;
export function hardsigmoid(input: Tensor, options: Inplace): Tensor;
export function hardsigmoid(...args: unknown[]): Tensor {
  const a = bindArgs('hardsigmoid', args, ['input'], { inplace: false });
  const x = tensorOf(a.input, 'input');
  return bool(a.inplace, 'inplace') ? _nn.hardsigmoid_(x) : _nn.hardsigmoid(x);
}

/** `x * hardsigmoid(x)` */
export function hardswish(input: Tensor, inplace?: boolean): Tensor;
export function hardswish(input: Tensor, options: Inplace): Tensor;
export function hardswish(...args: unknown[]): Tensor {
  const a = bindArgs('hardswish', args, ['input'], { inplace: false });
  const x = tensorOf(a.input, 'input');
  return bool(a.inplace, 'inplace') ? _nn.hardswish_(x) : _nn.hardswish(x);
}

/** `x - tanh(x)` */
export function tanhshrink(input: Tensor): Tensor {
  const x = tensorOf(input, 'input');
  return x.sub(x.tanh());
}

/** `x / (1 + |x|)` */
export function softsign(input: Tensor): Tensor {
  const x = tensorOf(input, 'input');
  return x.div(x.abs().add(1));
}

export function sigmoid(input: Tensor): Tensor {
  return tensorOf(input, 'input').sigmoid();
}

export function tanh(input: Tensor): Tensor {
  return tensorOf(input, 'input').tanh();
}

/** softmax(-x) over `dim`. */
export function softmin(input: Tensor, dim: number, options?: { dtype?: DType }): Tensor {
  return tensorOf(input, 'input').neg().softmax(dim, options);
}

/** Softmax over Gumbel-perturbed logits; `hard` returns one-hot samples with soft gradients. */
export function gumbelSoftmax(logits: Tensor, tau?: number, hard?: boolean, eps?: number, dim?: number): Tensor;
export function gumbelSoftmax(
  logits: Tensor,
  options: { tau?: number; hard?: boolean; eps?: number; dim?: number },
): Tensor;
export function gumbelSoftmax(...args: unknown[]): Tensor {
  const a = bindArgs('gumbelSoftmax', args, ['logits'], { tau: 1, hard: false, eps: 1e-10, dim: -1 });
  const logits = tensorOf(a.logits, 'logits');
  const dim = a.dim as number;
  const gumbels = emptyLike(logits).exponential_().log().neg();
  const ySoft = logits.add(gumbels).div(num(a.tau, 'tau')).softmax(dim);
  if (!bool(a.hard, 'hard')) return ySoft;
  const index = ySoft.max(dim, true).indices;
  const yHard = zerosLike(logits).scatter_(dim, index, 1);
  return yHard.sub(ySoft.detach()).add(ySoft);
}

// ---- dropout -------------------------------------------------------------------------

type DropoutArgs = [p?: number, training?: boolean, inplace?: boolean];
type DropoutOptions = { p?: number; training?: boolean; inplace?: boolean };

function dropoutArgs(fn: string, args: unknown[], training: boolean): [Tensor, number, boolean, boolean] {
  const a = bindArgs(fn, args, ['input'], { p: 0.5, training, inplace: false });
  return [tensorOf(a.input, 'input'), probability(a.p), bool(a.training, 'training'), bool(a.inplace, 'inplace')];
}

/** Alpha dropout (keeps SELU's self-normalisation). */
export function alphaDropout(input: Tensor, ...rest: DropoutArgs): Tensor;
export function alphaDropout(input: Tensor, options: DropoutOptions): Tensor;
export function alphaDropout(...args: unknown[]): Tensor {
  const [x, p, training, inplace] = dropoutArgs('alphaDropout', args, false);
  return inplace ? T.alphaDropout_(x, p, training) : T.alphaDropout(x, p, training);
}

/** Alpha dropout of whole channels. */
export function featureAlphaDropout(input: Tensor, ...rest: DropoutArgs): Tensor;
export function featureAlphaDropout(input: Tensor, options: DropoutOptions): Tensor;
export function featureAlphaDropout(...args: unknown[]): Tensor {
  const [x, p, training, inplace] = dropoutArgs('featureAlphaDropout', args, false);
  return inplace ? T.featureAlphaDropout_(x, p, training) : T.featureAlphaDropout(x, p, training);
}

/** Zeroes whole channels: inputs (N, C, d1..dk) or unbatched (C, d1..dk) with k = `spatial`. */
function featureDropout(fn: string, spatial: number, args: unknown[]): Tensor {
  const [x, p, training, inplace] = dropoutArgs(fn, args, true);
  const d = x.dim();
  if (d !== spatial + 1 && d !== spatial + 2) {
    throw rangeError(`a ${spatial + 1}D or ${spatial + 2}D input`, 'input', `a ${d}D tensor`);
  }
  const batched = d === spatial + 2;
  let y = batched ? x : inplace ? x.unsqueeze_(0) : x.unsqueeze(0);
  y = inplace ? T.featureDropout_(y, p, training) : T.featureDropout(y, p, training);
  return batched ? y : inplace ? y.squeeze_(0) : y.squeeze(0);
}

/** Zeroes whole channels of (N, C, L) or (C, L) inputs. */
export function dropout1d(input: Tensor, ...rest: DropoutArgs): Tensor;
export function dropout1d(input: Tensor, options: DropoutOptions): Tensor;
export function dropout1d(...args: unknown[]): Tensor {
  return featureDropout('dropout1d', 1, args);
}

/** Zeroes whole channels of (N, C, H, W) or (C, H, W) inputs. */
export function dropout2d(input: Tensor, ...rest: DropoutArgs): Tensor;
export function dropout2d(input: Tensor, options: DropoutOptions): Tensor;
export function dropout2d(...args: unknown[]): Tensor {
  return featureDropout('dropout2d', 2, args);
}

/** Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) inputs. */
export function dropout3d(input: Tensor, ...rest: DropoutArgs): Tensor;
export function dropout3d(input: Tensor, options: DropoutOptions): Tensor;
export function dropout3d(...args: unknown[]): Tensor {
  return featureDropout('dropout3d', 3, args);
}
