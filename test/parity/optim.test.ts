// Every optimizer against real PyTorch 2.13 (scripts/reference/optim_steps.py and
// optim_resume.py). torchts initialises a small model (Linear+ReLU+Linear, plus a Linear that
// forward never uses and so never gets a gradient) and the data, and sends both to PyTorch
// with the configs below; each side then takes STEPS steps of cross entropy (LBFGS: one
// step(closure) per batch). Compared after every step: the loss, every parameter, and the
// whole optimizer state (which parameters have state, every key, every tensor and number).
// Each config without `fused` also runs with `foreach: true` (PyTorch's multi-tensor
// implementation); without `foreach` both sides take PyTorch's default, the per-parameter loop
// on the CPU.
//
// Tolerance: none. Both sides run the same libtorch kernels in the same order with the same
// double-precision scalars, so every value must be equal bit for bit (NaN where PyTorch has
// NaN: `adadelta_eps0` makes some).
//
// Resuming: torchts continues from PyTorch's own state_dict() saved with torch.save (.pth),
// PyTorch continues from torchts's stateDict() (PyTorch's load_state_dict reads it; handed over
// as safetensors + JSON, torchts's torch.save format), and torchts continues from its own state
// dict through torch.save/torch.load and from the camelCase layout torchts wrote before; every
// resumed run must end exactly where the uninterrupted PyTorch run ends.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { nn, optim, torch, type Tensor } from '../../lib/index';
import { type Fixtures, readFixtures, runReference, tempDir, under, writeFixtures } from './fixtures';

const STEPS = 8; // RAdam's rectification starts at step 6
const RESUME_AFTER = 1; // state dicts are taken after steps 0 and 1

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
type OptimizerName =
  | 'SGD'
  | 'Adam'
  | 'AdamW'
  | 'RMSprop'
  | 'Adadelta'
  | 'Adagrad'
  | 'Adamax'
  | 'NAdam'
  | 'RAdam'
  | 'ASGD'
  | 'Rprop'
  | 'LBFGS';

interface Config {
  optimizer: OptimizerName;
  options: Record<string, unknown>;
  /** Parameter groups by child module, each with its own hyper-parameters. */
  groups?: { modules: Child[]; options: Record<string, unknown> }[];
}

const groups = (a: Record<string, unknown>, b: Record<string, unknown>): Config['groups'] => [
  { modules: ['fc1'], options: a },
  { modules: ['fc2', 'unused'], options: b },
];

/** Sent to the reference scripts as JSON; camelCase options become PyTorch's snake_case there. */
const BASE: Record<string, Config> = {
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
    groups: groups({}, { lr: 0.01, nesterov: true }),
  },
  adam: { optimizer: 'Adam', options: { lr: 0.01 } },
  adam_weight_decay: { optimizer: 'Adam', options: { lr: 0.01, weightDecay: 0.1 } },
  adam_amsgrad: { optimizer: 'Adam', options: { lr: 0.01, betas: [0.8, 0.99], amsgrad: true } },
  adam_maximize_eps: { optimizer: 'Adam', options: { lr: 0.02, eps: 1e-3, weightDecay: 0.01, maximize: true } },
  adam_decoupled: { optimizer: 'Adam', options: { lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true } },
  adam_groups: {
    optimizer: 'Adam',
    options: { lr: 0.01 },
    groups: groups({ weightDecay: 0.1 }, { lr: 0.003, amsgrad: true }),
  },
  adamw: { optimizer: 'AdamW', options: { lr: 0.01 } },
  adamw_amsgrad: { optimizer: 'AdamW', options: { lr: 0.01, weightDecay: 0.1, amsgrad: true } },
  rmsprop: { optimizer: 'RMSprop', options: { lr: 0.01 } },
  rmsprop_centered_momentum: {
    optimizer: 'RMSprop',
    options: { lr: 0.01, alpha: 0.9, momentum: 0.9, centered: true, weightDecay: 0.1 },
  },
  rmsprop_maximize: { optimizer: 'RMSprop', options: { lr: 0.01, momentum: 0.5, weightDecay: 0.05, maximize: true } },
  rmsprop_groups: {
    optimizer: 'RMSprop',
    options: { lr: 0.01 },
    groups: groups({ centered: true }, { lr: 0.001, momentum: 0.9, weightDecay: 0.05 }),
  },
  adadelta: { optimizer: 'Adadelta', options: {} },
  adadelta_weight_decay_maximize: {
    optimizer: 'Adadelta',
    options: { lr: 0.5, rho: 0.8, eps: 1e-5, weightDecay: 0.1, maximize: true },
  },
  adadelta_groups: { optimizer: 'Adadelta', options: { lr: 1.0 }, groups: groups({}, { lr: 0.1, weightDecay: 0.01 }) },
  // eps 0 turns the dead ReLU units' 0/0 into NaN, on both sides.
  adadelta_eps0: { optimizer: 'Adadelta', options: { eps: 0 } },
  adagrad: { optimizer: 'Adagrad', options: { lr: 0.1 } },
  adagrad_decay: {
    optimizer: 'Adagrad',
    options: { lr: 0.1, lrDecay: 0.05, weightDecay: 0.1, initialAccumulatorValue: 0.2, eps: 1e-8 },
  },
  adagrad_maximize: { optimizer: 'Adagrad', options: { lr: 0.05, weightDecay: 0.01, maximize: true } },
  adagrad_groups: { optimizer: 'Adagrad', options: { lr: 0.1 }, groups: groups({ lrDecay: 0.1 }, { lr: 0.01 }) },
  adamax: { optimizer: 'Adamax', options: { lr: 0.01 } },
  adamax_weight_decay: { optimizer: 'Adamax', options: { lr: 0.01, weightDecay: 0.1 } },
  adamax_maximize: { optimizer: 'Adamax', options: { lr: 0.01, betas: [0.8, 0.99], weightDecay: 0.1, maximize: true } },
  adamax_groups: { optimizer: 'Adamax', options: { lr: 0.01 }, groups: groups({ eps: 1e-4 }, { lr: 0.002 }) },
  nadam: { optimizer: 'NAdam', options: { lr: 0.01 } },
  nadam_weight_decay: { optimizer: 'NAdam', options: { lr: 0.01, weightDecay: 0.1, momentumDecay: 0.01 } },
  nadam_decoupled_maximize: {
    optimizer: 'NAdam',
    options: { lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true, maximize: true },
  },
  nadam_groups: { optimizer: 'NAdam', options: { lr: 0.01 }, groups: groups({}, { lr: 0.002, betas: [0.8, 0.9] }) },
  radam: { optimizer: 'RAdam', options: { lr: 0.01 } },
  radam_weight_decay: { optimizer: 'RAdam', options: { lr: 0.01, betas: [0.9, 0.99], weightDecay: 0.1 } },
  radam_decoupled_maximize: {
    optimizer: 'RAdam',
    options: { lr: 0.01, weightDecay: 0.1, decoupledWeightDecay: true, maximize: true },
  },
  radam_groups: { optimizer: 'RAdam', options: { lr: 0.01 }, groups: groups({}, { lr: 0.003, eps: 1e-3 }) },
  asgd: { optimizer: 'ASGD', options: { lr: 0.01 } },
  asgd_averaging: { optimizer: 'ASGD', options: { lr: 0.05, lambd: 0.01, alpha: 0.5, t0: 3, weightDecay: 0.1 } },
  asgd_maximize: { optimizer: 'ASGD', options: { lr: 0.01, t0: 2, maximize: true } },
  asgd_groups: { optimizer: 'ASGD', options: { lr: 0.01, t0: 4 }, groups: groups({}, { lr: 0.05, lambd: 0.001 }) },
  rprop: { optimizer: 'Rprop', options: { lr: 0.01 } },
  rprop_custom: { optimizer: 'Rprop', options: { lr: 0.05, etas: [0.3, 1.5], stepSizes: [1e-3, 0.08] } },
  rprop_maximize: { optimizer: 'Rprop', options: { lr: 0.01, maximize: true } },
  rprop_groups: { optimizer: 'Rprop', options: { lr: 0.01 }, groups: groups({}, { lr: 0.05, etas: [0.4, 1.1] }) },
  // libtorch's fused kernels (fused=True on both sides).
  sgd_fused: { optimizer: 'SGD', options: { lr: 0.1, fused: true } },
  sgd_fused_nesterov: {
    optimizer: 'SGD',
    options: { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.05, fused: true },
  },
  sgd_fused_groups: {
    optimizer: 'SGD',
    options: { lr: 0.1, momentum: 0.9, dampening: 0.2, fused: true },
    groups: groups({}, { lr: 0.01, maximize: true }),
  },
  adam_fused: { optimizer: 'Adam', options: { lr: 0.01, weightDecay: 0.1, fused: true } },
  adam_fused_amsgrad_maximize: {
    optimizer: 'Adam',
    options: { lr: 0.01, betas: [0.8, 0.99], amsgrad: true, maximize: true, fused: true },
  },
  adamw_fused: { optimizer: 'AdamW', options: { lr: 0.01, weightDecay: 0.1, fused: true } },
  adagrad_fused: { optimizer: 'Adagrad', options: { lr: 0.1, fused: true } },
  adagrad_fused_decay_maximize: {
    optimizer: 'Adagrad',
    options: { lr: 0.1, lrDecay: 0.05, weightDecay: 0.1, initialAccumulatorValue: 0.1, maximize: true, fused: true },
  },
  // L-BFGS: step(closure), one per batch.
  lbfgs: { optimizer: 'LBFGS', options: { lr: 1, maxIter: 5 } },
  lbfgs_strong_wolfe: { optimizer: 'LBFGS', options: { lr: 1, maxIter: 10, lineSearchFn: 'strong_wolfe' } },
  lbfgs_short_history: { optimizer: 'LBFGS', options: { lr: 0.5, maxIter: 8, historySize: 2, toleranceChange: 1e-12 } },
};

/** BASE, and each config that can also run multi-tensor once more with `foreach: true`. */
const CONFIGS: Record<string, Config> = Object.fromEntries(
  Object.entries(BASE).flatMap(([name, c]) =>
    c.optimizer === 'LBFGS' || c.options.fused
      ? [[name, c]]
      : [
          [name, c],
          [`${name}_foreach`, { ...c, options: { ...c.options, foreach: true } }],
        ],
  ),
);

let dir: string;
let init: Fixtures;
let data: Fixtures;
/** The reference's fixtures by config name, then by the rest of the name ('step3/fc1.weight'). */
let ref: Record<string, Fixtures>;

function byConfig(f: Fixtures): Record<string, Fixtures> {
  const out: Record<string, Fixtures> = {};
  for (const [k, v] of Object.entries(f)) {
    const i = k.indexOf('/');
    const name = k.slice(0, i);
    out[name] = out[name] ?? {};
    out[name][k.slice(i + 1)] = v;
  }
  return out;
}

beforeAll(() => {
  // The tensors are tiny: one thread each side, so that other load on the machine does not
  // make libtorch's idle threads spin (it made these steps 100 times slower here).
  torch.setNumThreads(1);
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
  ref = byConfig(readFixtures(path.join(dir, 'out')));
}, 300_000);
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function freshNet(): Net {
  const net = new Net();
  net.loadStateDict(init);
  return net;
}

type Ctor = new (params: optim.Params, lr?: number | object, options?: object) => optim.Optimizer;

/** The optimizer of `cfg`, called as PyTorch's (lr positional) when the config has an lr. */
function makeOptimizer(net: Net, cfg: Config, lr?: number): optim.Optimizer {
  const params = cfg.groups
    ? cfg.groups.map((g) => ({ params: g.modules.flatMap((m) => net[m].parameters()), ...g.options }))
    : net.parameters();
  const { lr: given, ...rest } = cfg.options;
  const Ctor = optim[cfg.optimizer] as unknown as Ctor;
  const first = lr ?? (given as number | undefined);
  return first === undefined ? new Ctor(params, rest) : new Ctor(params, first, rest);
}

/** One training step on batch t, as the reference takes it; returns the loss. */
function step(net: Net, opt: optim.Optimizer, t: number): number {
  const lossOf = () => new nn.CrossEntropyLoss().forward(net.forward(data[`x${t}`]), data[`y${t}`]);
  return torch.tidy(() => {
    if (opt instanceof optim.LBFGS) {
      const loss = opt.step(() => {
        opt.zeroGrad();
        const l = lossOf();
        l.backward();
        return l;
      }) as Tensor;
      return loss.item() as number;
    }
    opt.zeroGrad();
    const loss = lossOf();
    loss.backward();
    opt.step();
    return loss.item() as number;
  });
}

/** Equal bit for bit (NaN where the other has NaN); the message names the worst difference. */
function expectSame(actual: Tensor | number | undefined, expected: Tensor, what: string): void {
  expect(actual, `${what}: missing`).not.toBeUndefined();
  const a =
    typeof actual === 'number' ? torch.tensor(actual, { dtype: 'float64' }) : (actual as Tensor).detach().contiguous();
  expect([...a.shape], `${what}: shape`).toEqual([...expected.shape]);
  if (typeof actual !== 'number' && expected.dtype !== 'float64')
    expect(a.dtype, `${what}: dtype`).toBe(expected.dtype);
  if (a.dtype === expected.dtype && torch.equal(a, expected)) return; // the common case, one native call
  const [same, worst] = torch.tidy(() => {
    const x = a.to('float64');
    const y = expected.to('float64');
    const nx = x.isnan();
    const ny = y.isnan();
    const diff = x.maskedFill(nx, 0).sub(y.maskedFill(ny, 0)).abs();
    const worst = diff.numel() === 0 ? 0 : (diff.max().item() as number);
    return [torch.equal(nx, ny) && worst === 0, worst] as const;
  });
  expect(same, `${what}: max |torchts - torch| = ${worst}, or NaN in different places`).toBe(true);
}

/** The optimizer state as the reference names it: 'fc1.weight/exp_avg', lists as '.../old_dirs/0'. */
function namedState(net: Net, opt: optim.Optimizer): Map<string, Tensor | number> {
  const out = new Map<string, Tensor | number>();
  const add = (key: string, v: optim.StateValue): void => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        add(`${key}/${i}`, x);
      });
    } else if (v !== null) out.set(key, v);
  };
  for (const [k, p] of net.namedParameters())
    for (const [key, v] of Object.entries(opt.state.get(p) ?? {})) add(`${k}/${key}`, v);
  return out;
}

function expectState(net: Net, opt: optim.Optimizer, expected: Fixtures, what: string): void {
  const state = namedState(net, opt);
  expect([...state.keys()].sort(), `${what}: state keys`).toEqual(Object.keys(expected).sort());
  for (const [k, v] of state) expectSame(v, expected[k], `${what}: state ${k}`);
}

function expectParams(net: Net, expected: Fixtures, what: string): void {
  expect(net.namedParameters().map(([k]) => k)).toEqual(Object.keys(expected));
  for (const [k, p] of net.namedParameters()) expectSame(p, expected[k], `${what}: ${k}`);
}

describe.each(Object.keys(CONFIGS))('%s', (name) => {
  it(`equals PyTorch for ${STEPS} steps: losses, parameters and state after each step`, () => {
    const f = ref[name];
    const net = freshNet();
    const opt = makeOptimizer(net, CONFIGS[name]);
    for (let t = 0; t < STEPS; t++) {
      const loss = step(net, opt, t);
      expectSame(loss, f[`loss${t}`].to('float64'), `loss ${t}`);
      expectParams(net, under(f, `step${t}/`), `step ${t}`);
      expectState(net, opt, under(f, `state${t}/`), `step ${t}`);
    }
    // A parameter without a gradient is skipped: unchanged.
    expect(torch.equal(net.unused.weight, init['unused.weight'])).toBe(true);
  });
});

describe("torchts resumes from PyTorch's own optimizer.state_dict() (.pth)", () => {
  it.each(Object.keys(CONFIGS))('%s', (name) => {
    const net = new Net();
    net.loadStateDict(under(ref[name], `step${RESUME_AFTER}/`)); // PyTorch's weights after that step
    // Built with another learning rate: the file's hyper-parameters must replace it.
    const opt = makeOptimizer(net, CONFIGS[name], 0.5);
    const saved = torch.load(path.join(dir, 'out', 'pth', `${name}.pth`)) as Record<string, unknown>;
    opt.loadStateDict(saved);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual((saved.param_groups as { lr: number }[]).map((g) => g.lr));
    for (let t = RESUME_AFTER + 1; t < STEPS; t++) {
      step(net, opt, t);
      expectParams(net, under(ref[name], `step${t}/`), `resumed step ${t}`);
    }
    expectState(net, opt, under(ref[name], `state${STEPS - 1}/`), 'resumed');
  });
});

describe("PyTorch's load_state_dict reads torchts's stateDict()", () => {
  let resumed: Record<string, Fixtures>;
  const savedLrs: Record<string, number[]> = {};
  beforeAll(() => {
    const ckpt = path.join(dir, 'in', 'ckpt');
    fs.mkdirSync(ckpt, { recursive: true });
    for (const [name, cfg] of Object.entries(CONFIGS)) {
      const net = freshNet();
      const opt = makeOptimizer(net, cfg);
      for (let t = 0; t <= RESUME_AFTER; t++) step(net, opt, t);
      savedLrs[name] = opt.paramGroups.map((g) => g.lr);
      torch.save(
        { model: net.stateDict(), optimizer: opt.stateDict(), after: RESUME_AFTER },
        path.join(ckpt, `${name}.safetensors`),
      );
    }
    runReference('optim_resume.py', [path.join(dir, 'in'), path.join(dir, 'resumed')]);
    resumed = byConfig(readFixtures(path.join(dir, 'resumed')));
  }, 300_000);

  it.each(Object.keys(CONFIGS))('%s: PyTorch continues exactly like the uninterrupted PyTorch run', (name) => {
    const r = resumed[name];
    // Built with lr 0.5, PyTorch's optimizer took the learning rates from torchts's state dict.
    expect([...(r.lr.toTypedArray() as Float64Array)]).toEqual(savedLrs[name]);
    for (let t = RESUME_AFTER + 1; t < STEPS; t++) {
      const want = under(ref[name], `step${t}/`);
      const got = under(r, `step${t}/`);
      expect(Object.keys(got)).toEqual(Object.keys(want));
      for (const k of Object.keys(want)) expectSame(got[k], want[k], `PyTorch resumed, step ${t}: ${k}`);
    }
    const want = under(ref[name], `state${STEPS - 1}/`);
    const got = under(r, `state${STEPS - 1}/`);
    expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
    for (const k of Object.keys(want)) expectSame(got[k], want[k], `PyTorch resumed: state ${k}`);
  });
});

describe('torchts resumes from its own stateDict(), through torch.save / torch.load', () => {
  it.each(Object.keys(CONFIGS))('%s', (name) => {
    const cfg = CONFIGS[name];
    const net = freshNet();
    const opt = makeOptimizer(net, cfg);
    for (let t = 0; t <= RESUME_AFTER; t++) step(net, opt, t);
    const file = path.join(dir, `self-${name}.safetensors`);
    torch.save({ model: net.stateDict(), optimizer: opt.stateDict() }, file);
    const ck = torch.load(file) as { model: Record<string, Tensor>; optimizer: optim.OptimizerStateDict };
    const net2 = new Net();
    net2.loadStateDict(ck.model);
    const opt2 = makeOptimizer(net2, cfg, 0.5);
    opt2.loadStateDict(ck.optimizer);
    expect(opt2.paramGroups.map((g) => g.lr)).toEqual(opt.paramGroups.map((g) => g.lr));
    for (let t = RESUME_AFTER + 1; t < STEPS; t++) step(net2, opt2, t);
    expectParams(net2, under(ref[name], `step${STEPS - 1}/`), 'resumed');
    expectState(net2, opt2, under(ref[name], `state${STEPS - 1}/`), 'resumed');
  });
});

/**
 * The state dict as torchts wrote it before it took PyTorch's layout: `paramGroups` with the
 * camelCase names of that time, and Adam's step counts as numbers.
 */
function oldLayout(sd: optim.OptimizerStateDict): Record<string, unknown> {
  const OLD: Record<string, string[]> = {
    SGD: ['lr', 'momentum', 'dampening', 'weight_decay', 'nesterov', 'maximize', 'fused'],
    Adam: ['lr', 'betas', 'eps', 'weight_decay', 'amsgrad', 'maximize', 'fused'],
  };
  const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const kind = 'momentum' in sd.param_groups[0] ? 'SGD' : 'Adam';
  return {
    state: Object.fromEntries(
      Object.entries(sd.state).map(([i, s]) => [
        i,
        Object.fromEntries(Object.entries(s).map(([k, v]) => [k, k === 'step' ? (v as Tensor).item() : v])),
      ]),
    ),
    paramGroups: sd.param_groups.map((g) => ({
      ...Object.fromEntries(OLD[kind].map((k) => [camel(k), k === 'fused' ? g[k] === true : g[k]])),
      params: g.params,
    })),
  };
}

describe('torchts reads the camelCase layout of its earlier checkpoints', () => {
  it.each(['sgd_nesterov', 'sgd_groups', 'adam_amsgrad', 'adam_groups', 'adamw', 'adam_fused'])('%s', (name) => {
    const cfg = CONFIGS[name];
    const net = freshNet();
    const opt = makeOptimizer(net, cfg);
    for (let t = 0; t <= RESUME_AFTER; t++) step(net, opt, t);
    const old = oldLayout(opt.stateDict());
    expect(old).toHaveProperty('paramGroups');
    const net2 = new Net();
    net2.loadStateDict(net.stateDict());
    const opt2 = makeOptimizer(net2, cfg, 0.5);
    opt2.loadStateDict(old);
    for (let t = RESUME_AFTER + 1; t < STEPS; t++) step(net2, opt2, t);
    expectParams(net2, under(ref[name], `step${STEPS - 1}/`), 'resumed from the old layout');
    expectState(net2, opt2, under(ref[name], `state${STEPS - 1}/`), 'resumed from the old layout');
  });
});
