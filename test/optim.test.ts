// optim's API: constructors as PyTorch's (positional lr, then options), strict options,
// what is refused, step(closure), state dict layout and validation, and memory. The
// arithmetic is compared with PyTorch in test/parity/optim.test.ts.
import { describe, expect, it } from 'vitest';

import { nn, optim, type Tensor, torch, TorchError } from '../lib/index';

class Net extends nn.Module {
  fc1 = new nn.Linear(4, 8);
  act = new nn.ReLU();
  fc2 = new nn.Linear(8, 3);
  unused = new nn.Linear(2, 2);
  forward(x: Tensor): Tensor {
    return this.fc2.forward(this.act.forward(this.fc1.forward(x)));
  }
}

torch.setNumThreads(1); // tiny tensors: see test/parity/optim.test.ts
torch.manualSeed(3);
const x = torch.keep(torch.randn([6, 4]));
const y = torch.keep(torch.randint(0, 3, [6]));
const lossOf = (net: Net) => new nn.CrossEntropyLoss().forward(net.forward(x), y);

function trainStep(net: Net, opt: optim.Optimizer): void {
  torch.tidy(() => {
    opt.zeroGrad();
    lossOf(net).backward();
    opt.step();
  });
}

type Ctor = new (params: optim.Params, lr?: unknown, options?: unknown) => optim.Optimizer;
const ALL: Record<string, Ctor> = {
  SGD: optim.SGD,
  Adam: optim.Adam,
  AdamW: optim.AdamW,
  RMSprop: optim.RMSprop,
  Adadelta: optim.Adadelta,
  Adagrad: optim.Adagrad,
  Adamax: optim.Adamax,
  NAdam: optim.NAdam,
  RAdam: optim.RAdam,
  ASGD: optim.ASGD,
  Rprop: optim.Rprop,
  LBFGS: optim.LBFGS,
} as unknown as Record<string, Ctor>;

/** PyTorch 2.13's default learning rates. */
const DEFAULT_LR: Record<string, number> = {
  SGD: 1e-3,
  Adam: 1e-3,
  AdamW: 1e-3,
  RMSprop: 1e-2,
  Adadelta: 1.0,
  Adagrad: 1e-2,
  Adamax: 2e-3,
  NAdam: 2e-3,
  RAdam: 1e-3,
  ASGD: 1e-2,
  Rprop: 1e-2,
  LBFGS: 1,
};

describe('constructors', () => {
  it.each(Object.keys(ALL))('%s takes lr positionally or in the options, with PyTorch default', (name) => {
    const net = new Net();
    const Ctor = ALL[name];
    expect(new Ctor(net.parameters()).paramGroups[0].lr).toBe(DEFAULT_LR[name]);
    expect(new Ctor(net.parameters(), 0.25).paramGroups[0].lr).toBe(0.25);
    expect(new Ctor(net.parameters(), 0.25, {}).paramGroups[0].lr).toBe(0.25);
    expect(new Ctor(net.parameters(), { lr: 0.125 }).paramGroups[0].lr).toBe(0.125);
    expect(() => new Ctor(net.parameters(), 0.1, { lr: 0.2 })).toThrow(
      new TypeError(`${name} got multiple values for argument lr`),
    );
    expect(() => new Ctor(net.parameters(), '0.1')).toThrow('Expected a number for lr but received "0.1"');
    expect(() => new Ctor(net.parameters(), { lr: 0.1 }, {})).toThrow(TypeError);
    expect(() => new Ctor(net.parameters(), -1)).toThrow('Expected lr >= 0 for lr but received -1');
  });

  it.each(Object.keys(ALL))('%s refuses unknown options, naming the nearest valid one', (name) => {
    const net = new Net();
    const Ctor = ALL[name];
    const keys = Object.keys(new Ctor(net.parameters()).defaults).filter(
      (k) => !(name === 'AdamW' && k === 'decoupledWeightDecay'),
    );
    for (const k of keys) {
      const snake = k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      if (snake === k) continue;
      expect(() => new Ctor(net.parameters(), 0.1, { [snake]: 1 }), snake).toThrow(
        new TypeError(`Unknown option "${snake}" for ${name}: did you mean ${k}? (valid: ${keys.join(', ')})`),
      );
    }
    expect(() => new Ctor(net.parameters(), { lr: 0.1, lrr: 1 })).toThrow(/Unknown option "lrr" .*did you mean lr\?/);
  });

  it('refuses unknown keys in parameter groups too', () => {
    const net = new Net();
    expect(
      () => new optim.SGD([{ params: net.fc1.parameters(), weight_decay: 0.1 }, { params: net.fc2.parameters() }], 0.1),
    ).toThrow(/Unknown option "weight_decay" for group: did you mean weightDecay\?/);
    // Scheduler bookkeeping (initialLr, ...) is a valid group key.
    const opt = new optim.SGD([{ params: net.fc1.parameters(), initialLr: 0.5 }], 0.1);
    expect(opt.paramGroups[0].initialLr).toBe(0.5);
    // A single Parameter as a group's params, as PyTorch allows.
    expect(new optim.Adam([{ params: net.fc1.weight }]).paramGroups[0].params).toEqual([net.fc1.weight]);
  });

  it('refuses what torchts does not implement instead of ignoring it', () => {
    const net = new Net();
    const p = () => net.parameters();
    for (const Ctor of [
      optim.SGD,
      optim.Adam,
      optim.RMSprop,
      optim.NAdam,
      optim.ASGD,
      optim.Rprop,
    ] as unknown as Ctor[]) {
      expect(() => new Ctor(p(), 0.1, { differentiable: true })).toThrow(
        /Expected false .*differentiable=True is not implemented/,
      );
    }
    for (const Ctor of [
      optim.Adam,
      optim.RMSprop,
      optim.Adadelta,
      optim.Adamax,
      optim.RAdam,
      optim.Rprop,
    ] as unknown as Ctor[]) {
      expect(() => new Ctor(p(), 0.1, { capturable: true })).toThrow(
        /capturable=True, step counts on the device, is not implemented/,
      );
    }
    // Optimizers PyTorch gives no `capturable` or `fused` do not take them.
    expect(() => new optim.SGD(p(), 0.1, { capturable: false } as object)).toThrow(/Unknown option "capturable"/);
    expect(() => new optim.RMSprop(p(), 0.1, { fused: true } as object)).toThrow(/Unknown option "fused"/);
    expect(() => new optim.LBFGS(p(), 1, { foreach: true } as object)).toThrow(/Unknown option "foreach"/);
    expect(() => new optim.Adam(p(), 0.1, { fused: true, foreach: true })).toThrow(
      new TorchError('`fused` and `foreach` cannot be `True` together.'),
    );
    expect(() => new optim.Adagrad(p(), 0.1, { foreach: 'yes' as unknown as boolean })).toThrow(
      'Expected a boolean for foreach but received "yes"',
    );
    expect(() => new optim.AdamW(p(), 0.1, { decoupledWeightDecay: false } as object)).toThrow(
      /Unknown option "decoupledWeightDecay" for AdamW:/,
    );
    const ints = [new nn.Parameter(torch.ones([2], { dtype: 'int64' }), false)];
    expect(() => new optim.Adagrad(ints, 0.1, { fused: true })).toThrow(/`fused=True` requires all the params/);
  });

  it('checks every hyper-parameter, given, defaulted or in a group', () => {
    const p = new Net().parameters();
    const cases: [() => unknown, string | RegExp][] = [
      [() => new optim.SGD([{ params: p, momentum: -1 }], 0.1), 'Expected momentum >= 0 for momentum but received -1'],
      [() => new optim.SGD(p, 0.1, { nesterov: true }), /Nesterov momentum requires/],
      [() => new optim.Adam(p, { betas: [0.9, 1.5] }), /Expected two numbers in \[0, 1\) for betas/],
      [
        () => new optim.NAdam(p, { momentumDecay: -1 }),
        'Expected momentumDecay >= 0 for momentumDecay but received -1',
      ],
      [() => new optim.Adadelta(p, 1, { rho: 1.5 }), 'Expected a number in [0, 1] for rho but received 1.5'],
      [() => new optim.RMSprop(p, 0.1, { alpha: -0.5 }), 'Expected alpha >= 0 for alpha but received -0.5'],
      [() => new optim.Adagrad(p, 0.1, { lrDecay: -1 }), 'Expected lrDecay >= 0 for lrDecay but received -1'],
      [
        () => new optim.Rprop(p, 0.1, { etas: [1.2, 0.5] }),
        /Expected \[etaminus, etaplus\] with 0 < etaminus < 1 < etaplus/,
      ],
      [
        () => new optim.ASGD(p, 0.1, { t0: 'soon' as unknown as number }),
        'Expected a number for t0 but received "soon"',
      ],
      [() => new optim.LBFGS(p, 1, { historySize: 0 }), 'Expected an integer >= 1 for historySize but received 0'],
      [() => new optim.LBFGS(p, 1, { lineSearchFn: 'armijo' as 'strong_wolfe' }), /Expected 'strong_wolfe' or null/],
      [() => new optim.Adam([{ params: p, lr: 'fast' }]), /Expected a number for lr/],
      [() => new optim.SGD([], 0.1), /non-empty list of parameters/],
      [
        () => new optim.SGD(torch.ones([2]) as unknown as nn.Parameter[], 0.1),
        /Expected an iterable of Parameters \(not a single Tensor\)/,
      ],
    ];
    for (const [make, message] of cases) expect(make).toThrow(message);
    const adam = new optim.Adam([{ params: p.slice(0, 2) }, { params: p.slice(2) }]);
    (adam.paramGroups[0].betas as number[])[0] = 0.5; // groups own their arrays
    expect(adam.paramGroups[1].betas).toEqual([0.9, 0.999]);
    expect(adam.defaults.betas).toEqual([0.9, 0.999]);
  });

  it('LBFGS takes one group only, and computes maxEval from maxIter as PyTorch does', () => {
    const net = new Net();
    expect(() => new optim.LBFGS([{ params: net.fc1.parameters() }, { params: net.fc2.parameters() }])).toThrow(
      new TorchError("LBFGS doesn't support per-parameter options (parameter groups)"),
    );
    expect(new optim.LBFGS(net.parameters(), 1, { maxIter: 7 }).paramGroups[0].maxEval).toBe(8);
    expect(new optim.LBFGS(net.parameters(), 1, { maxIter: 7, maxEval: 3 }).paramGroups[0].maxEval).toBe(3);
  });
});

describe('step', () => {
  it('calls the closure with gradients enabled and returns its loss', () => {
    const net = new Net();
    for (const Ctor of Object.values(ALL)) {
      const opt = new Ctor(net.parameters());
      const loss = torch.noGrad(() =>
        opt.step(() => {
          opt.zeroGrad();
          expect(torch.isGradEnabled()).toBe(true);
          const l = lossOf(net);
          l.backward();
          return l;
        }),
      );
      expect(loss).toBeInstanceOf(torch.Tensor);
      expect(torch.isGradEnabled()).toBe(true);
    }
    const sgd = new optim.SGD(net.parameters(), 0.1);
    expect(sgd.step()).toBeUndefined();
    expect(() => sgd.step(42 as unknown as optim.Closure)).toThrow('Expected a function for closure but received 42');
    const lbfgs = new optim.LBFGS(net.parameters());
    expect(() => (lbfgs.step as () => unknown)()).toThrow(/Expected a function \(L-BFGS re-evaluates/);
  });

  it('LBFGS frees what its steps make: live tensors stay flat from step to step', () => {
    const net = new Net();
    const opt = new optim.LBFGS(net.parameters(), 1, { maxIter: 4, historySize: 3, lineSearchFn: 'strong_wolfe' });
    const closure = () => {
      opt.zeroGrad();
      const l = lossOf(net);
      l.backward();
      return l;
    };
    const counts: number[] = [];
    for (let i = 0; i < 6; i++) {
      (opt.step(closure) as Tensor).dispose();
      counts.push(torch.memory().liveTensors);
    }
    // The history fills up over the first steps (historySize 3), then the count holds still.
    expect(counts.slice(3)).toEqual([counts[3], counts[3], counts[3]]);
  });

  it('sets gradients to null by default, to zeros with setToNone = false', () => {
    const net = new Net();
    const opt = new optim.SGD(net.parameters(), 0.1);
    trainStep(net, opt);
    const used = [...net.fc1.parameters(), ...net.fc2.parameters()];
    for (const p of used) expect(p.grad).not.toBeNull();
    for (const p of net.unused.parameters()) expect(p.grad).toBeNull();
    opt.zeroGrad(false);
    for (const p of used) expect(torch.equal(p.grad as Tensor, torch.zerosLike(p))).toBe(true);
    opt.zeroGrad();
    for (const p of net.parameters()) expect(p.grad).toBeNull();
  });

  it('Adagrad has state for every parameter before its first step, as in PyTorch', () => {
    const net = new Net();
    const opt = new optim.Adagrad(net.parameters(), 0.1, { initialAccumulatorValue: 0.5 });
    expect(opt.state.size).toBe(net.parameters().length);
    const s = opt.state.get(net.unused.weight) ?? {};
    expect((s.step as Tensor).item()).toBe(0);
    expect(torch.equal(s.sum as Tensor, torch.fullLike(net.unused.weight, 0.5))).toBe(true);
  });
});

describe('stateDict', () => {
  it("is PyTorch's layout: param_groups with snake_case names and params last, tensor steps", () => {
    const net = new Net();
    const opt = new optim.Adam(
      [
        { params: net.fc1.parameters(), weightDecay: 0.1 },
        { params: [...net.fc2.parameters(), ...net.unused.parameters()] },
      ],
      0.01,
    );
    trainStep(net, opt);
    const sd = opt.stateDict();
    expect(Object.keys(sd)).toEqual(['state', 'param_groups']);
    expect(sd.param_groups[0]).toEqual({
      lr: 0.01,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weight_decay: 0.1,
      amsgrad: false,
      maximize: false,
      foreach: null,
      capturable: false,
      differentiable: false,
      fused: null,
      decoupled_weight_decay: false,
      params: [0, 1],
    });
    expect(Object.keys(sd.param_groups[1]).at(-1)).toBe('params');
    expect(sd.param_groups[1].params).toEqual([2, 3, 4, 5]);
    expect(JSON.parse(JSON.stringify(sd.param_groups))).toEqual(sd.param_groups);
    // Parameters 4 and 5 (unused) have no gradient, so no state.
    expect(Object.keys(sd.state)).toEqual(['0', '1', '2', '3']);
    const step = sd.state[0].step as Tensor;
    expect([step.dtype, step.device, [...step.shape], step.item()]).toEqual(['float32', 'cpu', [], 1]);
    expect(Object.keys(sd.state[0])).toEqual(['step', 'exp_avg', 'exp_avg_sq']);
    // The groups are copies: changing them does not change the optimizer.
    (sd.param_groups[0].betas as number[])[0] = 0.1;
    expect(opt.paramGroups[0].betas).toEqual([0.9, 0.999]);
  });

  it('loadStateDict checks everything before changing anything', () => {
    const net = new Net();
    const opt = new optim.Adam(net.parameters(), 0.01);
    trainStep(net, opt);
    const good = opt.stateDict();
    const expAvg = () => opt.state.get(net.fc1.weight)?.exp_avg as Tensor;
    const before = expAvg().clone();
    const bad: [unknown, string | RegExp][] = [
      [{ param_groups: 'x', state: {} }, /Expected an array of parameter groups for stateDict.param_groups/],
      [{ ...good, param_groups: [{ ...good.param_groups[0], lr: -1 }] }, 'Expected lr >= 0 for lr but received -1'],
      [
        { ...good, state: { 0: { step: 'two' } } },
        /Expected a Tensor, a number, null or an array of them for stateDict.state\[0\].step/,
      ],
      [{ ...good, state: { 9: {} } }, /state for parameter 9, which the optimizer does not have/],
      [{ ...good, param_groups: [] }, /different number of parameter groups/],
      [{ ...good, param_groups: [{ ...good.param_groups[0], params: [0] }] }, /doesn't match the size/],
      [{ ...good, param_groups: [{ ...good.param_groups[0], capturable: true }] }, /capturable=True/],
      [{ ...good, extra: 1 }, /Unknown option "extra" for stateDict/],
      ['state', /Expected an options object for stateDict/],
    ];
    for (const [sd, message] of bad) expect(() => opt.loadStateDict(sd as Record<string, unknown>)).toThrow(message);
    expect(opt.paramGroups[0].lr).toBe(0.01);
    expect(torch.equal(expAvg(), before)).toBe(true);
  });

  it('a state dict of another optimizer is refused when stepping, naming what is missing', () => {
    const net = new Net();
    const sgd = new optim.SGD(net.parameters(), 0.1, { momentum: 0.9 });
    trainStep(net, sgd);
    const adam = new optim.Adam(net.parameters());
    adam.loadStateDict(sgd.stateDict());
    expect(adam.paramGroups[0].lr).toBe(0.1); // PyTorch takes the groups' values as they are
    expect(() => trainStep(net, adam)).toThrow(/Adam: a parameter's state has no step/);
  });

  it('state that does not fit its parameter is refused by the step, for every kind of update', () => {
    for (const options of [{ foreach: false }, { foreach: true }, { fused: true }]) {
      const net = new Net();
      const opt = new optim.Adam(net.parameters(), 0.01, options);
      trainStep(net, opt);
      // Copies: loading frees the optimizer's previous state, which stateDict() refers to.
      const held = opt.stateDict();
      const sd = {
        ...held,
        state: { 0: Object.fromEntries(Object.entries(held.state[0]).map(([k, v]) => [k, (v as Tensor).clone()])) },
      };
      const shapes: [string, Tensor][] = [
        ['exp_avg', torch.zeros([3])],
        ['exp_avg_sq', torch.zeros([8, 4], { dtype: 'float64' })],
        ['step', torch.zeros([2])],
      ];
      for (const [key, bad] of shapes) {
        const broken = { ...sd, state: { ...sd.state, 0: { ...sd.state[0], [key]: bad } } };
        // float64 state is cast to the parameter's dtype when loaded; change it afterwards too.
        opt.loadStateDict(broken);
        const s = opt.state.get(net.fc1.weight) ?? {};
        if (key === 'exp_avg_sq') s.exp_avg_sq = torch.zeros([8, 4], { dtype: 'float64' });
        expect(() => trainStep(net, opt), `${JSON.stringify(options)} ${key}`).toThrow(
          new RegExp(`optimizer state ${key} .*(must have one element|of a parameter of shape \\[8, 4\\])`),
        );
      }
    }
    const net = new Net();
    const sgd = new optim.SGD(net.parameters(), 0.1, { momentum: 0.9, fused: true });
    trainStep(net, sgd);
    (sgd.state.get(net.fc2.bias!) ?? {}).momentum_buffer = torch.zeros([1000]);
    expect(() => trainStep(net, sgd)).toThrow(/optimizer state momentum_buffer of a parameter of shape \[3\]/);
  });

  it('loading keeps group keys torchts does not know, and AdamW stays decoupled', () => {
    const net = new Net();
    const adam = new optim.Adam(net.parameters(), 0.01);
    const sd = adam.stateDict();
    sd.param_groups[0].param_names = ['a'];
    const adamw = new optim.AdamW(net.parameters());
    adamw.loadStateDict(sd);
    expect(adamw.paramGroups[0].paramNames).toEqual(['a']);
    expect(adamw.stateDict().param_groups[0].param_names).toEqual(['a']);
    expect(adamw.paramGroups[0].decoupledWeightDecay).toBe(true);
  });

  it('rejects a state dict whose groups do not match', () => {
    const net = new Net();
    const one = new optim.SGD(net.parameters(), 0.1);
    const two = new optim.SGD([{ params: net.fc1.parameters() }, { params: net.fc2.parameters() }], 0.1);
    expect(() => one.loadStateDict(two.stateDict())).toThrow(/number of parameter groups/);
    const small = new optim.SGD(net.fc1.parameters(), 0.1);
    expect(() => small.loadStateDict(one.stateDict())).toThrow(/doesn't match the size/);
  });
});
