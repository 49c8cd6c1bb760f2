// The nn module classes beyond their parity cases (test/parity/nn_layers.test.ts): PyTorch's
// calling convention (positional in PyTorch's order, then a checked options object), and the
// random (training-mode) behaviour of the dropout family; SyncBatchNorm outside a process
// group (its distributed parity is in test/distributed.test.ts).
import { describe, expect, it } from 'vitest';

import { nn, torch } from '../lib/index';
import { maxAbsDiff } from './compare';

describe('constructor arguments', () => {
  it('take PyTorch positional order or an options object, the same module either way', () => {
    expect(new nn.LeakyReLU(0.2, true).toString()).toBe(
      new nn.LeakyReLU({ negativeSlope: 0.2, inplace: true }).toString(),
    );
    expect(new nn.LayerNorm(4, 1e-3, false).toString()).toBe(
      new nn.LayerNorm(4, { eps: 1e-3, elementwiseAffine: false }).toString(),
    );
    expect(new nn.GroupNorm(2, 4, 1e-3, { bias: false }).bias).toBeNull();
    expect(new nn.Dropout2d(0.3, true).toString()).toBe('Dropout2d(p=0.3, inplace=True)');
  });

  it('reject unknown option keys, naming the nearest valid one', () => {
    expect(() => new nn.LeakyReLU({ negative_slope: 0.2 } as never)).toThrow(/did you mean negativeSlope\?/);
    expect(() => new nn.LayerNorm(4, { elementwise_affine: false } as never)).toThrow(
      /did you mean elementwiseAffine\?/,
    );
    expect(() => new nn.PReLU({ num_parameters: 3 } as never)).toThrow(/did you mean numParameters\?/);
    expect(() => new nn.GELU({ approx: 'tanh' } as never)).toThrow(/did you mean approximate\?/);
  });

  it('reject bad values with TypeError/RangeError', () => {
    expect(() => new nn.GELU('fast' as never)).toThrow(RangeError);
    expect(() => new nn.GroupNorm(3, 4)).toThrow(/divisible by numGroups/);
    expect(() => new nn.Dropout1d(1.5)).toThrow(RangeError);
    expect(() => new nn.Hardtanh(1, -1)).toThrow(RangeError);
    expect(() => new nn.ELU(0.1, false, true as never)).toThrow(/at most 2 optional positional/);
    expect(() => new nn.Unflatten(1, 4 as never)).toThrow(TypeError);
  });
});

describe('dropout family in training mode', () => {
  it('Dropout1d/2d/3d zero whole channels with probability p and scale the rest by 1/(1-p)', () => {
    torch.manualSeed(5);
    const p = 0.4;
    const cases: [nn.Module & { forward(x: torch.Tensor): torch.Tensor }, number[]][] = [
      [new nn.Dropout1d(p), [50, 40, 6]],
      [new nn.Dropout2d(p), [50, 40, 3, 2]],
      [new nn.Dropout3d(p), [50, 40, 2, 1, 3]],
    ];
    for (const [m, shape] of cases) {
      const y = m.forward(torch.ones(shape)).flatten(2);
      const perChannel = y.amax(2);
      // Every channel is all zeros or all 1/(1-p).
      expect(torch.equal(y.amin(2), perChannel), m.toString()).toBe(true);
      const zeroed = perChannel.eq(0).sum().item() as number;
      const n = 50 * 40;
      expect(Math.abs(zeroed / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
      const kept = perChannel.ne(0);
      expect(
        torch.allclose(
          perChannel.where(kept, torch.fullLike(perChannel, 1 / (1 - p))),
          torch.fullLike(perChannel, 1 / (1 - p)),
        ),
      ).toBe(true);
      // Unbatched inputs (no N dimension) work too.
      expect([...m.forward(torch.ones(shape.slice(1))).shape]).toEqual(shape.slice(1));
    }
  });

  it('AlphaDropout keeps mean 0 and variance 1 of a standard normal input; FeatureAlphaDropout per channel', () => {
    torch.manualSeed(6);
    const x = torch.randn([200_000]);
    const y = new nn.AlphaDropout(0.3).forward(x);
    expect(Math.abs(y.mean().item() as number)).toBeLessThan(0.02);
    expect(Math.abs((y.std().item() as number) - 1)).toBeLessThan(0.02);
    expect(torch.equal(y, x)).toBe(false);
    const f = new nn.FeatureAlphaDropout(0.5).forward(torch.zeros([100, 30, 4]));
    // Zero inputs: a dropped channel becomes one constant, a kept one stays a (shifted) constant.
    expect(torch.equal(f.amin(2), f.amax(2))).toBe(true);
    const c = f.amin(2);
    expect(c.min().item() as number).toBeLessThan(c.max().item() as number);
  });

  it('RReLU samples its slopes in [lower, upper] in training', () => {
    torch.manualSeed(7);
    const x = torch.full([10_000], -1.0, { dtype: 'float32' });
    const y = new nn.RReLU(0.1, 0.3).forward(x).neg();
    expect(y.min().item() as number).toBeGreaterThanOrEqual(0.1);
    expect(y.max().item() as number).toBeLessThanOrEqual(0.3);
    // Uniform on [0.1, 0.3]: std 0.2 / sqrt(12) = 0.0577.
    expect(Math.abs((y.std().item() as number) - 0.2 / Math.sqrt(12))).toBeLessThan(0.005);
  });
});

describe('containers', () => {
  it('ModuleDict keeps insertion order and registers its entries under their keys', () => {
    const md = new nn.ModuleDict({ conv: new nn.Conv2d(1, 2, 3), act: new nn.ReLU() });
    md.set('pool', new nn.MaxPool2d(2));
    expect(md.keys()).toEqual(['conv', 'act', 'pool']);
    expect([...md]).toEqual(['conv', 'act', 'pool']);
    expect(md.has('act') && !md.has('nope')).toBe(true);
    expect(Object.keys(md.stateDict())).toEqual(['conv.weight', 'conv.bias']);
    expect(md.pop('conv')).toBeInstanceOf(nn.Conv2d);
    expect(md.length).toBe(2);
    expect(() => md.get('conv')).toThrow(RangeError);
    md.clear();
    expect(md.length).toBe(0);
  });

  it('ParameterList and ParameterDict wrap tensors as Parameters under PyTorch keys', () => {
    const pl = new nn.ParameterList([torch.zeros([2]), torch.ones([3])]);
    pl.append(torch.ones([1]));
    expect(pl.length).toBe(3);
    expect(pl.at(-1)).toBeInstanceOf(nn.Parameter);
    expect(Object.keys(pl.stateDict())).toEqual(['0', '1', '2']);
    expect([...pl].every((p) => p.requiresGrad)).toBe(true);
    const pd = new nn.ParameterDict(
      new Map([
        ['z', torch.zeros([2])],
        ['a', torch.ones([2])],
      ]),
    );
    expect(pd.keys()).toEqual(['z', 'a']);
    // A plain object's keys are sorted, as PyTorch sorts a dict's items.
    expect(new nn.ParameterDict({ z: torch.zeros([1]), a: torch.zeros([1]) }).keys()).toEqual(['a', 'z']);
    expect(pd.pop('z').shape).toEqual([2]);
    expect(() => pl.forward()).toThrow(/should not be called/);
  });
});

describe('SyncBatchNorm without a process group', () => {
  it('convertSyncBatchnorm swaps every BatchNorm for one holding the same parameters and buffers', () => {
    const inner = new nn.Sequential(new nn.Linear(4, 3), new nn.BatchNorm1d(3, { momentum: null }));
    const model = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2), new nn.Flatten(), inner);
    const bn = model.getSubmodule('1') as nn.BatchNorm2d;
    const before = model.stateDict();
    const beforeKeys = Object.keys(before);
    const tensors = Object.values(before);
    expect(nn.SyncBatchNorm.convertSyncBatchnorm(model)).toBe(model);
    const converted = model.getSubmodule('1') as nn.SyncBatchNorm;
    expect(converted).toBeInstanceOf(nn.SyncBatchNorm);
    expect(inner.getSubmodule('1')).toBeInstanceOf(nn.SyncBatchNorm);
    expect(converted.weight).toBe(bn.weight);
    expect(converted.running_var).toBe(bn.running_var);
    expect((inner.getSubmodule('1') as nn.SyncBatchNorm).momentum).toBeNull();
    const after = model.stateDict();
    expect(Object.keys(after)).toEqual(beforeKeys);
    Object.values(after).forEach((t, i) => {
      expect(maxAbsDiff(t, tensors[i]), beforeKeys[i]).toBe(0);
    });
    expect(String(converted)).toBe(
      'SyncBatchNorm(2, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)',
    );
    expect(nn.SyncBatchNorm.convertSyncBatchnorm(new nn.BatchNorm3d(5))).toBeInstanceOf(nn.SyncBatchNorm);
  });

  it('normalises as BatchNorm, in training and eval, for any input of 2 or more dimensions', () => {
    for (const shape of [
      [6, 3],
      [4, 3, 5],
      [2, 3, 4, 4],
      [2, 3, 2, 2, 2],
    ]) {
      torch.manualSeed(1);
      const x = torch.randn(shape);
      const sync = new nn.SyncBatchNorm(3, 1e-3, 0.2);
      const Plain = shape.length === 5 ? nn.BatchNorm3d : shape.length === 4 ? nn.BatchNorm2d : nn.BatchNorm1d;
      const plain = new Plain(3, 1e-3, 0.2);
      for (const train of [true, false]) {
        sync.train(train);
        plain.train(train);
        expect(maxAbsDiff(sync.forward(x), plain.forward(x)), `${shape} train=${train}`).toBe(0);
      }
      expect(maxAbsDiff(sync.running_var!, plain.running_var!)).toBe(0);
    }
    expect(() => new nn.SyncBatchNorm(3).forward(torch.randn([3]))).toThrow(/expected at least 2D input \(got 1D/);
  });

  it('checks its arguments', () => {
    expect(() => new nn.SyncBatchNorm(3, { processGrup: null } as never)).toThrow(/did you mean processGroup\?/);
    expect(() => new nn.SyncBatchNorm(3, 1e-5, 0.1, true, true, 'world' as never)).toThrow(TypeError);
    expect(() => new nn.SyncBatchNorm(3, { processGroup: 'world' as never })).toThrow(/processGroup/);
    expect(() => nn.SyncBatchNorm.convertSyncBatchnorm(new nn.ReLU(), 'world' as never)).toThrow(/processGroup/);
    expect(new nn.SyncBatchNorm(3, 1e-5, 0.1, true, true, null).eps).toBe(1e-5);
  });
});
