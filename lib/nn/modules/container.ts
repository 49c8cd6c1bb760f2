import { checkInt, typeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import { Module } from '../module';

/**
 * Runs its modules in order. Children are registered as '0', '1', ... (PyTorch's keys) and
 * can be read back with `at(i)` or `seq[i]`.
 */
export class Sequential extends Module {
  [index: number]: Module;

  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) throw typeError('Modules', `modules[${i}]`, m);
      this.registerModule(String(i), m);
    });
  }

  get length(): number {
    return this.moduleEntries().length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): Module {
    const children = this.moduleEntries().map(([, m]) => m);
    checkInt(index, 'index');
    const i = index < 0 ? index + children.length : index;
    if (i < 0 || i >= children.length) throw new RangeError(`Expected an index in [${-children.length}, ${children.length - 1}] for index but received ${index}`);
    return children[i];
  }

  /** Adds a module at the end. */
  append(module: Module): this {
    if (!(module instanceof Module)) throw typeError('a Module', 'module', module);
    this.registerModule(String(this.length), module);
    return this;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.moduleEntries().map(([, m]) => m)[Symbol.iterator]();
  }

  forward(input: Tensor): Tensor {
    let x = input;
    for (const [, m] of this.moduleEntries()) x = (m as Module & { forward(x: Tensor): Tensor }).forward(x);
    return x;
  }
}

/** Holds modules in a list, registered as '0', '1', ...; it has no forward of its own. */
export class ModuleList extends Module {
  [index: number]: Module;

  constructor(modules: Module[] = []) {
    super();
    modules.forEach((m) => this.append(m));
  }
  get length(): number {
    return this.moduleEntries().length;
  }
  append(module: Module): this {
    if (!(module instanceof Module)) throw typeError('a Module', 'module', module);
    this.registerModule(String(this.length), module);
    return this;
  }
  [Symbol.iterator](): Iterator<Module> {
    return this.moduleEntries().map(([, m]) => m)[Symbol.iterator]();
  }
  forward(): never {
    throw new TypeError('ModuleList has no forward(); iterate over it instead');
  }
}
