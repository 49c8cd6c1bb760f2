/** nn.functional: stateless forms of the layers and losses, on the ops generated from libtorch's schema. */
import { checkBool, checkInt, checkNumber, rangeError, typeError } from '../torch/errors';
import type { DType } from '../torch/dtype';
import * as G from '../torch/generated/functions';
import { _nn, broadcastTensors } from '../torch/generated/functions';
import { bindArgs, optTensorOf, reductionEnum } from './functional_args';
import { _tensorArg as tensorArg, type Tensor } from '../torch/tensor';

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

export type Reduction = 'none' | 'mean' | 'sum';
/** 2-d convolution. `padding` may be an int, a pair, 'same' or 'valid'. */
export function conv2d(
  input: Tensor,
  weight: Tensor,
  bias?: Tensor | null,
  stride?: Size2,
  padding?: Size2 | 'same' | 'valid',
  dilation?: Size2,
  groups?: number,
): Tensor;
export function conv2d(
  input: Tensor,
  weight: Tensor,
  options: {
    bias?: Tensor | null;
    stride?: Size2;
    padding?: Size2 | 'same' | 'valid';
    dilation?: Size2;
    groups?: number;
  },
): Tensor;
export function conv2d(...args: unknown[]): Tensor {
  const a = bindArgs('conv2d', args, ['input', 'weight'], {
    bias: null as unknown,
    stride: 1 as unknown,
    padding: 0 as unknown,
    dilation: 1 as unknown,
    groups: 1,
  });
  const padding = a.padding;
  const pad = padding === 'same' || padding === 'valid' ? padding : pair(padding, 'padding', 0);
  return G.conv2d(
    tensorArg(a.input, 'input'),
    tensorArg(a.weight, 'weight'),
    optTensorOf(a.bias, 'bias'),
    pair(a.stride, 'stride', 1),
    pad as never,
    pair(a.dilation, 'dilation', 1),
    checkInt(a.groups, 'groups', 1),
  );
}

type BatchNormOptions = {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
};
/** Batch normalisation; in training mode updates `runningMean`/`runningVar` in place. */
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight?: Tensor | null,
  bias?: Tensor | null,
  training?: boolean,
  momentum?: number,
  eps?: number,
): Tensor;
export function batchNorm(
  input: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  options: BatchNormOptions,
): Tensor;
export function batchNorm(...args: unknown[]): Tensor {
  const a = bindArgs('batchNorm', args, ['input'], {
    runningMean: null as unknown,
    runningVar: null as unknown,
    weight: null as unknown,
    bias: null as unknown,
    training: false,
    momentum: 0.1,
    eps: 1e-5,
  });
  const training = checkBool(a.training, 'training');
  const eps = checkNumber(a.eps, 'eps');
  if (training ? eps <= 0 : eps < 0)
    throw rangeError(training ? 'a positive eps in training' : 'a non-negative eps', 'eps', eps);
  return G.batchNorm(
    tensorArg(a.input, 'input'),
    optTensorOf(a.weight, 'weight'),
    optTensorOf(a.bias, 'bias'),
    optTensorOf(a.runningMean, 'runningMean'),
    optTensorOf(a.runningVar, 'runningVar'),
    training,
    checkNumber(a.momentum, 'momentum'),
    eps,
    true,
  );
}

export function relu(input: Tensor, inplace?: boolean): Tensor;
export function relu(input: Tensor, options: { inplace?: boolean }): Tensor;
export function relu(...args: unknown[]): Tensor {
  const a = bindArgs('relu', args, ['input'], { inplace: false });
  const input = tensorArg(a.input, 'input');
  return checkBool(a.inplace, 'inplace') ? input.relu_() : input.relu();
}

type PoolOptions = {
  stride?: Size2 | null;
  padding?: Size2;
  dilation?: Size2;
  ceilMode?: boolean;
  returnIndices?: boolean;
};
/** 2-d max pooling; with `returnIndices` also the argmax indices. */
export function maxPool2d(
  input: Tensor,
  kernelSize: Size2,
  stride?: Size2 | null,
  padding?: Size2,
  dilation?: Size2,
  ceilMode?: boolean,
  returnIndices?: false,
): Tensor;
export function maxPool2d(input: Tensor, kernelSize: Size2, options: PoolOptions & { returnIndices?: false }): Tensor;
export function maxPool2d(
  input: Tensor,
  kernelSize: Size2,
  options: PoolOptions & { returnIndices: true },
): [Tensor, Tensor];
export function maxPool2d(...args: unknown[]): Tensor | [Tensor, Tensor] {
  const a = bindArgs('maxPool2d', args, ['input', 'kernelSize'], {
    stride: null as unknown,
    padding: 0 as unknown,
    dilation: 1 as unknown,
    ceilMode: false,
    returnIndices: false,
  });
  const k = pair(a.kernelSize, 'kernelSize', 1);
  const stride = a.stride === undefined || a.stride === null ? k : pair(a.stride, 'stride', 1);
  if (checkBool(a.returnIndices, 'returnIndices')) {
    const r = _nn.maxPool2dWithIndices(
      tensorArg(a.input, 'input'),
      k,
      stride,
      pair(a.padding, 'padding', 0),
      pair(a.dilation, 'dilation', 1),
      checkBool(a.ceilMode, 'ceilMode'),
    );
    return [r[0], r[1]];
  }
  return G.maxPool2d(
    tensorArg(a.input, 'input'),
    k,
    stride,
    pair(a.padding, 'padding', 0),
    pair(a.dilation, 'dilation', 1),
    checkBool(a.ceilMode, 'ceilMode'),
  );
}

/** 2-d average pooling. */
export function avgPool2d(
  input: Tensor,
  kernelSize: Size2,
  stride?: Size2 | null,
  padding?: Size2,
  ceilMode?: boolean,
  countIncludePad?: boolean,
  divisorOverride?: number | null,
): Tensor;
export function avgPool2d(
  input: Tensor,
  kernelSize: Size2,
  options: {
    stride?: Size2 | null;
    padding?: Size2;
    ceilMode?: boolean;
    countIncludePad?: boolean;
    divisorOverride?: number | null;
  },
): Tensor;
export function avgPool2d(...args: unknown[]): Tensor {
  const a = bindArgs('avgPool2d', args, ['input', 'kernelSize'], {
    stride: null as unknown,
    padding: 0 as unknown,
    ceilMode: false,
    countIncludePad: true,
    divisorOverride: null as unknown,
  });
  const k = pair(a.kernelSize, 'kernelSize', 1);
  return _nn.avgPool2d(
    tensorArg(a.input, 'input'),
    k,
    a.stride === undefined || a.stride === null ? k : pair(a.stride, 'stride', 1),
    pair(a.padding, 'padding', 0),
    checkBool(a.ceilMode, 'ceilMode'),
    checkBool(a.countIncludePad, 'countIncludePad'),
    a.divisorOverride === null ? null : checkInt(a.divisorOverride, 'divisorOverride', 1),
  );
}

/** An output size whose null entries keep the input's size (PyTorch's _list_with_default). */
function adaptiveSize(outputSize: unknown, input: Tensor, n: number): number[] {
  const list = Array.isArray(outputSize) ? outputSize : new Array<unknown>(n).fill(outputSize);
  if (list.length !== n) throw typeError(`an integer or ${n} integers (or nulls)`, 'outputSize', outputSize);
  return list.map((v, i) => (v === null ? input.size(i - n) : checkInt(v, 'outputSize', 0)));
}

export function adaptiveAvgPool2d(input: Tensor, outputSize: Size2 | readonly (number | null)[]): Tensor {
  const x = tensorArg(input, 'input');
  return _nn.adaptiveAvgPool2d(x, adaptiveSize(outputSize, x, 2));
}

/** Adaptive max pooling to `outputSize`; with `returnIndices` also the indices. */
export function adaptiveMaxPool2d(
  input: Tensor,
  outputSize: Size2 | readonly (number | null)[],
  returnIndices?: false,
): Tensor;
export function adaptiveMaxPool2d(
  input: Tensor,
  outputSize: Size2 | readonly (number | null)[],
  returnIndices: true,
): [Tensor, Tensor];
export function adaptiveMaxPool2d(...args: unknown[]): Tensor | [Tensor, Tensor] {
  const a = bindArgs('adaptiveMaxPool2d', args, ['input', 'outputSize'], { returnIndices: false });
  const x = tensorArg(a.input, 'input');
  const [values, indices] = _nn.adaptiveMaxPool2d(x, adaptiveSize(a.outputSize, x, 2));
  if (checkBool(a.returnIndices, 'returnIndices')) return [values, indices];
  indices.dispose();
  return values;
}

/** `input @ weight.T + bias` */
export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return _nn.linear(tensorArg(input, 'input'), tensorArg(weight, 'weight'), optTensorOf(bias, 'bias'));
}

export function dropout(input: Tensor, p?: number, training?: boolean, inplace?: boolean): Tensor;
export function dropout(input: Tensor, options: { p?: number; training?: boolean; inplace?: boolean }): Tensor;
export function dropout(...args: unknown[]): Tensor {
  const a = bindArgs('dropout', args, ['input'], { p: 0.5, training: true, inplace: false });
  const p = checkNumber(a.p, 'p');
  if (p < 0 || p > 1) throw rangeError('a probability between 0 and 1', 'p', p);
  const input = tensorArg(a.input, 'input');
  const training = checkBool(a.training, 'training');
  return checkBool(a.inplace, 'inplace') ? G.dropout_(input, p, training) : G.dropout(input, p, training);
}

export function flatten(input: Tensor, startDim = 0, endDim = -1): Tensor {
  return tensorArg(input, 'input').flatten(startDim, endDim);
}

export function softmax(input: Tensor, dim: number, options?: { dtype?: DType }): Tensor {
  return tensorArg(input, 'input').softmax(dim, options);
}

export function logSoftmax(input: Tensor, dim: number, options?: { dtype?: DType }): Tensor {
  return tensorArg(input, 'input').logSoftmax(dim, options);
}

export interface CrossEntropyOptions {
  /** A manual rescaling weight per class. */
  weight?: Tensor | null;
  sizeAverage?: boolean | null;
  /** Targets equal to this are ignored (class-index targets only). */
  ignoreIndex?: number;
  reduce?: boolean | null;
  reduction?: Reduction;
  labelSmoothing?: number;
}

/** Cross entropy between logits and class indices (int64) or class probabilities. */
export function crossEntropy(input: Tensor, target: Tensor, options?: CrossEntropyOptions): Tensor;
export function crossEntropy(...args: unknown[]): Tensor {
  const o = bindArgs('crossEntropy', args, ['input', 'target'], {
    weight: null as unknown,
    sizeAverage: null as unknown,
    ignoreIndex: -100,
    reduce: null as unknown,
    reduction: 'mean' as unknown,
    labelSmoothing: 0,
  });
  const smoothing = checkNumber(o.labelSmoothing, 'labelSmoothing');
  if (smoothing < 0 || smoothing > 1) throw rangeError('a number between 0 and 1', 'labelSmoothing', smoothing);
  return _nn.crossEntropyLoss(
    tensorArg(o.input, 'input'),
    tensorArg(o.target, 'target'),
    optTensorOf(o.weight, 'weight'),
    reductionEnum(o.reduction, o.sizeAverage, o.reduce),
    checkInt(o.ignoreIndex, 'ignoreIndex'),
    smoothing,
  );
}

/** Negative log likelihood of log-probabilities at class indices. */
export function nllLoss(input: Tensor, target: Tensor, options?: Omit<CrossEntropyOptions, 'labelSmoothing'>): Tensor;
export function nllLoss(...args: unknown[]): Tensor {
  const o = bindArgs('nllLoss', args, ['input', 'target'], {
    weight: null as unknown,
    sizeAverage: null as unknown,
    ignoreIndex: -100,
    reduce: null as unknown,
    reduction: 'mean' as unknown,
  });
  return _nn.nllLossNd(
    tensorArg(o.input, 'input'),
    tensorArg(o.target, 'target'),
    optTensorOf(o.weight, 'weight'),
    reductionEnum(o.reduction, o.sizeAverage, o.reduce),
    checkInt(o.ignoreIndex, 'ignoreIndex'),
  );
}

/** Mean squared error. */
export function mseLoss(
  input: Tensor,
  target: Tensor,
  options?: { sizeAverage?: boolean | null; reduce?: boolean | null; reduction?: Reduction; weight?: Tensor | null },
): Tensor;
export function mseLoss(...args: unknown[]): Tensor {
  const o = bindArgs('mseLoss', args, ['input', 'target'], {
    sizeAverage: null as unknown,
    reduce: null as unknown,
    reduction: 'mean' as unknown,
    weight: null as unknown,
  });
  const [x, y] = broadcastTensors([tensorArg(o.input, 'input'), tensorArg(o.target, 'target')]);
  const w = optTensorOf(o.weight, 'weight');
  const r = reductionEnum(o.reduction, o.sizeAverage, o.reduce);
  if (w === null) return _nn.mseLoss(x, y, r);
  const loss = x.sub(y).pow(2).mul(w);
  return r === 0 ? loss : r === 2 ? loss.sum() : loss.sum().div(w.sum());
}

// ---- the rest of torch.nn.functional -------------------------------------------------
// Compositions written after torch/nn/functional.py, on the ops generated from libtorch's schema.
export * from './functional_activation';
export * from './functional_pooling';
export * from './functional_loss';
export * from './functional_misc';
export * from './functional_attention';
export type { Reduction as ReductionMode } from './functional_args';

// Functions that nn.functional takes straight from torch / torch._C._nn (functional.py's _add_docstr).
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
