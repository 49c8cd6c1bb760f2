/**
 * Promises for work on the addon's inference threads (native/async.h). Those threads belong to
 * the addon, not to libuv's pool, so sharp, fs and zlib keep their threads while a forward
 * runs, and the event loop stays free. A job still queued when its AbortSignal fires is taken
 * off the queue; one already running finishes on its thread and its result is freed, while the
 * promise rejects at once with the signal's reason, as fetch does.
 */
import { N } from '../native';
import type { H } from '../native_api';
import { checkOptions, optionKeys, TorchError, typeError } from './errors';
import { _wrap as wrap, Tensor } from './tensor';

interface Pending {
  resolve(value: Tensor | Tensor[]): void;
  reject(reason: unknown): void;
  /** Set once the promise settled early (aborted): the result is freed when it arrives. */
  settled: boolean;
  cleanup(): void;
}

const pending = new Map<number, Pending>();
let initialized = false;

function done(id: number, error: string | null, handles: H[] | null, single: boolean): void {
  const p = pending.get(id);
  pending.delete(id);
  if (!p) {
    for (const h of handles ?? []) N.free(h);
    return;
  }
  p.cleanup();
  if (p.settled) {
    for (const h of handles ?? []) N.free(h);
    return;
  }
  if (error !== null) {
    p.reject(new TorchError(error));
    return;
  }
  const out = (handles ?? []).map(wrap);
  p.resolve(single ? out[0] : out);
}

/** Options of `forwardAsync`. */
export interface ForwardAsyncOptions {
  /** Cancels the call: a queued forward never runs; a running one finishes and its result is freed. */
  signal?: AbortSignal;
}
const FORWARD_ASYNC_KEYS = optionKeys<ForwardAsyncOptions>({ signal: 1 });

/** `forwardAsync`'s arguments: tensors, then optionally `{ signal }`. @internal */
export function forwardAsyncArgs(args: unknown[]): { inputs: Tensor[]; signal: AbortSignal | undefined } {
  const last = args[args.length - 1];
  const hasOptions = typeof last === 'object' && last !== null && !(last instanceof Tensor);
  const inputs = hasOptions ? args.slice(0, -1) : args;
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw typeError('a Tensor (forwardAsync takes tensor arguments)', `input ${i}`, t);
  });
  const o = hasOptions ? checkOptions<ForwardAsyncOptions>(last, 'forwardAsync options', FORWARD_ASYNC_KEYS) : {};
  return { inputs: inputs as Tensor[], signal: checkSignal(o.signal) };
}

/** Checks an AbortSignal option. */
export function checkSignal(signal: unknown, argument = 'signal'): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) throw typeError('an AbortSignal', argument, signal);
  return signal;
}

/**
 * Runs `submit` (which queues a native job and returns its id) and resolves with the job's
 * tensors. @internal
 */
export function runAsync(submit: () => number, signal?: AbortSignal): Promise<Tensor | Tensor[]> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (!initialized) {
    N.asyncInit(done);
    initialized = true;
  }
  return new Promise((resolve, reject) => {
    const id = submit();
    const onAbort = (): void => {
      const entry = pending.get(id);
      if (!entry || entry.settled) return;
      entry.settled = true;
      entry.cleanup();
      // Queued: it never runs. Running: it finishes, and done() frees the result.
      if (N.asyncCancel(id)) pending.delete(id);
      reject(signal?.reason);
    };
    pending.set(id, {
      resolve,
      reject,
      settled: false,
      cleanup: () => signal?.removeEventListener('abort', onAbort),
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Jobs waiting for an inference thread (all threads of the process), and how many threads run them. */
export function inferenceQueue(): { queued: number; threads: number } {
  return N.asyncStats();
}
