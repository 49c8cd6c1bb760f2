// optim.lr_scheduler against real PyTorch 2.13 (scripts/reference/lr_schedules.py). Each case
// builds an optimizer (one parameter per group) and a scheduler on both sides and records,
// after construction and after each scheduler step, every group's lr, getLastLr() and
// momentum (SGD's `momentum`, Adam's `betas[0]`), plus the bookkeeping OneCycleLR and the
// base class leave in the groups (initialLr, maxLr, minLr, maxMomentum, baseMomentum).
// Cases with `resumeAt` move the optimizer's and scheduler's state dicts (through torch.save) into a
// fresh optimizer and scheduler midway, which must continue the same sequence.
//
// Tolerance: |torchts - torch| <= 1e-10 * |torch| for every value (the formulas are the same
// double-precision expressions; only Math.cos vs libm cos may differ in the last bit).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { nn, optim, torch } from '../lib/index';
import { packageRoot } from '../lib/libtorch';

const { lr_scheduler } = optim;
type Scheduler = InstanceType<typeof lr_scheduler.LRScheduler>;
const REL = 1e-10;

interface Spec {
  type:
    | 'StepLR'
    | 'MultiStepLR'
    | 'LinearLR'
    | 'CosineAnnealingLR'
    | 'OneCycleLR'
    | 'SequentialLR'
    | 'ConstantLR'
    | 'ExponentialLR'
    | 'PolynomialLR'
    | 'LambdaLR'
    | 'MultiplicativeLR'
    | 'CosineAnnealingWarmRestarts'
    | 'CyclicLR'
    | 'ChainedScheduler'
    | 'ReduceLROnPlateau';
  args?: unknown[];
  options?: Record<string, unknown>;
  schedulers?: Spec[];
  milestones?: number[];
}
interface Case {
  optimizer: 'SGD' | 'Adam' | 'AdamW';
  options: Record<string, unknown>;
  groups?: Record<string, unknown>[];
  scheduler: Spec;
  steps: number;
  resumeAt?: number;
  /** The arguments of each step() (ReduceLROnPlateau's metric, a fractional epoch). */
  stepArgs?: unknown[][];
}
/** A function both sides build the same way (lr_schedules.py's FN specs). */
type Fn =
  | { fn: 'pow'; base: number }
  | { fn: 'warmup'; steps: number }
  | { fn: 'every'; steps: number; factor: number };

function fn(spec: unknown): unknown {
  if (Array.isArray(spec)) return spec.map(fn);
  if (spec === null || typeof spec !== 'object' || !('fn' in spec)) return spec;
  const f = spec as Fn;
  if (f.fn === 'pow') return (x: number) => f.base ** x;
  if (f.fn === 'warmup') return (x: number) => Math.min(1.0, (x + 1) / f.steps);
  return (x: number) => (x % f.steps === 0 ? f.factor : 1.0);
}
const fnOptions = (o: Record<string, unknown> = {}) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, fn(v)]));

// Metrics for ReduceLROnPlateau: improving, then stalling, then improving a little.
const plateau = [1.0, 0.8, 0.7, 0.7, 0.71, 0.69, 0.7, 0.7, 0.7, 0.5, 0.5, 0.5, 0.5, 0.5, 0.49, 0.49, 0.49, 0.49, 0.49];
interface Sequences {
  lr: number[][];
  lastLr: number[][];
  momentum: number[][];
  groups: Record<string, number>[];
}

const twoGroups = [{ lr: 0.1 }, { lr: 0.01 }];
const warmupCosine: Spec = {
  type: 'SequentialLR',
  schedulers: [
    { type: 'LinearLR', options: { startFactor: 0.1, totalIters: 5 } },
    { type: 'CosineAnnealingLR', args: [15], options: { etaMin: 1e-4 } },
  ],
  milestones: [5],
};

/** Sent to the reference script as JSON; camelCase options become PyTorch's snake_case there. */
const CASES: Record<string, Case> = {
  step: {
    optimizer: 'SGD',
    options: { lr: 0.1, momentum: 0.9 },
    scheduler: { type: 'StepLR', args: [3], options: { gamma: 0.5 } },
    steps: 14,
  },
  step_groups_default_gamma: {
    optimizer: 'Adam',
    options: {},
    groups: twoGroups,
    scheduler: { type: 'StepLR', args: [2] },
    steps: 9,
  },
  step_resume_last_epoch: {
    optimizer: 'SGD',
    options: { lr: 0.05 },
    groups: [{ initialLr: 0.2 }],
    scheduler: { type: 'StepLR', args: [4], options: { gamma: 0.3, lastEpoch: 6 } },
    steps: 10,
  },
  multistep_repeated: {
    optimizer: 'SGD',
    options: { lr: 0.1 },
    groups: twoGroups,
    scheduler: { type: 'MultiStepLR', args: [[2, 5, 5, 9]], options: { gamma: 0.3 } },
    steps: 12,
  },
  linear_default: { optimizer: 'SGD', options: { lr: 0.1 }, scheduler: { type: 'LinearLR' }, steps: 9 },
  linear_decay: {
    optimizer: 'AdamW',
    options: { lr: 0.003 },
    scheduler: { type: 'LinearLR', options: { startFactor: 1, endFactor: 0.2, totalIters: 4 } },
    steps: 7,
  },
  cosine: {
    optimizer: 'SGD',
    options: { lr: 0.1 },
    groups: twoGroups,
    scheduler: { type: 'CosineAnnealingLR', args: [10], options: { etaMin: 0.001 } },
    steps: 35,
  },
  cosine_zero_min: {
    optimizer: 'Adam',
    options: { lr: 0.01 },
    scheduler: { type: 'CosineAnnealingLR', args: [7] },
    steps: 30,
  },
  cosine_resume_last_epoch: {
    optimizer: 'SGD',
    options: { lr: 0.05 },
    groups: [{ initialLr: 0.1 }],
    scheduler: { type: 'CosineAnnealingLR', args: [10], options: { lastEpoch: 3 } },
    steps: 12,
  },
  onecycle_sgd: {
    optimizer: 'SGD',
    options: { lr: 0.1, momentum: 0.9 },
    scheduler: { type: 'OneCycleLR', options: { maxLr: 0.1, totalSteps: 20 } },
    steps: 20,
  },
  onecycle_sgd_nesterov: {
    optimizer: 'SGD',
    options: { lr: 0.1, momentum: 0.9, nesterov: true },
    groups: twoGroups,
    scheduler: {
      type: 'OneCycleLR',
      options: { maxLr: [0.5, 0.05], totalSteps: 17, baseMomentum: [0.8, 0.7], maxMomentum: 0.99 },
    },
    steps: 17,
  },
  onecycle_adamw: {
    optimizer: 'AdamW',
    options: { lr: 0.001, betas: [0.9, 0.98] },
    groups: twoGroups,
    scheduler: { type: 'OneCycleLR', options: { maxLr: [0.01, 0.02], epochs: 3, stepsPerEpoch: 5 } },
    steps: 15,
  },
  onecycle_three_phase_linear: {
    optimizer: 'SGD',
    options: { lr: 0.1, momentum: 0.5 },
    scheduler: {
      type: 'OneCycleLR',
      options: {
        maxLr: 0.3,
        totalSteps: 24,
        threePhase: true,
        annealStrategy: 'linear',
        pctStart: 0.25,
        divFactor: 10,
        finalDivFactor: 100,
        baseMomentum: 0.8,
        maxMomentum: 0.9,
      },
    },
    steps: 24,
  },
  onecycle_three_phase_cos_adam: {
    optimizer: 'Adam',
    options: { lr: 0.001 },
    scheduler: { type: 'OneCycleLR', options: { maxLr: 0.004, totalSteps: 30, threePhase: true, pctStart: 0.4 } },
    steps: 30,
  },
  onecycle_no_momentum_cycle: {
    optimizer: 'Adam',
    options: { lr: 0.001 },
    scheduler: {
      type: 'OneCycleLR',
      options: { maxLr: 0.01, totalSteps: 12, cycleMomentum: false, pctStart: 0.5, annealStrategy: 'linear' },
    },
    steps: 12,
  },
  sequential_warmup_cosine: {
    optimizer: 'SGD',
    options: { lr: 0.1, momentum: 0.9 },
    groups: twoGroups,
    scheduler: warmupCosine,
    steps: 24,
  },
  sequential_three: {
    optimizer: 'AdamW',
    options: { lr: 0.01 },
    scheduler: {
      type: 'SequentialLR',
      schedulers: [
        { type: 'LinearLR', options: { totalIters: 3 } },
        { type: 'StepLR', args: [2], options: { gamma: 0.5 } },
        { type: 'MultiStepLR', args: [[1, 3, 3]], options: { gamma: 0.2 } },
      ],
      milestones: [3, 8],
    },
    steps: 14,
  },
  resume_step: {
    optimizer: 'SGD',
    options: { lr: 0.1 },
    groups: twoGroups,
    scheduler: { type: 'StepLR', args: [3], options: { gamma: 0.5 } },
    steps: 12,
    resumeAt: 5,
  },
  resume_multistep: {
    optimizer: 'SGD',
    options: { lr: 0.1 },
    scheduler: { type: 'MultiStepLR', args: [[2, 4, 4, 7]], options: { gamma: 0.5 } },
    steps: 10,
    resumeAt: 3,
  },
  resume_cosine: {
    optimizer: 'Adam',
    options: { lr: 0.01 },
    scheduler: { type: 'CosineAnnealingLR', args: [8], options: { etaMin: 0.001 } },
    steps: 20,
    resumeAt: 6,
  },
  resume_onecycle_adamw: {
    optimizer: 'AdamW',
    options: { lr: 0.001 },
    groups: twoGroups,
    scheduler: { type: 'OneCycleLR', options: { maxLr: [0.01, 0.03], totalSteps: 16, threePhase: true } },
    steps: 16,
    resumeAt: 7,
  },
  resume_onecycle_sgd: {
    optimizer: 'SGD',
    options: { lr: 0.1, momentum: 0.9 },
    scheduler: { type: 'OneCycleLR', options: { maxLr: 1, totalSteps: 10 } },
    steps: 10,
    resumeAt: 2,
  },
  resume_sequential: { optimizer: 'SGD', options: { lr: 0.1 }, scheduler: warmupCosine, steps: 24, resumeAt: 8 },
  resume_sequential_in_warmup: {
    optimizer: 'SGD',
    options: { lr: 0.1 },
    scheduler: warmupCosine,
    steps: 12,
    resumeAt: 2,
  },
};

Object.assign(CASES, {
  constant: { optimizer: 'SGD', options: { lr: 0.1 }, groups: twoGroups, scheduler: { type: 'ConstantLR' }, steps: 8 },
  constant_factor: {
    optimizer: 'Adam',
    options: { lr: 0.01 },
    scheduler: { type: 'ConstantLR', options: { factor: 0.5, totalIters: 3 } },
    steps: 6,
  },
  exponential: {
    optimizer: 'SGD',
    options: { lr: 0.1 },
    groups: twoGroups,
    scheduler: { type: 'ExponentialLR', args: [0.9] },
    steps: 12,
  },
  polynomial: {
    optimizer: 'SGD',
    options: { lr: 0.1 },
    scheduler: { type: 'PolynomialLR', options: { totalIters: 6, power: 2 } },
    steps: 9,
  },
  polynomial_default: { optimizer: 'AdamW', options: { lr: 0.01 }, scheduler: { type: 'PolynomialLR' }, steps: 7 },
  lambda: {
    optimizer: 'SGD',
    options: { lr: 0.1 },
    groups: twoGroups,
    scheduler: {
      type: 'LambdaLR',
      args: [
        [
          { fn: 'warmup', steps: 4 },
          { fn: 'pow', base: 0.9 },
        ],
      ],
    },
    steps: 10,
  },
  lambda_one: {
    optimizer: 'Adam',
    options: { lr: 0.01 },
    scheduler: { type: 'LambdaLR', args: [{ fn: 'pow', base: 0.8 }] },
    steps: 8,
  },
  multiplicative: {
    optimizer: 'SGD',
    options: { lr: 0.1 },
    groups: twoGroups,
    scheduler: { type: 'MultiplicativeLR', args: [{ fn: 'every', steps: 3, factor: 0.5 }] },
    steps: 10,
  },
  warm_restarts: {
    optimizer: 'SGD',
    options: { lr: 0.1 },
    groups: twoGroups,
    scheduler: { type: 'CosineAnnealingWarmRestarts', args: [4], options: { etaMin: 0.001 } },
    steps: 14,
  },
  warm_restarts_mult: {
    optimizer: 'SGD',
    options: { lr: 0.1 },
    scheduler: { type: 'CosineAnnealingWarmRestarts', args: [2], options: { tMult: 2 } },
    steps: 16,
  },
  warm_restarts_fractional: {
    optimizer: 'Adam',
    options: { lr: 0.01 },
    scheduler: { type: 'CosineAnnealingWarmRestarts', args: [3], options: { tMult: 2, etaMin: 1e-4 } },
    steps: 12,
    stepArgs: Array.from({ length: 12 }, (_, t) => [(t + 1) * 0.75]),
  },
  cyclic_sgd: {
    optimizer: 'SGD',
    options: { lr: 0.1, momentum: 0.9 },
    groups: twoGroups,
    scheduler: { type: 'CyclicLR', args: [0.01, [0.1, 0.05]], options: { stepSizeUp: 3, stepSizeDown: 2 } },
    steps: 14,
  },
  cyclic_triangular2: {
    optimizer: 'SGD',
    options: { lr: 0.1, momentum: 0.9 },
    scheduler: { type: 'CyclicLR', args: [0.001, 0.1], options: { stepSizeUp: 2, mode: 'triangular2' } },
    steps: 14,
  },
  cyclic_exp_range_adam: {
    optimizer: 'Adam',
    options: { lr: 0.001 },
    scheduler: {
      type: 'CyclicLR',
      args: [0.001, 0.01],
      options: { stepSizeUp: 3, mode: 'exp_range', gamma: 0.9, baseMomentum: 0.85, maxMomentum: 0.95 },
    },
    steps: 13,
  },
  cyclic_custom_no_momentum: {
    optimizer: 'Adam',
    options: { lr: 0.001 },
    scheduler: {
      type: 'CyclicLR',
      args: [0.001, 0.004],
      options: { stepSizeUp: 2, scaleFn: { fn: 'pow', base: 0.5 }, scaleMode: 'iterations', cycleMomentum: false },
    },
    steps: 10,
  },
  chained: {
    optimizer: 'SGD',
    options: { lr: 0.1 },
    groups: twoGroups,
    scheduler: {
      type: 'ChainedScheduler',
      schedulers: [
        { type: 'ConstantLR', options: { factor: 0.1, totalIters: 2 } },
        { type: 'ExponentialLR', args: [0.9] },
      ],
    },
    steps: 8,
  },
  plateau: {
    optimizer: 'SGD',
    options: { lr: 0.1 },
    groups: twoGroups,
    scheduler: { type: 'ReduceLROnPlateau', options: { patience: 2, factor: 0.5, minLr: [0.02, 0.001] } },
    steps: plateau.length,
    stepArgs: plateau.map((m) => [m]),
  },
  plateau_max_abs_cooldown: {
    optimizer: 'Adam',
    options: { lr: 0.01 },
    scheduler: {
      type: 'ReduceLROnPlateau',
      options: { mode: 'max', threshold: 0.05, thresholdMode: 'abs', patience: 1, cooldown: 2, factor: 0.3 },
    },
    steps: plateau.length,
    stepArgs: plateau.map((m) => [1 - m]),
  },
  resume_cyclic: {
    optimizer: 'SGD',
    options: { lr: 0.1, momentum: 0.9 },
    scheduler: { type: 'CyclicLR', args: [0.01, 0.1], options: { stepSizeUp: 3, mode: 'triangular2' } },
    steps: 14,
    resumeAt: 5,
  },
  resume_warm_restarts: {
    optimizer: 'SGD',
    options: { lr: 0.1 },
    scheduler: { type: 'CosineAnnealingWarmRestarts', args: [3], options: { tMult: 2 } },
    steps: 15,
    resumeAt: 4,
  },
  resume_chained: {
    optimizer: 'SGD',
    options: { lr: 0.1 },
    scheduler: {
      type: 'ChainedScheduler',
      schedulers: [
        { type: 'LinearLR', options: { totalIters: 4 } },
        { type: 'ExponentialLR', args: [0.8] },
      ],
    },
    steps: 9,
    resumeAt: 3,
  },
  resume_plateau: {
    optimizer: 'SGD',
    options: { lr: 0.1 },
    scheduler: { type: 'ReduceLROnPlateau', options: { patience: 1, cooldown: 1 } },
    steps: plateau.length,
    stepArgs: plateau.map((m) => [m]),
    resumeAt: 6,
  },
  resume_lambda: {
    optimizer: 'SGD',
    options: { lr: 0.1 },
    scheduler: { type: 'LambdaLR', args: [{ fn: 'warmup', steps: 5 }] },
    steps: 8,
    resumeAt: 2,
  },
} satisfies Record<string, Case>);

/** Runs scripts/reference/lr_schedules.py with real PyTorch ($TORCHTS_PYTHON or python3). */
function reference(cases: Record<string, Case>): Record<string, Sequences> {
  const root = packageRoot();
  const dirs = [path.join(root, '.deps', 'python')].filter((d) => fs.existsSync(d));
  if (process.env.PYTHONPATH) dirs.push(process.env.PYTHONPATH);
  const out = execFileSync(
    process.env.TORCHTS_PYTHON || 'python3',
    [path.join(root, 'scripts', 'reference', 'lr_schedules.py'), JSON.stringify(cases)],
    {
      env: { ...process.env, PYTHONPATH: dirs.join(path.delimiter) },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    },
  );
  return JSON.parse(out) as Record<string, Sequences>;
}

function makeOptimizer(c: Case): optim.Optimizer {
  const params = (c.groups ?? [{}]).map(() => new nn.Parameter(torch.zeros([2])));
  const arg = c.groups ? c.groups.map((g, i) => ({ params: [params[i]], ...g })) : params;
  const Ctor = optim[c.optimizer] as new (p: optim.Params, o: object) => optim.Optimizer;
  return new Ctor(arg, c.options);
}

function makeScheduler(opt: optim.Optimizer, spec: Spec): Scheduler {
  if (spec.type === 'SequentialLR') {
    const subs = (spec.schedulers ?? []).map((s) => makeScheduler(opt, s));
    return new lr_scheduler.SequentialLR(opt, subs, spec.milestones ?? [], spec.options);
  }
  if (spec.type === 'ChainedScheduler') {
    return new lr_scheduler.ChainedScheduler((spec.schedulers ?? []).map((s) => makeScheduler(opt, s)));
  }
  const Ctor = lr_scheduler[spec.type] as unknown as new (...a: unknown[]) => Scheduler;
  return new Ctor(opt, ...(spec.args ?? []).map(fn), fnOptions(spec.options));
}

function dispose(opt: optim.Optimizer): void {
  for (const g of opt.paramGroups) for (const p of g.params) p.dispose();
}

/** The torchts side of lr_schedules.py's `run`. */
function run(c: Case): Sequences {
  const out: Sequences = { lr: [], lastLr: [], momentum: [], groups: [] };
  const record = (o: optim.Optimizer, s: Scheduler): void => {
    out.lr.push(o.paramGroups.map((g) => g.lr));
    out.lastLr.push(s.getLastLr());
    out.momentum.push(
      o.paramGroups.map((g) => (Array.isArray(g.betas) ? (g.betas[0] as number) : (g.momentum as number))),
    );
  };
  let opt = makeOptimizer(c);
  let sched = makeScheduler(opt, c.scheduler);
  record(opt, sched);
  for (let t = 1; t <= c.steps; t++) {
    if (t - 1 === c.resumeAt) {
      // Through a checkpoint file, as a training script saves them.
      const file = path.join(os.tmpdir(), `torchts-lr-${process.pid}.safetensors`);
      torch.save({ optimizer: opt.stateDict(), scheduler: sched.stateDict() }, file);
      const ck = torch.load(file) as { optimizer: optim.OptimizerStateDict; scheduler: Record<string, unknown> };
      fs.rmSync(file);
      dispose(opt);
      opt = makeOptimizer(c);
      sched = makeScheduler(opt, c.scheduler);
      opt.loadStateDict(ck.optimizer);
      sched.loadStateDict(ck.scheduler);
    }
    (sched.step as (...a: unknown[]) => void)(...(c.stepArgs?.[t - 1] ?? []));
    record(opt, sched);
  }
  const keys = ['initialLr', 'maxLr', 'minLr', 'maxMomentum', 'baseMomentum'];
  out.groups = opt.paramGroups.map((g) =>
    Object.fromEntries(keys.filter((k) => k in g).map((k) => [k, g[k] as number])),
  );
  dispose(opt);
  return out;
}

function expectSequence(actual: number[][], expected: number[][], what: string): void {
  expect(
    actual.map((r) => r.length),
    `${what}: shape`,
  ).toEqual(expected.map((r) => r.length));
  expected.forEach((row, t) => {
    row.forEach((e, i) => {
      const a = actual[t][i];
      expect(Math.abs(a - e) <= REL * Math.abs(e), `${what}[step ${t}][group ${i}]: torchts ${a}, torch ${e}`).toBe(
        true,
      );
    });
  });
}

describe('lr_scheduler against PyTorch', () => {
  let ref: Record<string, Sequences>;
  beforeAll(() => {
    ref = reference(CASES);
  });

  for (const [name, c] of Object.entries(CASES)) {
    it(name, () => {
      const got = run(c);
      const want = ref[name];
      expect(want, `reference output for ${name}`).toBeTruthy();
      expect(got.lr.length).toBe(c.steps + 1);
      expectSequence(got.lr, want.lr, `${name} lr`);
      expectSequence(got.lastLr, want.lastLr, `${name} getLastLr()`);
      expectSequence(got.momentum, want.momentum, `${name} momentum`);
      expect(
        got.groups.map((g) => Object.keys(g).sort()),
        `${name} group keys`,
      ).toEqual(want.groups.map((g) => Object.keys(g).sort()));
      want.groups.forEach((g, i) => {
        for (const [k, v] of Object.entries(g)) {
          expect(Math.abs(got.groups[i][k] - v) <= REL * Math.abs(v), `${name} group ${i} ${k}`).toBe(true);
        }
      });
    });
  }
});

describe('lr_scheduler API', () => {
  const sgd = (options: optim.SGDOptions = { lr: 0.1, momentum: 0.9 }) =>
    new optim.SGD([new nn.Parameter(torch.zeros([2]))], options);

  it('sets initialLr once, and getLastLr returns a copy', () => {
    const opt = sgd();
    const a = new lr_scheduler.StepLR(opt, 2);
    opt.paramGroups[0].lr = 0.5;
    new lr_scheduler.StepLR(opt, 2);
    expect(opt.paramGroups[0].initialLr).toBe(0.1);
    const last = a.getLastLr();
    last[0] = 123;
    expect(a.getLastLr()).toEqual([0.1]);
    expect(a.lastEpoch).toBe(0);
    expect(a.baseLrs).toEqual([0.1]);
  });

  it('state dicts are plain JSON with the scheduler fields', () => {
    const opt = sgd();
    const s = new lr_scheduler.MultiStepLR(opt, [3, 3, 5], { gamma: 0.5 });
    s.step();
    const sd = s.stateDict();
    expect(JSON.parse(JSON.stringify(sd))).toEqual(sd);
    expect(sd).toMatchObject({ lastEpoch: 1, baseLrs: [0.1], lastLr: [0.1], milestones: { 3: 2, 5: 1 }, gamma: 0.5 });
    expect(sd).not.toHaveProperty('optimizer');
    const seq = new lr_scheduler.SequentialLR(
      opt,
      [new lr_scheduler.LinearLR(opt), new lr_scheduler.CosineAnnealingLR(opt, 4)],
      [2],
    );
    const ssd = seq.stateDict();
    expect(JSON.parse(JSON.stringify(ssd))).toEqual(ssd);
    expect((ssd.schedulers as unknown[]).length).toBe(2);
    expect(() => s.loadStateDict({ ...sd, bogus: 1 })).toThrow(/loaded state dict has the key "bogus"/);
    expect(() => s.loadStateDict({ lastEpoch: 'x' })).toThrow(
      'Expected a number for stateDict.lastEpoch but received "x"',
    );
    expect(() => s.loadStateDict({ baseLrs: [1, 2] })).toThrow(
      'Expected 1 values (one per parameter group) for stateDict.baseLrs',
    );
    expect(() => seq.loadStateDict({ ...ssd, schedulers: [] })).toThrow(
      'Expected an array of 2 state dicts for stateDict.schedulers',
    );
  });

  it('rejects bad arguments with clear messages', () => {
    const opt = sgd();
    expect(() => new lr_scheduler.StepLR({} as optim.Optimizer, 2)).toThrow(
      'Expected an Optimizer for optimizer but received {}',
    );
    expect(() => new lr_scheduler.StepLR(opt, 0)).toThrow('Expected an integer >= 1 for stepSize but received 0');
    expect(() => new lr_scheduler.StepLR(opt, 2, { gamma: '0.1' as unknown as number })).toThrow(
      'Expected a number for gamma but received "0.1"',
    );
    expect(() => new lr_scheduler.StepLR(opt, 2, { lastEpoch: -2 })).toThrow(
      'Expected an integer >= -1 for lastEpoch but received -2',
    );
    expect(() => new lr_scheduler.MultiStepLR(opt, [1.5])).toThrow(
      'Expected an array of integers for milestones but received [ 1.5 ]',
    );
    expect(() => new lr_scheduler.LinearLR(opt, { startFactor: 0 })).toThrow(
      'Expected a number in (0, 1] for startFactor but received 0',
    );
    expect(() => new lr_scheduler.LinearLR(opt, { endFactor: 1.5 })).toThrow(
      'Expected a number in [0, 1] for endFactor but received 1.5',
    );
    expect(() => new lr_scheduler.CosineAnnealingLR(opt, 0)).toThrow(
      'Expected an integer >= 1 for tMax but received 0',
    );
    expect(() => new lr_scheduler.CosineAnnealingLR(sgd(), 5, { lastEpoch: 3 })).toThrow(
      /paramGroups\[0\] has no initialLr/,
    );
    expect(() => new lr_scheduler.OneCycleLR(opt, { maxLr: 0.1 })).toThrow(
      'Expected totalSteps, or epochs and stepsPerEpoch for options',
    );
    expect(() => new lr_scheduler.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 0 })).toThrow(
      'Expected an integer >= 1 for totalSteps but received 0',
    );
    expect(() => new lr_scheduler.OneCycleLR(opt, { maxLr: [0.1, 0.2], totalSteps: 5 })).toThrow(
      'Expected 1 values (one per parameter group) for maxLr',
    );
    expect(() => new lr_scheduler.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 5, pctStart: 2 })).toThrow(
      'Expected a number in [0, 1] for pctStart but received 2',
    );
    const strategy = 'exp' as 'cos';
    expect(() => new lr_scheduler.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 5, annealStrategy: strategy })).toThrow(
      `Expected 'cos' or 'linear' for annealStrategy but received "exp"`,
    );
    const other = sgd();
    const foreign = new lr_scheduler.StepLR(other, 2);
    expect(() => new lr_scheduler.SequentialLR(opt, [], [])).toThrow(
      'Expected a non-empty array of schedulers for schedulers but received []',
    );
    expect(() => new lr_scheduler.SequentialLR(opt, [foreign], [])).toThrow(
      'Expected a scheduler of the same optimizer for schedulers[0] but received "StepLR"',
    );
    const mine = [new lr_scheduler.LinearLR(opt), new lr_scheduler.StepLR(opt, 2)];
    expect(() => new lr_scheduler.SequentialLR(opt, mine, [])).toThrow(
      'Expected 1 milestones (one fewer than the schedulers) for milestones but received []',
    );
  });

  it('the new schedulers reject bad arguments and unknown options', () => {
    const opt = sgd();
    const cases: [() => unknown, string | RegExp][] = [
      [
        () => new lr_scheduler.StepLR(opt, 2, { gama: 0.5 } as object),
        /Unknown option "gama" for StepLR: did you mean gamma\?/,
      ],
      [() => new lr_scheduler.ConstantLR(opt, { factor: 2 }), 'Expected a number in [0, 1] for factor but received 2'],
      [() => new lr_scheduler.ConstantLR(opt, { total_iters: 3 } as object), /did you mean totalIters\?/],
      [
        () => new lr_scheduler.ExponentialLR(opt, '0.9' as unknown as number),
        'Expected a number for gamma but received "0.9"',
      ],
      [
        () => new lr_scheduler.PolynomialLR(opt, { totalIters: 0 }),
        'Expected an integer >= 1 for totalIters but received 0',
      ],
      [
        () => new lr_scheduler.LambdaLR(opt, 0.5 as unknown as optim.lr_scheduler.LrLambda),
        'Expected a function for lrLambda but received 0.5',
      ],
      [
        () => new lr_scheduler.LambdaLR(opt, [(e) => e, (e) => e]),
        'Expected 1 functions (one per parameter group) for lrLambda',
      ],
      [
        () => new lr_scheduler.MultiplicativeLR(opt, [null as unknown as optim.lr_scheduler.LrLambda]),
        'Expected a function for lrLambda[0] but received null',
      ],
      [() => new lr_scheduler.CosineAnnealingWarmRestarts(opt, 0), 'Expected an integer >= 1 for t0 but received 0'],
      [
        () => new lr_scheduler.CosineAnnealingWarmRestarts(opt, 2, { tMult: 1.5 }),
        'Expected an integer for tMult but received 1.5',
      ],
      [
        () => new lr_scheduler.CyclicLR(opt, 0.01, 0.1, { mode: 'sine' as 'triangular' }),
        /Expected 'triangular', 'triangular2' or 'exp_range'/,
      ],
      [
        () => new lr_scheduler.CyclicLR(opt, [0.01, 0.02], 0.1),
        'Expected 1 values (one per parameter group) for baseLr',
      ],
      [() => new lr_scheduler.CyclicLR(opt, 0.01, 0.1, { step_size_up: 4 } as object), /did you mean stepSizeUp\?/],
      [
        () => new lr_scheduler.ReduceLROnPlateau(opt, { factor: 1 }),
        'Expected a factor < 1.0 for factor but received 1',
      ],
      [
        () => new lr_scheduler.ReduceLROnPlateau(opt, { mode: 'up' as 'min' }),
        `Expected 'min' or 'max' for mode but received "up"`,
      ],
      [() => new lr_scheduler.ReduceLROnPlateau(opt, { min_lr: 0.1 } as object), /did you mean minLr\?/],
      [
        () => new lr_scheduler.ChainedScheduler([]),
        'Expected a non-empty array of schedulers for schedulers but received []',
      ],
      [() => new lr_scheduler.ChainedScheduler([new lr_scheduler.ReduceLROnPlateau(opt)]), /not ReduceLROnPlateau/],
      [
        () => new lr_scheduler.ChainedScheduler([new lr_scheduler.StepLR(sgd(), 2)], opt),
        /a scheduler of the same optimizer/,
      ],
    ];
    for (const [make, message] of cases) expect(make).toThrow(message);
    const plain = new optim.Adagrad([new nn.Parameter(torch.zeros([1]))]);
    expect(() => new lr_scheduler.CyclicLR(plain, 0.01, 0.1)).toThrow(/optimizer must support momentum or beta1/);
    const plateau = new lr_scheduler.ReduceLROnPlateau(opt);
    expect(() => plateau.step()).toThrow(/Expected the metric/);
    plateau.step(torch.tensor(0.5));
    expect(plateau.best).toBe(0.5);
  });

  it("state dicts leave functions out, and keep ReduceLROnPlateau's infinities through torch.save", () => {
    const opt = sgd();
    const lambda = new lr_scheduler.LambdaLR(opt, (e) => 0.5 ** e);
    lambda.step();
    expect(Object.keys(lambda.stateDict()).sort()).toEqual(['baseLrs', 'lastEpoch', 'lastLr', 'stepCount']);
    const plateau = new lr_scheduler.ReduceLROnPlateau(sgd());
    expect(plateau.stateDict().best).toBe(Infinity);
    expect(plateau.stateDict()).not.toHaveProperty('initialLr');
    const file = path.join(os.tmpdir(), `torchts-plateau-${process.pid}.safetensors`);
    torch.save(plateau.stateDict(), file);
    const back = torch.load(file) as Record<string, unknown>;
    fs.rmSync(file);
    expect(back).toEqual(plateau.stateDict());
    const other = new lr_scheduler.ReduceLROnPlateau(sgd());
    other.loadStateDict(back);
    expect(other.best).toBe(Infinity);
    const chained = new lr_scheduler.ChainedScheduler([
      new lr_scheduler.ConstantLR(opt),
      new lr_scheduler.StepLR(opt, 2),
    ]);
    expect((chained.stateDict().schedulers as unknown[]).length).toBe(2);
    expect(() => chained.loadStateDict({ schedulers: [] })).toThrow(
      'Expected an array of 2 state dicts for stateDict.schedulers',
    );
  });

  it('OneCycleLR refuses to step past totalSteps, and needs a momentum to cycle', () => {
    const opt = sgd();
    const s = new lr_scheduler.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 3 });
    for (let i = 0; i < 3; i++) s.step();
    expect(() => s.step()).toThrow('Tried to step 4 times. The specified number of total steps is 3');
    class Plain extends optim.Optimizer {
      step(): void {}
    }
    const plain = new Plain([new nn.Parameter(torch.zeros([1]))], { lr: 0.1 });
    expect(() => new lr_scheduler.OneCycleLR(plain, { maxLr: 0.1, totalSteps: 3 })).toThrow(
      'optimizer must support momentum or beta1',
    );
    expect(
      new lr_scheduler.OneCycleLR(plain, { maxLr: 0.1, totalSteps: 10, cycleMomentum: false }).getLastLr()[0],
    ).toBeCloseTo(0.1 / 25, 15);
    // pctStart * totalSteps === 1 gives a phase with no steps (PyTorch: ZeroDivisionError).
    expect(() => new lr_scheduler.OneCycleLR(sgd(), { maxLr: 0.1, totalSteps: 4, pctStart: 0.25 })).toThrow(
      /phase 1 of the schedule has no steps/,
    );
  });
});
