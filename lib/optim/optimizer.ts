/** The optimizer base: parameter groups, per-parameter state, zeroGrad, state dicts. */
import { N } from '../native';
import { Parameter } from '../nn/parameter';
import { checkBool, checkNumber, checkOptions, TorchError, typeError } from '../torch/errors';
import { keep } from '../torch/memory';
import { Tensor } from '../torch/tensor';

/** Hyper-parameters of a group, camelCase (`lr`, `momentum`, `weightDecay`, `betas`, ...). */
export type Hyper = Record<string, unknown>;

export interface ParamGroup extends Hyper {
  lr: number;
}
/** A group as the optimizer holds it: its parameters plus its hyper-parameters. */
export type HeldGroup = ParamGroup & { params: Parameter[] };

/** What a constructor accepts: parameters, or groups of them with their own hyper-parameters. */
export type Params = Iterable<Parameter> | ({ params: Iterable<Parameter> } & Hyper)[];

/** Per-parameter state: tensors under PyTorch's names (`momentum_buffer`, `exp_avg`, ...) and the `step` count. */
export type ParamState = Record<string, Tensor | number>;

/** `stateDict()`'s shape: state by parameter index, and the groups with parameter indices. */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  paramGroups: (Hyper & { params: number[] })[];
}

/** `fused: true` needs floating-point parameters on the CPU or CUDA (PyTorch's rule). */
export function checkFusable(params: Parameter[]): void {
  for (const p of params) {
    if (!['float32', 'float64', 'float16', 'bfloat16'].includes(p.dtype)) {
      throw new TorchError(`\`fused=True\` requires all the params to be floating point Tensors of supported devices: ['cpu', 'cuda'] but ${p.dtype} and ${p.device}`);
    }
  }
}

/** A shallow copy of hyper-parameters with array values (betas) copied too; `params` left out. */
function copyHyper(h: Hyper): Hyper {
  const out: Hyper = {};
  for (const [k, v] of Object.entries(h)) if (k !== 'params') out[k] = Array.isArray(v) ? [...v] : v;
  return out;
}

export abstract class Optimizer {
  readonly paramGroups: HeldGroup[] = [];
  readonly state = new Map<Parameter, ParamState>();
  readonly defaults: ParamGroup;

  constructor(params: Params, defaults: ParamGroup) {
    this.defaults = defaults;
    const list = [...(params as Iterable<unknown>)];
    if (list.length === 0) throw new TypeError('Expected a non-empty list of parameters or groups for params but received an empty list');
    const groups = list[0] instanceof Parameter ? [{ params: list as Parameter[] }] : (list as { params: Iterable<Parameter> }[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Adds a group; missing hyper-parameters come from the defaults. */
  addParamGroup(group: { params: Iterable<Parameter> } & Hyper): void {
    const g = checkOptions<{ params: Iterable<Parameter> } & Hyper>(group, 'group');
    if (!g.params || typeof (g.params as Iterable<Parameter>)[Symbol.iterator] !== 'function') {
      throw typeError('an iterable of Parameters', 'group.params', g.params);
    }
    const params = [...(g.params as Iterable<Parameter>)];
    const seen = new Set(this.paramGroups.flatMap((pg) => pg.params));
    params.forEach((p, i) => {
      if (!(p instanceof Parameter)) throw typeError('a Parameter', `params[${i}]`, p);
      if (seen.has(p)) throw new TorchError('some parameters appear in more than one parameter group');
      seen.add(p);
    });
    // Arrays (betas) are copied so that groups never share them with the defaults or each other.
    const held = { ...copyHyper(this.defaults), ...copyHyper(g), params } as HeldGroup;
    this.checkGroup(held);
    this.paramGroups.push(held);
  }

  /**
   * Validates a group's hyper-parameters (given, defaulted or loaded from a state dict);
   * optimizers extend it with their own. Errors name the hyper-parameter.
   */
  protected checkGroup(g: Hyper): void {
    if (checkNumber(g.lr, 'lr') < 0) throw new RangeError(`Expected lr >= 0 for lr but received ${g.lr}`);
  }

  /** Clears the gradients of every parameter (to null by default, as PyTorch does). */
  zeroGrad(setToNone = true): void {
    N.zeroGrad(
      this.paramGroups.flatMap((g) => g.params.map((p) => p.handle)),
      checkBool(setToNone, 'setToNone'),
    );
  }

  /** Performs one update from the current gradients. */
  abstract step(): void;

  /** The state tensor `name` of `p`, if any (its native handle, or -1). */
  protected stateHandle(p: Parameter, name: string): number {
    const t = this.state.get(p)?.[name];
    return t instanceof Tensor ? t.handle : -1;
  }

  /** Stores a state tensor, kept out of every tidy scope. */
  protected setState(p: Parameter, name: string, value: Tensor | number): void {
    let s = this.state.get(p);
    if (!s) this.state.set(p, (s = {}));
    if (value instanceof Tensor) keep(value);
    s[name] = value;
  }

  /** The optimizer's state, with parameters numbered in group order (PyTorch's layout). */
  stateDict(): OptimizerStateDict {
    const index = new Map<Parameter, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const { params, ...hyper } = g;
      return { ...hyper, params: params.map((p) => index.set(p, index.size).get(p)!) };
    });
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[i] = { ...s };
    }
    return { state, paramGroups };
  }

  /** Restores state and hyper-parameters saved by `stateDict()` (the groups must match in size). */
  loadStateDict(sd: OptimizerStateDict): void {
    const d = checkOptions<OptimizerStateDict>(sd, 'stateDict');
    if (!Array.isArray(d.paramGroups) || d.paramGroups.length !== this.paramGroups.length) {
      throw new TorchError('loaded state dict has a different number of parameter groups');
    }
    const params: Parameter[] = [];
    const hypers = d.paramGroups.map((g, i) => {
      if (!Array.isArray(g.params) || g.params.length !== this.paramGroups[i].params.length) {
        throw new TorchError("loaded state dict contains a parameter group that doesn't match the size of optimizer's group");
      }
      params.push(...this.paramGroups[i].params);
      const { params: _ignored, ...hyper } = g;
      // Checked before anything changes, so a bad state dict leaves the optimizer as it was.
      const merged = { ...copyHyper(this.paramGroups[i]), ...copyHyper(hyper) };
      this.checkGroup(merged);
      return copyHyper(hyper);
    });
    for (const s of this.state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
    for (const [k, s] of Object.entries(d.state ?? {})) {
      const p = params[Number(k)];
      if (!p) throw new TorchError(`loaded state dict has state for parameter ${k}, which the optimizer does not have`);
      for (const [name, v] of Object.entries(s)) {
        this.setState(p, name, v instanceof Tensor ? v.to({ device: p.device, copy: true, dtype: v.isFloatingPoint() ? p.dtype : v.dtype }) : v);
      }
    }
    hypers.forEach((hyper, i) => Object.assign(this.paramGroups[i], hyper));
  }
}
