/**
 * Automatic augmentation policies (torchvision.transforms.autoaugment): AutoAugment with its
 * ImageNet, CIFAR-10 and SVHN policies, RandAugment, TrivialAugmentWide and AugMix, on uint8
 * image tensors [..., 1 or 3, H, W]. The ops, their magnitude tables and the random draws
 * (from the default generator, in torchvision's order) are torchvision 0.14's, so after the
 * same `torch.manualSeed` the outputs equal torchvision's on the same libtorch.
 */
import { bindArgs, type WithOptions } from '../../torch/args';
import { linspace, tensor } from '../../torch/creation';
import { checkBool, checkInt, checkNumber, rangeError, typeError } from '../../torch/errors';
import { _sampleDirichlet } from '../../torch/generated/functions';
import { tidy } from '../../torch/memory';
import type { Tensor } from '../../torch/tensor';
import type { Transform } from './core';
import * as F from './functional';
import { type Interpolation, posterizeBins } from './functional_augment';
import { type AugmentOp, type AutoAugmentPolicy, POLICIES, type SubPolicy } from './autoaugment_policies';
import { randint, random } from './random';

export { AutoAugmentPolicy } from './autoaugment_policies';
export type { AugmentOp } from './autoaugment_policies';

/**
 * Applies one named op at `magnitude` (torchvision's autoaugment._apply_op): shears and
 * rotations in degrees derived from it, translations in whole pixels, colour ops at 1 + magnitude.
 */
export function applyOp(
  img: Tensor,
  opName: AugmentOp,
  magnitude: number,
  interpolation: Interpolation,
  fill: number[] | null,
): Tensor {
  const o = { interpolation, fill };
  const degrees = (m: number) => (Math.atan(m) * 180) / Math.PI;
  switch (opName) {
    case 'ShearX':
      return F.affine(img, 0.0, [0, 0], 1.0, [degrees(magnitude), 0.0], { ...o, center: [0, 0] });
    case 'ShearY':
      return F.affine(img, 0.0, [0, 0], 1.0, [0.0, degrees(magnitude)], { ...o, center: [0, 0] });
    case 'TranslateX':
      return F.affine(img, 0.0, [Math.trunc(magnitude), 0], 1.0, [0.0, 0.0], o);
    case 'TranslateY':
      return F.affine(img, 0.0, [0, Math.trunc(magnitude)], 1.0, [0.0, 0.0], o);
    case 'Rotate':
      return F.rotate(img, magnitude, o);
    case 'Brightness':
      return F.adjustBrightness(img, 1.0 + magnitude);
    case 'Color':
      return F.adjustSaturation(img, 1.0 + magnitude);
    case 'Contrast':
      return F.adjustContrast(img, 1.0 + magnitude);
    case 'Sharpness':
      return F.adjustSharpness(img, 1.0 + magnitude);
    case 'Posterize':
      return F.posterize(img, Math.trunc(magnitude));
    case 'Solarize':
      return F.solarize(img, magnitude);
    case 'AutoContrast':
      return F.autocontrast(img);
    case 'Equalize':
      return F.equalize(img);
    case 'Invert':
      return F.invert(img);
    case 'Identity':
      return img;
    default:
      throw typeError('an AutoAugment op name', 'opName', opName);
  }
}

/** op -> [magnitudes (null: takes none), signed]; in torchvision's key order. */
type Space = [AugmentOp, number[] | null, boolean][];

/** `torch.linspace(a, b, n)` (float32) as numbers. */
function lin(a: number, b: number, n: number): number[] {
  return tidy(() => linspace(a, b, n).toArray() as number[]);
}

function checkFill(fill: unknown): number | number[] | null {
  if (fill === undefined || fill === null) return null;
  if (typeof fill === 'number') return fill;
  if (Array.isArray(fill) && fill.every((v) => typeof v === 'number')) return fill;
  throw typeError('a number or an array of numbers', 'fill', fill);
}

function checkInterp(mode: unknown, dflt: Interpolation): Interpolation {
  if (mode === undefined) return dflt;
  if (mode !== 'nearest' && mode !== 'bilinear') throw typeError("'nearest' or 'bilinear'", 'interpolation', mode);
  return mode;
}

/** The fill per channel, as torchvision's forward expands it. */
function fillFor(fill: number | number[] | null, channels: number): number[] | null {
  if (fill === null) return null;
  return typeof fill === 'number' ? new Array<number>(channels).fill(fill) : fill;
}

function checkUint8Image(img: Tensor): void {
  F.checkImage(img);
  if (img.ndim < 3) throw rangeError('an image Tensor [..., C, H, W]', 'img', img.shape);
}

/** The ImageNet-style magnitude table (AutoAugment's and RandAugment's _augmentation_space). */
function imagenetSpace(numBins: number, height: number, width: number, identity: boolean, invert: boolean): Space {
  const s: Space = [
    ['ShearX', lin(0.0, 0.3, numBins), true],
    ['ShearY', lin(0.0, 0.3, numBins), true],
    ['TranslateX', lin(0.0, (150.0 / 331.0) * width, numBins), true],
    ['TranslateY', lin(0.0, (150.0 / 331.0) * height, numBins), true],
    ['Rotate', lin(0.0, 30.0, numBins), true],
    ['Brightness', lin(0.0, 0.9, numBins), true],
    ['Color', lin(0.0, 0.9, numBins), true],
    ['Contrast', lin(0.0, 0.9, numBins), true],
    ['Sharpness', lin(0.0, 0.9, numBins), true],
    ['Posterize', posterizeBins(8, numBins, 4), false],
    ['Solarize', lin(255.0, 0.0, numBins), false],
    ['AutoContrast', null, false],
    ['Equalize', null, false],
  ];
  if (identity) s.unshift(['Identity', null, false]);
  if (invert) s.push(['Invert', null, false]);
  return s;
}

/** Options of `AutoAugment`. */
export interface AutoAugmentOptions {
  policy?: AutoAugmentPolicy;
  /** 'nearest' (default) or 'bilinear', for the geometric ops. */
  interpolation?: Interpolation;
  /** Pixel value(s) for the area outside the transformed image. */
  fill?: number | number[] | null;
}

/**
 * AutoAugment (Cubuk et al., 2018): one of the policy's 25 sub-policies drawn per image, each
 * of its two ops applied with its probability (torchvision's AutoAugment).
 */
export class AutoAugment implements Transform {
  readonly policy: AutoAugmentPolicy;
  readonly interpolation: Interpolation;
  readonly fill: number | number[] | null;
  readonly policies: readonly SubPolicy[];
  constructor(
    ...args: WithOptions<
      [policy: AutoAugmentPolicy, interpolation: Interpolation, fill: number | number[] | null],
      AutoAugmentOptions
    >
  ) {
    const o = bindArgs<AutoAugmentOptions>(args, ['policy', 'interpolation', 'fill'], 'AutoAugment');
    const policy = o.policy ?? 'imagenet';
    if (!(policy in POLICIES)) throw typeError("'imagenet', 'cifar10' or 'svhn'", 'policy', policy);
    this.policy = policy;
    this.policies = POLICIES[policy];
    this.interpolation = checkInterp(o.interpolation, 'nearest');
    this.fill = checkFill(o.fill);
  }

  /** [sub-policy index, the two probabilities, the two signs] (torchvision's get_params, same draws). */
  static getParams(transformNum: number): [number, [number, number], [number, number]] {
    const policyId = randint(0, transformNum);
    const probs: [number, number] = [random(), random()];
    const signs: [number, number] = [randint(0, 2), randint(0, 2)];
    return [policyId, probs, signs];
  }

  forward(img: Tensor): Tensor {
    checkUint8Image(img);
    const [channels, height, width] = F.getDimensions(img);
    const fill = fillFor(this.fill, channels);
    const [id, probs, signs] = AutoAugment.getParams(this.policies.length);
    const space = new Map(imagenetSpace(10, height, width, false, true).map((e) => [e[0], e]));
    return tidy(() => {
      this.policies[id].forEach(([op, p, magnitudeId], i) => {
        // `probs[i] <= p` compares in float32, the dtype of torch.rand's tensor.
        if (probs[i] <= Math.fround(p)) {
          const [, magnitudes, signed] = space.get(op) as Space[number];
          let magnitude = magnitudeId !== null && magnitudes !== null ? magnitudes[magnitudeId] : 0.0;
          if (signed && signs[i] === 0) magnitude *= -1.0;
          img = applyOp(img, op, magnitude, this.interpolation, fill);
        }
      });
      return img;
    });
  }
}

/** Options of `RandAugment`. */
export interface RandAugmentOptions {
  /** Ops applied in sequence (default 2). */
  numOps?: number;
  /** The magnitude bin used by every op (default 9). */
  magnitude?: number;
  /** Number of magnitude bins (default 31). */
  numMagnitudeBins?: number;
  interpolation?: Interpolation;
  fill?: number | number[] | null;
}

/** RandAugment (Cubuk et al., 2019): `numOps` uniformly drawn ops at one magnitude (torchvision's RandAugment). */
export class RandAugment implements Transform {
  readonly numOps: number;
  readonly magnitude: number;
  readonly numMagnitudeBins: number;
  readonly interpolation: Interpolation;
  readonly fill: number | number[] | null;
  constructor(
    ...args: WithOptions<
      [
        numOps: number,
        magnitude: number,
        numMagnitudeBins: number,
        interpolation: Interpolation,
        fill: number | number[] | null,
      ],
      RandAugmentOptions
    >
  ) {
    const o = bindArgs<RandAugmentOptions>(
      args,
      ['numOps', 'magnitude', 'numMagnitudeBins', 'interpolation', 'fill'],
      'RandAugment',
    );
    this.numOps = checkInt(o.numOps ?? 2, 'numOps', 0);
    this.numMagnitudeBins = checkInt(o.numMagnitudeBins ?? 31, 'numMagnitudeBins', 2);
    this.magnitude = checkInt(o.magnitude ?? 9, 'magnitude', 0);
    if (this.magnitude >= this.numMagnitudeBins)
      throw rangeError(`an integer below numMagnitudeBins (${this.numMagnitudeBins})`, 'magnitude', this.magnitude);
    this.interpolation = checkInterp(o.interpolation, 'nearest');
    this.fill = checkFill(o.fill);
  }

  forward(img: Tensor): Tensor {
    checkUint8Image(img);
    const [channels, height, width] = F.getDimensions(img);
    const fill = fillFor(this.fill, channels);
    const space = imagenetSpace(this.numMagnitudeBins, height, width, true, false);
    return tidy(() => {
      for (let k = 0; k < this.numOps; k++) {
        const [op, magnitudes, signed] = space[randint(0, space.length)];
        let magnitude = magnitudes !== null ? magnitudes[this.magnitude] : 0.0;
        if (signed && randint(0, 2)) magnitude *= -1.0;
        img = applyOp(img, op, magnitude, this.interpolation, fill);
      }
      return img;
    });
  }
}

/** Options of `TrivialAugmentWide`. */
export interface TrivialAugmentWideOptions {
  /** Number of magnitude bins (default 31). */
  numMagnitudeBins?: number;
  interpolation?: Interpolation;
  fill?: number | number[] | null;
}

/**
 * TrivialAugment Wide (Müller & Hutter, 2021): one uniformly drawn op at a uniformly drawn
 * magnitude of the wide ranges (torchvision's TrivialAugmentWide).
 */
export class TrivialAugmentWide implements Transform {
  readonly numMagnitudeBins: number;
  readonly interpolation: Interpolation;
  readonly fill: number | number[] | null;
  constructor(
    ...args: WithOptions<
      [numMagnitudeBins: number, interpolation: Interpolation, fill: number | number[] | null],
      TrivialAugmentWideOptions
    >
  ) {
    const o = bindArgs<TrivialAugmentWideOptions>(
      args,
      ['numMagnitudeBins', 'interpolation', 'fill'],
      'TrivialAugmentWide',
    );
    this.numMagnitudeBins = checkInt(o.numMagnitudeBins ?? 31, 'numMagnitudeBins', 2);
    this.interpolation = checkInterp(o.interpolation, 'nearest');
    this.fill = checkFill(o.fill);
  }

  forward(img: Tensor): Tensor {
    checkUint8Image(img);
    const fill = fillFor(this.fill, F.getDimensions(img)[0]);
    const n = this.numMagnitudeBins;
    const space: Space = [
      ['Identity', null, false],
      ['ShearX', lin(0.0, 0.99, n), true],
      ['ShearY', lin(0.0, 0.99, n), true],
      ['TranslateX', lin(0.0, 32.0, n), true],
      ['TranslateY', lin(0.0, 32.0, n), true],
      ['Rotate', lin(0.0, 135.0, n), true],
      ['Brightness', lin(0.0, 0.99, n), true],
      ['Color', lin(0.0, 0.99, n), true],
      ['Contrast', lin(0.0, 0.99, n), true],
      ['Sharpness', lin(0.0, 0.99, n), true],
      ['Posterize', posterizeBins(8, n, 6), false],
      ['Solarize', lin(255.0, 0.0, n), false],
      ['AutoContrast', null, false],
      ['Equalize', null, false],
    ];
    const [op, magnitudes, signed] = space[randint(0, space.length)];
    let magnitude = magnitudes !== null ? magnitudes[randint(0, magnitudes.length)] : 0.0;
    if (signed && randint(0, 2)) magnitude *= -1.0;
    return tidy(() => applyOp(img, op, magnitude, this.interpolation, fill));
  }
}

/** Options of `AugMix`. */
export interface AugMixOptions {
  /** Severity of the base ops, 1 to 10 (default 3). */
  severity?: number;
  /** Number of augmentation chains (default 3). */
  mixtureWidth?: number;
  /** Depth of each chain; negative: drawn from [1, 3] per chain (default -1). */
  chainDepth?: number;
  /** Dirichlet and Beta concentration (default 1). */
  alpha?: number;
  /** Include brightness, contrast, color and sharpness (default true). */
  allOps?: boolean;
  /** Default 'bilinear'. */
  interpolation?: Interpolation;
  fill?: number | number[] | null;
}

/** AugMix (Hendrycks et al., 2019): a Dirichlet mix of augmentation chains (torchvision's AugMix). */
export class AugMix implements Transform {
  readonly severity: number;
  readonly mixtureWidth: number;
  readonly chainDepth: number;
  readonly alpha: number;
  readonly allOps: boolean;
  readonly interpolation: Interpolation;
  readonly fill: number | number[] | null;
  constructor(
    ...args: WithOptions<
      [
        severity: number,
        mixtureWidth: number,
        chainDepth: number,
        alpha: number,
        allOps: boolean,
        interpolation: Interpolation,
        fill: number | number[] | null,
      ],
      AugMixOptions
    >
  ) {
    const o = bindArgs<AugMixOptions>(
      args,
      ['severity', 'mixtureWidth', 'chainDepth', 'alpha', 'allOps', 'interpolation', 'fill'],
      'AugMix',
    );
    this.severity = checkInt(o.severity ?? 3, 'severity', 1);
    if (this.severity > 10) throw rangeError('an integer in [1, 10]', 'severity', this.severity);
    this.mixtureWidth = checkInt(o.mixtureWidth ?? 3, 'mixtureWidth', 1);
    this.chainDepth = checkInt(o.chainDepth ?? -1, 'chainDepth');
    this.alpha = checkNumber(o.alpha ?? 1.0, 'alpha');
    if (!(this.alpha > 0)) throw rangeError('a positive number', 'alpha', this.alpha);
    this.allOps = checkBool(o.allOps ?? true, 'allOps');
    this.interpolation = checkInterp(o.interpolation, 'bilinear');
    this.fill = checkFill(o.fill);
  }

  private space(height: number, width: number): Space {
    const n = 10;
    const s: Space = [
      ['ShearX', lin(0.0, 0.3, n), true],
      ['ShearY', lin(0.0, 0.3, n), true],
      ['TranslateX', lin(0.0, width / 3.0, n), true],
      ['TranslateY', lin(0.0, height / 3.0, n), true],
      ['Rotate', lin(0.0, 30.0, n), true],
      ['Posterize', posterizeBins(4, n, 4), false],
      ['Solarize', lin(255.0, 0.0, n), false],
      ['AutoContrast', null, false],
      ['Equalize', null, false],
    ];
    if (this.allOps)
      s.push(
        ['Brightness', lin(0.0, 0.9, n), true],
        ['Color', lin(0.0, 0.9, n), true],
        ['Contrast', lin(0.0, 0.9, n), true],
        ['Sharpness', lin(0.0, 0.9, n), true],
      );
    return s;
  }

  forward(origImg: Tensor): Tensor {
    checkUint8Image(origImg);
    const [channels, height, width] = F.getDimensions(origImg);
    const fill = fillFor(this.fill, channels);
    const space = this.space(height, width);
    return tidy(() => {
      const origDims = [...origImg.shape];
      const batch = origImg.view([...new Array<number>(Math.max(4 - origImg.ndim, 0)).fill(1), ...origDims]);
      const b = batch.shape[0];
      const batchDims = [b, ...new Array<number>(batch.ndim - 1).fill(1)];
      const m = _sampleDirichlet(tensor([this.alpha, this.alpha], { dtype: 'float32' }).expand([b, -1]));
      const combined = _sampleDirichlet(
        tensor(new Array<number>(this.mixtureWidth).fill(this.alpha), { dtype: 'float32' }).expand([b, -1]),
      ).mul(m.select(1, 1).view([b, -1]));
      const mix = m.select(1, 0).view(batchDims).mul(batch);
      for (let i = 0; i < this.mixtureWidth; i++) {
        let aug = batch;
        const depth = this.chainDepth > 0 ? this.chainDepth : randint(1, 4);
        for (let k = 0; k < depth; k++) {
          const [op, magnitudes, signed] = space[randint(0, space.length)];
          let magnitude = magnitudes !== null ? magnitudes[randint(0, this.severity)] : 0.0;
          if (signed && randint(0, 2)) magnitude *= -1.0;
          aug = applyOp(aug, op, magnitude, this.interpolation, fill);
        }
        mix.add_(combined.select(1, i).view(batchDims).mul(aug));
      }
      return mix.view(origDims).to(origImg.dtype);
    });
  }
}
