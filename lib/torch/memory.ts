/**
 * Tensor lifetime: explicit `dispose()` first, `tidy` scopes second, a finalizer last.
 * The garbage collector cannot see native (let alone GPU) memory and, in a synchronous
 * training loop, never gets a turn to run finalizers; so scopes free temporaries
 * deterministically and the FinalizationRegistry only catches what escaped both.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

import { N } from '../native';

/** What a scope needs from a tensor. */
export interface Owned {
  /** Native handle; -1 once disposed. */
  readonly handle: number;
  /** Set by `keep()`: the tensor outlives every scope. */
  kept: boolean;
  dispose(): void;
}

class Scope {
  readonly tensors: Owned[] = [];
  closed = false;
  constructor(readonly parent: Scope | undefined) {}
}

/**
 * Frees a tensor's native slot when its JS object is collected without dispose(). Tensors
 * register with it shortly after they are made, if still alive (PENDING_LIMIT in tensor.ts).
 */
export const finalizer = new FinalizationRegistry<number>((handle) => N.free(handle));

/** The innermost synchronous scope, if any (sync tidies nest on the JS stack). */
let syncScope: Scope | undefined;
/** Async tidies are tracked per async context, so concurrent ones do not mix. */
const asyncScope = new AsyncLocalStorage<Scope>();
let openAsyncScopes = 0;

function currentScope(): Scope | undefined {
  const s = syncScope ?? (openAsyncScopes > 0 ? asyncScope.getStore() : undefined);
  return s && !s.closed ? s : undefined;
}

/** Called for every new tensor: records it in the current scope. */
export function track(t: Owned): void {
  const s = syncScope ?? (openAsyncScopes > 0 ? currentScope() : undefined);
  if (s !== undefined) s.tensors.push(t);
}

/** Marks a tensor as kept: no scope frees it (it still has `dispose()` and the finalizer). */
export function keep<T extends Owned>(t: T): T {
  t.kept = true;
  return t;
}

function collect(value: unknown, into: Set<Owned>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 8) return;
  if ('handle' in value && 'kept' in value && typeof (value as Owned).dispose === 'function') {
    into.add(value as Owned);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, into, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, into, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, into, depth + 1);
  }
}

/**
 * Keeps every tensor in `value` (a tensor, or arrays, Maps and plain objects of them: what
 * `tidy` lets a scope return) and returns `value`.
 */
export function keepAll<T>(value: T): T {
  const found = new Set<Owned>();
  collect(value, found);
  for (const t of found) keep(t);
  return value;
}

function close(scope: Scope, result: unknown): void {
  scope.closed = true;
  const returned = new Set<Owned>();
  collect(result, returned);
  for (const t of scope.tensors) {
    if (returned.has(t)) {
      // A returned tensor becomes a temporary of the enclosing scope.
      if (scope.parent && !scope.parent.closed) scope.parent.tensors.push(t);
    } else if (!t.kept) {
      t.dispose();
    }
  }
  scope.tensors.length = 0;
}

/**
 * Runs `fn` and frees every tensor created inside it that is not returned (in the result,
 * or in arrays, Maps or plain objects in it) or kept with `keep()`. Works with async
 * functions too: the scope then closes when the promise settles.
 */
export function tidy<T>(fn: () => Promise<T>): Promise<T>;
export function tidy<T>(fn: () => T): T;
export function tidy<T>(fn: () => T | Promise<T>): T | Promise<T> {
  if (typeof fn !== 'function') throw new TypeError(`Expected a function for fn but received ${typeof fn}`);
  const scope = new Scope(currentScope());
  const outer = syncScope;
  syncScope = scope;
  let result: T | Promise<T>;
  try {
    result = asyncScope.run(scope, fn);
  } catch (e) {
    syncScope = outer;
    close(scope, undefined);
    throw e;
  }
  syncScope = outer;
  if (!(result instanceof Promise)) {
    close(scope, result);
    return result;
  }
  // After the first await the async continuation finds its scope through AsyncLocalStorage.
  openAsyncScopes++;
  return result.then(
    (value) => {
      openAsyncScopes--;
      close(scope, value);
      return value;
    },
    (err: unknown) => {
      openAsyncScopes--;
      close(scope, undefined);
      throw err;
    },
  );
}

/** Live tensors and the bytes their storages hold, per device. */
export interface MemoryReport {
  /** Tensors not yet disposed or collected. */
  liveTensors: number;
  /** Bytes per device (`'cpu'`, `'cuda:0'`, ...), each storage counted once. */
  bytes: Record<string, number>;
}

/** Reports the live tensors and their bytes per device. */
export function memory(): MemoryReport {
  return N.memoryStats() as MemoryReport;
}
