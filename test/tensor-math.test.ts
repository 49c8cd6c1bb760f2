// Tensor math: pointwise ops with tensors and scalars, broadcasting, type promotion,
// comparisons, in-place forms, matrix products and reductions. Expected values are worked
// out by hand or in plain JS from the inputs, never by torchts itself.
import { describe, expect, it } from 'vitest';

import { type Tensor, torch, TorchError } from '../lib/index';
import { expectValues } from './compare';

const A = [1, -2, 3.5, 0.25];
const a = (): Tensor => torch.tensor(A);

describe('binary ops with tensors and scalars', () => {
  const b = (): Tensor => torch.tensor([2, 4, -1, 0.5]);
  const B = [2, 4, -1, 0.5];

  it('add, with and without alpha', () => {
    expectValues(
      a().add(b()),
      A.map((x, i) => x + B[i]),
    );
    expectValues(
      a().add(b(), { alpha: 3 }),
      A.map((x, i) => x + 3 * B[i]),
    );
    expectValues(
      a().add(10),
      A.map((x) => x + 10),
    );
    expectValues(
      a().add(10, { alpha: -0.5 }),
      A.map((x) => x - 5),
    );
  });

  it('sub, with and without alpha, and rsub', () => {
    expectValues(
      a().sub(b()),
      A.map((x, i) => x - B[i]),
    );
    expectValues(
      a().sub(b(), { alpha: 2 }),
      A.map((x, i) => x - 2 * B[i]),
    );
    expectValues(
      a().sub(1.5),
      A.map((x) => x - 1.5),
    );
    expectValues(
      a().rsub(1),
      A.map((x) => 1 - x),
    );
  });

  it('mul and div', () => {
    expectValues(
      a().mul(b()),
      A.map((x, i) => x * B[i]),
    );
    expectValues(
      a().mul(-2),
      A.map((x) => -2 * x),
    );
    expectValues(
      a().div(b()),
      A.map((x, i) => x / B[i]),
    );
    expectValues(
      a().div(4),
      A.map((x) => x / 4),
    );
  });

  it('div by zero gives inf and nan as IEEE says', () => {
    expectValues(torch.tensor([1, -1, 0], { dtype: 'float32' }).div(0), [Infinity, -Infinity, NaN]);
  });

  it('pow with scalar and tensor exponents', () => {
    expectValues(
      a().pow(2),
      A.map((x) => x ** 2),
    );
    expectValues(torch.tensor([4, 9, 0.25]).pow(0.5), [2, 3, 0.5]);
    expectValues(torch.tensor([2, 3, 4], { dtype: 'float32' }).pow(torch.tensor([3, 2, 0.5])), [8, 9, 2]);
    expect(torch.tensor([2, 3]).pow(3).toArray()).toEqual([8, 27]);
  });

  it('remainder follows the sign of the divisor, fmod the dividend', () => {
    const x = torch.tensor([-7, -3, 3, 7]);
    expect(x.remainder(3).toArray()).toEqual([2, 0, 0, 1]);
    expect(x.fmod(3).toArray()).toEqual([-1, 0, 0, 1]);
    expect(x.remainder(-3).toArray()).toEqual([-1, 0, 0, -2]);
    expectValues(torch.tensor([5.5, -5.5]).remainder(2), [1.5, 0.5]);
    expect(x.floorDivide(2).toArray()).toEqual([-4, -2, 1, 3]);
  });

  it('maximum / minimum / atan2', () => {
    expectValues(
      a().maximum(b()),
      A.map((x, i) => Math.max(x, B[i])),
    );
    expectValues(
      a().minimum(b()),
      A.map((x, i) => Math.min(x, B[i])),
    );
    expectValues(
      a().atan2(b()),
      A.map((x, i) => Math.atan2(x, B[i])),
    );
  });

  it('addcmul_ / addcdiv_ add value * t1 * t2 and value * t1 / t2 (value 1 by default)', () => {
    expectValues(
      a().addcmul_(b(), b()),
      A.map((x, i) => x + B[i] * B[i]),
    );
    expectValues(
      a().addcmul_(a(), b(), { value: -0.5 }),
      A.map((x, i) => x - 0.5 * x * B[i]),
    );
    expectValues(
      a().addcdiv_(a(), b()),
      A.map((x, i) => x + x / B[i]),
    );
    expectValues(
      a().addcdiv_(b(), a(), { value: 2 }),
      A.map((x, i) => x + (2 * B[i]) / x),
    );
  });

  it('where picks from input where the condition holds', () => {
    const cond = torch.tensor([true, false, true, false]);
    expectValues(torch.where(cond, a(), b()), [A[0], B[1], A[2], B[3]]);
    expectValues(
      a().where(a().gt(0), torch.zeros(4)),
      A.map((x) => Math.max(x, 0)),
    );
  });
});

describe('unary ops', () => {
  const pos = [0.5, 1, 2, 4];
  const sig = (x: number): number => 1 / (1 + Math.exp(-x));
  const cases: [string, (t: Tensor) => Tensor, number[], (x: number) => number][] = [
    ['neg', (t) => t.neg(), A, (x) => -x],
    ['abs', (t) => t.abs(), A, Math.abs],
    ['exp', (t) => t.exp(), A, Math.exp],
    ['log', (t) => t.log(), pos, Math.log],
    ['log2', (t) => t.log2(), pos, Math.log2],
    ['sqrt', (t) => t.sqrt(), pos, Math.sqrt],
    ['rsqrt', (t) => t.rsqrt(), pos, (x) => 1 / Math.sqrt(x)],
    ['sigmoid', (t) => t.sigmoid(), A, sig],
    ['tanh', (t) => t.tanh(), A, Math.tanh],
    ['relu', (t) => t.relu(), A, (x) => Math.max(x, 0)],
    ['sin', (t) => t.sin(), A, Math.sin],
    ['cos', (t) => t.cos(), A, Math.cos],
    ['square', (t) => t.square(), A, (x) => x * x],
    ['reciprocal', (t) => t.reciprocal(), pos, (x) => 1 / x],
    ['floor', (t) => t.floor(), A, Math.floor],
    ['ceil', (t) => t.ceil(), A, Math.ceil],
    ['sign', (t) => t.sign(), [-3, 0, 2.5, -0.1], Math.sign],
    ['trunc', (t) => t.trunc(), [-2.7, 2.7, -0.5, 0.5], Math.trunc],
  ];
  it.each(cases)('%s', (_name, op, input, ref) => {
    const out = op(torch.tensor(input, { dtype: 'float32' }));
    expect(out.dtype).toBe('float32');
    expectValues(out, input.map(ref));
  });

  it('round rounds half to even', () => {
    expect(torch.tensor([0.5, 1.5, 2.5, -0.5, -1.7]).round().toArray()).toEqual([0, 2, 2, -0, -2]);
  });

  it('log / sqrt outside the domain', () => {
    expectValues(torch.tensor([0, -1], { dtype: 'float32' }).log(), [-Infinity, NaN]);
    const s = torch.tensor([-1, 4], { dtype: 'float32' }).sqrt();
    expect(s.isnan().toArray()).toEqual([true, false]);
    expect(torch.tensor([1, Infinity, NaN]).isinf().toArray()).toEqual([false, true, false]);
    expect(torch.tensor([1, Infinity, NaN]).isfinite().toArray()).toEqual([true, false, false]);
  });

  it('clamp with both bounds, only min, only max', () => {
    expectValues(
      a().clamp(-1, 1),
      A.map((x) => Math.min(Math.max(x, -1), 1)),
    );
    expectValues(
      a().clamp(0),
      A.map((x) => Math.max(x, 0)),
    );
    expectValues(
      a().clamp(null, 0.5),
      A.map((x) => Math.min(x, 0.5)),
    );
    expect(torch.tensor([-5, 5, 0]).clamp(-2, 2).toArray()).toEqual([-2, 2, 0]);
  });
});

describe('broadcasting', () => {
  it('[2, 1] op [3] gives [2, 3]', () => {
    const col = torch.tensor([[10], [20]]);
    const row = torch.tensor([1, 2, 3]);
    const s = col.add(row);
    expect(s.shape).toEqual([2, 3]);
    expect(s.toArray()).toEqual([
      [11, 12, 13],
      [21, 22, 23],
    ]);
    expect(col.mul(row).toArray()).toEqual([
      [10, 20, 30],
      [20, 40, 60],
    ]);
  });

  it('a 0-d tensor broadcasts against anything', () => {
    expect(
      torch
        .tensor([
          [1, 2],
          [3, 4],
        ])
        .sub(torch.tensor(1))
        .toArray(),
    ).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it("incompatible shapes throw a TorchError with libtorch's message", () => {
    const bad = (): Tensor => torch.ones(2, 3).add(torch.ones(4));
    expect(bad).toThrow(TorchError);
    expect(bad).toThrow(/size of tensor a \(3\) must match the size of tensor b \(4\)/);
  });
});

describe('type promotion', () => {
  it('integer tensor with integer scalar stays int64', () => {
    const t = torch.tensor([1, 2, 3]);
    for (const r of [t.add(2), t.sub(1), t.mul(3), t.remainder(2), t.pow(2)]) expect(r.dtype).toBe('int64');
    expect(t.add(2).toArray()).toEqual([3, 4, 5]);
  });

  it('a float scalar or a float-valued op promotes an integer tensor to float32', () => {
    expect(torch.tensor([0, 1]).exp().dtype).toBe('float32');
    expect(torch.tensor([4]).sqrt().toArray()).toEqual([2]);
    const r = torch.tensor([1, 2]).mul(0.5);
    expect(r.dtype).toBe('float32');
    expect(r.toArray()).toEqual([0.5, 1]);
  });

  it('div of integers is true division', () => {
    const r = torch.tensor([1, 2, 3]).div(2);
    expect(r.dtype).toBe('float32');
    expect(r.toArray()).toEqual([0.5, 1, 1.5]);
    expect(
      torch
        .tensor([7])
        .div(torch.tensor([2]))
        .toArray(),
    ).toEqual([3.5]);
  });

  it('scalars do not widen a tensor; tensors of the same category do', () => {
    expect(torch.tensor([1], { dtype: 'int32' }).add(5).dtype).toBe('int32');
    expect(torch.tensor([1], { dtype: 'int32' }).add(torch.tensor([1])).dtype).toBe('int64');
    expect(torch.tensor([1], { dtype: 'float16' }).mul(2.5).dtype).toBe('float16');
    expect(torch.tensor([1], { dtype: 'float32' }).add(torch.tensor([1], { dtype: 'float64' })).dtype).toBe('float64');
    expect(torch.tensor([1], { dtype: 'uint8' }).add(torch.tensor([1], { dtype: 'int8' })).dtype).toBe('int16');
    expect(torch.tensor([true]).add(torch.tensor([true])).dtype).toBe('bool');
    expect(torch.tensor([1]).add(torch.tensor(1.5)).dtype).toBe('float32');
  });
});

describe('comparisons', () => {
  const x = (): Tensor => torch.tensor([1, 2, 3]);
  it('with scalars return bool tensors', () => {
    const got = [x().eq(2), x().ne(2), x().lt(2), x().le(2), x().gt(2), x().ge(2)];
    expect(got.map((t) => t.dtype)).toEqual(Array(6).fill('bool'));
    expect(got.map((t) => t.toArray())).toEqual([
      [false, true, false], // eq
      [true, false, true], // ne
      [true, false, false], // lt
      [true, true, false], // le
      [false, false, true], // gt
      [false, true, true], // ge
    ]);
  });

  it('with tensors, broadcasting and mixed dtypes', () => {
    const r = x().eq(torch.tensor([1.0, 2.5, 3.0]));
    expect(r.toArray()).toEqual([true, false, true]);
    expect(x().unsqueeze(1).lt(x()).toArray()).toEqual([
      [false, true, true],
      [false, false, true],
      [false, false, false],
    ]);
  });

  it('logical ops', () => {
    const p = torch.tensor([true, true, false, false]);
    const q = torch.tensor([true, false, true, false]);
    expect(p.logicalAnd(q).toArray()).toEqual([true, false, false, false]);
    expect(p.logicalOr(q).toArray()).toEqual([true, true, true, false]);
    expect(p.logicalXor(q).toArray()).toEqual([false, true, true, false]);
    expect(p.logicalNot().toArray()).toEqual([false, false, true, true]);
  });

  it('equal and allclose', () => {
    expect(torch.equal(x(), torch.tensor([1, 2, 3]))).toBe(true);
    expect(torch.equal(x(), torch.tensor([1, 2, 4]))).toBe(false);
    const f = (): Tensor => torch.tensor([1, 2], { dtype: 'float32' });
    expect(torch.allclose(f(), torch.tensor([1 + 1e-6, 2]))).toBe(true);
    expect(torch.allclose(f(), torch.tensor([1.1, 2]))).toBe(false);
    expect(torch.allclose(f(), torch.tensor([1.1, 2]), { atol: 0.2 })).toBe(true);
    // as in PyTorch, allclose needs matching dtypes: 'Long did not match Float'
    expect(() => torch.allclose(torch.tensor([1, 2]), torch.tensor([1.5, 2]))).toThrow(/Long did not match Float/);
  });
});

describe('in-place ops', () => {
  it('return the same object and mutate it (out-of-place forms do not)', () => {
    const t = torch.tensor([1, 2, 3], { dtype: 'float32' });
    t.neg();
    t.add(1);
    expect(t.toArray()).toEqual([1, 2, 3]);
    expect(t.add_(1)).toBe(t);
    expect(t.toArray()).toEqual([2, 3, 4]);
    expect(t.mul_(torch.tensor([1, 2, 3]))).toBe(t);
    expect(t.toArray()).toEqual([2, 6, 12]);
    expect(t.sub_(2, { alpha: 1 })).toBe(t);
    expect(t.div_(2)).toBe(t);
    expect(t.toArray()).toEqual([0, 2, 5]);
    expect(t.pow_(2)).toBe(t);
    expect(t.neg_()).toBe(t);
    expect(t.toArray()).toEqual([-0, -4, -25]);
    expect(t.clamp_(-10, -1)).toBe(t);
    expect(t.toArray()).toEqual([-1, -4, -10]);
    expect(t.abs_().sqrt_()).toBe(t);
    expect(t.toArray()).toEqual([1, 2, Math.fround(Math.sqrt(10))]);
    expect(t.fill_(7)).toBe(t);
    expect(t.zero_()).toBe(t);
    expect(t.toArray()).toEqual([0, 0, 0]);
  });

  it('add_ with alpha and a tensor', () => {
    const t = torch.ones(3);
    t.add_(torch.tensor([1, 2, 3]), { alpha: 2 });
    expect(t.toArray()).toEqual([3, 5, 7]);
  });

  it('write through to the base of a view', () => {
    const base = torch.zeros(2, 3);
    base.index(1).add_(5);
    expect(base.toArray()).toEqual([
      [0, 0, 0],
      [5, 5, 5],
    ]);
  });

  it('cannot change the dtype of the result (float into int64 fails)', () => {
    expect(() => torch.tensor([1, 2]).mul_(0.5)).toThrow(
      /result type Float can't be cast to the desired output type Long/,
    );
  });

  it('comparison in place keeps the dtype of the tensor', () => {
    const t = torch.tensor([1, 5, 3], { dtype: 'float32' });
    t.gt_(2);
    expect(t.dtype).toBe('float32');
    expect(t.toArray()).toEqual([0, 1, 1]);
  });
});

describe('matrix products', () => {
  const m23 = [
    [1, 2, 3],
    [4, 5, 6],
  ];
  const m32 = [
    [7, 8],
    [9, 10],
    [11, 12],
  ];
  const m23xm32 = [
    [58, 64],
    [139, 154],
  ];

  it('matmul / mm of 2-d tensors', () => {
    expect(torch.tensor(m23).matmul(torch.tensor(m32)).toArray()).toEqual(m23xm32);
    expect(
      torch
        .tensor(m23, { dtype: 'float32' })
        .mm(torch.tensor(m32, { dtype: 'float32' }))
        .toArray(),
    ).toEqual(m23xm32);
    expect(torch.matmul(torch.tensor(m23), torch.tensor(m32)).shape).toEqual([2, 2]);
  });

  it('matmul of vectors and matrix-vector', () => {
    const v = torch.tensor([1, 0, -1]);
    const dot = v.matmul(torch.tensor([3, 4, 5]));
    expect(dot.shape).toEqual([]);
    expect(dot.item()).toBe(-2);
    expect(torch.tensor(m23).matmul(v).toArray()).toEqual([-2, -2]);
    expect(v.dot(torch.tensor([3, 4, 5])).item()).toBe(-2);
    expect(
      torch
        .tensor([1, 2])
        .outer(torch.tensor([3, 4, 5]))
        .toArray(),
    ).toEqual([
      [3, 4, 5],
      [6, 8, 10],
    ]);
  });

  it('bmm and broadcasting batched matmul', () => {
    const batch = torch.stack([torch.tensor(m23), torch.tensor(m23).neg()]);
    const r = batch.bmm(torch.stack([torch.tensor(m32), torch.tensor(m32)]));
    expect(r.shape).toEqual([2, 2, 2]);
    expect(r.toArray()).toEqual([m23xm32, m23xm32.map((row) => row.map((x) => -x))]);
    expect(batch.matmul(torch.tensor(m32)).toArray()).toEqual(r.toArray());
  });

  it('mismatched inner sizes throw', () => {
    expect(() => torch.ones(2, 3).mm(torch.ones(2, 3))).toThrow(/cannot be multiplied \(2x3 and 2x3\)/);
  });
});

describe('reductions', () => {
  // [[1, 5, 3], [4, 2, 6]]
  const M = [
    [1, 5, 3],
    [4, 2, 6],
  ];
  const m = (dtype: torch.DType = 'float32'): Tensor => torch.tensor(M, { dtype });

  it('sum over all, one dim, several dims, keepdim', () => {
    const all = m().sum();
    expect(all.shape).toEqual([]);
    expect(all.item()).toBe(21);
    expect(m().sum(0).toArray()).toEqual([5, 7, 9]);
    expect(m().sum(1).toArray()).toEqual([9, 12]);
    expect(m().sum(-1, true).shape).toEqual([2, 1]);
    expect(m().sum([0, 1]).item()).toBe(21);
    expect(m().sum(null, false, { dtype: 'float64' }).dtype).toBe('float64');
  });

  it('sum of int and bool tensors is int64', () => {
    expect(m('int32').sum().dtype).toBe('int64');
    const b = torch.tensor([true, false, true, true]).sum();
    expect(b.dtype).toBe('int64');
    expect(b.item()).toBe(3);
  });

  it('mean', () => {
    expect(m().mean().item()).toBe(3.5);
    expect(m().mean(0).toArray()).toEqual([2.5, 3.5, 4.5]);
    expect(m().mean(1, true).toArray()).toEqual([[3], [4]]);
    expect(() => m('int64').mean()).toThrow(/mean\(\): could not infer output dtype/);
    expect(m('int64').mean(null, false, { dtype: 'float64' }).item()).toBe(3.5);
  });

  it('max / min over all and along a dim', () => {
    expect(m().max().item()).toBe(6);
    expect(m().min().item()).toBe(1);
    const mx = m().max(1);
    expect(mx.values.toArray()).toEqual([5, 6]);
    expect(mx.indices.toArray()).toEqual([1, 2]);
    expect(mx.indices.dtype).toBe('int64');
    const mn = m().min(0, true);
    expect(mn.values.toArray()).toEqual([[1, 2, 3]]);
    expect(mn.indices.toArray()).toEqual([[0, 1, 0]]);
    expect(m().amax(0).toArray()).toEqual([4, 5, 6]);
    expect(m().amin([0, 1]).item()).toBe(1);
  });

  it('argmax / argmin over the flattened tensor and along a dim', () => {
    expect(m().argmax().item()).toBe(5);
    expect(m().argmin().item()).toBe(0);
    expect(m().argmax(0).toArray()).toEqual([1, 0, 1]);
    expect(m().argmin(1, true).toArray()).toEqual([[0], [1]]);
  });

  it('std and var with Bessel correction by default', () => {
    const v = [1, 5, 3, 4, 2, 6];
    const mean = 3.5;
    const ss = v.reduce((s, x) => s + (x - mean) ** 2, 0);
    expect(m().var().item()).toBeCloseTo(ss / 5, 5);
    expect(m().std().item()).toBeCloseTo(Math.sqrt(ss / 5), 5);
    expect(m().var(null, { correction: 0 }).item()).toBeCloseTo(ss / 6, 5);
    // rows [1, 5, 3] and [4, 2, 6] both have mean-square deviation 8 -> var 4
    expectValues(m().var(1), [4, 4]);
    expectValues(m().std(1, { keepdim: true }), [2, 2]);
    expect(m().std(1, { keepdim: true }).shape).toEqual([2, 1]);
    expectValues(m().var(0), [4.5, 4.5, 4.5]);
  });

  it('prod', () => {
    expect(m().prod().item()).toBe(720);
    expect(m().prod(1).toArray()).toEqual([15, 48]);
    expect(m('int64').prod(0, true).toArray()).toEqual([[4, 10, 18]]);
  });

  it('all / any', () => {
    const b = torch.tensor([
      [true, false],
      [true, true],
    ]);
    expect(b.all().item()).toBe(false);
    expect(b.any().item()).toBe(true);
    expect(b.all(1).toArray()).toEqual([false, true]);
    expect(b.any(0, true).toArray()).toEqual([[true, true]]);
    expect(torch.tensor([1, 0, 2]).all().item()).toBe(false);
    expect(torch.tensor([1, 0, 2]).any().dtype).toBe('bool');
  });

  it('norm with p and dims', () => {
    const v = torch.tensor(
      [
        [3, -4],
        [0, 12],
      ],
      { dtype: 'float32' },
    );
    expect(v.norm().item()).toBeCloseTo(13, 5);
    expect(v.norm(1).item()).toBe(19);
    expectValues(v.norm(2, 1), [5, 12]);
    expectValues(v.norm(2, 0, true), [3, Math.sqrt(16 + 144)]);
    expect(v.norm(2, 0, true).shape).toEqual([1, 2]);
    expect(v.norm(Infinity).item()).toBe(12);
  });

  it('logsumexp, cumsum, softmax', () => {
    const x = [1, 2, 3];
    const lse = Math.log(x.reduce((s, v) => s + Math.exp(v), 0));
    expect(torch.tensor(x, { dtype: 'float32' }).logsumexp(0).item()).toBeCloseTo(lse, 5);
    expect(torch.tensor(x).cumsum(0).toArray()).toEqual([1, 3, 6]);
    const sm = torch.tensor(x, { dtype: 'float32' }).softmax(0);
    expectValues(
      sm,
      x.map((v) => Math.exp(v - lse)),
    );
    expectValues(
      torch.tensor(x, { dtype: 'float32' }).logSoftmax(0),
      x.map((v) => v - lse),
    );
  });

  it('reducing over a dim out of range throws', () => {
    expect(() => m().sum(2)).toThrow(/Dimension out of range/);
  });
});
