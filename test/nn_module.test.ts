// nn.Module's API (no Python needed): registration, names, state dicts, modes, dtype
// moves, apply, zeroGrad, validation, printing, and nn.init statistics. Expected names,
// orders and strings are what PyTorch 2.13 gives for the same Python model (noted inline).
import { describe, expect, it } from 'vitest';

import { nn, torch, type Tensor } from '../lib/index';

class Block extends nn.Module {
  conv = new nn.Conv2d(8, 8, 3, { padding: 1, bias: false });
  bn = new nn.BatchNorm2d(8);
  forward(x: Tensor): Tensor {
    return this.bn.forward(this.conv.forward(x));
  }
}

/** Mirrors a PyTorch model whose expected names are listed below. */
class Net extends nn.Module {
  declare features: nn.Sequential;
  declare scale: nn.Parameter;
  declare block: Block;
  declare head: nn.Linear;
  declare tied: nn.Linear;
  constructor() {
    super();
    this.features = new nn.Sequential(
      new nn.Conv2d(3, 8, 3, { padding: 1, bias: false }),
      new nn.BatchNorm2d(8),
      new nn.ReLU({ inplace: true }),
    );
    this.scale = new nn.Parameter(torch.ones([1]));
    this.registerBuffer('steps', torch.zeros([1]));
    this.registerBuffer('cache', torch.zeros([2]), false);
    this.block = new Block();
    this.head = new nn.Linear(8, 2);
    this.tied = new nn.Linear(8, 2, { bias: false });
    this.tied.weight = this.head.weight; // shared
  }
  forward(x: Tensor): Tensor {
    const f = this.block.forward(this.features.forward(x)).mean([2, 3]).mul(this.scale);
    return this.head.forward(f).add(this.tied.forward(f));
  }
}

// PyTorch 2.13 on the equivalent Python model.
const PARAMS = [
  'scale',
  'features.0.weight',
  'features.1.weight',
  'features.1.bias',
  'block.conv.weight',
  'block.bn.weight',
  'block.bn.bias',
  'head.weight',
  'head.bias',
];
const BUFFERS = [
  'steps',
  'cache',
  'features.1.running_mean',
  'features.1.running_var',
  'features.1.num_batches_tracked',
  'block.bn.running_mean',
  'block.bn.running_var',
  'block.bn.num_batches_tracked',
];
const MODULES = [
  '',
  'features',
  'features.0',
  'features.1',
  'features.2',
  'block',
  'block.conv',
  'block.bn',
  'head',
  'tied',
];
const STATE = [
  'scale',
  'steps',
  'features.0.weight',
  'features.1.weight',
  'features.1.bias',
  'features.1.running_mean',
  'features.1.running_var',
  'features.1.num_batches_tracked',
  'block.conv.weight',
  'block.bn.weight',
  'block.bn.bias',
  'block.bn.running_mean',
  'block.bn.running_var',
  'block.bn.num_batches_tracked',
  'head.weight',
  'head.bias',
  'tied.weight',
];

const names = <T>(pairs: [string, T][]): string[] => pairs.map(([k]) => k);

describe('registration and names', () => {
  it('lists parameters, buffers, children and modules in registration order with dotted names', () => {
    const net = new Net();
    expect(names(net.namedParameters())).toEqual(PARAMS);
    expect(names(net.namedBuffers())).toEqual(BUFFERS);
    expect(names(net.namedChildren())).toEqual(['features', 'block', 'head', 'tied']);
    expect(names(net.namedModules())).toEqual(MODULES);
    expect(net.namedModules()[0][1]).toBe(net);
    expect(names(net.namedParameters('', false))).toEqual(['scale']);
    expect(names(net.block.namedParameters('block'))).toEqual([
      'block.conv.weight',
      'block.bn.weight',
      'block.bn.bias',
    ]);
    expect(net.parameters()).toEqual(net.namedParameters().map(([, p]) => p));
  });

  it('lists a parameter shared by two modules once (but the state dict has both keys)', () => {
    const net = new Net();
    expect(net.parameters().filter((p) => p === net.head.weight)).toHaveLength(1);
    expect(net.tied.weight).toBe(net.head.weight);
    const sd = net.stateDict();
    expect(Object.keys(sd)).toContain('tied.weight');
    expect(torch.equal(sd['tied.weight'], sd['head.weight'])).toBe(true);
  });

  it('lists a module shared by two parents once in children, modules and parameters', () => {
    const l = new nn.Linear(2, 2);
    const seq = new nn.Sequential(l, l);
    expect(names(seq.namedChildren())).toEqual(['0']); // PyTorch: ['0']
    expect(names(seq.namedModules())).toEqual(['', '0']);
    expect(seq.parameters()).toHaveLength(2);
    expect(Object.keys(seq.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    // Sequential still runs it twice and prints it twice, as PyTorch's does.
    expect(seq.length).toBe(2);
    const x = torch.randn([3, 2]);
    expect(torch.allclose(seq.forward(x), l.forward(l.forward(x)))).toBe(true);
    expect(seq.toString().split('\n')).toHaveLength(4);
  });

  it('re-registers on reassignment and unregisters with null', () => {
    const net = new Net();
    const fresh = new nn.Linear(8, 2, { bias: false });
    net.head = fresh; // keeps its place, as assigning to an existing key of PyTorch's _modules does
    expect(names(net.namedParameters()).slice(-2)).toEqual(['head.weight', 'tied.weight']);
    expect(net.head.weight).toBe(fresh.weight);
    net.registerModule('tied', null);
    expect(names(net.namedChildren())).toEqual(['features', 'block', 'head']);
    net.registerBuffer('steps', null);
    expect(Object.keys(net.stateDict())).not.toContain('steps');
  });
});

describe('state dicts', () => {
  it("uses PyTorch's keys; non-persistent buffers are left out", () => {
    const net = new Net();
    expect(Object.keys(net.stateDict())).toEqual(STATE);
    expect(Object.keys(net.stateDict())).not.toContain('cache');
    expect(names(net.namedBuffers())).toContain('cache');
    expect(Object.keys(net.stateDict('model.'))[0]).toBe('model.scale');
    expect(net.stateDict()['features.1.num_batches_tracked'].dtype).toBe('int64');
  });

  it('loads values into the same Parameter objects', () => {
    torch.manualSeed(1);
    const a = new Net();
    const b = new Net();
    const before = b.parameters();
    expect(b.loadStateDict(a.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(b.parameters()).toEqual(before);
    for (const [k, t] of Object.entries(a.stateDict())) expect(torch.equal(b.stateDict()[k], t), k).toBe(true);
  });

  it('strict loading lists missing and unexpected keys in the error; non-strict returns them', () => {
    const net = new Net();
    const sd = net.stateDict();
    delete sd['head.bias'];
    delete sd['block.bn.running_var'];
    sd['extra.weight'] = torch.zeros([1]);
    expect(() => net.loadStateDict(sd)).toThrow(
      'Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: "block.bn.running_var", "head.bias".\n\tUnexpected key(s) in state_dict: "extra.weight".',
    );
    const other = new Net();
    sd.scale = torch.full([1], 3);
    expect(other.loadStateDict(sd, { strict: false })).toEqual({
      missingKeys: ['block.bn.running_var', 'head.bias'],
      unexpectedKeys: ['extra.weight'],
    });
    expect(other.scale.item()).toBe(3);
  });

  it('throws on a shape mismatch, strict or not, and changes nothing', () => {
    const net = new Net();
    const sd = new Net().stateDict();
    sd['head.weight'] = torch.zeros([3, 8]);
    const before = net.head.bias!.clone();
    expect(() => net.loadStateDict(sd)).toThrow(
      'size mismatch for head.weight: copying a param with shape [3, 8] from checkpoint, the shape in current model is [2, 8].',
    );
    expect(() => net.loadStateDict(sd, { strict: false })).toThrow(/size mismatch for head\.weight/);
    expect(torch.equal(net.head.bias!, before)).toBe(true);
  });
});

describe('modes, dtype, apply, zeroGrad', () => {
  it('train() and eval() reach every module and return the module', () => {
    const net = new Net();
    expect(net.eval()).toBe(net);
    expect(net.modules().every((m) => !m.training)).toBe(true);
    expect(net.train()).toBe(net);
    expect(net.modules().every((m) => m.training)).toBe(true);
    net.block.train(false);
    expect([net.training, net.block.training, net.block.bn.training, net.features.training]).toEqual([
      true,
      false,
      false,
      true,
    ]);
  });

  it("to('float64') keeps the Parameter objects and casts floating point members only", () => {
    const net = new Net();
    net
      .forward(torch.randn([2, 3, 4, 4]))
      .sum()
      .backward();
    const params = net.parameters();
    expect(net.to('float64')).toBe(net);
    expect(net.parameters()).toEqual(params);
    expect(params.every((p) => p.dtype === 'float64' && p.grad?.dtype === 'float64')).toBe(true);
    const buffers = Object.fromEntries(net.namedBuffers());
    expect(buffers['features.1.running_mean'].dtype).toBe('float64');
    expect(buffers['features.1.num_batches_tracked'].dtype).toBe('int64');
    expect(net.forward(torch.randn([1, 3, 4, 4], { dtype: 'float64' })).dtype).toBe('float64');
    net.float();
    expect(net.head.weight.dtype).toBe('float32');
    expect(net.head.weight).toBe(params[7]);
  });

  it('apply() visits children before their parent, each module once', () => {
    const order: string[] = [];
    new Net().apply((m) => order.push(m.constructor.name));
    // PyTorch: Net().apply(lambda m: order.append(type(m).__name__))
    expect(order).toEqual([
      'Conv2d',
      'BatchNorm2d',
      'ReLU',
      'Sequential',
      'Conv2d',
      'BatchNorm2d',
      'Block',
      'Linear',
      'Linear',
      'Net',
    ]);
    const l = new nn.Linear(2, 2);
    const seen: nn.Module[] = [];
    new nn.Sequential(l, l).apply((m) => seen.push(m));
    expect(seen).toHaveLength(2);
    // The usual use: re-initialise every Linear.
    const net = new Net();
    net.apply((m) => {
      if (m instanceof nn.Linear) nn.init.zeros_(m.weight);
    });
    expect(torch.equal(net.head.weight, torch.zerosLike(net.head.weight))).toBe(true);
  });

  it('zeroGrad() sets gradients to null, zeroGrad(false) to zeros', () => {
    const net = new Net();
    net
      .forward(torch.randn([2, 3, 4, 4]))
      .sum()
      .backward();
    expect(net.parameters().every((p) => p.grad !== null)).toBe(true);
    net.zeroGrad(false);
    expect(net.parameters().every((p) => torch.equal(p.grad!, torch.zerosLike(p)))).toBe(true);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });
});

describe('argument checks', () => {
  it('rejects bad arguments with TypeErrors', () => {
    const net = new Net();
    expect(() => net.registerBuffer('b', 3 as never)).toThrow(TypeError);
    expect(() => net.registerBuffer('a.b', torch.zeros([1]))).toThrow(TypeError);
    expect(() => net.registerBuffer('', torch.zeros([1]))).toThrow(TypeError);
    expect(() => net.registerBuffer('forward', torch.zeros([1]))).toThrow(TypeError);
    expect(() => net.registerBuffer('b', torch.zeros([1]), 'yes' as never)).toThrow(TypeError);
    expect(() => net.registerParameter('w', torch.zeros([1]) as never)).toThrow(TypeError);
    expect(() => net.registerModule('m', {} as never)).toThrow(TypeError);
    expect(() => net.train('no' as never)).toThrow(TypeError);
    expect(() => net.zeroGrad(0 as never)).toThrow(TypeError);
    expect(() => net.loadStateDict(null as never)).toThrow(TypeError);
    expect(() => net.loadStateDict({ ...net.stateDict(), scale: [1] } as never)).toThrow(TypeError);
    expect(() => net.loadStateDict(net.stateDict(), { strict: 1 } as never)).toThrow(TypeError);
    expect(() => net.to(42 as never)).toThrow(TypeError);
    expect(() => new nn.Sequential(new nn.ReLU(), 'relu' as never)).toThrow(TypeError);
    expect(() => new nn.Parameter([1, 2] as never)).toThrow(TypeError);
    expect(() => new nn.Conv2d(3, 8, 'three' as never)).toThrow(TypeError);
    expect(() => new nn.Linear(4, 2, { bias: 'no' } as never)).toThrow(TypeError);
  });
});

describe('toString', () => {
  it("prints a small Sequential as PyTorch's repr", () => {
    const seq = new nn.Sequential(
      new nn.Conv2d(3, 8, 3, { padding: 1, bias: false }),
      new nn.BatchNorm2d(8),
      new nn.ReLU({ inplace: true }),
    );
    // PyTorch 2.13 (older versions print no `bias=` in BatchNorm2d's line).
    expect(seq.toString()).toBe(
      'Sequential(\n' +
        '  (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)\n' +
        '  (1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n' +
        '  (2): ReLU(inplace=True)\n' +
        ')',
    );
  });

  it('prints nested custom modules as PyTorch does', () => {
    expect(new Net().toString()).toBe(
      'Net(\n  (features): Sequential(\n    (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)\n' +
        '    (1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n    (2): ReLU(inplace=True)\n  )\n' +
        '  (block): Block(\n    (conv): Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)\n' +
        '    (bn): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n  )\n' +
        '  (head): Linear(in_features=8, out_features=2, bias=True)\n  (tied): Linear(in_features=8, out_features=2, bias=False)\n)',
    );
  });

  it.each([
    [
      () => new nn.Conv2d(4, 8, [3, 5], { stride: 2, padding: [1, 2], dilation: [1, 2], groups: 2 }),
      'Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 2), dilation=(1, 2), groups=2)',
    ],
    [
      () => new nn.Conv2d(4, 4, 3, { padding: 'same' }),
      'Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), padding=same)',
    ],
    [
      () => new nn.BatchNorm2d(4, { eps: 1e-3, momentum: null, affine: false, trackRunningStats: false }),
      'BatchNorm2d(4, eps=0.001, momentum=None, affine=False, bias=False, track_running_stats=False)',
    ],
    [() => new nn.MaxPool2d(2), 'MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)'],
    [
      () => new nn.MaxPool2d([3, 2], { stride: [2, 1], padding: 1, ceilMode: true }),
      'MaxPool2d(kernel_size=(3, 2), stride=(2, 1), padding=1, dilation=1, ceil_mode=True)',
    ],
    [
      () => new nn.AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
      'AvgPool2d(kernel_size=3, stride=2, padding=1)',
    ],
    [() => new nn.AdaptiveAvgPool2d(1), 'AdaptiveAvgPool2d(output_size=1)'],
    [() => new nn.AdaptiveAvgPool2d([2, 3]), 'AdaptiveAvgPool2d(output_size=(2, 3))'],
    [() => new nn.Linear(4, 5), 'Linear(in_features=4, out_features=5, bias=True)'],
    [() => new nn.Flatten(), 'Flatten(start_dim=1, end_dim=-1)'],
    [() => new nn.Dropout(0.3), 'Dropout(p=0.3, inplace=False)'],
    [() => new nn.ReLU(), 'ReLU()'],
    [() => new nn.Identity(), 'Identity()'],
    [() => new nn.CrossEntropyLoss(), 'CrossEntropyLoss()'],
    [
      () => new nn.ModuleList([new nn.ReLU(), new nn.Linear(2, 2)]),
      'ModuleList(\n  (0): ReLU()\n  (1): Linear(in_features=2, out_features=2, bias=True)\n)',
    ],
  ] as [() => nn.Module, string][])('%#: %s', (make, expected) => {
    expect(make().toString()).toBe(expected);
  });
});

describe('nn.init', () => {
  const stats = (t: Tensor) => ({
    mean: t.mean().item() as number,
    std: t.std().item() as number,
    min: t.min().item() as number,
    max: t.max().item() as number,
  });

  it('kaimingNormal_ has std gain / sqrt(fan)', () => {
    torch.manualSeed(0);
    const w = torch.empty([256, 128, 3, 3]);
    nn.init.kaimingNormal_(w, { mode: 'fan_in', nonlinearity: 'relu' });
    let s = stats(w);
    expect(Math.abs(s.mean)).toBeLessThan(1e-3);
    expect(s.std / (Math.SQRT2 / Math.sqrt(128 * 9))).toBeCloseTo(1, 2);
    nn.init.kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu' });
    s = stats(w);
    expect(s.std / (Math.SQRT2 / Math.sqrt(256 * 9))).toBeCloseTo(1, 2);
    nn.init.kaimingNormal_(w, { a: 0.2 }); // leaky_relu, fan_in
    expect(stats(w).std / (Math.sqrt(2 / 1.04) / Math.sqrt(128 * 9))).toBeCloseTo(1, 2);
  });

  it('xavierUniform_ stays within gain * sqrt(6 / (fan_in + fan_out)) and fills that range', () => {
    torch.manualSeed(0);
    const w = torch.empty([300, 200]);
    const bound = 2 * Math.sqrt(6 / 500);
    nn.init.xavierUniform_(w, 2);
    const s = stats(w);
    expect(s.min).toBeGreaterThanOrEqual(-bound);
    expect(s.max).toBeLessThanOrEqual(bound);
    expect(s.min).toBeLessThan(-0.999 * bound);
    expect(s.max).toBeGreaterThan(0.999 * bound);
    expect(s.std / (bound / Math.sqrt(3))).toBeCloseTo(1, 2);
  });

  it("gives Conv2d and Linear PyTorch's default uniform(±1/sqrt(fan_in)) weights and biases", () => {
    torch.manualSeed(0);
    const cases: [nn.Conv2d | nn.Linear, number][] = [
      [new nn.Conv2d(16, 64, 3), 16 * 9],
      [new nn.Conv2d(16, 64, 3, { groups: 4 }), 4 * 9],
      [new nn.Linear(100, 500), 100],
    ];
    for (const [m, fanIn] of cases) {
      const bound = 1 / Math.sqrt(fanIn);
      const w = stats(m.weight);
      expect(w.min).toBeGreaterThanOrEqual(-bound);
      expect(w.max).toBeLessThanOrEqual(bound);
      expect(Math.max(-w.min, w.max)).toBeGreaterThan(0.99 * bound);
      expect(w.std / (bound / Math.sqrt(3))).toBeCloseTo(1, 1);
      const b = stats(m.bias!);
      expect(b.min).toBeGreaterThanOrEqual(-bound);
      expect(b.max).toBeLessThanOrEqual(bound);
      expect(Math.max(-b.min, b.max)).toBeGreaterThan(0.8 * bound);
    }
  });

  it('truncNormal_ stays in [a, b], has the truncated std, and draws what PyTorch 2.13 draws with the same seed', () => {
    torch.manualSeed(0);
    const w = torch.empty([200, 500]);
    nn.init.truncNormal_(w, { std: 0.1, a: -0.15, b: 0.15 }); // p = 0.87: normal draws, outliers redrawn
    let s = stats(w);
    expect(s.min).toBeGreaterThanOrEqual(-0.15);
    expect(s.max).toBeLessThanOrEqual(0.15);
    expect(Math.abs(s.mean)).toBeLessThan(1e-3);
    expect(s.std / 0.07426).toBeCloseTo(1, 2); // std of N(0, 0.1²) cut at ±1.5 std
    nn.init.truncNormal_(w, { mean: 1, std: 1, a: 1.5, b: 3 }); // p = 0.29: uniform proposals, accepted by pdf
    s = stats(w);
    expect(s.min).toBeGreaterThanOrEqual(1.5);
    expect(s.max).toBeLessThanOrEqual(3);
    expect(s.mean).toBeCloseTo(2.043, 2); // mean of N(1, 1) cut to [1.5, 3]
    // torch.manual_seed(0); torch.nn.init.trunc_normal_(torch.empty(n), std=.., a=.., b=..).tolist()[:3] with torch 2.13
    const cases: [number, number, number, number, number[]][] = [
      [1, -0.5, 0.5, 7, [-0.02087947353720665, -0.293428897857666, -0.40334352850914]],
      [0.01, -2, 2, 5, [0.015409961342811584, -0.002934289164841175, -0.021787893027067184]],
      [1, 0.5, 3, 300, [1.4433767795562744, 1.1290358304977417, 1.2698267698287964]],
    ];
    for (const [std, a, b, n, first] of cases) {
      torch.manualSeed(0);
      const t = nn.init.truncNormal_(torch.empty([n]), { std, a, b });
      expect([...(t.toTypedArray() as Float32Array).slice(0, 3)]).toEqual(first);
    }
    expect(() => nn.init.truncNormal_(w, { std: 0 })).toThrow(/Expected a positive number for std but received 0/);
    expect(() => nn.init.truncNormal_(w, { a: 1, b: 1 })).toThrow(/for b but received 1/);
  });

  it('calculateGain and calculateFanInAndFanOut match PyTorch', () => {
    expect(nn.init.calculateGain('relu')).toBe(Math.SQRT2);
    expect(nn.init.calculateGain('tanh')).toBeCloseTo(5 / 3, 15);
    expect(nn.init.calculateGain('leaky_relu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 15);
    expect(nn.init.calculateGain('selu')).toBe(0.75);
    expect(nn.init.calculateGain('conv2d')).toBe(1);
    expect(nn.init.calculateFanInAndFanOut(torch.empty([64, 16, 3, 5]))).toEqual([16 * 15, 64 * 15]);
    expect(() => nn.init.calculateFanInAndFanOut(torch.empty([5]))).toThrow(/fewer than 2 dimensions/);
  });
});
