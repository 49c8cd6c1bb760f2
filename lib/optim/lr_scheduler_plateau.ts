/** ReduceLROnPlateau (`torch.optim.lr_scheduler.ReduceLROnPlateau`, PyTorch 2.13). */
import { bindArgs, type WithOptions } from '../torch/args';
import { checkInt, checkNumber, rangeError, TorchError, typeError } from '../torch/errors';
import { Tensor } from '../torch/tensor';
import type { Optimizer } from './optimizer';
import { LRScheduler, perGroup } from './lr_scheduler_base';

export interface ReduceLROnPlateauOptions {
  /** 'min' (default): the metric should fall; 'max': it should rise. */
  mode?: 'min' | 'max';
  /** The factor that reduces the rate, below 1 (default 0.1). */
  factor?: number;
  /** Steps without improvement tolerated before a reduction (default 10). */
  patience?: number;
  /** The least change that counts as an improvement (default 1e-4). */
  threshold?: number;
  /** 'rel' (default): relative to the best value; 'abs': absolute. */
  thresholdMode?: 'rel' | 'abs';
  /** Steps to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  /** The lowest rate, for all groups or one per group (default 0). */
  minLr?: number | number[];
  /** Reductions smaller than this are skipped (default 1e-8). */
  eps?: number;
}

const KEYS = ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'] as const;

/**
 * Reduces each group's rate by `factor` when a metric has stopped improving for `patience`
 * steps (`lr_scheduler.ReduceLROnPlateau`): `scheduler.step(valLoss)` after each epoch. As in
 * PyTorch it takes no initial step and leaves `initialLr` alone. `best` starts at ±Infinity,
 * which `torch.save` keeps (JSON.stringify would not).
 */
export class ReduceLROnPlateau extends LRScheduler {
  declare readonly factor: number;
  declare minLrs: number[];
  declare readonly defaultMinLr: number | null;
  declare readonly patience: number;
  declare readonly cooldown: number;
  declare readonly eps: number;
  declare readonly mode: 'min' | 'max';
  declare readonly threshold: number;
  declare readonly thresholdMode: 'rel' | 'abs';
  declare readonly modeWorse: number;
  declare best: number;
  declare cooldownCounter: number;
  declare numBadEpochs: number;

  constructor(
    optimizer: Optimizer,
    ...args: WithOptions<
      [
        mode: 'min' | 'max',
        factor: number,
        patience: number,
        threshold: number,
        thresholdMode: 'rel' | 'abs',
        cooldown: number,
        minLr: number | number[],
        eps: number,
      ],
      ReduceLROnPlateauOptions
    >
  ) {
    const o = bindArgs<ReduceLROnPlateauOptions>(args, KEYS, 'ReduceLROnPlateau');
    const { mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = 'rel' } = o;
    const { cooldown = 0, minLr = 0, eps = 1e-8 } = o;
    if (checkNumber(factor, 'factor') >= 1.0) throw rangeError('a factor < 1.0', 'factor', factor);
    if (mode !== 'min' && mode !== 'max') throw rangeError("'min' or 'max'", 'mode', mode);
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs')
      throw rangeError("'rel' or 'abs'", 'thresholdMode', thresholdMode);
    const fields = {
      factor,
      defaultMinLr: Array.isArray(minLr) ? null : minLr,
      patience: checkInt(patience, 'patience', 0),
      cooldown: checkInt(cooldown, 'cooldown', 0),
      eps: checkNumber(eps, 'eps'),
      mode,
      threshold: checkNumber(threshold, 'threshold'),
      thresholdMode,
      modeWorse: mode === 'min' ? Infinity : -Infinity,
    };
    super(optimizer, -1, fields, { pendingMinLr: minLr });
  }

  /** PyTorch's constructor: no initial step, `lastEpoch` 0, and the counters reset. */
  protected override init(): void {
    const self = this as unknown as { pendingMinLr: unknown };
    this.minLrs = perGroup(this.optimizer, self.pendingMinLr, 'minLr');
    this.lastEpoch = 0;
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
    this.best = this.modeWorse;
    this.cooldownCounter = 0;
    this.numBadEpochs = 0;
  }

  protected getLr(): number[] {
    throw new TorchError('ReduceLROnPlateau has no getLr(): step(metric) reduces the rates');
  }

  private isBetter(a: number, best: number): boolean {
    if (this.mode === 'min' && this.thresholdMode === 'rel') return a < best * (1.0 - this.threshold);
    if (this.mode === 'min') return a < best - this.threshold;
    if (this.thresholdMode === 'rel') return a > best * (this.threshold + 1.0);
    return a > best + this.threshold;
  }

  /** Records the metric of this step (a number or a 1-element tensor) and reduces the rates if it stalled. */
  override step(metric?: number | Tensor): void {
    if (metric === undefined) throw typeError('the metric (a number or a 1-element Tensor)', 'metric', metric);
    const current = metric instanceof Tensor ? (metric.item() as number) : checkNumber(metric, 'metric');
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs in cooldown do not count
    }
    if (this.numBadEpochs > this.patience) {
      this.reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  private reduceLr(): void {
    const groups = this.optimizer.paramGroups;
    if (groups.length !== this.minLrs.length) {
      if (this.defaultMinLr === null) {
        throw new TorchError(
          `The number of param groups in the optimizer (${groups.length}) differs from when ReduceLROnPlateau was initialized (${this.minLrs.length}), usually due to a new param group being added to the optimizer. Please modify the minLrs field to match the length of the optimizer param groups.`,
        );
      }
      this.minLrs = new Array<number>(groups.length).fill(this.defaultMinLr);
    }
    groups.forEach((g, i) => {
      const oldLr = g.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]);
      if (oldLr - newLr > this.eps) g.lr = newLr;
    });
  }
}
