// torchts's transformer models (ViT, Swin, MaxViT; MaxViT's BatchNorm buffers are in the
// state compared after the SGD steps) against torchvision 0.14's code on the same
// libtorch (scripts/reference/transformer_models.py): small configurations of the model
// classes, built under the same seed on both sides. The initial state (every parameter and
// buffer) must be the same bits: the same initialisation draws the same numbers. Then the
// eval-mode output (no_grad: MultiheadAttention's fast path), the train-mode output with
// dropout / stochastic depth active (each forward seeded alike on both sides, so the same
// masks are drawn), the loss, every gradient, and every parameter after 3 SGD steps
// (momentum 0.9, weight decay 1e-4, nesterov).
//
// Tolerance 0 throughout (a NaN fails too; test/compare.ts): both sides run the same kernels
// in the same order on the same 2 intra-op threads.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { nn, optim, type Tensor, torch, vision } from '../../lib/index';
import { relError, worst } from '../compare';
import { readFixtures, runReference, under } from './fixtures';

const STEPS_TIMEOUT = 300_000;
type Model = nn.Module & { forward(x: Tensor): Tensor };
const M = vision.models;

const smallVit = (o: vision.models.VisionTransformerOptions = {}): Model =>
  new M.VisionTransformer(32, 8, 2, 2, 16, 24, { numClasses: 10, ...o });

const smallSwin = (o: vision.models.SwinTransformerOptions = {}): Model =>
  new M.SwinTransformer([4, 4], 16, [2, 2], [2, 4], [4, 4], {
    dropout: 0.1,
    attentionDropout: 0.1,
    stochasticDepthProb: 0.2,
    numClasses: 10,
    ...o,
  });

/** Each case of transformer_models.py, built the same way here. */
const CASES: Record<string, () => Model> = {
  vit_small: () => smallVit({ dropout: 0.1, attentionDropout: 0.1 }),
  vit_small_repr: () => smallVit({ representationSize: 12 }),
  swin_small: () => smallSwin(),
  swin_v2_small: () =>
    smallSwin({ block: M.SwinTransformerBlockV2, downsampleLayer: (d, n) => new M.PatchMergingV2(d, n) }),
  maxvit_small: () =>
    new M.MaxVit({
      inputSize: [32, 32],
      stemChannels: 8,
      partitionSize: 2,
      blockChannels: [8, 16],
      blockLayers: [1, 2],
      headDim: 4,
      stochasticDepthProb: 0.2,
      mlpDropout: 0.1,
      attentionDropout: 0.1,
      numClasses: 10,
    }),
  swin_t: () => M.swin_t({ numClasses: 10 }),
};

torch.setNumThreads(2);
// Full-size builders at small inputs: ~2 min each on a loaded 2-core machine, so they run only
// when named (PARITY_MODELS=swin_t); the small configurations above exercise the same code.
const HEAVY = new Set(['swin_t']);
const MODELS =
  process.env.PARITY_MODELS?.split(',').filter((m) => m in CASES) ?? Object.keys(CASES).filter((m) => !HEAVY.has(m));
const report = (what: string, err: number): number => {
  console.log(`${what}: ${err.toExponential(2)}`);
  return err;
};
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-transformer-models-'));

beforeAll(() => {
  if (MODELS.length) runReference('transformer_models.py', ['parity', out, ...MODELS]);
}, 900_000);
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe.each(MODELS)('%s', (name) => {
  let ref: Record<string, Tensor>;
  let init: Record<string, Tensor>;
  let model: Model;
  const ce = new nn.CrossEntropyLoss();

  beforeAll(() => {
    ref = readFixtures(path.join(out, name));
    init = under(ref, 'init/');
    torch.manualSeed(0);
    model = CASES[name]();
  });
  afterAll(() => model?.dispose());

  it('builds torchvision state under the same seed: keys, order, shapes and values', () => {
    const mine = model.stateDict();
    expect(Object.keys(mine)).toEqual(Object.keys(init));
    const w = worst(mine, init);
    expect(report(`${name} initial state, worst (${w.key})`, w.err)).toBe(0);
  });

  it('matches in eval mode', () => {
    model.loadStateDict(init);
    model.eval();
    torch.manualSeed(99);
    const y = torch.noGrad(() => model.forward(ref.x));
    expect(report(`${name} eval output`, relError(y, ref.eval_out))).toBe(0);
  });

  it('matches in train mode: output, loss, gradients', () => {
    model.train();
    torch.manualSeed(100);
    const logits = model.forward(ref.x);
    expect(report(`${name} train output`, relError(logits, ref.train_out))).toBe(0);
    const loss = ce.forward(logits, ref.y);
    expect(report(`${name} loss`, relError(loss, ref.loss))).toBe(0);
    loss.backward();
    const grads = Object.fromEntries(model.namedParameters().map(([k, p]) => [k, p.grad!]));
    const g = worst(grads, under(ref, 'grad/'));
    expect(report(`${name} worst gradient (${g.key})`, g.err)).toBe(0);
  });

  it('matches after 3 SGD steps (momentum 0.9, weight decay 1e-4, nesterov)', { timeout: STEPS_TIMEOUT }, () => {
    model.loadStateDict(init);
    model.zeroGrad();
    model.train();
    const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true });
    for (let i = 0; i < 3; i++) {
      torch.tidy(() => {
        opt.zeroGrad();
        torch.manualSeed(101 + i);
        ce.forward(model.forward(ref.x), ref.y).backward();
        opt.step();
      });
    }
    expect(worst(model.stateDict(), init).err).toBeGreaterThan(1e-3);
    const w = worst(model.stateDict(), under(ref, 'sgd/'));
    expect(report(`${name} after SGD, worst (${w.key})`, w.err)).toBe(0);
  });
});
