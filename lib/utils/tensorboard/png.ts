/**
 * A small PNG encoder for 8-bit images (grayscale, grayscale + alpha, RGB, RGBA), enough for
 * TensorBoard image summaries: signature, IHDR, one IDAT (node:zlib deflate, filter type 0
 * on every row) and IEND, each chunk with its CRC-32.
 */
import { deflateSync } from 'node:zlib';

const CRC32_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309 / PNG) over several byte ranges in order. */
export function crc32(...parts: Uint8Array[]): number {
  let crc = 0xffffffff;
  for (const data of parts) {
    for (let i = 0; i < data.length; i++) crc = CRC32_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
/** PNG colour type per channel count. */
const COLOR_TYPE: Record<number, number> = { 1: 0, 2: 4, 3: 2, 4: 6 };

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8), data), 8 + data.length);
  return out;
}

/**
 * Encodes `pixels` (row-major HWC bytes, `height * width * channels` of them) as a PNG.
 * `channels` is 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA).
 */
export function encodePng(pixels: Uint8Array, width: number, height: number, channels: number): Buffer {
  const colorType = COLOR_TYPE[channels];
  if (colorType === undefined) throw new RangeError(`Expected 1, 2, 3 or 4 for channels but received ${channels}`);
  if (!(width >= 1 && height >= 1) || pixels.length !== width * height * channels) {
    throw new RangeError(`Expected ${width * height * channels} bytes for pixels but received ${pixels.length}`);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = colorType;
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type None
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}
