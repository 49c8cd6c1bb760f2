// torch.save / torch.load over safetensors: dtype round trips, exchange with Python's
// `safetensors` package (both directions), nested checkpoints that resume training
// exactly, atomic writes, and a table of corrupt files that must fail with a TorchError.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { nn, optim, Tensor, torch, vision } from '../lib/index';
import { packageRoot } from '../lib/libtorch';

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

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-serialization-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => path.join(dir, name);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const tmpLeft = (d: string) => fs.readdirSync(d).filter((f) => f.includes('.tmp-'));

/** A tensor of `dtype` and `shape` with varied values (from float64 data, so every dtype gets some). */
function sample(dtype: DType, shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, (_, i) =>
    dtype === 'bool'
      ? i % 3 === 0
      : ((i * 37) % 23) -
        (dtype === 'uint8' ? 0 : 11) +
        (dtype.startsWith('float') || dtype === 'bfloat16' ? 0.375 : 0),
  );
  const flat = torch.tensor(values.length ? (values as number[]) : [], { dtype });
  return n === 0 || shape.length !== 1 ? flat.reshape(shape) : flat;
}

// ---- Python with PyTorch and safetensors ---------------------------------------------

const root = packageRoot();
const pyext = path.join(root, '.deps', 'pyext');
const python = process.env.TORCHTS_PYTHON ?? 'python3';
const pyEnv = () => ({
  ...process.env,
  PYTHONPATH: [path.join(root, '.deps', 'python'), pyext, process.env.PYTHONPATH]
    .filter((p) => p && fs.existsSync(p))
    .join(':'),
});
function py(code: string, args: string[] = []): string {
  return execFileSync(python, ['-c', code, ...args], { env: pyEnv(), encoding: 'utf8', maxBuffer: 1 << 26 });
}
// Hashes of each tensor's raw bytes, as Python sees them.
const PY_HASHES = `
import hashlib
def raw(t):
    return t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
def describe(d):
    return {k: [str(t.dtype).replace('torch.', ''), list(t.shape), hashlib.sha256(raw(t)).hexdigest()] for k, t in d.items()}
`;

beforeAll(() => {
  // safetensors installs from the wheels on local disk in seconds (.deps/ is git-ignored).
  const probe = spawnSync(python, ['-c', 'import torch, safetensors'], { env: pyEnv() });
  if (probe.status !== 0)
    execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--retries', '0', '--target', pyext, 'safetensors'], {
      stdio: 'inherit',
    });
}, 300_000);

// ---- round trips -------------------------------------------------------------------------

describe('round trip', () => {
  const cases: [string, Tensor][] = [];
  for (const dtype of ALL_DTYPES) {
    cases.push(
      [`${dtype}.matrix`, sample(dtype, [3, 5])],
      [`${dtype}.scalar`, sample(dtype, [])],
      [`${dtype}.empty`, sample(dtype, [0, 4])],
    );
  }
  cases.push(
    ['float32.transposed', sample('float32', [4, 6]).t()],
    ['float32.special', torch.tensor([NaN, Infinity, -Infinity, -0, 1e-45])],
  );
  cases.push(['int64.big', torch.tensor(new BigInt64Array([2n ** 62n + 1n, -(2n ** 63n), 2n ** 63n - 1n]))]);
  cases.push(['bfloat16.special', torch.tensor([NaN, Infinity, -0, 3.0e38, 1e-40], { dtype: 'bfloat16' })]);
  const sd = Object.fromEntries(cases);

  const expectSame = (back: Record<string, Tensor>) => {
    expect(Object.keys(back)).toEqual(Object.keys(sd));
    for (const [k, t] of cases) {
      expect(back[k].dtype, k).toBe(t.dtype);
      expect(back[k].shape, k).toEqual(t.shape);
      expect(back[k].device, k).toBe('cpu');
      expect(sha(back[k].toBytes()), k).toBe(sha(t.toBytes()));
    }
  };

  it('keeps every dtype, 0-d and empty tensors, byte for byte (sync)', () => {
    torch.save(sd, file('all.safetensors'));
    const back = torch.load<Record<string, Tensor>>(file('all.safetensors'));
    expectSame(back);
    expect(back['bool.matrix'].toArray()).toEqual(sd['bool.matrix'].toArray());
    expect(back['float32.transposed'].toArray()).toEqual(sd['float32.transposed'].toArray());
    expect(back['int64.big'].toTypedArray()).toEqual(new BigInt64Array([2n ** 62n + 1n, -(2n ** 63n), 2n ** 63n - 1n]));
  });

  it('keeps them with saveAsync / loadAsync too', async () => {
    await torch.saveAsync(sd, file('all-async.safetensors'));
    expect(fs.readFileSync(file('all-async.safetensors'))).toEqual(fs.readFileSync(file('all.safetensors')));
    expectSame(await torch.loadAsync(file('all-async.safetensors')));
  });

  it('writes a space-padded header, aligned to 8 bytes, with safetensors dtype names', () => {
    const bytes = fs.readFileSync(file('all.safetensors'));
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    expect(header.__metadata__).toEqual({ format: 'pt' });
    expect(header['bfloat16.scalar']).toEqual({ dtype: 'BF16', shape: [], data_offsets: expect.any(Array) });
    expect(header['int64.matrix'].dtype).toBe('I64');
    expect(header['bool.empty']).toMatchObject({ dtype: 'BOOL', shape: [0, 4] });
    const [, end] = header[cases[cases.length - 1][0]].data_offsets;
    expect(8 + n + end).toBe(bytes.length);
  });

  it('places tensors with { device } and validates it', () => {
    const back = torch.load<Record<string, Tensor>>(file('all.safetensors'), { device: 'cpu' });
    expect(back['float16.matrix'].device).toBe('cpu');
    expect(() => torch.load(file('all.safetensors'), { device: 'gpu' as torch.Device })).toThrow(
      /Expected a device .* for device but received "gpu"/,
    );
  });

  it.skipIf(!torch.cuda.isAvailable())('saves CUDA tensors and loads onto CUDA', async () => {
    const t = sample('float32', [4, 4]).to('cuda');
    torch.save({ t, h: t.half() }, file('cuda.safetensors'));
    const back = await torch.loadAsync<Record<string, Tensor>>(file('cuda.safetensors'), { device: 'cuda' });
    expect(back.t.device).toBe('cuda:0');
    expect(sha(back.t.toBytes())).toBe(sha(t.toBytes()));
    expect(torch.load<Record<string, Tensor>>(file('cuda.safetensors')).h.device).toBe('cpu');
  });
});

// ---- Python's safetensors ------------------------------------------------------------------

describe("Python's safetensors package", () => {
  it('reads a resnet20 state dict saved by torchts with identical values', () => {
    const sd = vision.models.resnet20().stateDict();
    torch.save(sd, file('resnet20.safetensors'));
    const out = py(
      `${PY_HASHES}
import sys, json, torch
from safetensors.torch import load_file
print(json.dumps(describe(load_file(sys.argv[1]))))`,
      [file('resnet20.safetensors')],
    );
    const seen = JSON.parse(out) as Record<string, [string, number[], string]>;
    expect(Object.keys(seen).sort()).toEqual(Object.keys(sd).sort());
    expect(Object.keys(seen)).toContain('layer3.2.bn2.num_batches_tracked');
    for (const [k, t] of Object.entries(sd)) expect(seen[k], k).toEqual([t.dtype, [...t.shape], sha(t.toBytes())]);
  });

  it('reads every dtype torchts writes', () => {
    const sd = Object.fromEntries(
      ALL_DTYPES.flatMap((d) => [
        [`${d}`, sample(d, [2, 3])],
        [`${d}.0d`, sample(d, [])],
        [`${d}.empty`, sample(d, [0])],
      ]),
    );
    torch.save(sd, file('dtypes.safetensors'));
    const out = py(
      `${PY_HASHES}
import sys, json, torch
from safetensors.torch import load_file
print(json.dumps(describe(load_file(sys.argv[1]))))`,
      [file('dtypes.safetensors')],
    );
    const seen = JSON.parse(out) as Record<string, [string, number[], string]>;
    for (const [k, t] of Object.entries(sd)) expect(seen[k], k).toEqual([t.dtype, [...t.shape], sha(t.toBytes())]);
  });

  it('loads a file written by safetensors.torch.save_file', () => {
    const out = py(
      `${PY_HASHES}
import sys, json, torch
from safetensors.torch import save_file
d = {}
for dt in [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8]:
    name = str(dt).replace('torch.', '')
    d[name] = (torch.arange(12, dtype=torch.float64).reshape(3, 4) * 1.5 - 4).to(dt)
d['bool'] = torch.tensor([[True, False, True], [False, False, True]])
d['scalar'] = torch.tensor(2**40 + 1)
d['empty'] = torch.zeros(0, 3)
d['special'] = torch.tensor([float('nan'), float('inf'), -0.0, 1e-40], dtype=torch.bfloat16)
save_file(d, sys.argv[1], metadata={'format': 'pt', 'note': 'from python'})
print(json.dumps(describe(d)))`,
      [file('from-python.safetensors')],
    );
    const expected = JSON.parse(out) as Record<string, [string, number[], string]>;
    const back = torch.load<Record<string, Tensor>>(file('from-python.safetensors'));
    expect(Object.keys(back).sort()).toEqual(Object.keys(expected).sort());
    for (const [k, t] of Object.entries(back))
      expect([t.dtype, [...t.shape], sha(t.toBytes())], k).toEqual(expected[k]);
    expect(back.int8.toArray()).toEqual([
      [-4, -2, -1, 0],
      [2, 3, 5, 6],
      [8, 9, 11, 12],
    ]); // float -> int truncates toward zero
    expect(back.bfloat16.toArray()).toEqual([
      [-4, -2.5, -1, 0.5],
      [2, 3.5, 5, 6.5],
      [8, 9.5, 11, 12.5],
    ]);
    expect(back.bool.toArray()).toEqual([
      [true, false, true],
      [false, false, true],
    ]);
    expect(back.scalar.item()).toBe(2 ** 40 + 1);
  });
});

// ---- nested checkpoints ------------------------------------------------------------------------

describe('nested checkpoints', () => {
  const makeOpt = {
    'SGD with momentum': (m: nn.Module, lr = 0.1) =>
      new optim.SGD(m.parameters(), { lr, momentum: 0.9, weightDecay: 1e-3 }),
    Adam: (m: nn.Module, lr = 0.01) => new optim.Adam(m.parameters(), { lr }),
  };
  for (const [label, make] of Object.entries(makeOpt)) {
    it(`resumes ${label} training exactly (save after 2 steps, load into fresh objects)`, async () => {
      torch.manualSeed(0);
      const batches = Array.from({ length: 4 }, () => [torch.randn([8, 4]), torch.randn([8, 3])] as const);
      const lossFn = new nn.MSELoss();
      const model = (seed: number) => {
        torch.manualSeed(seed);
        return new nn.Sequential(new nn.Linear(4, 5), new nn.ReLU(), new nn.Linear(5, 3));
      };
      const step = (m: nn.Module, o: optim.Optimizer, i: number) => {
        o.zeroGrad();
        lossFn.forward((m as nn.Sequential).forward(batches[i][0]), batches[i][1]).backward();
        o.step();
      };
      const a = model(1);
      const optA = make(a);
      for (let i = 0; i < 4; i++) step(a, optA, i);

      const b = model(1);
      const optB = make(b);
      step(b, optB, 0);
      step(b, optB, 1);
      torch.manualSeed(123);
      const ckpt = {
        model: b.stateDict(),
        optimizer: optB.stateDict(),
        scheduler: { lastEpoch: 2, baseLrs: [0.1], gamma: 0.5, milestones: [], note: null },
        epoch: 2,
        tag: 'run-1',
        best: true,
        loss: NaN,
        rng: torch.getRngState(),
      };
      const expectedDraw = torch.randn([5]).toBytes();
      await torch.saveAsync(ckpt, file(`ckpt-${label}.safetensors`));

      const c = model(2);
      const optC = make(c, 0.5);
      torch.manualSeed(999);
      const loaded = torch.load(file(`ckpt-${label}.safetensors`));
      expect(loaded.epoch).toBe(2);
      expect(loaded.tag).toBe('run-1');
      expect(loaded.best).toBe(true);
      expect(loaded.loss).toBeNaN();
      expect(loaded.scheduler).toEqual(ckpt.scheduler);
      expect(loaded.optimizer.param_groups).toEqual(ckpt.optimizer.param_groups);
      const bufName = label === 'Adam' ? 'exp_avg_sq' : 'momentum_buffer';
      expect(loaded.optimizer.state['3'][bufName]).toBeInstanceOf(Tensor);
      expect(sha(loaded.optimizer.state['3'][bufName].toBytes())).toBe(
        sha((ckpt.optimizer.state[3][bufName] as Tensor).toBytes()),
      );
      c.loadStateDict(loaded.model);
      optC.loadStateDict(loaded.optimizer);
      torch.setRngState(loaded.rng);
      expect(torch.randn([5]).toBytes()).toEqual(expectedDraw);
      step(c, optC, 2);
      step(c, optC, 3);
      expect(optC.paramGroups[0].lr).toBe(optA.paramGroups[0].lr);
      const pa = a.stateDict();
      for (const [k, t] of Object.entries(c.stateDict())) expect(t.toBytes().equals(pa[k].toBytes()), k).toBe(true);
    });
  }

  it('keeps structure: arrays, nested objects, special numbers, $-keys, shared tensors, __proto__', () => {
    const shared = torch.arange(4);
    const obj = JSON.parse('{"__proto__": {"x": 1}}') as Record<string, unknown>;
    Object.assign(obj, {
      list: [1, 'two', [3, { four: 4 }], null, shared, -0, Infinity, -Infinity],
      tied: { a: shared, b: shared },
      $dollar: { $tensor: 'not a tensor', $number: 'NaN' },
      'dotted.key': torch.ones([2]),
      dotted: { key: torch.zeros([2]) },
      empty: {},
      none: [],
    });
    torch.save(obj, file('structure.safetensors'));
    const back = torch.load(file('structure.safetensors'));
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.getOwnPropertyNames(back)).toContain('__proto__');
    expect(({} as { x?: number }).x).toBeUndefined();
    expect(back.list.slice(0, 4)).toEqual([1, 'two', [3, { four: 4 }], null]);
    expect(Object.is(back.list[5], -0)).toBe(true);
    expect(back.list.slice(6)).toEqual([Infinity, -Infinity]);
    expect(back.list[4]).toBe(back.tied.a);
    expect(back.tied.b).toBe(back.tied.a);
    expect(back.tied.a.toArray()).toEqual([0, 1, 2, 3]);
    expect(back.$dollar).toEqual({ $tensor: 'not a tensor', $number: 'NaN' });
    expect(back['dotted.key'].toArray()).toEqual([1, 1]);
    expect(back.dotted.key.toArray()).toEqual([0, 0]);
    expect(back.empty).toEqual({});
    expect(back.none).toEqual([]);
    // a single tensor and non-object roots work too
    torch.save(shared, file('one.safetensors'));
    expect(torch.load<Tensor>(file('one.safetensors')).toArray()).toEqual([0, 1, 2, 3]);
    torch.save([7, 'x'], file('array.safetensors'));
    expect(torch.load(file('array.safetensors'))).toEqual([7, 'x']);
  });

  it('rejects what cannot be stored, naming where it is, before touching the disk', () => {
    const target = file('rejects.safetensors');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => torch.save({ model: { fn: () => 1 } }, target)).toThrow(/for obj\.model\.fn but received/);
    expect(() => torch.save({ when: new Date(0) }, target)).toThrow(TypeError);
    expect(() => torch.save({ n: 1n }, target)).toThrow(/for obj\.n but received 1/);
    expect(() => torch.save({ m: new Map() }, target)).toThrow(TypeError);
    expect(() => torch.save(cyclic, target)).toThrow(/cycles .* obj\.self refers back/);
    expect(() => torch.save({ a: torch.ones([1]) }, 42 as unknown as string)).toThrow(
      /Expected a file path .* for path but received 42/,
    );
    expect(() => torch.save({ __metadata__: torch.ones([1]) }, target)).toThrow(/reserved/);
    expect(fs.existsSync(target)).toBe(false);
    expect(tmpLeft(dir)).toEqual([]);
  });
});

// ---- atomic writes ---------------------------------------------------------------------------------

describe('atomic writes', () => {
  it('never shows a half-written target while overwriting it', async () => {
    const target = file('atomic.safetensors');
    torch.save({ w: torch.zeros([1 << 20]) }, target);
    const oldBytes = fs.readFileSync(target);
    const next = { w: torch.ones([1 << 22]), b: torch.arange(10) };
    torch.save(next, file('atomic-expected.safetensors'));
    const newBytes = fs.readFileSync(file('atomic-expected.safetensors'));
    let done = false;
    const saving = torch.saveAsync(next, target).then(() => (done = true));
    let reads = 0;
    while (!done) {
      const b = await fs.promises.readFile(target);
      expect(b.equals(oldBytes) || b.equals(newBytes)).toBe(true);
      reads++;
    }
    await saving;
    expect(reads).toBeGreaterThan(0);
    expect(fs.readFileSync(target).equals(newBytes)).toBe(true);
    expect(tmpLeft(dir)).toEqual([]);
  });

  it('leaves the old file and no temporary file when a save fails midway', async () => {
    const target = file('keep-old.safetensors');
    torch.save({ a: torch.ones([3]) }, target);
    const before = fs.readFileSync(target);
    // b's bytes are asked for after the header and a's bytes went to the temporary file
    const failing = torch.ones([1000]);
    failing.toBytes = () => {
      throw new Error('simulated failure while writing');
    };
    const obj = { a: torch.zeros([3]), b: failing };
    expect(() => torch.save(obj, target)).toThrow(
      `Cannot save to ${JSON.stringify(target)}: simulated failure while writing`,
    );
    await expect(torch.saveAsync(obj, target)).rejects.toThrow('simulated failure while writing');
    expect(fs.readFileSync(target).equals(before)).toBe(true);
    expect(tmpLeft(dir)).toEqual([]);
  });

  it('removes the temporary file when the rename fails, and names the file', async () => {
    const sub = file('sub');
    fs.mkdirSync(path.join(sub, 'target.safetensors'), { recursive: true });
    fs.writeFileSync(path.join(sub, 'target.safetensors', 'x'), 'occupied');
    const target = path.join(sub, 'target.safetensors');
    expect(() => torch.save({ a: torch.ones([4]) }, target)).toThrow(
      expect.objectContaining({ name: 'TorchError', message: expect.stringContaining(target) }),
    );
    await expect(torch.saveAsync({ a: torch.ones([4]) }, target)).rejects.toThrow(target);
    expect(tmpLeft(sub)).toEqual([]);
  });

  it('fails cleanly in a missing or unwritable directory', async () => {
    const missing = path.join(dir, 'no-such-dir', 'x.safetensors');
    expect(() => torch.save({ a: torch.ones([1]) }, missing)).toThrow(torch.TorchError);
    await expect(torch.saveAsync({ a: torch.ones([1]) }, missing)).rejects.toThrow(missing);
    const ro = file('read-only');
    fs.mkdirSync(ro);
    fs.chmodSync(ro, 0o500);
    try {
      // root may write anywhere; elsewhere the directory refuses the temporary file
      if (process.getuid?.() !== 0)
        expect(() => torch.save({ a: torch.ones([1]) }, path.join(ro, 'x.safetensors'))).toThrow(
          /Cannot save to .*x\.safetensors/,
        );
    } finally {
      fs.chmodSync(ro, 0o700);
    }
    expect(tmpLeft(ro)).toEqual([]);
  });
});

// ---- corrupt files ----------------------------------------------------------------------------------

/** A file from a header string and data, with an optional forced header length. */
function stFile(header: string | Buffer, data: Buffer = Buffer.alloc(0), length?: bigint): Buffer {
  const h = typeof header === 'string' ? Buffer.from(header) : header;
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(length ?? BigInt(h.length));
  return Buffer.concat([prefix, h, data]);
}
const entry = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });
const hdr = (o: object) => JSON.stringify(o);
const DATA = Buffer.alloc(16, 1);
const valid = stFile(hdr({ a: entry('F32', [2], [0, 8]), b: entry('I64', [], [8, 16]) }), DATA);
const withStructure = (s: string, tensors: object = { 'x.y': entry('F32', [2], [0, 8]) }) =>
  stFile(hdr({ __metadata__: { 'torchts.structure': s }, ...tensors }), Buffer.alloc(8));

const CORRUPT: [string, Buffer, RegExp][] = [
  ['empty', Buffer.alloc(0), /0 bytes, fewer than the 8/],
  ['five-bytes', Buffer.alloc(5), /5 bytes, fewer than the 8/],
  ['truncated-in-length', valid.subarray(0, 7), /fewer than the 8/],
  ['truncated-in-header', valid.subarray(0, 30), /header length \d+ goes beyond the end of the file \(30 bytes/],
  [
    'truncated-in-data',
    valid.subarray(0, valid.length - 5),
    /"b" has data_offsets \[8, 16\] beyond the 11 bytes of data/,
  ],
  ['truncated-one-byte', valid.subarray(0, valid.length - 1), /beyond the 15 bytes of data/],
  ['garbage-length', stFile('{}', DATA, 0xffffffffffffffffn), /header length 18446744073709551615 goes beyond/],
  ['zero-length', stFile('', DATA, 0n), /too short/],
  ['bad-json', stFile('{"a": {"dtype": ', DATA), /not valid JSON/],
  ['not-json-object', stFile('[1, 2, 3]', DATA), /does not start with "\{"/],
  ['json-not-object-entry', stFile(hdr({ a: 5 }), DATA), /header entry of tensor "a" is not an object/],
  ['bad-utf8', stFile(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), DATA), /not valid UTF-8/],
  [
    'unknown-dtype',
    stFile(hdr({ a: entry('F8_E4M3', [16], [0, 16]) }), DATA),
    /tensor "a" has dtype "F8_E4M3"; torchts reads F64, F32/,
  ],
  ['missing-dtype', stFile(hdr({ a: { shape: [2], data_offsets: [0, 8] } }), DATA), /has dtype undefined/],
  ['negative-shape', stFile(hdr({ a: entry('F32', [-2], [0, 8]) }), DATA), /invalid shape \[-2\]/],
  ['fractional-shape', stFile(hdr({ a: entry('F32', [1.5], [0, 8]) }), DATA), /invalid shape/],
  [
    'offsets-past-end',
    stFile(hdr({ a: entry('F32', [2], [0, 8]), b: entry('I64', [], [16, 24]) }), DATA),
    /"b" has data_offsets \[16, 24\] beyond the 16 bytes/,
  ],
  [
    'offsets-wrong-for-shape',
    stFile(hdr({ a: entry('F32', [3], [0, 8]), b: entry('I64', [], [8, 16]) }), DATA),
    /\(8 bytes\) but shape \[3\] of F32 needs 12 bytes/,
  ],
  ['huge-shape', stFile(hdr({ a: entry('F32', [2 ** 40, 2 ** 40], [0, 16]) }), DATA), /needs more than the file holds/],
  ['reversed-offsets', stFile(hdr({ a: entry('F32', [2], [8, 0]) }), DATA), /invalid data_offsets \[8,0\]/],
  ['negative-offsets', stFile(hdr({ a: entry('F32', [2], [-8, 0]) }), DATA), /invalid data_offsets/],
  [
    'overlapping',
    stFile(hdr({ a: entry('F32', [2], [0, 8]), b: entry('I64', [], [4, 12]) }), DATA),
    /"a" and "b" overlap/,
  ],
  [
    'gap',
    stFile(hdr({ a: entry('F32', [2], [0, 8]), b: entry('I32', [], [12, 16]) }), DATA),
    /bytes 8 to 12 of the data belong to no tensor/,
  ],
  ['trailing-bytes', stFile(hdr({ a: entry('F32', [2], [0, 8]) }), DATA), /8 bytes after the last tensor's data/],
  [
    'bad-bool',
    stFile(
      hdr({ a: entry('F32', [2], [0, 8]), b: entry('BOOL', [8], [8, 16]) }),
      Buffer.concat([Buffer.alloc(8), Buffer.from([0, 1, 2, 0, 0, 0, 0, 0])]),
    ),
    /bool tensor "b" holds bytes other than 0 and 1/,
  ],
  [
    'metadata-not-strings',
    stFile(hdr({ __metadata__: { epoch: 3 } }), Buffer.alloc(0)),
    /holds a non-string value for "epoch"/,
  ],
  ['structure-bad-json', withStructure('{"x": '), /bad "torchts.structure" metadata: not valid JSON/],
  [
    'structure-missing-tensor',
    withStructure('{"x": {"$tensor": "nope"}}'),
    /refers to tensor "nope", which the file does not hold/,
  ],
  ['structure-unknown-tag', withStructure('{"x": {"$eval": "process.exit(1)"}}'), /unknown node/],
  ['structure-bad-number', withStructure('{"x": {"$number": "1e999"}}'), /unknown number "1e999"/],
  ['structure-tensor-ref-not-string', withStructure('{"x": {"$tensor": 3}}'), /tensor reference is 3/],
  ['structure-too-deep', withStructure('['.repeat(2000) + ']'.repeat(2000)), /nested deeper than 500 levels/],
];

describe('corrupt files', () => {
  it('accepts the untouched base file', () => {
    fs.writeFileSync(file('valid.safetensors'), valid);
    const back = torch.load<Record<string, Tensor>>(file('valid.safetensors'));
    expect(back.b.dtype).toBe('int64');
    // int64 0x0101010101010101 read as a JS number: the nearest double.
    expect(back.b.item()).toBe(Number(0x0101010101010101n));
  });

  for (const [name, bytes, why] of CORRUPT) {
    it(`rejects ${name} with a TorchError naming the file (sync and async)`, async () => {
      const f = file(`corrupt-${name}.safetensors`);
      fs.writeFileSync(f, bytes);
      const live = torch.memory().liveTensors;
      let err: unknown;
      try {
        torch.load(f);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(torch.TorchError);
      expect((err as Error).message).toContain(`Invalid safetensors file ${JSON.stringify(f)}: `);
      expect((err as Error).message).toMatch(why);
      await expect(torch.loadAsync(f)).rejects.toThrow(
        expect.objectContaining({ name: 'TorchError', message: (err as Error).message }),
      );
      expect(torch.memory().liveTensors).toBeLessThanOrEqual(live); // tensors made before the failure were freed
    });
  }

  it('names a missing file, a directory and a bad path argument', async () => {
    const missing = file('does-not-exist.safetensors');
    expect(() => torch.load(missing)).toThrow(`Cannot load ${JSON.stringify(missing)}: no such file`);
    await expect(torch.loadAsync(missing)).rejects.toThrow(torch.TorchError);
    expect(() => torch.load(dir)).toThrow(`Cannot load ${JSON.stringify(dir)}: not a regular file`);
    await expect(torch.loadAsync(dir)).rejects.toThrow('not a regular file');
    expect(() => torch.load(undefined as unknown as string)).toThrow(
      /Expected a file path .* for path but received undefined/,
    );
  });
});
