/**
 * Learning-rate schedulers, as `torch.optim.lr_scheduler` (PyTorch 2.13 semantics, the same
 * recursive ("chainable") formulas, so the values match PyTorch's to rounding): StepLR,
 * MultiStepLR, LinearLR, CosineAnnealingLR, SequentialLR, ChainedScheduler and OneCycleLR
 * here; ConstantLR, ExponentialLR, PolynomialLR, LambdaLR and MultiplicativeLR in
 * lr_scheduler_factor.ts; CyclicLR and CosineAnnealingWarmRestarts in lr_scheduler_cyclic.ts;
 * ReduceLROnPlateau in lr_scheduler_plateau.ts.
 *
 *     const opt = new optim.SGD(model.parameters(), 0.1, { momentum: 0.9 });
 *     const sched = new optim.lr_scheduler.StepLR(opt, 30, { gamma: 0.1 });
 *     for (let epoch = 0; epoch < 90; epoch++) { train(opt); sched.step(); }
 *
 * A scheduler writes `lr` (and, for OneCycleLR and CyclicLR, `momentum` or `betas[0]`) into the
 * optimizer's `paramGroups`, and keeps PyTorch's bookkeeping in each group under camelCase
 * names: `initialLr` (PyTorch's `initial_lr`), and for OneCycleLR `maxLr`, `minLr`, and for
 * both `maxMomentum`, `baseMomentum` (the optimizer's `stateDict()` writes them snake_case).
 * A scheduler's `stateDict()` is a plain object with its fields (camelCase); functions
 * (LambdaLR's) are left out, as PyTorch leaves them out.
 */
import { bindArgs, type WithOptions } from '../torch/args';
import {
  checkBool,
  checkInt,
  checkIntList,
  checkNumber,
  checkOptions,
  rangeError,
  TorchError,
  typeError,
} from '../torch/errors';
import { Optimizer } from './optimizer';
import { bisectRight, groupNumber, LRScheduler, perGroup, type SchedulerStateDict } from './lr_scheduler_base';
import { ReduceLROnPlateau } from './lr_scheduler_plateau';

export { LRScheduler, type SchedulerStateDict } from './lr_scheduler_base';
export {
  ConstantLR,
  type ConstantLROptions,
  ExponentialLR,
  LambdaLR,
  type LrLambda,
  MultiplicativeLR,
  PolynomialLR,
  type PolynomialLROptions,
} from './lr_scheduler_factor';
export {
  CosineAnnealingWarmRestarts,
  type CosineAnnealingWarmRestartsOptions,
  CyclicLR,
  type CyclicLROptions,
} from './lr_scheduler_cyclic';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './lr_scheduler_plateau';

/** Options of the schedulers that take only `lastEpoch` besides their own. */
interface WithLastEpoch {
  /** The index of the last step, to resume a schedule (default -1: start it). */
  lastEpoch?: number;
}

export interface StepLROptions extends WithLastEpoch {
  /** Multiplicative factor of the decay (default 0.1). */
  gamma?: number;
}

/** Decays each group's rate by `gamma` every `stepSize` steps (`lr_scheduler.StepLR`). */
export class StepLR extends LRScheduler {
  declare readonly stepSize: number;
  declare readonly gamma: number;

  constructor(
    optimizer: Optimizer,
    stepSize: number,
    ...args: WithOptions<[gamma: number, lastEpoch: number], StepLROptions>
  ) {
    const { gamma = 0.1, lastEpoch = -1 } = bindArgs<StepLROptions>(args, ['gamma', 'lastEpoch'], 'StepLR');
    super(optimizer, lastEpoch, { stepSize: checkInt(stepSize, 'stepSize', 1), gamma: checkNumber(gamma, 'gamma') });
  }

  protected getLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/**
 * Decays each group's rate by `gamma` at each milestone (`lr_scheduler.MultiStepLR`); a
 * milestone listed n times decays by `gamma ** n`. `milestones` holds the counts by step.
 */
export class MultiStepLR extends LRScheduler {
  declare readonly milestones: Record<number, number>;
  declare readonly gamma: number;

  constructor(
    optimizer: Optimizer,
    milestones: number[],
    ...args: WithOptions<[gamma: number, lastEpoch: number], StepLROptions>
  ) {
    const { gamma = 0.1, lastEpoch = -1 } = bindArgs<StepLROptions>(args, ['gamma', 'lastEpoch'], 'MultiStepLR');
    const counts: Record<number, number> = {};
    for (const m of checkIntList(milestones, 'milestones')) counts[m] = (counts[m] ?? 0) + 1;
    super(optimizer, lastEpoch, { milestones: counts, gamma: checkNumber(gamma, 'gamma') });
  }

  protected getLr(): number[] {
    const n = this.milestones[this.lastEpoch];
    const groups = this.optimizer.paramGroups;
    if (n === undefined) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma ** n);
  }

  protected override closedFormLr(): number[] {
    const sorted = Object.entries(this.milestones)
      .flatMap(([m, n]) => new Array<number>(n).fill(Number(m)))
      .sort((a, b) => a - b);
    return this.baseLrs.map((b) => b * this.gamma ** bisectRight(sorted, this.lastEpoch));
  }
}

export interface LinearLROptions extends WithLastEpoch {
  /** The factor of the first step, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** The factor reached after `totalIters` steps, in [0, 1] (default 1). */
  endFactor?: number;
  /** Steps over which the factor moves from start to end (default 5). */
  totalIters?: number;
}

/** Scales each group's rate by a factor moving linearly from `startFactor` to `endFactor` (`lr_scheduler.LinearLR`). */
export class LinearLR extends LRScheduler {
  declare readonly startFactor: number;
  declare readonly endFactor: number;
  declare readonly totalIters: number;

  constructor(
    optimizer: Optimizer,
    ...args: WithOptions<
      [startFactor: number, endFactor: number, totalIters: number, lastEpoch: number],
      LinearLROptions
    >
  ) {
    const {
      startFactor = 1 / 3,
      endFactor = 1,
      totalIters = 5,
      lastEpoch = -1,
    } = bindArgs<LinearLROptions>(args, ['startFactor', 'endFactor', 'totalIters', 'lastEpoch'], 'LinearLR');
    if (checkNumber(startFactor, 'startFactor') <= 0 || startFactor > 1)
      throw rangeError('a number in (0, 1]', 'startFactor', startFactor);
    if (checkNumber(endFactor, 'endFactor') < 0 || endFactor > 1)
      throw rangeError('a number in [0, 1]', 'endFactor', endFactor);
    super(optimizer, lastEpoch, { startFactor, endFactor, totalIters: checkInt(totalIters, 'totalIters', 1) });
  }

  protected getLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0) return groups.map((g) => g.lr * this.startFactor);
    if (this.isInitial || this.lastEpoch > this.totalIters) return groups.map((g) => g.lr);
    const d = this.endFactor - this.startFactor;
    return groups.map((g) => g.lr * (1.0 + d / (this.totalIters * this.startFactor + (this.lastEpoch - 1) * d)));
  }

  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: t } = this;
    return this.baseLrs.map((b) => b * (s + ((e - s) * Math.min(t, this.lastEpoch)) / t));
  }
}

export interface CosineAnnealingLROptions extends WithLastEpoch {
  /** The minimum learning rate (default 0). */
  etaMin?: number;
}

/**
 * Cosine annealing from each group's initial rate down to `etaMin` over `tMax` steps
 * (`lr_scheduler.CosineAnnealingLR`), computed with PyTorch's recursive formula; past
 * `tMax` the rate rises again, as in PyTorch.
 */
export class CosineAnnealingLR extends LRScheduler {
  declare readonly tMax: number;
  declare readonly etaMin: number;

  constructor(
    optimizer: Optimizer,
    tMax: number,
    ...args: WithOptions<[etaMin: number, lastEpoch: number], CosineAnnealingLROptions>
  ) {
    const { etaMin = 0, lastEpoch = -1 } = bindArgs<CosineAnnealingLROptions>(
      args,
      ['etaMin', 'lastEpoch'],
      'CosineAnnealingLR',
    );
    super(optimizer, lastEpoch, { tMax: checkInt(tMax, 'tMax', 1), etaMin: checkNumber(etaMin, 'etaMin') });
  }

  protected getLr(): number[] {
    const { tMax, etaMin, lastEpoch } = this;
    const groups = this.optimizer.paramGroups;
    if (this.isInitial) return groups.map((g) => g.lr);
    if (this.stepCount === 1 && lastEpoch > 0) {
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((lastEpoch * Math.PI) / tMax))) / 2);
    }
    if ((lastEpoch - 1 - tMax) % (2 * tMax) === 0) {
      return groups.map((g, i) => g.lr + ((this.baseLrs[i] - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
    }
    const ratio = (1 + Math.cos((Math.PI * lastEpoch) / tMax)) / (1 + Math.cos((Math.PI * (lastEpoch - 1)) / tMax));
    return groups.map((g) => ratio * (g.lr - etaMin) + etaMin);
  }

  protected override closedFormLr(): number[] {
    const { tMax, etaMin } = this;
    return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / tMax))) / 2);
  }
}

/**
 * Runs `schedulers` one after the other, switching at `milestones` (`lr_scheduler.SequentialLR`):
 * scheduler i + 1 takes over at step `milestones[i]`, starting from its closed form at 0.
 */
export class SequentialLR extends LRScheduler {
  declare readonly schedulers: LRScheduler[];
  declare readonly milestones: number[];

  constructor(
    optimizer: Optimizer,
    schedulers: LRScheduler[],
    milestones: number[],
    ...args: WithOptions<[lastEpoch: number], WithLastEpoch>
  ) {
    const { lastEpoch = -1 } = bindArgs<WithLastEpoch>(args, ['lastEpoch'], 'SequentialLR');
    if (!Array.isArray(schedulers) || schedulers.length === 0)
      throw typeError('a non-empty array of schedulers', 'schedulers', schedulers);
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) throw typeError('an LRScheduler', `schedulers[${i}]`, s);
      if (s.optimizer !== optimizer)
        throw rangeError('a scheduler of the same optimizer', `schedulers[${i}]`, s.constructor.name);
    });
    checkIntList(milestones, 'milestones');
    if (milestones.length !== schedulers.length - 1) {
      throw rangeError(`${schedulers.length - 1} milestones (one fewer than the schedulers)`, 'milestones', milestones);
    }
    if (milestones.some((m, i) => i > 0 && m < milestones[i - 1]))
      throw rangeError('non-decreasing milestones', 'milestones', milestones);
    super(optimizer, lastEpoch, { schedulers: [...schedulers], milestones: [...milestones] });
  }

  /** Resets the rates to `initialLr`, undoes the schedulers' initial steps, and starts the one for step 0. */
  protected override init(lastEpoch: number): void {
    // The schedulers are saved through their own state dicts, not as a field.
    Object.defineProperty(this, 'schedulers', { value: this.schedulers, enumerable: false });
    this.lastEpoch = lastEpoch + 1;
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = groupNumber(this.optimizer, i, 'initialLr');
    });
    const undo = (s: LRScheduler): void => {
      if (s instanceof SequentialLR) s.schedulers.forEach(undo);
      else s.lastEpoch -= 1;
    };
    undo(this);
    const first = this.schedulers[bisectRight(this.milestones, 0)];
    first._initialStep();
    this.lastLr = first.getLastLr();
  }

  override step(): void {
    this.lastEpoch += 1;
    const idx = bisectRight(this.milestones, this.lastEpoch);
    const scheduler = this.schedulers[idx];
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) scheduler._updateLr(0);
    else scheduler.step();
    this.lastLr = scheduler.getLastLr();
  }

  protected getLr(): number[] {
    throw new TorchError('SequentialLR has no getLr(): its schedulers compute the rates');
  }

  /** Its own fields, with each scheduler's state dict under `schedulers`. */
  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    const { schedulers, ...own } = checkOptions<SchedulerStateDict>(stateDict, 'stateDict');
    if (!Array.isArray(schedulers) || schedulers.length !== this.schedulers.length) {
      throw typeError(`an array of ${this.schedulers.length} state dicts`, 'stateDict.schedulers', schedulers);
    }
    super.loadStateDict(own);
    schedulers.forEach((s, i) => {
      this.schedulers[i].loadStateDict(s as SchedulerStateDict);
    });
  }
}

/**
 * Steps several schedulers of one optimizer together, each on the rates the previous one left
 * (`lr_scheduler.ChainedScheduler`): `new ChainedScheduler([warmup, decay])`. As in PyTorch it
 * takes no initial step of its own; its state dict holds each scheduler's under `schedulers`.
 */
export class ChainedScheduler extends LRScheduler {
  declare readonly schedulers: LRScheduler[];

  constructor(schedulers: LRScheduler[], optimizer?: Optimizer) {
    if (!Array.isArray(schedulers) || schedulers.length === 0)
      throw typeError('a non-empty array of schedulers', 'schedulers', schedulers);
    const opt = optimizer ?? schedulers[0]?.optimizer;
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) throw typeError('an LRScheduler', `schedulers[${i}]`, s);
      if (s instanceof ReduceLROnPlateau) {
        throw rangeError(
          'a scheduler whose step() takes no metric (not ReduceLROnPlateau)',
          `schedulers[${i}]`,
          s.constructor.name,
        );
      }
      if (s.optimizer !== opt)
        throw rangeError('a scheduler of the same optimizer', `schedulers[${i}]`, s.constructor.name);
    });
    super(opt as Optimizer, -1, {}, { schedulers: [...schedulers] });
  }

  /** PyTorch's constructor only records the rates the last scheduler left. */
  protected override init(): void {
    this.lastLr = this.schedulers[this.schedulers.length - 1].optimizer.paramGroups.map((g) => g.lr);
  }

  override step(): void {
    for (const s of this.schedulers) s.step();
    this.lastLr = this.schedulers[this.schedulers.length - 1].optimizer.paramGroups.map((g) => g.lr);
  }

  protected getLr(): number[] {
    throw new TorchError('ChainedScheduler has no getLr(): its schedulers compute the rates');
  }

  /** Its own fields, with each scheduler's state dict under `schedulers`. */
  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(stateDict: SchedulerStateDict): void {
    const { schedulers, ...own } = checkOptions<SchedulerStateDict>(stateDict, 'stateDict');
    if (!Array.isArray(schedulers) || schedulers.length !== this.schedulers.length) {
      throw typeError(`an array of ${this.schedulers.length} state dicts`, 'stateDict.schedulers', schedulers);
    }
    super.loadStateDict(own);
    schedulers.forEach((s, i) => {
      this.schedulers[i].loadStateDict(s as SchedulerStateDict);
    });
  }
}

/** A phase of the one-cycle schedule: up to `endStep` it anneals between the named group values. */
export interface OneCyclePhase {
  endStep: number;
  startLr: string;
  endLr: string;
  startMomentum: string;
  endMomentum: string;
}

export interface OneCycleLROptions extends WithLastEpoch {
  /** The peak rate, for all groups or one per group. */
  maxLr: number | number[];
  /** Steps in the cycle; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** The fraction of the cycle spent raising the rate (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle `momentum` (SGD) or `betas[0]` (Adam, AdamW) inversely to the rate (default true). */
  cycleMomentum?: boolean;
  /** The momentum at the peak rate (default 0.85). */
  baseMomentum?: number | number[];
  /** The momentum at the start and end (default 0.95). */
  maxMomentum?: number | number[];
  /** The initial rate is `maxLr / divFactor` (default 25). */
  divFactor?: number;
  /** The final rate is the initial rate / `finalDivFactor` (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to the initial rate, then annihilation) as in the paper (default false). */
  threePhase?: boolean;
}

const ONE_CYCLE_KEYS = [
  'maxLr',
  'totalSteps',
  'epochs',
  'stepsPerEpoch',
  'pctStart',
  'annealStrategy',
  'cycleMomentum',
  'baseMomentum',
  'maxMomentum',
  'divFactor',
  'finalDivFactor',
  'threePhase',
  'lastEpoch',
] as const;

/**
 * The 1cycle policy (`lr_scheduler.OneCycleLR`): the rate rises from `maxLr / divFactor` to
 * `maxLr`, then falls far below the initial rate, while momentum (SGD's `momentum`, Adam's
 * `betas[0]`) moves inversely. Step it after every batch; it allows `totalSteps` steps.
 */
export class OneCycleLR extends LRScheduler {
  declare readonly totalSteps: number;
  declare readonly phases: OneCyclePhase[];
  declare readonly annealStrategy: 'cos' | 'linear';
  declare readonly cycleMomentum: boolean;
  declare readonly useBeta1: boolean;

  constructor(
    optimizer: Optimizer,
    ...args: WithOptions<
      [
        maxLr: number | number[],
        totalSteps: number | null,
        epochs: number | null,
        stepsPerEpoch: number | null,
        pctStart: number,
        annealStrategy: 'cos' | 'linear',
        cycleMomentum: boolean,
        baseMomentum: number | number[],
        maxMomentum: number | number[],
        divFactor: number,
        finalDivFactor: number,
        threePhase: boolean,
        lastEpoch: number,
      ],
      Partial<OneCycleLROptions>
    >
  ) {
    if (!(optimizer instanceof Optimizer)) throw typeError('an Optimizer', 'optimizer', optimizer);
    const o = bindArgs<OneCycleLROptions>(args, ONE_CYCLE_KEYS, 'OneCycleLR');
    const { pctStart = 0.3, annealStrategy = 'cos', cycleMomentum = true, threePhase = false } = o;
    const { baseMomentum = 0.85, maxMomentum = 0.95, divFactor = 25, finalDivFactor = 1e4, lastEpoch = -1 } = o;
    let totalSteps: number;
    if (o.totalSteps !== undefined) totalSteps = checkInt(o.totalSteps, 'totalSteps', 1);
    else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined) {
      totalSteps = checkInt(o.epochs, 'epochs', 1) * checkInt(o.stepsPerEpoch, 'stepsPerEpoch', 1);
    } else throw typeError('totalSteps, or epochs and stepsPerEpoch', 'options', o);
    if (checkNumber(pctStart, 'pctStart') < 0 || pctStart > 1)
      throw rangeError('a number in [0, 1]', 'pctStart', pctStart);
    if (annealStrategy !== 'cos' && annealStrategy !== 'linear')
      throw rangeError("'cos' or 'linear'", 'annealStrategy', annealStrategy);
    checkBool(cycleMomentum, 'cycleMomentum');
    checkBool(threePhase, 'threePhase');
    if (checkNumber(divFactor, 'divFactor') <= 0) throw rangeError('a number > 0', 'divFactor', divFactor);
    if (checkNumber(finalDivFactor, 'finalDivFactor') <= 0)
      throw rangeError('a number > 0', 'finalDivFactor', finalDivFactor);
    checkInt(lastEpoch, 'lastEpoch', -1);
    const maxLrs = perGroup(optimizer, o.maxLr, 'maxLr');
    const up = pctStart * totalSteps - 1;
    const phase = (endStep: number, startLr: string, endLr: string, startMomentum: string, endMomentum: string) => ({
      endStep,
      startLr,
      endLr,
      startMomentum,
      endMomentum,
    });
    const phases = threePhase
      ? [
          phase(up, 'initialLr', 'maxLr', 'maxMomentum', 'baseMomentum'),
          phase(2 * pctStart * totalSteps - 2, 'maxLr', 'initialLr', 'baseMomentum', 'maxMomentum'),
          phase(totalSteps - 1, 'initialLr', 'minLr', 'maxMomentum', 'maxMomentum'),
        ]
      : [
          phase(up, 'initialLr', 'maxLr', 'maxMomentum', 'baseMomentum'),
          phase(totalSteps - 1, 'maxLr', 'minLr', 'baseMomentum', 'maxMomentum'),
        ];
    let useBeta1 = false;
    let maxMs: number[] = [];
    let baseMs: number[] = [];
    if (cycleMomentum) {
      if (!('momentum' in optimizer.defaults) && !('betas' in optimizer.defaults)) {
        throw new TorchError('optimizer must support momentum or beta1 with the cycleMomentum option enabled');
      }
      useBeta1 = 'betas' in optimizer.defaults;
      maxMs = perGroup(optimizer, maxMomentum, 'maxMomentum');
      baseMs = perGroup(optimizer, baseMomentum, 'baseMomentum');
    }
    if (lastEpoch === -1) {
      optimizer.paramGroups.forEach((g, i) => {
        g.initialLr = maxLrs[i] / divFactor;
        g.maxLr = maxLrs[i];
        g.minLr = maxLrs[i] / divFactor / finalDivFactor;
        if (!cycleMomentum) return;
        if (useBeta1) g.betas = [maxMs[i], ...(g.betas as number[]).slice(1)];
        else g.momentum = maxMs[i];
        g.maxMomentum = maxMs[i];
        g.baseMomentum = baseMs[i];
      });
    }
    super(optimizer, lastEpoch, { totalSteps, phases, annealStrategy, cycleMomentum, useBeta1 });
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'cos') return end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }

  /** The rate of each group at `lastEpoch`; as a side effect, sets each group's momentum (or `betas[0]`). */
  protected getLr(): number[] {
    const step = this.lastEpoch;
    if (step > this.totalSteps)
      throw new TorchError(`Tried to step ${step} times. The specified number of total steps is ${this.totalSteps}`);
    const opt = this.optimizer;
    return opt.paramGroups.map((g, gi) => {
      let start = 0;
      for (let i = 0; i < this.phases.length; i++) {
        const p = this.phases[i];
        if (step <= p.endStep || i === this.phases.length - 1) {
          // PyTorch raises ZeroDivisionError here; say why instead of returning NaN.
          if (p.endStep === start)
            throw new TorchError(
              `OneCycleLR: phase ${i + 1} of the schedule has no steps (pctStart * totalSteps is too small or too large)`,
            );
          const pct = (step - start) / (p.endStep - start);
          if (this.cycleMomentum) {
            const m = this.anneal(groupNumber(opt, gi, p.startMomentum), groupNumber(opt, gi, p.endMomentum), pct);
            if (this.useBeta1) g.betas = [m, ...(g.betas as number[]).slice(1)];
            else g.momentum = m;
          }
          return this.anneal(groupNumber(opt, gi, p.startLr), groupNumber(opt, gi, p.endLr), pct);
        }
        start = p.endStep;
      }
      throw new TorchError('OneCycleLR: no schedule phase');
    });
  }
}
