/**
 * The base of the learning-rate schedulers (lr_scheduler.ts): `LRScheduler`, PyTorch's
 * `torch.optim.lr_scheduler.LRScheduler`, and small helpers the schedulers share.
 */
import { checkInt, checkNumber, checkOptions, rangeError, TorchError, typeError } from '../torch/errors';
import { Optimizer } from './optimizer';

/** A scheduler's state: its fields (`lastEpoch`, `baseLrs`, `lastLr`, hyper-parameters, ...). */
export type SchedulerStateDict = Record<string, unknown>;

/** Fields that are not state: the optimizer, and the flag set during the initial step. */
const NOT_STATE = new Set(['optimizer', 'isInitial']);

/** How many of the sorted `list` are <= x (Python's `bisect_right`). */
export function bisectRight(list: readonly number[], x: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < list[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A group's hyper-parameter `key` as a number. */
export function groupNumber(optimizer: Optimizer, i: number, key: string): number {
  const v = optimizer.paramGroups[i][key];
  if (typeof v !== 'number') throw typeError('a number', `paramGroups[${i}].${key}`, v);
  return v;
}

/** One value per group: a number for all, or an array with one number per group (PyTorch's `_format_param`). */
export function perGroup(optimizer: Optimizer, value: unknown, argument: string): number[] {
  const n = optimizer.paramGroups.length;
  if (Array.isArray(value)) {
    if (value.length !== n) throw rangeError(`${n} values (one per parameter group)`, argument, value);
    return value.map((v, i) => checkNumber(v, `${argument}[${i}]`));
  }
  return new Array<number>(n).fill(checkNumber(value, argument));
}

/**
 * The base of every scheduler (`torch.optim.lr_scheduler.LRScheduler`). The constructor sets
 * each group's `initialLr` (where missing) when `lastEpoch` is -1, takes `baseLrs` from them,
 * and performs the initial step. A subclass implements `getLr()` from its fields; since the
 * initial step runs inside this constructor, a subclass passes its fields as `fields` (they
 * are assigned first, like PyTorch's attributes set before `super().__init__`) and declares
 * them with `declare`.
 */
export abstract class LRScheduler {
  declare readonly optimizer: Optimizer;
  /** The index of the last step taken (-1 before the initial step). */
  declare lastEpoch: number;
  /** Each group's `initialLr`. */
  declare baseLrs: number[];
  /** Steps taken, counting the initial one (PyTorch's `_step_count`). */
  declare protected stepCount: number;
  declare protected lastLr: number[];
  /** True during the initial step (PyTorch's `_is_initial`). */
  protected isInitial = false;

  constructor(optimizer: Optimizer, lastEpoch = -1, fields: object = {}) {
    if (!(optimizer instanceof Optimizer)) throw typeError('an Optimizer', 'optimizer', optimizer);
    checkInt(lastEpoch, 'lastEpoch', -1);
    Object.defineProperty(this, 'optimizer', { value: optimizer, enumerable: false });
    Object.assign(this, fields);
    this.init(lastEpoch);
  }

  /** Sets the initial learning rates and takes the initial step. */
  protected init(lastEpoch: number): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      if (lastEpoch === -1) {
        if (!('initialLr' in g)) g.initialLr = g.lr;
      } else if (!('initialLr' in g)) {
        throw new TorchError(
          `paramGroups[${i}] has no initialLr, which resuming a scheduler with lastEpoch >= 0 needs (load the optimizer's state first)`,
        );
      }
    });
    this.baseLrs = this.optimizer.paramGroups.map((_, i) => groupNumber(this.optimizer, i, 'initialLr'));
    this.lastEpoch = lastEpoch;
    this._initialStep();
  }

  /** @internal Resets the step count and takes the initial step. */
  _initialStep(): void {
    this.stepCount = 0;
    this.isInitial = true;
    try {
      this.step();
    } finally {
      this.isInitial = false;
    }
  }

  /** The next learning rate of each group (called by `step()` after `lastEpoch` moved on). */
  protected abstract getLr(): number[];

  /** The learning rates at `lastEpoch` in closed form, where the scheduler has one. */
  protected closedFormLr?(): number[];

  /** Advances the schedule by one step and writes the new learning rates into the optimizer. */
  step(): void {
    this.stepCount += 1;
    this._updateLr();
  }

  /** @internal Moves to the next step, or to `epoch` (closed form where available), and writes the rates. */
  _updateLr(epoch?: number): void {
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch += 1;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr ? this.closedFormLr() : this.getLr();
    }
    const groups = this.optimizer.paramGroups;
    if (values.length !== groups.length)
      throw new TorchError(
        `${this.constructor.name}.getLr() returned ${values.length} rates for ${groups.length} parameter groups`,
      );
    groups.forEach((g, i) => {
      g.lr = values[i];
    });
    this.lastLr = groups.map((g) => g.lr);
  }

  /** The learning rates of the last step, one per group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The scheduler's fields (everything but the optimizer), as a JSON-able copy. */
  stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = {};
    for (const [k, v] of Object.entries(this)) if (!NOT_STATE.has(k)) out[k] = structuredClone(v);
    return out;
  }

  /** Restores fields saved by `stateDict()` (the optimizer's own state is loaded separately). */
  loadStateDict(stateDict: SchedulerStateDict): void {
    const sd = checkOptions<SchedulerStateDict>(stateDict, 'stateDict');
    const self = this as unknown as Record<string, unknown>;
    const name = this.constructor.name;
    for (const [k, v] of Object.entries(sd)) {
      if (NOT_STATE.has(k) || !Object.hasOwn(this, k)) {
        throw new TorchError(`loaded state dict has the key "${k}", which ${name} does not have`);
      }
      const cur = self[k];
      if (Array.isArray(cur) !== Array.isArray(v) || typeof cur !== typeof v || (cur === null) !== (v === null)) {
        throw typeError(Array.isArray(cur) ? 'an array' : `a ${typeof cur}`, `stateDict.${k}`, v);
      }
      if ((k === 'baseLrs' || k === 'lastLr') && (v as unknown[]).length !== this.optimizer.paramGroups.length) {
        throw rangeError(`${this.optimizer.paramGroups.length} values (one per parameter group)`, `stateDict.${k}`, v);
      }
    }
    for (const [k, v] of Object.entries(sd)) self[k] = structuredClone(v);
  }
}
