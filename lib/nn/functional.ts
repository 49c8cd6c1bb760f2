/** nn.functional: stateless forms of the layers and losses, one native call each. */
import { N } from '../native';
import { checkBool, checkInt, checkNumber, checkOptions, rangeError, typeError } from '../torch/errors';
import { _tensorArg as tensorArg, _wrap as wrap, type Tensor } from '../torch/tensor';

/** An int or an [h, w] pair, as PyTorch's `_pair`. */
export type Size2 = number | readonly [number, number];

/** Normalises an int or pair argument to a pair. */
export function pair(v: unknown, argument: string, min?: number): [number, number] {
  if (typeof v === 'number') {
    checkInt(v, argument, min);
    return [v, v];
  }
  if (Array.isArray(v) && v.length === 2) return [checkInt(v[0], argument, min), checkInt(v[1], argument, min)];
  throw typeError('an integer or a pair of integers', argument, v);
}

function optTensor(t: unknown, argument: string): number {
  if (t === undefined || t === null) return -1;
  return tensorArg(t, argument).handle;
}

export type Reduction = 'none' | 'mean' | 'sum';
const REDUCTIONS: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };
function reductionCode(r: unknown): number {
  const code = REDUCTIONS[r as Reduction];
  if (typeof r !== 'string' || code === undefined) throw rangeError("'none', 'mean' or 'sum'", 'reduction', r);
  return code;
}

/** 2-d convolution. `padding` may be an int, a pair, 'same' or 'valid'. */
export function conv2d(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  stride: Size2 = 1,
  padding: Size2 | 'same' | 'valid' = 0,
  dilation: Size2 = 1,
  groups = 1,
): Tensor {
  const pad = padding === 'same' || padding === 'valid' ? padding : pair(padding, 'padding', 0);
  return wrap(
    N.conv2d(
      tensorArg(input, 'input').handle,
      tensorArg(weight, 'weight').handle,
      optTensor(bias, 'bias'),
      pair(stride, 'stride', 1),
      pad,
      pair(dilation, 'dilation', 1),
      checkInt(groups, 'groups', 1),
    ),
  );
}

/** Batch normalisation; in training mode updates `runningMean`/`runningVar` in place. */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  training = false,
  momentum = 0.1,
  eps = 1e-5,
): Tensor {
  return wrap(
    N.batchNorm(
      tensorArg(input, 'input').handle,
      optTensor(weight, 'weight'),
      optTensor(bias, 'bias'),
      optTensor(runningMean, 'runningMean'),
      optTensor(runningVar, 'runningVar'),
      checkBool(training, 'training'),
      checkNumber(momentum, 'momentum'),
      checkNumber(eps, 'eps'),
    ),
  );
}

export function relu(input: Tensor, inplace = false): Tensor {
  tensorArg(input, 'input');
  return checkBool(inplace, 'inplace') ? input.relu_() : input.relu();
}

export function maxPool2d(
  input: Tensor,
  kernelSize: Size2,
  stride?: Size2 | null,
  padding: Size2 = 0,
  dilation: Size2 = 1,
  ceilMode = false,
): Tensor {
  const k = pair(kernelSize, 'kernelSize', 1);
  return wrap(
    N.maxPool2d(
      tensorArg(input, 'input').handle,
      k,
      stride === undefined || stride === null ? k : pair(stride, 'stride', 1),
      pair(padding, 'padding', 0),
      pair(dilation, 'dilation', 1),
      checkBool(ceilMode, 'ceilMode'),
    ),
  );
}

export function avgPool2d(
  input: Tensor,
  kernelSize: Size2,
  stride?: Size2 | null,
  padding: Size2 = 0,
  ceilMode = false,
  countIncludePad = true,
  divisorOverride: number | null = null,
): Tensor {
  const k = pair(kernelSize, 'kernelSize', 1);
  return wrap(
    N.avgPool2d(
      tensorArg(input, 'input').handle,
      k,
      stride === undefined || stride === null ? k : pair(stride, 'stride', 1),
      pair(padding, 'padding', 0),
      checkBool(ceilMode, 'ceilMode'),
      checkBool(countIncludePad, 'countIncludePad'),
      divisorOverride === null ? null : checkInt(divisorOverride, 'divisorOverride', 1),
    ),
  );
}

export function adaptiveAvgPool2d(input: Tensor, outputSize: Size2): Tensor {
  return wrap(N.adaptiveAvgPool2d(tensorArg(input, 'input').handle, pair(outputSize, 'outputSize', 1)));
}

export function adaptiveMaxPool2d(input: Tensor, outputSize: Size2): Tensor {
  return wrap(N.adaptiveMaxPool2d(tensorArg(input, 'input').handle, pair(outputSize, 'outputSize', 1)));
}

/** `input @ weight.T + bias` */
export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return wrap(N.linear(tensorArg(input, 'input').handle, tensorArg(weight, 'weight').handle, optTensor(bias, 'bias')));
}

export function dropout(input: Tensor, p = 0.5, training = true, inplace = false): Tensor {
  checkNumber(p, 'p');
  if (p < 0 || p > 1) throw rangeError('a probability between 0 and 1', 'p', p);
  const h = tensorArg(input, 'input').handle;
  if (checkBool(inplace, 'inplace')) {
    N.dropout_(h, p, checkBool(training, 'training'));
    return input;
  }
  return wrap(N.dropout(h, p, checkBool(training, 'training')));
}

export function flatten(input: Tensor, startDim = 0, endDim = -1): Tensor {
  return tensorArg(input, 'input').flatten(startDim, endDim);
}

export function softmax(input: Tensor, dim: number): Tensor {
  return tensorArg(input, 'input').softmax(dim);
}

export function logSoftmax(input: Tensor, dim: number): Tensor {
  return tensorArg(input, 'input').logSoftmax(dim);
}

export interface CrossEntropyOptions {
  /** A manual rescaling weight per class. */
  weight?: Tensor | null;
  /** Targets equal to this are ignored (class-index targets only). */
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
}

/** Cross entropy between logits and class indices (int64) or class probabilities. */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const o = checkOptions<CrossEntropyOptions>(options);
  const smoothing = checkNumber(o.labelSmoothing ?? 0, 'labelSmoothing');
  if (smoothing < 0 || smoothing > 1) throw rangeError('a number between 0 and 1', 'labelSmoothing', smoothing);
  return wrap(
    N.crossEntropy(
      tensorArg(input, 'input').handle,
      tensorArg(target, 'target').handle,
      optTensor(o.weight, 'weight'),
      reductionCode(o.reduction ?? 'mean'),
      checkInt(o.ignoreIndex ?? -100, 'ignoreIndex'),
      smoothing,
    ),
  );
}

/** Negative log likelihood of log-probabilities at class indices. */
export function nllLoss(
  input: Tensor,
  target: Tensor,
  options: Omit<CrossEntropyOptions, 'labelSmoothing'> = {},
): Tensor {
  const o = checkOptions<CrossEntropyOptions>(options);
  return wrap(
    N.nllLoss(
      tensorArg(input, 'input').handle,
      tensorArg(target, 'target').handle,
      optTensor(o.weight, 'weight'),
      reductionCode(o.reduction ?? 'mean'),
      checkInt(o.ignoreIndex ?? -100, 'ignoreIndex'),
    ),
  );
}

/** Mean squared error. */
export function mseLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  const o = checkOptions<{ reduction: Reduction }>(options);
  return wrap(
    N.mseLoss(
      tensorArg(input, 'input').handle,
      tensorArg(target, 'target').handle,
      reductionCode(o.reduction ?? 'mean'),
    ),
  );
}

// ---- the rest of torch.nn.functional -------------------------------------------------
// Compositions written after torch/nn/functional.py, on the ops generated from libtorch's schema.
export * from './functional_activation';
export * from './functional_pooling';
export * from './functional_loss';
export * from './functional_misc';
export type { Reduction as ReductionMode } from './functional_args';

// Functions that nn.functional takes straight from torch / torch._C._nn (functional.py's _add_docstr).
import * as G from '../torch/generated/functions';
export const {
  conv1d,
  conv3d,
  convTranspose1d,
  convTranspose2d,
  convTranspose3d,
  convTbc,
  prelu,
  hardshrink,
  bilinear,
  pixelShuffle,
  pixelUnshuffle,
  channelShuffle,
  nativeChannelShuffle,
  pairwiseDistance,
  pdist,
  cosineSimilarity,
  relu_,
  selu_,
  celu_,
  rrelu_,
  threshold_,
} = G;
export const { gelu, softplus, softshrink, oneHot, scaledDotProductAttention, elu_, leakyRelu_, hardtanh_ } = G._nn;
/** log(sigmoid(x)) */
export const logsigmoid = G._nn.logSigmoid;
