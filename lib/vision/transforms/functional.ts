/**
 * `vision.transforms.functional`: torchvision.transforms.functional on image tensors
 * [..., C, H, W] (one image [C, H, W] or a batch [N, C, H, W]), uint8 or floating point.
 * Pixel work is one native call per function (native/ops/image.cc), following torchvision's
 * tensor code step by step so the results match it on the same libtorch.
 */
import { N } from '../../native';
import { checkInt, checkNumber, rangeError, typeError } from '../../torch/errors';
import { _wrap as wrap, Tensor } from '../../torch/tensor';

/** The result of a native op: the input itself when the op handed its handle back. */
function result(h: number, img: Tensor): Tensor {
  return h === img.handle ? img : wrap(h);
}

/** An image tensor: at least 2 dimensions ([..., H, W]). */
export function checkImage(img: unknown, argument = 'img'): Tensor {
  if (!(img instanceof Tensor)) throw typeError('an image Tensor [..., C, H, W]', argument, img);
  if (img.ndim < 2) throw rangeError('an image Tensor with at least 2 dimensions [..., H, W]', argument, img.shape);
  return img;
}

/** Python's round(): halves go to the even neighbour (torchvision's crop arithmetic uses it). */
export function pyRound(x: number): number {
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x);
}

/** [channels, height, width] of an image (torchvision's get_dimensions). */
export function getDimensions(img: Tensor): [number, number, number] {
  checkImage(img);
  const s = img.shape;
  return [img.ndim === 2 ? 1 : s[s.length - 3], s[s.length - 2], s[s.length - 1]];
}

/**
 * A size argument as [height, width]: a number n is [n, n]; [n] too; [h, w] as given
 * (torchvision's _setup_size).
 */
export function checkSize(size: unknown, argument = 'size'): [number, number] {
  const list = typeof size === 'number' ? [size] : size;
  if (!Array.isArray(list) || (list.length !== 1 && list.length !== 2)) {
    throw typeError('an integer or an array [height, width]', argument, size);
  }
  list.forEach((v) => {
    checkInt(v, argument, 1);
  });
  return list.length === 1 ? [list[0], list[0]] : [list[0], list[1]];
}

/** Flips the image left to right. */
export function hflip(img: Tensor): Tensor {
  return checkImage(img).flip(-1);
}

/** Flips the image upside down. */
export function vflip(img: Tensor): Tensor {
  return checkImage(img).flip(-2);
}

/**
 * The box at (top, left) of size height x width: a view when inside the image, else a copy
 * zero-padded where the box extends past the image (torchvision's crop).
 */
export function crop(img: Tensor, top: number, left: number, height: number, width: number): Tensor {
  checkImage(img);
  return wrap(
    N.imageCrop(
      img.handle,
      checkInt(top, 'top'),
      checkInt(left, 'left'),
      checkInt(height, 'height', 0),
      checkInt(width, 'width', 0),
    ),
  );
}

/** The central box of `outputSize` (an integer or [h, w]), zero-padded if the image is smaller. */
export function centerCrop(img: Tensor, outputSize: number | number[]): Tensor {
  const [, imageHeight, imageWidth] = getDimensions(img);
  const [cropHeight, cropWidth] = checkSize(outputSize, 'outputSize');
  let [h, w] = [imageHeight, imageWidth];
  if (cropWidth > w || cropHeight > h) {
    const left = cropWidth > w ? Math.floor((cropWidth - w) / 2) : 0;
    const top = cropHeight > h ? Math.floor((cropHeight - h) / 2) : 0;
    const right = cropWidth > w ? Math.floor((cropWidth - w + 1) / 2) : 0;
    const bottom = cropHeight > h ? Math.floor((cropHeight - h + 1) / 2) : 0;
    const padded = pad(img, [left, top, right, bottom], 0);
    [h, w] = [padded.shape[padded.ndim - 2], padded.shape[padded.ndim - 1]];
    if (cropWidth === w && cropHeight === h) return padded;
    img = padded;
  }
  return crop(img, pyRound((h - cropHeight) / 2), pyRound((w - cropWidth) / 2), cropHeight, cropWidth);
}

export type PaddingMode = 'constant' | 'edge' | 'reflect' | 'symmetric';
const PADDING_MODES: Record<PaddingMode, number> = { constant: 0, edge: 1, reflect: 2, symmetric: 3 };

/** torchvision's padding argument as [left, right, top, bottom]. */
export function parsePadding(padding: unknown, argument = 'padding'): [number, number, number, number] {
  const list = typeof padding === 'number' ? [padding] : padding;
  if (!Array.isArray(list) || ![1, 2, 4].includes(list.length)) {
    throw typeError('an integer or an array of 1, 2 or 4 integers', argument, padding);
  }
  list.forEach((v) => {
    checkInt(v, argument);
  });
  if (list.length === 1) return [list[0], list[0], list[0], list[0]];
  if (list.length === 2) return [list[0], list[0], list[1], list[1]];
  return [list[0], list[2], list[1], list[3]];
}

export function checkPaddingMode(mode: unknown, argument = 'paddingMode'): PaddingMode {
  if (typeof mode !== 'string' || !(mode in PADDING_MODES))
    throw typeError("'constant', 'edge', 'reflect' or 'symmetric'", argument, mode);
  return mode as PaddingMode;
}

/**
 * Pads the borders: `padding` is n (all sides), [leftRight, topBottom] or
 * [left, top, right, bottom]; `fill` is the constant for 'constant' mode.
 */
export function pad(img: Tensor, padding: number | number[], fill = 0, paddingMode: PaddingMode = 'constant'): Tensor {
  checkImage(img);
  const p = parsePadding(padding);
  checkNumber(fill, 'fill');
  return wrap(N.imagePad(img.handle, p, PADDING_MODES[checkPaddingMode(paddingMode)], fill));
}

export interface ResizeOptions {
  /** Bilinear only (torchvision's default). */
  interpolation?: 'bilinear';
  /** When `size` is one number: the longer side is kept at most this long. */
  maxSize?: number;
  /** Antialias when downsampling (default true, as torchvision >= 0.17). */
  antialias?: boolean;
}

/** Checks a resize size: a number or [n] (shorter side) or [h, w]. */
export function checkResizeSize(size: unknown): number[] {
  const list = typeof size === 'number' ? [size] : size;
  if (!Array.isArray(list) || (list.length !== 1 && list.length !== 2)) {
    throw typeError('an integer (the shorter side) or an array [height, width]', 'size', size);
  }
  list.forEach((v) => {
    checkInt(v, 'size', 1);
  });
  return list;
}

/** Checks resize options; returns [antialias, maxSize]. */
export function checkResizeOptions(options: ResizeOptions | undefined, size: number[]): [boolean, number | undefined] {
  if (options !== undefined && (options === null || typeof options !== 'object'))
    throw typeError('an options object', 'options', options);
  const o = options ?? {};
  if (o.interpolation !== undefined && o.interpolation !== 'bilinear')
    throw typeError("'bilinear'", 'interpolation', o.interpolation);
  const antialias = o.antialias ?? true;
  if (typeof antialias !== 'boolean') throw typeError('a boolean', 'antialias', antialias);
  if (o.maxSize !== undefined) {
    checkInt(o.maxSize, 'maxSize', 1);
    if (size.length !== 1)
      throw new TypeError(`Expected maxSize only with a single-number size but received size ${JSON.stringify(size)}`);
    if (o.maxSize <= size[0]) throw rangeError(`a value greater than size (${size[0]})`, 'maxSize', o.maxSize);
  }
  return [antialias, o.maxSize];
}

/** torchvision's _compute_resized_output_size: [h, w] for an image of [height, width]. */
export function resizedOutputSize(height: number, width: number, size: number[], maxSize?: number): [number, number] {
  if (size.length === 2) return [size[0], size[1]];
  const [short, long] = width <= height ? [width, height] : [height, width];
  let newShort = size[0];
  let newLong = Math.trunc((newShort * long) / short);
  if (maxSize !== undefined && newLong > maxSize) {
    newShort = Math.trunc((maxSize * newShort) / newLong);
    newLong = maxSize;
  }
  return width <= height ? [newLong, newShort] : [newShort, newLong];
}

/**
 * Resizes with bilinear interpolation (antialiased by default). `size` [h, w] is the output
 * size; a single number is the shorter side's, keeping the aspect ratio.
 */
export function resize(img: Tensor, size: number | number[], options?: ResizeOptions): Tensor {
  const [, h, w] = getDimensions(img);
  const s = checkResizeSize(size);
  const [antialias, maxSize] = checkResizeOptions(options, s);
  const [oh, ow] = resizedOutputSize(h, w, s, maxSize);
  if (oh === h && ow === w) return img;
  return wrap(N.imageResize(img.handle, [oh, ow], antialias));
}

/** crop() then resize() to `size` (torchvision's resized_crop). */
export function resizedCrop(
  img: Tensor,
  top: number,
  left: number,
  height: number,
  width: number,
  size: number | number[],
  options?: ResizeOptions,
): Tensor {
  const cropped = crop(img, top, left, height, width);
  let out: Tensor | undefined;
  try {
    out = resize(cropped, size, options);
    return out;
  } finally {
    // resize hands back its input when the crop already has the size: keep it then.
    if (cropped !== img && out !== cropped) cropped.dispose();
  }
}

/** ITU-R 601-2 luma as torchvision's rgb_to_grayscale: 1 (or 3 equal) channels, same dtype. */
export function rgbToGrayscale(img: Tensor, numOutputChannels: 1 | 3 = 1): Tensor {
  checkImage(img);
  if (numOutputChannels !== 1 && numOutputChannels !== 3)
    throw typeError('1 or 3', 'numOutputChannels', numOutputChannels);
  const gray = wrap(N.imageGrayscale(img.handle));
  if (numOutputChannels === 1) return gray;
  try {
    return gray.expand([...img.shape]);
  } finally {
    gray.dispose();
  }
}

function checkFactor(value: unknown, argument: string): number {
  checkNumber(value, argument);
  if ((value as number) < 0) throw rangeError('a non-negative number', argument, value);
  return value as number;
}

/** Multiplies by `brightnessFactor` (0 black, 1 unchanged), clamped to the pixel range. */
export function adjustBrightness(img: Tensor, brightnessFactor: number): Tensor {
  checkImage(img);
  return result(N.imageAdjustBrightness(img.handle, checkFactor(brightnessFactor, 'brightnessFactor')), img);
}

/** Blends with the mean gray level (0 solid gray, 1 unchanged). */
export function adjustContrast(img: Tensor, contrastFactor: number): Tensor {
  checkImage(img);
  return result(N.imageAdjustContrast(img.handle, checkFactor(contrastFactor, 'contrastFactor')), img);
}

/** Blends with the grayscale image (0 gray, 1 unchanged, 2 twice as saturated). */
export function adjustSaturation(img: Tensor, saturationFactor: number): Tensor {
  checkImage(img);
  return result(N.imageAdjustSaturation(img.handle, checkFactor(saturationFactor, 'saturationFactor')), img);
}

/** Shifts the hue by `hueFactor` turns (in [-0.5, 0.5]) in HSV space. */
export function adjustHue(img: Tensor, hueFactor: number): Tensor {
  checkImage(img);
  checkNumber(hueFactor, 'hueFactor');
  if (hueFactor < -0.5 || hueFactor > 0.5) throw rangeError('a number in [-0.5, 0.5]', 'hueFactor', hueFactor);
  return result(N.imageAdjustHue(img.handle, hueFactor), img);
}
export * from './functional_augment';
