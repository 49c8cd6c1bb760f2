/**
 * PyTorch's calling convention for constructors and functions with many optional arguments:
 * the leading optional ones may be given positionally, in PyTorch's order, and any of them by
 * name in an options object after the positional ones. `new nn.Conv2d(1, 32, 3, 1)` and
 * `new nn.Conv2d(1, 32, 3, { stride: 1 })` are the same call, as in Python.
 */
import { typeError, unknownOption } from './errors';

/** Every prefix of a tuple: `[]`, `[A]`, `[A, B]`, ... */
type Prefixes<T extends readonly unknown[]> = T extends readonly [...infer Init, unknown]
  ? Prefixes<Init> | { -readonly [K in keyof T]: T[K] }
  : [];

/**
 * The rest parameters of a call taking `Positional` (PyTorch's order of the optional
 * arguments that may be positional) and then an options object `Options`:
 * `constructor(a: number, ...args: WithOptions<[stride: number, padding: number], Conv2dOptions>)`.
 */
export type WithOptions<Positional extends readonly unknown[], Options> =
  Prefixes<Positional> extends infer P ? (P extends unknown[] ? [...P, options?: Options] : never) : never;

/** True for `{...}` literals and `Object.create(null)`: what can be an options object. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Merges positional arguments and a trailing options object into one options object, checked:
 * `names` are the arguments that may be positional, in PyTorch's order; `keys` are every valid
 * option name (the positional ones included; defaults to `names`). Throws a TypeError, as
 * Python does, for too many positional arguments, an argument given both ways, or an unknown
 * option (naming the nearest valid one). `where` names the callee in messages.
 */
export function bindArgs<T extends object>(
  args: readonly unknown[],
  names: readonly (keyof T & string)[],
  where: string,
  keys: readonly (keyof T & string)[] = names,
): Partial<T> {
  let positional = args.length;
  let options: Record<string, unknown> = {};
  const last = args[args.length - 1];
  // A trailing undefined is an omitted options object (`f(a, b, undefined)`), as in a call through a wrapper.
  if (args.length > 0 && (last === undefined || isPlainObject(last))) {
    positional--;
    if (last !== undefined) options = last as Record<string, unknown>;
  }
  if (positional > names.length) {
    const most = names.length === 0 ? 'no optional' : `at most ${names.length} optional`;
    throw new TypeError(
      `${where} takes ${most} positional argument${names.length === 1 ? '' : 's'} (${names.join(', ')}) but received ${positional}; pass the rest in an options object`,
    );
  }
  for (const k of Object.keys(options)) if (!keys.includes(k as keyof T & string)) throw unknownOption(k, where, keys);
  const out: Record<string, unknown> = { ...options };
  for (let i = 0; i < positional; i++) {
    const name = names[i];
    if (args[i] === undefined) continue;
    if (options[name] !== undefined) throw new TypeError(`${where} got multiple values for argument ${name}`);
    if (isPlainObject(args[i])) throw typeError(`${name} (an options object may only come last)`, where, args[i]);
    out[name] = args[i];
  }
  return out as Partial<T>;
}
