// torchts's ResNets against torchvision's (real PyTorch): same weights, same batch; forward
// in eval and train mode, loss, every gradient, BatchNorm running statistics, and every
// parameter after 3 SGD (momentum, weight decay, nesterov) and 3 AdamW steps.
//
// The reference is torchvision's model code on the PyTorch next to torchts (the same
// libtorch; scripts/reference/torchvision_models.py): the same kernels run in the same order,
// so the results are the same bits, as the README says. Every comparison asks for that:
// tolerance 0, and a NaN anywhere fails (test/compare.ts; the errors measured are printed).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { nn, optim, torch, vision, type Tensor } from '../../lib/index';
import { relError, worst } from '../compare';
import { readFixtures, runReference, under } from './fixtures';

// The reference runs with 2 intra-op threads (torch.set_num_threads(2) in the script); the same
// count here gives the kernels the same reduction order, which exact parity needs (the test
// processes otherwise run libtorch on one thread: vitest.config.mts).
torch.setNumThreads(2);

// Three training steps of a full-size model take ~10 s on an idle 2-core machine and over 60 s
// when other test files share the cores; the limit is for hangs, not speed.
const STEPS_TIMEOUT = 300_000;

const MODELS = (process.env.PARITY_MODELS?.split(',') ?? ['resnet18', 'resnet50', 'resnext50_32x4d']) as (
  | 'resnet18'
  | 'resnet50'
  | 'resnext50_32x4d'
)[];
const TOL = { output: 0, grad: 0, stats: 0, params: 0 };
const report = (what: string, err: number): number => {
  console.log(`${what}: ${err.toExponential(2)}`);
  return err;
};
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-resnet-parity-'));

beforeAll(() => {
  runReference('resnet_parity.py', [out, ...MODELS]);
}, 900_000);

afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

describe.each(MODELS)('%s', (name) => {
  let ref: Record<string, Tensor>;
  let init: Record<string, Tensor>;
  let model: vision.models.ResNet;

  function freshModel(): vision.models.ResNet {
    const m = (vision.models[name] as (o: vision.models.ResNetOptions) => vision.models.ResNet)({ numClasses: 10 });
    m.loadStateDict(init);
    return m;
  }

  function train(opt: optim.Optimizer, m: vision.models.ResNet): void {
    const criterion = new nn.CrossEntropyLoss();
    m.train();
    for (let i = 0; i < 3; i++) {
      torch.tidy(() => {
        opt.zeroGrad();
        criterion.forward(m.forward(ref.x), ref.y).backward();
        opt.step();
      });
    }
  }

  beforeAll(() => {
    ref = readFixtures(path.join(out, name));
    init = under(ref, 'init/');
    model = freshModel();
  });

  it('has torchvision state-dict keys, in torchvision order', () => {
    expect(Object.keys(model.stateDict())).toEqual(Object.keys(init));
  });

  it('matches in eval mode', () => {
    model.eval();
    const y = torch.noGrad(() => model.forward(ref.x));
    expect(report(`${name} eval output`, relError(y, ref.eval_out))).toBeLessThanOrEqual(TOL.output);
  });

  it('matches in train mode: output, loss, gradients, running statistics', () => {
    model.train();
    const logits = model.forward(ref.x);
    expect(report(`${name} train output`, relError(logits, ref.train_out))).toBeLessThanOrEqual(TOL.output);
    const loss = new nn.CrossEntropyLoss().forward(logits, ref.y);
    expect(report(`${name} loss`, relError(loss, ref.loss))).toBeLessThanOrEqual(TOL.output);
    loss.backward();
    const grads = Object.fromEntries(model.namedParameters().map(([k, p]) => [k, p.grad!]));
    const g = worst(grads, under(ref, 'grad/'));
    expect(report(`${name} worst gradient (${g.key})`, g.err)).toBeLessThanOrEqual(TOL.grad);
    const buffers = Object.fromEntries(model.namedBuffers());
    const b = worst(buffers, under(ref, 'after_train/'));
    expect(report(`${name} worst running statistic (${b.key})`, b.err)).toBeLessThanOrEqual(TOL.stats);
  });

  it('matches after 3 SGD steps (momentum 0.9, weight decay 1e-4, nesterov)', { timeout: STEPS_TIMEOUT }, () => {
    const m = freshModel();
    train(new optim.SGD(m.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true }), m);
    // The steps must have moved the weights, or this would compare the initial state.
    expect(worst(m.stateDict(), init).err).toBeGreaterThan(1e-3);
    const w = worst(m.stateDict(), under(ref, 'sgd/'));
    expect(report(`${name} after SGD, worst (${w.key})`, w.err)).toBeLessThanOrEqual(TOL.params);
    m.dispose();
  });

  it('matches after 3 AdamW steps', { timeout: STEPS_TIMEOUT }, () => {
    const m = freshModel();
    train(new optim.AdamW(m.parameters(), { lr: 1e-3, weightDecay: 0.01 }), m);
    expect(worst(m.stateDict(), init).err).toBeGreaterThan(1e-3);
    const w = worst(m.stateDict(), under(ref, 'adamw/'));
    expect(report(`${name} after AdamW, worst (${w.key})`, w.err)).toBeLessThanOrEqual(TOL.params);
    m.dispose();
  });
});
