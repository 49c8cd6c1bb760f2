/**
 * Geometric transforms (torchvision.transforms): Resize, CenterCrop, Pad, RandomCrop,
 * RandomResizedCrop, RandomHorizontalFlip, RandomVerticalFlip. A batch [N, C, H, W] gets one
 * set of random parameters for all its images, as in torchvision.
 */
import { tensor } from '../../torch/creation';
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, checkNumber, optionKeys, rangeError, typeError } from '../../torch/errors';
import { tidy } from '../../torch/memory';
import type { Tensor } from '../../torch/tensor';
import * as F from './functional';
import { random, randint, uniform, uniformTensor } from './random';
import type { Transform } from './core';

const RESIZE_KEYS = optionKeys<F.ResizeOptions>({ interpolation: 1, maxSize: 1, antialias: 1 });

/**
 * Resizes (bilinear, antialiased by default); a single number sets the shorter side.
 * interpolation, maxSize and antialias may be positional, in torchvision's order.
 */
export class Resize implements Transform {
  readonly size: number[];
  readonly maxSize?: number;
  readonly antialias: boolean;
  constructor(
    size: number | number[],
    ...args: WithOptions<[interpolation: 'bilinear', maxSize: number, antialias: boolean], F.ResizeOptions>
  ) {
    this.size = F.checkResizeSize(size);
    [this.antialias, this.maxSize] = F.checkResizeOptions(bindArgs(args, RESIZE_KEYS, 'Resize'), this.size);
  }
  forward(img: Tensor): Tensor {
    return F.resize(img, this.size, { maxSize: this.maxSize, antialias: this.antialias });
  }
}

/** Crops the central box of `size` (an integer or [h, w]), zero-padding small images. */
export class CenterCrop implements Transform {
  readonly size: [number, number];
  constructor(size: number | number[]) {
    this.size = F.checkSize(size);
  }
  forward(img: Tensor): Tensor {
    return F.centerCrop(img, this.size);
  }
}

export interface PadOptions {
  fill?: number;
  paddingMode?: F.PaddingMode;
}

/**
 * Pads the borders (`padding` as torchvision: n, [leftRight, topBottom] or [left, top, right,
 * bottom]); fill and paddingMode positional or named.
 */
export class Pad implements Transform {
  readonly padding: number | number[];
  readonly fill: number;
  readonly paddingMode: F.PaddingMode;
  constructor(
    padding: number | number[],
    ...args: WithOptions<[fill: number, paddingMode: F.PaddingMode], PadOptions>
  ) {
    const o = bindArgs<PadOptions>(args, ['fill', 'paddingMode'], 'Pad');
    F.parsePadding(padding);
    this.padding = padding;
    this.fill = checkNumber(o.fill ?? 0, 'fill');
    this.paddingMode = F.checkPaddingMode(o.paddingMode ?? 'constant');
  }
  forward(img: Tensor): Tensor {
    return F.pad(img, this.padding, this.fill, this.paddingMode);
  }
}

export interface RandomCropOptions extends PadOptions {
  /** Padding applied before cropping (as Pad's). */
  padding?: number | number[];
  /** Pads images smaller than `size` up to it. */
  padIfNeeded?: boolean;
}

const RANDOM_CROP_KEYS = optionKeys<RandomCropOptions>({ padding: 1, padIfNeeded: 1, fill: 1, paddingMode: 1 });

/**
 * Crops a box of `size` at a random place (after optional padding); padding, padIfNeeded,
 * fill and paddingMode positional (torchvision's order) or named: `new RandomCrop(32, 4)`.
 */
export class RandomCrop implements Transform {
  readonly size: [number, number];
  readonly padding?: number | number[];
  readonly padIfNeeded: boolean;
  readonly fill: number;
  readonly paddingMode: F.PaddingMode;
  constructor(
    size: number | number[],
    ...args: WithOptions<
      [padding: number | number[], padIfNeeded: boolean, fill: number, paddingMode: F.PaddingMode],
      RandomCropOptions
    >
  ) {
    const o = bindArgs<RandomCropOptions>(args, RANDOM_CROP_KEYS, 'RandomCrop');
    this.size = F.checkSize(size);
    if (o.padding !== undefined && o.padding !== null) F.parsePadding(o.padding);
    this.padding = o.padding ?? undefined;
    this.padIfNeeded = checkBool(o.padIfNeeded ?? false, 'padIfNeeded');
    this.fill = checkNumber(o.fill ?? 0, 'fill');
    this.paddingMode = F.checkPaddingMode(o.paddingMode ?? 'constant');
  }

  /** [top, left, height, width] of a random crop of `outputSize` (torchvision's get_params). */
  static getParams(img: Tensor, outputSize: [number, number]): [number, number, number, number] {
    const [, h, w] = F.getDimensions(img);
    const [th, tw] = outputSize;
    if (h < th || w < tw) {
      throw new RangeError(
        `Expected a crop size no larger than the image for size but received [${th}, ${tw}] for an image of [${h}, ${w}]`,
      );
    }
    if (w === tw && h === th) return [0, 0, h, w];
    const i = randint(0, h - th + 1);
    const j = randint(0, w - tw + 1);
    return [i, j, th, tw];
  }

  forward(img: Tensor): Tensor {
    return tidy(() => {
      if (this.padding !== undefined) img = F.pad(img, this.padding, this.fill, this.paddingMode);
      const [, height, width] = F.getDimensions(img);
      if (this.padIfNeeded && width < this.size[1])
        img = F.pad(img, [this.size[1] - width, 0], this.fill, this.paddingMode);
      if (this.padIfNeeded && height < this.size[0])
        img = F.pad(img, [0, this.size[0] - height], this.fill, this.paddingMode);
      const [i, j, h, w] = RandomCrop.getParams(img, this.size);
      return F.crop(img, i, j, h, w);
    });
  }
}

function checkRange(value: unknown, argument: string, positive: boolean): [number, number] {
  if (!Array.isArray(value) || value.length !== 2 || value.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw typeError('an array of two numbers [min, max]', argument, value);
  }
  if (value[0] > value[1]) throw rangeError('[min, max] with min <= max', argument, value);
  if (positive ? value[0] <= 0 : value[0] < 0)
    throw rangeError(positive ? 'positive numbers' : 'non-negative numbers', argument, value);
  return [value[0], value[1]];
}

export interface RandomResizedCropOptions extends Omit<F.ResizeOptions, 'maxSize'> {
  /** Range of the crop's area as a fraction of the image's (default [0.08, 1]). */
  scale?: [number, number];
  /** Range of the crop's aspect ratio w / h (default [3/4, 4/3]). */
  ratio?: [number, number];
}

const RANDOM_RESIZED_CROP_KEYS = ['scale', 'ratio', 'interpolation', 'antialias'] as const;

/**
 * Crops a random box (random area fraction in `scale`, log-uniform aspect ratio in
 * `ratio`; after 10 failed draws the central box of the nearest allowed ratio) and resizes it
 * to `size`. scale, ratio, interpolation and antialias may be positional, in torchvision's
 * order: `new RandomResizedCrop(224)`, `new RandomResizedCrop(224, [0.5, 1])`.
 */
export class RandomResizedCrop implements Transform {
  readonly size: [number, number];
  readonly scale: [number, number];
  readonly ratio: [number, number];
  readonly antialias: boolean;
  constructor(
    size: number | number[],
    ...args: WithOptions<
      [scale: [number, number], ratio: [number, number], interpolation: 'bilinear', antialias: boolean],
      RandomResizedCropOptions
    >
  ) {
    const o = bindArgs<RandomResizedCropOptions>(args, RANDOM_RESIZED_CROP_KEYS, 'RandomResizedCrop');
    this.size = F.checkSize(size);
    this.scale = checkRange(o.scale ?? [0.08, 1.0], 'scale', false);
    this.ratio = checkRange(o.ratio ?? [3 / 4, 4 / 3], 'ratio', true);
    [this.antialias] = F.checkResizeOptions({ interpolation: o.interpolation, antialias: o.antialias }, this.size);
  }

  /** [top, left, height, width] of a random crop (torchvision's RandomResizedCrop.get_params). */
  static getParams(img: Tensor, scale: [number, number], ratio: [number, number]): [number, number, number, number] {
    const [, height, width] = F.getDimensions(img);
    const area = height * width;
    // torch.log(torch.tensor(ratio)) is float32.
    const logRatio = tidy(() => tensor(ratio, { dtype: 'float32' }).log().toArray() as number[]);
    for (let attempt = 0; attempt < 10; attempt++) {
      const targetArea = area * uniform(scale[0], scale[1]);
      const aspectRatio = tidy(() => uniformTensor(logRatio[0], logRatio[1]).exp().item() as number);
      const w = F.pyRound(Math.sqrt(targetArea * aspectRatio));
      const h = F.pyRound(Math.sqrt(targetArea / aspectRatio));
      if (w > 0 && w <= width && h > 0 && h <= height) {
        const i = randint(0, height - h + 1);
        const j = randint(0, width - w + 1);
        return [i, j, h, w];
      }
    }
    // Fallback to a central crop.
    const inRatio = width / height;
    let w: number;
    let h: number;
    if (inRatio < Math.min(...ratio)) {
      w = width;
      h = F.pyRound(w / Math.min(...ratio));
    } else if (inRatio > Math.max(...ratio)) {
      h = height;
      w = F.pyRound(h * Math.max(...ratio));
    } else {
      w = width;
      h = height;
    }
    return [Math.floor((height - h) / 2), Math.floor((width - w) / 2), h, w];
  }

  forward(img: Tensor): Tensor {
    const [i, j, h, w] = RandomResizedCrop.getParams(img, this.scale, this.ratio);
    return F.resizedCrop(img, i, j, h, w, this.size, { antialias: this.antialias });
  }
}

function checkP(p: unknown): number {
  checkNumber(p, 'p');
  if ((p as number) < 0 || (p as number) > 1) throw rangeError('a probability in [0, 1]', 'p', p);
  return p as number;
}

/** Flips left to right with probability `p`. */
export class RandomHorizontalFlip implements Transform {
  readonly p: number;
  constructor(p = 0.5) {
    this.p = checkP(p);
  }
  forward(img: Tensor): Tensor {
    F.checkImage(img);
    return random() < Math.fround(this.p) ? F.hflip(img) : img;
  }
}

/** Flips upside down with probability `p`. */
export class RandomVerticalFlip implements Transform {
  readonly p: number;
  constructor(p = 0.5) {
    this.p = checkP(p);
  }
  forward(img: Tensor): Tensor {
    F.checkImage(img);
    return random() < Math.fround(this.p) ? F.vflip(img) : img;
  }
}
