/**
 * Tensor lifetime. Python frees a tensor the moment its last reference goes; JavaScript's
 * garbage collector cannot see native (let alone GPU) memory and runs finalizers only on an
 * event-loop turn, which a training loop may never give it. torchts frees deterministically
 * where the structure of the code says when, and lets the collector find the rest promptly:
 *
 * - Scopes. Every `Module.forward` call is a scope, and so is `tidy(fn)`. When a scope ends,
 *   the tensors created inside it are freed unless they are returned (in the result, or in
 *   arrays, objects, Maps and Sets inside it), written into an argument, stored on the module
 *   (`this.cache = t`), kept (`keep()`: parameters, buffers, optimizer state) or lent by a
 *   DataLoader. Returned tensors become the enclosing scope's. Scopes nest on the JS stack and
 *   async ones follow their own async context, so concurrent work never frees another's tensors.
 * - Loans. A DataLoader owns the batches it hands out and frees them when the loop asks for
 *   the next one (`lend` / `reclaim`).
 * - The collector. Every tensor is watched through a weak reference in the native table, and a
 *   scope lists its tensors there without holding their JS objects. When enough tensor data
 *   was made since the last time, a young-generation collection runs and the native slots whose
 *   JS objects are gone are freed at once, inside the same synchronous run
 *   (native/tensor_table.h). So a temporary the program dropped (`x = conv(x)` rebinding `x`)
 *   is freed within a few tens of megabytes of new data, in or out of a scope, and a tensor made
 *   at the top level of a loop does not outlive its iteration by much.
 *
 * A tensor freed by a scope or a loan remembers why: using it throws a TorchError that says
 * what freed it and how to keep it. It never reads freed memory.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

import { N } from '../native';

/** Brand of objects whose lifetime this file manages (Tensors). */
export const OWNED: unique symbol = Symbol('torchts.owned');

/** What lifetime management needs from a tensor (implemented by Tensor). */
export interface Owned {
  readonly [OWNED]: true;
  readonly isDisposed: boolean;
  /** @internal The native handle; only read while not disposed. */
  readonly handle: number;
  /** Set by `keep()`: no scope frees the tensor. */
  readonly kept: boolean;
  /** @internal The id of the scope that frees this tensor when it ends (0: none). */
  _scope: number;
  /** @internal The DataLoader iteration that lent it, if any. */
  _loan: object | undefined;
  /** @internal Scratch mark used while a scope closes. */
  _mark: number;
  /** @internal Sets `kept` (the native table is told by `keep`). */
  _setKept(): void;
  /** @internal Marks the tensor freed (its slot already was, or is freed now), recording why. */
  _release(reason: string, slotFreed: boolean): void;
}

function isOwned(v: unknown): v is Owned {
  return typeof v === 'object' && v !== null && (v as Owned)[OWNED] === true;
}

/** @internal A region whose temporaries are freed when it ends. */
export class Scope {
  /** The native scope id (lists the slots made in it). */
  readonly id: number = N.openScope() as number;
  closed = false;
  constructor(
    readonly parent: Scope | undefined,
    /** Says what freed a tensor, in the error its later use throws. */
    readonly reason: string,
  ) {}
}

/** The innermost synchronous scope, if any (sync scopes nest on the JS stack). */
let syncScope: Scope | undefined;
/** Async scopes are tracked per async context, so concurrent ones do not mix. */
const asyncScope = new AsyncLocalStorage<Scope>();
let openAsyncScopes = 0;
/** Installed as the sync scope where nothing may be tracked (hooks); always closed. */
const NO_SCOPE: Scope = Object.create(Scope.prototype, {
  id: { value: 0 },
  closed: { value: true },
  parent: { value: undefined },
  reason: { value: '' },
});

function currentScope(): Scope | undefined {
  const s = syncScope ?? (openAsyncScopes > 0 ? asyncScope.getStore() : undefined);
  return s !== undefined && !s.closed ? s : undefined;
}

// ---- new tensors ------------------------------------------------------------------------

/**
 * New tensors reach the native table's weak references and scope lists in batches: most
 * results are disposed within a few ops (`dispose()`, `Sequential`), and those never need a
 * reference. A new tensor waits here until PENDING_LIMIT tensors were made, a scope closes or
 * the current synchronous run ends (a microtask). The list holds each tensor strongly meanwhile,
 * so it is kept short.
 */
const PENDING_LIMIT = 128;
const pending: unknown[] = new Array<unknown>(3 * PENDING_LIMIT).fill(undefined);
let pendingCount = 0;
let flushQueued = false;

let collectSoon = false;
/** Set to 1 by the native table once much tensor data was made since the last `watchPending`. */
const pressure = new Int32Array(1);
N.setPressureFlag(pressure);

/** Called by every new Tensor: queues its weak reference and its scope membership. */
export function adopt(t: Owned, handle: number): void {
  if (collectSoon) {
    collectSoon = false;
    collectGarbage();
  } else if (pressure[0] !== 0 && watchPending()) {
    // Big tensors: hand them over now rather than after PENDING_LIMIT of them, and collect.
    collectGarbage();
  }
  const s = syncScope ?? (openAsyncScopes > 0 ? currentScope() : undefined);
  const scope = s !== undefined && !s.closed ? s.id : 0;
  t._scope = scope;
  const i = 3 * pendingCount++;
  pending[i] = t;
  pending[i + 1] = handle;
  pending[i + 2] = scope;
  if (pendingCount === PENDING_LIMIT) {
    if (watchPending()) collectGarbage();
  } else if (!flushQueued) {
    flushQueued = true;
    queueMicrotask(flushQueue);
  }
}

function flushQueue(): void {
  flushQueued = false;
  if (watchPending()) collectGarbage();
}

/** Hands the pending tensors that are still alive to the native table; returns whether a sweep is due. */
function watchPending(): boolean {
  const n = pendingCount;
  if (n === 0) return false;
  pendingCount = 0;
  const items: unknown[] = [];
  for (let i = 0; i < 3 * n; i += 3) {
    const t = pending[i] as Owned;
    if (!t.isDisposed) items.push(t, pending[i + 1], t._scope === pending[i + 2] ? pending[i + 2] : 0);
    pending[i] = undefined;
  }
  return items.length > 0 && (N.watch(items) as boolean);
}

let gcFn: ((options?: { type: 'minor' | 'major' }) => void) | null | undefined;
/** V8's `gc`, switched on at run time (Node has no other way to ask for a collection). */
function gcFunction(): typeof gcFn {
  if (gcFn === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as typeof gcFn;
    } catch {
      gcFn = null;
    }
  }
  return gcFn;
}

/**
 * Frees the native slots of tensors whose JS objects were dropped. A young-generation
 * collection and a sweep of the recent slots find the short-lived ones (temporaries, a loop's
 * outputs and losses) for a fraction of a millisecond; when the live tensor data has doubled
 * since the last time, a full collection and sweep also find those that lived long enough to be
 * promoted. Runs in its own frame, after the pending list was emptied, so that nothing here
 * keeps a dropped tensor reachable.
 */
function collectGarbage(): void {
  const gc = gcFunction();
  if (gc) gc({ type: 'minor' });
  N.sweep(false);
  if (N.fullSweepDue() as boolean) {
    if (gc) gc({ type: 'major' });
    N.sweep(true);
  }
}

/**
 * After every garbage collection that happens on its own (the program's allocations, not
 * `collectGarbage`), the next event-loop turn sweeps too: a sentinel object is registered with
 * a FinalizationRegistry, and its callback, which V8 runs after the collection that found it
 * dead, sweeps and registers a new one. So a program that drops tensors and then waits gets
 * their memory back without making new ones.
 */
const afterCollection = new FinalizationRegistry<undefined>(() => {
  armSweepAfterCollection();
  if ((N.watchedCount() as number) === 0) return;
  // The collection may have been a full one: look at every slot, at most every 100 ms.
  const now = performance.now();
  const full = now - lastFullSweep > 100;
  if (full) lastFullSweep = now;
  N.sweep(full);
});
let lastFullSweep = 0;
function armSweepAfterCollection(): void {
  afterCollection.register({}, undefined);
}
armSweepAfterCollection();

// ---- scopes -----------------------------------------------------------------------------

let epoch = 0;

/** Modules are not walked: their members are kept or handled by their own scopes. */
let isModuleLike: (v: object) => boolean = () => false;
/** @internal Lets nn.Module tell the walks which objects are modules (no import cycle). */
export function setModuleTest(test: (v: object) => boolean): void {
  isModuleLike = test;
}

/**
 * Calls `fn` once for every tensor reachable from `value` (a tensor, or arrays, Maps, Sets,
 * objects and class instances holding them, to depth 8; modules and typed arrays not walked).
 */
function forEachOwned(value: unknown, fn: (t: Owned) => void): void {
  if (isOwned(value)) {
    fn(value);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const e = ++epoch;
  const seen = new Set<object>();
  const walk = (v: unknown, depth: number): void => {
    if (typeof v !== 'object' || v === null) return;
    if (isOwned(v)) {
      if (v._mark !== e) {
        v._mark = e;
        fn(v);
      }
      return;
    }
    if (depth > 8 || isModuleLike(v) || ArrayBuffer.isView(v) || v instanceof Promise || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
    } else if (v instanceof Map || v instanceof Set) {
      for (const x of v.values()) walk(x, depth + 1);
    } else {
      for (const x of Object.values(v)) walk(x, depth + 1);
    }
  };
  walk(value, 0);
}

/** Handles of the tensors reachable from `value` that belong to `scope`. */
function membersIn(value: unknown, scope: number, into: number[]): void {
  forEachOwned(value, (t) => {
    if (t._scope === scope && !t.isDisposed) into.push(t.handle);
  });
}

/** Ends `scope`: see the file comment. */
function closeWith(
  scope: Scope,
  result: unknown,
  args: readonly unknown[] | undefined,
  owner: object | undefined,
): void {
  const due = watchPending();
  scope.closed = true;
  const parent = scope.parent !== undefined && !scope.parent.closed ? scope.parent.id : 0;
  const returned: number[] = [];
  const stored: number[] = [];
  membersIn(result, scope.id, returned);
  if (args !== undefined) membersIn(args, scope.id, returned);
  if (owner !== undefined) {
    for (const v of Object.values(owner)) if (typeof v === 'object' && v !== null) membersIn(v, scope.id, stored);
  }
  // Stored wins over returned: a module that keeps what it returns owns it.
  for (const h of stored) {
    const i = returned.indexOf(h);
    if (i >= 0) returned.splice(i, 1);
  }
  // Arguments the module stored on itself belong to the caller's scope, which must not free them.
  if (owner !== undefined && args !== undefined && args.length > 0) escapeStored(args, owner);
  const freed = N.closeScope(scope.id, parent, returned, stored) as Owned[];
  for (const t of freed) t._release(scope.reason, true);
  if (owner !== undefined) {
    for (const v of Object.values(owner)) if (typeof v === 'object' && v !== null) retag(v, scope.id, 0);
  }
  retag(result, scope.id, parent);
  if (args !== undefined) retag(args, scope.id, parent);
  // Collected when the next tensor is made: by then this call's frame, which still holds its
  // arguments (often the temporary the caller is about to drop), is gone.
  if (due) collectSoon = true;
}

/** Takes the tensors of `args` that `owner` holds in its own properties out of their scopes. */
function escapeStored(args: readonly unknown[], owner: object): void {
  const candidates: Owned[] = [];
  forEachOwned(args, (t) => {
    if (t._scope !== 0 && !t.isDisposed) candidates.push(t);
  });
  if (candidates.length === 0) return;
  const held = new Set<Owned>();
  for (const v of Object.values(owner)) {
    if (typeof v === 'object' && v !== null) forEachOwned(v, (t) => void held.add(t));
  }
  const ts = candidates.filter((t) => held.has(t));
  if (ts.length > 0) unscope(ts, false);
}

/** Mirrors in JS what closeScope did natively to the tensors of `value` made in `scope`. */
function retag(value: unknown, scope: number, to: number): void {
  forEachOwned(value, (t) => {
    if (t._scope === scope) t._scope = to;
  });
}

function closeAll(scope: Scope): void {
  closeWith(scope, undefined, undefined, undefined);
}

function runScoped<T>(
  reason: string,
  fn: () => T,
  useAsyncContext: boolean,
  args: readonly unknown[] | undefined,
  owner: object | undefined,
): T {
  const scope = new Scope(currentScope(), reason);
  const outer = syncScope;
  syncScope = scope;
  let result: T;
  try {
    result = useAsyncContext ? asyncScope.run(scope, fn) : fn();
  } catch (e) {
    syncScope = outer;
    closeAll(scope);
    throw e;
  }
  syncScope = outer;
  if (!(result instanceof Promise)) {
    closeWith(scope, result, args, owner);
    return result;
  }
  // After the first await the async continuation finds its scope through AsyncLocalStorage.
  openAsyncScopes++;
  return result.then(
    (value) => {
      openAsyncScopes--;
      closeWith(scope, value, args, owner);
      return value;
    },
    (err: unknown) => {
      openAsyncScopes--;
      closeAll(scope);
      throw err;
    },
  ) as T;
}

/**
 * Runs `fn` and frees every tensor created inside it that is not returned (in the result,
 * or in arrays, Maps, Sets or objects in it) or kept with `keep()`. Works with async
 * functions too: the scope then closes when the promise settles.
 */
export function tidy<T>(fn: () => Promise<T>): Promise<T>;
export function tidy<T>(fn: () => T): T;
export function tidy<T>(fn: () => T | Promise<T>): T | Promise<T> {
  if (typeof fn !== 'function') throw new TypeError(`Expected a function for fn but received ${typeof fn}`);
  return runScoped(TIDY_REASON, fn, true, undefined, undefined);
}
const TIDY_REASON = 'it was created inside torch.tidy() and not returned from it; return it or call torch.keep(t)';

/**
 * @internal One `Module.forward` call as a scope (see the file comment). `reason` names the
 * forward; `isAsync` says whether it is an async function (only those pay for AsyncLocalStorage).
 */
export function moduleScope<T>(reason: string, isAsync: boolean, owner: object, args: unknown[], fn: () => T): T {
  return runScoped(reason, fn, isAsync, args, owner);
}

/** @internal Runs `fn` with no scope tracking what it makes (module hooks). */
export function unscoped<T>(fn: () => T): T {
  const outer = syncScope;
  syncScope = NO_SCOPE;
  try {
    return fn();
  } finally {
    syncScope = outer;
  }
}

/**
 * @internal For containers that run children in sequence (nn.Sequential): frees `t`, a
 * previous child's result, once the next child has consumed it, if it is a temporary of the
 * current scope that nothing kept and `consumer` did not store.
 */
export function freeConsumed(t: unknown, consumer: object): void {
  if (!isOwned(t) || t.kept || t._loan !== undefined || t.isDisposed) return;
  const s = currentScope();
  if (s === undefined || t._scope !== s.id) return;
  let storedByConsumer = false;
  for (const v of Object.values(consumer)) {
    if (typeof v === 'object' && v !== null && !storedByConsumer) {
      forEachOwned(v, (x) => {
        if (x === t) storedByConsumer = true;
      });
    }
  }
  if (!storedByConsumer) t._release(s.reason, false);
}

// ---- keep, loans ------------------------------------------------------------------------

function unscope(ts: Owned[], kept: boolean): void {
  const hs: number[] = [];
  for (const t of ts) {
    if (!t.isDisposed) hs.push(t.handle);
    t._scope = 0;
  }
  if (hs.length > 0) N.unscope(hs, kept);
}

/**
 * Keeps `value`, a tensor or a structure of them (a DataLoader batch `[x, y]`, an object of
 * tensors): no scope or DataLoader frees them; they are freed by `dispose()`, or by the
 * collector once dropped. Returns `value`.
 */
export function keep<T>(value: T): T {
  const ts: Owned[] = [];
  forEachOwned(value, (t) => {
    if (!t.kept && !t.isDisposed) {
      t._setKept();
      ts.push(t);
    }
  });
  watchPending();
  unscope(ts, true);
  return value;
}

/** @internal `keep` under the name the library's own code uses for structures. */
export const keepAll = keep;

/**
 * @internal Lends the tensors in `value` to `lender` (a DataLoader iteration): no scope frees
 * them; `reclaim` does, unless the caller kept them meanwhile.
 */
export function lend<T>(value: T, lender: object): T {
  const ts: Owned[] = [];
  forEachOwned(value, (t) => {
    if (t.kept || t.isDisposed) return;
    t._loan = lender;
    ts.push(t);
  });
  watchPending();
  unscope(ts, false);
  return value;
}

/**
 * @internal Takes the tensors in `value` out of their scopes: they are then freed by
 * `dispose()` or the collector only. For tensors that user code (a hook) has seen and may
 * have stored.
 */
export function escapeScopes<T>(value: T): T {
  const ts: Owned[] = [];
  forEachOwned(value, (t) => {
    if (t._scope !== 0) ts.push(t);
  });
  if (ts.length > 0) {
    watchPending();
    unscope(ts, false);
  }
  return value;
}

/** @internal Frees what `lend` lent to `lender`, except tensors kept since. */
export function reclaim(value: unknown, lender: object, reason: string): void {
  forEachOwned(value, (t) => {
    if (t._loan !== lender) return;
    t._loan = undefined;
    if (!t.kept) t._release(reason, false);
  });
}

// ---- reports ----------------------------------------------------------------------------

/** Live tensors and the bytes their storages hold, per device. */
export interface MemoryReport {
  /** Tensors not yet freed. */
  liveTensors: number;
  /** Bytes per device (`'cpu'`, `'cuda:0'`, ...), each storage counted once. */
  bytes: Record<string, number>;
}

/**
 * Reports the live tensors and their bytes per device. Tensors dropped without `dispose()`
 * that the collector has not found yet are counted as live.
 */
export function memory(): MemoryReport {
  return N.memoryStats() as MemoryReport;
}

/**
 * @internal Frees every dropped tensor now: a full collection, then a sweep. For tests and
 * benchmarks that want exact counts; a program never needs it.
 */
export function collect(): number {
  watchPending();
  const gc = gcFunction();
  if (gc) gc({ type: 'major' });
  return N.sweep(true) as number;
}
