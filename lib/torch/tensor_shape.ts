/** Tensor methods: shape, views and indexing. Installed on Tensor.prototype by tensor.ts. */
import { N } from '../native';
import { checkDims, checkInt, checkIntList, checkOperand, checkShape, rangeError, typeError } from './errors';
import { _indexSpec as indexSpec, _tensorArg as tensorArg, _wrap as wrap, Tensor, type IndexItem } from './tensor';

function shapeArgs(args: unknown[]): number[] {
  return checkShape(args.length === 1 && Array.isArray(args[0]) ? args[0] : args, 'shape', true);
}

/** Methods of {@link Tensor} (declared here to keep tensor.ts short); use them on tensors. */
export class TensorShapeOps {
  /** A view with another shape (`-1` infers one size). Accepts `view(2, 3)` or `view([2, 3])`. */
  view(this: Tensor, ...shape: number[] | [number[]]): Tensor {
    return wrap(N.view(this.handle, shapeArgs(shape)));
  }
  reshape(this: Tensor, ...shape: number[] | [number[]]): Tensor {
    return wrap(N.reshape(this.handle, shapeArgs(shape)));
  }
  viewAs(this: Tensor, o: Tensor): Tensor {
    return wrap(N.view(this.handle, tensorArg(o, 'other').shape));
  }
  expand(this: Tensor, ...shape: number[] | [number[]]): Tensor {
    return wrap(N.expand(this.handle, checkIntList(Array.isArray(shape[0]) ? shape[0] : shape, 'size')));
  }
  expandAs(this: Tensor, o: Tensor): Tensor {
    return wrap(N.expand(this.handle, tensorArg(o, 'other').shape));
  }
  repeat(this: Tensor, ...repeats: number[] | [number[]]): Tensor {
    return wrap(N.repeat(this.handle, checkShape(Array.isArray(repeats[0]) ? repeats[0] : repeats, 'repeats')));
  }
  permute(this: Tensor, ...dims: number[] | [number[]]): Tensor {
    return wrap(N.permute(this.handle, checkIntList(Array.isArray(dims[0]) ? dims[0] : dims, 'dims')));
  }
  flip(this: Tensor, dims: number | number[]): Tensor {
    return wrap(N.flip(this.handle, checkDims(dims, 'dims')));
  }
  transpose(this: Tensor, dim0: number, dim1: number): Tensor {
    return wrap(N.transpose(this.handle, checkInt(dim0, 'dim0'), checkInt(dim1, 'dim1')));
  }
  /** Transpose of a tensor with at most 2 dimensions. */
  t(this: Tensor): Tensor {
    return wrap(N.t(this.handle));
  }
  flatten(this: Tensor, startDim = 0, endDim = -1): Tensor {
    return wrap(N.flatten(this.handle, checkInt(startDim, 'startDim'), checkInt(endDim, 'endDim')));
  }
  squeeze(this: Tensor, dim?: number | null): Tensor {
    return wrap(N.squeeze(this.handle, dim === undefined || dim === null ? null : checkInt(dim, 'dim')));
  }
  unsqueeze(this: Tensor, dim: number): Tensor {
    return wrap(N.unsqueeze(this.handle, checkInt(dim, 'dim')));
  }
  /** Splits into chunks of `splitSize` (or of the given sizes) along `dim`. */
  split(this: Tensor, splitSize: number | number[], dim = 0): Tensor[] {
    const s = typeof splitSize === 'number' ? checkInt(splitSize, 'splitSize', 1) : checkShape(splitSize, 'splitSize');
    return (N.split(this.handle, s, checkInt(dim, 'dim')) as number[]).map(wrap);
  }
  chunk(this: Tensor, chunks: number, dim = 0): Tensor[] {
    return (N.chunk(this.handle, checkInt(chunks, 'chunks', 1), checkInt(dim, 'dim')) as number[]).map(wrap);
  }
  unbind(this: Tensor, dim = 0): Tensor[] {
    return (N.unbind(this.handle, checkInt(dim, 'dim')) as number[]).map(wrap);
  }
  /**
   * A view of this tensor's storage with the given size, strides and storage offset
   * (`torch.as_strided`); the view must lie inside the storage.
   */
  asStrided(this: Tensor, size: readonly number[], stride: readonly number[], storageOffset = 0): Tensor {
    const sz = checkShape(size, 'size');
    const st = checkShape(stride, 'stride');
    if (st.length !== sz.length) throw rangeError(`${sz.length} strides (one per dimension of size)`, 'stride', stride);
    return wrap(N.asStrided(this.handle, sz, st, checkInt(storageOffset, 'storageOffset', 0)));
  }
  narrow(this: Tensor, dim: number, start: number, length: number): Tensor {
    return wrap(N.narrow(this.handle, checkInt(dim, 'dim'), checkInt(start, 'start'), checkInt(length, 'length', 0)));
  }
  select(this: Tensor, dim: number, index: number): Tensor {
    return wrap(N.select(this.handle, checkInt(dim, 'dim'), checkInt(index, 'index')));
  }
  indexSelect(this: Tensor, dim: number, index: Tensor): Tensor {
    return wrap(N.indexSelect(this.handle, checkInt(dim, 'dim'), tensorArg(index, 'index').handle));
  }
  gather(this: Tensor, dim: number, index: Tensor): Tensor {
    return wrap(N.gather(this.handle, checkInt(dim, 'dim'), tensorArg(index, 'index').handle));
  }
  /**
   * Indexing and slicing, as Python's `t[...]`: `t.index(0, '1:3', '...', null, idx)` is
   * `t[0, 1:3, ..., None, idx]`.
   */
  index(this: Tensor, ...indices: IndexItem[]): Tensor {
    return wrap(N.index(this.handle, indexSpec(indices)));
  }
  /** Assignment through an index, as Python's `t[indices] = value`. */
  indexPut_<T extends Tensor>(this: T, indices: IndexItem[], value: Tensor | number | boolean): T {
    if (!Array.isArray(indices)) throw typeError('an array of index items', 'indices', indices);
    const spec = indexSpec(indices);
    if (value instanceof Tensor) N.indexPut_(this.handle, spec, value.handle);
    else N.indexPutS_(this.handle, spec, checkOperand(value, 'value'));
    return this;
  }
}
