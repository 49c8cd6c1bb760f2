/**
 * torch/nn/modules/loss.py. Constructor arguments are PyTorch's, positional in its order (the
 * legacy `sizeAverage`/`reduce` included, as in Python) or in an options object after them:
 * `new nn.BCEWithLogitsLoss({ posWeight })`, `new nn.SmoothL1Loss({ beta: 0.5 })`. A class
 * `weight` (and BCEWithLogitsLoss's `pos_weight`) is a buffer, as in PyTorch.
 */
import * as F from '../functional';
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkOptions, optionKeys, checkBool, checkInt, checkNumber, rangeError, typeError } from '../../torch/errors';
import { Tensor } from '../../torch/tensor';
import { Module } from '../module';
import { reductionString } from '../functional_args';
import { PairwiseDistance } from './distance';

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

type Reduction = 'none' | 'mean' | 'sum';
/** PyTorch's deprecated `size_average` and `reduce`: when either is given, they set the reduction. */
export interface LegacyReduction {
  sizeAverage?: boolean | null;
  reduce?: boolean | null;
  reduction?: Reduction;
}
const LEGACY = ['sizeAverage', 'reduce', 'reduction'] as const;

/** PyTorch's `_Loss`: `reduction` from reduction/sizeAverage/reduce. */
abstract class Loss extends Module {
  readonly reduction: Reduction;
  constructor(o: LegacyReduction) {
    super();
    this.reduction = reductionString(o.reduction ?? 'mean', o.sizeAverage, o.reduce);
  }
}

function optTensor(v: unknown, argument: string): Tensor | null {
  if (v === undefined || v === null) return null;
  if (!(v instanceof Tensor)) throw typeError('a Tensor or null', argument, v);
  return v;
}

/** PyTorch's `_WeightedLoss`: a `weight` buffer (state-dict key 'weight'). */
abstract class WeightedLoss extends Loss {
  declare weight: Tensor | null;
  constructor(o: LegacyReduction & { weight?: Tensor | null }) {
    super(o);
    this.registerBuffer('weight', optTensor(o.weight, 'weight'));
  }
}

type LegacyArgs = [sizeAverage: boolean | null, reduce: boolean | null, reduction: Reduction];
type WeightedArgs = [weight: Tensor | null, ...LegacyArgs];
type WeightOptions = LegacyReduction & { weight?: Tensor | null };

/** Mean absolute error. */
export class L1Loss extends Loss {
  constructor(...args: WithOptions<LegacyArgs, LegacyReduction>) {
    super(bindArgs<LegacyReduction>(args, LEGACY, 'L1Loss'));
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.l1Loss(input, target, { reduction: this.reduction });
  }
}

/** Binary cross entropy between probabilities and targets, with an optional per-element `weight`. */
export class BCELoss extends WeightedLoss {
  constructor(...args: WithOptions<WeightedArgs, WeightOptions>) {
    super(bindArgs<WeightOptions>(args, ['weight', ...LEGACY], 'BCELoss'));
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

type BCEWithLogitsOptions = WeightOptions & { posWeight?: Tensor | null };
/** Sigmoid plus binary cross entropy in one numerically stable op; `posWeight` weighs positives. */
export class BCEWithLogitsLoss extends Loss {
  declare weight: Tensor | null;
  declare pos_weight: Tensor | null;
  constructor(...args: WithOptions<[...WeightedArgs, posWeight: Tensor | null], BCEWithLogitsOptions>) {
    const o = bindArgs<BCEWithLogitsOptions>(args, ['weight', ...LEGACY, 'posWeight'], 'BCEWithLogitsLoss');
    super(o);
    this.registerBuffer('weight', optTensor(o.weight, 'weight'));
    this.registerBuffer('pos_weight', optTensor(o.posWeight, 'posWeight'));
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, {
      weight: this.weight,
      posWeight: this.pos_weight,
      reduction: this.reduction,
    });
  }
}

/** Smooth L1 (quadratic below `beta`, linear above). */
export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(...args: WithOptions<[...LegacyArgs, beta: number], LegacyReduction & { beta?: number }>) {
    const o = bindArgs<LegacyReduction & { beta: number }>(args, [...LEGACY, 'beta'], 'SmoothL1Loss');
    super(o);
    this.beta = checkNumber(o.beta ?? 1, 'beta');
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/** Huber loss (quadratic below `delta`, linear above). */
export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(...args: WithOptions<[reduction: Reduction, delta: number], { reduction?: Reduction; delta?: number }>) {
    const o = bindArgs<{ reduction: Reduction; delta: number }>(args, ['reduction', 'delta'], 'HuberLoss');
    super({ reduction: o.reduction });
    this.delta = checkNumber(o.delta ?? 1, 'delta');
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

type KLDivOptions = {
  sizeAverage?: boolean | null;
  reduce?: boolean | null;
  reduction?: Reduction | 'batchmean';
  logTarget?: boolean;
};
/** Kullback-Leibler divergence of log-probabilities `input` from `target`. */
export class KLDivLoss extends Module {
  readonly reduction: Reduction | 'batchmean';
  readonly logTarget: boolean;
  constructor(
    ...args: WithOptions<
      [sizeAverage: boolean | null, reduce: boolean | null, reduction: Reduction | 'batchmean', logTarget: boolean],
      KLDivOptions
    >
  ) {
    super();
    const o = bindArgs<KLDivOptions>(args, [...LEGACY, 'logTarget'], 'KLDivLoss');
    const legacy = (o.sizeAverage ?? null) !== null || (o.reduce ?? null) !== null;
    const r = o.reduction ?? 'mean';
    if (!legacy && r === 'batchmean') this.reduction = r;
    else this.reduction = reductionString(r, o.sizeAverage, o.reduce);
    this.logTarget = checkBool(o.logTarget ?? false, 'logTarget');
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

type PoissonOptions = LegacyReduction & { logInput?: boolean; full?: boolean; eps?: number };
/** Negative log likelihood of a Poisson distribution (with the Stirling term when `full`). */
export class PoissonNLLLoss extends Loss {
  readonly logInput: boolean;
  readonly full: boolean;
  readonly eps: number;
  constructor(
    ...args: WithOptions<
      [
        logInput: boolean,
        full: boolean,
        sizeAverage: boolean | null,
        eps: number,
        reduce: boolean | null,
        reduction: Reduction,
      ],
      PoissonOptions
    >
  ) {
    const o = bindArgs<PoissonOptions>(
      args,
      ['logInput', 'full', 'sizeAverage', 'eps', 'reduce', 'reduction'],
      'PoissonNLLLoss',
    );
    super(o);
    this.logInput = checkBool(o.logInput ?? true, 'logInput');
    this.full = checkBool(o.full ?? false, 'full');
    this.eps = checkNumber(o.eps ?? 1e-8, 'eps');
  }
  forward(logInput: Tensor, target: Tensor): Tensor {
    return F.poissonNllLoss(logInput, target, {
      logInput: this.logInput,
      full: this.full,
      eps: this.eps,
      reduction: this.reduction,
    });
  }
}

type GaussianOptions = { full?: boolean; eps?: number; reduction?: Reduction };
/** Negative log likelihood of a Gaussian with predicted mean `input` and variance `var` (keyword-only options). */
export class GaussianNLLLoss extends Loss {
  readonly full: boolean;
  readonly eps: number;
  constructor(options: GaussianOptions = {}) {
    const o = bindArgs<GaussianOptions>([options], [], 'GaussianNLLLoss', ['full', 'eps', 'reduction']);
    super({ reduction: o.reduction });
    this.full = checkBool(o.full ?? false, 'full');
    this.eps = checkNumber(o.eps ?? 1e-6, 'eps');
  }
  forward(input: Tensor, target: Tensor, variance: Tensor | number): Tensor {
    return F.gaussianNllLoss(input, target, variance, { full: this.full, eps: this.eps, reduction: this.reduction });
  }
}

type MarginOptions = LegacyReduction & { margin?: number };
type MarginArgs = WithOptions<[margin: number, ...LegacyArgs], MarginOptions>;

/** Hinge loss on (x, y in {1, -1}) pairs: `x` for y = 1, `max(0, margin - x)` for y = -1. */
export class HingeEmbeddingLoss extends Loss {
  readonly margin: number;
  constructor(...args: MarginArgs) {
    const o = bindArgs<MarginOptions>(args, ['margin', ...LEGACY], 'HingeEmbeddingLoss');
    super(o);
    this.margin = checkNumber(o.margin ?? 1, 'margin');
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.hingeEmbeddingLoss(input, target, { margin: this.margin, reduction: this.reduction });
  }
}

/** `max(0, -y * (x1 - x2) + margin)` for rankings y in {1, -1}. */
export class MarginRankingLoss extends Loss {
  readonly margin: number;
  constructor(...args: MarginArgs) {
    const o = bindArgs<MarginOptions>(args, ['margin', ...LEGACY], 'MarginRankingLoss');
    super(o);
    this.margin = checkNumber(o.margin ?? 0, 'margin');
  }
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return F.marginRankingLoss(input1, input2, target, { margin: this.margin, reduction: this.reduction });
  }
}

/** Cosine-similarity loss on pairs labelled similar (1) or dissimilar (-1). */
export class CosineEmbeddingLoss extends Loss {
  readonly margin: number;
  constructor(...args: MarginArgs) {
    const o = bindArgs<MarginOptions>(args, ['margin', ...LEGACY], 'CosineEmbeddingLoss');
    super(o);
    this.margin = checkNumber(o.margin ?? 0, 'margin');
  }
  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return F.cosineEmbeddingLoss(input1, input2, target, { margin: this.margin, reduction: this.reduction });
  }
}

/** Multi-class multi-label hinge loss (targets: class indices padded with -1). */
export class MultiLabelMarginLoss extends Loss {
  constructor(...args: WithOptions<LegacyArgs, LegacyReduction>) {
    super(bindArgs<LegacyReduction>(args, LEGACY, 'MultiLabelMarginLoss'));
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.multilabelMarginLoss(input, target, { reduction: this.reduction });
  }
}

/** Two-class logistic loss `log(1 + exp(-y * x))`. */
export class SoftMarginLoss extends Loss {
  constructor(...args: WithOptions<LegacyArgs, LegacyReduction>) {
    super(bindArgs<LegacyReduction>(args, LEGACY, 'SoftMarginLoss'));
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.softMarginLoss(input, target, { reduction: this.reduction });
  }
}

/** Multi-label one-versus-all loss on logits, with an optional per-class `weight`. */
export class MultiLabelSoftMarginLoss extends WeightedLoss {
  constructor(...args: WithOptions<WeightedArgs, WeightOptions>) {
    super(bindArgs<WeightOptions>(args, ['weight', ...LEGACY], 'MultiLabelSoftMarginLoss'));
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.multilabelSoftMarginLoss(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

type MultiMarginOptions = WeightOptions & { p?: 1 | 2; margin?: number };
/** Multi-class hinge loss (p = 1 or 2). */
export class MultiMarginLoss extends WeightedLoss {
  readonly p: 1 | 2;
  readonly margin: number;
  constructor(...args: WithOptions<[p: 1 | 2, margin: number, ...WeightedArgs], MultiMarginOptions>) {
    const o = bindArgs<MultiMarginOptions>(args, ['p', 'margin', 'weight', ...LEGACY], 'MultiMarginLoss');
    super(o);
    const p = o.p ?? 1;
    if (p !== 1 && p !== 2) throw rangeError('1 or 2', 'p', p);
    if (this.weight !== null && this.weight.dim() !== 1)
      throw rangeError('a 1-d weight', 'weight', `a ${this.weight.dim()}-d tensor`);
    this.p = p;
    this.margin = checkNumber(o.margin ?? 1, 'margin');
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return F.multiMarginLoss(input, target, {
      p: this.p,
      margin: this.margin,
      weight: this.weight,
      reduction: this.reduction,
    });
  }
}

type TripletOptions = LegacyReduction & { margin?: number; p?: number; eps?: number; swap?: boolean };
/** Triplet loss `max(d(a, p) - d(a, n) + margin, 0)` with the p-norm distance. */
export class TripletMarginLoss extends Loss {
  readonly margin: number;
  readonly p: number;
  readonly eps: number;
  readonly swap: boolean;
  constructor(
    ...args: WithOptions<[margin: number, p: number, eps: number, swap: boolean, ...LegacyArgs], TripletOptions>
  ) {
    const o = bindArgs<TripletOptions>(args, ['margin', 'p', 'eps', 'swap', ...LEGACY], 'TripletMarginLoss');
    super(o);
    this.margin = checkNumber(o.margin ?? 1, 'margin');
    if (this.margin <= 0) throw rangeError('a margin greater than 0', 'margin', this.margin);
    this.p = checkNumber(o.p ?? 2, 'p');
    this.eps = checkNumber(o.eps ?? 1e-6, 'eps');
    this.swap = checkBool(o.swap ?? false, 'swap');
  }
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    return F.tripletMarginLoss(anchor, positive, negative, {
      margin: this.margin,
      p: this.p,
      eps: this.eps,
      swap: this.swap,
      reduction: this.reduction,
    });
  }
}

type Distance = ((a: Tensor, b: Tensor) => Tensor) | Module;
type TripletDistanceOptions = {
  distanceFunction?: Distance | null;
  margin?: number;
  swap?: boolean;
  reduction?: Reduction;
};
/**
 * Triplet loss with any distance (keyword-only options, as in PyTorch); the default
 * distance is a `PairwiseDistance()` child module, as PyTorch's.
 */
export class TripletMarginWithDistanceLoss extends Loss {
  distance_function: Distance;
  readonly margin: number;
  readonly swap: boolean;
  constructor(options: TripletDistanceOptions = {}) {
    const o = bindArgs<TripletDistanceOptions>([options], [], 'TripletMarginWithDistanceLoss', [
      'distanceFunction',
      'margin',
      'swap',
      'reduction',
    ]);
    super({ reduction: o.reduction });
    this.margin = checkNumber(o.margin ?? 1, 'margin');
    if (this.margin <= 0) throw rangeError('a margin greater than 0', 'margin', this.margin);
    const d = o.distanceFunction ?? null;
    if (d !== null && typeof d !== 'function' && !(d instanceof Module))
      throw typeError('a function or a Module', 'distanceFunction', d);
    this.distance_function = d ?? new PairwiseDistance();
    this.swap = checkBool(o.swap ?? false, 'swap');
  }
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    const d = this.distance_function;
    const fn =
      d instanceof Module
        ? (a: Tensor, b: Tensor) => (d as Module & { forward(a: Tensor, b: Tensor): Tensor }).forward(a, b)
        : d;
    return F.tripletMarginWithDistanceLoss(anchor, positive, negative, {
      distanceFunction: fn,
      margin: this.margin,
      swap: this.swap,
      reduction: this.reduction,
    });
  }
}

type CTCOptions = { blank?: number; reduction?: Reduction; zeroInfinity?: boolean };
/** Connectionist temporal classification loss. */
export class CTCLoss extends Loss {
  readonly blank: number;
  readonly zeroInfinity: boolean;
  constructor(...args: WithOptions<[blank: number, reduction: Reduction, zeroInfinity: boolean], CTCOptions>) {
    const o = bindArgs<CTCOptions>(args, ['blank', 'reduction', 'zeroInfinity'], 'CTCLoss');
    super({ reduction: o.reduction });
    this.blank = checkInt(o.blank ?? 0, 'blank', 0);
    this.zeroInfinity = checkBool(o.zeroInfinity ?? false, 'zeroInfinity');
  }
  forward(
    logProbs: Tensor,
    targets: Tensor,
    inputLengths: Tensor | readonly number[],
    targetLengths: Tensor | readonly number[],
  ): Tensor {
    return F.ctcLoss(logProbs, targets, inputLengths, targetLengths, {
      blank: this.blank,
      reduction: this.reduction,
      zeroInfinity: this.zeroInfinity,
    });
  }
}

/** Deprecated in PyTorch in favour of NLLLoss, which it is. */
export class NLLLoss2d extends NLLLoss {}
