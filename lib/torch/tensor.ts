/**
 * Tensor: a JS handle on a libtorch tensor. Every method is one native call; the handle is
 * an integer into the native tensor table, the cheapest thing to hand back per op.
 */
import { inspect } from 'node:util';

import { N } from '../native';
import { checkDevice, type Device } from './device';
import { dtypeCode, dtypeName, optDtypeCode, type DType } from './dtype';
import {
  checkBool,
  checkInt,
  checkOperand,
  checkOptions,
  checkScalar,
  optionKeys,
  TorchError,
  typeError,
} from './errors';
import { formatTensor } from './format';
import { adopt, OWNED, type Owned } from './memory';
import { TensorReductions } from './tensor_reduction';
import { TensorShapeOps } from './tensor_shape';
import type { TensorMethods } from './generated/tensor_methods';
import { installGeneratedMethods } from './tensor_generated';
import { call, methodEntries } from './dispatch';
import type { ToTransferableOptions, TransferableTensor } from './transfer';
import { METHODS } from './generated/signatures';

/** One item of `index()`: an integer, a slice string (`':'`, `'1:3'`, `'::2'`), `'...'`, `null` (new axis) or an index Tensor. */
export type IndexItem = number | string | null | Tensor;

/** A typed copy of a tensor's data: float16/bfloat16 read as Float32Array, bool as Uint8Array. */
export type TensorData = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array;

/** Memory layouts (`torch.contiguous_format`, `torch.channels_last`, `torch.preserve_format`). */
export type MemoryFormat = 'contiguousFormat' | 'channelsLast' | 'preserveFormat';
const MEMORY_FORMATS: Record<MemoryFormat, number> = { contiguousFormat: 0, preserveFormat: 1, channelsLast: 2 };
function memoryFormatCode(f: unknown): number {
  const code = MEMORY_FORMATS[f as MemoryFormat];
  if (typeof f !== 'string' || code === undefined) {
    throw typeError("'contiguousFormat', 'channelsLast' or 'preserveFormat'", 'memoryFormat', f);
  }
  return code;
}

const ELEMENT_SIZES: Record<DType, number> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** Nested arrays of a tensor's values, as `toArray()` returns them. */
export type NestedArray = number | boolean | NestedArray[];

function disposedError(reason: string | undefined): TorchError {
  if (reason === undefined) return new TorchError('Tensor was disposed: it cannot be used any more');
  return new TorchError(`Tensor was freed: ${reason}`);
}

/** Proof that a Tensor is made by torchts itself: `new Tensor(handle)` cannot alias a handle. */
const MAKE: unique symbol = Symbol('torchts.makeTensor');

function wrap(h: number): Tensor {
  return new Tensor(MAKE, h);
}

const SLICE = /^\s*(-?\d+)?\s*:\s*(-?\d+)?\s*(?::\s*(-?\d+)?\s*)?$/;

function indexSpec(items: IndexItem[]): unknown[] {
  return items.map((it, i) => {
    const arg = `index ${i}`;
    if (it === null) return null;
    if (typeof it === 'number') return checkInt(it, arg);
    if (it instanceof Tensor) return { t: it.handle };
    if (typeof it === 'string') {
      if (it.trim() === '...') return 'e';
      const m = SLICE.exec(it);
      if (!m) throw typeError("an integer, a slice like '1:3', '...', null or a Tensor", arg, it);
      const step = m[3] === undefined ? 1 : Number(m[3]);
      if (step <= 0)
        throw new RangeError(`Expected a positive slice step for ${arg} but received ${JSON.stringify(it)}`);
      return [m[1] === undefined ? null : Number(m[1]), m[2] === undefined ? null : Number(m[2]), step];
    }
    throw typeError("an integer, a slice like '1:3', '...', null or a Tensor", arg, it);
  });
}

/**
 * Every Tensor carries this symbol as an own property: symbols cannot be structured-cloned, so
 * `postMessage(tensor)` to another thread throws a DataCloneError whose message is this
 * description, instead of sending a handle that means nothing (or another tensor) there.
 */
const THREAD_BOUND = Symbol(
  'torchts.Tensor belongs to the thread that made it and cannot be posted to another: send tensor.toTransferable() and rebuild it there with torch.fromTransferable()',
);

export class Tensor implements Owned {
  /** @internal Native handle into this thread's tensor table; -1 once disposed. */
  private _h: number;
  /** @internal Makes the tensor uncloneable (see THREAD_BOUND). */
  readonly _thread: symbol = THREAD_BOUND;
  declare readonly [OWNED]: true;
  /** @internal See lib/torch/memory.ts. */
  _scope = 0;
  /** @internal See lib/torch/memory.ts. */
  _loan: object | undefined = undefined;
  /** @internal See lib/torch/memory.ts. */
  _mark = 0;
  private _kept = false;
  /** Why a scope or a DataLoader freed this tensor, for the error a later use throws. */
  private _freedBy: string | undefined = undefined;
  private _shape?: readonly number[];
  private _dtype?: DType;

  /** @internal Tensors are made by torch functions and ops, not constructed directly. */
  constructor(token: typeof MAKE, handle: number) {
    if (token !== MAKE || typeof handle !== 'number' || handle < 0) {
      throw new TypeError('Tensors are created with torch.tensor(), torch.zeros() and the like, not with new Tensor()');
    }
    this._h = handle;
    adopt(this, handle);
  }

  /** Whether `torch.keep()` was called on this tensor (parameters and buffers are kept): no scope frees it. */
  get kept(): boolean {
    return this._kept;
  }

  /** @internal See lib/torch/memory.ts (`keep` also tells the native table). */
  _setKept(): void {
    this._kept = true;
  }

  /** @internal The native handle; throws if the tensor was disposed. */
  get handle(): number {
    if (this._h < 0) throw disposedError(this._freedBy);
    return this._h;
  }

  /** @internal Forgets cached shape/dtype after the data was replaced (`Module.to`). */
  _resetMeta(): void {
    this._shape = undefined;
    this._dtype = undefined;
  }

  /** Whether `dispose()` was called. */
  get isDisposed(): boolean {
    return this._h < 0;
  }

  /** Frees the tensor's native memory now. Idempotent. */
  dispose(): void {
    if (this._h < 0) return;
    N.free(this._h);
    this._h = -1;
  }

  /** @internal Frees the tensor on behalf of a scope or a DataLoader (see memory.ts). */
  _release(reason: string, slotFreed: boolean): void {
    if (this._h < 0) return;
    if (!slotFreed) N.free(this._h);
    this._h = -1;
    this._freedBy = reason;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  // ---- metadata ----------------------------------------------------------------------

  /** The sizes of each dimension (like `torch.Size`). */
  get shape(): readonly number[] {
    this._shape ??= Object.freeze(N.shape(this.handle) as number[]);
    return this._shape;
  }
  /** `size()` is the shape; `size(d)` the size of dimension `d` (negative counts from the end). */
  size(): readonly number[];
  size(dim: number): number;
  size(dim?: number): readonly number[] | number {
    const s = this.shape;
    if (dim === undefined) return s;
    checkInt(dim, 'dim');
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length)
      throw new RangeError(`Expected a dimension in [${-s.length}, ${s.length - 1}] for dim but received ${dim}`);
    return s[d];
  }
  stride(): number[] {
    return N.strides(this.handle);
  }
  /** The index of this tensor's first element in its storage (`storage_offset()`). */
  storageOffset(): number {
    return N.storageOffset(this.handle);
  }
  dim(): number {
    return this.shape.length;
  }
  get ndim(): number {
    return this.shape.length;
  }
  numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  get dtype(): DType {
    this._dtype ??= dtypeName(N.dtype(this.handle));
    return this._dtype;
  }
  get device(): Device {
    return N.device(this.handle) as Device;
  }
  get isCuda(): boolean {
    return this.device.startsWith('cuda');
  }
  /** Whether the data are contiguous in the given memory format (row-major by default). */
  isContiguous(memoryFormat?: MemoryFormat): boolean {
    if (memoryFormat === undefined) return N.isContiguous(this.handle);
    return N.isContiguousAs(this.handle, memoryFormatCode(memoryFormat));
  }
  isFloatingPoint(): boolean {
    const d = this.dtype;
    return d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';
  }

  // ---- autograd ----------------------------------------------------------------------

  get requiresGrad(): boolean {
    return N.requiresGrad(this.handle);
  }
  set requiresGrad(value: boolean) {
    N.setRequiresGrad(this.handle, checkBool(value, 'requiresGrad'));
  }
  /** Sets requiresGrad in place and returns this tensor. */
  requiresGrad_(requiresGrad = true): this {
    N.setRequiresGrad(this.handle, checkBool(requiresGrad, 'requiresGrad'));
    return this;
  }
  /** The accumulated gradient, or null. Each read returns a new handle on the same data. */
  get grad(): Tensor | null {
    const h = N.grad(this.handle) as number;
    return h < 0 ? null : wrap(h);
  }
  set grad(value: Tensor | null) {
    if (value !== null && !(value instanceof Tensor)) throw typeError('a Tensor or null', 'grad', value);
    N.setGrad(this.handle, value === null ? -1 : value.handle);
  }
  /** The name of the autograd node that made this tensor (`'AddBackward0'`), or null for leaves. */
  get gradFn(): string | null {
    return N.gradFn(this.handle);
  }
  get isLeaf(): boolean {
    return N.isLeaf(this.handle);
  }
  /** Keeps `.grad` for this non-leaf tensor after backward. */
  retainGrad(): this {
    N.retainGrad(this.handle);
    return this;
  }
  /**
   * Computes the gradient of this tensor with respect to the graph leaves. `gradient` is
   * required for non-scalar tensors, as in PyTorch.
   */
  backward(gradient?: Tensor | null, options: BackwardOptions = {}): void {
    if (gradient !== undefined && gradient !== null && !(gradient instanceof Tensor)) {
      throw typeError('a Tensor or null', 'gradient', gradient);
    }
    const o = checkOptions<BackwardOptions>(options, 'backward options', BACKWARD_KEYS);
    const create = o.createGraph === undefined ? false : checkBool(o.createGraph, 'createGraph');
    const retain = o.retainGraph === undefined ? create : checkBool(o.retainGraph, 'retainGraph');
    N.backward(this.handle, gradient ? gradient.handle : -1, retain, create);
  }
  /** A new tensor sharing data, cut from the graph. */
  detach(): Tensor {
    return wrap(N.detach(this.handle));
  }
  detach_(): this {
    N.detach_(this.handle);
    return this;
  }

  // ---- data out ----------------------------------------------------------------------

  /** The value of a one-element tensor. */
  item(): number | boolean {
    return N.item(this.handle);
  }
  /** A typed copy of the data, in row-major order. */
  toTypedArray(): TensorData {
    return N.toTyped(this.handle);
  }
  /** A copy of the raw bytes in this tensor's dtype, row-major (for file formats). */
  toBytes(): Buffer {
    return N.toBytes(this.handle);
  }
  /**
   * A copy of this tensor that can cross to another thread (`worker.postMessage(x, [x.buffer])`
   * moves the bytes without a second copy); `torch.fromTransferable(x)` makes it a tensor there.
   * `{ shared: true }` puts the bytes in a SharedArrayBuffer, which every thread it is posted to
   * sees. Tensors themselves cannot be posted: each belongs to its thread's native table.
   */
  toTransferable(options?: ToTransferableOptions): TransferableTensor {
    const o = checkOptions<ToTransferableOptions>(options, 'toTransferable options', TO_TRANSFERABLE_KEYS);
    const shared = o.shared === undefined ? false : checkBool(o.shared, 'shared');
    const bytes = N.toBytes(this.handle);
    let buffer: ArrayBuffer | SharedArrayBuffer;
    if (!shared && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
      buffer = bytes.buffer as ArrayBuffer;
    } else {
      buffer = shared ? new SharedArrayBuffer(bytes.byteLength) : new ArrayBuffer(bytes.byteLength);
      new Uint8Array(buffer).set(bytes);
    }
    return {
      torchts: 'Tensor',
      dtype: this.dtype,
      shape: [...this.shape],
      device: this.device,
      requiresGrad: this.requiresGrad,
      buffer,
    };
  }
  /** The typed copy, read off the JS thread (device copy included). */
  data(): Promise<TensorData> {
    return N.dataAsync(this.handle);
  }
  /** The values as nested arrays (a number for a 0-d tensor); int64 values become numbers. */
  toArray(): NestedArray {
    const flat = this.toTypedArray();
    const bool = this.dtype === 'bool';
    const shape = this.shape;
    const at = (i: number): number | boolean => {
      const v = flat[i];
      return bool ? v !== 0 : Number(v);
    };
    if (shape.length === 0) return at(0);
    let pos = 0;
    const build = (d: number): NestedArray[] => {
      const out: NestedArray[] = new Array(shape[d]);
      for (let i = 0; i < shape[d]; i++) out[i] = d === shape.length - 1 ? at(pos++) : build(d + 1);
      return out;
    };
    return build(0);
  }
  toString(): string {
    if (this._h < 0) return 'tensor(<disposed>)';
    return formatTensor(this);
  }
  [inspect.custom](): string {
    return this.toString();
  }

  // ---- conversion --------------------------------------------------------------------

  /**
   * Converts to a device and/or dtype: `to('cuda')`, `to('float16')`, `to({ device, dtype })`,
   * and Python's positional forms `to(device, dtype, nonBlocking, copy)`, `to(dtype, nonBlocking,
   * copy)`, `to(other, nonBlocking, copy)`, each optionally ending in `{ memoryFormat }`.
   * Returns this tensor itself when nothing changes.
   */
  to(
    target: Device | DType | Tensor | ToOptions,
    ...rest: (DType | boolean | { nonBlocking?: boolean; copy?: boolean; memoryFormat?: MemoryFormat })[]
  ): Tensor {
    let device: string | null = null;
    let dtype = -1;
    let nonBlocking = false;
    let copy = false;
    let format: number | null = null;
    const readOptions = (v: unknown, argument: string): void => {
      const o = checkOptions<ToOptions>(v, argument, TO_KEYS);
      if (o.memoryFormat !== undefined) format = memoryFormatCode(o.memoryFormat);
      if (o.device !== undefined) device = checkDevice(o.device);
      if (o.dtype !== undefined) dtype = optDtypeCode(o.dtype);
      if (o.nonBlocking !== undefined) nonBlocking = checkBool(o.nonBlocking, 'nonBlocking');
      if (o.copy !== undefined) copy = checkBool(o.copy, 'copy');
    };
    let positional = rest;
    const last = rest[rest.length - 1];
    const trailing = last !== undefined && typeof last === 'object' ? last : undefined;
    if (trailing !== undefined) positional = rest.slice(0, -1);
    let isDevice = false;
    if (typeof target === 'string') {
      isDevice = /^(cpu|cuda)/.test(target);
      if (isDevice) device = checkDevice(target, 'target');
      else dtype = dtypeCode(target, 'target');
    } else if (target instanceof Tensor) {
      device = target.device;
      dtype = dtypeCode(target.dtype);
    } else readOptions(target, 'target');
    let i = 0;
    if (isDevice && typeof positional[0] === 'string') dtype = dtypeCode(positional[i++], 'dtype');
    if (i < positional.length) nonBlocking = checkBool(positional[i++], 'nonBlocking');
    if (i < positional.length) copy = checkBool(positional[i++], 'copy');
    if (i < positional.length) throw typeError('at most device, dtype, nonBlocking and copy', 'to', rest);
    if (trailing !== undefined) readOptions(trailing, 'options');
    const h = N.to(this.handle, dtype, device, nonBlocking, copy, format) as number;
    return h === this._h ? this : wrap(h);
  }
  cpu(): Tensor {
    return this.to('cpu');
  }
  cuda(device: number = 0): Tensor {
    return this.to(`cuda:${checkInt(device, 'device', 0)}`);
  }
  /**
   * A copy in page-locked host memory, from which `to('cuda', { nonBlocking: true })`
   * copies asynchronously. Needs CUDA (pinning is done by the CUDA driver).
   */
  pinMemory(): Tensor {
    if (!N.cudaIsAvailable())
      throw new TorchError(
        'pinMemory() needs CUDA (page-locked memory is allocated by the CUDA driver), and CUDA is not available',
      );
    if (this.device !== 'cpu')
      throw new TorchError(`pinMemory() takes a CPU tensor, but this one is on ${this.device}`);
    return wrap(N.pinMemory(this.handle) as number);
  }
  /** Whether this tensor lives in page-locked host memory. */
  isPinned(): boolean {
    return N.isPinned(this.handle) as boolean;
  }
  float(): Tensor {
    return this.to('float32');
  }
  double(): Tensor {
    return this.to('float64');
  }
  half(): Tensor {
    return this.to('float16');
  }
  bfloat16(): Tensor {
    return this.to('bfloat16');
  }
  long(): Tensor {
    return this.to('int64');
  }
  int(): Tensor {
    return this.to('int32');
  }
  bool(): Tensor {
    return this.to('bool');
  }
  byte(): Tensor {
    return this.to('uint8');
  }
  char(): Tensor {
    return this.to('int8');
  }
  short(): Tensor {
    return this.to('int16');
  }
  /** Alias of `dim()`. */
  ndimension(): number {
    return this.dim();
  }
  /** Alias of `numel()`. */
  nelement(): number {
    return this.numel();
  }
  /** Bytes per element of this tensor's dtype. */
  elementSize(): number {
    return ELEMENT_SIZES[this.dtype];
  }
  /** This tensor if already contiguous (in `memoryFormat`), else a contiguous copy. */
  contiguous(memoryFormat: MemoryFormat = 'contiguousFormat'): Tensor {
    const h = N.contiguous(this.handle, memoryFormatCode(memoryFormat)) as number;
    return h === this._h ? this : wrap(h);
  }
  clone(): Tensor {
    return wrap(N.clone(this.handle));
  }

  // ---- pointwise ---------------------------------------------------------------------

  /** `this + alpha * other` */
  add(o: Tensor | number, options?: { alpha?: number }): Tensor {
    const alpha = options === undefined ? 1 : alphaOf(options, 'add options');
    return wrap(
      o instanceof Tensor ? N.add(this.handle, o.handle, alpha) : N.addS(this.handle, checkOperand(o, 'other'), alpha),
    );
  }
  add_(o: Tensor | number, options?: { alpha?: number }): this {
    const alpha = options === undefined ? 1 : alphaOf(options, 'add_ options');
    if (o instanceof Tensor) N.add_(this.handle, o.handle, alpha);
    else N.addS_(this.handle, checkOperand(o, 'other'), alpha);
    return this;
  }
  /** `this - alpha * other` */
  sub(o: Tensor | number, options?: { alpha?: number }): Tensor {
    const alpha = options === undefined ? 1 : alphaOf(options, 'sub options');
    return wrap(
      o instanceof Tensor ? N.sub(this.handle, o.handle, alpha) : N.subS(this.handle, checkOperand(o, 'other'), alpha),
    );
  }
  sub_(o: Tensor | number, options?: { alpha?: number }): this {
    const alpha = options === undefined ? 1 : alphaOf(options, 'sub_ options');
    if (o instanceof Tensor) N.sub_(this.handle, o.handle, alpha);
    else N.subS_(this.handle, checkOperand(o, 'other'), alpha);
    return this;
  }
  /** `scalar - this` (Python's `2 - t`). */
  rsub(scalar: number): Tensor {
    return wrap(N.rsubS(this.handle, checkScalar(scalar, 'other')));
  }
  maximum(o: Tensor): Tensor {
    return wrap(N.maximum(this.handle, tensorArg(o, 'other').handle));
  }
  minimum(o: Tensor): Tensor {
    return wrap(N.minimum(this.handle, tensorArg(o, 'other').handle));
  }
  atan2(o: Tensor): Tensor {
    return wrap(N.atan2(this.handle, tensorArg(o, 'other').handle));
  }
  logicalAnd(o: Tensor): Tensor {
    return wrap(N.logicalAnd(this.handle, tensorArg(o, 'other').handle));
  }
  logicalOr(o: Tensor): Tensor {
    return wrap(N.logicalOr(this.handle, tensorArg(o, 'other').handle));
  }
  logicalXor(o: Tensor): Tensor {
    return wrap(N.logicalXor(this.handle, tensorArg(o, 'other').handle));
  }
  /** Elements of this where `condition` is true, else of `other` (`torch.where(condition, this, other)`). */
  where(condition: Tensor, o: Tensor): Tensor {
    return wrap(N.where(tensorArg(condition, 'condition').handle, this.handle, tensorArg(o, 'other').handle));
  }
  clamp(min?: number | null, max?: number | null): Tensor {
    return wrap(N.clamp(this.handle, ...clampArgs(min, max)));
  }
  clamp_(min?: number | null, max?: number | null): this {
    N.clamp_(this.handle, ...clampArgs(min, max));
    return this;
  }
  maskedFill(mask: Tensor, value: number | boolean): Tensor {
    return wrap(N.maskedFill(this.handle, tensorArg(mask, 'mask').handle, checkScalar(value, 'value')));
  }
  maskedFill_(mask: Tensor, value: number | boolean): this {
    N.maskedFill_(this.handle, tensorArg(mask, 'mask').handle, checkScalar(value, 'value'));
    return this;
  }
  /** `this += value * t1 * t2` */
  addcmul_(t1: Tensor, t2: Tensor, options?: { value?: number }): this {
    const value = options === undefined ? 1 : addcValue(options, 'addcmul_ options');
    N.addcmul_(this.handle, tensorArg(t1, 'tensor1').handle, tensorArg(t2, 'tensor2').handle, value);
    return this;
  }
  /** `this += value * t1 / t2` */
  addcdiv_(t1: Tensor, t2: Tensor, options?: { value?: number }): this {
    const value = options === undefined ? 1 : addcValue(options, 'addcdiv_ options');
    N.addcdiv_(this.handle, tensorArg(t1, 'tensor1').handle, tensorArg(t2, 'tensor2').handle, value);
    return this;
  }
  lerp_(end: Tensor, weight: number): this {
    N.lerp_(this.handle, tensorArg(end, 'end').handle, checkScalar(weight, 'weight'));
    return this;
  }
  /** Copies `src` into this tensor (broadcasting, converting dtype and device). */
  copy_(src: Tensor, nonBlocking = false): this {
    N.copy_(this.handle, tensorArg(src, 'src').handle, checkBool(nonBlocking, 'nonBlocking'));
    return this;
  }
  fill_(value: number | boolean): this {
    N.fill_(this.handle, checkScalar(value, 'value'));
    return this;
  }
  zero_(): this {
    N.zero_(this.handle);
    return this;
  }
  normal_(mean = 0, std = 1): this {
    N.normal_(this.handle, checkScalar(mean, 'mean'), checkScalar(std, 'std'));
    return this;
  }
  uniform_(from = 0, to = 1): this {
    N.uniform_(this.handle, checkScalar(from, 'from'), checkScalar(to, 'to'));
    return this;
  }
  bernoulli_(p = 0.5): this {
    N.bernoulli_(this.handle, checkScalar(p, 'p'));
    return this;
  }

  // ---- linear algebra ----------------------------------------------------------------

  matmul(o: Tensor): Tensor {
    return wrap(N.matmul(this.handle, tensorArg(o, 'other').handle));
  }
  mm(o: Tensor): Tensor {
    return wrap(N.mm(this.handle, tensorArg(o, 'mat2').handle));
  }
  bmm(o: Tensor): Tensor {
    return wrap(N.bmm(this.handle, tensorArg(o, 'mat2').handle));
  }
  dot(o: Tensor): Tensor {
    return wrap(N.dot(this.handle, tensorArg(o, 'other').handle));
  }
  outer(o: Tensor): Tensor {
    return wrap(N.outer(this.handle, tensorArg(o, 'vec2').handle));
  }
  softmax(dim: number, options?: { dtype?: DType }): Tensor {
    return wrap(N.softmax(this.handle, checkInt(dim, 'dim'), dtypeOption(options, 'softmax options')));
  }
  logSoftmax(dim: number, options?: { dtype?: DType }): Tensor {
    return wrap(N.logSoftmax(this.handle, checkInt(dim, 'dim'), dtypeOption(options, 'logSoftmax options')));
  }
}

/** Options of `backward`. */
export interface BackwardOptions {
  retainGraph?: boolean;
  createGraph?: boolean;
}
/** Options of `to` (also its trailing options object after positional arguments). */
export interface ToOptions {
  device?: Device | string;
  dtype?: DType;
  nonBlocking?: boolean;
  copy?: boolean;
  memoryFormat?: MemoryFormat;
}
// The option keys of the methods above, made once: checking them allocates nothing per call.
const BACKWARD_KEYS = optionKeys<BackwardOptions>({ retainGraph: 1, createGraph: 1 });
const TO_TRANSFERABLE_KEYS = optionKeys<ToTransferableOptions>({ shared: 1 });
const TO_KEYS = optionKeys<ToOptions>({ device: 1, dtype: 1, nonBlocking: 1, copy: 1, memoryFormat: 1 });
const ALPHA_KEYS = optionKeys<{ alpha?: number }>({ alpha: 1 });
const VALUE_KEYS = optionKeys<{ value?: number }>({ value: 1 });
const DTYPE_KEYS = optionKeys<{ dtype?: DType }>({ dtype: 1 });

// Called only when an options object was passed, so the common call pays nothing.
// `where` names the method in messages (`add options`).
function alphaOf(options: unknown, where: string): number | boolean {
  return checkScalar(checkOptions<{ alpha: number }>(options, where, ALPHA_KEYS).alpha ?? 1, 'alpha');
}
function addcValue(options: unknown, where: string): number | boolean {
  return checkScalar(checkOptions<{ value: number }>(options, where, VALUE_KEYS).value ?? 1, 'value');
}
/** `{ dtype }` of softmax, sum, mean, cumsum, ...: checked, as a dtype code (-1 when absent). */
function dtypeOption(options: unknown, where: string): number {
  if (options === undefined) return -1;
  return optDtypeCode(checkOptions<{ dtype: DType }>(options, where, DTYPE_KEYS).dtype);
}

function tensorArg(t: unknown, argument: string): Tensor {
  if (!(t instanceof Tensor)) throw typeError('a Tensor', argument, t);
  return t;
}

function clampArgs(min: unknown, max: unknown): [number | null, number | null] {
  const lo = min === undefined || min === null ? null : (checkScalar(min, 'min') as number);
  const hi = max === undefined || max === null ? null : (checkScalar(max, 'max') as number);
  if (lo === null && hi === null)
    throw new TypeError('Expected at least one of min and max for clamp but received neither');
  return [lo, hi];
}

// Unary ops and their in-place forms, one native call each.
const UNARY = [
  'neg',
  'abs',
  'exp',
  'log',
  'log2',
  'log10',
  'log1p',
  'expm1',
  'sqrt',
  'rsqrt',
  'square',
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'sinh',
  'cosh',
  'tanh',
  'sigmoid',
  'relu',
  'erf',
  'floor',
  'ceil',
  'round',
  'trunc',
  'frac',
  'sign',
  'reciprocal',
  'logicalNot',
] as const;
const UNARY_NO_INPLACE = ['isnan', 'isinf', 'isfinite'] as const;

type UnaryName = (typeof UNARY)[number] | (typeof UNARY_NO_INPLACE)[number];
type UnaryInPlaceName = `${(typeof UNARY)[number]}_`;

// Binary ops against a Tensor or a scalar, and their in-place forms (`mul`, `mul_`, ...).
const BINARY = ['mul', 'div', 'pow', 'remainder', 'fmod', 'floorDivide', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
type BinaryName = (typeof BINARY)[number];

export interface Tensor
  extends Record<UnaryName, () => Tensor>,
    Record<UnaryInPlaceName, () => Tensor>,
    Record<
      BinaryName,
      (other: Tensor | number | boolean, options?: { roundingMode?: 'trunc' | 'floor' | null }) => Tensor
    >,
    Record<
      `${BinaryName}_`,
      (other: Tensor | number | boolean, options?: { roundingMode?: 'trunc' | 'floor' | null }) => Tensor
    > {}

Object.defineProperty(Tensor.prototype, OWNED, { value: true });

function defineMethod(name: string, value: (this: Tensor, ...args: never[]) => Tensor): void {
  Object.defineProperty(Tensor.prototype, name, { value, writable: true, configurable: true });
}

// The generated (schema) form of each method below: what the direct bindings do not take
// (div's roundingMode, round's decimals, a 0-dim Tensor for a number, ...) goes there.
const schemaMethods = methodEntries(METHODS);
function schemaCall(name: string, self: Tensor, args: unknown[]): Tensor {
  return call(schemaMethods[name], self, args);
}

for (const name of BINARY) {
  const [tt, ts, tt_, ts_] = [N[name], N[`${name}S` as const], N[`${name}_` as const], N[`${name}S_` as const]];
  defineMethod(name, function (this: Tensor, o: unknown, options?: unknown): Tensor {
    if (options !== undefined) return schemaCall(name, this, [o, options]);
    if (o instanceof Tensor) return wrap(tt(this.handle, o.handle));
    if (typeof o === 'number' || typeof o === 'boolean') return wrap(ts(this.handle, o));
    return schemaCall(name, this, [o]);
  });
  defineMethod(`${name}_`, function (this: Tensor, o: unknown, options?: unknown): Tensor {
    if (options !== undefined) return schemaCall(`${name}_`, this, [o, options]);
    if (o instanceof Tensor) tt_(this.handle, o.handle);
    else if (typeof o === 'number' || typeof o === 'boolean') ts_(this.handle, o);
    else return schemaCall(`${name}_`, this, [o]);
    return this;
  });
}

for (const name of [...UNARY, ...UNARY_NO_INPLACE]) {
  const fn = N[name];
  defineMethod(name, function (this: Tensor, a?: unknown, b?: unknown): Tensor {
    if (a === undefined && b === undefined) return wrap(fn(this.handle));
    return schemaCall(name, this, b === undefined ? [a] : [a, b]);
  });
}
for (const name of UNARY) {
  const fn = N[`${name}_` as const];
  defineMethod(`${name}_`, function (this: Tensor, a?: unknown, b?: unknown): Tensor {
    if (a !== undefined || b !== undefined) return schemaCall(`${name}_`, this, b === undefined ? [a] : [a, b]);
    fn(this.handle);
    return this;
  });
}

export { wrap as _wrap, tensorArg as _tensorArg, dtypeOption as _dtypeOption, indexSpec as _indexSpec, MAKE as _MAKE };

// Reductions and shape/indexing methods live in their own files; they are installed here,
// after the class exists (those files import it back).
export interface Tensor extends TensorReductions, TensorShapeOps, TensorMethods {}
for (const methods of [TensorReductions, TensorShapeOps]) {
  for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(methods.prototype))) {
    if (name !== 'constructor') Object.defineProperty(Tensor.prototype, name, descriptor);
  }
}
// Every other method libtorch's schema has, through the generic op path.
installGeneratedMethods(Tensor.prototype);
