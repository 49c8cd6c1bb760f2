/**
 * Schedulers that scale the learning rate by a factor per step, as `torch.optim.lr_scheduler`
 * (PyTorch 2.13, the same recursive formulas): ConstantLR, ExponentialLR, PolynomialLR,
 * LambdaLR and MultiplicativeLR.
 */
import { bindArgs, type WithOptions } from '../torch/args';
import { checkInt, checkNumber, rangeError, TorchError, typeError } from '../torch/errors';
import type { Optimizer } from './optimizer';
import { LRScheduler } from './lr_scheduler_base';

interface WithLastEpoch {
  /** The index of the last step, to resume a schedule (default -1: start it). */
  lastEpoch?: number;
}

export interface ConstantLROptions extends WithLastEpoch {
  /** The factor applied until `totalIters`, in [0, 1] (default 1/3). */
  factor?: number;
  /** Steps until the rate returns to its base (default 5). */
  totalIters?: number;
}

/** Scales each group's rate by `factor` for the first `totalIters` steps (`lr_scheduler.ConstantLR`). */
export class ConstantLR extends LRScheduler {
  declare readonly factor: number;
  declare readonly totalIters: number;

  constructor(
    optimizer: Optimizer,
    ...args: WithOptions<[factor: number, totalIters: number, lastEpoch: number], ConstantLROptions>
  ) {
    const o = bindArgs<ConstantLROptions>(args, ['factor', 'totalIters', 'lastEpoch'], 'ConstantLR');
    const { factor = 1 / 3, totalIters = 5, lastEpoch = -1 } = o;
    if (checkNumber(factor, 'factor') > 1 || factor < 0) throw rangeError('a number in [0, 1]', 'factor', factor);
    super(optimizer, lastEpoch, { factor, totalIters: checkInt(totalIters, 'totalIters', 0) });
  }

  protected getLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0) return groups.map((g) => g.lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return groups.map((g) => g.lr);
    // PyTorch raises ZeroDivisionError here.
    if (this.factor === 0)
      throw new TorchError('ConstantLR: factor 0 cannot be undone at totalIters (float division by zero)');
    return groups.map((g) => g.lr * (1.0 / this.factor));
  }

  protected override closedFormLr(): number[] {
    const reached = this.lastEpoch >= this.totalIters ? 1 : 0;
    return this.baseLrs.map((b) => b * (this.factor + reached * (1 - this.factor)));
  }
}

/** Decays each group's rate by `gamma` every step (`lr_scheduler.ExponentialLR`). */
export class ExponentialLR extends LRScheduler {
  declare readonly gamma: number;

  constructor(optimizer: Optimizer, gamma: number, ...args: WithOptions<[lastEpoch: number], WithLastEpoch>) {
    const { lastEpoch = -1 } = bindArgs<WithLastEpoch>(args, ['lastEpoch'], 'ExponentialLR');
    super(optimizer, lastEpoch, { gamma: checkNumber(gamma, 'gamma') });
  }

  protected getLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.isInitial) return groups.map((g) => g.lr);
    return groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

export interface PolynomialLROptions extends WithLastEpoch {
  /** Steps over which the rate decays to 0 (default 5). */
  totalIters?: number;
  /** The power of the polynomial (default 1: linear). */
  power?: number;
}

/** Decays each group's rate polynomially to 0 over `totalIters` steps (`lr_scheduler.PolynomialLR`). */
export class PolynomialLR extends LRScheduler {
  declare readonly totalIters: number;
  declare readonly power: number;

  constructor(
    optimizer: Optimizer,
    ...args: WithOptions<[totalIters: number, power: number, lastEpoch: number], PolynomialLROptions>
  ) {
    const o = bindArgs<PolynomialLROptions>(args, ['totalIters', 'power', 'lastEpoch'], 'PolynomialLR');
    const { totalIters = 5, power = 1.0, lastEpoch = -1 } = o;
    super(optimizer, lastEpoch, {
      totalIters: checkInt(totalIters, 'totalIters', 1),
      power: checkNumber(power, 'power'),
    });
  }

  protected getLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.isInitial || this.lastEpoch > this.totalIters) return groups.map((g) => g.lr);
    const { lastEpoch: e, totalIters: n } = this;
    const decay = ((1.0 - e / n) / (1.0 - (e - 1) / n)) ** this.power;
    return groups.map((g) => g.lr * decay);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map(
      (b) => b * (1.0 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power,
    );
  }
}

/** A function of the step index giving a learning-rate factor. */
export type LrLambda = (epoch: number) => number;

/** One function per group: a single function for all, or an array with one per group. */
function lambdas(optimizer: Optimizer, lrLambda: unknown): LrLambda[] {
  const n = optimizer.paramGroups.length;
  const list = Array.isArray(lrLambda) ? lrLambda : new Array<unknown>(n).fill(lrLambda);
  if (list.length !== n) throw rangeError(`${n} functions (one per parameter group)`, 'lrLambda', lrLambda);
  list.forEach((f, i) => {
    if (typeof f !== 'function')
      throw typeError('a function', Array.isArray(lrLambda) ? `lrLambda[${i}]` : 'lrLambda', f);
  });
  return list as LrLambda[];
}

/** The factor `f(epoch)` as a number (a function returning something else is a caller's bug). */
function factorOf(f: LrLambda, epoch: number): number {
  return checkNumber(f(epoch), 'the value of lrLambda');
}

/**
 * Sets each group's rate to its initial rate times `lrLambda(step)` (`lr_scheduler.LambdaLR`).
 * The functions are not part of `stateDict()` (PyTorch saves None for them too).
 */
export class LambdaLR extends LRScheduler {
  declare readonly lrLambdas: LrLambda[];

  constructor(
    optimizer: Optimizer,
    lrLambda: LrLambda | LrLambda[],
    ...args: WithOptions<[lastEpoch: number], WithLastEpoch>
  ) {
    const { lastEpoch = -1 } = bindArgs<WithLastEpoch>(args, ['lastEpoch'], 'LambdaLR');
    super(optimizer, lastEpoch, {}, { lrLambdas: lambdas(optimizer, lrLambda) });
  }

  protected getLr(): number[] {
    return this.baseLrs.map((b, i) => b * factorOf(this.lrLambdas[i], this.lastEpoch));
  }
}

/** Multiplies each group's rate by `lrLambda(step)` at every step (`lr_scheduler.MultiplicativeLR`). */
export class MultiplicativeLR extends LRScheduler {
  declare readonly lrLambdas: LrLambda[];

  constructor(
    optimizer: Optimizer,
    lrLambda: LrLambda | LrLambda[],
    ...args: WithOptions<[lastEpoch: number], WithLastEpoch>
  ) {
    const { lastEpoch = -1 } = bindArgs<WithLastEpoch>(args, ['lastEpoch'], 'MultiplicativeLR');
    super(optimizer, lastEpoch, {}, { lrLambdas: lambdas(optimizer, lrLambda) });
  }

  protected getLr(): number[] {
    const groups = this.optimizer.paramGroups;
    if (this.isInitial) return groups.map((g) => g.lr);
    return groups.map((g, i) => g.lr * factorOf(this.lrLambdas[i], this.lastEpoch));
  }
}
