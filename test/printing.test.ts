// Printing: String(t) and util.inspect(t) must read exactly as PyTorch prints the same tensor.
// Every expected string below was produced once by real PyTorch 2.13 (default print options),
//   PYTHONPATH=.deps/python python3 -c "import torch; nan, inf = float('nan'), float('inf'); print(<expr>)"
// with <expr> the Python expression in the comment above the row.
import { inspect } from 'node:util';

import { describe, expect, it } from 'vitest';

import { type Tensor, torch } from '../lib/index';

const rows: [name: string, make: () => Tensor, expected: string][] = [
  // torch.tensor([-5, 100, 7])
  ['int64 vector', () => torch.tensor([-5, 100, 7]), 'tensor([ -5, 100,   7])'],
  // torch.tensor([1.5, 2.25, -3.125])
  ['float32 with decimals', () => torch.tensor([1.5, 2.25, -3.125]), 'tensor([ 1.5000,  2.2500, -3.1250])'],
  // torch.tensor([1., 2.])
  ['float32, all values integral', () => torch.tensor([1, 2], { dtype: 'float32' }), 'tensor([1., 2.])'],
  // torch.tensor([1.5, 2.25], dtype=torch.float64)
  [
    'float64 suffix',
    () => torch.tensor([1.5, 2.25], { dtype: 'float64' }),
    'tensor([1.5000, 2.2500], dtype=torch.float64)',
  ],
  // torch.tensor([1., 2.], dtype=torch.float64)
  ['float64 integral', () => torch.tensor(new Float64Array([1, 2])), 'tensor([1., 2.], dtype=torch.float64)'],
  // torch.tensor([True, False, True])
  ['bool vector', () => torch.tensor([true, false, true]), 'tensor([ True, False,  True])'],
  // torch.tensor([[1, 2, 3], [4, 5, 6]])
  [
    '2-d int64',
    () =>
      torch.tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]),
    'tensor([[1, 2, 3],\n        [4, 5, 6]])',
  ],
  // torch.tensor([[1.5, 2.0], [3.0, -4.25]])
  [
    '2-d float32',
    () =>
      torch.tensor([
        [1.5, 2.0],
        [3.0, -4.25],
      ]),
    'tensor([[ 1.5000,  2.0000],\n        [ 3.0000, -4.2500]])',
  ],
  // torch.tensor([[True, False], [False, True]])
  [
    '2-d bool',
    () =>
      torch.tensor([
        [true, false],
        [false, true],
      ]),
    'tensor([[ True, False],\n        [False,  True]])',
  ],
  // torch.arange(12).reshape(2, 2, 3)
  [
    '3-d int64',
    () => torch.arange(12).reshape(2, 2, 3),
    'tensor([[[ 0,  1,  2],\n         [ 3,  4,  5]],\n\n        [[ 6,  7,  8],\n         [ 9, 10, 11]]])',
  ],
  // torch.arange(8, dtype=torch.float32).reshape(2, 2, 2) / 4
  [
    '3-d float32',
    () => torch.arange(8, { dtype: 'float32' }).reshape(2, 2, 2).div(4),
    'tensor([[[0.0000, 0.2500],\n         [0.5000, 0.7500]],\n\n        [[1.0000, 1.2500],\n         [1.5000, 1.7500]]])',
  ],
  // torch.tensor([1e-5, 1.0, 1000.0])
  [
    'scientific: small and large values',
    () => torch.tensor([1e-5, 1, 1000]),
    'tensor([1.0000e-05, 1.0000e+00, 1.0000e+03])',
  ],
  // torch.tensor([1e10, 2.0])
  ['scientific: above 1e8', () => torch.tensor([1e10, 2], { dtype: 'float32' }), 'tensor([1.0000e+10, 2.0000e+00])'],
  // torch.tensor([1., 2000.])
  [
    'scientific: integral values with a ratio over 1000',
    () => torch.tensor([1, 2000], { dtype: 'float32' }),
    'tensor([1.0000e+00, 2.0000e+03])',
  ],
  // torch.tensor([1., 1000.])
  [
    'integral values with a ratio of exactly 1000',
    () => torch.tensor([1, 1000], { dtype: 'float32' }),
    'tensor([   1., 1000.])',
  ],
  // torch.tensor([123456789.0, 1.5])
  ['scientific: rounding of a large value', () => torch.tensor([123456789, 1.5]), 'tensor([1.2346e+08, 1.5000e+00])'],
  // torch.tensor(3)
  ['0-d int64', () => torch.tensor(3), 'tensor(3)'],
  // torch.tensor(2.5)
  ['0-d float32', () => torch.tensor(2.5), 'tensor(2.5000)'],
  // torch.tensor(2.)
  ['0-d float32, integral', () => torch.tensor(2, { dtype: 'float32' }), 'tensor(2.)'],
  // torch.tensor(True)
  ['0-d bool', () => torch.tensor(true), 'tensor(True)'],
  // torch.tensor(7, dtype=torch.int32)
  ['0-d int32', () => torch.tensor(7, { dtype: 'int32' }), 'tensor(7, dtype=torch.int32)'],
  // torch.zeros(0)
  ['empty (0,)', () => torch.zeros(0), 'tensor([])'],
  // torch.zeros(0, 3)
  ['empty with size', () => torch.zeros(0, 3), 'tensor([], size=(0, 3))'],
  // torch.zeros(2, 0, dtype=torch.int64)
  [
    'empty int64 with size',
    () => torch.zeros([2, 0], { dtype: 'int64' }),
    'tensor([], size=(2, 0), dtype=torch.int64)',
  ],
  // torch.zeros(0, dtype=torch.int64)
  ['empty int64 (0,)', () => torch.zeros([0], { dtype: 'int64' }), 'tensor([], dtype=torch.int64)'],
  // torch.tensor([1., 2.], requires_grad=True)
  [
    'requires_grad=True',
    () => torch.tensor([1, 2], { dtype: 'float32', requiresGrad: true }),
    'tensor([1., 2.], requires_grad=True)',
  ],
  // torch.tensor([1.5, 2.], requires_grad=True) * torch.tensor(2)
  [
    'grad_fn MulBackward0',
    () => torch.tensor([1.5, 2], { requiresGrad: true }).mul(torch.tensor(2)),
    'tensor([3., 4.], grad_fn=<MulBackward0>)',
  ],
  // torch.tensor([1., 2.], requires_grad=True).sum()
  [
    '0-d grad_fn SumBackward0',
    () => torch.tensor([1, 2], { dtype: 'float32', requiresGrad: true }).sum(),
    'tensor(3., grad_fn=<SumBackward0>)',
  ],
  // torch.tensor([1.5, 2.], requires_grad=True).double() * torch.tensor(3)
  [
    'dtype then grad_fn',
    () => torch.tensor([1.5, 2], { requiresGrad: true }).double().mul(torch.tensor(3)),
    'tensor([4.5000, 6.0000], dtype=torch.float64, grad_fn=<MulBackward0>)',
  ],
  // torch.arange(2000)
  [
    'summarized int64 vector (2000 elements)',
    () => torch.arange(2000),
    'tensor([   0,    1,    2,  ..., 1997, 1998, 1999])',
  ],
  // torch.arange(2000, dtype=torch.float32)
  [
    'summarized float32 vector, wrapped',
    () => torch.arange(2000, { dtype: 'float32' }),
    'tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])',
  ],
  // torch.arange(1200, dtype=torch.float32).reshape(40, 30) / 7
  [
    'summarized 2-d float32 (1200 elements)',
    () => torch.arange(1200, { dtype: 'float32' }).reshape(40, 30).div(7),
    'tensor([[0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 3.8571e+00, 4.0000e+00,\n         4.1429e+00],\n        [4.2857e+00, 4.4286e+00, 4.5714e+00,  ..., 8.1429e+00, 8.2857e+00,\n         8.4286e+00],\n        [8.5714e+00, 8.7143e+00, 8.8571e+00,  ..., 1.2429e+01, 1.2571e+01,\n         1.2714e+01],\n        ...,\n        [1.5857e+02, 1.5871e+02, 1.5886e+02,  ..., 1.6243e+02, 1.6257e+02,\n         1.6271e+02],\n        [1.6286e+02, 1.6300e+02, 1.6314e+02,  ..., 1.6671e+02, 1.6686e+02,\n         1.6700e+02],\n        [1.6714e+02, 1.6729e+02, 1.6743e+02,  ..., 1.7100e+02, 1.7114e+02,\n         1.7129e+02]])',
  ],
  // torch.arange(1100).reshape(10, 110)
  [
    'summarized 2-d int64 (1100 elements)',
    () => torch.arange(1100).reshape(10, 110),
    'tensor([[   0,    1,    2,  ...,  107,  108,  109],\n        [ 110,  111,  112,  ...,  217,  218,  219],\n        [ 220,  221,  222,  ...,  327,  328,  329],\n        ...,\n        [ 770,  771,  772,  ...,  877,  878,  879],\n        [ 880,  881,  882,  ...,  987,  988,  989],\n        [ 990,  991,  992,  ..., 1097, 1098, 1099]])',
  ],
  // torch.zeros(1001, dtype=torch.bool)
  [
    'summarized bool (1001 elements)',
    () => torch.zeros([1001], { dtype: 'bool' }),
    'tensor([False, False, False,  ..., False, False, False])',
  ],
  // torch.arange(30, dtype=torch.float32) / 3
  [
    'long float32 row wraps at 80 columns',
    () => torch.arange(30, { dtype: 'float32' }).div(3),
    'tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667,\n        3.0000, 3.3333, 3.6667, 4.0000, 4.3333, 4.6667, 5.0000, 5.3333, 5.6667,\n        6.0000, 6.3333, 6.6667, 7.0000, 7.3333, 7.6667, 8.0000, 8.3333, 8.6667,\n        9.0000, 9.3333, 9.6667])',
  ],
  // torch.arange(40)
  [
    'long int64 row wraps at 80 columns',
    () => torch.arange(40),
    'tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35,\n        36, 37, 38, 39])',
  ],
  // torch.arange(9, dtype=torch.float64) / 3
  [
    'dtype suffix moves to its own line',
    () => torch.arange(9, { dtype: 'float64' }).div(3),
    'tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000, 2.3333, 2.6667],\n       dtype=torch.float64)',
  ],
  // torch.arange(30, dtype=torch.int32) * 1000
  [
    'wrapped int32 row, dtype on its own line',
    () => torch.arange(30, { dtype: 'int32' }).mul(1000),
    'tensor([    0,  1000,  2000,  3000,  4000,  5000,  6000,  7000,  8000,  9000,\n        10000, 11000, 12000, 13000, 14000, 15000, 16000, 17000, 18000, 19000,\n        20000, 21000, 22000, 23000, 24000, 25000, 26000, 27000, 28000, 29000],\n       dtype=torch.int32)',
  ],
  // torch.tensor([nan, inf, -inf, 1.5])
  ['nan and inf', () => torch.tensor([NaN, Infinity, -Infinity, 1.5]), 'tensor([   nan,    inf,   -inf, 1.5000])'],
  // torch.tensor([nan, 1.0, 2.0])
  ['nan among integral floats', () => torch.tensor([NaN, 1, 2]), 'tensor([nan, 1., 2.])'],
  // torch.tensor([-0.0, 1.0])
  ['negative zero', () => torch.tensor([-0, 1], { dtype: 'float32' }), 'tensor([-0., 1.])'],
  // torch.tensor([0.03125, 1.0])
  ['round half to even (fixed)', () => torch.tensor([0.03125, 1]), 'tensor([0.0312, 1.0000])'],
  // torch.tensor([1.03125, 2000.0])
  ['round half to even (scientific)', () => torch.tensor([1.03125, 2000]), 'tensor([1.0312e+00, 2.0000e+03])'],
  // torch.tensor([9.99995, 1.0])
  ['rounding up to 10.0000', () => torch.tensor([9.99995, 1]), 'tensor([10.0000,  1.0000])'],
  // torch.tensor([1.5, 2.], dtype=torch.float16)
  ['float16', () => torch.tensor([1.5, 2], { dtype: 'float16' }), 'tensor([1.5000, 2.0000], dtype=torch.float16)'],
  // torch.tensor([1.5, 2.], dtype=torch.bfloat16)
  ['bfloat16', () => torch.tensor([1.5, 2], { dtype: 'bfloat16' }), 'tensor([1.5000, 2.0000], dtype=torch.bfloat16)'],
  // torch.tensor([-128, 127], dtype=torch.int8)
  ['int8', () => torch.tensor([-128, 127], { dtype: 'int8' }), 'tensor([-128,  127], dtype=torch.int8)'],
];

describe('String(tensor) matches PyTorch', () => {
  it.each(rows)('%s', (_name, make, expected) => {
    const t = make();
    expect(String(t)).toBe(expected);
    expect(t.toString()).toBe(expected);
  });
});

describe('util.inspect(tensor) matches PyTorch', () => {
  it.each(rows.filter((_, i) => i % 4 === 0))('%s', (_name, make, expected) => {
    expect(inspect(make())).toBe(expected);
  });

  it('nests inside objects and template strings the same way', () => {
    const t = torch.tensor([1, 2, 3]);
    // print({'x': torch.tensor([1, 2, 3])}) -> {'x': tensor([1, 2, 3])}
    expect(inspect({ x: t })).toBe('{ x: tensor([1, 2, 3]) }');
    expect(`${t}`).toBe('tensor([1, 2, 3])');
  });
});

describe('printing edge cases', () => {
  it('prints views in their logical (not storage) order', () => {
    // torch.arange(6).reshape(2, 3).t()
    const t = torch.arange(6).reshape(2, 3).t();
    expect(t.isContiguous()).toBe(false);
    expect(String(t)).toBe('tensor([[0, 3],\n        [1, 4],\n        [2, 5]])');
  });

  it('a disposed tensor prints a marker instead of throwing', () => {
    const t = torch.ones(2);
    t.dispose();
    expect(String(t)).toBe('tensor(<disposed>)');
  });

  it('printing does not change grad mode or the tensor', () => {
    const t = torch.tensor([1.5, 2], { requiresGrad: true });
    String(t);
    expect(torch.isGradEnabled()).toBe(true);
    expect(t.requiresGrad).toBe(true);
    expect(t.toArray()).toEqual([1.5, 2]);
  });
});
