/**
 * nn.Module: the base of every layer and model. As in PyTorch, parameters and child modules
 * are registered by assignment (`this.conv1 = new nn.Conv2d(...)`): they are the instance's
 * own properties holding a Parameter or a Module, in property order (for class fields,
 * their declaration order). Buffers are registered with `registerBuffer`. State-dict keys
 * are the property names joined with dots, exactly PyTorch's (`layer1.0.bn1.running_mean`).
 */
import { inspect } from 'node:util';

import { N } from '../native';
import type { Device } from '../torch/device';
import { type DType, isFloatingPoint } from '../torch/dtype';
import { bindArgs, type WithOptions } from '../torch/args';
import { checkBool, checkOptions, TorchError, typeError } from '../torch/errors';
import { noGrad } from '../torch/autograd';
import { escapeScopes, keep, moduleScope, setModuleTest, unscoped } from '../torch/memory';
import { type MemoryFormat, Tensor } from '../torch/tensor';
import { Parameter } from './parameter';

/** A state dict: PyTorch's keys mapped to tensors, in registration order. */
export type StateDict = Record<string, Tensor>;

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** Targets of `Module.to()`. */
export type ModuleTarget =
  | Device
  | DType
  | MemoryFormat
  | { device?: Device | string; dtype?: DType; memoryFormat?: MemoryFormat };

/** A hook run before `forward`: may return replacement arguments (one value or an array). */
export type ForwardPreHook = (module: Module, args: unknown[]) => unknown;
/** A hook run after `forward`: may return a replacement output. */
export type ForwardHook = (module: Module, args: unknown[], output: unknown) => unknown;

/** PyTorch's `(prefix='', recurse=True, remove_duplicate=True)` of `named_parameters`/`named_buffers`. */
type NamedMembersArgs = WithOptions<
  [prefix: string, recurse: boolean, removeDuplicate: boolean],
  { prefix?: string; recurse?: boolean; removeDuplicate?: boolean }
>;

/** Returned by `register*Hook`: `remove()` unregisters the hook. */
export interface RemovableHandle {
  remove(): void;
}

interface Hooks {
  pre: Map<number, ForwardPreHook>;
  post: Map<number, ForwardHook>;
}
let nextHookId = 0;

type AnyForward = (this: Module, ...args: unknown[]) => unknown;
const scopedForwards = new WeakMap<object, AnyForward>();

/**
 * The `forward` installed on every module instance: runs the class's own forward as a scope
 * (lib/torch/memory.ts), so that the temporaries of a forward written the way PyTorch code is
 * written (`x = this.conv1.forward(x); x = F.relu(x); ...`) are freed when it returns, as
 * Python's reference counting frees them; and runs the module's hooks around it.
 */
function scopedForward(proto: object): AnyForward | undefined {
  const cached = scopedForwards.get(proto);
  if (cached !== undefined) return cached;
  const own = (proto as { forward?: AnyForward }).forward;
  if (typeof own !== 'function') return undefined;
  const name = (proto as { constructor?: { name?: string } }).constructor?.name ?? 'Module';
  const reason = `it was created inside ${name}.forward() and was neither returned nor stored on the module; return it, store it on the module (this.x = t) or call torch.keep(t)`;
  const isAsync = own.constructor?.name === 'AsyncFunction';
  const forward: AnyForward = function (this: Module, ...args: unknown[]): unknown {
    const hooks = (this as unknown as { _hooks?: Hooks })._hooks;
    if (hooks === undefined) return moduleScope(reason, isAsync, this, args, () => own.apply(this, args));
    let input = args;
    // What hooks see, they may store (a feature extractor's dict): scopes leave it to the collector.
    if (hooks.pre.size > 0) escapeScopes(args);
    for (const hook of hooks.pre.values()) {
      const r = unscoped(() => hook(this, input));
      if (r !== undefined && r !== null) input = Array.isArray(r) ? r : [r];
    }
    let output = moduleScope(reason, isAsync, this, input, () => own.apply(this, input));
    if (hooks.post.size > 0) escapeScopes(output);
    for (const hook of hooks.post.values()) {
      const r = unscoped(() => hook(this, input, output));
      if (r !== undefined && r !== null) output = r;
    }
    return output;
  };
  Object.defineProperty(forward, 'name', { value: 'forward' });
  scopedForwards.set(proto, forward);
  return forward;
}

export abstract class Module {
  /** Whether the module is in training mode (`train()` / `eval()`). */
  training = true;

  constructor() {
    // Internal bookkeeping is non-enumerable so that it never looks like a registered member.
    Object.defineProperty(this, '_buffers', { value: new Map<string, boolean>(), enumerable: false });
    const forward = scopedForward(Object.getPrototypeOf(this));
    if (forward !== undefined) {
      Object.defineProperty(this, 'forward', { value: forward, writable: true, configurable: true, enumerable: false });
    }
  }

  /**
   * The computation. Subclasses define it with their own signature, as in PyTorch; call it as
   * `module.forward(x)`. Tensors a forward makes and neither returns nor stores on the module
   * (`this.x = t`) are freed when it returns.
   */
  abstract forward(...inputs: never[]): unknown;

  private hooks(): Hooks {
    let h = (this as unknown as { _hooks?: Hooks })._hooks;
    if (h === undefined) {
      h = { pre: new Map(), post: new Map() };
      Object.defineProperty(this, '_hooks', { value: h, enumerable: false });
    }
    return h;
  }

  /**
   * Registers `hook(module, args)` to run before every `forward`; a value it returns (other
   * than undefined/null) replaces the arguments (`register_forward_pre_hook`). Tensors a hook
   * makes are not freed by the forward's scope, so a hook may keep them.
   */
  registerForwardPreHook(hook: ForwardPreHook, options: { prepend?: boolean } = {}): RemovableHandle {
    return addHook(this.hooks().pre, hook, options);
  }

  /**
   * Registers `hook(module, args, output)` to run after every `forward`; a value it returns
   * (other than undefined/null) replaces the output (`register_forward_hook`). Tensors a hook
   * makes are not freed by the forward's scope: a feature-extraction hook may store them.
   */
  registerForwardHook(hook: ForwardHook, options: { prepend?: boolean } = {}): RemovableHandle {
    return addHook(this.hooks().post, hook, options);
  }

  private get bufferNames(): Map<string, boolean> {
    return (this as unknown as { _buffers: Map<string, boolean> })._buffers;
  }

  /** Registers (or replaces) a buffer: state that is not a parameter, such as running statistics. */
  registerBuffer(name: string, tensor: Tensor | null, persistent = true): void {
    checkName(name, this);
    if (tensor !== null && !(tensor instanceof Tensor)) throw typeError('a Tensor or null', 'tensor', tensor);
    if (tensor) keep(tensor);
    this.bufferNames.set(name, checkBool(persistent, 'persistent'));
    (this as Record<string, unknown>)[name] = tensor;
  }

  /** Registers (or replaces) a parameter; the same as assigning it. */
  registerParameter(name: string, param: Parameter | null): void {
    checkName(name, this);
    if (param !== null && !(param instanceof Parameter)) throw typeError('a Parameter or null', 'param', param);
    (this as Record<string, unknown>)[name] = param;
  }

  /** Registers (or replaces) a child module; the same as assigning it. */
  registerModule(name: string, module: Module | null): void {
    checkName(name, this);
    if (module !== null && !(module instanceof Module)) throw typeError('a Module or null', 'module', module);
    (this as Record<string, unknown>)[name] = module;
  }

  /** This module's own [name, value] members of one kind, in order. */
  private own<T>(kind: 'parameters' | 'buffers' | 'modules'): [string, T][] {
    const out: [string, T][] = [];
    if (kind === 'buffers') {
      for (const name of this.bufferNames.keys()) {
        const v = (this as Record<string, unknown>)[name];
        if (v instanceof Tensor) out.push([name, v as T]);
      }
      return out;
    }
    for (const [name, v] of Object.entries(this)) {
      if (kind === 'parameters' ? v instanceof Parameter && !this.bufferNames.has(name) : v instanceof Module)
        out.push([name, v as T]);
    }
    return out;
  }

  /** Every registered [name, child], a module registered under two names twice (PyTorch's `_modules`). */
  protected moduleEntries(): [string, Module][] {
    return this.own<Module>('modules');
  }
  /** Children as [name, module], direct only; a module registered under two names once (as PyTorch). */
  namedChildren(): [string, Module][] {
    const seen = new Set<Module>();
    return this.own<Module>('modules').filter(([, m]) => !seen.has(m) && seen.add(m));
  }
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }
  /**
   * This module and all below it, with dotted names ('' for this one), PyTorch's
   * `named_modules(memo=None, prefix='', remove_duplicate=True)`: each module once unless
   * `removeDuplicate` is false.
   */
  namedModules(
    ...args: WithOptions<
      [memo: Set<Module> | null, prefix: string, removeDuplicate: boolean],
      { memo?: Set<Module> | null; prefix?: string; removeDuplicate?: boolean }
    >
  ): [string, Module][] {
    const o = bindArgs<{ memo: Set<Module> | null; prefix: string; removeDuplicate: boolean }>(
      args,
      ['memo', 'prefix', 'removeDuplicate'],
      'namedModules',
    );
    const prefix = o.prefix ?? '';
    if (typeof prefix !== 'string') throw typeError('a string', 'prefix', prefix);
    const memo = o.memo ?? new Set<Module>();
    if (!(memo instanceof Set)) throw typeError('a Set of modules or null', 'memo', memo);
    return this.walkModules(memo, prefix, checkBool(o.removeDuplicate ?? true, 'removeDuplicate'));
  }
  private walkModules(memo: Set<Module>, prefix: string, removeDuplicate: boolean): [string, Module][] {
    if (memo.has(this)) return [];
    if (removeDuplicate) memo.add(this);
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, m] of removeDuplicate ? this.namedChildren() : this.moduleEntries())
      out.push(...m.walkModules(memo, prefix ? `${prefix}.${name}` : name, removeDuplicate));
    return out;
  }
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  private namedMembers<T extends Tensor>(
    kind: 'parameters' | 'buffers',
    args: readonly unknown[],
    where: string,
  ): [string, T][] {
    const o = bindArgs<{ prefix: string; recurse: boolean; removeDuplicate: boolean }>(
      args,
      ['prefix', 'recurse', 'removeDuplicate'],
      where,
    );
    const prefix = o.prefix ?? '';
    if (typeof prefix !== 'string') throw typeError('a string', 'prefix', prefix);
    const recurse = checkBool(o.recurse ?? true, 'recurse');
    const removeDuplicate = checkBool(o.removeDuplicate ?? true, 'removeDuplicate');
    const out: [string, T][] = [];
    const seen = new Set<Tensor>();
    const mods: [string, Module][] = recurse ? this.walkModules(new Set(), prefix, removeDuplicate) : [[prefix, this]];
    for (const [modName, m] of mods) {
      for (const [name, t] of m.own<T>(kind)) {
        if (removeDuplicate && seen.has(t)) continue;
        seen.add(t);
        out.push([modName ? `${modName}.${name}` : name, t]);
      }
    }
    return out;
  }

  /**
   * Parameters with their dotted names, each once even if shared unless `removeDuplicate` is
   * false (`named_parameters(prefix='', recurse=True, remove_duplicate=True)`).
   */
  namedParameters(...args: NamedMembersArgs): [string, Parameter][] {
    return this.namedMembers<Parameter>('parameters', args, 'namedParameters');
  }
  parameters(recurse = true): Parameter[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }
  /** Buffers with their dotted names (`named_buffers(prefix='', recurse=True, remove_duplicate=True)`). */
  namedBuffers(...args: NamedMembersArgs): [string, Tensor][] {
    return this.namedMembers<Tensor>('buffers', args, 'namedBuffers');
  }
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, b]) => b);
  }

  /** Registers (or replaces) a child module: PyTorch's `add_module`, the same as `registerModule`. */
  addModule(name: string, module: Module | null): void {
    this.registerModule(name, module);
  }

  /** The submodule at a dotted path (`'layer1.0.conv1'`; '' is this module), as `get_submodule`. */
  getSubmodule(target: string): Module {
    if (typeof target !== 'string') throw typeError('a dotted module path', 'target', target);
    if (target === '') return this;
    let mod: Module = this;
    for (const item of target.split('.')) {
      const entry = mod.moduleEntries().find(([k]) => k === item);
      if (entry === undefined) {
        const v = (mod as unknown as Record<string, unknown>)[item];
        if (v !== undefined && !(v instanceof Module)) throw new TypeError(`\`${item}\` is not an nn.Module`);
        throw new RangeError(`${mod.constructor.name} has no attribute \`${item}\``);
      }
      mod = entry[1];
    }
    return mod;
  }

  /** The parameter at a dotted path (`'layer1.0.conv1.weight'`), as `get_parameter`. */
  getParameter(target: string): Parameter {
    const [mod, name] = this.splitTarget(target);
    const v = (mod as unknown as Record<string, unknown>)[name];
    if (v === undefined) throw new RangeError(`${mod.constructor.name} has no attribute \`${name}\``);
    if (!(v instanceof Parameter) || mod.bufferNames.has(name))
      throw new TypeError(`\`${name}\` is not an nn.Parameter`);
    return v;
  }

  /** The buffer at a dotted path (`'bn1.running_mean'`), as `get_buffer`. */
  getBuffer(target: string): Tensor {
    const [mod, name] = this.splitTarget(target);
    const v = (mod as unknown as Record<string, unknown>)[name];
    if (v === undefined) throw new RangeError(`${mod.constructor.name} has no attribute \`${name}\``);
    if (!mod.bufferNames.has(name) || !(v instanceof Tensor)) throw new TypeError(`\`${name}\` is not a buffer`);
    return v;
  }

  private splitTarget(target: string): [Module, string] {
    if (typeof target !== 'string') throw typeError('a dotted path', 'target', target);
    const i = target.lastIndexOf('.');
    return [this.getSubmodule(i < 0 ? '' : target.slice(0, i)), target.slice(i + 1)];
  }

  /**
   * The module's state: parameters and persistent buffers under PyTorch's keys, as
   * detached tensors sharing their data.
   */
  stateDict(prefix = ''): StateDict {
    const out: StateDict = {};
    const add = (m: Module, p: string): void => {
      for (const [name, t] of m.own<Parameter>('parameters')) out[p + name] = t.detach();
      for (const [name, t] of m.own<Tensor>('buffers')) if (m.bufferNames.get(name)) out[p + name] = t.detach();
      for (const [name, c] of m.own<Module>('modules')) add(c, `${p}${name}.`);
    };
    add(this, prefix);
    return out;
  }

  /**
   * Copies `stateDict` into this module's parameters and buffers. With `strict` (the
   * default) the keys must match exactly; a mismatch throws, listing the keys. Shapes
   * must always match. `strict` may be positional, as in PyTorch: `loadStateDict(sd, false)`.
   */
  loadStateDict(
    stateDict: StateDict | Map<string, Tensor>,
    ...args: WithOptions<[strict: boolean], { strict?: boolean }>
  ): LoadStateDictResult {
    const strict = checkBool(bindArgs<{ strict: boolean }>(args, ['strict'], 'loadStateDict').strict ?? true, 'strict');
    const entries =
      stateDict instanceof Map ? stateDict : new Map(Object.entries(checkOptions<StateDict>(stateDict, 'stateDict')));
    const own = new Map<string, Tensor>();
    const add = (m: Module, p: string): void => {
      for (const [name, t] of m.own<Parameter>('parameters')) own.set(p + name, t);
      for (const [name, t] of m.own<Tensor>('buffers')) if (m.bufferNames.get(name)) own.set(p + name, t);
      for (const [name, c] of m.own<Module>('modules')) add(c, `${p}${name}.`);
    };
    add(this, '');
    const missingKeys = [...own.keys()].filter((k) => !entries.has(k));
    const unexpectedKeys = [...entries.keys()].filter((k) => !own.has(k));
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      const parts = [];
      if (missingKeys.length)
        parts.push(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}.`);
      if (unexpectedKeys.length)
        parts.push(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}.`);
      throw new TorchError(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${parts.join('\n\t')}`);
    }
    const mismatched: string[] = [];
    for (const [key, dst] of own) {
      const src = entries.get(key);
      if (src === undefined) continue;
      if (!(src instanceof Tensor)) throw typeError('a Tensor', `stateDict["${key}"]`, src);
      if (src.shape.join() !== dst.shape.join()) {
        mismatched.push(
          `size mismatch for ${key}: copying a param with shape [${src.shape.join(', ')}] from checkpoint, the shape in current model is [${dst.shape.join(', ')}].`,
        );
      }
    }
    if (mismatched.length) {
      throw new TorchError(
        `Error(s) in loading state_dict for ${this.constructor.name}:\n\t${mismatched.join('\n\t')}`,
      );
    }
    noGrad(() => {
      for (const [key, dst] of own) {
        const src = entries.get(key);
        if (src) dst.copy_(src);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    checkBool(mode, 'mode');
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Calls `fn` on every module (children first, then this), as PyTorch's `apply`. */
  apply(fn: (m: Module) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /**
   * Moves and/or casts parameters and buffers in place (the Parameter objects stay the
   * same, so optimizers keep working): `to('cuda')`, `to('float64')`, `to('channelsLast')`.
   * Only floating point members change dtype.
   */
  to(target: ModuleTarget): this {
    let o: { device?: string; dtype?: DType; memoryFormat?: MemoryFormat };
    if (typeof target === 'string') {
      if (/^(cpu|cuda)/.test(target)) o = { device: target };
      else if (target === 'channelsLast' || target === 'contiguousFormat' || target === 'preserveFormat')
        o = { memoryFormat: target };
      else o = { dtype: target as DType };
    } else {
      o = checkOptions<{ device: string; dtype: DType; memoryFormat: MemoryFormat }>(target, 'target', [
        'device',
        'dtype',
        'memoryFormat',
      ]);
    }
    noGrad(() => {
      for (const t of [...this.parameters(), ...this.buffers()]) {
        const dtype = o.dtype !== undefined && isFloatingPoint(t.dtype) ? o.dtype : undefined;
        const memoryFormat = o.memoryFormat !== undefined && t.dim() === 4 ? o.memoryFormat : undefined;
        const moved = t.to({ device: o.device as Device | undefined, dtype, memoryFormat });
        if (moved === t) continue;
        N.setData(t.handle, moved.handle);
        t._resetMeta();
        moved.dispose();
        const g = t.grad;
        if (g) {
          t.grad = g.to({ device: o.device as Device | undefined, dtype, memoryFormat });
          g.dispose();
        }
      }
    });
    return this;
  }
  cpu(): this {
    return this.to('cpu');
  }
  cuda(device = 0): this {
    return this.to(`cuda:${device}` as Device);
  }
  float(): this {
    return this.to('float32');
  }
  double(): this {
    return this.to('float64');
  }
  half(): this {
    return this.to('float16');
  }

  /** Clears the gradients of all parameters (to null by default, as PyTorch does). */
  zeroGrad(setToNone = true): void {
    N.zeroGrad(
      this.parameters().map((p) => p.handle),
      checkBool(setToNone, 'setToNone'),
    );
  }

  /** Sets `requiresGrad` on every parameter. */
  requiresGrad_(requiresGrad = true): this {
    for (const p of this.parameters()) p.requiresGrad_(requiresGrad);
    return this;
  }

  /** Frees every parameter and buffer now. The module cannot be used afterwards. */
  dispose(): void {
    for (const t of [...this.parameters(), ...this.buffers()]) t.dispose();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** The text between the parentheses of this module's line in `toString()`. */
  extraRepr(): string {
    return '';
  }

  /** PyTorch's `Module.__repr__`: the extra repr (one line or several), then the children indented. */
  toString(): string {
    const extra = this.extraRepr();
    const extraLines = extra ? extra.split('\n') : [];
    const childLines = this.moduleEntries().map(([name, m]) => `(${name}): ${m.toString().split('\n').join('\n  ')}`);
    const lines = [...extraLines, ...childLines];
    let s = `${this.constructor.name}(`;
    if (extraLines.length === 1 && childLines.length === 0) s += extraLines[0];
    else if (lines.length > 0) s += `\n  ${lines.join('\n  ')}\n`;
    return `${s})`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

setModuleTest((v) => v instanceof Module);

function addHook<H>(map: Map<number, H>, hook: H, options: { prepend?: boolean }): RemovableHandle {
  if (typeof hook !== 'function') throw typeError('a function', 'hook', hook);
  const prepend = checkBool(
    checkOptions<{ prepend: boolean }>(options, 'hook options', ['prepend']).prepend ?? false,
    'prepend',
  );
  const id = nextHookId++;
  if (prepend) {
    const rest = [...map];
    map.clear();
    map.set(id, hook);
    for (const [k, v] of rest) map.set(k, v);
  } else {
    map.set(id, hook);
  }
  return { remove: () => void map.delete(id) };
}

/** A number as Python's repr prints a float (`1e-05`, `0.1`, `None` for null), for `extraRepr`s. */
export function pyFloat(x: number | null): string {
  if (x === null) return 'None';
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [mantissa, exp] = x.toExponential().split('e');
    return `${mantissa}e${exp[0]}${exp.slice(1).padStart(2, '0')}`;
  }
  const s = String(x);
  return s.includes('.') ? s : `${s}.0`;
}

function checkName(name: unknown, m: Module): void {
  if (typeof name !== 'string' || name === '' || name.includes('.')) {
    throw typeError('a non-empty name without "."', 'name', name);
  }
  if (
    name in Module.prototype ||
    (name in m && typeof (m as unknown as Record<string, unknown>)[name] === 'function')
  ) {
    throw new TypeError(`Expected a name that is not a Module method for name but received "${name}"`);
  }
}
