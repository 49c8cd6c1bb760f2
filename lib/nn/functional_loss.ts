/** nn.functional losses, following torch/nn/functional.py on the generated ops. */
import * as T from '../torch/generated/functions';
import { _nn } from '../torch/generated/functions';
import { onesLike } from '../torch/creation';
import { rangeError, TorchError } from '../torch/errors';
import { noGrad } from '../torch/autograd';
import { Tensor } from '../torch/tensor';
import {
  bindArgs,
  bool,
  num,
  optTensorOf,
  type Reduction,
  reductionEnum,
  reductionString,
  tensorOf,
} from './functional_args';

type Legacy = { sizeAverage?: boolean | null; reduce?: boolean | null };
type Red = { reduction?: Reduction };

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  return reduction === 'mean' ? loss.mean() : reduction === 'sum' ? loss.sum() : loss;
}

/** Mean absolute error; with `weight`, a weighted mean over the weights. */
export function l1Loss(input: Tensor, target: Tensor, options?: Legacy & Red & { weight?: Tensor | null }): Tensor;
export function l1Loss(...args: unknown[]): Tensor {
  const a = bindArgs('l1Loss', args, ['input', 'target'], {
    sizeAverage: null as unknown,
    reduce: null as unknown,
    reduction: 'mean' as unknown,
    weight: null as unknown,
  });
  const [x, y] = T.broadcastTensors([tensorOf(a.input, 'input'), tensorOf(a.target, 'target')]);
  const r = reductionString(a.reduction, a.sizeAverage, a.reduce);
  const w = optTensorOf(a.weight, 'weight');
  if (w === null) return _nn.l1Loss(x, y, reductionEnum(r));
  const weighted = x.sub(y).abs().mul(w);
  return r === 'none' ? weighted : r === 'sum' ? weighted.sum() : weighted.sum().div(w.sum());
}

/** Smooth L1: quadratic below `beta`, linear above. */
export function smoothL1Loss(input: Tensor, target: Tensor, options?: Legacy & Red & { beta?: number }): Tensor;
export function smoothL1Loss(...args: unknown[]): Tensor {
  const a = bindArgs('smoothL1Loss', args, ['input', 'target'], {
    sizeAverage: null as unknown,
    reduce: null as unknown,
    reduction: 'mean' as unknown,
    beta: 1,
  });
  const [x, y] = T.broadcastTensors([tensorOf(a.input, 'input'), tensorOf(a.target, 'target')]);
  const r = reductionEnum(a.reduction, a.sizeAverage, a.reduce);
  const beta = num(a.beta, 'beta');
  return beta === 0 ? _nn.l1Loss(x, y, r) : _nn.smoothL1Loss(x, y, r, beta);
}

/** Huber loss: quadratic below `delta`, linear (scaled by delta) above. */
export function huberLoss(
  input: Tensor,
  target: Tensor,
  options?: Red & { delta?: number; weight?: Tensor | null },
): Tensor;
export function huberLoss(...args: unknown[]): Tensor {
  const a = bindArgs('huberLoss', args, ['input', 'target'], {
    reduction: 'mean' as unknown,
    delta: 1,
    weight: null as unknown,
  });
  const [x, y] = T.broadcastTensors([tensorOf(a.input, 'input'), tensorOf(a.target, 'target')]);
  const r = reductionString(a.reduction);
  const w = optTensorOf(a.weight, 'weight');
  if (w === null) return _nn.huberLoss(x, y, reductionEnum(r), num(a.delta, 'delta'));
  return reduce(_nn.huberLoss(x, y, 0, num(a.delta, 'delta')).mul(w), r);
}

/** Binary cross entropy between probabilities and targets. */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  options?: Legacy & Red & { weight?: Tensor | null },
): Tensor;
export function binaryCrossEntropy(...args: unknown[]): Tensor {
  const a = bindArgs('binaryCrossEntropy', args, ['input', 'target'], {
    weight: null as unknown,
    sizeAverage: null as unknown,
    reduce: null as unknown,
    reduction: 'mean' as unknown,
  });
  const x = tensorOf(a.input, 'input');
  const y = tensorOf(a.target, 'target');
  if (String(x.shape) !== String(y.shape))
    throw rangeError(`a target of the input's size [${x.shape}]`, 'target', `size [${y.shape}]`);
  let w = optTensorOf(a.weight, 'weight');
  if (w !== null) w = T.broadcastTensors([y, w])[1];
  return _nn.binaryCrossEntropy(x, y, w, reductionEnum(a.reduction, a.sizeAverage, a.reduce));
}

/** Sigmoid + binary cross entropy in one numerically stable op. */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options?: Legacy & Red & { weight?: Tensor | null; posWeight?: Tensor | null },
): Tensor;
export function binaryCrossEntropyWithLogits(...args: unknown[]): Tensor {
  const a = bindArgs('binaryCrossEntropyWithLogits', args, ['input', 'target'], {
    weight: null as unknown,
    sizeAverage: null as unknown,
    reduce: null as unknown,
    reduction: 'mean' as unknown,
    posWeight: null as unknown,
  });
  const x = tensorOf(a.input, 'input');
  const y = tensorOf(a.target, 'target');
  if (String(x.shape) !== String(y.shape))
    throw rangeError(`a target of the input's size [${x.shape}]`, 'target', `size [${y.shape}]`);
  return T.binaryCrossEntropyWithLogits(
    x,
    y,
    optTensorOf(a.weight, 'weight'),
    optTensorOf(a.posWeight, 'posWeight'),
    reductionEnum(a.reduction, a.sizeAverage, a.reduce),
  );
}

/** Kullback-Leibler divergence; `'batchmean'` divides the sum by the batch size. */
export function klDiv(
  input: Tensor,
  target: Tensor,
  options?: Legacy & { reduction?: Reduction | 'batchmean'; logTarget?: boolean },
): Tensor;
export function klDiv(...args: unknown[]): Tensor {
  const a = bindArgs('klDiv', args, ['input', 'target'], {
    sizeAverage: null as unknown,
    reduce: null as unknown,
    reduction: 'mean' as unknown,
    logTarget: false,
  });
  const x = tensorOf(a.input, 'input');
  const batchmean = a.reduction === 'batchmean';
  const r = batchmean ? 2 : reductionEnum(a.reduction, a.sizeAverage, a.reduce);
  const out = T.klDiv(x, tensorOf(a.target, 'target'), r, { logTarget: bool(a.logTarget, 'logTarget') });
  return batchmean && x.dim() !== 0 ? out.div(x.size(0)) : out;
}

/** Poisson negative log likelihood. */
export function poissonNllLoss(
  input: Tensor,
  target: Tensor,
  options?: Legacy & Red & { logInput?: boolean; full?: boolean; eps?: number },
): Tensor;
export function poissonNllLoss(...args: unknown[]): Tensor {
  const a = bindArgs('poissonNllLoss', args, ['input', 'target'], {
    logInput: true,
    full: false,
    sizeAverage: null as unknown,
    eps: 1e-8,
    reduce: null as unknown,
    reduction: 'mean' as unknown,
  });
  return T.poissonNllLoss(
    tensorOf(a.input, 'input'),
    tensorOf(a.target, 'target'),
    bool(a.logInput, 'logInput'),
    bool(a.full, 'full'),
    num(a.eps, 'eps'),
    reductionEnum(a.reduction, a.sizeAverage, a.reduce),
  );
}

/** Gaussian negative log likelihood with predicted variances `var`. */
export function gaussianNllLoss(
  input: Tensor,
  target: Tensor,
  variance: Tensor | number,
  options?: Red & { full?: boolean; eps?: number },
): Tensor;
export function gaussianNllLoss(...args: unknown[]): Tensor {
  const a = bindArgs('gaussianNllLoss', args, ['input', 'target', 'var'], {
    full: false,
    eps: 1e-6,
    reduction: 'mean' as unknown,
  });
  const x = tensorOf(a.input, 'input');
  const y = tensorOf(a.target, 'target');
  let v: Tensor;
  if (typeof a.var === 'number') {
    if (a.var < 0) throw rangeError('a non-negative variance', 'var', a.var);
    v = onesLike(x).mul(a.var);
  } else {
    v = tensorOf(a.var, 'var');
    if (v.lt(0).any().item()) throw rangeError('non-negative variances', 'var', 'a tensor with negative entries');
  }
  if (String(v.shape) !== String(x.shape)) {
    if (String(x.shape.slice(0, -1)) === String(v.shape)) v = v.unsqueeze(-1);
    else if (!(x.ndim === v.ndim && x.shape.reduce((s, d, i) => s + (d !== v.shape[i] ? v.shape[i] : 0), 0) === 1)) {
      throw rangeError(`a variance of the input's size [${x.shape}]`, 'var', `size [${v.shape}]`);
    }
  }
  const r = reductionString(a.reduction);
  v = v.clone();
  noGrad(() => v.clamp_(num(a.eps, 'eps')));
  let loss = v.log().add(x.sub(y).pow(2).div(v)).mul(0.5);
  if (bool(a.full, 'full')) loss = loss.add(0.5 * Math.log(2 * Math.PI));
  return reduce(loss, r);
}

/** `max(0, -y * (x1 - x2) + margin)` */
export function marginRankingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  options?: Legacy & Red & { margin?: number },
): Tensor;
export function marginRankingLoss(...args: unknown[]): Tensor {
  const a = bindArgs('marginRankingLoss', args, ['input1', 'input2', 'target'], {
    margin: 0,
    sizeAverage: null as unknown,
    reduce: null as unknown,
    reduction: 'mean' as unknown,
  });
  const x1 = tensorOf(a.input1, 'input1');
  const x2 = tensorOf(a.input2, 'input2');
  const y = tensorOf(a.target, 'target');
  if (x1.dim() !== x2.dim() || x1.dim() !== y.dim())
    throw new TorchError(
      `margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: [${x1.shape}], input2: [${x2.shape}], target: [${y.shape}]`,
    );
  return T.marginRankingLoss(x1, x2, y, num(a.margin, 'margin'), reductionEnum(a.reduction, a.sizeAverage, a.reduce));
}

export function hingeEmbeddingLoss(input: Tensor, target: Tensor, options?: Legacy & Red & { margin?: number }): Tensor;
export function hingeEmbeddingLoss(...args: unknown[]): Tensor {
  const a = bindArgs('hingeEmbeddingLoss', args, ['input', 'target'], {
    margin: 1,
    sizeAverage: null as unknown,
    reduce: null as unknown,
    reduction: 'mean' as unknown,
  });
  return T.hingeEmbeddingLoss(
    tensorOf(a.input, 'input'),
    tensorOf(a.target, 'target'),
    num(a.margin, 'margin'),
    reductionEnum(a.reduction, a.sizeAverage, a.reduce),
  );
}

export function multilabelMarginLoss(input: Tensor, target: Tensor, options?: Legacy & Red): Tensor;
export function multilabelMarginLoss(...args: unknown[]): Tensor {
  const a = bindArgs('multilabelMarginLoss', args, ['input', 'target'], {
    sizeAverage: null as unknown,
    reduce: null as unknown,
    reduction: 'mean' as unknown,
  });
  return _nn.multilabelMarginLoss(
    tensorOf(a.input, 'input'),
    tensorOf(a.target, 'target'),
    reductionEnum(a.reduction, a.sizeAverage, a.reduce),
  );
}

export function softMarginLoss(input: Tensor, target: Tensor, options?: Legacy & Red): Tensor;
export function softMarginLoss(...args: unknown[]): Tensor {
  const a = bindArgs('softMarginLoss', args, ['input', 'target'], {
    sizeAverage: null as unknown,
    reduce: null as unknown,
    reduction: 'mean' as unknown,
  });
  return _nn.softMarginLoss(
    tensorOf(a.input, 'input'),
    tensorOf(a.target, 'target'),
    reductionEnum(a.reduction, a.sizeAverage, a.reduce),
  );
}

export function multilabelSoftMarginLoss(
  input: Tensor,
  target: Tensor,
  options?: Legacy & Red & { weight?: Tensor | null },
): Tensor;
export function multilabelSoftMarginLoss(...args: unknown[]): Tensor {
  const a = bindArgs('multilabelSoftMarginLoss', args, ['input', 'target'], {
    weight: null as unknown,
    sizeAverage: null as unknown,
    reduce: null as unknown,
    reduction: 'mean' as unknown,
  });
  const x = tensorOf(a.input, 'input');
  const y = tensorOf(a.target, 'target');
  const r = reductionString(a.reduction, a.sizeAverage, a.reduce);
  let loss = y
    .mul(_nn.logSigmoid(x))
    .add(y.neg().add(1).mul(_nn.logSigmoid(x.neg())))
    .neg();
  const w = optTensorOf(a.weight, 'weight');
  if (w !== null) loss = loss.mul(w);
  const classDim = x.dim() - 1;
  loss = loss.sum(classDim).div(x.size(classDim));
  return reduce(loss, r);
}

export function cosineEmbeddingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  options?: Legacy & Red & { margin?: number },
): Tensor;
export function cosineEmbeddingLoss(...args: unknown[]): Tensor {
  const a = bindArgs('cosineEmbeddingLoss', args, ['input1', 'input2', 'target'], {
    margin: 0,
    sizeAverage: null as unknown,
    reduce: null as unknown,
    reduction: 'mean' as unknown,
  });
  return T.cosineEmbeddingLoss(
    tensorOf(a.input1, 'input1'),
    tensorOf(a.input2, 'input2'),
    tensorOf(a.target, 'target'),
    num(a.margin, 'margin'),
    reductionEnum(a.reduction, a.sizeAverage, a.reduce),
  );
}

export function multiMarginLoss(
  input: Tensor,
  target: Tensor,
  options?: Legacy & Red & { p?: 1 | 2; margin?: number; weight?: Tensor | null },
): Tensor;
export function multiMarginLoss(...args: unknown[]): Tensor {
  const a = bindArgs('multiMarginLoss', args, ['input', 'target'], {
    p: 1,
    margin: 1,
    weight: null as unknown,
    sizeAverage: null as unknown,
    reduce: null as unknown,
    reduction: 'mean' as unknown,
  });
  if (a.p !== 1 && a.p !== 2) throw rangeError('1 or 2', 'p', a.p);
  const w = optTensorOf(a.weight, 'weight');
  if (w !== null && w.dim() !== 1) throw rangeError('a one-dimensional weight', 'weight', `a ${w.dim()}-d tensor`);
  return _nn.multiMarginLoss(
    tensorOf(a.input, 'input'),
    tensorOf(a.target, 'target'),
    a.p,
    num(a.margin, 'margin'),
    w,
    reductionEnum(a.reduction, a.sizeAverage, a.reduce),
  );
}

type TripletOptions = Legacy & Red & { margin?: number; p?: number; eps?: number; swap?: boolean };
export function tripletMarginLoss(anchor: Tensor, positive: Tensor, negative: Tensor, options?: TripletOptions): Tensor;
export function tripletMarginLoss(...args: unknown[]): Tensor {
  const a = bindArgs('tripletMarginLoss', args, ['anchor', 'positive', 'negative'], {
    margin: 1,
    p: 2,
    eps: 1e-6,
    swap: false,
    sizeAverage: null as unknown,
    reduce: null as unknown,
    reduction: 'mean' as unknown,
  });
  const [an, po, ne] = [
    tensorOf(a.anchor, 'anchor'),
    tensorOf(a.positive, 'positive'),
    tensorOf(a.negative, 'negative'),
  ];
  if (an.ndim !== po.ndim || po.ndim !== ne.ndim)
    throw new TorchError(
      `The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: anchor ${an.ndim}D, positive ${po.ndim}D, and negative ${ne.ndim}D inputs`,
    );
  return T.tripletMarginLoss(
    an,
    po,
    ne,
    num(a.margin, 'margin'),
    num(a.p, 'p'),
    num(a.eps, 'eps'),
    bool(a.swap, 'swap'),
    reductionEnum(a.reduction, a.sizeAverage, a.reduce),
  );
}

/** Triplet loss with any distance function (pairwise distance by default). */
export function tripletMarginWithDistanceLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options?: Red & { distanceFunction?: ((a: Tensor, b: Tensor) => Tensor) | null; margin?: number; swap?: boolean },
): Tensor {
  const o = bindArgs(
    'tripletMarginWithDistanceLoss',
    [anchor, positive, negative, options ?? {}],
    ['anchor', 'positive', 'negative'],
    { distanceFunction: null as unknown, margin: 1, swap: false, reduction: 'mean' as unknown },
  );
  const r = reductionString(o.reduction);
  if (num(o.margin, 'margin') <= 0) throw rangeError('a margin > 0', 'margin', o.margin);
  const [an, po, ne] = [tensorOf(anchor, 'anchor'), tensorOf(positive, 'positive'), tensorOf(negative, 'negative')];
  const dist =
    (o.distanceFunction as ((a: Tensor, b: Tensor) => Tensor) | null) ??
    ((x: Tensor, y: Tensor) => T.pairwiseDistance(x, y));
  const dPos = dist(an, po);
  let dNeg = dist(an, ne);
  if (bool(o.swap, 'swap')) dNeg = dNeg.minimum(dist(po, ne));
  const loss = T.clampMin(dPos.sub(dNeg).add(o.margin as number), 0);
  return reduce(loss, r);
}

/** Connectionist temporal classification loss. */
export function ctcLoss(
  logProbs: Tensor,
  targets: Tensor,
  inputLengths: Tensor | readonly number[],
  targetLengths: Tensor | readonly number[],
  options?: Red & { blank?: number; zeroInfinity?: boolean },
): Tensor;
export function ctcLoss(...args: unknown[]): Tensor {
  const a = bindArgs('ctcLoss', args, ['logProbs', 'targets', 'inputLengths', 'targetLengths'], {
    blank: 0,
    reduction: 'mean' as unknown,
    zeroInfinity: false,
  });
  return T.ctcLoss(
    tensorOf(a.logProbs, 'logProbs'),
    tensorOf(a.targets, 'targets'),
    a.inputLengths as never,
    a.targetLengths as never,
    a.blank as number,
    reductionEnum(a.reduction),
    bool(a.zeroInfinity, 'zeroInfinity'),
  );
}

void Tensor;
