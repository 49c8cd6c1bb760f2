// torch.save in PyTorch's format, read by real PyTorch (scripts/reference/pth_roundtrip.py):
// torch.load(weights_only=True) and mmap=True give what was saved (every dtype, strided views,
// shared storages, nested checkpoints with Python's int/float/str/bool/None/bytes/list/dict),
// the archive is laid out as torch.save lays it out (records, alignment, CRCs, the pickle
// bytes), a torchts ResNet-18 state dict runs in torchvision's ResNet-18 with the same output,
// an optimizer state in PyTorch's layout loads into torch.optim.SGD, and what PyTorch saves
// again comes back to torchts unchanged. Also: format choice, bad input, atomic writes.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { nn, Tensor, torch, vision } from '../lib/index';
import { N } from '../lib/native';
import { pthChunks } from '../lib/torch/pth_writer';
import { runReference, tempDir } from './parity/fixtures';

const dir = tempDir('pth-save');
const file = (name: string) => path.join(dir, name);
const tmpLeft = () => fs.readdirSync(dir).filter((f) => f.includes('.tmp-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const INT_KEY = /^(?:0|-?[1-9]\d{0,15})$/;

/**
 * What Python should see for `v`, in pth_roundtrip.py's describe() encoding: Python types
 * spelled out, floats by their IEEE bytes, tensors by metadata, a hash of their values and
 * which storage they use (numbered in order of first appearance).
 */
function tree(v: unknown, storages = new Map<number, number>()): unknown {
  if (v instanceof Tensor) {
    const [id, nbytes] = N.storageInfo(v.handle) as [number, number];
    if (!storages.has(id)) storages.set(id, storages.size);
    return {
      $tensor: {
        dtype: v.dtype,
        shape: [...v.shape],
        stride: v.stride(),
        offset: v.storageOffset(),
        requires_grad: v.requiresGrad,
        device: v.device,
        sha256: createHash('sha256').update(v.toBytes()).digest('hex'),
        storage: storages.get(id),
        storage_nbytes: nbytes,
      },
    };
  }
  if (v === null || v === undefined || typeof v === 'boolean') return v ?? null;
  if (typeof v === 'bigint') return { $int: String(v) };
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) return { $int: String(v) };
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return { $float: b.toString('hex') };
  }
  if (typeof v === 'string') return { $str: v };
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return { $list: Array.from(v, (x) => tree(x, storages)) };
  const key = (k: unknown) =>
    typeof k === 'string'
      ? { $str: k }
      : typeof k === 'number' && !Number.isSafeInteger(k)
        ? tree(k)
        : { $int: String(k) };
  if (v instanceof Map) return { $dict: [...v].map(([k, x]) => [key(k), tree(x, storages)]) };
  const entries = Object.entries(v as object).filter(([, x]) => x !== undefined);
  // all keys canonical integers and not a state dict: int keys (pth_writer.ts's rule)
  const ints =
    entries.length > 0 && entries.every(([k]) => INT_KEY.test(k)) && !entries.every(([, x]) => x instanceof Tensor);
  return { $dict: entries.map(([k, x]) => [ints ? { $int: k } : { $str: k }, tree(x, storages)]) };
}

// ---- the objects saved -----------------------------------------------------------------------------

const SPECIAL = [Number.NaN, Infinity, -Infinity, -0, 0, 1.5, -2.25, 1e-40, 65504, 3.0e38, 1 / 3];
function dtypes(): Record<string, Tensor> {
  const f = torch.tensor(SPECIAL, { dtype: 'float64' });
  return {
    float32: f.to('float32').reshape([1, 11]),
    float64: f,
    float16: f.to('float16'),
    bfloat16: f.to('bfloat16'),
    int64: torch.tensor(new BigInt64Array([2n ** 63n - 1n, -(2n ** 63n), 0n, -5n, 2n ** 62n + 1n])),
    int32: torch.tensor(new Int32Array([2147483647, -2147483648, 0, 7])).reshape([2, 2]),
    int16: torch.tensor(new Int16Array([32767, -32768, 1])),
    int8: torch.tensor(new Int8Array([127, -128, 0])),
    uint8: torch.tensor(new Uint8Array([0, 255, 128])),
    bool: torch.tensor([true, false, true, true], { dtype: 'bool' }).reshape([2, 2]),
  };
}

function views(): Record<string, Tensor> {
  const base = torch.arange(24, { dtype: 'float32' }).reshape([4, 6]);
  const big = torch.arange(1000, { dtype: 'int64' });
  const cube = torch.arange(60, { dtype: 'float64' }).reshape([3, 4, 5]);
  torch.manualSeed(5);
  return {
    base,
    again: base, // the same object twice: one object in Python too
    tail: base.narrow(0, 1, 3),
    transposed: base.t(),
    column: base.select(1, 3),
    every_other: base.asStrided([4, 3], [6, 2], 0),
    expanded: base.select(0, 2).unsqueeze(0).expand(3, 6),
    scalar_view: base.select(0, 2).select(0, 5),
    empty: torch.zeros([0, 4]),
    permuted: cube.permute(2, 0, 1),
    cube_slice: cube.select(1, 2),
    channels_last: torch.randn([2, 3, 4, 5]).contiguous('channelsLast'),
    window: big.narrow(0, 500, 10), // the whole 1000-element storage is written, as PyTorch does
    scalar: torch.tensor(3.5),
  };
}

function convBn(): nn.Module {
  torch.manualSeed(1);
  const m = new nn.Sequential(new nn.Conv2d(3, 4, 3), new nn.BatchNorm2d(4));
  randomiseBatchNorm(m);
  return m;
}

function randomiseBatchNorm(m: nn.Module): void {
  torch.noGrad(() => {
    for (const [name, b] of m.namedBuffers()) {
      if (name.endsWith('running_mean')) b.copy_(torch.randn(b.shape).mul(0.1));
      if (name.endsWith('running_var')) b.copy_(torch.rand(b.shape).add(0.5));
      if (name.endsWith('num_batches_tracked')) b.fill_(7);
    }
  });
}

function checkpoint(): Record<string, unknown> {
  const model = convBn();
  const params = model.parameters();
  const shared = { k: 1 };
  const w = torch.randn([2, 2]);
  const intKeys: Record<string, string> = { '-3': 'c', '007': 'd', '1.5': 'e', 10: 'b', 0: 'a' };
  const deep: Record<string, unknown> = { leaf: 'bottom' };
  let node = deep;
  for (let i = 0; i < 200; i++) node = { next: node };
  return {
    model: model.stateDict(),
    // PyTorch's optimizer.state_dict() layout: state under int keys, param_groups with params ids
    optimizer: {
      state: Object.fromEntries(params.map((p, i) => [i, { momentum_buffer: torch.randnLike(p) }])),
      param_groups: [
        {
          lr: 0.1,
          momentum: 0.9,
          dampening: 0,
          weight_decay: 0.0005,
          nesterov: true,
          maximize: false,
          foreach: null,
          differentiable: false,
          fused: null,
          params: params.map((_, i) => i),
        },
      ],
    },
    epoch: 3,
    best_acc: 0.91,
    arch: 'conv_bn',
    milestones: [30, 60],
    done: false,
    note: null,
    big: 2n ** 62n,
    most_negative: -(2n ** 63n),
    small_bigint: 5n,
    nan: Number.NaN,
    inf: Infinity,
    negative_zero: -0,
    huge: 1e300,
    tiny: 5e-324,
    unsafe_integer: 2 ** 60, // not a safe integer: a float
    unicode: 'résumé ✓ 🚀 日本',
    bytes: Buffer.from([0, 1, 2, 255, 128]),
    empty_dict: {},
    empty_list: [],
    // biome-ignore lint/suspicious/noSparseArray: a hole becomes None, as undefined does
    holes: [1, , 3, undefined],
    skipped: undefined,
    mixed_keys: intKeys, // not all integers: str keys
    int_keys: { '-3': 'c', 10: 'b', 0: 'a' }, // int keys, in JS order: 0, 10, -3
    dollar: { $tensor: 'not special here' },
    proto: JSON.parse('{"__proto__": 1}'),
    long_list: Array.from({ length: 2500 }, (_, i) => i * 3 - 1000),
    wide_dict: Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`k${i}`, i % 2 === 0])),
    deep: node,
    shared_a: shared,
    shared_b: shared,
    weight: w,
    weight_again: w,
    parameter: new nn.Parameter(torch.ones([3])),
    needs_grad: torch.zeros([2]).requiresGrad_(true),
  };
}

interface Case {
  obj: unknown;
  /** Pairs of paths that must be one object in Python. */
  same?: [string[], string[]][];
  check?: 'resnet18' | 'sgd' | 'param_list';
  async?: boolean;
  zip64?: boolean;
}
let cases: Record<string, Case>;
let results: Record<
  string,
  {
    layout: string[];
    pickle_equal: boolean;
    same: boolean[];
    mmap_equal: boolean;
    resnet18?: Record<string, unknown>;
    param_list?: Record<string, unknown>;
    sgd?: Record<string, unknown>;
  }
>;
let resnetY: Tensor;

beforeAll(async () => {
  const resnet = vision.models.resnet18({ numClasses: 10 });
  randomiseBatchNorm(resnet);
  resnet.eval();
  torch.manualSeed(3);
  const x = torch.randn([2, 3, 64, 64]);
  resnetY = torch.noGrad(() => resnet.forward(x));
  const ck = checkpoint();
  const v = views();
  cases = {
    dtypes: { obj: dtypes() },
    views: { obj: views(), same: [[['base'], ['again']]] },
    checkpoint: {
      obj: ck,
      check: 'sgd',
      same: [
        [['shared_a'], ['shared_b']],
        [['weight'], ['weight_again']],
        [
          ['optimizer', 'state', '0'],
          ['optimizer', 'state', '0'],
        ],
      ],
    },
    checkpoint_async: { obj: ck, async: true, check: 'sgd' },
    resnet18: { obj: resnet.stateDict(), check: 'resnet18' },
    // digit keys of a state dict stay str, as nn.ParameterList's load_state_dict needs
    param_list: { obj: { 0: torch.randn([2, 3]), 1: torch.randn([4]) }, check: 'param_list' },
    // a Map says exactly which keys are ints, floats or strs
    map_keys: {
      obj: new Map<unknown, unknown>([
        [1, 'one'],
        ['two', 2],
        [2.5, 'x'],
        [7n, 'seven'],
        ['3', 'str three'],
      ]),
    },
    resnet18_io: { obj: { x, y: resnetY } },
    tensor_root: { obj: torch.arange(5, { dtype: 'int32' }) },
    list_root: { obj: [1, 'two', torch.arange(3), null, [2.5]] },
    zip64: { obj: { a: v.base, t: v.transposed, s: 'x' }, zip64: true },
    // torch.save writes b'' as bytes(), which its own weights_only loader refuses; torchts
    // writes _codecs.encode('', 'latin1'), which it accepts (and reads PyTorch's bytes() too)
    empty_bytes: { obj: { e: Buffer.alloc(0), f: Buffer.from('x') } },
  };
  const listing: Record<string, { file: string; same?: [string[], string[]][]; check?: string }> = {};
  for (const [name, c] of Object.entries(cases)) {
    const f = `${name}.pth`;
    if (c.zip64) fs.writeFileSync(file(f), Buffer.concat([...pthChunks(c.obj, { zip64Limit: 0 })]));
    else if (c.async) await torch.saveAsync(c.obj, file(f));
    else torch.save(c.obj, file(f));
    listing[name] = { file: f, same: c.same, check: c.check };
  }
  fs.writeFileSync(file('cases.json'), JSON.stringify(listing));
  runReference('pth_roundtrip.py', [dir]);
  results = JSON.parse(fs.readFileSync(file('results.json'), 'utf8'));
}, 300_000);

describe('files torch.save writes, read by PyTorch', () => {
  const names = [
    'dtypes',
    'views',
    'checkpoint',
    'checkpoint_async',
    'resnet18',
    'resnet18_io',
    'tensor_root',
    'list_root',
    'zip64',
    'empty_bytes',
    'param_list',
    'map_keys',
  ];

  it.each(names)('%s: torch.load(weights_only=True) gives the saved values, types, strides and storages', (name) => {
    const described = JSON.parse(fs.readFileSync(file(`${name}.described.json`), 'utf8'));
    expect(described).toEqual(tree(cases[name].obj));
    expect(results[name].mmap_equal).toBe(true);
    expect(results[name].same.every(Boolean)).toBe(true);
    expect(results[name].same).toHaveLength(cases[name].same?.length ?? 0);
  });

  it.each(names)(
    '%s: laid out as torch.save lays it out (records, contents, 64-byte alignment, CRCs, pickle bytes)',
    (name) => {
      expect(results[name].layout).toEqual([]);
      expect(results[name].pickle_equal).toBe(name !== 'empty_bytes');
    },
  );

  it.each(names.filter((n) => n !== 'map_keys'))(
    '%s: what PyTorch saves again loads in torchts unchanged, and so does our own file',
    async (name) => {
      const expected = tree(cases[name].obj);
      for (const f of [`${name}.py.pth`, `${name}.pth`]) {
        const back = torch.load(file(f));
        expect(tree(back)).toEqual(expected);
        expect(tree(await torch.loadAsync(file(f)))).toEqual(expected);
      }
    },
  );

  it('map_keys: what PyTorch saves again loads in torchts with its keys as strings', () => {
    for (const f of ['map_keys.py.pth', 'map_keys.pth'])
      expect(torch.load(file(f))).toEqual({ 1: 'one', two: 2, '2.5': 'x', 7: 'seven', 3: 'str three' });
  });

  it('a state dict with digit keys loads strictly into nn.ParameterList', () => {
    expect(results.param_list.param_list).toEqual({ missing: [], unexpected: [], equal: [true, true] });
  });

  it('a torchts ResNet-18 state dict loads strictly into torchvision’s ResNet-18 and gives the same eval output', () => {
    const r = results.resnet18.resnet18 as {
      missing: string[];
      unexpected: string[];
      max_abs_diff: number;
      scale: number;
    };
    expect(r.missing).toEqual([]);
    expect(r.unexpected).toEqual([]);
    expect(r.scale).toBeGreaterThan(0.1);
    expect(r.max_abs_diff / r.scale).toBeLessThan(1e-5);
  });

  it('an optimizer state in PyTorch’s layout loads into torch.optim.SGD, each buffer on its parameter', () => {
    for (const name of ['checkpoint', 'checkpoint_async']) {
      const s = results[name].sgd ?? {};
      expect(s.state_per_param).toEqual([true, true, true, true]);
      expect(s.buffers_equal).toEqual([true, true, true, true]);
      expect(s).toMatchObject({ lr: 0.1, momentum: 0.9, nesterov: true, weights_equal: true });
    }
  });
});

describe('choosing the format', () => {
  const magic = (f: string) => fs.readFileSync(f).subarray(0, 4).toString('latin1');
  const sd = () => ({ w: torch.ones([2]) });

  it('writes PyTorch’s zip unless the name ends .safetensors or the option says so', async () => {
    torch.save(sd(), file('a.pth'));
    torch.save(sd(), file('checkpoint.pth.tar'));
    torch.save(sd(), file('no_extension'));
    torch.save(sd(), file('b.safetensors'));
    torch.save(sd(), file('c.pth'), { format: 'safetensors' });
    torch.save(sd(), file('d.safetensors'), { format: 'pytorch' });
    await torch.saveAsync(sd(), file('e.bin'), { format: 'safetensors' });
    for (const f of ['a.pth', 'checkpoint.pth.tar', 'no_extension', 'd.safetensors'])
      expect(magic(file(f))).toBe('PK\x03\x04');
    for (const f of ['b.safetensors', 'c.pth', 'e.bin']) expect(magic(file(f))).not.toBe('PK\x03\x04');
    for (const f of ['a.pth', 'b.safetensors', 'c.pth', 'd.safetensors', 'e.bin'])
      expect(torch.load(file(f)).w.toArray()).toEqual([1, 1]);
  });

  it('rejects unknown options and formats, naming the nearest key', () => {
    expect(() => torch.save(sd(), file('x.pth'), { fromat: 'pytorch' } as never)).toThrow(
      /Unknown option "fromat" for save options: did you mean format\?/,
    );
    expect(() => torch.save(sd(), file('x.pth'), { format: 'pickle' } as never)).toThrow(
      /Expected one of 'pytorch', 'safetensors' for options.format but received "pickle"/,
    );
    expect(() => torch.save(sd(), file('x.pth'), 'pytorch' as never)).toThrow(TypeError);
    expect(fs.existsSync(file('x.pth'))).toBe(false);
  });
});

describe('bad input', () => {
  it('is a TypeError naming where it is, with nothing written', async () => {
    const target = file('bad.pth');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const cyclicList: unknown[] = [1];
    cyclicList.push([cyclicList]);
    let deep: unknown = 1;
    for (let i = 0; i < 600; i++) deep = [deep];
    const bad: [unknown, RegExp][] = [
      [{ model: { fn: () => 1 } }, /Expected a Tensor, number, bigint, .* for obj\.model\.fn but received/],
      [{ s: Symbol('x') }, /for obj\.s but received Symbol\(x\)/],
      [{ when: new Date(0) }, /for obj\.when but received/],
      [{ m: new Map([[{}, 1]]) }, /Expected a string, number or int64 bigint as a Map key for a key of obj\.m/],
      [{ m: new Set([1]) }, /for obj\.m but received/],
      [{ f: new Float32Array(2) }, /for obj\.f but received/],
      [{ module: new nn.Linear(2, 2) }, /for obj\.module but received/],
      [cyclic, /without cycles for obj but obj\.self refers back/],
      [cyclicList, /without cycles for obj but obj\.1\.0 refers back/],
      [{ n: 2n ** 63n }, /Expected an integer within int64 for obj\.n but received 9223372036854775808/],
      [{ n: -(2n ** 63n) - 1n }, /within int64 for obj\.n/],
      [{ s: 'a\uD800b' }, /well-formed string for obj\.s .* lone UTF-16 surrogate/],
      [{ 'k\uDC00': 1 }, /well-formed dict key for obj\.k/],
      [deep, /at most 500 levels of nesting/],
    ];
    for (const [obj, message] of bad) {
      expect(() => torch.save(obj, target)).toThrow(message);
      await expect(torch.saveAsync(obj, target)).rejects.toThrow(message);
      expect(() => torch.save(obj, target)).toThrow(TypeError);
    }
    const disposed = torch.ones([2]);
    disposed.dispose();
    expect(() => torch.save({ disposed }, target)).toThrow(torch.TorchError);
    expect(fs.existsSync(target)).toBe(false);
    expect(tmpLeft()).toEqual([]);
  });
});

describe('atomic writes', () => {
  it('keeps the old file and leaves no temporary file when a storage cannot be read midway', async () => {
    const target = file('keep-old.pth');
    torch.save({ a: torch.ones([3]) }, target);
    const before = fs.readFileSync(target);
    // planning succeeds; the storage of `t` is read after data.pkl went to the temporary file
    const t = torch.zeros([1000]);
    const sync = {
      t,
      rest: {
        get later() {
          t.dispose(); // runs while the plan walks obj.rest, after obj.t was planned
          return 1;
        },
      },
    };
    expect(() => torch.save(sync, target)).toThrow(torch.TorchError);
    const u = torch.zeros([1000]);
    const saving = torch.saveAsync({ u }, target);
    u.dispose(); // after the plan, before the storage is copied out
    await expect(saving).rejects.toThrow(torch.TorchError);
    expect(fs.readFileSync(target).equals(before)).toBe(true);
    expect(tmpLeft()).toEqual([]);
  });

  it('replaces the file in one rename: readers see the old bytes or the new ones', async () => {
    const target = file('atomic.pth');
    torch.save({ w: torch.zeros([1 << 18]) }, target);
    const old = torch.load(target).w as Tensor;
    expect(old.sum().item()).toBe(0);
    const saving = torch.saveAsync({ w: torch.ones([1 << 22]) }, target);
    let done = false;
    saving.then(() => (done = true));
    let reads = 0;
    while (!done) {
      const w = torch.load(target).w as Tensor;
      const n = w.numel();
      w.dispose();
      expect(n === 1 << 18 || n === 1 << 22).toBe(true);
      reads++;
      await new Promise((r) => setImmediate(r));
    }
    await saving;
    expect(reads).toBeGreaterThan(0);
    expect((torch.load(target).w as Tensor).numel()).toBe(1 << 22);
    expect(tmpLeft()).toEqual([]);
  });
});
