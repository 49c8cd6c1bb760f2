/** RandomErasing (torchvision.transforms.RandomErasing) on image tensors. */
import { bindArgs, type WithOptions } from '../../torch/args';
import { empty, tensor } from '../../torch/creation';
import { checkBool, checkNumber, rangeError, typeError } from '../../torch/errors';
import { tidy } from '../../torch/memory';
import type { Tensor } from '../../torch/tensor';
import type { Transform } from './core';
import * as F from './functional';
import { random, randint, uniform } from './random';

/** Options of `RandomErasing`. */
export interface RandomErasingOptions {
  /** Probability of erasing (default 0.5). */
  p?: number;
  /** Range of the erased area's proportion of the image (default [0.02, 0.33]). */
  scale?: [number, number];
  /** Range of the erased box's aspect ratio (default [0.3, 3.3]). */
  ratio?: [number, number];
  /** The erasing value: a number, one per channel, or 'random' (standard normal noise). Default 0. */
  value?: number | number[] | 'random';
  /** Erase the input itself (default false). */
  inplace?: boolean;
}

function checkRange(value: unknown, name: string): [number, number] {
  if (!Array.isArray(value) || value.length !== 2 || value.some((v) => typeof v !== 'number'))
    throw typeError('an array [min, max]', name, value);
  return [value[0], value[1]];
}

/**
 * Erases a random box of a [..., C, H, W] image tensor with probability p (Zhong et al., 2017),
 * drawing its area, aspect ratio and position as torchvision's RandomErasing does.
 */
export class RandomErasing implements Transform {
  readonly p: number;
  readonly scale: [number, number];
  readonly ratio: [number, number];
  readonly value: number | number[] | 'random';
  readonly inplace: boolean;
  constructor(
    ...args: WithOptions<
      [
        p: number,
        scale: [number, number],
        ratio: [number, number],
        value: number | number[] | 'random',
        inplace: boolean,
      ],
      RandomErasingOptions
    >
  ) {
    const o = bindArgs<RandomErasingOptions>(args, ['p', 'scale', 'ratio', 'value', 'inplace'], 'RandomErasing');
    this.p = checkNumber(o.p ?? 0.5, 'p');
    if (!(this.p >= 0 && this.p <= 1)) throw rangeError('a probability in [0, 1]', 'p', this.p);
    this.scale = checkRange(o.scale ?? [0.02, 0.33], 'scale');
    if (this.scale[0] < 0 || this.scale[1] > 1) throw rangeError('a range within [0, 1]', 'scale', this.scale);
    this.ratio = checkRange(o.ratio ?? [0.3, 3.3], 'ratio');
    const value = o.value ?? 0;
    if (
      !(
        typeof value === 'number' ||
        value === 'random' ||
        (Array.isArray(value) && value.every((v) => typeof v === 'number'))
      )
    )
      throw typeError("a number, an array of numbers or 'random'", 'value', value);
    this.value = value;
    this.inplace = checkBool(o.inplace ?? false, 'inplace');
  }

  /**
   * [i, j, h, w, v] of the box to erase (torchvision's get_params, same draws); `value` null
   * draws normal noise. After 10 failed tries: the whole image, with the image itself as v.
   */
  static getParams(
    img: Tensor,
    scale: [number, number],
    ratio: [number, number],
    value: number[] | null,
  ): [number, number, number, number, Tensor] {
    const [c, imgH, imgW] = [img.shape[img.ndim - 3], img.shape[img.ndim - 2], img.shape[img.ndim - 1]];
    const area = imgH * imgW;
    const logRatio = tidy(() => tensor(ratio, { dtype: 'float32' }).log().toArray() as number[]);
    for (let k = 0; k < 10; k++) {
      const eraseArea = area * uniform(scale[0], scale[1]);
      const aspectRatio = tidy(
        () =>
          tensor([uniform(logRatio[0], logRatio[1])], { dtype: 'float32' })
            .exp()
            .item() as number,
      );
      const h = F.pyRound(Math.sqrt(eraseArea * aspectRatio));
      const w = F.pyRound(Math.sqrt(eraseArea / aspectRatio));
      if (!(h < imgH && w < imgW)) continue;
      const v =
        value === null
          ? empty([c, h, w], { dtype: 'float32' }).normal_()
          : tensor(value, { dtype: value.every(Number.isInteger) ? 'int64' : 'float32' }).view(-1, 1, 1);
      const i = randint(0, imgH - h + 1);
      const j = randint(0, imgW - w + 1);
      return [i, j, h, w, v];
    }
    return [0, 0, imgH, imgW, img];
  }

  forward(img: Tensor): Tensor {
    F.checkImage(img);
    if (img.ndim < 3) throw rangeError('an image Tensor [..., C, H, W]', 'img', img.shape);
    if (random() >= Math.fround(this.p)) return img;
    const value = typeof this.value === 'number' ? [this.value] : this.value === 'random' ? null : this.value;
    const c = img.shape[img.ndim - 3];
    if (value !== null && value.length !== 1 && value.length !== c)
      throw rangeError(`1 or ${c} (the image's channels) values`, 'value', value);
    const [i, j, h, w, v] = RandomErasing.getParams(img, this.scale, this.ratio, value);
    try {
      return F.erase(img, i, j, h, w, v, this.inplace);
    } finally {
      if (v !== img) v.dispose();
    }
  }
}
