/**
 * The functional ops behind AutoAugment, RandAugment, TrivialAugmentWide, AugMix and
 * RandomErasing: torchvision.transforms.functional's affine, rotate, invert, posterize,
 * solarize, adjust_sharpness, autocontrast, equalize and erase on image tensors. Each follows
 * torchvision 0.14's functional_tensor.py op by op (same ATen ops, same dtypes, same order),
 * so results equal torchvision's on the same libtorch. Re-exported by `functional`.
 */
import { conv2d } from '../../nn/functional';
import { arange, empty, linspace, ones, tensor } from '../../torch/creation';
import { checkInt, checkNumber, checkOptions, rangeError, typeError } from '../../torch/errors';
import { cat, stack, where } from '../../torch/functions';
import * as T from '../../torch/generated/functions';
import { tidy } from '../../torch/memory';
import type { Tensor } from '../../torch/tensor';
import { checkImage, getDimensions } from './functional';

/** Interpolation of the grid transforms (affine, rotate) on tensors. */
export type Interpolation = 'nearest' | 'bilinear';
const GRID_MODES: Record<Interpolation, number> = { bilinear: 0, nearest: 1 };

function checkInterpolation(mode: unknown): Interpolation {
  if (mode !== 'nearest' && mode !== 'bilinear') throw typeError("'nearest' or 'bilinear'", 'interpolation', mode);
  return mode;
}

function checkChannels(img: Tensor, fn: string, minDims = 3): void {
  checkImage(img);
  if (img.ndim < minDims)
    throw rangeError(`an image Tensor with at least ${minDims} dimensions for ${fn}`, 'img', img.shape);
  const c = getDimensions(img)[0];
  if (c !== 1 && c !== 3) throw rangeError(`an image with 1 or 3 channels for ${fn}`, 'img', img.shape);
}

function checkUint8(img: Tensor, fn: string): void {
  if (img.dtype !== 'uint8') throw typeError(`a uint8 image Tensor for ${fn}`, 'img', `a ${img.dtype} Tensor`);
}

/** The largest pixel value of a dtype (torchvision's _max_value): 255 for uint8, 1 for floats. */
function maxValue(img: Tensor): number {
  if (img.isFloatingPoint()) return 1;
  const max: Record<string, number> = { uint8: 255, int8: 127, int16: 32767, int32: 2147483647 };
  return max[img.dtype] ?? Number.MAX_SAFE_INTEGER;
}

/** `(ratio * img1 + (1 - ratio) * img2).clamp(0, bound).to(img1.dtype)` (torchvision's _blend). */
function blend(img1: Tensor, img2: Tensor, ratio: number): Tensor {
  const bound = img1.isFloatingPoint() ? 1.0 : 255.0;
  return img1
    .mul(ratio)
    .add(img2.mul(1.0 - ratio))
    .clamp(0, bound)
    .to(img1.dtype);
}

/** img as NCHW in `dtype` (torchvision's _cast_squeeze_in); returns [img, squeezed, cast]. */
function castSqueezeIn(img: Tensor, dtype: 'float32' | 'float64'): [Tensor, boolean, boolean] {
  const squeeze = img.ndim < 4;
  let out = squeeze ? img.unsqueeze(0) : img;
  const cast = out.dtype !== dtype;
  if (cast) out = out.to(dtype);
  return [out, squeeze, cast];
}

/** Undoes castSqueezeIn, rounding before an integer cast (torchvision's _cast_squeeze_out). */
function castSqueezeOut(img: Tensor, squeeze: boolean, cast: boolean, dtype: Tensor['dtype']): Tensor {
  let out = squeeze ? img.squeeze(0) : img;
  if (cast) {
    if (!['float16', 'bfloat16', 'float32', 'float64'].includes(dtype)) out = out.round();
    out = out.to(dtype);
  }
  return out;
}

/**
 * The inverse affine matrix that maps output to input coordinates (torchvision's
 * _get_inverse_affine_matrix): rotation `angle` and `shear` [x, y] in degrees, about `center`,
 * then `translate` and `scale`.
 */
export function inverseAffineMatrix(
  center: [number, number],
  angle: number,
  translate: [number, number],
  scale: number,
  shear: [number, number],
): number[] {
  const rot = (angle * Math.PI) / 180;
  const sx = (shear[0] * Math.PI) / 180;
  const sy = (shear[1] * Math.PI) / 180;
  const [cx, cy] = center;
  const [tx, ty] = translate;
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = (-Math.cos(rot - sy) * Math.tan(sx)) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = (-Math.sin(rot - sy) * Math.tan(sx)) / Math.cos(sy) + Math.cos(rot);
  const m = [d, -b, 0.0, -c, a, 0.0].map((x) => x / scale);
  m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty);
  m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty);
  m[2] += cx;
  m[5] += cy;
  return m;
}

/** The sampling grid [1, oh, ow, 2] of an affine `theta` [1, 2, 3] (torchvision's _gen_affine_grid). */
function affineGrid(theta: Tensor, w: number, h: number, ow: number, oh: number): Tensor {
  const d = 0.5;
  const base = empty([1, oh, ow, 3], { dtype: theta.dtype });
  base.select(-1, 0).copy_(linspace(-ow * 0.5 + d, ow * 0.5 + d - 1, ow));
  base.select(-1, 1).copy_(linspace(-oh * 0.5 + d, oh * 0.5 + d - 1, oh).unsqueeze(-1));
  base.select(-1, 2).fill_(1);
  const rescaled = theta.transpose(1, 2).div(tensor([0.5 * w, 0.5 * h], { dtype: theta.dtype }));
  return base
    .view(1, oh * ow, 3)
    .bmm(rescaled)
    .view(1, oh, ow, 2);
}

/** grid_sample with a fill colour for the outside (torchvision's _apply_grid_transform). */
function applyGrid(img: Tensor, grid: Tensor, mode: Interpolation, fill: number[] | null): Tensor {
  const outDtype = img.dtype;
  let [x, squeeze, cast] = castSqueezeIn(img, grid.dtype as 'float32' | 'float64');
  const n = x.shape[0];
  if (n > 1) grid = grid.expand([n, grid.shape[1], grid.shape[2], grid.shape[3]]);
  if (fill !== null) x = cat([x, ones([n, 1, x.shape[2], x.shape[3]], { dtype: x.dtype })], 1);
  x = T.gridSampler(x, grid, GRID_MODES[mode], 0, false);
  if (fill !== null) {
    const c = x.shape[1] - 1;
    let mask = x.narrow(1, c, 1);
    x = x.narrow(1, 0, c);
    mask = mask.expandAs(x);
    const fillImg = tensor(fill, { dtype: x.dtype }).view(1, fill.length, 1, 1).expandAs(x);
    x = mode === 'nearest' ? where(mask.lt(0.5), fillImg, x) : x.mul(mask).add(mask.rsub(1.0).mul(fillImg));
  }
  return castSqueezeOut(x, squeeze, cast, outDtype);
}

function checkFill(img: Tensor, fill: unknown): number[] | null {
  if (fill === undefined || fill === null) return null;
  const list = typeof fill === 'number' ? [fill] : fill;
  if (!Array.isArray(list) || list.length === 0 || list.some((v) => typeof v !== 'number'))
    throw typeError('a number or an array of numbers', 'fill', fill);
  const c = getDimensions(img)[0];
  if (list.length > 1 && list.length !== c)
    throw rangeError(`1 or ${c} (the image's channels) fill values`, 'fill', fill);
  return list as number[];
}

/** Options of `affine` and `rotate`. */
export interface AffineOptions {
  /** 'nearest' (default) or 'bilinear'. */
  interpolation?: Interpolation;
  /** Pixel value(s) for the area outside the transformed image (default: 0 without a mask). */
  fill?: number | number[] | null;
  /** Centre of the rotation/shear, from the upper left corner (default: the image centre). */
  center?: [number, number] | null;
}

function checkAffineOptions(options: AffineOptions | undefined): AffineOptions {
  return checkOptions<AffineOptions>(options, 'options', ['interpolation', 'fill', 'center']);
}

function centerOf(img: Tensor, center: [number, number] | null | undefined): [number, number] {
  if (center === undefined || center === null) return [0, 0];
  if (!Array.isArray(center) || center.length !== 2) throw typeError('an array [x, y]', 'center', center);
  const [, h, w] = getDimensions(img);
  return [1.0 * (checkNumber(center[0], 'center') - w * 0.5), 1.0 * (checkNumber(center[1], 'center') - h * 0.5)];
}

/**
 * Affine transformation keeping the image centre invariant (torchvision's affine): rotation
 * `angle` (degrees, clockwise), `translate` [x, y] in pixels, `scale`, `shear` [x, y] in degrees.
 */
export function affine(
  img: Tensor,
  angle: number,
  translate: [number, number],
  scale: number,
  shear: number | [number, number],
  options?: AffineOptions,
): Tensor {
  checkImage(img);
  const o = checkAffineOptions(options);
  checkNumber(angle, 'angle');
  if (!Array.isArray(translate) || translate.length !== 2) throw typeError('an array [x, y]', 'translate', translate);
  checkNumber(scale, 'scale');
  if (!(scale > 0)) throw rangeError('a positive number', 'scale', scale);
  const sh: [number, number] = typeof shear === 'number' ? [shear, 0.0] : shear;
  if (!Array.isArray(sh) || sh.length !== 2) throw typeError('a number or an array [x, y]', 'shear', shear);
  const mode = checkInterpolation(o.interpolation ?? 'nearest');
  const fill = checkFill(img, o.fill);
  const matrix = inverseAffineMatrix(
    centerOf(img, o.center),
    angle,
    [1.0 * translate[0], 1.0 * translate[1]],
    scale,
    sh,
  );
  return tidy(() => {
    const dtype = img.isFloatingPoint() ? img.dtype : 'float32';
    const theta = tensor(matrix, { dtype }).reshape([1, 2, 3]);
    const [w, h] = [img.shape[img.ndim - 1], img.shape[img.ndim - 2]];
    return applyGrid(img, affineGrid(theta, w, h, w, h), mode, fill);
  });
}

/** Rotates by `angle` degrees counter-clockwise, keeping the size (torchvision's rotate, expand=False). */
export function rotate(img: Tensor, angle: number, options?: AffineOptions): Tensor {
  checkImage(img);
  const o = checkAffineOptions(options);
  checkNumber(angle, 'angle');
  const mode = checkInterpolation(o.interpolation ?? 'nearest');
  const fill = checkFill(img, o.fill);
  const matrix = inverseAffineMatrix(centerOf(img, o.center), -angle, [0.0, 0.0], 1.0, [0.0, 0.0]);
  return tidy(() => {
    const dtype = img.isFloatingPoint() ? img.dtype : 'float32';
    const theta = tensor(matrix, { dtype }).reshape([1, 2, 3]);
    const [w, h] = [img.shape[img.ndim - 1], img.shape[img.ndim - 2]];
    return applyGrid(img, affineGrid(theta, w, h, w, h), mode, fill);
  });
}

/** `max - img`: 255 - img for uint8, 1 - img for floats (torchvision's invert). */
export function invert(img: Tensor): Tensor {
  checkChannels(img, 'invert');
  return img.rsub(maxValue(img));
}

/** Keeps the top `bits` bits of each uint8 channel (torchvision's posterize). */
export function posterize(img: Tensor, bits: number): Tensor {
  checkChannels(img, 'posterize');
  checkUint8(img, 'posterize');
  checkInt(bits, 'bits', 0);
  if (bits > 8) throw rangeError('an integer in [0, 8]', 'bits', bits);
  return img.bitwiseAnd(-(2 ** (8 - bits)));
}

/** Inverts the pixels at or above `threshold` (torchvision's solarize). */
export function solarize(img: Tensor, threshold: number): Tensor {
  checkChannels(img, 'solarize');
  checkNumber(threshold, 'threshold');
  if (threshold > maxValue(img))
    throw rangeError(`a threshold at most ${maxValue(img)} (the image's maximum)`, 'threshold', threshold);
  return tidy(() => where(img.ge(threshold), invert(img), img));
}

/** The 3x3 smoothed image with the border kept (torchvision's _blurred_degenerate_image). */
function blurredDegenerate(img: Tensor): Tensor {
  const dtype = img.isFloatingPoint() ? (img.dtype as 'float32' | 'float64') : 'float32';
  const c = img.shape[img.ndim - 3];
  const kernel = ones([3, 3], { dtype });
  kernel.select(0, 1).select(0, 1).fill_(5.0);
  kernel.div_(kernel.sum());
  const [x, squeeze, cast] = castSqueezeIn(img, dtype);
  const blurred = castSqueezeOut(conv2d(x, kernel.expand([c, 1, 3, 3]), null, 1, 0, 1, c), squeeze, cast, img.dtype);
  const out = img.clone();
  const [h, w] = [img.shape[img.ndim - 2], img.shape[img.ndim - 1]];
  out
    .narrow(-2, 1, h - 2)
    .narrow(-1, 1, w - 2)
    .copy_(blurred);
  return out;
}

/** Blends with a smoothed image: 0 blurred, 1 unchanged, 2 sharper (torchvision's adjust_sharpness). */
export function adjustSharpness(img: Tensor, sharpnessFactor: number): Tensor {
  checkChannels(img, 'adjustSharpness', 2);
  checkNumber(sharpnessFactor, 'sharpnessFactor');
  if (sharpnessFactor < 0) throw rangeError('a non-negative number', 'sharpnessFactor', sharpnessFactor);
  if (img.shape[img.ndim - 1] <= 2 || img.shape[img.ndim - 2] <= 2) return img;
  return tidy(() => blend(img, blurredDegenerate(img), sharpnessFactor));
}

/** Stretches each channel to the full range (torchvision's autocontrast). */
export function autocontrast(img: Tensor): Tensor {
  checkChannels(img, 'autocontrast');
  const bound = img.isFloatingPoint() ? 1.0 : 255.0;
  const dtype = img.isFloatingPoint() ? img.dtype : 'float32';
  return tidy(() => {
    const minimum = img.amin([-2, -1], true).to(dtype);
    const maximum = img.amax([-2, -1], true).to(dtype);
    // Python's `bound / tensor` is `tensor.reciprocal() * bound` (Tensor.__rtruediv__).
    const scale = maximum.sub(minimum).reciprocal().mul(bound);
    const eq = scale.isfinite().logicalNot();
    minimum.maskedFill_(eq, 0);
    scale.maskedFill_(eq, 1);
    return img.sub(minimum).mul(scale).clamp(0, bound).to(img.dtype);
  });
}

/** One channel's histogram equalisation (torchvision's _scale_channel, CPU bincount path). */
function scaleChannel(chan: Tensor): Tensor {
  const hist = (T.bincount(chan.reshape([-1]), null, 256) as Tensor).toArray() as number[];
  const nonzero = hist.filter((v) => v !== 0);
  const step = Math.floor(nonzero.slice(0, -1).reduce((a, b) => a + b, 0) / 255);
  if (step === 0) return chan;
  const lut = new Array<number>(256);
  let cum = 0;
  lut[0] = 0;
  for (let i = 0; i < 255; i++) {
    cum += hist[i];
    lut[i + 1] = Math.min(255, Math.max(0, Math.floor((cum + Math.floor(step / 2)) / step)));
  }
  return tensor(lut, { dtype: 'int64' }).index(chan.to('int64')).to('uint8');
}

/** Equalises each channel's histogram, uint8 [C, H, W] or [N, C, H, W] (torchvision's equalize). */
export function equalize(img: Tensor): Tensor {
  checkChannels(img, 'equalize');
  checkUint8(img, 'equalize');
  if (img.ndim > 4) throw rangeError('an image Tensor with 3 or 4 dimensions for equalize', 'img', img.shape);
  const single = (x: Tensor) =>
    stack(Array.from({ length: x.shape[0] }, (_, c) => scaleChannel(x.select(0, c).contiguous())));
  return tidy(() =>
    img.ndim === 3 ? single(img) : stack(Array.from({ length: img.shape[0] }, (_, i) => single(img.select(0, i)))),
  );
}

/** Sets the box at (i, j) of size h x w to `v` (broadcast), on a copy unless `inplace` (torchvision's erase). */
export function erase(img: Tensor, i: number, j: number, h: number, w: number, v: Tensor, inplace = false): Tensor {
  checkImage(img);
  const out = inplace ? img : img.clone();
  tidy(() => {
    out
      .narrow(-2, checkInt(i, 'i', 0), checkInt(h, 'h', 0))
      .narrow(-1, checkInt(j, 'j', 0), checkInt(w, 'w', 0))
      .copy_(v);
  });
  return out;
}

/** `8 - (arange(n) / ((n - 1) / k)).round().int()`-style integer magnitudes, as a list. */
export function posterizeBins(top: number, numBins: number, k: number): number[] {
  return tidy(
    () =>
      arange(numBins)
        .div((numBins - 1) / k)
        .round()
        .int()
        .rsub(top)
        .toArray() as number[],
  );
}
