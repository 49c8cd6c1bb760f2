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
      throw new TorchError(
        `\`fused=True\` requires all the params to be floating point Tensors of supported devices: ['cpu', 'cuda'] but ${p.dtype} and ${p.device}`,
      );
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
    if (list.length === 0)
      throw new TypeError('Expected a non-empty list of parameters or groups for params but received an empty list');
    const groups =
      list[0] instanceof Parameter ? [{ params: list as Parameter[] }] : (list as { params: Iterable<Parameter> }[]);
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
    const s = this.stateOf(p);
    if (value instanceof Tensor) keep(value);
    s[name] = value;
  }

  /** The state of `p`, created empty when it has none yet. */
  protected stateOf(p: Parameter): ParamState {
    let s = this.state.get(p);
    if (!s) {
      s = {};
      this.state.set(p, s);
    }
    return s;
  }

  /** The optimizer's state, with parameters numbered in group order (PyTorch's layout). */
  stateDict(): OptimizerStateDict {
    const index = new Map<Parameter, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const { params, ...hyper } = g;
      const numbered = params.map((p) => {
        const i = index.size;
        index.set(p, i);
        return i;
      });
      return { ...hyper, params: numbered };
    });
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[i] = { ...s };
    }
    return { state, paramGroups };
  }

  /** Our state dict layout from PyTorch's (returned as it is when it already is ours). */
  private fromPyTorch(d: Partial<OptimizerStateDict & { param_groups: unknown }>): Partial<OptimizerStateDict> {
    if (d.paramGroups !== undefined || d.param_groups === undefined) return d;
    if (!Array.isArray(d.param_groups))
      throw typeError('an array of parameter groups', 'stateDict.param_groups', d.param_groups);
    const camel = (k: string): string => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const paramGroups = (d.param_groups as Record<string, unknown>[]).map((g, i) => {
      const known = this.paramGroups[i] ?? this.defaults;
      const out: Hyper & { params: number[] } = { params: g?.params as number[] };
      for (const [k, v] of Object.entries(g ?? {})) {
        // None (PyTorch's "default") keeps ours; names torchts does not have are PyTorch-only.
        if (k !== 'params' && v !== null && camel(k) in known) out[camel(k)] = v;
      }
      return out;
    });
    return { state: d.state, paramGroups };
  }

  /**
   * Restores state and hyper-parameters saved by `stateDict()` (the groups must match in size).
   * Also takes PyTorch's own `optimizer.state_dict()` as `torch.load` reads it from a `.pth`
   * file (`param_groups`, snake_case names, tensor step counts), so training started in
   * PyTorch can resume here; PyTorch-only settings (`foreach`, `capturable`, ...) are ignored.
   */
  loadStateDict(sd: OptimizerStateDict | Record<string, unknown>): void {
    const d = this.fromPyTorch(checkOptions<OptimizerStateDict & { param_groups: unknown }>(sd, 'stateDict'));
    if (!Array.isArray(d.paramGroups) || d.paramGroups.length !== this.paramGroups.length) {
      throw new TorchError('loaded state dict has a different number of parameter groups');
    }
    const params: Parameter[] = [];
    const hypers = d.paramGroups.map((g, i) => {
      if (!Array.isArray(g.params) || g.params.length !== this.paramGroups[i].params.length) {
        throw new TorchError(
          "loaded state dict contains a parameter group that doesn't match the size of optimizer's group",
        );
      }
      params.push(...this.paramGroups[i].params);
      const { params: _ignored, ...hyper } = g;
      // Checked before anything changes, so a bad state dict leaves the optimizer as it was.
      const merged = { ...copyHyper(this.paramGroups[i]), ...copyHyper(hyper) };
      this.checkGroup(merged);
      return copyHyper(hyper);
    });
    const entries = Object.entries(d.state ?? {}).map(([k, s]) => {
      const p = params[Number(k)];
      if (!p) throw new TorchError(`loaded state dict has state for parameter ${k}, which the optimizer does not have`);
      const values = Object.entries(checkOptions<ParamState>(s, `stateDict.state[${k}]`)) as [
        string,
        Tensor | number,
      ][];
      for (const [name, v] of values) {
        if (!(v instanceof Tensor) && typeof v !== 'number')
          throw typeError('a Tensor or a number', `stateDict.state[${k}].${name}`, v);
      }
      return [p, values] as const;
    });
    for (const s of this.state.values()) for (const v of Object.values(s)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
    for (const [p, values] of entries) {
      for (const [name, v] of values) {
        this.setState(
          p,
          name,
          v instanceof Tensor
            ? v.to({ device: p.device, copy: true, dtype: v.isFloatingPoint() && name !== 'step' ? p.dtype : v.dtype })
            : v,
        );
      }
    }
    hypers.forEach((hyper, i) => {
      Object.assign(this.paramGroups[i], hyper);
    });
  }
}
