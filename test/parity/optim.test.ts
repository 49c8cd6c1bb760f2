// optim.SGD / Adam / AdamW against real PyTorch (scripts/reference/optim_steps.py, which
// uses PyTorch's single-tensor algorithms, foreach=False). torchts initialises a small
// model (Linear+ReLU+Linear, plus a Linear that forward never uses and so never gets a
// gradient) and the data, and sends both to PyTorch with the configs below; each side then
// takes 5 steps of cross entropy. Compared: the loss and every parameter after every step,
// and the final optimizer state (momentum_buffer, exp_avg, exp_avg_sq, max_exp_avg_sq,
// step), including which parameters have state at all.
//
// Tolerance 0: every loss, parameter, state tensor and step count equals PyTorch's, bit for
// bit (both run libtorch's own kernels for the update, in the same order).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { nn, optim, torch, type Tensor } from '../../lib/index';
import { expectRel as expectRelTo, withinRel } from '../compare';
import { type Fixtures, readFixtures, runReference, tempDir, under, writeFixtures } from './fixtures';

const REL = 0;
const STEPS = 5;

class Net extends nn.Module {
  fc1 = new nn.Linear(4, 8);
  act = new nn.ReLU();
  fc2 = new nn.Linear(8, 3);
  unused = new nn.Linear(2, 2);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.act.forward(this.fc1.forward(x)));
  }
}
type Child = 'fc1' | 'fc2' | 'unused';

interface Config {
  optimizer: 'SGD' | 'Adam' | 'AdamW';
  options: Record<string, unknown>;
  /** Parameter groups by child module, each with its own hyper-parameters. */
  groups?: { modules: Child[]; options: Record<string, unknown> }[];
}

/** Sent to the reference script as JSON; camelCase options become PyTorch's snake_case there. */
const CONFIGS: Record<string, Config> = {
  sgd: { optimizer: 'SGD', options: { lr: 0.1 } },
  sgd_momentum: { optimizer: 'SGD', options: { lr: 0.1, momentum: 0.9 } },
  sgd_dampening: { optimizer: 'SGD', options: { lr: 0.1, momentum: 0.9, dampening: 0.3 } },
  sgd_nesterov: { optimizer: 'SGD', options: { lr: 0.1, momentum: 0.9, nesterov: true } },
  sgd_weight_decay: { optimizer: 'SGD', options: { lr: 0.1, momentum: 0.5, weightDecay: 0.05 } },
  sgd_weight_decay_no_momentum: { optimizer: 'SGD', options: { lr: 0.1, weightDecay: 0.05 } },
  sgd_maximize: { optimizer: 'SGD', options: { lr: 0.05, momentum: 0.9, maximize: true } },
  sgd_groups: {
    optimizer: 'SGD',
    options: { lr: 0.1, momentum: 0.9 },
    groups: [
      { modules: ['fc1'], options: {} },
      { modules: ['fc2', 'unused'], options: { lr: 0.01, nesterov: true } },
    ],
  },
  adam: { optimizer: 'Adam', options: { lr: 0.01 } },
  adam_weight_decay: { optimizer: 'Adam', options: { lr: 0.01, weightDecay: 0.1 } },
  adam_amsgrad: { optimizer: 'Adam', options: { lr: 0.01, betas: [0.8, 0.99], amsgrad: true } },
  adam_maximize_eps: { optimizer: 'Adam', options: { lr: 0.02, eps: 1e-3, weightDecay: 0.01, maximize: true } },
  adam_groups: {
    optimizer: 'Adam',
    options: { lr: 0.01 },
    groups: [
      { modules: ['fc1', 'unused'], options: { weightDecay: 0.1 } },
      { modules: ['fc2'], options: { lr: 0.003, amsgrad: true } },
    ],
  },
  adamw: { optimizer: 'AdamW', options: { lr: 0.01 } },
  adamw_amsgrad: { optimizer: 'AdamW', options: { lr: 0.01, weightDecay: 0.1, amsgrad: true } },
  // libtorch's fused kernels (fused=True on both sides).
  sgd_fused: { optimizer: 'SGD', options: { lr: 0.1, fused: true } },
  sgd_fused_nesterov: {
    optimizer: 'SGD',
    options: { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.05, fused: true },
  },
  sgd_fused_groups: {
    optimizer: 'SGD',
    options: { lr: 0.1, momentum: 0.9, dampening: 0.2, fused: true },
    groups: [
      { modules: ['fc1'], options: {} },
      { modules: ['fc2', 'unused'], options: { lr: 0.01, maximize: true } },
    ],
  },
  adam_fused: { optimizer: 'Adam', options: { lr: 0.01, weightDecay: 0.1, fused: true } },
  adam_fused_amsgrad_maximize: {
    optimizer: 'Adam',
    options: { lr: 0.01, betas: [0.8, 0.99], amsgrad: true, maximize: true, fused: true },
  },
  adamw_fused: { optimizer: 'AdamW', options: { lr: 0.01, weightDecay: 0.1, fused: true } },
};

let dir: string;
let init: Fixtures;
let data: Fixtures;
let ref: Fixtures;

beforeAll(() => {
  dir = tempDir('optim-parity');
  torch.manualSeed(7);
  const net = new Net(); // torchts's default initialisation, sent to PyTorch
  init = Object.fromEntries(Object.entries(net.stateDict()).map(([k, v]) => [k, torch.keep(v.clone())]));
  data = {};
  for (let t = 0; t < STEPS; t++) {
    data[`x${t}`] = torch.keep(torch.randn([6, 4]));
    data[`y${t}`] = torch.keep(torch.randint(0, 3, [6]));
  }
  writeFixtures(path.join(dir, 'in'), {
    ...Object.fromEntries(Object.entries(init).map(([k, v]) => [`init/${k}`, v])),
    ...data,
  });
  fs.writeFileSync(path.join(dir, 'in', 'configs.json'), JSON.stringify(CONFIGS));
  runReference('optim_steps.py', [path.join(dir, 'in'), path.join(dir, 'out')]);
  ref = readFixtures(path.join(dir, 'out'));
}, 300_000);
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function freshNet(): Net {
  const net = new Net();
  net.loadStateDict(init);
  return net;
}

function makeOptimizer(net: Net, cfg: Config): optim.Optimizer {
  const params = cfg.groups
    ? cfg.groups.map((g) => ({ params: g.modules.flatMap((m) => net[m].parameters()), ...g.options }))
    : net.parameters();
  const Ctor = optim[cfg.optimizer] as new (p: optim.Params, o: object) => optim.Optimizer;
  return new Ctor(params, cfg.options);
}

/** One training step on batch t, as the reference does it; returns the loss. */
function step(net: Net, opt: optim.Optimizer, t: number): number {
  return torch.tidy(() => {
    opt.zeroGrad();
    const loss = new nn.CrossEntropyLoss().forward(net.forward(data[`x${t}`]), data[`y${t}`]);
    loss.backward();
    opt.step();
    return loss.item() as number;
  });
}

const expectLoss = (loss: number, expected: Tensor, t: number): void => {
  const e = expected.item() as number;
  expect(withinRel(loss, e, REL), `loss ${t}: torchts ${loss}, torch ${e}`).toBe(true);
};
const expectRel = (actual: Tensor | number | undefined, expected: Tensor, what: string): void =>
  expectRelTo(actual, expected, REL, what);

/** The optimizer state as fixture-style names: 'fc1.weight/exp_avg' -> tensor or step count. */
function namedState(net: Net, opt: optim.Optimizer): Map<string, Tensor | number> {
  const out = new Map<string, Tensor | number>();
  for (const [k, p] of net.namedParameters())
    for (const [key, v] of Object.entries(opt.state.get(p) ?? {})) out.set(`${k}/${key}`, v);
  return out;
}

describe.each(Object.keys(CONFIGS))('%s', (name) => {
  it(`matches PyTorch for ${STEPS} steps: losses, parameters after each step, final state`, () => {
    const f = under(ref, `${name}/`);
    const net = freshNet();
    const opt = makeOptimizer(net, CONFIGS[name]);
    for (let t = 0; t < STEPS; t++) {
      const loss = step(net, opt, t);
      expectLoss(loss, f[`loss${t}`], t);
      const expected = under(f, `step${t}/`);
      expect(net.namedParameters().map(([k]) => k)).toEqual(Object.keys(expected));
      for (const [k, p] of net.namedParameters()) expectRel(p, expected[k], `step ${t}: ${k}`);
    }
    const state = namedState(net, opt);
    const expectedState = under(f, 'state/');
    expect([...state.keys()].sort()).toEqual(Object.keys(expectedState).sort());
    for (const [k, v] of state) {
      if (k.endsWith('/step'))
        expect(typeof v === 'number' ? v : v.item(), k).toBe(expectedState[k].item()); // fused: a float32 tensor, as in PyTorch
      else expectRel(v, expectedState[k], `state ${k}`);
    }
    // A parameter without a gradient is skipped: unchanged, and no state.
    for (const p of net.unused.parameters()) expect(opt.state.has(p)).toBe(false);
    expect(torch.equal(net.unused.weight, init['unused.weight'])).toBe(true);
  });
});

describe('zeroGrad', () => {
  it('sets gradients to null by default, to zeros with setToNone = false', () => {
    const net = freshNet();
    const opt = new optim.SGD(net.parameters(), { lr: 0.1 });
    step(net, opt, 0);
    const used = [...net.fc1.parameters(), ...net.fc2.parameters()];
    for (const p of used) expect(p.grad).not.toBeNull();
    for (const p of net.unused.parameters()) expect(p.grad).toBeNull();
    opt.zeroGrad(false);
    for (const p of used) expect(torch.equal(p.grad!, torch.zerosLike(p))).toBe(true);
    opt.zeroGrad();
    for (const p of net.parameters()) expect(p.grad).toBeNull();
  });
});

describe("resuming from PyTorch's own optimizer.state_dict() (.pth)", () => {
  it.each(['sgd_nesterov', 'sgd_groups', 'adam_amsgrad', 'adam_groups', 'adamw', 'adam_fused'])(
    '%s: loaded after 2 PyTorch steps, torchts continues like PyTorch',
    (name) => {
      const cfg = CONFIGS[name];
      const net = new Net();
      net.loadStateDict(under(ref, `${name}/step1/`)); // PyTorch's weights after step 1
      // Built with another learning rate: the file's hyper-parameters must replace it.
      const opt = makeOptimizer(net, { ...cfg, options: { ...cfg.options, lr: 0.5 } });
      const saved = torch.load(path.join(dir, 'out', 'pth', `${name}.pth`)) as Record<string, unknown>;
      opt.loadStateDict(saved);
      expect(opt.paramGroups.map((g) => g.lr)).toEqual((saved.param_groups as { lr: number }[]).map((g) => g.lr));
      expect(opt.paramGroups.some((g) => 'foreach' in g || 'differentiable' in g)).toBe(false);
      for (let t = 2; t < STEPS; t++) {
        const loss = step(net, opt, t);
        const f = under(ref, `${name}/`);
        expectLoss(loss, f[`loss${t}`], t);
      }
      const expected = under(ref, `${name}/step${STEPS - 1}/`);
      for (const [k, p] of net.namedParameters()) expectRel(p, expected[k], `after resuming: ${k}`);
    },
  );

  it('rejects malformed PyTorch state dicts without changing the optimizer', () => {
    const net = freshNet();
    const opt = new optim.Adam(net.parameters(), { lr: 0.01 });
    expect(() => opt.loadStateDict({ param_groups: 'x', state: {} })).toThrow(
      /Expected an array of parameter groups for stateDict.param_groups/,
    );
    const groups = [{ params: net.parameters().map((_, i) => i), lr: 0.1, betas: [0.9, 0.999] }];
    expect(() => opt.loadStateDict({ param_groups: groups, state: { 0: { step: 'two' } } })).toThrow(
      /Expected a Tensor or a number for stateDict.state\[0\].step/,
    );
    expect(() => opt.loadStateDict({ param_groups: [{ ...groups[0], lr: -1 }], state: {} })).toThrow(
      /Expected lr >= 0/,
    );
    expect(opt.paramGroups[0].lr).toBe(0.01);
  });
});

describe('stateDict / loadStateDict', () => {
  it.each([
    'sgd_groups',
    'sgd_nesterov',
    'adam_amsgrad',
    'adam_groups',
    'adamw',
    'sgd_fused_groups',
    'adam_fused_amsgrad_maximize',
  ])('%s: a fresh optimizer loaded after 2 steps continues exactly like the original (and like PyTorch)', (name) => {
    const cfg = CONFIGS[name];
    const net = freshNet();
    const opt = makeOptimizer(net, cfg);
    step(net, opt, 0);
    step(net, opt, 1);
    const saved = opt.stateDict();
    expect(saved.paramGroups.map((g) => g.params)).toEqual(
      cfg.groups
        ? (() => {
            let i = 0;
            return opt.paramGroups.map((g) => g.params.map(() => i++));
          })()
        : [net.parameters().map((_, i) => i)],
    );
    expect(saved.paramGroups.map((g) => g.lr)).toEqual(opt.paramGroups.map((g) => g.lr));
    // A fresh model with the same weights, and an optimizer built with other hyper-parameters.
    const net2 = new Net();
    net2.loadStateDict(net.stateDict());
    const opt2 = makeOptimizer(net2, { ...cfg, options: { ...cfg.options, lr: 0.5 } });
    opt2.loadStateDict(saved);
    expect(opt2.paramGroups.map((g) => g.lr)).toEqual(opt.paramGroups.map((g) => g.lr));
    for (let t = 2; t < STEPS; t++) {
      step(net, opt, t);
      step(net2, opt2, t);
    }
    const p1 = net.namedParameters();
    const p2 = new Map(net2.namedParameters());
    for (const [k, p] of p1) expect(torch.equal(p, p2.get(k)!), k).toBe(true);
    const s1 = namedState(net, opt);
    const s2 = namedState(net2, opt2);
    expect([...s2.keys()]).toEqual([...s1.keys()]);
    for (const [k, v] of s1) {
      const w = s2.get(k)!;
      if (typeof v === 'number') expect(w, k).toBe(v);
      else expect(torch.equal(w as Tensor, v), k).toBe(true);
    }
    const final = under(ref, `${name}/step${STEPS - 1}/`);
    for (const [k, p] of net2.namedParameters()) expectRel(p, final[k], `resumed ${k}`);
  });

  it('validates hyper-parameters of every group, given or loaded, and leaves the optimizer unchanged on error', () => {
    const net = freshNet();
    expect(() => new optim.SGD([{ params: net.fc1.parameters(), momentum: -1 }], { lr: 0.1 })).toThrow(
      'Expected momentum >= 0 for momentum but received -1',
    );
    expect(() => new optim.SGD([{ params: net.fc1.parameters(), nesterov: true }], { lr: 0.1 })).toThrow(
      /Nesterov momentum requires/,
    );
    expect(() => new optim.Adam([{ params: net.fc1.parameters(), betas: [0.9, 1.5] }])).toThrow(
      /Expected two numbers in \[0, 1\) for betas/,
    );
    expect(() => new optim.Adam([{ params: net.fc1.parameters(), lr: 'fast' }])).toThrow(/Expected a number for lr/);
    const adam = new optim.Adam([{ params: net.fc1.parameters() }, { params: net.fc2.parameters() }]);
    (adam.paramGroups[0].betas as number[])[0] = 0.5; // groups own their arrays
    expect(adam.paramGroups[1].betas).toEqual([0.9, 0.999]);
    expect(adam.defaults.betas).toEqual([0.9, 0.999]);
    const sd = adam.stateDict();
    sd.paramGroups[1].lr = -3;
    expect(() => adam.loadStateDict(sd)).toThrow('Expected lr >= 0 for lr but received -3');
    expect(adam.paramGroups.map((g) => g.lr)).toEqual([1e-3, 1e-3]);
    sd.paramGroups[1].lr = 0.02;
    adam.loadStateDict(sd);
    expect(adam.paramGroups[1].lr).toBe(0.02);
    (sd.paramGroups[0].betas as number[])[1] = 0.3;
    expect(adam.paramGroups[0].betas).toEqual([0.5, 0.999]); // loading copied the arrays
    expect(
      () =>
        new optim.SGD([{ params: [new nn.Parameter(torch.ones([2], { dtype: 'int64' }), false)], fused: true }], {
          lr: 0.1,
        }),
    ).toThrow(/`fused=True` requires all the params to be floating point/);
  });

  it('rejects a state dict whose groups do not match', () => {
    const net = freshNet();
    const one = new optim.SGD(net.parameters(), { lr: 0.1 });
    const two = new optim.SGD([{ params: net.fc1.parameters() }, { params: net.fc2.parameters() }], { lr: 0.1 });
    expect(() => one.loadStateDict(two.stateDict())).toThrow(/number of parameter groups/);
    const small = new optim.SGD(net.fc1.parameters(), { lr: 0.1 });
    expect(() => small.loadStateDict(one.stateDict())).toThrow(/doesn't match the size/);
  });
});
