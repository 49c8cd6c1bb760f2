/** `nn.Unflatten` (torch/nn/modules/flatten.py; `Flatten` is in linear.ts). */
import { checkInt, typeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import { Module } from '../module';
import { pyTuple } from './utils';

/** Expands dimension `dim` into `unflattenedSize`: `new nn.Unflatten(1, [2, 5, 5])`. */
export class Unflatten extends Module {
  readonly dim: number;
  readonly unflattenedSize: readonly number[];
  constructor(dim: number, unflattenedSize: readonly number[]) {
    super();
    this.dim = checkInt(dim, 'dim');
    if (!Array.isArray(unflattenedSize)) throw typeError('an array of integers', 'unflattenedSize', unflattenedSize);
    this.unflattenedSize = unflattenedSize.map((s, i) => checkInt(s, `unflattenedSize[${i}]`));
  }
  forward(input: Tensor): Tensor {
    return input.unflatten(this.dim, this.unflattenedSize);
  }
  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=${pyTuple(this.unflattenedSize)}`;
  }
}
