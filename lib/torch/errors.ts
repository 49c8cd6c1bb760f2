/**
 * Errors and argument checks. Bad JS arguments are rejected here, before they cross
 * into C++, with a TypeError or RangeError naming the argument; errors raised by libtorch
 * arrive as TorchError carrying libtorch's message.
 */
import { inspect } from 'node:util';

/** An error raised by libtorch (shape, dtype or device mismatches, ...) or by tensor lifetime. */
export class TorchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TorchError';
  }
}

/** A short rendering of a received value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined || typeof value !== 'object') return String(value);
  return inspect(value, { depth: 1, breakLength: Infinity, maxArrayLength: 8, maxStringLength: 40 });
}

/** `Expected <what> for <argument> but received <value>` as a TypeError. */
export function typeError(what: string, argument: string, value: unknown): TypeError {
  return new TypeError(`Expected ${what} for ${argument} but received ${describe(value)}`);
}

/** `Expected <what> for <argument> but received <value>` as a RangeError. */
export function rangeError(what: string, argument: string, value: unknown): RangeError {
  return new RangeError(`Expected ${what} for ${argument} but received ${describe(value)}`);
}

/** A finite number. */
export function checkNumber(value: unknown, argument: string): number {
  if (typeof value !== 'number') throw typeError('a number', argument, value);
  if (Number.isNaN(value)) throw rangeError('a number (not NaN)', argument, value);
  return value;
}

/** A number or boolean usable as a scalar operand (NaN and infinities are allowed). */
export function checkScalar(value: unknown, argument: string): number | boolean {
  if (typeof value !== 'number' && typeof value !== 'boolean') throw typeError('a number', argument, value);
  return value;
}

/** `checkScalar` for an argument that may also be a Tensor: the caller has taken the Tensor case first. */
export function checkOperand(value: unknown, argument: string): number | boolean {
  if (typeof value !== 'number' && typeof value !== 'boolean') throw typeError('a Tensor or a number', argument, value);
  return value;
}

/** A probability: a number in [0, 1]. */
export function checkProbability(p: unknown, argument: string): number {
  checkNumber(p, argument);
  if ((p as number) < 0 || (p as number) > 1) throw rangeError('a probability between 0 and 1', argument, p);
  return p as number;
}

/** A safe integer, at least `min` when given. */
export function checkInt(value: unknown, argument: string, min?: number): number {
  if (typeof value !== 'number') throw typeError('an integer', argument, value);
  if (!Number.isSafeInteger(value)) throw rangeError('an integer', argument, value);
  if (min !== undefined && value < min) throw rangeError(`an integer >= ${min}`, argument, value);
  return value;
}

export function checkBool(value: unknown, argument: string): boolean {
  if (typeof value !== 'boolean') throw typeError('a boolean', argument, value);
  return value;
}

/** A list of sizes: non-negative integers (or -1 where `allowInfer`, for view/reshape). */
export function checkShape(value: unknown, argument: string, allowInfer = false): number[] {
  if (!Array.isArray(value)) throw typeError('an array of integers', argument, value);
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw typeError('an array of integers', argument, value);
    if (v < 0 && !(allowInfer && v === -1)) {
      throw rangeError(allowInfer ? 'sizes >= 0 (or -1 to infer one)' : 'sizes >= 0', argument, value);
    }
  }
  return value as number[];
}

/** A list of integers (dimensions, strides, paddings). */
export function checkIntList(value: unknown, argument: string): number[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isSafeInteger(v))) {
    throw typeError('an array of integers', argument, value);
  }
  return value as number[];
}

/** An int or list of ints as a list. */
export function checkDims(value: unknown, argument: string): number[] {
  return typeof value === 'number' ? [checkInt(value, argument)] : checkIntList(value, argument);
}

/**
 * A plain options object, or undefined. With `keys` (the valid option names), an unknown key
 * throws a TypeError naming it and the nearest valid key: a PyTorch habit such as
 * `{ weight_decay: 1e-4 }` fails loudly instead of being ignored.
 */
export function checkOptions<T extends object>(
  value: unknown,
  argument = 'options',
  keys?: readonly string[],
): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw typeError('an options object', argument, value);
  }
  // for-in rather than Object.keys: no array per call, as this runs on tensor-op paths.
  if (keys !== undefined) {
    for (const k in value) if (!keys.includes(k) && Object.hasOwn(value, k)) throw unknownOption(k, argument, keys);
  }
  return value as Partial<T>;
}

/**
 * Every option name of `T`, for `checkOptions` / `bindArgs`: written as a record so that the
 * compiler refuses a list missing a key of `T` or naming one it lacks:
 * `const KEYS = optionKeys<BatchNormOptions>({ eps: 1, momentum: 1, ... })`.
 */
export function optionKeys<T extends object>(keys: { [K in keyof Required<T>]: 1 }): (keyof T & string)[] {
  return Object.keys(keys) as (keyof T & string)[];
}

/** `Unknown option "<key>" for <argument>: did you mean <nearest>? (valid: ...)` as a TypeError. */
export function unknownOption(key: string, argument: string, keys: readonly string[]): TypeError {
  const near = nearestKey(key, keys);
  const hint = near === undefined ? '' : `: did you mean ${near}?`;
  return new TypeError(`Unknown option ${JSON.stringify(key)} for ${argument}${hint} (valid: ${keys.join(', ')})`);
}

/**
 * The candidate closest to `word`: names are compared lowercased without `_` and `-` (so
 * `batch_size` finds `batchSize`), by edit distance with transpositions; ties go to the
 * earlier candidate. Undefined when nothing is close: more than max(2, half the word's length)
 * edits away, unless the word starts the name.
 */
export function nearestKey(word: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  const w = norm(word);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(w, norm(c));
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  // Close: a few edits away, or the word is the start of the name (`padd` for `padding`).
  return bestDistance <= Math.max(2, w.length / 2) || norm(best).startsWith(w) ? best : undefined;
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions, adjacent swaps. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0].push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1);
      rows[i].push(d);
    }
  }
  return rows[a.length][b.length];
}
