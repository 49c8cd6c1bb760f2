// The training recipe of `torchts train` (lib/cli/train_recipe.ts) against torchvision's
// reference recipe run by scripts/reference/train_recipe.py on the same PyTorch: the same
// small model, initial weights and fixed batches, 3 epochs of 3 steps, for each flag
// combination that changes the arithmetic (optimizers, norm weight decay groups, warm-up +
// step/cosine/exponential schedules, label smoothing, gradient clipping, EMA, mixup, cutmix).
// Losses and learning rates per step and the final model and EMA weights must match. Both
// sides run the same ATen kernels in the same order on one thread: tolerance 0.
// Mixup/CutMix configurations need torchvision's references/classification/transforms.py
// (TORCHVISION_REFERENCES_DIR): without it they are left out on both sides.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  buildCriterion,
  buildEma,
  buildMixup,
  buildOptimizer,
  buildScheduler,
  parseRecipe,
  splitNormalizationParams,
  topkCorrect,
  trainStep,
} from '../lib/cli/train_recipe';
import { nn, torch, type Tensor } from '../lib/index';
import { GradScaler } from '../lib/torch/amp/grad_scaler';
import { maxAbsDiff } from './compare';
import { type Fixtures, readFixtures, runReference, tempDir, writeFixtures } from './parity/fixtures';

const REFS = process.env.TORCHVISION_REFERENCES_DIR;
const HAVE_REFS = REFS !== undefined && fs.existsSync(path.join(REFS, 'transforms.py'));
const EPOCHS = 3;
const STEPS = 3;
const BATCH = 8;

type Config = Record<string, string | boolean>;
const CONFIGS: Record<string, Config> = {
  sgd_nesterov_cosine_linear_warmup_ls_clip_ema: {
    opt: 'sgd-nesterov',
    lr: '0.2',
    wd: '1e-4',
    'norm-weight-decay': '0',
    'lr-scheduler': 'cosine',
    'lr-warmup-epochs': '1',
    'lr-warmup-method': 'linear',
    'lr-warmup-decay': '0.1',
    'label-smoothing': '0.1',
    'clip-grad-norm': '0.5',
    'model-ema': true,
    'model-ema-steps': '1',
    'model-ema-decay': '0.99',
  },
  sgd_step: { opt: 'sgd', lr: '0.1', momentum: '0.8', 'lr-scheduler': 'step', 'lr-step-size': '1', 'lr-gamma': '0.5' },
  rmsprop_exponential_constant_warmup_ema2: {
    opt: 'rmsprop',
    lr: '0.01',
    wd: '1e-5',
    'lr-scheduler': 'exponential',
    'lr-gamma': '0.7',
    'lr-warmup-epochs': '1',
    'lr-warmup-method': 'constant',
    'lr-warmup-decay': '0.5',
    'model-ema': true,
    'model-ema-steps': '2',
    'model-ema-decay': '0.95',
  },
  adamw_cosine_norm_wd_ls_clip: {
    opt: 'adamw',
    lr: '0.003',
    wd: '0.05',
    'norm-weight-decay': '0.0',
    'lr-scheduler': 'cosine',
    'label-smoothing': '0.2',
    'clip-grad-norm': '1.0',
  },
};
if (HAVE_REFS) {
  CONFIGS.sgd_cosine_mixup_ls = {
    opt: 'sgd',
    lr: '0.1',
    'lr-scheduler': 'cosine',
    'mixup-alpha': '0.2',
    'label-smoothing': '0.1',
    seed: '3',
  };
  CONFIGS.adamw_step_cutmix_ema = {
    opt: 'adamw',
    lr: '0.003',
    'lr-scheduler': 'step',
    'lr-step-size': '2',
    'cutmix-alpha': '1.0',
    'model-ema': true,
    'model-ema-steps': '1',
    seed: '4',
  };
}

function model(): nn.Module & { forward(x: Tensor): Tensor } {
  return new nn.Sequential(
    new nn.Conv2d(3, 8, 3, { padding: 1 }),
    new nn.BatchNorm2d(8),
    new nn.ReLU(),
    new nn.AdaptiveAvgPool2d(1),
    new nn.Flatten(),
    new nn.Linear(8, 10),
  ) as unknown as nn.Module & { forward(x: Tensor): Tensor };
}

/** The torchts side: the same pieces `torchts train` builds, stepped as its loop steps them. */
function run(cfg: Config, init: Record<string, Tensor>, batches: [Tensor, Tensor][]): Record<string, Tensor> {
  const { lr, seed, ...flags } = cfg;
  const recipe = parseRecipe(flags);
  const m = model();
  m.loadStateDict(init);
  const optimizer = buildOptimizer(m, recipe, Number(lr));
  const { scheduler, perStep } = buildScheduler(optimizer, recipe, Number(lr), EPOCHS, STEPS);
  expect(perStep).toBe(false);
  const mixup = buildMixup(recipe, 10);
  const ema = buildEma(m, recipe, 1, BATCH, EPOCHS, 'cpu');
  const state = {
    model: m,
    forward: (x: Tensor) => m.forward(x),
    criterion: buildCriterion(recipe),
    optimizer,
    scaler: new GradScaler('cpu', { enabled: false }),
    recipe,
    ema,
    autocast: <T>(fn: () => T): T => fn(),
  };
  const losses: number[] = [];
  const lrs: number[] = [];
  torch.manualSeed(Number(seed ?? 0));
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    m.train();
    batches.forEach(([x0, y0], i) => {
      torch.tidy(() => {
        const [x, y] = mixup ? mixup(x0, y0) : [x0, y0];
        lrs.push(optimizer.paramGroups[0].lr);
        const [, loss] = trainStep(state, x, y, epoch, i);
        losses.push(loss.item() as number);
      });
    });
    scheduler.step();
  }
  const out: Record<string, Tensor> = {
    loss: torch.tensor(losses, { dtype: 'float64' }),
    lr: torch.tensor(lrs, { dtype: 'float64' }),
  };
  for (const [k, v] of Object.entries(m.stateDict())) out[`model/${k}`] = v.clone();
  if (ema) for (const [k, v] of Object.entries(ema.module.stateDict())) out[`ema/${k}`] = v.clone();
  return torch.keep(out);
}

let dir: string;
let expected: Fixtures;
const actual: Record<string, Tensor> = {};

beforeAll(() => {
  dir = tempDir('train_recipe');
  torch.manualSeed(0);
  const init = torch.keep(model().stateDict());
  const fixtures: Fixtures = {};
  for (const [k, v] of Object.entries(init)) fixtures[`init/${k}`] = v;
  const batches: [Tensor, Tensor][] = [];
  for (let k = 0; k < STEPS; k++) {
    const x = torch.keep(torch.randn([BATCH, 3, 12, 12]));
    const y = torch.keep(torch.randint(0, 10, [BATCH]));
    batches.push([x, y]);
    fixtures[`x${k}`] = x;
    fixtures[`y${k}`] = y;
  }
  writeFixtures(`${dir}/in`, fixtures);
  fs.writeFileSync(`${dir}/configs.json`, JSON.stringify({ ...CONFIGS, _epochs: EPOCHS }));
  runReference('train_recipe.py', [`${dir}/in`, `${dir}/out`, `${dir}/configs.json`]);
  expected = readFixtures(`${dir}/out`);
  torch.setNumThreads(1);
  for (const [name, cfg] of Object.entries(CONFIGS))
    for (const [k, v] of Object.entries(run(cfg, init, batches))) actual[`${name}/${k}`] = v;
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the training recipe against torchvision reference code', () => {
  it('runs every configuration on both sides', () => {
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    expect(expected[`${Object.keys(CONFIGS)[0]}/loss`].shape[0]).toBe(EPOCHS * STEPS);
  });
  for (const name of Object.keys(CONFIGS)) {
    it(name, () => {
      const bad: string[] = [];
      for (const key of Object.keys(expected).filter((k) => k.startsWith(`${name}/`))) {
        const a = actual[key];
        const diff = torch.tidy(() => maxAbsDiff(a.double(), expected[key].double()));
        if (diff !== 0) bad.push(`${key}: max |diff| ${diff}`);
      }
      expect(bad).toEqual([]);
    });
  }
  it('splits normalisation parameters as torchvision does', () => {
    const [norm, other] = splitNormalizationParams(model());
    expect(norm.map((p) => [...p.shape])).toEqual([[8], [8]]);
    expect(other.length).toBe(4);
    // torchvision's norm classes: _BatchNorm (SyncBatchNorm too), _InstanceNorm, LayerNorm, GroupNorm, LocalResponseNorm.
    const mixed = new nn.Sequential(
      new nn.Conv2d(3, 4, 1),
      new nn.InstanceNorm2d(4, { affine: true }),
      new nn.GroupNorm(2, 4),
      new nn.SyncBatchNorm(4),
      new nn.Flatten(),
      new nn.LayerNorm(4),
      new nn.Linear(4, 2),
    );
    const [norms, rest] = splitNormalizationParams(mixed);
    expect(norms).toHaveLength(8);
    expect(rest).toEqual([...mixed.getSubmodule('0').parameters(), ...mixed.getSubmodule('6').parameters()]);
  });
  it('counts top-1 and top-5 hits, for index and one-hot targets', () => {
    const out = torch.tensor([
      [0.1, 0.9, 0.0, 0.0, 0.0, 0.0],
      [0.9, 0.1, 0.2, 0.3, 0.4, 0.5],
    ]);
    expect(topkCorrect(out, torch.tensor([1, 1]))).toEqual([1, 1]);
    expect(topkCorrect(out, torch.tensor([1, 0]))).toEqual([2, 2]);
    expect(topkCorrect(out, torch.tensor([0, 1]), [1, 5])).toEqual([0, 1]);
    expect(
      topkCorrect(
        out,
        torch.tensor([
          [0, 1, 0, 0, 0, 0],
          [0.7, 0.3, 0, 0, 0, 0],
        ]),
      ),
    ).toEqual([2, 2]);
  });
  it('rejects bad flag values naming the flag', () => {
    expect(() => parseRecipe({ opt: 'adam' })).toThrow(/--opt expects one of sgd/);
    expect(() => parseRecipe({ 'label-smoothing': '2' })).toThrow(/--label-smoothing/);
    expect(() => parseRecipe({ 'auto-augment': 'trivial' })).toThrow(/--auto-augment expects one of ra, ta_wide/);
  });
});
