/**
 * torch/nn/modules/padding.py: constant, zero, reflection, replication and circular padding
 * of the last 1, 2 or 3 dimensions. `padding` is an int (every side) or PyTorch's tuple of
 * (left, right[, top, bottom[, front, back]]).
 */
import { checkNumber, rangeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import { Module, pyFloat } from '../module';
import { ntuple, pyTuple } from './utils';

type Mode = 'constant' | 'reflect' | 'replicate' | 'circular';

abstract class PadNd extends Module {
  readonly padding: number[];
  protected abstract readonly mode: Mode;
  constructor(padding: number | readonly number[], dims: number) {
    super();
    this.padding = ntuple(padding, 2 * dims, 'padding');
  }
  override extraRepr(): string {
    return pyTuple(this.padding);
  }
}

abstract class ConstantPadNd extends PadNd {
  readonly value: number;
  protected readonly mode = 'constant';
  constructor(padding: number | readonly number[], value: number, dims: number) {
    super(padding, dims);
    this.value = checkNumber(value, 'value');
  }
  forward(input: Tensor): Tensor {
    return F.pad(input, this.padding, 'constant', this.value);
  }
  override extraRepr(): string {
    return `padding=${pyTuple(this.padding)}, value=${pyFloat(this.value)}`;
  }
}

/** Pads the last dimension with `value`. */
export class ConstantPad1d extends ConstantPadNd {
  constructor(padding: number | readonly [number, number], value: number) {
    super(padding, value, 1);
  }
}
/** Pads the last 2 dimensions with `value`. */
export class ConstantPad2d extends ConstantPadNd {
  constructor(padding: number | readonly [number, number, number, number], value: number) {
    super(padding, value, 2);
  }
}
/** Pads the last 3 dimensions with `value`. */
export class ConstantPad3d extends ConstantPadNd {
  constructor(padding: number | readonly [number, number, number, number, number, number], value: number) {
    super(padding, value, 3);
  }
}

/** Pads the last dimension with zeros. */
export class ZeroPad1d extends ConstantPad1d {
  constructor(padding: number | readonly [number, number]) {
    super(padding, 0);
  }
  override extraRepr(): string {
    return pyTuple(this.padding);
  }
}
/** Pads the last 2 dimensions with zeros. */
export class ZeroPad2d extends ConstantPad2d {
  constructor(padding: number | readonly [number, number, number, number]) {
    super(padding, 0);
  }
  override extraRepr(): string {
    return pyTuple(this.padding);
  }
}
/** Pads the last 3 dimensions with zeros. */
export class ZeroPad3d extends ConstantPad3d {
  constructor(padding: number | readonly [number, number, number, number, number, number]) {
    super(padding, 0);
  }
  override extraRepr(): string {
    return pyTuple(this.padding);
  }
}

abstract class ModePadNd extends PadNd {
  forward(input: Tensor): Tensor {
    return F.pad(input, this.padding, this.mode);
  }
}

/** Circular padding checks the input's rank, as PyTorch's `_check_input_dim`. */
abstract class CircularPadNd extends ModePadNd {
  protected readonly mode = 'circular';
  private readonly dims: number;
  constructor(padding: number | readonly number[], dims: number) {
    super(padding, dims);
    this.dims = dims;
  }
  override forward(input: Tensor): Tensor {
    const d = input.dim();
    if (d !== this.dims + 1 && d !== this.dims + 2)
      throw rangeError(`a ${this.dims + 1}D or ${this.dims + 2}D input`, 'input', `a ${d}D tensor`);
    return super.forward(input);
  }
}

/** Pads the last dimension with its reflection (edge not repeated). */
export class ReflectionPad1d extends ModePadNd {
  protected readonly mode = 'reflect';
  constructor(padding: number | readonly [number, number]) {
    super(padding, 1);
  }
}
/** Pads the last 2 dimensions with their reflection. */
export class ReflectionPad2d extends ModePadNd {
  protected readonly mode = 'reflect';
  constructor(padding: number | readonly [number, number, number, number]) {
    super(padding, 2);
  }
}
/** Pads the last 3 dimensions with their reflection. */
export class ReflectionPad3d extends ModePadNd {
  protected readonly mode = 'reflect';
  constructor(padding: number | readonly [number, number, number, number, number, number]) {
    super(padding, 3);
  }
}
/** Pads the last dimension by repeating its edge. */
export class ReplicationPad1d extends ModePadNd {
  protected readonly mode = 'replicate';
  constructor(padding: number | readonly [number, number]) {
    super(padding, 1);
  }
}
/** Pads the last 2 dimensions by repeating their edges. */
export class ReplicationPad2d extends ModePadNd {
  protected readonly mode = 'replicate';
  constructor(padding: number | readonly [number, number, number, number]) {
    super(padding, 2);
  }
}
/** Pads the last 3 dimensions by repeating their edges. */
export class ReplicationPad3d extends ModePadNd {
  protected readonly mode = 'replicate';
  constructor(padding: number | readonly [number, number, number, number, number, number]) {
    super(padding, 3);
  }
}
/** Pads the last dimension by wrapping around. */
export class CircularPad1d extends CircularPadNd {
  constructor(padding: number | readonly [number, number]) {
    super(padding, 1);
  }
}
/** Pads the last 2 dimensions by wrapping around. */
export class CircularPad2d extends CircularPadNd {
  constructor(padding: number | readonly [number, number, number, number]) {
    super(padding, 2);
  }
}
/** Pads the last 3 dimensions by wrapping around. */
export class CircularPad3d extends CircularPadNd {
  constructor(padding: number | readonly [number, number, number, number, number, number]) {
    super(padding, 3);
  }
}
