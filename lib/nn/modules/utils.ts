/** Small helpers shared by the module files: PyTorch's `_single`/`_pair`/`_triple` and repr pieces. */
import { checkInt, typeError } from '../../torch/errors';

/** An int or a list of `n` ints as `n` ints, each at least `min` (PyTorch's `_ntuple`). */
export function ntuple(v: unknown, n: number, argument: string, min?: number): number[] {
  if (typeof v === 'number') return new Array<number>(n).fill(checkInt(v, argument, min));
  if (Array.isArray(v) && v.length === n) return v.map((x) => checkInt(x, argument, min));
  throw typeError(n === 1 ? 'an integer' : `an integer or ${n} integers`, argument, v);
}

/** A list as Python prints a tuple: `(3,)`, `(2, 3)`. */
export function pyTuple(xs: readonly (number | string)[]): string {
  return xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(', ')})`;
}

/** A boolean as Python prints it. */
export function pyBool(b: boolean): string {
  return b ? 'True' : 'False';
}

/** An int or a tuple of ints, kept as given (pooling sizes). */
export type Size = number | readonly number[];
/** An output size: an int or a tuple of ints or nulls (null keeps that dimension). */
export type AdaptiveSize = number | readonly (number | null)[];

/** A size as Python prints what was passed: `3`, `(2, 3)`, `None`. */
export function pySize(v: AdaptiveSize | null): string {
  if (v === null) return 'None';
  if (typeof v === 'number') return String(v);
  return pyTuple(v.map((x) => (x === null ? 'None' : x)));
}

/** Checks an int or a list of `n` ints (at least `min`), returning it as given. */
export function checkSize(v: unknown, n: number, argument: string, min = 0): Size {
  ntuple(v, n, argument, min);
  return v as Size;
}
