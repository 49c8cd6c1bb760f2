// optim.swa_utils against torch.optim.swa_utils on the same PyTorch
// (scripts/reference/swa_utils.py): the same sequence of model states folded into each kind
// of averaged model gives the same averaged state dict after every step. Both sides run the
// same elementwise ATen ops in the same order, so the tolerance is 0 (int64 buffers included).
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { nn, optim, torch, type Tensor } from '../lib/index';
import { maxAbsDiff } from './compare';
import { type Fixtures, readFixtures, runReference, tempDir, writeFixtures } from './parity/fixtures';

const { AveragedModel, ExponentialMovingAverage, getEmaAvgFn, getEmaMultiAvgFn } = optim.swa_utils;
const STEPS = 5;
const DECAY = 0.9;

function model(): nn.Module {
  return new nn.Sequential(
    new nn.Conv2d(3, 4, 3),
    new nn.BatchNorm2d(4),
    new nn.Flatten(),
    new nn.Linear(4 * 6 * 6, 5),
  );
}

let dir: string;
let expected: Fixtures;
const actual: Record<string, Tensor> = {};

beforeAll(() => {
  dir = tempDir('swa_utils');
  torch.manualSeed(0);
  const template = model();
  const states: Record<string, Tensor>[] = [];
  const fixtures: Fixtures = {};
  for (let k = 0; k < STEPS; k++) {
    const state: Record<string, Tensor> = {};
    for (const [key, v] of Object.entries(template.stateDict())) {
      state[key] =
        v.dtype === 'int64' ? torch.tensor(3 * k + 1, { dtype: 'int64' }) : torch.randn([...v.shape]).mul(k + 1);
      fixtures[`step${k}/${key}`] = state[key];
    }
    states.push(torch.keep(state));
  }
  writeFixtures(`${dir}/in`, fixtures);
  runReference('swa_utils.py', [`${dir}/in`, `${dir}/out`]);
  expected = readFixtures(`${dir}/out`);
  const variants: Record<string, (m: nn.Module) => nn.Module & { updateParameters(m: nn.Module): void }> = {
    swa: (m) => new AveragedModel(m),
    swa_buffers: (m) => new AveragedModel(m, { useBuffers: true }),
    ema_fn: (m) => new AveragedModel(m, { avgFn: getEmaAvgFn(DECAY) }),
    ema_multi: (m) => new AveragedModel(m, { multiAvgFn: getEmaMultiAvgFn(DECAY), useBuffers: true }),
    ema_tv: (m) => new ExponentialMovingAverage(m, DECAY),
  };
  for (const [name, make] of Object.entries(variants)) {
    const m = model();
    m.loadStateDict(states[0]);
    const avg = make(m);
    states.forEach((state, k) => {
      m.loadStateDict(state);
      avg.updateParameters(m);
      for (const [key, v] of Object.entries(avg.stateDict())) actual[`${name}/step${k}/${key}`] = torch.keep(v.clone());
    });
  }
}, 60_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('swa_utils against PyTorch', () => {
  it('has the same state dict keys', () => {
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  });
  it('averages exactly as PyTorch does', () => {
    const bad: string[] = [];
    for (const [name, e] of Object.entries(expected)) {
      const a = actual[name];
      expect(a.dtype, name).toBe(e.dtype);
      const diff = torch.tidy(() => maxAbsDiff(a.double(), e.double()));
      if (diff !== 0) bad.push(`${name}: ${diff}`);
    }
    expect(bad).toEqual([]);
  });
  it('the copy is independent of the model', () => {
    const m = model();
    const avg = new AveragedModel(m);
    torch.noGrad(() => m.parameters()[0].fill_(7));
    expect(avg.module.parameters()[0].eq(7).all().item()).toBe(false);
    expect(() => new AveragedModel(m, { avgFunc: null } as never)).toThrow(/avgFn/);
  });
});
