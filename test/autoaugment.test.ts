// vision.transforms' augmentation (AutoAugment, RandAugment, TrivialAugmentWide, AugMix,
// RandomErasing, RandomMixup, RandomCutmix and the functional ops under them) against
// torchvision's own code on the same PyTorch (scripts/reference/torchvision_autoaugment.py).
// Both sides run the same ATen ops in the same order and draw from the default generator in
// the same order, so after the same seed every result must be equal: tolerance 0, uint8 and
// float alike. Mixup/CutMix cases need torchvision's references/classification/transforms.py
// (TORCHVISION_REFERENCES_DIR); without it that block is skipped and says so.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { torch, vision, type Tensor } from '../lib/index';
import { maxAbsDiff } from './compare';
import { type Fixtures, readFixtures, runReference, tempDir, writeFixtures } from './parity/fixtures';

const T = vision.transforms;
const F = vision.transforms.functional;
const REFS = process.env.TORCHVISION_REFERENCES_DIR;
const HAVE_REFS = REFS !== undefined && fs.existsSync(path.join(REFS, 'transforms.py'));

function seeded(seed: number, fn: () => Tensor, times = 1): Tensor {
  torch.manualSeed(seed);
  return torch.stack(Array.from({ length: times }, fn));
}

const OPS: [vision.transforms.AugmentOp, number[]][] = [
  ['ShearX', [0.3, -0.2]],
  ['ShearY', [0.25, -0.3]],
  ['TranslateX', [7.6, -12.3]],
  ['TranslateY', [5.2, -9.9]],
  ['Rotate', [17.0, -30.0]],
  ['Brightness', [0.5, -0.4]],
  ['Color', [0.7, -0.8]],
  ['Contrast', [0.6, -0.5]],
  ['Sharpness', [0.9, -0.9]],
  ['Posterize', [4.0, 6.0]],
  ['Solarize', [128.0, 229.5]],
  ['AutoContrast', [0.0]],
  ['Equalize', [0.0]],
  ['Invert', [0.0]],
];

/** The torchts side of `cases` in torchvision_autoaugment.py. */
function cases(inputs: Record<string, Tensor>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const tag of ['u8', 'low', 'f32', 'batch'] as const) {
    const x = inputs[tag];
    const u8 = x.dtype === 'uint8';
    out[`${tag}/affine`] = F.affine(x, 12.5, [3, -2], 0.9, [5.0, -7.0]);
    out[`${tag}/affine_bilinear_fill`] = F.affine(x, -33.0, [-4, 6], 1.2, [-10.0, 3.0], {
      interpolation: 'bilinear',
      fill: u8 ? [10, 20, 30] : [0.1, 0.2, 0.3],
    });
    out[`${tag}/affine_nearest_fill_center`] = F.affine(x, 45.0, [0, 0], 1.0, [0.0, 0.0], {
      fill: [7],
      center: [5, 9],
    });
    out[`${tag}/rotate`] = F.rotate(x, 30.0);
    out[`${tag}/rotate_bilinear`] = F.rotate(x, -71.0, { interpolation: 'bilinear', fill: [3] });
    out[`${tag}/invert`] = F.invert(x);
    out[`${tag}/solarize`] = F.solarize(x, u8 ? 100.0 : 0.4);
    out[`${tag}/sharpness_0`] = F.adjustSharpness(x, 0.3);
    out[`${tag}/sharpness_1`] = F.adjustSharpness(x, 2.5);
    out[`${tag}/autocontrast`] = F.autocontrast(x);
    out[`${tag}/erase`] = F.erase(x, 3, 7, 11, 13, torch.tensor([1.0, 2.0, 3.0]).view(-1, 1, 1));
    if (u8) {
      out[`${tag}/posterize_3`] = F.posterize(x, 3);
      out[`${tag}/equalize`] = F.equalize(x);
      for (const [op, mags] of OPS) {
        mags.forEach((m, k) => {
          out[`${tag}/op_${op}_${k}`] = T.applyOp(x, op, m, 'nearest', null);
          out[`${tag}/op_${op}_${k}_bilinear_fill`] = T.applyOp(x, op, m, 'bilinear', [11, 22, 33]);
        });
      }
      (['imagenet', 'cifar10', 'svhn'] as const).forEach((policy, s) => {
        const aa = new T.AutoAugment(policy);
        out[`${tag}/autoaugment_${policy}`] = seeded(20 + s, () => aa.forward(x), 12);
      });
      const aa = new T.AutoAugment('cifar10', 'bilinear', [40, 50, 60]);
      out[`${tag}/autoaugment_cifar10_bilinear_fill`] = seeded(24, () => aa.forward(x), 8);
      const ra = new T.RandAugment();
      out[`${tag}/randaugment`] = seeded(25, () => ra.forward(x), 12);
      const ra2 = new T.RandAugment({ numOps: 3, magnitude: 5, numMagnitudeBins: 11, fill: 9 });
      out[`${tag}/randaugment_3_5_11`] = seeded(26, () => ra2.forward(x), 8);
      const ta = new T.TrivialAugmentWide();
      out[`${tag}/trivialaugment`] = seeded(27, () => ta.forward(x), 16);
      const ta2 = new T.TrivialAugmentWide(8, 'bilinear');
      out[`${tag}/trivialaugment_8_bilinear`] = seeded(28, () => ta2.forward(x), 8);
      const am = new T.AugMix();
      out[`${tag}/augmix`] = seeded(29, () => am.forward(x), 4);
      const am2 = new T.AugMix({ severity: 5, mixtureWidth: 2, chainDepth: 2, alpha: 0.5, allOps: false });
      out[`${tag}/augmix_5_2_2`] = seeded(30, () => am2.forward(x), 4);
    }
    const re = new T.RandomErasing({ p: 0.7 });
    out[`${tag}/random_erasing`] = seeded(31, () => re.forward(x), 8);
    const re2 = new T.RandomErasing(1.0, [0.1, 0.5], [0.5, 2.0], [5, 6, 7]);
    out[`${tag}/random_erasing_values`] = seeded(32, () => re2.forward(x), 4);
    if (!u8) {
      const re3 = new T.RandomErasing({ p: 1.0, value: 'random' });
      out[`${tag}/random_erasing_random`] = seeded(33, () => re3.forward(x), 4);
    }
    const re4 = new T.RandomErasing({ p: 1.0, scale: [0.9, 1.0], ratio: [5.0, 6.0] });
    out[`${tag}/random_erasing_fallback`] = seeded(34, () => re4.forward(x), 2);
  }
  if (HAVE_REFS) {
    const fb = inputs.batch.to('float32').div(255);
    for (const [name, Cls] of [
      ['mixup', T.RandomMixup],
      ['cutmix', T.RandomCutmix],
    ] as const) {
      [
        { p: 1.0, alpha: 1.0 },
        { p: 0.5, alpha: 0.2 },
      ].forEach((kw, k) => {
        const t = new Cls(10, kw);
        torch.manualSeed(40 + k);
        for (let step = 0; step < 4; step++) {
          const [b, y] = t.forward(fb, inputs.labels);
          out[`mix/${name}_${k}_${step}_batch`] = b;
          out[`mix/${name}_${k}_${step}_target`] = y;
        }
      });
    }
  }
  return out;
}

let dir: string;
let expected: Fixtures;
let actual: Record<string, Tensor>;

beforeAll(() => {
  dir = tempDir('autoaugment');
  torch.manualSeed(0);
  const img = torch.randint(0, 256, [3, 40, 50], { dtype: 'uint8' });
  // A low-contrast, smooth image: autocontrast and equalize have work to do on it.
  const low = torch.tidy(() =>
    torch
      .linspace(0, 1, 50)
      .mul(torch.linspace(0, 1, 40).view(-1, 1))
      .mul(90)
      .add(torch.rand([3, 40, 50]).mul(20))
      .add(60)
      .to('uint8'),
  );
  const batch = torch.randint(0, 256, [4, 3, 40, 50], { dtype: 'uint8' });
  const fimg = torch.rand([3, 40, 50]);
  const labels = torch.tensor([3, 1, 4, 1], { dtype: 'int64' });
  const inputs = torch.keep({ u8: img, low, f32: fimg, batch, labels });
  torch.tidy(() =>
    writeFixtures(`${dir}/in`, { img: img.float(), low: low.float(), fimg, batch: batch.float(), labels }),
  );
  runReference('torchvision_autoaugment.py', [`${dir}/in`, `${dir}/out`]);
  expected = readFixtures(`${dir}/out`);
  actual = torch.keep(cases(inputs));
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('augmentation against torchvision', () => {
  it('computes every case torchvision computes', () => {
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    expect(Object.keys(actual).length).toBeGreaterThan(200);
  });

  it('the same pixels and values, exactly', () => {
    const bad: string[] = [];
    for (const name of Object.keys(expected)) {
      const a = actual[name];
      if (a === undefined) continue;
      expect([...a.shape], name).toEqual([...expected[name].shape]);
      const diff = torch.tidy(() => maxAbsDiff(a.to('float32'), expected[name]));
      if (diff !== 0) bad.push(`${name}: max |diff| ${diff}`);
    }
    expect(bad).toEqual([]);
  });

  it('keeps the dtype: uint8 in, uint8 out', () => {
    for (const [name, t] of Object.entries(actual))
      if (/^(u8|low|batch)\//.test(name)) expect(t.dtype, name).toBe('uint8');
  });

  it.skipIf(!HAVE_REFS)('mixup and cutmix (needs TORCHVISION_REFERENCES_DIR)', () => {
    expect(Object.keys(expected).filter((k) => k.startsWith('mix/')).length).toBe(32);
  });
});

describe('augmentation arguments', () => {
  it('rejects bad options, naming the nearest key', () => {
    expect(() => new T.RandAugment({ numOp: 2 } as never)).toThrow(/numOps/);
    expect(() => new T.AutoAugment('imagenett' as never)).toThrow(/imagenet/);
    expect(() => new T.AugMix({ severity: 11 })).toThrow(/severity/);
    expect(() => new T.RandomErasing({ p: 2 })).toThrow(/p/);
    expect(() => new T.RandomMixup(0)).toThrow(/numClasses/);
    expect(() => F.posterize(torch.zeros([3, 4, 4]), 3)).toThrow(/uint8/);
    expect(() => F.affine(torch.zeros([3, 4, 4]), 0, [0, 0], 1, 0, { interp: 'nearest' } as never)).toThrow(
      /interpolation/,
    );
  });
});
