/**
 * `torch.save` / `torch.load` (and their async forms).
 *
 * `save` writes PyTorch's own format (a zip of a protocol-2 pickle and the raw storages;
 * pth_writer.ts) unless the file name ends `.safetensors` or `{ format: 'safetensors' }` is
 * given. Python's `torch.load` (including `weights_only=True`) reads the former as if PyTorch
 * had written it; for safetensors:
 * - A flat `Record<string, Tensor>` (a model's `stateDict()`) is written as a plain
 *   safetensors file that Python's `safetensors.torch.load_file` reads unchanged.
 * - Anything else (a checkpoint `{ model, optimizer, epoch, rng, ... }`, an array, a single
 *   tensor) stores its tensors under dotted keys (`optimizer.state.0.momentum_buffer`) and
 *   the rest of the structure as JSON under `__metadata__["torchts.structure"]`; `load`
 *   rebuilds it. Only data is stored: numbers (NaN, ±Infinity and -0 included), strings,
 *   booleans, null, arrays, plain objects and Tensors. Nothing is ever executed on load.
 *
 * `load` reads both, recognised by content: PyTorch's `.pth`/`.pt` zip files (pth.ts) and
 * safetensors files.
 *
 * Writes are atomic: the bytes go to `<path>.tmp-<pid>-<random>`, which is fsynced and
 * renamed over `path`; on failure the temporary file is removed and `path` is untouched.
 * Everything is checked before the temporary file is created. Reads check the whole header
 * before creating any tensor.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as nodePath from 'node:path';

import { frombuffer } from './creation';
import { checkDevice, type Device } from './device';
import { checkOptions, describe, optionKeys, TorchError, typeError } from './errors';
import { pthSteps, ZIP_MAGIC } from './pth';
import { pthChunks } from './pth_writer';
import { encodeHeader, type Entry, headerLength, invalid, parseHeader } from './safetensors';
import { Tensor } from './tensor';

/** Metadata key holding the JSON structure of a nested object. */
export const STRUCTURE_KEY = 'torchts.structure';
const MAX_DEPTH = 500;
const LEGACY_MAGIC = Buffer.from([0x80, 0x02, 0x8a, 0x0a]);

/** The file formats `save` writes. */
export type SaveFormat = 'pytorch' | 'safetensors';
const SAVE_FORMATS: readonly SaveFormat[] = ['pytorch', 'safetensors'];

export interface SaveOptions {
  /**
   * `'pytorch'`: PyTorch's zip format, what Python's `torch.save` writes (`torch.load` reads
   * it, `weights_only=True` included). `'safetensors'`: a safetensors file. Default: by the
   * file name, safetensors when it ends `.safetensors`, PyTorch's format otherwise.
   */
  format?: SaveFormat;
}

export interface LoadOptions {
  /** Where to put the loaded tensors (default: the CPU). */
  device?: Device;
}
const SAVE_KEYS = optionKeys<SaveOptions>({ format: 1 });
const LOAD_KEYS = optionKeys<LoadOptions>({ device: 1 });

// ---- structure: objects <-> tensors + JSON ------------------------------------------

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null &&
  typeof v === 'object' &&
  (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/** Sets a property even when it is named `__proto__`. */
function define(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

const SPECIAL_NUMBERS: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };

interface Plan {
  tensors: { name: string; tensor: Tensor }[];
  metadata: Record<string, string>;
}

/**
 * What to write for `obj`. The structure JSON uses tagged nodes: `{"$tensor": key}`,
 * `{"$number": "NaN"}`, and `{"$object": {...}}` for objects with keys starting with `$`.
 */
function planSave(obj: unknown): Plan {
  if (isPlainObject(obj) && Object.values(obj).every((v) => v instanceof Tensor)) {
    return {
      tensors: Object.entries(obj).map(([name, tensor]) => ({ name, tensor: tensor as Tensor })),
      metadata: { format: 'pt' },
    };
  }
  const tensors: Plan['tensors'] = [];
  const names = new Map<Tensor, string>();
  const used = new Set<string>(['__metadata__']);
  const open = new Set<object>();
  const encode = (v: unknown, path: string[], depth: number): unknown => {
    const where = path.length ? `obj.${path.join('.')}` : 'obj';
    if (v instanceof Tensor) {
      let name = names.get(v);
      if (name === undefined) {
        const base = path.join('.') || 'tensor';
        name = base;
        for (let i = 2; used.has(name); i++) name = `${base}#${i}`;
        used.add(name);
        names.set(v, name);
        tensors.push({ name, tensor: v });
      }
      return { $tensor: name };
    }
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number')
      return Number.isFinite(v) && !Object.is(v, -0) ? v : { $number: Object.is(v, -0) ? '-0' : String(v) };
    if (typeof v !== 'object' || !(Array.isArray(v) || isPlainObject(v))) {
      throw typeError('a Tensor, number, string, boolean, null, array or plain object', where, v);
    }
    if (open.has(v))
      throw new TypeError(`Expected an object without cycles for obj but ${where} refers back to an enclosing object`);
    if (depth > MAX_DEPTH)
      throw new TypeError(`Expected at most ${MAX_DEPTH} levels of nesting for obj but ${where} is deeper`);
    open.add(v);
    try {
      if (Array.isArray(v))
        return Array.from(v, (x, i) => (x === undefined ? null : encode(x, [...path, String(i)], depth + 1)));
      const out: Record<string, unknown> = {};
      let dollar = false;
      for (const [k, x] of Object.entries(v)) {
        if (x === undefined) continue; // as JSON does
        if (k.startsWith('$')) dollar = true;
        define(out, k, encode(x, [...path, k], depth + 1));
      }
      return dollar ? { $object: out } : out;
    } finally {
      open.delete(v);
    }
  };
  const structure = encode(obj, [], 0);
  return { tensors, metadata: { format: 'pt', [STRUCTURE_KEY]: JSON.stringify(structure) } };
}

/** Rebuilds a structure; `get` resolves tensor keys (and checks them). */
function decode(node: unknown, get: (key: string) => unknown, file: string, depth = 0): unknown {
  const bad = (why: string) => invalid(file, `bad "${STRUCTURE_KEY}" metadata: ${why}`);
  if (depth > MAX_DEPTH) throw bad(`nested deeper than ${MAX_DEPTH} levels`);
  if (node === null || typeof node === 'string' || typeof node === 'boolean' || typeof node === 'number') return node;
  if (Array.isArray(node)) return node.map((x) => decode(x, get, file, depth + 1));
  if (typeof node !== 'object') throw bad(`unexpected ${describe(node)}`);
  const rec = node as Record<string, unknown>;
  const keys = Object.keys(rec);
  let fields = rec;
  if (keys.some((k) => k.startsWith('$'))) {
    const tag = keys[0];
    const value = rec[tag];
    if (keys.length !== 1) throw bad(`a tagged node has several keys (${keys.join(', ')})`);
    if (tag === '$tensor') {
      if (typeof value !== 'string') throw bad(`a tensor reference is ${describe(value)}, not a string`);
      return get(value);
    }
    if (tag === '$number') {
      if (typeof value !== 'string' || !Object.hasOwn(SPECIAL_NUMBERS, value))
        throw bad(`unknown number ${describe(value)}`);
      return SPECIAL_NUMBERS[value];
    }
    if (tag !== '$object' || value === null || typeof value !== 'object' || Array.isArray(value))
      throw bad(`unknown node ${describe(node)}`);
    fields = value as Record<string, unknown>;
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(fields)) define(out, k, decode(x, get, file, depth + 1));
  return out;
}

// ---- files -----------------------------------------------------------------------------

function checkPath(path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) throw typeError('a file path (a non-empty string)', 'path', path);
  return path;
}

/** A TorchError naming the file, for an I/O error; argument and format errors pass through. */
function ioError(action: 'save to' | 'load', file: string, e: unknown): Error {
  if (e instanceof TorchError || e instanceof TypeError || e instanceof RangeError) return e;
  const err = e as NodeJS.ErrnoException;
  const why = err.code === 'ENOENT' && action === 'load' ? 'no such file' : (err.message ?? String(e));
  const out = new TorchError(`Cannot ${action} ${JSON.stringify(file)}: ${why}`);
  (out as Error & { cause?: unknown }).cause = e;
  return out;
}

const tempName = (file: string) => `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;

/** The safetensors header, then each tensor's bytes (produced one at a time to bound memory). */
function* safetensorsChunks(obj: unknown): Generator<Buffer> {
  const plan = planSave(obj);
  const { header, entries } = encodeHeader(
    plan.tensors.map(({ name, tensor }) => ({ name, dtype: tensor.dtype, shape: tensor.shape })),
    plan.metadata,
  );
  yield header;
  for (let i = 0; i < entries.length; i++) {
    const bytes = plan.tensors[i].tensor.toBytes(); // copies CUDA tensors to the CPU
    if (bytes.length !== entries[i].end - entries[i].begin) {
      throw new TorchError(
        `tensor ${JSON.stringify(entries[i].name)} gave ${bytes.length} bytes, expected ${entries[i].end - entries[i].begin}`,
      );
    }
    yield bytes;
  }
}

/**
 * The file's bytes in the chosen format, chunk by chunk (the first `next()` checks
 * everything). `sync`: each chunk is written before any other JS runs, so a CPU storage
 * can be handed out without a copy.
 */
function chunks(obj: unknown, file: string, options: unknown, sync: boolean): Generator<Buffer> {
  const o = checkOptions<SaveOptions>(options, 'save options', SAVE_KEYS);
  if (o.format !== undefined && !SAVE_FORMATS.includes(o.format))
    throw typeError(`one of ${SAVE_FORMATS.map((f) => `'${f}'`).join(', ')}`, 'options.format', o.format);
  const format = o.format ?? (file.endsWith('.safetensors') ? 'safetensors' : 'pytorch');
  return format === 'safetensors' ? safetensorsChunks(obj) : pthChunks(obj, { alias: sync });
}

/**
 * Saves tensors, a state dict or a nested checkpoint to `path`, atomically: in PyTorch's
 * format (Python's `torch.load` reads it), or as safetensors when `path` ends
 * `.safetensors` or `options.format` says so.
 */
export function save(obj: unknown, path: string, options?: SaveOptions): void {
  const file = checkPath(path);
  const parts = chunks(obj, file, options, true);
  const first = parts.next(); // plans and checks everything before touching the disk
  const tmp = tempName(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx');
    for (let r = first; !r.done; r = parts.next()) {
      for (let at = 0; at < r.value.length; ) at += fs.writeSync(fd, r.value, at, r.value.length - at);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw ioError('save to', file, e);
  }
  syncDirectory(file);
}

/** `save` with the file I/O on libuv's thread pool (the tensor bytes are copied out on this thread). */
export async function saveAsync(obj: unknown, path: string, options?: SaveOptions): Promise<void> {
  const file = checkPath(path);
  const parts = chunks(obj, file, options, false);
  const first = parts.next();
  const tmp = tempName(file);
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(tmp, 'wx');
    for (let r = first; !r.done; r = parts.next()) {
      for (let at = 0; at < r.value.length; ) at += (await fh.write(r.value, at, r.value.length - at)).bytesWritten;
    }
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fs.promises.rename(tmp, file);
  } catch (e) {
    if (fh !== undefined) await fh.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true });
    throw ioError('save to', file, e);
  }
}

/** Makes the rename durable where the platform allows (best effort). */
function syncDirectory(file: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(nodePath.dirname(file), 'r');
    fs.fsyncSync(fd);
  } catch {
    // not supported here (e.g. Windows): the data itself is already synced
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** A read of `length` bytes at `position`; the reader must return exactly that many. */
type Read = [position: number, length: number];

/**
 * The load procedure as a generator of reads, shared by `load` and `loadAsync`. It picks
 * the format from the first bytes: a zip archive is a PyTorch `.pth`/`.pt` file (pth.ts),
 * anything else is read as safetensors: header length, header, then the bytes of each
 * tensor the result uses. Tensors created before a failure are disposed.
 */
function* loadSteps(file: string, size: number, device: string | null): Generator<Read, unknown, Buffer> {
  const prefix = size > 0 ? yield [0, Math.min(size, 8)] : Buffer.alloc(0);
  if (prefix.subarray(0, 4).equals(ZIP_MAGIC)) return yield* pthSteps(file, size, device);
  // Legacy files start by pickling a magic number: PROTO 2, LONG1 of 10 bytes (as a safetensors
  // header length that would be 177 MB, over its limit, so no safetensors file starts so).
  if (prefix.subarray(0, 4).equals(LEGACY_MAGIC)) {
    throw new TorchError(
      `Cannot load ${JSON.stringify(file)}: it is a PyTorch file in the legacy (pre-1.6, non-zip) format, which torchts does not read; re-save it with a newer torch (torch.save(torch.load(f), f))`,
    );
  }
  return yield* safetensorsSteps(file, size, device, prefix);
}

/** The safetensors load procedure (`prefix`: the file's first 8 bytes, or fewer if it is shorter). */
function* safetensorsSteps(
  file: string,
  size: number,
  device: string | null,
  prefix: Buffer,
): Generator<Read, unknown, Buffer> {
  const n = headerLength(prefix, size, file);
  const dataStart = 8 + n;
  const { entries, metadata } = parseHeader(yield [8, n], size - dataStart, file);
  const byName = new Map(entries.map((e) => [e.name, e]));
  let structure: unknown;
  let wanted: Entry[] = entries;
  const text = metadata[STRUCTURE_KEY];
  if (text !== undefined) {
    try {
      structure = JSON.parse(text);
    } catch (e) {
      throw invalid(file, `bad "${STRUCTURE_KEY}" metadata: not valid JSON (${(e as Error).message})`);
    }
    const refs = new Set<Entry>();
    decode(
      structure,
      (key) => {
        const e = byName.get(key);
        if (!e)
          throw invalid(
            file,
            `bad "${STRUCTURE_KEY}" metadata: it refers to tensor ${JSON.stringify(key)}, which the file does not hold`,
          );
        refs.add(e);
      },
      file,
    );
    wanted = entries.filter((e) => refs.has(e));
  }
  const tensors = new Map<string, Tensor>();
  try {
    for (const e of wanted) {
      const bytes: Buffer = yield [dataStart + e.begin, e.end - e.begin];
      if (e.dtype === 'bool' && bytes.some((b) => b > 1))
        throw invalid(file, `bool tensor ${JSON.stringify(e.name)} holds bytes other than 0 and 1`);
      let t = frombuffer(bytes, { dtype: e.dtype, shape: e.shape });
      if (device !== null && device !== 'cpu') {
        const moved = t.to({ device: device as Device });
        t.dispose();
        t = moved;
      }
      tensors.set(e.name, t);
    }
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    throw err;
  }
  if (structure === undefined) {
    const out: Record<string, Tensor> = {};
    for (const [k, t] of tensors) define(out, k, t);
    return out;
  }
  return decode(structure, (key) => tensors.get(key), file);
}

function readError(file: string, position: number, length: number, got: number): TorchError {
  return invalid(
    file,
    `the file ended after ${position + got} bytes while reading bytes ${position} to ${position + length} (truncated while reading?)`,
  );
}

function openError(file: string, stat: fs.Stats): TorchError | null {
  return stat.isFile() ? null : new TorchError(`Cannot load ${JSON.stringify(file)}: not a regular file`);
}

/**
 * Loads what `save` wrote (or any safetensors file), or a PyTorch `.pth`/`.pt` file written
 * by `torch.save` (recognised by its zip signature; see pth.ts): a flat file or a saved
 * state dict gives a `Record<string, Tensor>`, a checkpoint its structure as plain objects.
 */
// biome-ignore lint/suspicious/noExplicitAny: the result is whatever was saved; callers name its type, or use it as they would JSON.parse's
export function load<T = any>(path: string, options?: LoadOptions): T {
  const file = checkPath(path);
  const device = checkDevice(checkOptions<LoadOptions>(options, 'load options', LOAD_KEYS).device);
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const stat = fs.fstatSync(fd);
    const notFile = openError(file, stat);
    if (notFile) throw notFile;
    const steps = loadSteps(file, stat.size, device);
    let r = steps.next();
    while (!r.done) {
      const [position, length] = r.value;
      const buf = Buffer.alloc(length);
      let got = 0;
      try {
        while (got < length) {
          const k = fs.readSync(fd, buf, got, length - got, position + got);
          if (k === 0) throw readError(file, position, length, got);
          got += k;
        }
      } catch (e) {
        r = steps.throw(e); // lets the generator dispose what it made, then rethrows
        continue;
      }
      r = steps.next(buf);
    }
    return r.value as T;
  } catch (e) {
    throw ioError('load', file, e);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** `load` with the file I/O on libuv's thread pool. */
// biome-ignore lint/suspicious/noExplicitAny: as for load
export async function loadAsync<T = any>(path: string, options?: LoadOptions): Promise<T> {
  const file = checkPath(path);
  const device = checkDevice(checkOptions<LoadOptions>(options, 'load options', LOAD_KEYS).device);
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(file, 'r');
    const stat = await fh.stat();
    const notFile = openError(file, stat);
    if (notFile) throw notFile;
    const steps = loadSteps(file, stat.size, device);
    let r = steps.next();
    while (!r.done) {
      const [position, length] = r.value;
      const buf = Buffer.alloc(length);
      let got = 0;
      try {
        while (got < length) {
          const { bytesRead } = await fh.read(buf, got, length - got, position + got);
          if (bytesRead === 0) throw readError(file, position, length, got);
          got += bytesRead;
        }
      } catch (e) {
        r = steps.throw(e);
        continue;
      }
      r = steps.next(buf);
    }
    return r.value as T;
  } catch (e) {
    throw ioError('load', file, e);
  } finally {
    if (fh !== undefined) await fh.close();
  }
}
