/** `torch.autocast`: mixed-precision regions. */
import { N } from '../../native';
import { dtypeCode, dtypeName, type DType } from '../dtype';
import { checkBool, checkOptions, optionKeys, TorchError, typeError } from '../errors';

export type AutocastDevice = 'cpu' | 'cuda';

export interface AutocastOptions {
  /** Lower-precision dtype: float16 by default on CUDA, bfloat16 on the CPU (as in PyTorch). */
  dtype?: DType;
  /** `false` makes the region a no-op (handy to switch AMP with a flag). */
  enabled?: boolean;
  /** Cache the lower-precision copies of weights inside the region (default true). */
  cacheEnabled?: boolean;
}
const AUTOCAST_KEYS = optionKeys<AutocastOptions>({ dtype: 1, enabled: 1, cacheEnabled: 1 });

const DEFAULT_DTYPE: Record<AutocastDevice, DType> = { cuda: 'float16', cpu: 'bfloat16' };
const ALLOWED: Record<AutocastDevice, DType[]> = { cuda: ['float16', 'bfloat16'], cpu: ['bfloat16', 'float16'] };
let warnedNoCuda = false;

/**
 * Runs `fn` with autocast on for `deviceType` (`with torch.autocast(device_type, dtype):`):
 * ops that benefit (convolutions, matmuls, linear) run in `dtype`, precision-sensitive ones
 * (losses, softmax, norms' statistics) in float32, and the previous state comes back after
 * `fn`, even when it throws. Put only the forward pass and the loss inside; call
 * `backward()` outside. `fn` must be synchronous: autocast state belongs to the thread and
 * would leak into whatever runs during an `await`.
 *
 *     const loss = torch.autocast('cuda', () => criterion.forward(model.forward(x), y));
 */
export function autocast<T>(deviceType: AutocastDevice, fn: () => T): T;
export function autocast<T>(deviceType: AutocastDevice, options: AutocastOptions, fn: () => T): T;
export function autocast<T>(deviceType: AutocastDevice, a: AutocastOptions | (() => T), b?: () => T): T {
  const fn = typeof a === 'function' ? a : b;
  const options = typeof a === 'function' ? {} : a;
  if (deviceType !== 'cpu' && deviceType !== 'cuda') throw typeError("'cpu' or 'cuda'", 'deviceType', deviceType);
  if (typeof fn !== 'function') throw typeError('a function', 'fn', fn);
  const o = checkOptions<AutocastOptions>(options, 'autocast options', AUTOCAST_KEYS);
  const dtype = o.dtype === undefined ? DEFAULT_DTYPE[deviceType] : dtypeName(dtypeCode(o.dtype));
  if (!ALLOWED[deviceType].includes(dtype)) {
    throw typeError(`one of ${ALLOWED[deviceType].join(', ')} (autocast on ${deviceType})`, 'dtype', dtype);
  }
  let enabled = o.enabled === undefined ? true : checkBool(o.enabled, 'enabled');
  const cacheEnabled = o.cacheEnabled === undefined ? true : checkBool(o.cacheEnabled, 'cacheEnabled');
  if (enabled && deviceType === 'cuda' && !N.cudaIsAvailable()) {
    // PyTorch warns and disables autocast in this case; so do we.
    if (!warnedNoCuda) console.warn("torchts: autocast('cuda') is disabled because CUDA is not available");
    warnedNoCuda = true;
    enabled = false;
  }
  const prev = N.autocastState(deviceType) as { enabled: boolean; dtype: number; cacheEnabled: boolean };
  N.autocastSet(deviceType, enabled, dtypeCode(dtype), cacheEnabled, true);
  let out: T;
  try {
    out = fn();
  } finally {
    N.autocastSet(deviceType, prev.enabled, prev.dtype, prev.cacheEnabled, false);
  }
  if (out instanceof Promise) {
    // The region already closed when the first await yielded: say so instead of silently
    // running the rest of fn without autocast.
    out.catch(() => undefined);
    throw new TorchError('autocast(fn): fn must be synchronous (autocast state cannot span an await)');
  }
  return out;
}

/** Whether autocast is on for `deviceType` in the current region. */
export function isAutocastEnabled(deviceType: AutocastDevice = 'cuda'): boolean {
  if (deviceType !== 'cpu' && deviceType !== 'cuda') throw typeError("'cpu' or 'cuda'", 'deviceType', deviceType);
  return (N.autocastState(deviceType) as { enabled: boolean }).enabled;
}
