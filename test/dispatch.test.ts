// The generic op path (lib/torch/dispatch.ts over native/ops/dispatch.cc): overload choice as
// python_arg_parser makes it, keyword options, in-place/out= identity, results of every kind,
// autograd through it, and errors: TypeErrors naming the argument, never a crash, including
// for arbitrary values thrown straight at the native entry point.
import { describe, expect, it } from 'vitest';

import { torch, type Tensor } from '../lib/index';
import { N } from '../lib/native';
import { TORCH } from '../lib/torch/generated/signatures';

const t = (data: number[] | number[][], dtype: 'float32' | 'float64' | 'int64' = 'float32'): Tensor =>
  torch.tensor(data, { dtype });

describe('generated torch functions and methods', () => {
  it('call libtorch ops that were never bound by hand', () => {
    const a = t([
      [1, 2],
      [3, 4],
    ]);
    expect(a.cumprod(0).toArray()).toEqual([
      [1, 2],
      [3, 8],
    ]);
    expect(torch.cumprod(a, 1).toArray()).toEqual([
      [1, 2],
      [3, 12],
    ]);
    expect(torch.einsum('ij,jk->ik', [a, a]).toArray()).toEqual([
      [7, 10],
      [15, 22],
    ]);
    expect(torch.tril(a).toArray()).toEqual([
      [1, 0],
      [3, 4],
    ]);
    expect(torch.linalg.det(a).item()).toBeCloseTo(-2, 5);
    expect(torch.special.expit(t([0])).item()).toBeCloseTo(0.5, 7);
  });

  it('choose overloads as Python does: Tensor before Scalar, int before int[]', () => {
    const a = t([-2, 0.5, 3]);
    // clamp(Tensor? min, Tensor? max) first, clamp(Scalar? min, Scalar? max) when numbers are given
    expect(torch.clamp(a, -1, 1).toArray()).toEqual([-1, 0.5, 1]);
    expect(torch.clamp(a, t([0, 0, 0]), null).toArray()).toEqual([0, 0.5, 3]);
    // torch.add accepts numbers for Tensor arguments (wrapped numbers), as torch.add(t, 2) does
    expect(torch.add(a, 2).toArray()).toEqual([0, 2.5, 5]);
    expect(torch.add(a, 1, { alpha: 3 }).toArray()).toEqual([1, 3.5, 6]);
    // an integer tensor plus an integral number stays integral
    expect(torch.mul(t([1, 2], 'int64'), 3).dtype).toBe('int64');
    // squeeze(dim) vs squeeze(dims)
    const z = torch.zeros([1, 2, 1]);
    expect([...z.squeeze(0).shape]).toEqual([2, 1]);
    expect([...torch.squeeze(z, [0, 2]).shape]).toEqual([2]);
  });

  it('take keyword arguments in a trailing options object, camelCase, and positional ones by name too', () => {
    const a = t([
      [1, 2],
      [3, 4],
    ]);
    expect(torch.cumsum(a, 0, { dtype: 'float64' }).dtype).toBe('float64');
    expect(torch.cumsum(a, { dim: 1 } as never).toArray()).toEqual([
      [1, 3],
      [3, 7],
    ]);
    expect([...torch.logcumsumexp(a, 0).shape]).toEqual([2, 2]);
    const v = torch.varMean(a, 1, { correction: 0, keepdim: true });
    expect([...v[0].shape]).toEqual([2, 1]);
    expect(v[0].toArray()).toEqual([[0.25], [0.25]]);
  });

  it('return the input tensor itself from in-place and out= forms', () => {
    const a = t([1, 2, 3]);
    const r = a.addcmul_(a, a, { value: 2 });
    expect(r).toBe(a);
    expect(a.toArray()).toEqual([3, 10, 21]);
    const out = torch.empty([3]);
    const s = torch.mul(a, a, { out });
    expect(s).toBe(out);
    expect(out.toArray()).toEqual([9, 100, 441]);
    const values = torch.empty([0]);
    const indices = torch.empty([0], { dtype: 'int64' });
    const m = torch.max(t([[1, 5, 2]]), 1, false, { out: [values, indices] });
    expect(m[0]).toBe(values);
    expect(m.indices).toBe(indices);
    expect(indices.toArray()).toEqual([1]);
  });

  it('return named tuples as arrays with named fields, lists as arrays', () => {
    const a = t([
      [3, 1],
      [2, 4],
    ]);
    const k = a.kthvalue(1, 1);
    expect(k.values.toArray()).toEqual([1, 2]);
    expect(k.indices.toArray()).toEqual([1, 0]);
    const [vals, idx] = k;
    expect(vals).toBe(k.values);
    expect(idx).toBe(k.indices);
    const parts = torch.tensorSplit(t([1, 2, 3, 4, 5]), 2);
    expect(parts.map((p: Tensor) => p.toArray())).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(torch.isNonzero(t([1]))).toBe(true);
    expect(torch.isSameSize(a, a)).toBe(true);
    expect(a.isComplex()).toBe(false);
  });

  it('accept varargs for a single int-list argument, and a single int for int[N]', () => {
    const a = torch.arange(6);
    expect([...a.unflatten(0, [2, 3]).shape]).toEqual([2, 3]);
    expect([...a.tile(2 as never).shape]).toEqual([12]);
    const img = torch.ones([1, 1, 4, 4]);
    expect([...torch.maxPool2d(img, 2).shape]).toEqual([1, 1, 2, 2]);
    expect([...torch.maxPool2d(img, [2, 2], { stride: 1 } as never).shape]).toEqual([1, 1, 3, 3]);
  });

  it('create tensors with dtype, device and requiresGrad options', () => {
    const f = torch.full([2], 3, { dtype: 'float64', requiresGrad: true });
    expect(f.dtype).toBe('float64');
    expect(f.requiresGrad).toBe(true);
    expect(torch.zeros([2]).newOnes([3]).toArray()).toEqual([1, 1, 1]);
    expect(torch.eye(2).newFull([2], 7, { dtype: 'int64' }).dtype).toBe('int64');
    expect(torch.hannWindow(4, { dtype: 'float64' }).dtype).toBe('float64');
  });

  it('extend hand-bound methods with the forms only the schema has', () => {
    const a = t([7, -7]);
    expect(a.div(2, { roundingMode: 'floor' }).toArray()).toEqual([3, -4]);
    expect(a.div(2).toArray()).toEqual([3.5, -3.5]);
    expect((t([1.234]).round as (o: unknown) => torch.Tensor)({ decimals: 1 }).item()).toBeCloseTo(1.2, 6);
    expect(a.mul(torch.tensor(2)).toArray()).toEqual([14, -14]);
    // a required keyword-only argument (argsort.stable) is not matched by a positional call
    expect(torch.argsort(t([3, 1, 2])).toArray()).toEqual([1, 2, 0]);
    expect(torch.argsort(t([3, 1, 2]), { stable: true, descending: true }).toArray()).toEqual([0, 2, 1]);
  });

  it('run under autocast like any dispatcher call', () => {
    const a = torch.randn([4, 4]);
    const r = torch.autocast('cpu', { dtype: 'bfloat16' }, () => torch.mm(a, a));
    expect(r.dtype).toBe('bfloat16');
    expect(torch.mm(a, a).dtype).toBe('float32');
  });

  it('record autograd through the dispatcher', () => {
    const x = t([1, 2, 3]).requiresGrad_();
    const y = torch.cumprod(x, 0).sum();
    y.backward();
    expect(x.grad!.toArray()).toEqual([1 + 2 + 2 * 3, 1 + 3, 1 * 2]);
    expect(torch.logaddexp(x, x).gradFn).toBe('LogaddexpBackward0');
  });

  it('reject bad arguments with a TypeError naming the argument and its type', () => {
    const a = t([1, 2]);
    expect(() => a.cumprod('x' as never)).toThrow(/^Expected an integer for dim but received "x" \(Tensor\.cumprod\(/);
    expect(() => a.cumprod(0, { dtyp: 'float64' } as never)).toThrow(/received 'dtyp' \(did you mean 'dtype'\?\)/);
    expect(() => torch.clamp(a, 'x' as never)).toThrow(/Expected arguments matching one of[\s\S]*torch\.clamp/);
    expect(() => a.cumprod(0.5)).toThrow(TypeError);
    expect(() => (a.cumprod as (...args: unknown[]) => unknown)(0, 1, 2)).toThrow(/at most 1 positional/);
    expect(() => a.cumprod(0, { dim: 0 } as never)).toThrow(/once/);
    expect(() => torch.cumprod(a, 0, { dtype: 'complex256' as never })).toThrow(TypeError);
    // libtorch's own checks arrive as TorchError
    expect(() => torch.mm(a, a)).toThrow(torch.TorchError);
    const d = t([1]);
    d.dispose();
    expect(() => torch.cumprod(d, 0)).toThrow(/disposed/);
  });
});

describe('generated functions under fuzzing', () => {
  it('answer arbitrary small arguments with a result or an Error, never a crash', () => {
    const values: unknown[] = [
      undefined,
      null,
      true,
      0,
      1,
      -1,
      2.5,
      Number.NaN,
      'x',
      'mean',
      [],
      [1],
      [0, 1],
      {},
      { dim: 0 },
      { out: null },
      { bogus: 1 },
    ];
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    // Ops that would allocate or wait on sizes taken from random numbers, or touch global state.
    const skip =
      /^(_|empty|full|zeros|ones|rand|randn|randint|randperm|arange|range|linspace|logspace|eye|tril_indices|triu_indices|hannWindow|hammingWindow|blackmanWindow|bartlettWindow|kaiserWindow|fromFile|set|manualSeed|seed|initialSeed|sleep|newFull|newEmpty|newZeros|newOnes|cudnn|miopen|mkldnn|fbgemm|quantize|q_|fakeQuantize)/;
    // The generated ops (and the torch/functional.py forms that replace some of them).
    const names = Object.keys(TORCH).filter((k) => typeof (torch as never)[k] === 'function' && !skip.test(k));
    expect(names.length).toBeGreaterThan(400);
    let calls = 0;
    let ok = 0;
    for (let i = 0; i < 4000; i++) {
      const f = (torch as unknown as Record<string, (...a: unknown[]) => unknown>)[names[rand(names.length)]];
      const x = torch.tidy(() =>
        torch.tensor(
          [
            [1, 2],
            [3, 4],
          ],
          { dtype: rand(2) ? 'float32' : 'int64' },
        ),
      );
      const args = Array.from({ length: rand(4) }, () => (rand(3) === 0 ? x : values[rand(values.length)]));
      calls++;
      try {
        torch.tidy(() => {
          f(x, ...args);
        });
        ok++;
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
      }
      x.dispose();
    }
    expect(calls).toBe(4000);
    expect(ok).toBeGreaterThan(100);
  });
});

describe('native generic entry point', () => {
  const add = N.opResolve('aten::add', 'Tensor');

  it('resolves operators once and reports their schema', () => {
    expect(N.opSchema(add)).toBe('aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor');
    expect(N.opArgs(add).map((a) => a[0])).toEqual(['self', 'other', 'alpha']);
    expect(() => N.opResolve('aten::no_such_op', '')).toThrow(/not in this libtorch/);
  });

  it('returns -(k + 2) for results that are argument k', () => {
    const a = t([1]);
    const inplace = N.opResolve('aten::add_', 'Tensor');
    expect(N.opCall(inplace, a.handle, a.handle)).toBe(-2);
    expect(a.item()).toBe(2);
  });

  it('survives arbitrary values in every position (fuzz)', () => {
    const a = t([1, 2]);
    const ops = [
      add,
      N.opResolve('aten::sum', 'dim_IntList'),
      N.opResolve('aten::index', 'Tensor'),
      N.opResolve('aten::full', ''),
      N.opResolve('aten::cat', ''),
      N.opResolve('aten::to', 'dtype_layout'),
      N.opResolve('aten::bernoulli', ''),
      N.opResolve('aten::upsample_bilinear2d', 'vec'),
    ];
    const values: unknown[] = [
      undefined,
      null,
      true,
      -1,
      0,
      1.5,
      2 ** 40,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      a.handle,
      123456,
      'cpu',
      'cuda:99',
      '',
      'x'.repeat(300),
      [],
      [a.handle],
      [1, 'a'],
      [null, a.handle],
      [[1]],
      {},
      { length: 3 },
      () => 1,
      Symbol('s'),
      10n,
    ];
    let seed = 1;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let threw = 0;
    let ran = 0;
    for (let i = 0; i < 3000; i++) {
      const op = ops[rand(ops.length)];
      const n = rand(7);
      const args = Array.from({ length: n }, () => values[rand(values.length)]);
      const mask = rand(4) === 0 ? rand(8) << 16 : 0;
      try {
        const r = N.opCall(op + mask, ...args);
        ran++;
        if (typeof r === 'number' && r >= 0 && r !== a.handle) N.free(r);
      } catch (e) {
        threw++;
        expect(e).toBeInstanceOf(Error);
      }
    }
    expect(threw).toBeGreaterThan(2000);
    expect(ran).toBeGreaterThan(0);
    expect(a.toArray()).toEqual([1, 2]);
    expect(() => N.opCall('x' as never)).toThrow(TypeError);
    expect(() => N.opCall(99999)).toThrow(TypeError);
  });
});
