/** Tensor methods: reductions (sum, mean, max, topk, sort, ...). Installed on Tensor.prototype by tensor.ts. */
import { N } from '../native';
import type { DType } from './dtype';
import { checkBool, checkDims, checkInt, checkOptions, checkScalar, optionKeys } from './errors';
import { _dtypeOption as dtypeOption, _wrap as wrap, type Tensor } from './tensor';

/** Options of `std` and `var`. */
interface CorrectionOptions {
  correction?: number;
  keepdim?: boolean;
}
const CORRECTION_KEYS = optionKeys<CorrectionOptions>({ correction: 1, keepdim: 1 });

/** Dimensions argument of reductions: null/undefined means all. */
function dimsOrNull(dim: number | number[] | null | undefined): number[] | null {
  return dim === undefined || dim === null ? null : checkDims(dim, 'dim');
}

/** Methods of {@link Tensor} (declared here to keep tensor.ts short); use them on tensors. */
export class TensorReductions {
  sum(this: Tensor, dim?: number | number[] | null, keepdim = false, options?: { dtype?: DType }): Tensor {
    return wrap(
      N.sum(this.handle, dimsOrNull(dim), checkBool(keepdim, 'keepdim'), dtypeOption(options, 'sum options')),
    );
  }
  mean(this: Tensor, dim?: number | number[] | null, keepdim = false, options?: { dtype?: DType }): Tensor {
    return wrap(
      N.mean(this.handle, dimsOrNull(dim), checkBool(keepdim, 'keepdim'), dtypeOption(options, 'mean options')),
    );
  }
  prod(this: Tensor, dim?: number | null, keepdim = false, options?: { dtype?: DType }): Tensor {
    const d = dim === undefined || dim === null ? null : checkInt(dim, 'dim');
    return wrap(N.prod(this.handle, d, checkBool(keepdim, 'keepdim'), dtypeOption(options, 'prod options')));
  }
  /** `max()` is the largest element; `max(dim, keepdim)` gives `{ values, indices }` along `dim`. */
  max(this: Tensor): Tensor;
  max(this: Tensor, dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  max(this: Tensor, dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return wrap(N.max(this.handle));
    const [v, i] = N.maxDim(this.handle, checkInt(dim, 'dim'), checkBool(keepdim, 'keepdim')) as number[];
    return { values: wrap(v), indices: wrap(i) };
  }
  /** `min()` is the smallest element; `min(dim, keepdim)` gives `{ values, indices }` along `dim`. */
  min(this: Tensor): Tensor;
  min(this: Tensor, dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  min(this: Tensor, dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return wrap(N.min(this.handle));
    const [v, i] = N.minDim(this.handle, checkInt(dim, 'dim'), checkBool(keepdim, 'keepdim')) as number[];
    return { values: wrap(v), indices: wrap(i) };
  }
  amax(this: Tensor, dim: number | number[] = [], keepdim = false): Tensor {
    return wrap(N.amax(this.handle, checkDims(dim, 'dim'), checkBool(keepdim, 'keepdim')));
  }
  amin(this: Tensor, dim: number | number[] = [], keepdim = false): Tensor {
    return wrap(N.amin(this.handle, checkDims(dim, 'dim'), checkBool(keepdim, 'keepdim')));
  }
  argmax(this: Tensor, dim?: number | null, keepdim = false): Tensor {
    const d = dim === undefined || dim === null ? null : checkInt(dim, 'dim');
    return wrap(N.argmax(this.handle, d, checkBool(keepdim, 'keepdim')));
  }
  argmin(this: Tensor, dim?: number | null, keepdim = false): Tensor {
    const d = dim === undefined || dim === null ? null : checkInt(dim, 'dim');
    return wrap(N.argmin(this.handle, d, checkBool(keepdim, 'keepdim')));
  }
  /** Standard deviation with Bessel's correction by default (`correction: 1`). */
  std(this: Tensor, dim?: number | number[] | null, options?: CorrectionOptions): Tensor {
    const o = checkOptions<CorrectionOptions>(options, 'std options', CORRECTION_KEYS);
    return wrap(
      N.std(
        this.handle,
        dimsOrNull(dim),
        checkScalar(o.correction ?? 1, 'correction'),
        checkBool(o.keepdim ?? false, 'keepdim'),
      ),
    );
  }
  /** Variance with Bessel's correction by default (`correction: 1`). */
  var(this: Tensor, dim?: number | number[] | null, options?: CorrectionOptions): Tensor {
    const o = checkOptions<CorrectionOptions>(options, 'var options', CORRECTION_KEYS);
    return wrap(
      N.var(
        this.handle,
        dimsOrNull(dim),
        checkScalar(o.correction ?? 1, 'correction'),
        checkBool(o.keepdim ?? false, 'keepdim'),
      ),
    );
  }
  /** The vector p-norm over `dim` (all elements by default). */
  norm(this: Tensor, p = 2, dim?: number | number[] | null, keepdim = false): Tensor {
    return wrap(N.norm(this.handle, checkScalar(p, 'p'), dimsOrNull(dim), checkBool(keepdim, 'keepdim')));
  }
  logsumexp(this: Tensor, dim: number | number[], keepdim = false): Tensor {
    return wrap(N.logsumexp(this.handle, checkDims(dim, 'dim'), checkBool(keepdim, 'keepdim')));
  }
  all(this: Tensor, dim?: number | null, keepdim = false): Tensor {
    const d = dim === undefined || dim === null ? null : checkInt(dim, 'dim');
    return wrap(N.all(this.handle, d, checkBool(keepdim, 'keepdim')));
  }
  any(this: Tensor, dim?: number | null, keepdim = false): Tensor {
    const d = dim === undefined || dim === null ? null : checkInt(dim, 'dim');
    return wrap(N.any(this.handle, d, checkBool(keepdim, 'keepdim')));
  }
  /** The k largest (or smallest) elements along `dim`, as `{ values, indices }`. */
  topk(this: Tensor, k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } {
    const [v, i] = N.topk(
      this.handle,
      checkInt(k, 'k', 0),
      checkInt(dim, 'dim'),
      checkBool(largest, 'largest'),
      checkBool(sorted, 'sorted'),
    ) as number[];
    return { values: wrap(v), indices: wrap(i) };
  }
  /** Sorted along `dim`, as `{ values, indices }`. */
  sort(this: Tensor, dim = -1, descending = false): { values: Tensor; indices: Tensor } {
    const [v, i] = N.sort(this.handle, checkInt(dim, 'dim'), checkBool(descending, 'descending')) as number[];
    return { values: wrap(v), indices: wrap(i) };
  }
  cumsum(this: Tensor, dim: number, options?: { dtype?: DType }): Tensor {
    return wrap(N.cumsum(this.handle, checkInt(dim, 'dim'), dtypeOption(options, 'cumsum options')));
  }
}
