/**
 * torch/nn/modules/container.py: Sequential, ModuleList, ModuleDict, ParameterList and
 * ParameterDict. Entries are registered under their keys ('0', '1', ... for a list), so
 * state-dict keys are PyTorch's: `heads.cls.weight`, `scales.0`.
 */
import { checkInt, typeError } from '../../torch/errors';
import { freeConsumed } from '../../torch/memory';
import { Tensor } from '../../torch/tensor';
import { Module } from '../module';
import { Parameter } from '../parameter';

/** Modules registered under '0', '1', ... (PyTorch's keys), readable with `at(i)` or `list[i]`. */
abstract class IndexedModules extends Module {
  [index: number]: Module;

  get length(): number {
    return this.moduleEntries().length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): Module {
    const children = this.moduleEntries().map(([, m]) => m);
    checkInt(index, 'index');
    const i = index < 0 ? index + children.length : index;
    if (i < 0 || i >= children.length)
      throw new RangeError(
        `Expected an index in [${-children.length}, ${children.length - 1}] for index but received ${index}`,
      );
    return children[i];
  }

  /** Adds a module at the end. */
  append(module: Module): this {
    if (!(module instanceof Module)) throw typeError('a Module', 'module', module);
    this.registerModule(String(this.length), module);
    return this;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.moduleEntries()
      .map(([, m]) => m)
      [Symbol.iterator]();
  }
}

/** Runs its modules in order. */
export class Sequential extends IndexedModules {
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) throw typeError('Modules', `modules[${i}]`, m);
      this.registerModule(String(i), m);
    });
  }

  /**
   * Runs the modules in order. Each intermediate result is freed as soon as the next module
   * has consumed it (unless that module stored it), so a long Sequential holds about two
   * activations at a time, as in Python.
   */
  forward(input: Tensor): Tensor {
    let x = input;
    for (const [, m] of this.moduleEntries()) {
      const y = (m as Module & { forward(x: Tensor): Tensor }).forward(x);
      if (x !== input && y !== x) freeConsumed(x, m);
      x = y;
    }
    return x;
  }
}

/** Holds modules in a list; it has no forward of its own. */
export class ModuleList extends IndexedModules {
  constructor(modules: Module[] = []) {
    super();
    modules.forEach((m) => {
      this.append(m);
    });
  }
  forward(): never {
    throw new TypeError('ModuleList has no forward(); iterate over it instead');
  }
}

function entriesOf<V>(values: unknown, argument: string): [string, V][] {
  if (values === undefined || values === null) return [];
  if (values instanceof Map) return [...values.entries()] as [string, V][];
  if (typeof values === 'object' && !(Symbol.iterator in values)) return Object.entries(values) as [string, V][];
  if (typeof (values as Iterable<unknown>)[Symbol.iterator] === 'function') {
    return [...(values as Iterable<unknown>)].map((e, i) => {
      if (!Array.isArray(e) || e.length !== 2) throw typeError('[key, value] pairs', `${argument}[${i}]`, e);
      return e as [string, V];
    });
  }
  throw typeError('an object, a Map or [key, value] pairs', argument, values);
}

/** Tensors become Parameters, as PyTorch's ParameterList/ParameterDict make them. */
function asParameter(v: unknown, argument: string): Parameter {
  if (v instanceof Parameter) return v;
  if (v instanceof Tensor) return new Parameter(v);
  throw typeError('a Tensor or Parameter', argument, v);
}

const TYPE_NAMES: Record<string, string> = {
  float32: 'FloatTensor',
  float64: 'DoubleTensor',
  float16: 'HalfTensor',
  bfloat16: 'BFloat16Tensor',
  int64: 'LongTensor',
  int32: 'IntTensor',
  int16: 'ShortTensor',
  int8: 'CharTensor',
  uint8: 'ByteTensor',
  bool: 'BoolTensor',
};

/** PyTorch's line for one entry of a ParameterList/ParameterDict repr. */
function parameterLine(key: string, p: Tensor, typeName: string): string {
  const device = p.isCuda ? ` (${p.device})` : '';
  return `  (${key}): Parameter containing: [${typeName} of size ${p.shape.join('x')}${device}]`;
}

/** Modules under string keys, in insertion order: `new nn.ModuleDict({ conv: ..., pool: ... })`. */
export class ModuleDict extends Module {
  constructor(modules?: Record<string, Module> | Map<string, Module> | Iterable<[string, Module]>) {
    super();
    this.update(modules ?? {});
  }
  /** The module under `key` (`md[key]`); throws a RangeError for a missing key, as Python's KeyError. */
  get(key: string): Module {
    const m = (this as unknown as Record<string, unknown>)[key];
    if (!this.has(key)) throw new RangeError(`ModuleDict has no key "${key}"`);
    return m as Module;
  }
  /** Registers `module` under `key` (`md[key] = module`). */
  set(key: string, module: Module): this {
    if (!(module instanceof Module)) throw typeError('a Module', `modules["${key}"]`, module);
    this.registerModule(key, module);
    return this;
  }
  /** Whether `key` is present (`key in md`). */
  has(key: string): boolean {
    return this.moduleEntries().some(([k]) => k === key);
  }
  /** Removes `key` and returns its module. */
  pop(key: string): Module {
    const m = this.get(key);
    delete (this as unknown as Record<string, unknown>)[key];
    return m;
  }
  /** Removes every entry. */
  clear(): void {
    for (const k of this.keys()) delete (this as unknown as Record<string, unknown>)[k];
  }
  keys(): string[] {
    return this.moduleEntries().map(([k]) => k);
  }
  values(): Module[] {
    return this.moduleEntries().map(([, m]) => m);
  }
  items(): [string, Module][] {
    return this.moduleEntries();
  }
  get length(): number {
    return this.moduleEntries().length;
  }
  /** Adds or replaces entries from an object, a Map or [key, module] pairs. */
  update(modules: Record<string, Module> | Map<string, Module> | Iterable<[string, Module]>): void {
    for (const [k, m] of entriesOf<Module>(modules, 'modules')) this.set(k, m);
  }
  /** Iterates over the keys, as Python's dict does. */
  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }
  forward(): never {
    throw new TypeError('ModuleDict has no forward(); index it with get(key) instead');
  }
}

/** Parameters registered under '0', '1', ...: `new nn.ParameterList([torch.randn([3])])`. */
export class ParameterList extends Module {
  constructor(values: Iterable<Tensor> = []) {
    super();
    this.extend(values);
  }
  private own_(): [string, Parameter][] {
    return this.namedParameters('', false);
  }
  get length(): number {
    return this.own_().length;
  }
  /** The parameter at `index` (negative counts from the end). */
  at(index: number): Parameter {
    const ps = this.own_();
    const i = index < 0 ? index + ps.length : index;
    if (!Number.isInteger(index) || i < 0 || i >= ps.length)
      throw new RangeError(`Expected an index in [${-ps.length}, ${ps.length - 1}] for index but received ${index}`);
    return ps[i][1];
  }
  /** Replaces the parameter at `index` (a Tensor becomes a Parameter). */
  set(index: number, value: Tensor): this {
    const ps = this.own_();
    const i = index < 0 ? index + ps.length : index;
    this.at(index);
    this.registerParameter(String(i), asParameter(value, 'value'));
    return this;
  }
  /** Adds a parameter at the end (a Tensor becomes a Parameter). */
  append(value: Tensor): this {
    this.registerParameter(String(this.length), asParameter(value, 'value'));
    return this;
  }
  extend(values: Iterable<Tensor>): this {
    if (values === null || typeof (values as Iterable<Tensor>)?.[Symbol.iterator] !== 'function')
      throw typeError('an iterable of Tensors', 'values', values);
    for (const v of values) this.append(v);
    return this;
  }
  [Symbol.iterator](): Iterator<Parameter> {
    return this.own_()
      .map(([, p]) => p)
      [Symbol.iterator]();
  }
  override extraRepr(): string {
    return this.own_()
      .map(([k, p]) => parameterLine(k, p, `torch.${p.dtype}`))
      .join('\n');
  }
  forward(): never {
    throw new TypeError('ParameterList should not be called.');
  }
}

/** Parameters under string keys, in insertion order. */
export class ParameterDict extends Module {
  constructor(parameters?: Record<string, Tensor> | Map<string, Tensor> | Iterable<[string, Tensor]>) {
    super();
    this.update(parameters ?? {});
  }
  private own_(): [string, Parameter][] {
    return this.namedParameters('', false);
  }
  /** The parameter under `key`; throws a RangeError for a missing key, as Python's KeyError. */
  get(key: string): Parameter {
    const e = this.own_().find(([k]) => k === key);
    if (!e) throw new RangeError(`ParameterDict has no key "${key}"`);
    return e[1];
  }
  /** Registers `value` under `key` (a Tensor becomes a Parameter). */
  set(key: string, value: Tensor): this {
    if (typeof key !== 'string') throw typeError('a string key', 'key', key);
    this.registerParameter(key, asParameter(value, `parameters["${key}"]`));
    return this;
  }
  has(key: string): boolean {
    return this.own_().some(([k]) => k === key);
  }
  /** Removes `key` and returns its parameter. */
  pop(key: string): Parameter {
    const p = this.get(key);
    delete (this as unknown as Record<string, unknown>)[key];
    return p;
  }
  clear(): void {
    for (const k of this.keys()) delete (this as unknown as Record<string, unknown>)[k];
  }
  keys(): string[] {
    return this.own_().map(([k]) => k);
  }
  values(): Parameter[] {
    return this.own_().map(([, p]) => p);
  }
  items(): [string, Parameter][] {
    return this.own_();
  }
  get length(): number {
    return this.own_().length;
  }
  /**
   * Adds or replaces entries from a Map, [key, tensor] pairs or another ParameterDict, in their
   * order, or from a plain object in sorted key order (as PyTorch sorts a plain dict's items).
   */
  update(parameters: Record<string, Tensor> | Map<string, Tensor> | Iterable<[string, Tensor]> | ParameterDict): void {
    if (parameters instanceof ParameterDict) {
      for (const [k, v] of parameters.items()) this.set(k, v);
      return;
    }
    const entries = entriesOf<Tensor>(parameters, 'parameters');
    const plain = !(parameters instanceof Map) && !(Symbol.iterator in Object(parameters));
    if (plain) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [k, v] of entries) this.set(k, v);
  }
  [Symbol.iterator](): Iterator<string> {
    return this.keys()[Symbol.iterator]();
  }
  override extraRepr(): string {
    return this.own_()
      .map(([k, p]) => parameterLine(k, p, `torch.${p.isCuda ? 'cuda.' : ''}${TYPE_NAMES[p.dtype] ?? p.dtype}`))
      .join('\n');
  }
  forward(): never {
    throw new TypeError('ParameterDict should not be called.');
  }
}
