/**
 * Writing PyTorch's own `.pth` format (`torch.save` since PyTorch 1.6), the counterpart of
 * pth.ts: a zip archive (zip_writer.ts) of `archive/data.pkl` (the object, pickled with
 * protocol 2 by pickler.ts), `.format_version`, `.storage_alignment`, `byteorder`, one
 * `data/<key>` record per storage, `version` and `.data/serialization_id`, in the order
 * torch 2.13 writes them. Only globals that `torch.load(weights_only=True)` allows appear:
 * `torch._utils._rebuild_tensor_v2`, the typed storage classes, `collections.OrderedDict`
 * (the empty backward-hooks argument) and `_codecs.encode` (bytes).
 *
 * Values map as PyTorch users expect to read them:
 * - a Tensor -> `torch.Tensor` with its dtype, sizes, strides, storage offset, device
 *   (`location` `cpu` or `cuda:N`) and `requires_grad`; tensors viewing one storage write
 *   that storage once (whole, as PyTorch does) and still share it after `torch.load`; the
 *   same Tensor object met twice is one object in Python (pickle memo);
 * - a number -> `int` when it is a safe integer (and not -0), else `float`; a bigint ->
 *   `int` (within int64); a string -> `str`; a boolean -> `bool`; null -> `None`;
 * - an array -> `list` (holes and undefined -> `None`); a Buffer/Uint8Array -> `bytes`;
 * - a plain object -> `dict`, keys in JS order, undefined values skipped; when every key is
 *   a canonical integer (`'0'`, `'-3'`) and the values are not all tensors, the keys become
 *   `int`s, as in an optimizer's `state` (`{0: {...}}`; torchts's reader turns int keys into
 *   such strings); a state dict keeps its string keys;
 * - a Map -> `dict` with its keys as given (strings `str`, numbers `int`/`float`, bigints
 *   `int`), for when the rule above does not say what is meant.
 * Anything else (functions, symbols, class instances, typed arrays other than bytes,
 * cycles, bigints beyond int64, strings with lone surrogates) is a TypeError naming where
 * it is, raised before anything is written.
 */
import { randomBytes } from 'node:crypto';
import * as os from 'node:os';

import { N } from '../native';
import type { DType } from './dtype';
import { describe, TorchError, typeError } from './errors';
import { BATCH, Pickler } from './pickler';
import { Tensor } from './tensor';
import { ZipWriter, type ZipWriterOptions } from './zip_writer';

const MAX_DEPTH = 500;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** The top folder of the archive (what `torch.save` writes into a buffer; the reader takes any). */
export const ARCHIVE = 'archive';
/** PyTorch's storage alignment (`torch.serialization.get_storage_alignment()`), recorded in the file. */
export const STORAGE_ALIGNMENT = 64;
/** The archive format version torch 2.13 records. */
const FORMAT_VERSION = '3\n';

const STORAGE_CLASS: Record<DType, { name: string; size: number }> = {
  float32: { name: 'FloatStorage', size: 4 },
  float64: { name: 'DoubleStorage', size: 8 },
  float16: { name: 'HalfStorage', size: 2 },
  bfloat16: { name: 'BFloat16Storage', size: 2 },
  int64: { name: 'LongStorage', size: 8 },
  int32: { name: 'IntStorage', size: 4 },
  int16: { name: 'ShortStorage', size: 2 },
  int8: { name: 'CharStorage', size: 1 },
  uint8: { name: 'ByteStorage', size: 1 },
  bool: { name: 'BoolStorage', size: 1 },
};

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null &&
  typeof v === 'object' &&
  (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const INT_KEY = /^(?:0|-?[1-9]\d{0,15})$/;

/**
 * A plain object's entries (undefined values skipped, as JSON does). Its keys become Python
 * ints when all are canonical integers and its values are not all tensors, as in an
 * optimizer's `state` (`{0: {...}}`); a state dict keeps string keys even when they are
 * digits (`nn.ParameterList`'s `'0'`), since `load_state_dict` matches strings.
 */
function objectEntries(o: Record<string, unknown>): [string | number, unknown][] {
  const entries = Object.entries(o).filter(([, x]) => x !== undefined);
  const ints =
    entries.length > 0 &&
    entries.every(([k]) => INT_KEY.test(k) && Number.isSafeInteger(Number(k))) &&
    !entries.every(([, x]) => x instanceof Tensor);
  return ints ? entries.map(([k, x]) => [Number(k), x]) : entries;
}

/** A storage to write: the first tensor met on it gives its bytes. */
interface Storage {
  key: string;
  dtype: DType;
  tensor: Tensor;
  nbytes: number;
}

/** The pickled object and the storages it refers to, in key order. */
export interface PthPlan {
  pickle: Buffer;
  storages: Storage[];
}

/** Pickles `obj`, checking every value; nothing is read from the storages yet. */
export function planPth(obj: unknown): PthPlan {
  const p = new Pickler();
  const storages = new Map<number, Storage>();
  const memo = new Map<object, number>();
  const open = new Set<object>();
  const where = (path: string[]) => (path.length ? `obj.${path.join('.')}` : 'obj');

  const str = (s: string, path: string[], what = 'string'): void => {
    if (LONE_SURROGATE.test(s))
      throw new TypeError(
        `Expected a well-formed ${what} for ${where(path)} but received one with a lone UTF-16 surrogate (${describe(s)})`,
      );
    p.string(s);
  };
  const ints = (xs: readonly number[]): void => {
    if (xs.length > 3) p.mark();
    for (const x of xs) p.int(x);
    p.tuple(xs.length, xs.length > 3);
    if (xs.length) p.put();
  };

  const tensor = (t: Tensor, path: string[]): void => {
    const dtype = t.dtype;
    const cls = STORAGE_CLASS[dtype];
    const [id, nbytes] = N.storageInfo(t.handle) as [number, number];
    let s = storages.get(id);
    if (s === undefined) {
      if (nbytes % cls.size)
        throw new TorchError(`the storage of ${where(path)} has ${nbytes} bytes, not a whole number of ${dtype}s`);
      s = { key: String(storages.size), dtype, tensor: t, nbytes };
      storages.set(id, s);
    } else if (s.dtype !== dtype) {
      // PyTorch refuses this too: a storage record has one element type.
      throw new TypeError(
        `Expected tensors that share a storage to share its dtype for ${where(path)} but received a ${dtype} view of a ${s.dtype} storage`,
      );
    }
    p.global('torch._utils', '_rebuild_tensor_v2');
    p.mark();
    // The persistent id: ('storage', torch.<Type>Storage, key, location, numel).
    p.mark();
    p.string('storage', 'internal');
    p.global('torch', cls.name);
    p.string(s.key, 'internal');
    // torch's location tag: the constant 'cpu', or a new 'cuda:N' string for every tensor
    p.string(t.device, t.device === 'cpu' ? 'internal' : null);
    p.int(nbytes / cls.size);
    p.tuple(5, true);
    p.put();
    p.persistentId();
    p.int(t.storageOffset());
    ints(t.shape);
    ints(t.stride());
    p.bool(t.requiresGrad);
    p.global('collections', 'OrderedDict'); // backward hooks: OrderedDict()
    p.tuple(0, false);
    p.reduce();
    p.put();
    p.tuple(6, true);
    p.put();
    p.reduce();
  };

  /** A Map's entries: its keys as they are (strings, numbers, bigints within int64). */
  const mapEntries = (m: Map<unknown, unknown>, path: string[]): [string | number | bigint, unknown][] =>
    [...m].map(([k, x]) => {
      const ok =
        typeof k === 'string' ||
        (typeof k === 'number' && !Number.isNaN(k)) ||
        (typeof k === 'bigint' && k >= INT64_MIN && k <= INT64_MAX);
      if (!ok) throw typeError('a string, number or int64 bigint as a Map key', `a key of ${where(path)}`, k);
      return [k, x];
    });

  /** Writes `v` if it is not an object; false when it is one. */
  const scalar = (v: unknown, path: string[]): boolean => {
    if (v === null || v === undefined) p.none();
    else if (typeof v === 'boolean') p.bool(v);
    else if (typeof v === 'number') {
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) p.int(v);
      else p.float(v);
    } else if (typeof v === 'bigint') {
      if (v < INT64_MIN || v > INT64_MAX) throw typeError('an integer within int64', where(path), v);
      p.int(v);
    } else if (typeof v === 'string') str(v, path);
    else if (typeof v !== 'object') throw typeError(EXPECTED, where(path), v);
    else return false;
    return true;
  };

  const value = (v: unknown, path: string[], depth: number): void => {
    if (scalar(v, path)) return;
    const known = memo.get(v as object);
    if (known !== undefined) {
      if (open.has(v as object))
        throw new TypeError(
          `Expected an object without cycles for obj but ${where(path)} refers back to an enclosing object`,
        );
      p.get(known);
      return;
    }
    if (v instanceof Tensor) {
      tensor(v, path);
      memo.set(v, p.put());
      return;
    }
    if (v instanceof Uint8Array) {
      // Protocol 2 has no bytes opcode: CPython writes _codecs.encode(latin1 text, 'latin1').
      p.global('_codecs', 'encode');
      p.string(Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1'), null);
      p.string('latin1', 'internal');
      p.tuple(2, false);
      p.put();
      p.reduce();
      memo.set(v, p.put());
      return;
    }
    const isArray = Array.isArray(v);
    const isMap = v instanceof Map;
    if (!isArray && !isMap && !isPlainObject(v)) throw typeError(EXPECTED, where(path), v);
    if (depth > MAX_DEPTH)
      throw new TypeError(`Expected at most ${MAX_DEPTH} levels of nesting for obj but ${where(path)} is deeper`);
    open.add(v as object);
    if (isArray) {
      p.emptyList();
      memo.set(v, p.put());
      const items = Array.from(v as unknown[]);
      for (let i = 0; i < items.length; i += BATCH) {
        const n = Math.min(BATCH, items.length - i);
        if (n > 1) p.mark();
        for (let j = i; j < i + n; j++) value(items[j], [...path, String(j)], depth + 1);
        if (n > 1) p.appends();
        else p.append();
      }
    } else {
      p.emptyDict();
      memo.set(v as object, p.put());
      const entries = isMap
        ? mapEntries(v as Map<unknown, unknown>, path)
        : objectEntries(v as Record<string, unknown>);
      for (let i = 0; i < entries.length; i += BATCH) {
        const n = Math.min(BATCH, entries.length - i);
        if (n > 1) p.mark();
        for (const [k, x] of entries.slice(i, i + n)) {
          const at = [...path, String(k)];
          if (typeof k === 'string') str(k, at, 'dict key');
          else if (typeof k === 'number' && !Number.isSafeInteger(k)) p.float(k);
          else p.int(k);
          value(x, at, depth + 1);
        }
        if (n > 1) p.setitems();
        else p.setitem();
      }
    }
    open.delete(v);
  };

  value(obj, [], 0);
  return { pickle: p.finish(), storages: [...storages.values()] };
}

const EXPECTED = 'a Tensor, number, bigint, string, boolean, null, Buffer, array, Map or plain object';

/** A serialization id as PyTorch writes one: 40 decimal digits. */
function serializationId(): string {
  const r = randomBytes(16);
  return (
    r.readBigUInt64LE(0).toString().padStart(20, '0').slice(-20) +
    r.readBigUInt64LE(8).toString().padStart(20, '0').slice(-20)
  );
}

export interface PthChunkOptions extends ZipWriterOptions {
  /**
   * Hand out CPU storages without copying them: only for a caller that writes each chunk
   * before any other JS runs (the synchronous `save`), since the chunk is the tensor's memory.
   */
  alias?: boolean;
}

/**
 * The bytes of a `.pth` file for `obj`, chunk by chunk. The whole object is checked and
 * pickled before the first chunk is returned; each storage is read out (copied from its
 * device to the CPU) only when its turn comes, so memory holds one storage at a time.
 */
export function* pthChunks(obj: unknown, options: PthChunkOptions = {}): Generator<Buffer, void, undefined> {
  const { pickle, storages } = planPth(obj);
  const { alias = false, ...zipOptions } = options;
  const zip = new ZipWriter({ alignment: STORAGE_ALIGNMENT, ...zipOptions });
  const text = (s: string) => Buffer.from(s, 'latin1');
  const record = (name: string, data: Buffer) => zip.record(`${ARCHIVE}/${name}`, data);
  yield* record('data.pkl', pickle);
  yield* record('.format_version', text('1'));
  yield* record('.storage_alignment', text(String(STORAGE_ALIGNMENT)));
  yield* record('byteorder', text(os.endianness() === 'LE' ? 'little' : 'big'));
  for (const s of storages) {
    const bytes: Buffer = N.storageBytes(s.tensor.handle, alias);
    if (bytes.length !== s.nbytes)
      throw new TorchError(`storage ${s.key} changed size while being saved (${s.nbytes} -> ${bytes.length} bytes)`);
    yield* record(`data/${s.key}`, bytes);
  }
  yield* record('version', text(FORMAT_VERSION));
  yield* record('.data/serialization_id', text(serializationId()));
  yield zip.finish();
}
