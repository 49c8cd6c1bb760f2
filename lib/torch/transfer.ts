/**
 * Tensors between threads (worker_threads). Each JS thread that loads torchts has its own
 * native tensor table, and a Tensor is a handle into its thread's table, so a Tensor itself
 * cannot be posted to another thread (postMessage throws a DataCloneError that says so).
 * What crosses is an explicit copy: `tensor.toTransferable()` gives a plain object holding the
 * bytes in an ArrayBuffer (put it in postMessage's transfer list to move it without a second
 * copy) or, with `{ shared: true }`, a SharedArrayBuffer; `torch.fromTransferable()` makes a
 * tensor of it on the receiving thread.
 */
import { frombuffer } from './creation';
import type { Device } from './device';
import type { DType } from './dtype';
import { checkOptions, optionKeys, TorchError, typeError } from './errors';
import type { Tensor } from './tensor';

/** Options of `tensor.toTransferable()`. */
export interface ToTransferableOptions {
  /** Put the bytes in a SharedArrayBuffer instead of an ArrayBuffer (default false). */
  shared?: boolean;
}

/** A tensor's copy that structured clone can carry (see `tensor.toTransferable()`). */
export interface TransferableTensor {
  readonly torchts: 'Tensor';
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** The device the tensor was on; `fromTransferable` puts it back there unless told otherwise. */
  readonly device: Device;
  readonly requiresGrad: boolean;
  /** The data, row-major, in the tensor's dtype. */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/** Options of `torch.fromTransferable()`. */
export interface FromTransferableOptions {
  /** Where to put the tensor (default: the device it came from). */
  device?: Device;
}
const FROM_TRANSFERABLE_KEYS = optionKeys<FromTransferableOptions>({ device: 1 });

function isTransferable(value: unknown): value is TransferableTensor {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v.torchts === 'Tensor' &&
    typeof v.dtype === 'string' &&
    Array.isArray(v.shape) &&
    typeof v.device === 'string' &&
    (v.buffer instanceof ArrayBuffer ||
      (typeof SharedArrayBuffer !== 'undefined' && v.buffer instanceof SharedArrayBuffer))
  );
}

/**
 * A tensor made from `tensor.toTransferable()`'s copy (typically received from another
 * thread). The bytes are copied into the tensor, so the buffer may be reused afterwards.
 */
export function fromTransferable(value: TransferableTensor, options?: FromTransferableOptions): Tensor {
  if (!isTransferable(value)) {
    if (typeof value === 'object' && value !== null && '_h' in value && '_scope' in value) {
      throw new TorchError(
        'Expected the result of tensor.toTransferable() for value but received a structured clone of a Tensor: a Tensor cannot cross threads; send tensor.toTransferable() instead',
      );
    }
    throw typeError('the result of tensor.toTransferable()', 'value', value);
  }
  const o = checkOptions<FromTransferableOptions>(options, 'fromTransferable options', FROM_TRANSFERABLE_KEYS);
  let t = frombuffer(new Uint8Array(value.buffer), { dtype: value.dtype, shape: value.shape });
  const device = o.device ?? value.device;
  if (device !== 'cpu') {
    const moved = t.to(device);
    t.dispose();
    t = moved;
  }
  if (value.requiresGrad) t.requiresGrad_(true);
  return t;
}

/** The ArrayBuffers of `values` (from `toTransferable()`), for postMessage's transfer list. */
export function transferList(...values: TransferableTensor[]): ArrayBuffer[] {
  return values.map((v) => v.buffer).filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}
