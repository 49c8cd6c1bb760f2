/**
 * The zip writer for `.pth` files, the counterpart of zip.ts, laid out as PyTorch's
 * `PyTorchStreamWriter` (miniz) lays out its archives: every record stored (method 0) with
 * general-purpose flags 0x0808 (UTF-8 names, sizes and CRC-32 in a data descriptor after the
 * data), DOS time 0, and an `FB` extra field of `Z`s in the local header that pads the data
 * to a multiple of the storage alignment (64 bytes), so readers can map storages in place.
 * Sizes or offsets that do not fit 32 bits get Zip64 fields and Zip64 end records.
 *
 * It only builds byte chunks; the caller writes them in order.
 */
import * as zlib from 'node:zlib';

const LOCAL_SIG = 0x04034b50;
const DESCRIPTOR_SIG = 0x08074b50;
const CENTRAL_SIG = 0x02014b50;
const EOCD_SIG = 0x06054b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const FLAGS = 0x0808;
/** Sizes and offsets from this value on need Zip64 fields. */
export const ZIP64_LIMIT = 0xffffffff;

interface Record {
  name: Buffer;
  crc: number;
  size: number;
  offset: number;
  zip64: boolean;
}

export interface ZipWriterOptions {
  /** Data offsets are multiples of this (PyTorch's storage alignment). */
  alignment?: number;
  /** Sizes and offsets from this value on get Zip64 fields (lower only to test that path). */
  zip64Limit?: number;
}

export class ZipWriter {
  private readonly records: Record[] = [];
  private readonly alignment: number;
  private readonly limit: number;
  /** Bytes produced so far. */
  offset = 0;

  constructor(options: ZipWriterOptions = {}) {
    this.alignment = options.alignment ?? 64;
    this.limit = options.zip64Limit ?? ZIP64_LIMIT;
  }

  /** The chunks of one stored record: local header, data, data descriptor. */
  record(name: string, data: Buffer): Buffer[] {
    const nameBytes = Buffer.from(name, 'utf8');
    const offset = this.offset;
    const bigSize = data.length >= this.limit;
    const bigOffset = offset >= this.limit;
    const zip64 = bigSize || bigOffset;
    // PyTorch's getPadding(): the data start counts the FB field's own 4 bytes and any Zip64 field.
    const zip64Extra = zip64 ? 4 + (bigSize ? 16 : 0) + (bigOffset ? 8 : 0) : 0;
    const start = offset + 30 + nameBytes.length + zip64Extra + 4;
    const pad = (this.alignment - (start % this.alignment)) % this.alignment;
    const header = Buffer.alloc(30 + nameBytes.length + zip64Extra + 4 + pad, 'Z');
    header.writeUInt32LE(LOCAL_SIG, 0);
    header.writeUInt16LE(zip64 ? 45 : 0, 4); // version needed (miniz writes 0 for stored entries)
    header.writeUInt16LE(FLAGS, 6);
    header.fill(0, 8, 26); // method 0, time, date, CRC and sizes (in the descriptor)
    header.writeUInt16LE(nameBytes.length, 26);
    header.writeUInt16LE(zip64Extra + 4 + pad, 28);
    nameBytes.copy(header, 30);
    let at = 30 + nameBytes.length;
    if (zip64) {
      header.writeUInt16LE(0x0001, at);
      header.writeUInt16LE(zip64Extra - 4, at + 2);
      at += 4;
      if (bigSize) {
        header.writeBigUInt64LE(BigInt(data.length), at);
        header.writeBigUInt64LE(BigInt(data.length), at + 8);
        at += 16;
      }
      if (bigOffset) {
        header.writeBigUInt64LE(BigInt(offset), at);
        at += 8;
      }
    }
    header.write('FB', at, 'latin1');
    header.writeUInt16LE(pad, at + 2);
    const crc = zlib.crc32(data);
    const descriptor = Buffer.alloc(zip64 ? 24 : 16);
    descriptor.writeUInt32LE(DESCRIPTOR_SIG, 0);
    descriptor.writeUInt32LE(crc, 4);
    if (zip64) {
      descriptor.writeBigUInt64LE(BigInt(data.length), 8);
      descriptor.writeBigUInt64LE(BigInt(data.length), 16);
    } else {
      descriptor.writeUInt32LE(data.length, 8);
      descriptor.writeUInt32LE(data.length, 12);
    }
    this.records.push({ name: nameBytes, crc, size: data.length, offset, zip64 });
    this.offset += header.length + data.length + descriptor.length;
    return [header, data, descriptor];
  }

  /** The central directory and the end records (Zip64 ones when needed). */
  finish(): Buffer {
    const parts: Buffer[] = [];
    const cdOffset = this.offset;
    for (const r of this.records) {
      const bigSize = r.size >= this.limit;
      const bigOffset = r.offset >= this.limit;
      const extraLen = r.zip64 ? 4 + (bigSize ? 16 : 0) + (bigOffset ? 8 : 0) : 0;
      const e = Buffer.alloc(46 + r.name.length + (extraLen > 4 ? extraLen : 0));
      e.writeUInt32LE(CENTRAL_SIG, 0);
      e.writeUInt16LE(r.zip64 ? 45 : 0, 4); // version made by
      e.writeUInt16LE(r.zip64 ? 45 : 0, 6); // version needed
      e.writeUInt16LE(FLAGS, 8);
      e.writeUInt32LE(r.crc, 16);
      e.writeUInt32LE(bigSize ? ZIP64_LIMIT : r.size, 20);
      e.writeUInt32LE(bigSize ? ZIP64_LIMIT : r.size, 24);
      e.writeUInt16LE(r.name.length, 28);
      e.writeUInt16LE(extraLen > 4 ? extraLen : 0, 30);
      e.writeUInt32LE(bigOffset ? ZIP64_LIMIT : r.offset, 42);
      r.name.copy(e, 46);
      if (extraLen > 4) {
        let at = 46 + r.name.length;
        e.writeUInt16LE(0x0001, at);
        e.writeUInt16LE(extraLen - 4, at + 2);
        at += 4;
        if (bigSize) {
          e.writeBigUInt64LE(BigInt(r.size), at);
          e.writeBigUInt64LE(BigInt(r.size), at + 8);
          at += 16;
        }
        if (bigOffset) e.writeBigUInt64LE(BigInt(r.offset), at);
      }
      parts.push(e);
    }
    const cdSize = parts.reduce((n, p) => n + p.length, 0);
    const count = this.records.length;
    const zip64End = count >= 0xffff || cdOffset >= this.limit || cdSize >= this.limit;
    if (zip64End) {
      const z = Buffer.alloc(56 + 20);
      z.writeUInt32LE(ZIP64_EOCD_SIG, 0);
      z.writeBigUInt64LE(44n, 4); // size of the rest of this record
      z.writeUInt16LE(45, 12);
      z.writeUInt16LE(45, 14);
      z.writeBigUInt64LE(BigInt(count), 24);
      z.writeBigUInt64LE(BigInt(count), 32);
      z.writeBigUInt64LE(BigInt(cdSize), 40);
      z.writeBigUInt64LE(BigInt(cdOffset), 48);
      z.writeUInt32LE(ZIP64_LOCATOR_SIG, 56);
      z.writeBigUInt64LE(BigInt(cdOffset + cdSize), 64); // where the Zip64 end record starts
      z.writeUInt32LE(1, 72); // total number of disks
      parts.push(z);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(EOCD_SIG, 0);
    end.writeUInt16LE(zip64End ? 0xffff : count, 8);
    end.writeUInt16LE(zip64End ? 0xffff : count, 10);
    end.writeUInt32LE(zip64End ? ZIP64_LIMIT : cdSize, 12);
    end.writeUInt32LE(zip64End ? ZIP64_LIMIT : cdOffset, 16);
    parts.push(end);
    const out = Buffer.concat(parts);
    this.offset += out.length;
    return out;
  }
}
