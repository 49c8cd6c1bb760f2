/**
 * Arguments of the torch.nn.functional compositions, bound as Python binds them: parameters
 * in order, positionally or (after the required ones) in a trailing options object under
 * their camelCase names; an unknown option is a TypeError naming the nearest valid one.
 */
import { checkBool, checkInt, checkNumber, describe, nearestKey, rangeError, typeError } from '../torch/errors';
import { Tensor } from '../torch/tensor';

function isOptions(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Binds `args` of `F.<fn>` to `required` names followed by the `defaults`' names (in order).
 * Returns every name with its value (the default where not given).
 */
export function bindArgs<D extends Record<string, unknown>>(
  fn: string,
  args: readonly unknown[],
  required: readonly string[],
  defaults: D,
): Record<string, unknown> & D {
  const names = [...required, ...Object.keys(defaults)];
  let n = args.length;
  let opts: Record<string, unknown> | undefined;
  if (n > 0 && isOptions(args[n - 1])) {
    opts = args[n - 1] as Record<string, unknown>;
    n--;
  }
  if (n > names.length) {
    throw new TypeError(`Expected at most ${names.length} arguments for F.${fn} but received ${n}`);
  }
  const out: Record<string, unknown> = { ...defaults };
  for (let i = 0; i < n; i++) if (args[i] !== undefined) out[names[i]] = args[i];
  if (opts) {
    for (const [k, v] of Object.entries(opts)) {
      const i = names.indexOf(k);
      if (i < 0) {
        const near = nearestKey(k, names);
        throw new TypeError(
          `Expected one of the options ${names.join(', ')} for F.${fn} but received '${k}'` +
            (near === undefined ? '' : ` (did you mean '${near}'?)`),
        );
      }
      if (i < n) throw new TypeError(`Expected ${k} of F.${fn} once but received it positionally and as an option`);
      if (v !== undefined) out[k] = v;
    }
  }
  for (const r of required) {
    if (out[r] === undefined) throw new TypeError(`Expected a value for ${r} of F.${fn} but received nothing`);
  }
  return out as Record<string, unknown> & D;
}

export function tensorOf(v: unknown, argument: string): Tensor {
  if (!(v instanceof Tensor)) throw typeError('a Tensor', argument, v);
  return v;
}

export function optTensorOf(v: unknown, argument: string): Tensor | null {
  return v === undefined || v === null ? null : tensorOf(v, argument);
}

/** An int or a list of n ints as a list (PyTorch's _single/_pair/_triple). */
export function ntuple(v: unknown, n: number, argument: string): number[] {
  if (typeof v === 'number') return new Array<number>(n).fill(checkInt(v, argument));
  if (Array.isArray(v) && (v.length === n || v.length === 1)) {
    const xs = v.map((x) => checkInt(x, argument));
    return xs.length === 1 ? new Array<number>(n).fill(xs[0]) : xs;
  }
  throw typeError(`an integer or ${n} integers`, argument, v);
}

export function bool(v: unknown, argument: string): boolean {
  return checkBool(v, argument);
}

export function num(v: unknown, argument: string): number {
  return checkNumber(v, argument);
}

export type Reduction = 'none' | 'mean' | 'sum';

/** PyTorch's _Reduction.get_enum, with size_average/reduce's legacy forms. */
export function reductionEnum(reduction: unknown, sizeAverage?: unknown, reduce?: unknown): number {
  if ((sizeAverage !== undefined && sizeAverage !== null) || (reduce !== undefined && reduce !== null)) {
    const sa = sizeAverage === undefined || sizeAverage === null ? true : bool(sizeAverage, 'sizeAverage');
    const rd = reduce === undefined || reduce === null ? true : bool(reduce, 'reduce');
    return !rd ? 0 : sa ? 1 : 2;
  }
  if (reduction === 'none') return 0;
  if (reduction === 'mean') return 1;
  if (reduction === 'sum') return 2;
  throw rangeError("'none', 'mean' or 'sum'", 'reduction', reduction);
}

export function reductionString(reduction: unknown, sizeAverage?: unknown, reduce?: unknown): Reduction {
  return (['none', 'mean', 'sum'] as const)[reductionEnum(reduction, sizeAverage, reduce)];
}

export function probability(p: unknown): number {
  const v = checkNumber(p, 'p');
  if (v < 0 || v > 1) throw rangeError('a dropout probability between 0 and 1', 'p', describe(p));
  return v;
}
