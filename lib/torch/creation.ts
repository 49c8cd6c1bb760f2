/** Tensor creation: `tensor`, `zeros`, `ones`, `full`, `arange`, `rand`, ... and their `*Like` forms. */
import { N } from '../native';
import { checkDevice, type Device } from './device';
import { dtypeCode, isFloatingPoint, optDtypeCode, type DType } from './dtype';
import {
  checkBool,
  checkInt,
  checkNumber,
  checkOptions,
  checkScalar,
  checkShape,
  optionKeys,
  typeError,
} from './errors';
import { _wrap as wrap, Tensor } from './tensor';
import { TORCH } from './generated/signatures';
import { call, namespace } from './dispatch';

const generated = namespace({ linspace: TORCH.linspace }, 'torch');
function linspaceOp(start: unknown, end: unknown, steps: number, options: object): Tensor {
  return call(generated.entries.linspace, undefined, [start, end, steps, options]);
}

/** Options accepted by every creation function. */
export interface TensorOptions {
  dtype?: DType;
  device?: Device | string;
  requiresGrad?: boolean;
}

function make(h: number, o: Partial<TensorOptions>): Tensor {
  const t = wrap(h);
  if (o.requiresGrad !== undefined && checkBool(o.requiresGrad, 'requiresGrad')) {
    if (!isFloatingPoint(t.dtype)) {
      t.dispose();
      throw new TypeError(`Expected a floating point dtype for a tensor with requiresGrad but received ${t.dtype}`);
    }
    N.setRequiresGrad(t.handle, true);
  }
  return t;
}

/** Every key of TensorOptions: an unknown one (`dtyp`, `requires_grad`) throws naming the nearest. */
const TENSOR_OPTION_KEYS = optionKeys<TensorOptions>({ dtype: 1, device: 1, requiresGrad: 1 });

/** `o` checked against TensorOptions; `where` names the callee (`zeros options`) in messages. */
function opts(o: unknown, where: string): [Partial<TensorOptions>, number, string | null] {
  const v = checkOptions<TensorOptions>(o, where, TENSOR_OPTION_KEYS);
  return [v, optDtypeCode(v.dtype), checkDevice(v.device)];
}

/** Splits `(2, 3, opts)` / `([2, 3], opts)` into a shape and options. */
function sizeAndOptions(args: unknown[]): [number[], unknown] {
  let options: unknown;
  if (args.length > 0) {
    const last = args[args.length - 1];
    if (last !== null && typeof last === 'object' && !Array.isArray(last)) options = args.pop();
  }
  if (args.length === 1 && Array.isArray(args[0])) return [checkShape(args[0], 'size'), options];
  return [checkShape(args, 'size'), options];
}

type SizeArgs = [size: readonly number[], options?: TensorOptions] | number[] | [...number[], TensorOptions];

function sized(fn: 'zeros' | 'ones' | 'empty' | 'rand' | 'randn'): (...args: SizeArgs) => Tensor {
  const native = N[fn];
  const where = `${fn} options`;
  return (...args: SizeArgs): Tensor => {
    const [size, options] = sizeAndOptions(args as unknown[]);
    const [o, dtype, device] = opts(options, where);
    if ((fn === 'rand' || fn === 'randn') && o.dtype !== undefined && !isFloatingPoint(o.dtype)) {
      throw typeError(`a floating point dtype for ${fn}`, 'dtype', o.dtype);
    }
    return make(native(size, dtype, device), o);
  };
}

/** A tensor of zeros: `zeros(2, 3)` or `zeros([2, 3], { dtype })`. */
export const zeros = sized('zeros');
/** A tensor of ones. */
export const ones = sized('ones');
/** An uninitialised tensor. */
export const empty = sized('empty');
/** Uniform random values in [0, 1). */
export const rand = sized('rand');
/** Standard normal random values. */
export const randn = sized('randn');

/** A tensor filled with `fillValue`; the dtype follows the value (int64, float32 or bool) unless given. */
export function full(size: readonly number[], fillValue: number | boolean, options?: TensorOptions): Tensor {
  const [o, dtype, device] = opts(options, 'full options');
  return make(N.full(checkShape(size, 'size'), checkScalar(fillValue, 'fillValue'), dtype, device), o);
}

/**
 * `arange(end)` or `arange(start, end, step?)`: values from start (inclusive) to end
 * (exclusive). int64 when all arguments are integers, as in PyTorch.
 */
export function arange(end: number, options?: TensorOptions): Tensor;
export function arange(start: number, end: number, step?: number, options?: TensorOptions): Tensor;
export function arange(a: number, b?: number | TensorOptions, c?: number | TensorOptions, d?: TensorOptions): Tensor {
  let start = 0;
  let end: number;
  let step = 1;
  let options: unknown;
  if (typeof b === 'number') {
    start = checkNumber(a, 'start');
    end = checkNumber(b, 'end');
    if (typeof c === 'number') {
      step = checkNumber(c, 'step');
      options = d;
    } else options = c;
  } else {
    end = checkNumber(a, 'end');
    options = b;
  }
  if (step === 0) throw new RangeError('Expected a non-zero step for step but received 0');
  if (!Number.isFinite(start) || !Number.isFinite(end))
    throw new RangeError(`Expected finite start and end for arange but received ${start}, ${end}`);
  const [o, dtype, device] = opts(options, 'arange options');
  return make(N.arange(start, end, step, dtype, device), o);
}

/** `steps` values evenly spaced from start to end (inclusive). */
export function linspace(start: number | Tensor, end: number | Tensor, steps: number, options?: TensorOptions): Tensor {
  // Tensor endpoints (0-dim) take libtorch's Tensor overloads through the generic op path.
  if (start instanceof Tensor || end instanceof Tensor) return linspaceOp(start, end, steps, options ?? {});
  const [o, dtype, device] = opts(options, 'linspace options');
  return make(
    N.linspace(checkNumber(start, 'start'), checkNumber(end, 'end'), checkInt(steps, 'steps', 0), dtype, device),
    o,
  );
}

/** An n x m identity matrix (m defaults to n). */
export function eye(n: number, m?: number | TensorOptions, options?: TensorOptions): Tensor {
  if (typeof m !== 'number') {
    options = m;
    m = n;
  }
  const [o, dtype, device] = opts(options, 'eye options');
  return make(N.eye(checkInt(n, 'n', 0), checkInt(m, 'm', 0), dtype, device), o);
}

/** Random integers in [low, high): `randint(high, size)` or `randint(low, high, size)`. int64 by default. */
export function randint(high: number, size: readonly number[], options?: TensorOptions): Tensor;
export function randint(low: number, high: number, size: readonly number[], options?: TensorOptions): Tensor;
export function randint(
  a: number,
  b: number | readonly number[],
  c?: readonly number[] | TensorOptions,
  d?: TensorOptions,
): Tensor {
  let low = 0;
  let high: number;
  let size: unknown;
  let options: unknown;
  if (typeof b === 'number') {
    low = checkInt(a, 'low');
    high = checkInt(b, 'high');
    size = c;
    options = d;
  } else {
    high = checkInt(a, 'high');
    size = b;
    options = c;
  }
  if (high <= low) throw new RangeError(`Expected a value > low (${low}) for high but received ${high}`);
  const [o, dtype, device] = opts(options, 'randint options');
  return make(N.randint(low, high, checkShape(size, 'size'), dtype, device), o);
}

/** Nested arrays of numbers or booleans. */
export type NestedData = number | boolean | readonly NestedData[];
type TypedData =
  | Float32Array
  | Float64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | BigInt64Array;

function flatten(data: NestedData): { values: (number | boolean)[]; shape: number[] } {
  const shape: number[] = [];
  let probe: NestedData = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const values: (number | boolean)[] = [];
  const walk = (v: NestedData, d: number, path: string): void => {
    if (d === shape.length) {
      if (typeof v !== 'number' && typeof v !== 'boolean') throw typeError('numbers or booleans', `data${path}`, v);
      values.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d]) {
      throw typeError(`a nested array with sizes [${shape.join(', ')}] (a regular shape)`, `data${path}`, v);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], d + 1, `${path}[${i}]`);
  };
  walk(data, 0, '');
  return { values, shape };
}

/**
 * A tensor copied from data: nested arrays of numbers or booleans, a TypedArray (1-d), or a
 * single number. As in PyTorch, all-integer data becomes int64, other numbers float32,
 * booleans bool; TypedArrays keep their type (Float32Array -> float32, ...).
 */
export function tensor(data: NestedData | TypedData, options?: TensorOptions): Tensor {
  const [o, dtype, device] = opts(options, 'tensor options');
  if (ArrayBuffer.isView(data)) {
    if (
      data instanceof DataView ||
      data instanceof BigUint64Array ||
      data instanceof Uint16Array ||
      data instanceof Uint32Array
    ) {
      throw typeError(
        'a Float32Array, Float64Array, Int32Array, Int16Array, Int8Array, Uint8Array or BigInt64Array',
        'data',
        data,
      );
    }
    return make(N.fromTyped(data, [data.length], dtype, device), o);
  }
  if (typeof data !== 'number' && typeof data !== 'boolean' && !Array.isArray(data)) {
    throw typeError('nested arrays of numbers or booleans, a number or a TypedArray', 'data', data);
  }
  const { values, shape } = flatten(data);
  const allBool = values.length > 0 && values.every((v) => typeof v === 'boolean');
  if (!allBool && values.some((v) => typeof v === 'boolean'))
    throw typeError('numbers only or booleans only', 'data', data);
  let inferred: DType;
  let typed: TypedData;
  if (allBool) {
    inferred = 'bool';
    typed = Uint8Array.from(values as boolean[], (v) => (v ? 1 : 0));
  } else {
    const nums = values as number[];
    inferred = nums.every((v) => Number.isSafeInteger(v)) && nums.length > 0 ? 'int64' : 'float32';
    typed = Float64Array.from(nums);
  }
  return make(N.fromTyped(typed, shape, dtype >= 0 ? dtype : dtypeCode(inferred), device), o);
}

/** Options of `frombuffer`. */
export interface FrombufferOptions {
  dtype: DType;
  shape?: readonly number[];
}
const FROMBUFFER_KEYS = optionKeys<FrombufferOptions>({ dtype: 1, shape: 1 });

/**
 * A tensor whose memory is a copy of raw bytes (little-endian, row-major), as
 * `torch.frombuffer`; any dtype, including float16 and bfloat16. `shape` defaults to 1-d.
 */
export function frombuffer(buffer: Uint8Array, options: FrombufferOptions): Tensor {
  if (!(buffer instanceof Uint8Array)) throw typeError('a Uint8Array or Buffer', 'buffer', buffer);
  const o = checkOptions<FrombufferOptions>(options, 'frombuffer options', FROMBUFFER_KEYS);
  const code = dtypeCode(o.dtype);
  const shape = o.shape === undefined ? null : checkShape(o.shape, 'shape');
  if (shape === null) {
    const t = wrap(N.fromBytes(buffer, [buffer.byteLength], 0));
    try {
      // One element per itemsize bytes: let libtorch reinterpret the uint8 view.
      return wrap(N.viewDtype(t.handle, code));
    } finally {
      t.dispose();
    }
  }
  return wrap(N.fromBytes(buffer, shape, code));
}

function likeOptions(t: Tensor, options: unknown, where: string): TensorOptions {
  if (!(t instanceof Tensor)) throw typeError('a Tensor', 'input', t);
  const o = checkOptions<TensorOptions>(options, where, TENSOR_OPTION_KEYS);
  return { dtype: o.dtype ?? t.dtype, device: o.device ?? t.device, requiresGrad: o.requiresGrad };
}

export function zerosLike(t: Tensor, options?: TensorOptions): Tensor {
  return zeros(t.shape, likeOptions(t, options, 'zerosLike options'));
}
export function onesLike(t: Tensor, options?: TensorOptions): Tensor {
  return ones(t.shape, likeOptions(t, options, 'onesLike options'));
}
export function emptyLike(t: Tensor, options?: TensorOptions): Tensor {
  return empty(t.shape, likeOptions(t, options, 'emptyLike options'));
}
export function fullLike(t: Tensor, fillValue: number | boolean, options?: TensorOptions): Tensor {
  return full(t.shape, fillValue, likeOptions(t, options, 'fullLike options'));
}
export function randLike(t: Tensor, options?: TensorOptions): Tensor {
  return rand(t.shape, likeOptions(t, options, 'randLike options'));
}
export function randnLike(t: Tensor, options?: TensorOptions): Tensor {
  return randn(t.shape, likeOptions(t, options, 'randnLike options'));
}
/** `randintLike(t, high)` or `randintLike(t, low, high)`. */
export function randintLike(t: Tensor, a: number, b?: number | TensorOptions, options?: TensorOptions): Tensor {
  if (typeof b === 'number') return randint(a, b, t.shape, likeOptions(t, options, 'randintLike options'));
  return randint(a, t.shape, likeOptions(t, b, 'randintLike options'));
}

/** Seeds every generator (CPU and CUDA), like `torch.manual_seed`. */
export function manualSeed(seed: number): void {
  N.manualSeed(checkInt(seed, 'seed', 0));
}
