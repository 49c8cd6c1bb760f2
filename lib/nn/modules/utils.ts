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
