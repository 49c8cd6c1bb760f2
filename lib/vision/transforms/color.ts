/** Color transforms (torchvision.transforms): ColorJitter, Grayscale. */
import { bindArgs, type WithOptions } from '../../torch/args';
import { rangeError, typeError } from '../../torch/errors';
import { tidy } from '../../torch/memory';
import type { Tensor } from '../../torch/tensor';
import type { Transform } from './core';
import * as F from './functional';
import { randperm, uniform } from './random';

/** A factor given as a number v (the range [center - v, center + v]) or a range [min, max]. */
export type JitterRange = number | [number, number];

export interface ColorJitterOptions {
  /** Brightness factor range around 1 (default 0: unchanged). */
  brightness?: JitterRange;
  /** Contrast factor range around 1 (default 0). */
  contrast?: JitterRange;
  /** Saturation factor range around 1 (default 0). */
  saturation?: JitterRange;
  /** Hue shift range around 0, within [-0.5, 0.5] (default 0). */
  hue?: JitterRange;
}

/** torchvision's ColorJitter._check_input: the [min, max] range, or null for "do nothing". */
function checkInput(
  value: unknown,
  name: string,
  center = 1,
  bound: [number, number] = [0, Infinity],
  clipFirstOnZero = true,
): [number, number] | null {
  let range: [number, number];
  if (typeof value === 'number') {
    if (!(value >= 0)) throw rangeError('a non-negative number', name, value);
    range = [center - value, center + value];
    if (clipFirstOnZero) range[0] = Math.max(range[0], 0);
  } else if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) {
    range = [value[0], value[1]];
  } else {
    throw typeError('a number or an array [min, max]', name, value);
  }
  if (!(bound[0] <= range[0] && range[0] <= range[1] && range[1] <= bound[1])) {
    throw rangeError(`[min, max] within [${bound[0]}, ${bound[1]}] with min <= max`, name, range);
  }
  return range[0] === center && range[1] === center ? null : range;
}

/**
 * Randomly changes brightness, contrast, saturation and hue, applied in a random order with
 * factors drawn uniformly from their ranges (torchvision's ColorJitter).
 */
export class ColorJitter implements Transform {
  readonly brightness: [number, number] | null;
  readonly contrast: [number, number] | null;
  readonly saturation: [number, number] | null;
  readonly hue: [number, number] | null;
  constructor(
    ...args: WithOptions<
      [brightness: JitterRange, contrast: JitterRange, saturation: JitterRange, hue: JitterRange],
      ColorJitterOptions
    >
  ) {
    const o = bindArgs<ColorJitterOptions>(args, ['brightness', 'contrast', 'saturation', 'hue'], 'ColorJitter');
    this.brightness = checkInput(o.brightness ?? 0, 'brightness');
    this.contrast = checkInput(o.contrast ?? 0, 'contrast');
    this.saturation = checkInput(o.saturation ?? 0, 'saturation');
    this.hue = checkInput(o.hue ?? 0, 'hue', 0, [-0.5, 0.5], false);
  }

  /**
   * The order (a permutation of 0..3: brightness, contrast, saturation, hue) and the factors,
   * null where a component is off (torchvision's get_params, same draws).
   */
  static getParams(
    brightness: [number, number] | null,
    contrast: [number, number] | null,
    saturation: [number, number] | null,
    hue: [number, number] | null,
  ): [number[], number | null, number | null, number | null, number | null] {
    const fnIdx = randperm(4);
    const draw = (r: [number, number] | null): number | null => (r === null ? null : uniform(r[0], r[1]));
    const b = draw(brightness);
    const c = draw(contrast);
    const s = draw(saturation);
    const h = draw(hue);
    return [fnIdx, b, c, s, h];
  }

  forward(img: Tensor): Tensor {
    F.checkImage(img);
    const [order, b, c, s, h] = ColorJitter.getParams(this.brightness, this.contrast, this.saturation, this.hue);
    return tidy(() => {
      for (const fn of order) {
        if (fn === 0 && b !== null) img = F.adjustBrightness(img, b);
        else if (fn === 1 && c !== null) img = F.adjustContrast(img, c);
        else if (fn === 2 && s !== null) img = F.adjustSaturation(img, s);
        else if (fn === 3 && h !== null) img = F.adjustHue(img, h);
      }
      return img;
    });
  }
}

/** Converts to grayscale with 1 or 3 output channels (torchvision's Grayscale). */
export class Grayscale implements Transform {
  readonly numOutputChannels: 1 | 3;
  constructor(numOutputChannels: 1 | 3 = 1) {
    if (numOutputChannels !== 1 && numOutputChannels !== 3)
      throw typeError('1 or 3', 'numOutputChannels', numOutputChannels);
    this.numOutputChannels = numOutputChannels;
  }
  forward(img: Tensor): Tensor {
    return F.rgbToGrayscale(img, this.numOutputChannels);
  }
}
