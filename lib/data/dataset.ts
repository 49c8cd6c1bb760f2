/** Datasets: anything with a length and indexed items (PyTorch's map-style Dataset). */
import { checkInt, typeError } from '../torch/errors';
import { tensor } from '../torch/creation';
import { tidy } from '../torch/memory';
import { Tensor } from '../torch/tensor';

/**
 * A map-style dataset: `get(i)` is PyTorch's `__getitem__`, `length` its `__len__`.
 * `getItems(indices)` (PyTorch's `__getitems__`) may return a whole batch at once; the
 * DataLoader then uses it instead of `get` + collate.
 */
export interface Dataset<T = unknown, B = unknown> {
  readonly length: number;
  get(index: number): T | Promise<T>;
  getItems?(indices: number[]): B | Promise<B>;
}

/** Items are the i-th slices of the given tensors (`torch.utils.data.TensorDataset`). */
export class TensorDataset implements Dataset<Tensor[], Tensor[]> {
  readonly tensors: Tensor[];
  constructor(...tensors: Tensor[]) {
    if (tensors.length === 0) throw typeError('at least one Tensor', 'tensors', tensors);
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw typeError('a Tensor', `tensors[${i}]`, t);
    });
    const n = tensors[0].shape[0];
    if (tensors.some((t) => t.shape[0] !== n))
      throw new RangeError('Size mismatch between tensors: every tensor needs the same first dimension');
    this.tensors = tensors;
  }
  get length(): number {
    return this.tensors[0].shape[0];
  }
  /** A batch: the rows at `indices` of every tensor. */
  getItems(indices: number[]): Tensor[] {
    return tidy(() => {
      const idx = tensor(indices, { dtype: 'int64' });
      return this.tensors.map((t) => t.indexSelect(0, idx));
    });
  }
  get(index: number): Tensor[] {
    checkInt(index, 'index');
    if (index < 0 || index >= this.length)
      throw new RangeError(`Expected an index in [0, ${this.length - 1}] for index but received ${index}`);
    return this.tensors.map((t) => t.select(0, index));
  }
}
