/**
 * `vision.io`: image decoding (torchvision.io.read_image / decode_image). JPEG, PNG, WebP,
 * TIFF, GIF and AVIF are decoded by sharp (libvips) on libuv's thread pool, so decoding
 * runs off the main thread; the pixels then become a uint8 tensor [C, H, W] in one native
 * copy. EXIF orientation is not applied, as in torchvision's default.
 */
import * as fs from 'node:fs/promises';

import { N } from '../native';
import { tensor } from '../torch/creation';
import { tidy } from '../torch/memory';
import { checkOptions, TorchError, typeError } from '../torch/errors';
import { _wrap as wrap, type Tensor } from '../torch/tensor';

/**
 * How to read channels (torchvision's ImageReadMode): 'UNCHANGED' keeps the file's
 * channels (1 gray, 2 gray + alpha, 3 RGB, 4 RGBA); 'GRAY' gives one channel of ITU-R 601-2
 * luma (as PIL's convert('L')); 'RGB' three channels (alpha dropped, gray expanded);
 * 'RGB_ALPHA' four.
 */
export type ImageReadMode = 'UNCHANGED' | 'GRAY' | 'RGB' | 'RGB_ALPHA';
export const ImageReadMode = Object.freeze({
  UNCHANGED: 'UNCHANGED',
  GRAY: 'GRAY',
  RGB: 'RGB',
  RGB_ALPHA: 'RGB_ALPHA',
} as const satisfies Record<ImageReadMode, ImageReadMode>);

export interface ReadImageOptions {
  /** Channels to produce (default 'UNCHANGED', as torchvision). */
  mode?: ImageReadMode;
}

// sharp is loaded on first use: importing torchts must not need it.
type Sharp = import('sharp').SharpConstructor;
let sharpModule: Sharp | undefined;
function sharp(): Sharp {
  if (sharpModule === undefined) {
    try {
      sharpModule = require('sharp') as Sharp;
    } catch (e) {
      throw new TorchError(`vision.io needs the npm package sharp, which could not be loaded: ${(e as Error).message}`);
    }
  }
  return sharpModule;
}

function checkMode(options: unknown): ImageReadMode {
  const o = checkOptions<ReadImageOptions>(options, 'options', ['mode']);
  const mode = o.mode ?? 'UNCHANGED';
  if (typeof mode !== 'string' || !(mode in ImageReadMode)) {
    throw typeError("'UNCHANGED', 'GRAY', 'RGB' or 'RGB_ALPHA'", 'mode', mode);
  }
  return mode;
}

interface Raw {
  data: Buffer;
  info: { width: number; height: number; channels: number };
}

/** Decoded HWC pixels, the channels to keep of them (when not all), and whether to convert to luma. */
type Decoded = { raw: Raw; keep?: number[]; luma: boolean };

async function decodeRaw(data: Buffer, mode: ImageReadMode): Promise<Decoded> {
  const s = sharp();
  // Truncated and corrupt files are rejected; minor warnings (extraneous bytes in a JPEG,
  // common in real photo collections) are tolerated, as PIL does.
  const image = s(data, { failOn: 'truncated' });
  let keep: number[] | undefined;
  let pipeline = image;
  if (mode === 'RGB' || mode === 'GRAY') {
    pipeline = image.removeAlpha().toColourspace('srgb');
  } else if (mode === 'RGB_ALPHA') {
    pipeline = image.ensureAlpha().toColourspace('srgb');
  } else {
    const meta = await image.metadata();
    const gray = meta.space === 'b-w' || meta.space === 'grey16';
    if (gray && !meta.hasAlpha) pipeline = image.toColourspace('b-w');
    else if (gray) {
      pipeline = image.ensureAlpha().toColourspace('srgb');
      keep = [0, 3]; // gray and alpha out of the (equal) RGB channels and alpha
    } else if (meta.hasAlpha) pipeline = image.ensureAlpha().toColourspace('srgb');
    else pipeline = image.removeAlpha().toColourspace('srgb');
  }
  const raw = (await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true })) as Raw;
  return { raw, keep, luma: mode === 'GRAY' };
}

function toTensor(decoded: Decoded): Tensor {
  const { data, info } = decoded.raw;
  const t = wrap(N.imageFromHWC(data, info.height, info.width, info.channels, decoded.luma));
  if (decoded.keep === undefined) return t;
  const idx = decoded.keep;
  try {
    return tidy(() => t.indexSelect(0, tensor(idx, { dtype: 'int64' })));
  } finally {
    t.dispose();
  }
}

function decodeError(what: string, e: unknown): TorchError {
  const message = String((e as Error)?.message ?? e).split('\n')[0];
  return new TorchError(`cannot decode image ${what}: ${message}`);
}

/**
 * Decodes an encoded image (JPEG, PNG, ...) held in memory into a uint8 tensor [C, H, W],
 * off the main thread (torchvision.io.decode_image).
 */
export async function decodeImage(data: Uint8Array, options: ReadImageOptions = {}): Promise<Tensor> {
  if (!(data instanceof Uint8Array)) throw typeError('a Uint8Array or Buffer of encoded image bytes', 'data', data);
  const mode = checkMode(options);
  const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let decoded: Decoded;
  try {
    decoded = await decodeRaw(buffer, mode);
  } catch (e) {
    throw decodeError(`(${buffer.byteLength} bytes in memory)`, e);
  }
  return toTensor(decoded);
}

/**
 * Reads and decodes an image file into a uint8 tensor [C, H, W] (torchvision.io.read_image);
 * reading and decoding run off the main thread. A missing, unreadable, truncated or corrupt
 * file rejects with a TorchError naming the file.
 */
export async function readImage(path: string, options: ReadImageOptions = {}): Promise<Tensor> {
  if (typeof path !== 'string' || path.length === 0) throw typeError('a file path', 'path', path);
  const mode = checkMode(options);
  let data: Buffer;
  try {
    data = await fs.readFile(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.message;
    throw new TorchError(`cannot read image ${path}: ${why}`);
  }
  let decoded: Decoded;
  try {
    decoded = await decodeRaw(data, mode);
  } catch (e) {
    throw decodeError(path, e);
  }
  return toTensor(decoded);
}
