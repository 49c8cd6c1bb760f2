/**
 * A small, read-only zip reader for PyTorch's `.pth`/`.pt` archives: the end-of-central-
 * directory record (and its Zip64 form), the central directory, local headers, and entries
 * that are stored (method 0, what `torch.save` writes) or deflated (method 8).
 *
 * It only parses buffers; the caller reads the byte ranges these functions ask for (see
 * pth.ts). Every offset and length taken from the file is checked against the file's size
 * before anything is read or allocated, and every failure is a TorchError naming the file.
 */
import * as zlib from 'node:zlib';

import { TorchError } from './errors';

/** `Invalid PyTorch file "<file>": <why>`. */
export function invalidPth(file: string, why: string): TorchError {
  return new TorchError(`Invalid PyTorch file ${JSON.stringify(file)}: ${why}`);
}

/** One file in the archive, as its central-directory record describes it. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  /** Where the entry's local header starts. */
  headerOffset: number;
}

/** Where the central directory lies, from the end-of-central-directory record. */
export interface ZipEnd {
  entries: number;
  cdOffset: number;
  cdSize: number;
  /** Set when the record defers to a Zip64 record: read ZIP64_END_BYTES there and call `parseZip64End`. */
  zip64At?: number;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_BYTES = 22;
const ZIP64_LOCATOR_BYTES = 20;
export const ZIP64_END_BYTES = 56;
const CENTRAL_BYTES = 46;
export const LOCAL_HEADER_BYTES = 30;
/** How many bytes at the end of the file can hold the end records (the comment is at most 65535 bytes). */
export const TAIL_BYTES = EOCD_BYTES + 0xffff + ZIP64_LOCATOR_BYTES;

/** Reads a little-endian 64-bit size as a number, failing beyond 2^53. */
function u64(buf: Buffer, at: number, file: string, what: string): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidPth(file, `${what} ${v} is too large`);
  return Number(v);
}

/**
 * Finds the end-of-central-directory record in `tail`, the last bytes of a file of
 * `fileSize` bytes (starting at `fileSize - tail.length`).
 */
export function parseZipEnd(tail: Buffer, fileSize: number, file: string): ZipEnd {
  const tailStart = fileSize - tail.length;
  let at = -1;
  for (let i = tail.length - EOCD_BYTES; i >= 0; i--) {
    // The record's comment must end exactly at the end of the file.
    if (tail.readUInt32LE(i) === EOCD_SIG && i + EOCD_BYTES + tail.readUInt16LE(i + 20) === tail.length) {
      at = i;
      break;
    }
  }
  if (at < 0) throw invalidPth(file, 'no zip end-of-central-directory record (truncated, or not a zip archive)');
  if (tail.readUInt16LE(at + 4) !== 0 || tail.readUInt16LE(at + 6) !== 0)
    throw invalidPth(file, 'multi-disk zip archives are not supported');
  const entries = tail.readUInt16LE(at + 10);
  const cdSize = tail.readUInt32LE(at + 12);
  const cdOffset = tail.readUInt32LE(at + 16);
  if (entries === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = at - ZIP64_LOCATOR_BYTES;
    if (loc < 0 || tail.readUInt32LE(loc) !== ZIP64_LOCATOR_SIG)
      throw invalidPth(file, 'the zip end record asks for Zip64 but there is no Zip64 locator');
    const zip64At = u64(tail, loc + 8, file, 'the Zip64 end record offset');
    if (zip64At + ZIP64_END_BYTES > tailStart + loc)
      throw invalidPth(file, `the Zip64 end record offset ${zip64At} is out of bounds`);
    return { entries: 0, cdOffset: 0, cdSize: 0, zip64At };
  }
  return checkEnd({ entries, cdOffset, cdSize }, tailStart + at, file);
}

/** The central directory's place from a Zip64 end record (the ZIP64_END_BYTES at `end.zip64At`). */
export function parseZip64End(rec: Buffer, zip64At: number, file: string): ZipEnd {
  if (rec.readUInt32LE(0) !== ZIP64_EOCD_SIG) throw invalidPth(file, `no Zip64 end record at offset ${zip64At}`);
  const end = {
    entries: u64(rec, 32, file, 'the number of entries'),
    cdSize: u64(rec, 40, file, 'the central directory size'),
    cdOffset: u64(rec, 48, file, 'the central directory offset'),
  };
  return checkEnd(end, zip64At, file);
}

function checkEnd(end: ZipEnd, endAt: number, file: string): ZipEnd {
  if (end.cdOffset + end.cdSize > endAt) {
    throw invalidPth(
      file,
      `the central directory (bytes ${end.cdOffset} to ${end.cdOffset + end.cdSize}) goes past its end record at ${endAt} (truncated?)`,
    );
  }
  if (end.entries * CENTRAL_BYTES > end.cdSize)
    throw invalidPth(file, `the central directory (${end.cdSize} bytes) is too small for ${end.entries} entries`);
  return end;
}

/**
 * The entries of a central directory (`cd`, read at `end.cdOffset`), by name, each checked
 * to lie before the central directory.
 */
export function parseCentralDirectory(cd: Buffer, end: ZipEnd, file: string): Map<string, ZipEntry> {
  const out = new Map<string, ZipEntry>();
  let at = 0;
  for (let i = 0; i < end.entries; i++) {
    if (at + CENTRAL_BYTES > cd.length || cd.readUInt32LE(at) !== CENTRAL_SIG)
      throw invalidPth(file, `central directory entry ${i} is missing or damaged`);
    const flags = cd.readUInt16LE(at + 8);
    const method = cd.readUInt16LE(at + 10);
    let compressedSize = cd.readUInt32LE(at + 20);
    let size = cd.readUInt32LE(at + 24);
    const nameLen = cd.readUInt16LE(at + 28);
    const extraLen = cd.readUInt16LE(at + 30);
    const commentLen = cd.readUInt16LE(at + 32);
    let headerOffset = cd.readUInt32LE(at + 42);
    const next = at + CENTRAL_BYTES + nameLen + extraLen + commentLen;
    if (next > cd.length) throw invalidPth(file, `central directory entry ${i} runs past the central directory`);
    const name = cd.toString('utf8', at + CENTRAL_BYTES, at + CENTRAL_BYTES + nameLen);
    // Zip64 extended information: the 64-bit values of the fields set to 0xffffffff, in this order.
    const extra = cd.subarray(at + CENTRAL_BYTES + nameLen, at + CENTRAL_BYTES + nameLen + extraLen);
    for (let e = 0; e + 4 <= extra.length; ) {
      const id = extra.readUInt16LE(e);
      const len = extra.readUInt16LE(e + 2);
      if (e + 4 + len > extra.length) break;
      if (id === 0x0001) {
        let p = e + 4;
        const take = (what: string): number => {
          if (p + 8 > e + 4 + len)
            throw invalidPth(file, `the Zip64 field of entry ${JSON.stringify(name)} is too short`);
          const v = u64(extra, p, file, `the ${what} of entry ${JSON.stringify(name)}`);
          p += 8;
          return v;
        };
        if (size === 0xffffffff) size = take('size');
        if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
        if (headerOffset === 0xffffffff) headerOffset = take('header offset');
      }
      e += 4 + len;
    }
    if (flags & 1) throw invalidPth(file, `entry ${JSON.stringify(name)} is encrypted`);
    if (method !== 0 && method !== 8)
      throw invalidPth(
        file,
        `entry ${JSON.stringify(name)} uses zip compression method ${method}; torchts reads stored (0) and deflated (8) entries`,
      );
    if (method === 0 && compressedSize !== size)
      throw invalidPth(
        file,
        `stored entry ${JSON.stringify(name)} has size ${size} but compressed size ${compressedSize}`,
      );
    if (headerOffset + LOCAL_HEADER_BYTES + compressedSize > end.cdOffset) {
      throw invalidPth(
        file,
        `entry ${JSON.stringify(name)} (offset ${headerOffset}, ${compressedSize} bytes) goes past the start of the central directory`,
      );
    }
    out.set(name, { name, method, crc32: cd.readUInt32LE(at + 16), compressedSize, size, headerOffset });
    at = next;
  }
  return out;
}

/** Where an entry's data starts, from its local header (the LOCAL_HEADER_BYTES at `entry.headerOffset`). */
export function dataOffset(header: Buffer, entry: ZipEntry, cdOffset: number, file: string): number {
  if (header.readUInt32LE(0) !== LOCAL_SIG)
    throw invalidPth(file, `no local header for entry ${JSON.stringify(entry.name)} at offset ${entry.headerOffset}`);
  const start = entry.headerOffset + LOCAL_HEADER_BYTES + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (start + entry.compressedSize > cdOffset)
    throw invalidPth(
      file,
      `the data of entry ${JSON.stringify(entry.name)} goes past the start of the central directory`,
    );
  return start;
}

/** An entry's contents from its raw bytes: inflated if deflated, CRC-checked. */
export function entryData(raw: Buffer, entry: ZipEntry, file: string): Buffer {
  let data = raw;
  if (entry.method === 8) {
    try {
      // maxOutputLength bounds the output by the declared size (no zip bombs).
      data = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
    } catch (e) {
      throw invalidPth(
        file,
        `entry ${JSON.stringify(entry.name)} does not inflate to its declared ${entry.size} bytes (${(e as Error).message})`,
      );
    }
    if (data.length !== entry.size)
      throw invalidPth(
        file,
        `entry ${JSON.stringify(entry.name)} inflates to ${data.length} bytes, not its declared ${entry.size}`,
      );
  }
  if (zlib.crc32(data) !== entry.crc32)
    throw invalidPth(file, `entry ${JSON.stringify(entry.name)} fails its CRC-32 check (corrupt file?)`);
  return data;
}
