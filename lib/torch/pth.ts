/**
 * Reading PyTorch's own `.pth`/`.pt` files (`torch.save` since PyTorch 1.6): a zip archive
 * `<name>/data.pkl` (the pickled object), `<name>/data/<key>` (one raw record per storage),
 * `<name>/byteorder` (`little` or `big`) and a few version records; `<name>` varies.
 *
 * The pickle is read by pickle.ts with only the globals a tensor checkpoint needs:
 * `collections.OrderedDict`, `torch._utils._rebuild_tensor(_v2)`, `_rebuild_parameter`,
 * `_codecs.encode` and `bytes` (how protocol 2 writes bytes) and the typed storage classes
 * (`torch.FloatStorage`, ...). Any other global is refused with a TorchError naming it;
 * nothing is ever executed.
 *
 * Result shape (the same as `load` gives for safetensors): dicts become plain objects (keys
 * as strings), lists and tuples arrays, tensors `Tensor`s (CPU, with the saved sizes,
 * strides and storage offset; tensors that shared a storage in Python share it here too;
 * a saved `nn.Parameter` comes back as a Tensor with its `requiresGrad`), numbers numbers
 * (bigint beyond 2^53), bytes `Buffer`s, `None` null. A saved state dict is therefore a
 * `Record<string, Tensor>` that `Module.loadStateDict` takes, and a checkpoint
 * `{'model': state_dict, 'epoch': 3}` a nested object.
 */
import { frombuffer } from './creation';
import type { Device } from './device';
import type { DType } from './dtype';
import { TorchError } from './errors';
import { PyDict, type PyCallable, PyGlobal, unpickle } from './pickle';
import type { Tensor } from './tensor';
import {
  dataOffset,
  entryData,
  invalidPth,
  LOCAL_HEADER_BYTES,
  parseCentralDirectory,
  parseZip64End,
  parseZipEnd,
  TAIL_BYTES,
  type ZipEntry,
  ZIP64_END_BYTES,
} from './zip';

/** A read of `length` bytes at `position`; the reader must return exactly that many. */
type Read = [position: number, length: number];

/** The first bytes of a zip archive (a local file header). */
export const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1');
const MAX_DEPTH = 500;

const STORAGES: Record<string, { dtype: DType; size: number }> = {
  FloatStorage: { dtype: 'float32', size: 4 },
  DoubleStorage: { dtype: 'float64', size: 8 },
  HalfStorage: { dtype: 'float16', size: 2 },
  BFloat16Storage: { dtype: 'bfloat16', size: 2 },
  LongStorage: { dtype: 'int64', size: 8 },
  IntStorage: { dtype: 'int32', size: 4 },
  ShortStorage: { dtype: 'int16', size: 2 },
  CharStorage: { dtype: 'int8', size: 1 },
  ByteStorage: { dtype: 'uint8', size: 1 },
  BoolStorage: { dtype: 'bool', size: 1 },
};

/** A storage named by a persistent id: `('storage', torch.FloatStorage, key, location, numel)`. */
class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly itemSize: number,
    readonly numel: number,
  ) {}
}
/** A storage class global (the second item of a persistent id). */
class StorageType {
  constructor(
    readonly name: string,
    readonly dtype: DType,
    readonly size: number,
  ) {}
}
/** A tensor to create once the storages are read. */
class TensorSpec {
  requiresGrad = false;
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}

/** The unpickler's allow list, with the checks each global makes on its arguments. */
function hooks(file: string) {
  const fail = (why: string) => invalidPth(file, why);
  const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  const ints = (v: unknown, what: string): number[] => {
    if (!Array.isArray(v) || !v.every(isInt)) throw fail(`a tensor's ${what} is not a tuple of non-negative integers`);
    return v as number[];
  };
  const rebuild =
    (name: string, min: number, max: number): PyCallable =>
    (args) => {
      if (args.length < min || args.length > max) throw fail(`${name} called with ${args.length} arguments`);
      const [storage, offset, size, stride, requiresGrad] = args;
      if (!(storage instanceof StorageRef)) throw fail(`${name} called without a storage`);
      if (!isInt(offset)) throw fail(`${name} called with storage offset ${String(offset)}`);
      const spec = new TensorSpec(storage, offset, ints(size, 'size'), ints(stride, 'stride'));
      if (spec.size.length !== spec.stride.length)
        throw fail(`a tensor has ${spec.size.length} sizes but ${spec.stride.length} strides`);
      spec.requiresGrad = requiresGrad === true;
      return spec;
    };
  const emptyBytes: PyCallable = (args) => {
    if (args.length) throw fail('bytes called with arguments');
    return Buffer.alloc(0);
  };
  const allowed: Record<string, PyCallable> = {
    'collections.OrderedDict': (args) => {
      if (args.length) throw fail('collections.OrderedDict called with arguments');
      return new PyDict();
    },
    'torch._utils._rebuild_tensor': rebuild('_rebuild_tensor', 4, 4),
    'torch._utils._rebuild_tensor_v2': rebuild('_rebuild_tensor_v2', 6, 7),
    // bytes, as protocol 2 pickles them: _codecs.encode(text, 'latin1')
    '_codecs.encode': (args) => {
      const [text, encoding] = args;
      if (args.length !== 2 || typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1'))
        throw fail('_codecs.encode called with arguments other than (text, "latin1")');
      return Buffer.from(text, 'latin1');
    },
    // b'' as torch.save writes it (protocol 2): bytes()
    '__builtin__.bytes': emptyBytes,
    'builtins.bytes': emptyBytes,
    'torch._utils._rebuild_parameter': (args) => {
      const [data, requiresGrad] = args;
      if (args.length !== 3 || !(data instanceof TensorSpec)) throw fail('_rebuild_parameter called without a tensor');
      data.requiresGrad = requiresGrad === true;
      return data;
    },
  };
  const storageTypes = new Map(
    Object.entries(STORAGES).map(([n, s]) => [`torch.${n}`, new StorageType(n, s.dtype, s.size)]),
  );
  return {
    findGlobal(module: string, name: string): PyCallable {
      const q = `${module}.${name}`;
      const fn = allowed[q];
      if (Object.hasOwn(allowed, q)) return fn;
      // A storage class only appears as a value inside a persistent id.
      if (storageTypes.has(q))
        return () => {
          throw fail(`${q} called as a function`);
        };
      throw new TorchError(
        `unsupported pickle global '${q}' in ${JSON.stringify(file)}: torchts reads state dicts of tensors only`,
      );
    },
    persistentLoad(pid: unknown): StorageRef {
      if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage')
        throw fail(`unsupported persistent id ${describePid(pid)}`);
      const [, type, key, , numel] = pid;
      const st = type instanceof PyGlobal ? storageTypes.get(type.qualname) : undefined;
      if (!st) throw fail(`a persistent id names no storage class (${describePid(pid)})`);
      if (typeof key !== 'string' || !/^[\w.-]{1,200}$/.test(key))
        throw fail(`bad storage key in persistent id ${describePid(pid)}`);
      if (!isInt(numel)) throw fail(`bad storage size in persistent id ${describePid(pid)}`);
      return new StorageRef(key, st.dtype, st.size, numel);
    },
  };
}

function describePid(pid: unknown): string {
  return Array.isArray(pid)
    ? `(${pid.map((x) => (typeof x === 'string' ? JSON.stringify(x) : typeof x === 'object' && x ? 'object' : String(x))).join(', ')})`
    : typeof pid;
}

/** Elements a view needs in its storage: 0 when empty, else the last element's index + 1. */
function extent(spec: TensorSpec): number {
  if (spec.size.includes(0)) return 0;
  let last = spec.offset;
  for (let i = 0; i < spec.size.length; i++) last += (spec.size[i] - 1) * spec.stride[i];
  return last + 1;
}

/** Converts unpickled values to the result, creating each tensor (once) with `make`. */
function toJS(v: unknown, make: (s: TensorSpec) => Tensor, file: string): unknown {
  const open = new Set<object>();
  const conv = (x: unknown, depth: number): unknown => {
    if (
      x === null ||
      typeof x === 'boolean' ||
      typeof x === 'number' ||
      typeof x === 'bigint' ||
      typeof x === 'string' ||
      Buffer.isBuffer(x)
    )
      return x;
    if (x instanceof TensorSpec) return make(x);
    if (depth > MAX_DEPTH) throw invalidPth(file, `the data is nested deeper than ${MAX_DEPTH} levels`);
    if (Array.isArray(x) || x instanceof PyDict) {
      if (open.has(x)) throw invalidPth(file, 'the data refers back to an enclosing list or dict (a cycle)');
      open.add(x);
      try {
        if (Array.isArray(x)) return x.map((y) => conv(y, depth + 1));
        const out: Record<string, unknown> = {};
        for (const [k, y] of x.map) {
          if (typeof k !== 'string' && typeof k !== 'number' && typeof k !== 'bigint')
            throw invalidPth(file, `a dict has a key that is not a string or integer (${describePid(k)})`);
          Object.defineProperty(out, String(k), {
            value: conv(y, depth + 1),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return out;
      } finally {
        open.delete(x);
      }
    }
    if (x instanceof PyGlobal) throw invalidPth(file, `it holds ${x.qualname} itself as a value`);
    if (x instanceof StorageRef) throw invalidPth(file, 'it holds a bare storage; torchts loads tensors, not storages');
    throw invalidPth(file, `it holds an unsupported value (${typeof x})`);
  };
  return conv(v, 0);
}

/** Every TensorSpec in the unpickled data (each once). */
function specsOf(root: unknown): TensorSpec[] {
  const out = new Set<TensorSpec>();
  const seen = new Set<object>();
  const todo = [root];
  while (todo.length) {
    const x = todo.pop();
    if (x instanceof TensorSpec) out.add(x);
    else if ((Array.isArray(x) || x instanceof PyDict) && !seen.has(x)) {
      seen.add(x);
      if (Array.isArray(x)) for (const y of x) todo.push(y);
      else for (const [k, y] of x.map) todo.push(k, y);
    }
  }
  return [...out];
}

/**
 * The load procedure for a PyTorch zip file as a generator of reads (driven by
 * serialization.ts's sync and async readers). Checks the archive, the pickle and every
 * tensor's bounds before reading any storage; tensors made before a failure are disposed.
 */
export function* pthSteps(file: string, size: number, device: string | null): Generator<Read, unknown, Buffer> {
  const tailLength = Math.min(size, TAIL_BYTES);
  let end = parseZipEnd(yield [size - tailLength, tailLength], size, file);
  if (end.zip64At !== undefined) end = parseZip64End(yield [end.zip64At, ZIP64_END_BYTES], end.zip64At, file);
  const entries = parseCentralDirectory(end.cdSize ? yield [end.cdOffset, end.cdSize] : Buffer.alloc(0), end, file);

  // The archive's top folder is the first entry's (as PyTorch's reader takes it).
  const first = entries.keys().next().value as string | undefined;
  const slash = first?.indexOf('/') ?? -1;
  if (first === undefined || slash < 0)
    throw invalidPth(file, 'the zip archive has no top-level folder (not a file written by torch.save)');
  const prefix = first.slice(0, slash + 1);
  function* read(entry: ZipEntry): Generator<Read, Buffer, Buffer> {
    const at = dataOffset(yield [entry.headerOffset, LOCAL_HEADER_BYTES], entry, end.cdOffset, file);
    return entryData(entry.compressedSize ? yield [at, entry.compressedSize] : Buffer.alloc(0), entry, file);
  }

  const pkl = entries.get(`${prefix}data.pkl`);
  if (!pkl) throw invalidPth(file, `the archive has no ${prefix}data.pkl record (not a file written by torch.save?)`);
  let bigEndian = false;
  const order = entries.get(`${prefix}byteorder`);
  if (order) {
    const text = (yield* read(order)).toString('latin1');
    if (text !== 'little' && text !== 'big')
      throw invalidPth(file, `unknown byteorder ${JSON.stringify(text.slice(0, 20))}`);
    bigEndian = text === 'big';
  }
  const root = unpickle(yield* read(pkl), hooks(file), (why) => invalidPth(file, `${prefix}data.pkl: ${why}`));

  // Check every storage record and every tensor's bounds before reading any data.
  const specs = specsOf(root);
  const storages = new Map<string, { ref: StorageRef; entry: ZipEntry }>();
  for (const s of specs) {
    const ref = s.storage;
    const known = storages.get(ref.key);
    if (known && (known.ref.dtype !== ref.dtype || known.ref.numel !== ref.numel)) {
      throw invalidPth(file, `storage ${JSON.stringify(ref.key)} is described twice, differently`);
    }
    if (!known) {
      const entry = entries.get(`${prefix}data/${ref.key}`);
      if (!entry) throw invalidPth(file, `the archive has no record ${prefix}data/${ref.key} for a tensor's storage`);
      if (entry.size !== ref.numel * ref.itemSize) {
        throw invalidPth(
          file,
          `record ${prefix}data/${ref.key} has ${entry.size} bytes but its storage of ${ref.numel} ${ref.dtype} elements needs ${ref.numel * ref.itemSize}`,
        );
      }
      storages.set(ref.key, { ref, entry });
    }
    const need = extent(s);
    if (need > ref.numel) {
      throw invalidPth(
        file,
        `a tensor of size [${s.size.join(', ')}], stride [${s.stride.join(', ')}] and offset ${s.offset} needs ${need} elements but its storage ${JSON.stringify(ref.key)} has ${ref.numel}`,
      );
    }
  }

  const made: Tensor[] = [];
  const flat = new Map<string, Tensor>();
  const tensors = new Map<TensorSpec, Tensor>();
  try {
    for (const [key, { ref, entry }] of storages) {
      const bytes = yield* read(entry);
      if (bigEndian && ref.itemSize > 1) {
        if (ref.itemSize === 2) bytes.swap16();
        else if (ref.itemSize === 4) bytes.swap32();
        else bytes.swap64();
      }
      if (ref.dtype === 'bool' && bytes.some((b) => b > 1))
        throw invalidPth(file, `bool storage ${JSON.stringify(key)} holds bytes other than 0 and 1`);
      const t = frombuffer(bytes, { dtype: ref.dtype, shape: [ref.numel] });
      made.push(t);
      flat.set(key, t);
    }
    // Every spec's storage was read into `flat` above, and every spec made a tensor below; the
    // two checks only guard that invariant.
    for (const s of specs) {
      const storage = flat.get(s.storage.key);
      if (!storage) throw invalidPth(file, `no storage ${JSON.stringify(s.storage.key)} was read`);
      let t = storage.asStrided(s.size, s.stride, s.offset);
      made.push(t);
      if (device !== null && device !== 'cpu') {
        t = t.to({ device: device as Device });
        made.push(t);
      }
      if (s.requiresGrad && (t.dtype.startsWith('float') || t.dtype === 'bfloat16')) t.requiresGrad = true;
      tensors.set(s, t);
    }
    const result = toJS(
      root,
      (s) => {
        const t = tensors.get(s);
        if (!t) throw invalidPth(file, `a tensor of storage ${JSON.stringify(s.storage.key)} was not made`);
        return t;
      },
      file,
    );
    const kept = new Set(tensors.values());
    for (const t of made) if (!kept.has(t)) t.dispose(); // storages and CPU copies; the views keep the data alive
    return result;
  } catch (err) {
    for (const t of made) t.dispose();
    throw err;
  }
}
