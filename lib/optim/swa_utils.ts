/**
 * `torch.optim.swa_utils`: AveragedModel (stochastic weight averaging and exponential moving
 * averages of a model's weights) with its averaging functions, and torchvision's
 * ExponentialMovingAverage (references/classification/utils.py) built on it.
 */
import { Module } from '../nn/module';
import { Parameter } from '../nn/parameter';
import { bindArgs, type WithOptions } from '../torch/args';
import { noGrad } from '../torch/autograd';
import { tensor } from '../torch/creation';
import type { Device } from '../torch/device';
import { checkBool, checkNumber, rangeError, typeError } from '../torch/errors';
import { keep, tidy } from '../torch/memory';
import { Tensor } from '../torch/tensor';

/** `avg_fn(averaged, current, numAveraged)`: the new average of one tensor. */
export type AvgFn = (averaged: Tensor, current: Tensor, numAveraged: Tensor) => Tensor;
/** `multi_avg_fn(averaged[], current[], numAveraged)`: updates the averages in place. */
export type MultiAvgFn = (averaged: Tensor[], current: Tensor[], numAveraged: Tensor) => void;

function checkDecay(decay: number): number {
  checkNumber(decay, 'decay');
  if (!(decay >= 0 && decay <= 1)) throw rangeError('a decay in [0, 1]', 'decay', decay);
  return decay;
}

/** `decay * averaged + (1 - decay) * current` (get_ema_avg_fn). */
export function getEmaAvgFn(decay = 0.999): AvgFn {
  checkDecay(decay);
  return (averaged, current) => averaged.mul(decay).add(current.mul(1 - decay));
}

/** `averaged + (current - averaged) / (numAveraged + 1)` (get_swa_avg_fn). */
export function getSwaAvgFn(): AvgFn {
  return (averaged, current, n) => averaged.add(current.sub(averaged).div(n.add(1)));
}

/** In-place EMA of lists: lerp towards current by 1 - decay for floats (get_ema_multi_avg_fn). */
export function getEmaMultiAvgFn(decay = 0.999): MultiAvgFn {
  checkDecay(decay);
  return (averaged, current) => {
    averaged.forEach((a, i) => {
      if (a.isFloatingPoint()) a.lerp_(current[i], 1 - decay);
      else tidy(() => a.copy_(a.mul(decay).add(current[i].mul(1 - decay))));
    });
  };
}

/** In-place equal-weight average of lists (get_swa_multi_avg_fn). */
export function getSwaMultiAvgFn(): MultiAvgFn {
  return (averaged, current, n) => {
    const k = n.item() as number;
    averaged.forEach((a, i) => {
      if (a.isFloatingPoint()) a.lerp_(current[i], 1 / (k + 1));
      else tidy(() => a.copy_(a.add(current[i].sub(a).div(n.add(1)))));
    });
  };
}

/**
 * A deep copy of a module, as Python's copy.deepcopy makes one: a new object of the same class
 * whose parameters, buffers and child modules are copies (shared members stay shared).
 */
export function deepCopyModule<M extends Module>(model: M): M {
  const memo = new Map<unknown, unknown>();
  const copy = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (memo.has(v)) return memo.get(v);
    if (v instanceof Parameter) {
      const p = new Parameter(
        tidy(() => v.detach().clone()),
        v.requiresGrad,
      );
      memo.set(v, p);
      return p;
    }
    if (v instanceof Tensor) {
      const t = v.isDisposed ? v : keep(tidy(() => v.detach().clone()));
      memo.set(v, t);
      return t;
    }
    if (Array.isArray(v)) {
      const a: unknown[] = [];
      memo.set(v, a);
      for (const x of v) a.push(copy(x));
      return a;
    }
    if (v instanceof Map) {
      const m = new Map();
      memo.set(v, m);
      for (const [k, x] of v) m.set(k, copy(x));
      return m;
    }
    const proto = Object.getPrototypeOf(v);
    if (!(v instanceof Module) && proto !== Object.prototype && proto !== null) return v;
    const o = Object.create(proto) as Record<string, unknown>;
    memo.set(v, o);
    for (const key of Reflect.ownKeys(v)) {
      if (key === '_hooks') continue;
      const d = Object.getOwnPropertyDescriptor(v, key) as PropertyDescriptor;
      if ('value' in d && typeof d.value !== 'function') d.value = copy(d.value);
      Object.defineProperty(o, key, d);
    }
    return o;
  };
  return copy(model) as M;
}

/** Options of `AveragedModel`. */
export interface AveragedModelOptions {
  /** Where the averaged copy lives (default: where the model is). */
  device?: Device | null;
  /** The averaging function of one tensor (default: the equal-weight SWA average). */
  avgFn?: AvgFn | null;
  /** An in-place averaging function of lists; only one of avgFn and multiAvgFn. */
  multiAvgFn?: MultiAvgFn | null;
  /** Average the buffers too (default false: buffers are copied from the model). */
  useBuffers?: boolean;
}

/**
 * A copy of `model` whose parameters (and buffers with `useBuffers`) are running averages of
 * the model's, updated by `updateParameters(model)` (torch.optim.swa_utils.AveragedModel).
 * Its state dict is PyTorch's: `n_averaged` and the copy's keys under `module.`.
 */
export class AveragedModel<M extends Module = Module> extends Module {
  readonly module: M;
  declare n_averaged: Tensor;
  readonly avgFn: AvgFn | null;
  readonly multiAvgFn: MultiAvgFn | null;
  readonly useBuffers: boolean;
  constructor(
    model: M,
    ...args: WithOptions<
      [device: Device | null, avgFn: AvgFn | null, multiAvgFn: MultiAvgFn | null, useBuffers: boolean],
      AveragedModelOptions
    >
  ) {
    super();
    if (!(model instanceof Module)) throw typeError('a Module', 'model', model);
    const o = bindArgs<AveragedModelOptions>(args, ['device', 'avgFn', 'multiAvgFn', 'useBuffers'], 'AveragedModel');
    if (o.avgFn && o.multiAvgFn) throw new TypeError('Only one of avgFn and multiAvgFn should be provided');
    for (const [k, f] of [
      ['avgFn', o.avgFn],
      ['multiAvgFn', o.multiAvgFn],
    ] as const)
      if (f !== undefined && f !== null && typeof f !== 'function') throw typeError('a function', k, f);
    let copy = deepCopyModule(model);
    if (o.device !== undefined && o.device !== null) copy = copy.to(o.device);
    this.module = copy;
    const device = o.device ?? undefined;
    this.registerBuffer('n_averaged', tensor(0, { dtype: 'int64', ...(device ? { device } : {}) }));
    this.avgFn = o.avgFn ?? null;
    this.multiAvgFn = o.multiAvgFn ?? null;
    this.useBuffers = checkBool(o.useBuffers ?? false, 'useBuffers');
  }

  /** The averaged model's forward. */
  forward(...inputs: unknown[]): unknown {
    return (this.module.forward as (...a: unknown[]) => unknown)(...inputs);
  }

  /** Folds the model's current weights into the average (the first call copies them). */
  updateParameters(model: M): void {
    if (!(model instanceof Module)) throw typeError('a Module', 'model', model);
    noGrad(() =>
      tidy(() => {
        const mine: Tensor[] = this.useBuffers
          ? [...this.module.parameters(), ...this.module.buffers()]
          : this.module.parameters();
        const theirs: Tensor[] = this.useBuffers ? [...model.parameters(), ...model.buffers()] : model.parameters();
        if (mine.length !== theirs.length)
          throw rangeError(
            `a model with ${mine.length} tensors to average (as the averaged copy)`,
            'model',
            theirs.length,
          );
        const first = (this.n_averaged.item() as number) === 0;
        const current = theirs.map((p, i) => p.detach().to(mine[i].device));
        const update = (avg: AvgFn) => {
          for (let i = 0; i < mine.length; i++)
            mine[i].detach().copy_(avg(mine[i].detach(), current[i], this.n_averaged.to(mine[i].device)));
        };
        if (first) for (let i = 0; i < mine.length; i++) mine[i].detach().copy_(current[i]);
        else if (this.avgFn !== null) update(this.avgFn);
        else if (this.multiAvgFn !== null) {
          // Grouped by device and dtype, as PyTorch's _group_tensors_by_device_and_dtype.
          const groups = new Map<string, [Tensor[], Tensor[]]>();
          mine.forEach((a, i) => {
            const key = `${a.device}|${a.dtype}`;
            const g = groups.get(key) ?? [[], []];
            g[0].push(a.detach());
            g[1].push(current[i]);
            groups.set(key, g);
          });
          for (const [a, c] of groups.values()) this.multiAvgFn(a, c, this.n_averaged.to(a[0].device));
        } else update(getSwaAvgFn());
        if (!this.useBuffers) {
          const bs = this.module.buffers();
          const theirBuffers = model.buffers();
          for (let i = 0; i < bs.length; i++) bs[i].detach().copy_(theirBuffers[i].detach().to(bs[i].device));
        }
        this.n_averaged.add_(1);
      }),
    );
  }
}

/**
 * torchvision's ExponentialMovingAverage (references/classification/utils.py): an
 * AveragedModel over parameters and buffers with `decay * average + (1 - decay) * model`.
 */
export class ExponentialMovingAverage<M extends Module = Module> extends AveragedModel<M> {
  readonly decay: number;
  constructor(model: M, decay: number, device: Device = 'cpu') {
    checkNumber(decay, 'decay');
    super(model, device, (a, m) => a.mul(decay).add(m.mul(1 - decay)), null, true);
    this.decay = decay;
  }
}
