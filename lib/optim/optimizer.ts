/**
 * The optimizer base (`torch.optim.Optimizer`): parameter groups, per-parameter state,
 * `zeroGrad`, `step(closure)`, and state dicts in PyTorch's layout.
 */
import { N } from '../native';
import { Parameter } from '../nn/parameter';
import { enableGrad } from '../torch/autograd';
import { full } from '../torch/creation';
import { bindArgs } from '../torch/args';
import { checkBool, checkNumber, checkOptions, rangeError, TorchError, typeError } from '../torch/errors';
import { keep } from '../torch/memory';
import { _wrap as wrap, Tensor } from '../torch/tensor';

/** Hyper-parameters of a group, camelCase (`lr`, `momentum`, `weightDecay`, `betas`, ...). */
export type Hyper = Record<string, unknown>;

export interface ParamGroup extends Hyper {
  lr: number;
}
/** A group as the optimizer holds it: its parameters plus its hyper-parameters. */
export type HeldGroup = ParamGroup & { params: Parameter[] };

/** What a constructor accepts: parameters, or groups of them with their own hyper-parameters. */
export type Params = Iterable<Parameter> | ({ params: Iterable<Parameter> | Parameter } & Hyper)[];

/** A value of a parameter's state: a tensor, a number, and for L-BFGS lists of them and null. */
export type StateValue = Tensor | number | null | StateValue[];

/**
 * Per-parameter state under PyTorch's names (`momentum_buffer`, `exp_avg`, `step`, ...);
 * step counts are 0-dim float32 tensors, as PyTorch 2.13 keeps them.
 */
export type ParamState = Record<string, StateValue>;

/**
 * `stateDict()`'s shape, PyTorch's `optimizer.state_dict()`: state by parameter index, and
 * the groups with PyTorch's snake_case hyper-parameter names and their parameter indices.
 */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  param_groups: (Hyper & { params: number[] })[];
}

/** What `step(closure)` takes: re-evaluates the model and returns the loss. */
export type Closure = () => Tensor | number;

/**
 * Group keys that learning-rate schedulers keep in the groups (PyTorch's `initial_lr`,
 * OneCycleLR's and CyclicLR's bookkeeping): allowed in a group besides the hyper-parameters.
 */
export const SCHEDULER_GROUP_KEYS: readonly string[] = ['initialLr', 'maxLr', 'minLr', 'maxMomentum', 'baseMomentum'];

/** PyTorch's group key for a torchts one (`weightDecay` -> `weight_decay`). */
export const snakeCase = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
/** torchts's group key for a PyTorch one (`weight_decay` -> `weightDecay`). */
export const camelCase = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * The defaults of an optimizer built as in PyTorch: the arguments PyTorch takes positionally
 * (`positional`, in its order: lr, momentum, ...) positional here too, then the rest (or any of
 * them) as camelCase options: `new SGD(params, 0.1, 0.9)`, `new SGD(params, 0.1, { momentum: 0.9 })`,
 * `new SGD(params, { lr: 0.1, momentum: 0.9 })`. Unknown option keys throw a TypeError naming
 * the nearest valid one; an argument given both ways throws too.
 */
export function optimizerDefaults<D extends ParamGroup>(
  name: string,
  defaults: D,
  args: readonly unknown[],
  positional: readonly (keyof D & string)[],
  keys: readonly string[] = Object.keys(defaults),
): D {
  const o = bindArgs<D>(args, positional, name, keys as (keyof D & string)[]);
  const out: Hyper = { ...defaults };
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as D;
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

/** Whether CUDA can be used: fixed for the process, so asked once (not on every step). */
let cuda: boolean | undefined;
function cudaCapturing(): boolean {
  if (cuda === undefined) cuda = N.cudaIsAvailable() as boolean;
  return cuda && (N.cudaIsCapturing() as boolean);
}

/** Checks a loaded state value (tensors, numbers, null, arrays of them) and names where it is bad. */
function checkStateValue(v: unknown, where: string): StateValue {
  if (v instanceof Tensor || typeof v === 'number' || v === null) return v;
  if (Array.isArray(v)) return v.map((x, i) => checkStateValue(x, `${where}[${i}]`));
  throw typeError('a Tensor, a number, null or an array of them', where, v);
}

/** Every tensor inside a state value. */
function tensorsIn(v: StateValue, into: Set<Tensor>): void {
  if (v instanceof Tensor) into.add(v);
  else if (Array.isArray(v)) for (const x of v) tensorsIn(x, into);
}

export abstract class Optimizer {
  readonly paramGroups: HeldGroup[] = [];
  readonly state = new Map<Parameter, ParamState>();
  readonly defaults: ParamGroup;
  /** State keys that are 0-dim tensors in PyTorch 2.13 (loaded numbers become tensors). */
  protected readonly scalarStateKeys: readonly string[] = ['step'];

  constructor(params: Params, defaults: ParamGroup) {
    this.defaults = defaults;
    if (params instanceof Tensor)
      throw typeError('an iterable of Parameters (not a single Tensor)', 'params', params.constructor.name);
    if (
      params === null ||
      typeof params !== 'object' ||
      typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function'
    )
      throw typeError('an iterable of Parameters or of parameter groups', 'params', params);
    const list = [...(params as Iterable<unknown>)];
    if (list.length === 0)
      throw new TypeError('Expected a non-empty list of parameters or groups for params but received an empty list');
    const groups = list[0] instanceof Tensor ? [{ params: list as Parameter[] }] : (list as { params: Parameter[] }[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Adds a group; missing hyper-parameters come from the defaults. */
  addParamGroup(group: { params: Iterable<Parameter> | Parameter } & Hyper): void {
    const g = checkOptions<{ params: Iterable<Parameter> } & Hyper>(group, 'group', [
      'params',
      ...Object.keys(this.defaults),
      ...SCHEDULER_GROUP_KEYS,
    ]);
    const given = g.params instanceof Tensor ? [g.params] : g.params;
    if (!given || typeof (given as Iterable<Parameter>)[Symbol.iterator] !== 'function') {
      throw typeError('an iterable of Parameters', 'group.params', g.params);
    }
    const params = [...(given as Iterable<Parameter>)];
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
   * optimizers extend it with their own. Errors name the hyper-parameter. The flags PyTorch
   * has (`maximize`, `foreach`, `fused`, `capturable`, `differentiable`) are checked here for
   * the optimizers whose defaults have them; what torchts does not implement is refused.
   */
  protected checkGroup(g: Hyper): void {
    if (checkNumber(g.lr, 'lr') < 0) throw rangeError('lr >= 0', 'lr', g.lr);
    const has = (k: string) => k in this.defaults;
    if (has('maximize')) checkBool(g.maximize, 'maximize');
    if (has('foreach') && g.foreach !== null) checkBool(g.foreach, 'foreach');
    if (has('differentiable') && checkBool(g.differentiable, 'differentiable')) {
      throw rangeError(
        'false (torchts does not record optimizer updates for autograd: differentiable=True is not implemented)',
        'differentiable',
        true,
      );
    }
    if (has('capturable') && checkBool(g.capturable, 'capturable')) {
      throw rangeError(
        'false (capturable=True, step counts on the device, is not implemented; for CUDA graphs use SGD, or Adam/AdamW with fused: true)',
        'capturable',
        true,
      );
    }
    if (has('fused') && g.fused !== null && checkBool(g.fused, 'fused')) {
      if (g.foreach === true) throw new TorchError('`fused` and `foreach` cannot be `True` together.');
      if (Array.isArray(g.params)) checkFusable(g.params as Parameter[]);
    }
  }

  /** Clears the gradients of every parameter (to null by default, as PyTorch does). */
  zeroGrad(setToNone = true): void {
    N.zeroGrad(
      this.paramGroups.flatMap((g) => g.params.map((p) => p.handle)),
      checkBool(setToNone, 'setToNone'),
    );
  }

  /**
   * Performs one update from the current gradients. With a `closure` (re-evaluates the model,
   * calls `backward()` and returns the loss), calls it first with gradients enabled and
   * returns its loss, as PyTorch does.
   */
  abstract step(closure?: Closure): unknown;

  /** Calls `closure` (if any) with gradients enabled, as PyTorch's `step(closure)` does. */
  protected evaluate(closure: Closure | undefined): Tensor | number | undefined {
    if (closure === undefined) return undefined;
    if (typeof closure !== 'function') throw typeError('a function', 'closure', closure);
    return enableGrad(closure);
  }

  /** The parameters of `g` that have a gradient (the others are skipped, as in PyTorch). */
  protected withGrad(g: HeldGroup): Parameter[] {
    return g.params.filter((p) => N.hasGrad(p.handle));
  }

  /**
   * How a group is updated: `fused` kernels when asked, else PyTorch's foreach rule (the
   * multi-tensor form when `foreach` is true, or when it is null and every parameter is on
   * CUDA; the per-parameter loop otherwise). Steps counted on the host cannot be captured
   * in a CUDA graph (it would replay one count forever), so they refuse under capture.
   */
  protected mode(g: HeldGroup, params: Parameter[]): 'single' | 'foreach' | 'fused' {
    if (g.fused === true) return 'fused';
    if (this.scalarStateKeys.length > 0 && cudaCapturing()) {
      throw new TorchError(
        `${this.constructor.name} keeps its step counts on the host: a captured CUDA graph would replay one step count forever${'fused' in this.defaults ? '; use { fused: true }' : ''}`,
      );
    }
    const foreach = (g.foreach as boolean | null | undefined) ?? params.every((p) => p.device.startsWith('cuda'));
    return foreach ? 'foreach' : 'single';
  }

  /**
   * Whether the 0-dim state `key` lives on the parameter's device (fused or capturable step
   * counts) rather than on the CPU (PyTorch's "special device hosting for step").
   */
  protected scalarOnDevice(_key: string, g: Hyper): boolean {
    return g.fused === true || g.capturable === true;
  }

  /** A new 0-dim float32 state scalar (a step count, ...): on the CPU, or on `p`'s device. */
  protected scalarState(p: Parameter, value: number, onDevice = false): Tensor {
    return full([], value, { dtype: 'float32', device: onDevice ? p.device : 'cpu' });
  }

  /**
   * The state of `p`, made by `init` on its first step (PyTorch's lazy initialisation);
   * state loaded from elsewhere must have every key `init` makes.
   */
  protected stateOf(p: Parameter, init: () => ParamState): ParamState {
    const s = this.state.get(p);
    if (s !== undefined && Object.keys(s).length > 0) return s;
    const made: ParamState = {};
    for (const [k, v] of Object.entries(init())) {
      this.setState(p, k, v);
      made[k] = v;
    }
    return this.state.get(p) ?? made;
  }

  /** The state tensor `name` of each parameter (native handles; -1 where there is none). */
  protected handles(params: Parameter[], name: string): number[] {
    return params.map((p) => {
      const t = this.state.get(p)?.[name];
      if (t === undefined || t === null) return -1;
      if (!(t instanceof Tensor))
        throw new TorchError(`${this.constructor.name}: state ${name} of a parameter is ${typeof t}, not a Tensor`);
      return t.handle;
    });
  }

  /** The state tensor `name` of `p`, if any (its native handle, or -1). */
  protected stateHandle(p: Parameter, name: string): number {
    const t = this.state.get(p)?.[name];
    return t instanceof Tensor ? t.handle : -1;
  }

  /** Stores a state value; its tensors are kept out of every tidy scope. */
  protected setState(p: Parameter, name: string, value: StateValue): void {
    let s = this.state.get(p);
    if (!s) {
      s = {};
      this.state.set(p, s);
    }
    const ts = new Set<Tensor>();
    tensorsIn(value, ts);
    for (const t of ts) keep(t);
    s[name] = value;
  }

  /**
   * Runs the native update `algorithm` over `params` (all with gradients) with the state
   * lists `keys` and the hyper-parameters `hyper`; state the update creates (SGD's momentum
   * buffers) is stored. Every parameter must have the state keys in `keys` except those
   * marked optional with a trailing `?` (state loaded from elsewhere may lack some).
   */
  protected nativeStep(
    algorithm: string,
    params: Parameter[],
    keys: readonly string[],
    hyper: Record<string, number | boolean>,
    mode: 'single' | 'foreach' | 'fused',
  ): void {
    const state: Record<string, number[]> = {};
    for (const key of keys) {
      const name = key.endsWith('?') ? key.slice(0, -1) : key;
      state[name] = this.handles(params, name);
      if (name !== key) continue;
      const missing = state[name].indexOf(-1);
      if (missing >= 0) {
        throw new TorchError(
          `${this.constructor.name}: a parameter's state has no ${name} (was a state dict of another optimizer or configuration loaded?)`,
        );
      }
    }
    const created = N.optimStep(
      algorithm,
      params.map((p) => p.handle),
      state,
      hyper,
      mode,
    ) as Record<string, number[]>;
    for (const [k, hs] of Object.entries(created)) {
      hs.forEach((h, i) => {
        if (h >= 0) this.setState(params[i], k, wrap(h));
      });
    }
  }

  /**
   * Fused kernels read the step count as float32 on the parameter's device; a count kept
   * elsewhere (the group was switched to `fused` after some steps) is moved there.
   */
  protected fusedStep(p: Parameter): void {
    const step = this.state.get(p)?.step;
    if (step instanceof Tensor && (step.dtype !== 'float32' || step.device !== p.device)) {
      this.setState(p, 'step', step.to({ dtype: 'float32', device: p.device, copy: true }));
      step.dispose();
    }
  }

  /**
   * One step of a native algorithm: for each group, the parameters with gradients get their
   * state on first use (`init`), then one native call updates them all (`nativeStep`).
   */
  protected updateGroups(
    algorithm: string,
    spec: {
      init?: (p: Parameter, g: HeldGroup, mode: 'single' | 'foreach' | 'fused') => ParamState;
      keys: (g: HeldGroup) => readonly string[];
      hyper: (g: HeldGroup) => Record<string, number | boolean>;
    },
  ): void {
    for (const g of this.paramGroups) {
      const params = this.withGrad(g);
      if (params.length === 0) continue;
      const mode = this.mode(g, params);
      const init = spec.init;
      if (init) for (const p of params) this.stateOf(p, () => init(p, g, mode));
      if (mode === 'fused') for (const p of params) this.fusedStep(p);
      this.nativeStep(algorithm, params, spec.keys(g), spec.hyper(g), mode);
    }
  }

  /**
   * The optimizer's state in PyTorch's layout (`optimizer.state_dict()`): parameters
   * numbered in group order, groups with snake_case names and `params` last, state tensors
   * as held (not copies), tensor step counts. `torch.save` writes it; PyTorch's
   * `load_state_dict` reads it back (test/parity/optim.test.ts).
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Parameter, number>();
    const param_groups = this.paramGroups.map((g) => {
      const out: Hyper = {};
      for (const [k, v] of Object.entries(copyHyper(g))) out[snakeCase(k)] = v;
      out.params = g.params.map((p) => {
        index.set(p, index.size);
        return index.size - 1;
      });
      return out as Hyper & { params: number[] };
    });
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      state[i] = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]));
    }
    return { state, param_groups };
  }

  /**
   * Where a loaded state tensor goes (PyTorch's `_process_value_according_to_param_policy`):
   * step counts stay as they are unless fused or capturable (then float32 on the parameter's
   * device); other tensors take the parameter's device, and its dtype when floating point.
   */
  private placeState(v: Tensor, key: string | undefined, p: Parameter, g: Hyper): Tensor {
    if (key === 'step') {
      return g.fused === true || g.capturable === true
        ? v.to({ dtype: 'float32', device: p.device, copy: true })
        : v.to({ copy: true });
    }
    return v.to({ device: p.device, copy: true, dtype: p.isFloatingPoint() ? p.dtype : v.dtype });
  }

  /** A loaded state value placed for `p`; numbers under `scalarStateKeys` become 0-dim tensors. */
  private loadValue(v: StateValue, key: string | undefined, p: Parameter, g: Hyper): StateValue {
    if (v instanceof Tensor) return this.placeState(v, key, p, g);
    if (Array.isArray(v)) return v.map((x) => this.loadValue(x, undefined, p, g));
    if (typeof v === 'number' && key !== undefined && this.scalarStateKeys.includes(key)) {
      return this.scalarState(p, v, this.scalarOnDevice(key, g));
    }
    return v;
  }

  /**
   * Restores state and hyper-parameters (the groups must match in size) from `stateDict()`,
   * from PyTorch's own `optimizer.state_dict()` as `torch.load` reads it from a `.pth` file
   * (so training started in PyTorch can resume here), and from the camelCase layout torchts
   * wrote before 0.2 (`paramGroups`, step counts as numbers). Group keys torchts does not
   * know are kept (and saved again); everything is checked before anything changes. The
   * state tensors are copied in; the previous ones are freed, including those an earlier
   * `stateDict()` still refers to.
   */
  loadStateDict(sd: OptimizerStateDict | Record<string, unknown>): void {
    const d = checkOptions<{ state: unknown; param_groups: unknown; paramGroups: unknown }>(sd, 'stateDict', [
      'state',
      'param_groups',
      'paramGroups',
    ]);
    const pytorchLayout = d.param_groups !== undefined;
    const groups = pytorchLayout ? d.param_groups : d.paramGroups;
    const groupsName = pytorchLayout ? 'stateDict.param_groups' : 'stateDict.paramGroups';
    if (!Array.isArray(groups)) throw typeError('an array of parameter groups', groupsName, groups);
    if (groups.length !== this.paramGroups.length) {
      throw new TorchError('loaded state dict has a different number of parameter groups');
    }
    const params: Parameter[] = [];
    const paramGroup: Hyper[] = [];
    const hypers = groups.map((given: unknown, i) => {
      const g = checkOptions<Hyper & { params: unknown }>(given, `${groupsName}[${i}]`);
      if (!Array.isArray(g.params) || g.params.length !== this.paramGroups[i].params.length) {
        throw new TorchError(
          "loaded state dict contains a parameter group that doesn't match the size of optimizer's group",
        );
      }
      const hyper: Hyper = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') hyper[pytorchLayout ? camelCase(k) : k] = v;
      // Checked before anything changes, so a bad state dict leaves the optimizer as it was.
      const merged = { ...copyHyper(this.paramGroups[i]), ...copyHyper(hyper), params: this.paramGroups[i].params };
      this.checkGroup(merged);
      for (const p of this.paramGroups[i].params) {
        params.push(p);
        paramGroup.push(merged);
      }
      return copyHyper(hyper);
    });
    const stateIn = checkOptions<Record<string, unknown>>(d.state, 'stateDict.state');
    const entries = Object.entries(stateIn).map(([k, s]) => {
      const i = Number(k);
      const p = params[i];
      if (!p) throw new TorchError(`loaded state dict has state for parameter ${k}, which the optimizer does not have`);
      const values = Object.entries(checkOptions<ParamState>(s, `stateDict.state[${k}]`)).map(
        ([name, v]) => [name, checkStateValue(v, `stateDict.state[${k}].${name}`)] as const,
      );
      return [p, values, paramGroup[i]] as const;
    });
    const placed = entries.map(
      ([p, values, g]) => [p, values.map(([name, v]) => [name, this.loadValue(v, name, p, g)] as const)] as const,
    );
    const old = new Set<Tensor>();
    for (const s of this.state.values()) for (const v of Object.values(s)) tensorsIn(v, old);
    for (const t of old) t.dispose();
    this.state.clear();
    for (const [p, values] of placed) for (const [name, v] of values) this.setState(p, name, v);
    hypers.forEach((hyper, i) => {
      Object.assign(this.paramGroups[i], hyper);
    });
  }
}
