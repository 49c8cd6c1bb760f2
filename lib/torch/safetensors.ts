/**
 * The safetensors codec (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length N, N bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]},
 * "__metadata__": {string: string}}` padded with spaces to a multiple of 8, then the data.
 * Offsets are relative to the start of the data; tensors tile the data without gaps.
 *
 * This file only builds and checks headers; serialization.ts does the file I/O. Every
 * check on a header read from disk throws a TorchError naming the file.
 */
import type { DType } from './dtype';
import { TorchError } from './errors';

/** safetensors dtype names and their torchts dtypes and item sizes. */
const FROM_ST: Record<string, { dtype: DType; size: number }> = {
  F64: { dtype: 'float64', size: 8 },
  F32: { dtype: 'float32', size: 4 },
  F16: { dtype: 'float16', size: 2 },
  BF16: { dtype: 'bfloat16', size: 2 },
  I64: { dtype: 'int64', size: 8 },
  I32: { dtype: 'int32', size: 4 },
  I16: { dtype: 'int16', size: 2 },
  I8: { dtype: 'int8', size: 1 },
  U8: { dtype: 'uint8', size: 1 },
  BOOL: { dtype: 'bool', size: 1 },
};
const TO_ST = Object.fromEntries(Object.entries(FROM_ST).map(([st, { dtype }]) => [dtype, st])) as Record<
  DType,
  string
>;

/** The largest header accepted (safetensors' own limit). */
export const MAX_HEADER_BYTES = 100_000_000;
export const METADATA_KEY = '__metadata__';

/** A tensor's place in a file; offsets are relative to the start of the data. */
export interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

export function itemSize(dtype: DType): number {
  return FROM_ST[TO_ST[dtype]].size;
}

/** `Invalid safetensors file "<file>": <why>`. */
export function invalid(file: string, why: string): TorchError {
  return new TorchError(`Invalid safetensors file ${JSON.stringify(file)}: ${why}`);
}

/**
 * The header for tensors laid out back to back in the given order: the 8-byte length
 * followed by the space-padded JSON. Returns it with the entries' offsets.
 */
export function encodeHeader(
  tensors: { name: string; dtype: DType; shape: readonly number[] }[],
  metadata: Record<string, string>,
): { header: Buffer; entries: Entry[]; dataBytes: number } {
  const json: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) json[METADATA_KEY] = metadata;
  const entries: Entry[] = [];
  let offset = 0;
  for (const t of tensors) {
    if (t.name === METADATA_KEY)
      throw new TorchError(`"${METADATA_KEY}" is reserved in safetensors files and cannot name a tensor`);
    if (Object.hasOwn(json, t.name))
      throw new TorchError(`two tensors are named ${JSON.stringify(t.name)}`);
    const st = TO_ST[t.dtype];
    if (st === undefined)
      throw new TorchError(`safetensors cannot store dtype ${t.dtype} (tensor ${JSON.stringify(t.name)})`);
    const bytes = t.shape.reduce((a, b) => a * b, 1) * FROM_ST[st].size;
    const e: Entry = { name: t.name, dtype: t.dtype, shape: [...t.shape], begin: offset, end: offset + bytes };
    offset = e.end;
    entries.push(e);
    Object.defineProperty(json, t.name, {
      value: { dtype: st, shape: e.shape, data_offsets: [e.begin, e.end] },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const text = Buffer.from(JSON.stringify(json), 'utf8');
  const padded = Math.ceil(text.length / 8) * 8;
  const header = Buffer.alloc(8 + padded, 0x20);
  header.writeBigUInt64LE(BigInt(padded), 0);
  text.copy(header, 8);
  return { header, entries, dataBytes: offset };
}

/** The header length from the first 8 bytes, checked against the file's size. */
export function headerLength(prefix: Buffer, fileSize: number, file: string): number {
  if (fileSize < 8) throw invalid(file, `the file has ${fileSize} bytes, fewer than the 8 of the header length`);
  const n = prefix.readBigUInt64LE(0);
  if (n > BigInt(fileSize - 8)) {
    throw invalid(
      file,
      `the header length ${n} goes beyond the end of the file (${fileSize} bytes; truncated or not a safetensors file?)`,
    );
  }
  if (n > BigInt(MAX_HEADER_BYTES))
    throw invalid(file, `the header length ${n} is over the limit of ${MAX_HEADER_BYTES} bytes`);
  if (n < 2n) throw invalid(file, `the header length ${n} is too short for a JSON object`);
  return Number(n);
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Parses and checks a header: JSON, dtypes, shapes, and offsets that lie inside the
 * `dataBytes` bytes of data, match shape × item size, and tile the data without gaps or
 * overlaps. Returns the entries in header order and the metadata.
 */
export function parseHeader(
  bytes: Buffer,
  dataBytes: number,
  file: string,
): { entries: Entry[]; metadata: Record<string, string> } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalid(file, 'the header is not valid UTF-8');
  }
  if (!text.startsWith('{'))
    throw invalid(file, `the header does not start with "{" (received ${JSON.stringify(text.slice(0, 16))})`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalid(file, `the header is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(json)) throw invalid(file, 'the header is not a JSON object');
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, v] of Object.entries(json)) {
    const what = `tensor ${JSON.stringify(name)}`;
    if (name === METADATA_KEY) {
      if (!isObject(v)) throw invalid(file, `"${METADATA_KEY}" is not an object of strings`);
      for (const [k, s] of Object.entries(v)) {
        if (typeof s !== 'string')
          throw invalid(file, `"${METADATA_KEY}" holds a non-string value for ${JSON.stringify(k)}`);
        Object.defineProperty(metadata, k, { value: s, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    if (!isObject(v)) throw invalid(file, `the header entry of ${what} is not an object`);
    const st =
      typeof v.dtype === 'string' && Object.hasOwn(FROM_ST, v.dtype)
        ? FROM_ST[v.dtype]
        : undefined;
    if (!st) {
      throw invalid(
        file,
        `${what} has dtype ${JSON.stringify(v.dtype)}; torchts reads ${Object.keys(FROM_ST).join(', ')}`,
      );
    }
    if (!Array.isArray(v.shape) || !v.shape.every(isSize))
      throw invalid(file, `${what} has an invalid shape ${JSON.stringify(v.shape)}`);
    const off = v.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !isSize(off[0]) || !isSize(off[1]) || off[0] > off[1]) {
      throw invalid(file, `${what} has invalid data_offsets ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    if (end > dataBytes) {
      throw invalid(
        file,
        `${what} has data_offsets [${begin}, ${end}] beyond the ${dataBytes} bytes of data in the file (truncated?)`,
      );
    }
    // numel × itemsize, stopping as soon as it passes the data (no overflow).
    let bytes = st.size;
    if (v.shape.includes(0)) bytes = 0;
    else for (const d of v.shape as number[]) if ((bytes *= d) > dataBytes) break;
    if (bytes !== end - begin) {
      throw invalid(
        file,
        `${what} has data_offsets [${begin}, ${end}] (${end - begin} bytes) but shape [${v.shape.join(', ')}] of ${v.dtype} needs ${bytes > dataBytes ? 'more than the file holds' : `${bytes} bytes`}`,
      );
    }
    entries.push({ name, dtype: st.dtype, shape: v.shape as number[], begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let prev: Entry | undefined;
  for (const e of sorted) {
    if (e.begin < at)
      throw invalid(file, `the data of tensors ${JSON.stringify(prev!.name)} and ${JSON.stringify(e.name)} overlap`);
    if (e.begin > at) throw invalid(file, `bytes ${at} to ${e.begin} of the data belong to no tensor`);
    at = e.end;
    prev = e;
  }
  if (at !== dataBytes) throw invalid(file, `the file has ${dataBytes - at} bytes after the last tensor's data`);
  return { entries, metadata };
}
