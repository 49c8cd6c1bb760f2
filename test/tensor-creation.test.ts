// Tensor creation: torch.tensor() from JS data, the sized factories, ranges, random
// factories, the *Like forms, seeding, and every dtype's round trip back to JS.
// Expected values follow PyTorch 2.13; the ones that cannot be worked out by hand (seeded
// random draws, float16/bfloat16 rounding) were printed by PyTorch, as noted next to them.
import { describe, expect, it } from 'vitest';

import { type Tensor, torch } from '../lib/index';

type DType = torch.DType;

const ALL_DTYPES: DType[] = [
  'float32',
  'float64',
  'float16',
  'bfloat16',
  'int64',
  'int32',
  'int16',
  'int8',
  'uint8',
  'bool',
];
const FLOAT_DTYPES: DType[] = ['float32', 'float64', 'float16', 'bfloat16'];

const flat = (t: Tensor): number[] => Array.from(t.toTypedArray(), Number);

describe('tensor() from nested arrays', () => {
  it('infers int64 for all-integer data', () => {
    const t = torch.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.dtype).toBe('int64');
    expect(t.shape).toEqual([2, 3]);
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('infers float32 as soon as one value is not an integer', () => {
    const t = torch.tensor([1, 2.5, -3]);
    expect(t.dtype).toBe('float32');
    expect(t.toArray()).toEqual([1, 2.5, -3]);
  });

  it('infers bool for booleans', () => {
    const t = torch.tensor([
      [true, false],
      [false, true],
    ]);
    expect(t.dtype).toBe('bool');
    expect(t.toArray()).toEqual([
      [true, false],
      [false, true],
    ]);
  });

  it('a plain number gives a 0-d tensor', () => {
    const i = torch.tensor(7);
    expect(i.shape).toEqual([]);
    expect(i.dim()).toBe(0);
    expect(i.dtype).toBe('int64');
    expect(i.item()).toBe(7);
    const f = torch.tensor(2.5);
    expect(f.dtype).toBe('float32');
    expect(f.item()).toBe(2.5);
    expect(torch.tensor(true).item()).toBe(true);
  });

  it('an empty array gives a float32 tensor of shape [0]', () => {
    const t = torch.tensor([]);
    expect(t.shape).toEqual([0]);
    expect(t.dtype).toBe('float32');
    expect(t.numel()).toBe(0);
  });

  it('3-d data keeps its nesting', () => {
    const data = [
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [7, 8],
      ],
      [
        [9, 10],
        [11, 12],
      ],
    ];
    const t = torch.tensor(data);
    expect(t.shape).toEqual([3, 2, 2]);
    expect(t.toArray()).toEqual(data);
    expect(t.stride()).toEqual([4, 2, 1]);
  });

  it('float32 rounds doubles, float64 keeps them', () => {
    expect(torch.tensor([0.1]).toArray()).toEqual([Math.fround(0.1)]);
    expect(torch.tensor([0.1], { dtype: 'float64' }).toArray()).toEqual([0.1]);
  });
});

describe('tensor() from TypedArrays', () => {
  const cases: [string, () => ArrayBufferView, DType, number[]][] = [
    ['Float32Array', () => new Float32Array([1.5, -2, 3]), 'float32', [1.5, -2, 3]],
    ['Float64Array', () => new Float64Array([0.1, 2, 1e300]), 'float64', [0.1, 2, 1e300]],
    ['Int32Array', () => new Int32Array([-5, 0, 2147483647]), 'int32', [-5, 0, 2147483647]],
    ['Int16Array', () => new Int16Array([-32768, 1, 32767]), 'int16', [-32768, 1, 32767]],
    ['Int8Array', () => new Int8Array([-128, 0, 127]), 'int8', [-128, 0, 127]],
    ['Uint8Array', () => new Uint8Array([0, 128, 255]), 'uint8', [0, 128, 255]],
    ['BigInt64Array', () => new BigInt64Array([-3n, 0n, 5n]), 'int64', [-3, 0, 5]],
  ];
  it.each(cases)('%s keeps its type', (_name, make, dtype, values) => {
    const t = torch.tensor(make() as never);
    expect(t.dtype).toBe(dtype);
    expect(t.shape).toEqual([values.length]);
    expect(t.toArray()).toEqual(values);
  });

  it('copies the data (later writes to the array do not show)', () => {
    const a = new Float32Array([1, 2, 3]);
    const t = torch.tensor(a);
    a[0] = 100;
    expect(t.toArray()).toEqual([1, 2, 3]);
  });

  it('respects the byteOffset of a subarray', () => {
    const a = new Int32Array([10, 20, 30, 40]).subarray(1, 3);
    expect(torch.tensor(a).toArray()).toEqual([20, 30]);
  });

  it('BigInt64Array keeps int64 values beyond 2^53 exactly', () => {
    const big = 2n ** 60n + 7n;
    const t = torch.tensor(new BigInt64Array([big, -big]));
    expect(Array.from(t.toTypedArray() as BigInt64Array)).toEqual([big, -big]);
  });

  it('converts to an explicit dtype', () => {
    const t = torch.tensor(new Float32Array([1.9, -1.9]), { dtype: 'int32' });
    expect(t.dtype).toBe('int32');
    expect(t.toArray()).toEqual([1, -1]);
  });
});

describe('tensor() options', () => {
  it('dtype overrides inference', () => {
    const t = torch.tensor([1, 2], { dtype: 'float64' });
    expect(t.dtype).toBe('float64');
    expect(torch.tensor([1.5, 2.5], { dtype: 'int64' }).toArray()).toEqual([1, 2]);
    expect(torch.tensor([0, 2, 0], { dtype: 'bool' }).toArray()).toEqual([false, true, false]);
    expect(torch.tensor([true, false], { dtype: 'float32' }).toArray()).toEqual([1, 0]);
  });

  it("accepts PyTorch's dtype aliases", () => {
    expect(torch.tensor([1], { dtype: torch.double }).dtype).toBe('float64');
    expect(torch.tensor([1], { dtype: torch.long }).dtype).toBe('int64');
    expect(torch.tensor([1], { dtype: torch.half }).dtype).toBe('float16');
  });

  it('device cpu', () => {
    const t = torch.tensor([1, 2], { device: 'cpu' });
    expect(t.device).toBe('cpu');
    expect(t.isCuda).toBe(false);
  });

  it('requiresGrad makes a leaf that requires grad', () => {
    const t = torch.tensor([1.5, 2], { requiresGrad: true });
    expect(t.requiresGrad).toBe(true);
    expect(t.isLeaf).toBe(true);
    expect(t.gradFn).toBeNull();
    expect(torch.tensor([1.5, 2]).requiresGrad).toBe(false);
  });
});

describe('zeros / ones / full / empty', () => {
  it.each(['zeros', 'ones'] as const)('%s(2, 3) and %s([2, 3], opts)', (name) => {
    const fill = name === 'zeros' ? 0 : 1;
    const a = torch[name](2, 3);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('float32');
    expect(flat(a)).toEqual(Array(6).fill(fill));
    const b = torch[name]([4, 1, 2], { dtype: 'int32' });
    expect(b.shape).toEqual([4, 1, 2]);
    expect(b.dtype).toBe('int32');
    expect(flat(b)).toEqual(Array(8).fill(fill));
    const c = torch[name](3, { dtype: 'float64', requiresGrad: true });
    expect(c.shape).toEqual([3]);
    expect(c.dtype).toBe('float64');
    expect(c.requiresGrad).toBe(true);
    expect(torch[name]([]).shape).toEqual([]);
    expect(torch[name]([]).item()).toBe(fill);
  });

  it('full infers its dtype from the fill value as PyTorch does', () => {
    const i = torch.full([2, 2], 7);
    expect(i.dtype).toBe('int64');
    expect(i.toArray()).toEqual([
      [7, 7],
      [7, 7],
    ]);
    const f = torch.full([3], 1.5);
    expect(f.dtype).toBe('float32');
    expect(f.toArray()).toEqual([1.5, 1.5, 1.5]);
    const b = torch.full([2], true);
    expect(b.dtype).toBe('bool');
    expect(b.toArray()).toEqual([true, true]);
    const d = torch.full([2], 3, { dtype: 'float64' });
    expect(d.dtype).toBe('float64');
    expect(d.toArray()).toEqual([3, 3]);
  });

  it('empty has the requested shape and dtype', () => {
    const e = torch.empty(2, 5);
    expect(e.shape).toEqual([2, 5]);
    expect(e.dtype).toBe('float32');
    const f = torch.empty([3], { dtype: 'int16' });
    expect(f.shape).toEqual([3]);
    expect(f.dtype).toBe('int16');
    expect(torch.empty(0, 4).numel()).toBe(0);
  });
});

describe('arange / linspace / eye', () => {
  it('arange(end) of integers is int64', () => {
    const t = torch.arange(5);
    expect(t.dtype).toBe('int64');
    expect(t.toArray()).toEqual([0, 1, 2, 3, 4]);
  });

  it('arange(start, end, step) with integer and negative steps', () => {
    expect(torch.arange(1, 10, 3).toArray()).toEqual([1, 4, 7]);
    expect(torch.arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(torch.arange(2, 5).toArray()).toEqual([2, 3, 4]);
    expect(torch.arange(3, 3).shape).toEqual([0]);
  });

  it('arange with a fractional argument is float32', () => {
    const a = torch.arange(0, 1, 0.25);
    expect(a.dtype).toBe('float32');
    expect(a.toArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(torch.arange(0.5, 3).toArray()).toEqual([0.5, 1.5, 2.5]);
    expect(torch.arange(1, 2.5, 0.5).toArray()).toEqual([1, 1.5, 2]);
  });

  it('arange with an explicit dtype', () => {
    const t = torch.arange(4, { dtype: 'float64' });
    expect(t.dtype).toBe('float64');
    expect(t.toArray()).toEqual([0, 1, 2, 3]);
    expect(torch.arange(0, 6, 2, { dtype: 'int32' }).toArray()).toEqual([0, 2, 4]);
  });

  it('linspace includes both ends', () => {
    const t = torch.linspace(-1, 1, 5);
    expect(t.dtype).toBe('float32');
    expect(t.toArray()).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(torch.linspace(0, 10, 1).toArray()).toEqual([0]);
    expect(torch.linspace(0, 1, 3, { dtype: 'float64' }).dtype).toBe('float64');
  });

  it('eye(n) and eye(n, m)', () => {
    expect(torch.eye(3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(torch.eye(3).dtype).toBe('float32');
    expect(torch.eye(2, 3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    const b = torch.eye(2, { dtype: 'bool' });
    expect(b.toArray()).toEqual([
      [true, false],
      [false, true],
    ]);
  });
});

describe('random factories', () => {
  it('rand: uniform in [0, 1), float32 by default', () => {
    const t = torch.rand(100, 50);
    expect(t.shape).toEqual([100, 50]);
    expect(t.dtype).toBe('float32');
    const v = flat(t);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThan(1);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    expect(torch.rand([3], { dtype: 'float64' }).dtype).toBe('float64');
  });

  it('randn: mean 0, std 1', () => {
    const v = flat(torch.randn([20000]));
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(std - 1)).toBeLessThan(0.05);
    expect(v.some((x) => x < 0)).toBe(true);
  });

  it('randint(high, size) and randint(low, high, size): int64 in [low, high)', () => {
    const a = torch.randint(10, [2000]);
    expect(a.dtype).toBe('int64');
    const va = flat(a);
    expect(new Set(va)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const b = torch.randint(5, 8, [4, 250]);
    expect(b.shape).toEqual([4, 250]);
    expect(new Set(flat(b))).toEqual(new Set([5, 6, 7]));
    const c = torch.randint(-3, 0, [100], { dtype: 'int32' });
    expect(c.dtype).toBe('int32');
    expect(flat(c).every((x) => x >= -3 && x < 0)).toBe(true);
  });

  it('manualSeed makes draws reproducible', () => {
    torch.manualSeed(42);
    const a = flat(torch.rand(8));
    const b = flat(torch.randn(8));
    torch.manualSeed(42);
    expect(flat(torch.rand(8))).toEqual(a);
    expect(flat(torch.randn(8))).toEqual(b);
    torch.manualSeed(43);
    expect(flat(torch.rand(8))).not.toEqual(a);
  });

  it('manualSeed gives the same numbers as PyTorch', () => {
    // torch.manual_seed(0); torch.rand(4).tolist()
    torch.manualSeed(0);
    expect(flat(torch.rand(4))).toEqual([
      0.49625658988952637, 0.7682217955589294, 0.08847743272781372, 0.13203048706054688,
    ]);
    // torch.manual_seed(0); torch.randn(4).tolist()
    torch.manualSeed(0);
    expect(flat(torch.randn(4))).toEqual([
      1.5409960746765137, -0.293428897857666, -2.1787893772125244, 0.5684312582015991,
    ]);
    // torch.manual_seed(0); torch.randint(0, 100, (6,)).tolist()
    torch.manualSeed(0);
    expect(flat(torch.randint(0, 100, [6]))).toEqual([44, 39, 33, 60, 63, 79]);
  });
});

describe('*Like factories', () => {
  const src = (): Tensor =>
    torch.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: 'float64' },
    );

  it('zerosLike / onesLike / fullLike / emptyLike keep shape and dtype', () => {
    const z = torch.zerosLike(src());
    expect([z.shape, z.dtype, flat(z)]).toEqual([[2, 3], 'float64', [0, 0, 0, 0, 0, 0]]);
    const o = torch.onesLike(src());
    expect([o.shape, o.dtype, flat(o)]).toEqual([[2, 3], 'float64', [1, 1, 1, 1, 1, 1]]);
    const f = torch.fullLike(src(), 2.5);
    expect([f.shape, f.dtype, flat(f)]).toEqual([[2, 3], 'float64', [2.5, 2.5, 2.5, 2.5, 2.5, 2.5]]);
    const e = torch.emptyLike(src());
    expect([e.shape, e.dtype]).toEqual([[2, 3], 'float64']);
  });

  it('randLike / randnLike keep shape and dtype', () => {
    const r = torch.randLike(src());
    expect([r.shape, r.dtype]).toEqual([[2, 3], 'float64']);
    expect(flat(r).every((x) => x >= 0 && x < 1)).toBe(true);
    const n = torch.randnLike(src());
    expect([n.shape, n.dtype]).toEqual([[2, 3], 'float64']);
  });

  it('randintLike(t, high) and randintLike(t, low, high)', () => {
    const base = torch.zeros([50, 20], { dtype: 'int32' });
    const a = torch.randintLike(base, 4);
    expect([a.shape, a.dtype]).toEqual([[50, 20], 'int32']);
    expect(new Set(flat(a))).toEqual(new Set([0, 1, 2, 3]));
    const b = torch.randintLike(base, 10, 12);
    expect(new Set(flat(b))).toEqual(new Set([10, 11]));
  });

  it('options override the source dtype; requiresGrad is not inherited', () => {
    const s = torch.ones([2], { requiresGrad: true });
    const z = torch.zerosLike(s, { dtype: 'int16' });
    expect(z.dtype).toBe('int16');
    expect(torch.zerosLike(s).requiresGrad).toBe(false);
    expect(torch.onesLike(s, { requiresGrad: true }).requiresGrad).toBe(true);
    expect(torch.fullLike(torch.zeros(3), 4, { dtype: 'int64' }).toArray()).toEqual([4, 4, 4]);
  });
});

describe('every dtype round-trips', () => {
  // float16/bfloat16 read back as Float32Array, bool as Uint8Array (JS has no such arrays)
  const typedArrayOf: Record<DType, string> = {
    float32: 'Float32Array',
    float64: 'Float64Array',
    float16: 'Float32Array',
    bfloat16: 'Float32Array',
    int64: 'BigInt64Array',
    int32: 'Int32Array',
    int16: 'Int16Array',
    int8: 'Int8Array',
    uint8: 'Uint8Array',
    bool: 'Uint8Array',
  };

  it.each(ALL_DTYPES)('%s through toArray / toTypedArray / item', (dtype) => {
    const t = torch.tensor(
      [
        [1, 0],
        [3, 2],
      ],
      { dtype },
    );
    expect(t.dtype).toBe(dtype);
    const expected =
      dtype === 'bool'
        ? [
            [true, false],
            [true, true],
          ]
        : [
            [1, 0],
            [3, 2],
          ];
    expect(t.toArray()).toEqual(expected);
    const typed = t.toTypedArray();
    expect(typed.constructor.name).toBe(typedArrayOf[dtype]);
    expect(Array.from(typed, Number)).toEqual(dtype === 'bool' ? [1, 0, 1, 1] : [1, 0, 3, 2]);
    const scalar = torch.tensor(3, { dtype });
    expect(scalar.item()).toBe(dtype === 'bool' ? true : 3);
    expect(typeof t.index(0, 0).item()).toBe(dtype === 'bool' ? 'boolean' : 'number');
  });

  it.each(ALL_DTYPES)('to(%s) converts and keeps the values', (dtype) => {
    const t = torch.tensor([0, 1, 2], { dtype: 'float32' }).to(dtype);
    expect(t.dtype).toBe(dtype);
    expect(t.toArray()).toEqual(dtype === 'bool' ? [false, true, true] : [0, 1, 2]);
    const back = t.to('float64');
    expect(back.dtype).toBe('float64');
    expect(back.toArray()).toEqual([0, 1, 2].map((v) => (dtype === 'bool' ? Math.min(v, 1) : v)));
  });

  it('to() returns the same tensor when nothing changes, a new one otherwise', () => {
    const t = torch.ones(2);
    expect(t.to('float32')).toBe(t);
    expect(t.to('cpu')).toBe(t);
    expect(t.to({ dtype: 'float32', copy: true })).not.toBe(t);
    expect(t.to('float64')).not.toBe(t);
  });

  it('lossy conversions round as PyTorch does', () => {
    expect(torch.tensor([1.7, -2.7]).to('int32').toArray()).toEqual([1, -2]);
    expect(torch.tensor([0, -0.5, 2]).to('bool').toArray()).toEqual([false, true, true]);
    // torch.tensor([-1, 256, 300]).to(torch.uint8).tolist() -> [255, 0, 44]
    expect(torch.tensor([-1, 256, 300]).to('uint8').toArray()).toEqual([255, 0, 44]);
    // torch.tensor([200]).to(torch.int8).tolist() -> [-56]
    expect(torch.tensor([200]).to('int8').toArray()).toEqual([-56]);
    // torch.tensor([0.1]).to(torch.float16).item() -> 0.0999755859375
    expect(torch.tensor([0.1]).to('float16').item()).toBe(0.0999755859375);
    // torch.tensor([0.1]).to(torch.bfloat16).item() -> 0.10009765625
    expect(torch.tensor([0.1]).to('bfloat16').item()).toBe(0.10009765625);
    // torch.tensor(70000.).half().item() -> inf
    expect(torch.tensor(70000).half().item()).toBe(Infinity);
  });

  it('shorthand conversions', () => {
    const t = torch.tensor([1.5, 2.5]);
    expect(t.double().dtype).toBe('float64');
    expect(t.half().dtype).toBe('float16');
    expect(t.bfloat16().dtype).toBe('bfloat16');
    expect(t.long().toArray()).toEqual([1, 2]);
    expect(t.int().dtype).toBe('int32');
    expect(t.byte().dtype).toBe('uint8');
    expect(t.bool().dtype).toBe('bool');
    expect(t.long().float().dtype).toBe('float32');
  });

  it('floating dtypes report isFloatingPoint', () => {
    for (const d of ALL_DTYPES) expect(torch.zeros([1], { dtype: d }).isFloatingPoint()).toBe(FLOAT_DTYPES.includes(d));
  });

  it('async data() gives the same values as toTypedArray()', async () => {
    const t = torch.arange(6, { dtype: 'float64' }).reshape(2, 3).t();
    const data = await t.data();
    expect(data).toBeInstanceOf(Float64Array);
    expect(Array.from(data as Float64Array)).toEqual([0, 3, 1, 4, 2, 5]);
  });
});
