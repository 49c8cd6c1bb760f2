/**
 * Cyclical schedules, as `torch.optim.lr_scheduler` (PyTorch 2.13): CyclicLR and
 * CosineAnnealingWarmRestarts.
 */
import { bindArgs, type WithOptions } from '../torch/args';
import { checkBool, checkInt, checkNumber, rangeError, TorchError, typeError } from '../torch/errors';
import { Optimizer } from './optimizer';
import { LRScheduler, perGroup } from './lr_scheduler_base';

export interface CyclicLROptions {
  /** Steps in the rising half of a cycle (default 2000). */
  stepSizeUp?: number;
  /** Steps in the falling half (default: `stepSizeUp`). */
  stepSizeDown?: number | null;
  /** 'triangular' (default), 'triangular2' (amplitude halves every cycle) or 'exp_range' (scaled by gamma ** step). */
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  /** The factor of 'exp_range' (default 1). */
  gamma?: number;
  /** A custom amplitude scale, of the cycle number or of the step (see `scaleMode`); replaces `mode`. */
  scaleFn?: ((x: number) => number) | null;
  /** What a custom `scaleFn` takes: 'cycle' (default) or 'iterations'. */
  scaleMode?: 'cycle' | 'iterations';
  /** Cycle `momentum` (SGD) or `betas[0]` (Adam, ...) inversely to the rate (default true). */
  cycleMomentum?: boolean;
  /** The momentum at the peak rate (default 0.8). */
  baseMomentum?: number | number[];
  /** The momentum at the base rate (default 0.9). */
  maxMomentum?: number | number[];
  /** The index of the last step, to resume a schedule (default -1: start it). */
  lastEpoch?: number;
}

const CYCLIC_KEYS = [
  'stepSizeUp',
  'stepSizeDown',
  'mode',
  'gamma',
  'scaleFn',
  'scaleMode',
  'cycleMomentum',
  'baseMomentum',
  'maxMomentum',
  'lastEpoch',
] as const;

/**
 * Cycles each group's rate between `baseLr` and `maxLr` (`lr_scheduler.CyclicLR`), and the
 * momentum inversely; step it after every batch. A custom `scaleFn` is not part of `stateDict()`.
 */
export class CyclicLR extends LRScheduler {
  declare readonly maxLrs: number[];
  declare readonly totalSize: number;
  declare readonly stepRatio: number;
  declare readonly mode: string;
  declare readonly gamma: number;
  declare readonly scaleMode: 'cycle' | 'iterations';
  declare readonly cycleMomentum: boolean;
  declare readonly useBeta1: boolean;
  declare readonly baseMomentums: number[];
  declare readonly maxMomentums: number[];
  declare private readonly scaleFnCustom: ((x: number) => number) | null;
  declare private readonly formattedBaseLrs: number[];

  constructor(
    optimizer: Optimizer,
    baseLr: number | number[],
    maxLr: number | number[],
    ...args: WithOptions<
      [
        stepSizeUp: number,
        stepSizeDown: number | null,
        mode: 'triangular' | 'triangular2' | 'exp_range',
        gamma: number,
        scaleFn: ((x: number) => number) | null,
        scaleMode: 'cycle' | 'iterations',
        cycleMomentum: boolean,
        baseMomentum: number | number[],
        maxMomentum: number | number[],
        lastEpoch: number,
      ],
      CyclicLROptions
    >
  ) {
    const o = bindArgs<CyclicLROptions>(args, CYCLIC_KEYS, 'CyclicLR');
    const { mode = 'triangular', gamma = 1.0, scaleFn = null, cycleMomentum = true, lastEpoch = -1 } = o;
    let { scaleMode = 'cycle' } = o;
    if (!(optimizer instanceof Optimizer)) throw typeError('an Optimizer', 'optimizer', optimizer);
    const baseLrs = perGroup(optimizer, baseLr, 'baseLr');
    checkInt(lastEpoch, 'lastEpoch', -1);
    if (lastEpoch === -1)
      optimizer.paramGroups.forEach((g, i) => {
        g.lr = baseLrs[i];
      });
    const maxLrs = perGroup(optimizer, maxLr, 'maxLr');
    const up = checkNumber(o.stepSizeUp ?? 2000, 'stepSizeUp');
    const down =
      o.stepSizeDown === undefined || o.stepSizeDown === null ? up : checkNumber(o.stepSizeDown, 'stepSizeDown');
    if (scaleFn !== null && typeof scaleFn !== 'function') throw typeError('a function or null', 'scaleFn', scaleFn);
    if (!['triangular', 'triangular2', 'exp_range'].includes(mode) && scaleFn === null)
      throw rangeError("'triangular', 'triangular2' or 'exp_range' (or a scaleFn)", 'mode', mode);
    if (scaleMode !== 'cycle' && scaleMode !== 'iterations')
      throw rangeError("'cycle' or 'iterations'", 'scaleMode', scaleMode);
    // PyTorch's _init_scale_fn: the built-in modes fix the scale mode.
    if (scaleFn === null) scaleMode = mode === 'exp_range' ? 'iterations' : 'cycle';
    checkBool(cycleMomentum, 'cycleMomentum');
    let useBeta1 = false;
    let baseMomentums: number[] = [];
    let maxMomentums: number[] = [];
    if (cycleMomentum) {
      if (!('momentum' in optimizer.defaults) && !('betas' in optimizer.defaults)) {
        throw new TorchError('optimizer must support momentum or beta1 with `cycleMomentum` option enabled');
      }
      useBeta1 = 'betas' in optimizer.defaults;
      baseMomentums = perGroup(optimizer, o.baseMomentum ?? 0.8, 'baseMomentum');
      maxMomentums = perGroup(optimizer, o.maxMomentum ?? 0.9, 'maxMomentum');
      if (lastEpoch === -1) {
        optimizer.paramGroups.forEach((g, i) => {
          if (useBeta1) g.betas = [maxMomentums[i], ...(g.betas as number[]).slice(1)];
          else g.momentum = maxMomentums[i];
          g.maxMomentum = maxMomentums[i];
          g.baseMomentum = baseMomentums[i];
        });
      }
    }
    const fields = {
      maxLrs,
      totalSize: up + down,
      stepRatio: up / (up + down),
      mode,
      gamma: checkNumber(gamma, 'gamma'),
      scaleMode,
      cycleMomentum,
      useBeta1,
      baseMomentums,
      maxMomentums,
    };
    super(optimizer, lastEpoch, fields, { scaleFnCustom: scaleFn, formattedBaseLrs: baseLrs });
  }

  /** As PyTorch: the initial step uses the groups' `initialLr`, later steps `baseLr`. */
  protected override init(lastEpoch: number): void {
    super.init(lastEpoch);
    this.baseLrs = [...this.formattedBaseLrs];
  }

  private scale(x: number): number {
    if (this.scaleFnCustom) return checkNumber(this.scaleFnCustom(x), 'the value of scaleFn');
    if (this.mode === 'triangular') return 1.0;
    if (this.mode === 'triangular2') return 1 / 2.0 ** (x - 1);
    return this.gamma ** x;
  }

  /** The rate of each group at `lastEpoch`; as a side effect, sets each group's momentum (or `betas[0]`). */
  protected getLr(): number[] {
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1.0 + this.lastEpoch / this.totalSize - cycle;
    const scaleFactor = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const at = this.scaleMode === 'cycle' ? cycle : this.lastEpoch;
    const lrs = this.baseLrs.map((b, i) => b + (this.maxLrs[i] - b) * scaleFactor * this.scale(at));
    if (this.cycleMomentum) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const m = this.maxMomentums[i] - (this.maxMomentums[i] - this.baseMomentums[i]) * scaleFactor * this.scale(at);
        if (this.useBeta1) g.betas = [m, ...(g.betas as number[]).slice(1)];
        else g.momentum = m;
      });
    }
    return lrs;
  }
}

export interface CosineAnnealingWarmRestartsOptions {
  /** The factor by which the period grows after each restart (an integer >= 1, default 1). */
  tMult?: number;
  /** The minimum learning rate (default 0). */
  etaMin?: number;
  /** The index of the last step, to resume a schedule (default -1: start it). */
  lastEpoch?: number;
}

/**
 * Cosine annealing with warm restarts (SGDR, `lr_scheduler.CosineAnnealingWarmRestarts`): the
 * rate falls from each group's initial rate to `etaMin` over `t0` steps, restarts, and the
 * period grows by `tMult`. `step(epoch)` takes fractional epochs (`epoch + i / iters`).
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  declare readonly t0: number;
  declare tI: number;
  declare readonly tMult: number;
  declare readonly etaMin: number;
  declare tCur: number;

  constructor(
    optimizer: Optimizer,
    t0: number,
    ...args: WithOptions<[tMult: number, etaMin: number, lastEpoch: number], CosineAnnealingWarmRestartsOptions>
  ) {
    const o = bindArgs<CosineAnnealingWarmRestartsOptions>(
      args,
      ['tMult', 'etaMin', 'lastEpoch'],
      'CosineAnnealingWarmRestarts',
    );
    const { tMult = 1, etaMin = 0, lastEpoch = -1 } = o;
    checkInt(t0, 't0', 1);
    checkInt(tMult, 'tMult', 1);
    checkNumber(etaMin, 'etaMin');
    super(optimizer, checkInt(lastEpoch, 'lastEpoch', -1), { t0, tI: t0, tMult, etaMin, tCur: lastEpoch });
  }

  protected getLr(): number[] {
    const { etaMin, tCur, tI } = this;
    return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2);
  }

  /** Moves to the next step, or to `epoch` (which may be fractional). */
  override step(epoch?: number): void {
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.tCur = this.tCur + 1;
      if (this.tCur >= this.tI) {
        this.tCur = this.tCur % this.tI;
        this.tI = this.tI * this.tMult;
      }
    } else {
      if (checkNumber(epoch, 'epoch') < 0) throw rangeError('a non-negative epoch', 'epoch', epoch);
      if (epoch >= this.t0) {
        if (this.tMult === 1) {
          this.tCur = epoch % this.t0;
        } else {
          const n = Math.trunc(Math.log((epoch / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
          this.tCur = epoch - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
          this.tI = this.t0 * this.tMult ** n;
        }
      } else {
        this.tI = this.t0;
        this.tCur = epoch;
      }
    }
    // (PyTorch's override leaves the step count alone.)
    this.lastEpoch = Math.floor(epoch);
    const lrs = this.getLr();
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = lrs[i];
    });
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }
}
