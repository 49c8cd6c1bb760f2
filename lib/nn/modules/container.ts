import { checkInt, typeError } from '../../torch/errors';
import { freeConsumed } from '../../torch/memory';
import type { Tensor } from '../../torch/tensor';
import { Module } from '../module';

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
