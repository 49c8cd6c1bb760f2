/** Datasets: anything with a length and indexed items (PyTorch's map-style Dataset). */
import { bindArgs, type WithOptions } from '../torch/args';
import { checkInt, typeError } from '../torch/errors';
import { tensor } from '../torch/creation';
import { Generator, randperm } from '../torch/generator';
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

function checkDataset(dataset: unknown, argument: string): Dataset {
  const d = dataset as Dataset | null;
  if (!d || typeof d !== 'object' || typeof d.length !== 'number' || typeof d.get !== 'function')
    throw typeError('a Dataset (with length and get(index))', argument, dataset);
  return d;
}

function checkIndex(index: number, length: number): number {
  checkInt(index, 'index');
  if (index < 0 || index >= length)
    throw new RangeError(`Expected an index in [0, ${length - 1}] for index but received ${index}`);
  return index;
}

/**
 * The items of `dataset` at `indices`, in that order (`torch.utils.data.Subset`): item `i` is
 * `dataset.get(indices[i])`. When the dataset has `getItems` (a whole batch at once), so does
 * the subset, with the indices mapped.
 */
export class Subset<T = unknown, B = unknown> implements Dataset<T, B> {
  readonly dataset: Dataset<T, B>;
  readonly indices: readonly number[];
  readonly getItems?: (indices: number[]) => B | Promise<B>;

  constructor(dataset: Dataset<T, B>, indices: readonly number[]) {
    this.dataset = checkDataset(dataset, 'dataset') as Dataset<T, B>;
    if (!Array.isArray(indices)) throw typeError('an array of indices', 'indices', indices);
    for (const [k, i] of indices.entries()) checkIndex(checkInt(i, `indices[${k}]`), dataset.length);
    this.indices = [...indices];
    const inner = dataset.getItems;
    if (typeof inner === 'function') {
      this.getItems = (idx: number[]) =>
        inner.call(
          dataset,
          idx.map((i) => this.indices[checkIndex(i, this.indices.length)]),
        );
    }
  }
  get length(): number {
    return this.indices.length;
  }
  get(index: number): T | Promise<T> {
    return this.dataset.get(this.indices[checkIndex(index, this.indices.length)]);
  }
}

/**
 * Datasets one after the other (`torch.utils.data.ConcatDataset`): item `i` comes from the
 * first dataset whose cumulative size exceeds `i`. Negative indices count from the end, as in
 * Python.
 */
export class ConcatDataset<T = unknown> implements Dataset<T> {
  readonly datasets: readonly Dataset<T>[];
  /** The running totals of the datasets' lengths (PyTorch's `cumulative_sizes`). */
  readonly cumulativeSizes: readonly number[];

  constructor(datasets: Iterable<Dataset<T>>) {
    if (datasets === null || typeof (datasets as Iterable<unknown>)?.[Symbol.iterator] !== 'function')
      throw typeError('an array of Datasets', 'datasets', datasets);
    const list = [...datasets];
    if (list.length === 0) throw new TypeError('ConcatDataset: datasets should not be an empty iterable');
    for (const [i, d] of list.entries()) checkDataset(d, `datasets[${i}]`);
    this.datasets = list;
    let s = 0;
    this.cumulativeSizes = list.map((d) => (s += d.length));
  }
  get length(): number {
    return this.cumulativeSizes[this.cumulativeSizes.length - 1];
  }
  get(index: number): T | Promise<T> {
    checkInt(index, 'index');
    const n = this.length;
    if (index < 0) {
      if (-index > n) throw new RangeError('ConcatDataset: absolute value of index should not exceed dataset length');
      index += n;
    }
    checkIndex(index, n);
    // bisect_right: the first dataset whose cumulative size is greater than index.
    let lo = 0;
    let hi = this.cumulativeSizes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulativeSizes[mid] <= index) lo = mid + 1;
      else hi = mid;
    }
    const start = lo === 0 ? 0 : this.cumulativeSizes[lo - 1];
    return this.datasets[lo].get(index - start);
  }
}

export interface RandomSplitOptions {
  /** The generator the permutation is drawn from (default: the global one). */
  generator?: Generator;
}

/**
 * Splits a dataset into non-overlapping random subsets (`torch.utils.data.random_split`).
 * `lengths` are item counts summing to the dataset's length, or fractions summing to 1 (each
 * split gets floor(fraction * length) items, and the remainder is handed out one at a time,
 * round robin from the first split). The order is one `torch.randperm(length, generator)`, cut
 * in turn, so the same generator seed gives PyTorch's subsets, index for index.
 * `randomSplit(ds, [0.8, 0.2], new torch.Generator(42))`.
 */
export function randomSplit<T, B>(
  dataset: Dataset<T, B>,
  lengths: readonly number[],
  ...args: WithOptions<[generator: Generator], RandomSplitOptions>
): Subset<T, B>[] {
  checkDataset(dataset, 'dataset');
  const o = bindArgs<RandomSplitOptions>(args, ['generator'], 'randomSplit');
  if (o.generator !== undefined && !(o.generator instanceof Generator))
    throw typeError('a torch.Generator', 'generator', o.generator);
  if (!Array.isArray(lengths) || lengths.some((l) => typeof l !== 'number' || !Number.isFinite(l)))
    throw typeError('an array of lengths or fractions', 'lengths', lengths);
  let sizes = [...lengths];
  const total = sizes.reduce((a, b) => a + b, 0);
  // Python's math.isclose(total, 1) (rel_tol 1e-9) and total <= 1: fractions.
  if (Math.abs(total - 1) <= 1e-9 * Math.max(Math.abs(total), 1) && total <= 1) {
    sizes = lengths.map((frac, i) => {
      if (frac < 0 || frac > 1) throw new RangeError(`randomSplit: fraction at index ${i} is not between 0 and 1`);
      return Math.floor(dataset.length * frac);
    });
    const remainder = dataset.length - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) sizes[i % sizes.length] += 1;
    sizes.forEach((n, i) => {
      if (n === 0)
        console.warn(`randomSplit: length of split at index ${i} is 0. This might result in an empty dataset.`);
    });
  } else {
    for (const [i, n] of sizes.entries()) checkInt(n, `lengths[${i}]`, 0);
  }
  const sum = sizes.reduce((a, b) => a + b, 0);
  if (sum !== dataset.length)
    throw new RangeError(
      `randomSplit: the lengths sum to ${sum}, not to the length of the dataset (${dataset.length})`,
    );
  const perm = tidy(() =>
    Array.from(randperm(sum, { generator: o.generator }).toTypedArray() as BigInt64Array, Number),
  );
  let end = 0;
  return sizes.map((n) => {
    end += n;
    return new Subset(dataset, perm.slice(end - n, end));
  });
}
