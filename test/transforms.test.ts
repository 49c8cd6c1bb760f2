// vision.transforms against torchvision's own transforms code (functional_tensor.py,
// functional.py and transforms.py, run on the same PyTorch by
// scripts/reference/torchvision_transforms.py). Both sides follow the same ATen ops on the
// same libtorch in the same order, so uint8 and float results alike must be equal (tolerance
// 0; a NaN fails). The random transforms draw from the default generator as
// torchvision does, so after the same seed they must pick the same crops, flips and factors.
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { torch, TorchError, vision, type Tensor } from '../lib/index';
import { maxAbsDiff } from './compare';
import { type Fixtures, readFixtures, runReference, tempDir, writeFixtures } from './parity/fixtures';

const T = vision.transforms;
const F = vision.transforms.functional;

/** fn applied `times` times after torch.manualSeed(seed), results stacked. */
function seeded(seed: number, fn: () => Tensor, times = 1): Tensor {
  torch.manualSeed(seed);
  return torch.stack(Array.from({ length: times }, fn));
}

/** The torchts side of `cases` in torchvision_transforms.py. */
function cases(img: Tensor, fimg: Tensor, batch: Tensor): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [tag, x] of [
    ['u8', img],
    ['f32', fimg],
    ['batch', batch],
  ] as const) {
    out[`${tag}/resize_20x25`] = F.resize(x, [20, 25]);
    out[`${tag}/resize_short_24`] = F.resize(x, 24);
    out[`${tag}/resize_up_70x90`] = F.resize(x, [70, 90]);
    out[`${tag}/resize_noaa_20x25`] = F.resize(x, [20, 25], { antialias: false });
    out[`${tag}/resize_max`] = F.resize(x, [20], { maxSize: 24 });
    out[`${tag}/center_crop_24`] = F.centerCrop(x, 24);
    out[`${tag}/center_crop_21x17`] = F.centerCrop(x, [21, 17]);
    out[`${tag}/center_crop_pad_45x61`] = F.centerCrop(x, [45, 61]);
    out[`${tag}/crop_outside`] = F.crop(x, -3, 5, 20, 60);
    out[`${tag}/pad_constant`] = F.pad(x, [1, 2, 3, 4], 7);
    out[`${tag}/pad_edge`] = F.pad(x, [3], 0, 'edge');
    out[`${tag}/pad_reflect`] = F.pad(x, [2, 3], 0, 'reflect');
    out[`${tag}/pad_symmetric`] = F.pad(x, [1, 2, 3, 4], 0, 'symmetric');
    out[`${tag}/hflip`] = F.hflip(x);
    out[`${tag}/vflip`] = F.vflip(x);
    out[`${tag}/grayscale`] = F.rgbToGrayscale(x);
    const adjust = {
      brightness: F.adjustBrightness,
      contrast: F.adjustContrast,
      saturation: F.adjustSaturation,
      hue: F.adjustHue,
    };
    const factors = { brightness: [0.6, 1.7], contrast: [0.3, 1.8], saturation: [0.2, 2.5], hue: [-0.3, 0.17] };
    for (const [name, fn] of Object.entries(adjust)) {
      factors[name as keyof typeof factors].forEach((f, k) => {
        out[`${tag}/${name}_${k}`] = fn(x, f);
      });
    }
    const rrc = new T.RandomResizedCrop(24);
    out[`${tag}/random_resized_crop`] = seeded(1, () => rrc.forward(x), 6);
    const rrc2 = new T.RandomResizedCrop([20, 30], { scale: [0.5, 0.9], ratio: [0.5, 2.0] });
    out[`${tag}/random_resized_crop_20x30`] = seeded(2, () => rrc2.forward(x), 6);
    const fallback = new T.RandomResizedCrop(16, { scale: [0.9, 1.0], ratio: [3.0, 4.0] });
    out[`${tag}/random_resized_crop_fallback`] = seeded(3, () => fallback.forward(x), 2);
    const rc = new T.RandomCrop(32, { padding: 4 });
    out[`${tag}/random_crop`] = seeded(4, () => rc.forward(x), 6);
    const rc2 = new T.RandomCrop([44, 56], { padIfNeeded: true, fill: 3, paddingMode: 'constant' });
    out[`${tag}/random_crop_pad_if_needed`] = seeded(5, () => rc2.forward(x), 4);
    const rc3 = new T.RandomCrop(30, { padding: [2, 5], paddingMode: 'reflect' });
    out[`${tag}/random_crop_reflect`] = seeded(6, () => rc3.forward(x), 4);
    const flip = new T.RandomHorizontalFlip();
    out[`${tag}/random_hflip`] = seeded(7, () => flip.forward(x), 8);
    const jitter = new T.ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 });
    out[`${tag}/color_jitter`] = seeded(8, () => jitter.forward(x), 5);
    const jitter2 = new T.ColorJitter({ brightness: [0.5, 0.9], hue: [-0.2, 0.0] });
    out[`${tag}/color_jitter_ranges`] = seeded(9, () => jitter2.forward(x), 4);
    const pipeline = new T.Compose([new T.RandomResizedCrop(24), new T.RandomHorizontalFlip(), jitter]);
    out[`${tag}/pipeline`] = seeded(10, () => pipeline.forward(x), 4);
  }
  const [mean, std] = [
    [0.485, 0.456, 0.406],
    [0.229, 0.224, 0.225],
  ];
  out['norm/f32'] = new T.Normalize(mean, std).forward(fimg);
  out['norm/f64'] = new T.Normalize(mean, std).forward(fimg.double());
  out['norm/batch_inplace'] = new T.Normalize(mean, std, { inplace: true }).forward(batch.float().div(255));
  return out;
}

let dir: string;
let expected: Fixtures;
let actual: Record<string, Tensor>;
let img: Tensor;
let fimg: Tensor;
let batch: Tensor;

beforeAll(() => {
  dir = tempDir('transforms');
  torch.manualSeed(0);
  img = torch.keep(torch.randint(0, 256, [3, 40, 50], { dtype: 'uint8' }));
  batch = torch.keep(torch.randint(0, 256, [2, 3, 40, 50], { dtype: 'uint8' }));
  fimg = torch.keep(torch.rand([3, 40, 50]));
  torch.tidy(() => writeFixtures(`${dir}/in`, { img: img.to('float32'), fimg, batch: batch.to('float32') }));
  runReference('torchvision_transforms.py', [`${dir}/in`, `${dir}/out`]);
  expected = readFixtures(`${dir}/out`);
  actual = cases(img, fimg, batch);
  Object.values(actual).forEach((t) => {
    torch.keep(t);
  });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('transforms against torchvision', () => {
  it('computes every case torchvision computes', () => {
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    expect(Object.keys(actual).length).toBe(105);
  });

  for (const tag of ['u8', 'batch']) {
    it(`uint8 ${tag === 'u8' ? 'images' : 'batches'}: the same pixels, exactly`, () => {
      const bad: string[] = [];
      for (const name of Object.keys(expected).filter((k) => k.startsWith(`${tag}/`))) {
        const a = actual[name];
        expect(a.dtype, name).toBe('uint8');
        expect([...a.shape], name).toEqual([...expected[name].shape]);
        const diff = torch.tidy(() => maxAbsDiff(a.to('float32'), expected[name]));
        if (diff !== 0) bad.push(`${name}: max |diff| ${diff}`);
      }
      expect(bad).toEqual([]);
    });
  }

  it('float images: the same values, exactly', () => {
    const bad: string[] = [];
    for (const name of Object.keys(expected).filter((k) => k.startsWith('f32/'))) {
      const a = actual[name];
      expect(a.dtype, name).toBe('float32');
      expect([...a.shape], name).toEqual([...expected[name].shape]);
      if (!torch.tidy(() => torch.allclose(a, expected[name], { rtol: 0, atol: 0 })))
        bad.push(`${name}: max |diff| ${maxAbsDiff(a, expected[name])}`);
    }
    expect(bad).toEqual([]);
  });

  it("Normalize: torchvision's values in float32 and float64, in place or not, exactly", () => {
    for (const name of ['norm/f32', 'norm/f64', 'norm/batch_inplace']) {
      expect(actual[name].dtype, name).toBe(expected[name].dtype);
      expect(maxAbsDiff(actual[name], expected[name]), name).toBe(0);
    }
    expect(actual['norm/f64'].dtype).toBe('float64');
  });

  it('the random cases really vary (the comparison is not vacuous)', () => {
    torch.tidy(() => {
      const crops = actual['u8/random_resized_crop'];
      expect(torch.equal(crops.index(0), crops.index(1))).toBe(false);
      const flips = actual['u8/random_hflip'];
      const flipped = [...Array(8).keys()].map((k) => torch.equal(flips.index(k), F.hflip(img)));
      expect(flipped.some((f) => f) && flipped.some((f) => !f)).toBe(true);
      expect(torch.equal(actual['u8/hue_0'], img)).toBe(false);
    });
  });
});

describe('random crops', () => {
  it('RandomResizedCrop picks boxes inside the image, within scale and ratio', () => {
    torch.manualSeed(123);
    const image = torch.zeros([3, 37, 91], { dtype: 'uint8' });
    for (let k = 0; k < 200; k++) {
      const [i, j, h, w] = T.RandomResizedCrop.getParams(image, [0.2, 0.7], [0.5, 2]);
      expect(i >= 0 && j >= 0 && h > 0 && w > 0 && i + h <= 37 && j + w <= 91, `box ${[i, j, h, w]}`).toBe(true);
      // Rounding moves the area by less than one row or column.
      expect(h * w).toBeGreaterThan(0.2 * 37 * 91 - (h + w));
      expect(h * w).toBeLessThan(0.7 * 37 * 91 + (h + w) + 1);
    }
    expect(new T.RandomResizedCrop([17, 23]).forward(image).shape).toEqual([3, 17, 23]);
    expect(new T.RandomResizedCrop(224).forward(torch.zeros([5, 3, 37, 91])).shape).toEqual([5, 3, 224, 224]);
  });

  it('resizedCrop returns a live tensor when the crop already has the target size', () => {
    const img = torch
      .arange(3 * 20 * 20)
      .reshape([3, 20, 20])
      .to('uint8');
    const out = vision.transforms.functional.resizedCrop(img, 2, 3, 16, 16, [16, 16]);
    expect([...out.shape]).toEqual([3, 16, 16]);
    expect(torch.equal(out, img.index(':', '2:18', '3:19'))).toBe(true);
    const before = torch.memory().liveTensors;
    vision.transforms.functional.resizedCrop(img, 0, 0, 8, 8, [4, 4]).dispose();
    expect(torch.memory().liveTensors).toBeLessThanOrEqual(before);
  });

  it('RandomCrop stays inside the (padded) image and rejects crops larger than it', () => {
    torch.manualSeed(5);
    const image = torch.zeros([1, 20, 30]);
    for (let k = 0; k < 100; k++) {
      const [i, j, h, w] = T.RandomCrop.getParams(image, [8, 9]);
      expect([h, w]).toEqual([8, 9]);
      expect(i >= 0 && j >= 0 && i + 8 <= 20 && j + 9 <= 30).toBe(true);
    }
    expect(T.RandomCrop.getParams(image, [20, 30])).toEqual([0, 0, 20, 30]);
    expect(() => new T.RandomCrop(25).forward(image)).toThrow(
      /Expected a crop size no larger than the image for size but received \[25, 25\] for an image of \[20, 30\]/,
    );
    expect(new T.RandomCrop(25, { padIfNeeded: true }).forward(image).shape).toEqual([1, 25, 25]);
    expect(new T.RandomCrop([25, 40], { padIfNeeded: true }).forward(image).shape).toEqual([1, 25, 40]);
    expect(new T.RandomCrop(24, { padding: 2 }).forward(image).shape).toEqual([1, 24, 24]);
  });

  it('torch.manualSeed makes the random transforms reproducible', () => {
    const pipeline = new T.Compose([
      new T.RandomResizedCrop(16),
      new T.RandomHorizontalFlip(),
      new T.ColorJitter({ brightness: 0.5, hue: 0.2 }),
    ]);
    const run = (seed: number): Tensor => seeded(seed, () => pipeline.forward(img), 3);
    torch.tidy(() => {
      expect(torch.equal(run(42), run(42))).toBe(true);
      expect(torch.equal(run(42), run(43))).toBe(false);
    });
  });
});

describe('transforms API', () => {
  it('Resize, CenterCrop and flips keep dtype and handle batches', () => {
    torch.tidy(() => {
      expect(new T.Resize(20).forward(img).shape).toEqual([3, 20, 25]);
      expect(new T.Resize([10, 12]).forward(batch).shape).toEqual([2, 3, 10, 12]);
      expect(new T.Resize(40).forward(img)).toBe(img); // already that size
      expect(new T.CenterCrop(10).forward(fimg).dtype).toBe('float32');
      expect(torch.equal(new T.RandomHorizontalFlip(1).forward(img), img.flip(-1))).toBe(true);
      expect(new T.RandomHorizontalFlip(0).forward(img)).toBe(img);
      expect(torch.equal(new T.RandomVerticalFlip(1).forward(img), img.flip(-2))).toBe(true);
      expect(new T.Pad([1, 2]).forward(img).shape).toEqual([3, 44, 52]);
      expect(new T.Grayscale(3).forward(img).shape).toEqual([3, 40, 50]);
    });
  });

  it('Normalize normalises the input itself with inplace, a copy without, and only float images', () => {
    torch.tidy(() => {
      const x = fimg.clone();
      const copy = new T.Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25]).forward(x);
      expect(copy).not.toBe(x);
      expect(torch.equal(x, fimg)).toBe(true);
      const same = new T.Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25], { inplace: true }).forward(x);
      expect(same).toBe(x);
      expect(torch.equal(x, copy)).toBe(true);
      expect(torch.equal(x, fimg)).toBe(false);
      expect(torch.equal(copy, fimg.sub(0.5).div(0.25))).toBe(true);
    });
    const n = new T.Normalize([0.5], [0.5]);
    expect(() => n.forward(img)).toThrow(
      'Expected a floating-point image Tensor (ToTensor makes one) for input but received a uint8 Tensor',
    );
    expect(() => n.forward(torch.ones([4, 4]))).toThrow(
      'Expected an image Tensor of shape [..., C, H, W] for input but received shape [4, 4]',
    );
    expect(() => new T.Normalize([0.5], [0.5], { inplace: 1 as unknown as boolean })).toThrow(
      'Expected a boolean for inplace but received 1',
    );
    // std 1e-50 is 0 in float32 (torchvision refuses it there too) but not in float64.
    const tiny = new T.Normalize([0], [1e-50]);
    expect(() => tiny.forward(torch.ones([1, 2, 2]))).toThrow(/^Expected std values that are not 0 in float32 for std/);
    expect(
      tiny
        .forward(torch.ones([1, 2, 2], { dtype: 'float64' }))
        .max()
        .item(),
    ).toBeCloseTo(1e50, -40);
  });

  it('ToTensor and Normalize after the pixel transforms, freeing the intermediates', () => {
    const pipeline = new T.Compose([
      new T.RandomResizedCrop(24),
      new T.RandomHorizontalFlip(),
      new T.ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 }),
      new T.ToTensor(),
      new T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ]);
    pipeline.forward(img).dispose();
    const before = torch.memory().liveTensors;
    for (let k = 0; k < 5; k++) {
      const out = pipeline.forward(batch);
      expect(out.shape).toEqual([2, 3, 24, 24]);
      expect(out.dtype).toBe('float32');
      out.dispose();
    }
    expect(torch.memory().liveTensors).toBeLessThanOrEqual(before);
  });

  it('rejects bad arguments with the project messages', () => {
    expect(() => new T.Resize('a' as never)).toThrow(
      'Expected an integer (the shorter side) or an array [height, width] for size but received "a"',
    );
    expect(() => new T.Resize([1, 2, 3])).toThrow(TypeError);
    expect(() => new T.Resize(0)).toThrow('Expected an integer >= 1 for size but received 0');
    expect(() => new T.Resize([20, 30], { maxSize: 40 })).toThrow(/Expected maxSize only with a single-number size/);
    expect(() => new T.Resize(20, { interpolation: 'nearest' as never })).toThrow(
      'Expected \'bilinear\' for interpolation but received "nearest"',
    );
    expect(() => new T.CenterCrop([1, 2, 3])).toThrow(
      'Expected an integer or an array [height, width] for size but received [ 1, 2, 3 ]',
    );
    expect(() => new T.RandomResizedCrop(24, { scale: [1, 0.5] })).toThrow(
      'Expected [min, max] with min <= max for scale but received [ 1, 0.5 ]',
    );
    expect(() => new T.RandomResizedCrop(24, { ratio: [0, 1] })).toThrow(
      'Expected positive numbers for ratio but received [ 0, 1 ]',
    );
    expect(() => new T.RandomCrop(24, { padding: [1, 2, 3] })).toThrow(
      'Expected an integer or an array of 1, 2 or 4 integers for padding but received [ 1, 2, 3 ]',
    );
    expect(() => new T.RandomCrop(24, { paddingMode: 'wrap' as never })).toThrow(
      /Expected 'constant', 'edge', 'reflect' or 'symmetric' for paddingMode/,
    );
    expect(() => new T.RandomHorizontalFlip(2)).toThrow('Expected a probability in [0, 1] for p but received 2');
    expect(() => new T.ColorJitter({ hue: 0.7 })).toThrow(
      'Expected [min, max] within [-0.5, 0.5] with min <= max for hue but received [ -0.7, 0.7 ]',
    );
    expect(() => new T.ColorJitter({ saturation: [0.5, 0.2] })).toThrow(
      'Expected [min, max] within [0, Infinity] with min <= max for saturation but received [ 0.5, 0.2 ]',
    );
    expect(() => new T.ColorJitter({ brightness: -1 })).toThrow(
      'Expected a non-negative number for brightness but received -1',
    );
    expect(() => new T.ColorJitter({ brightnes: 1 } as never)).toThrow(
      /Unknown option "brightnes" for ColorJitter: did you mean brightness\?/,
    );
    expect(() => F.adjustHue(img, 0.6)).toThrow('Expected a number in [-0.5, 0.5] for hueFactor but received 0.6');
    expect(() => F.adjustBrightness(img, -0.1)).toThrow(
      'Expected a non-negative number for brightnessFactor but received -0.1',
    );
    expect(() => F.resize(torch.zeros([5]), 3)).toThrow(/at least 2 dimensions/);
    expect(() => new T.Resize(3).forward('x' as never)).toThrow(
      'Expected an image Tensor [..., C, H, W] for img but received "x"',
    );
    // libtorch's own checks arrive as TorchError.
    expect(() => F.adjustSaturation(torch.zeros([2, 5, 5]), 0.5)).toThrow(TorchError);
    expect(() => F.pad(torch.zeros([1, 3, 3]), 4, 0, 'symmetric')).toThrow(TorchError);
  });
});
