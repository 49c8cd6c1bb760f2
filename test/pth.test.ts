// torch.load on PyTorch's own .pth files (zip + pickle), written by torch.save in real
// PyTorch (scripts/reference/pth_files.py): every dtype, strided and shared-storage views,
// checkpoints, Parameters, pickle protocols 2/4/5, big-endian and deflated archives, a
// torchvision ResNet-18 whose eval output must match PyTorch's, a hostile pickle that must
// not run, and damaged files that must fail with a TorchError without leaking tensors.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { nn, Tensor, torch, vision } from '../lib/index';
import { relError } from './compare';
import { readFixtures, runReference, tempDir } from './parity/fixtures';

const dir = tempDir('pth');
const file = (name: string) => path.join(dir, name);
let expected: Record<string, unknown>;

beforeAll(() => {
  runReference('pth_files.py', [dir]);
  expected = JSON.parse(fs.readFileSync(file('expected.json'), 'utf8'));
}, 300_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The loaded object in the shape of expected.json (tensors described, not compared by value here). */
function describeLoaded(v: unknown): unknown {
  if (v instanceof Tensor) {
    return {
      $tensor: {
        dtype: v.dtype,
        shape: [...v.shape],
        stride: v.stride(),
        offset: v.storageOffset(),
        requires_grad: v.requiresGrad,
        sha256: createHash('sha256').update(v.toBytes()).digest('hex'),
      },
    };
  }
  if (Array.isArray(v)) return v.map(describeLoaded);
  if (typeof v === 'bigint') return Number(v); // JSON.parse turns 2**70 into a double too
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, describeLoaded(x)]));
  return v;
}

const CASES = [
  'conv_bn',
  'dtypes',
  'views',
  'views_p4',
  'views_p5',
  'checkpoint',
  'parameters',
  'big_endian',
  'deflated',
];

describe('files written by torch.save', () => {
  it.each(CASES)(
    '%s.pth loads with the same structure, dtypes, sizes, strides and bytes (sync and async)',
    async (name) => {
      const live = torch.memory().liveTensors;
      const sync = torch.load(file(`${name}.pth`));
      expect(describeLoaded(sync)).toEqual(expected[name]);
      const async = await torch.loadAsync(file(`${name}.pth`));
      expect(describeLoaded(async)).toEqual(expected[name]);
      for (const t of [sync, async].flatMap(tensorsIn)) t.dispose();
      expect(torch.memory().liveTensors).toBeLessThanOrEqual(live);
    },
  );

  it('returns a state dict as a Record<string, Tensor> in PyTorch key order, CPU tensors, int64 num_batches_tracked', () => {
    torch.tidy(() => {
      const sd = torch.load<Record<string, Tensor>>(file('conv_bn.pth'));
      expect(Object.keys(sd)).toEqual(Object.keys(expected.conv_bn as object));
      expect(Object.keys(sd)).toContain('bn.num_batches_tracked');
      expect(sd['bn.num_batches_tracked'].dtype).toBe('int64');
      expect(sd['bn.num_batches_tracked'].item()).toBe(1);
      expect(Object.values(sd).every((t) => t.device === 'cpu')).toBe(true);
    });
  });

  it('keeps exact int64 extremes and the values of every dtype', () => {
    torch.tidy(() => {
      const d = torch.load<Record<string, Tensor>>(file('dtypes.pth'));
      expect(d.int64.toTypedArray()).toEqual(
        new BigInt64Array([2n ** 62n + 1n, -(2n ** 63n), 2n ** 63n - 1n, 0n, -5n]),
      );
      expect(d.bool.dtype).toBe('bool');
      expect(torch.equal(d.float16.to('float32'), d.float32.half().to('float32'))).toBe(true);
    });
  });

  it('shares a storage between tensors that shared it in PyTorch, and keeps views strided', () => {
    torch.tidy(() => {
      const v = torch.load<Record<string, Tensor>>(file('views.pth'));
      expect(v.transposed.stride()).toEqual([1, 6]);
      expect(v.tail.shape).toEqual([3, 6]);
      expect(v.column.toArray()).toEqual([3, 9, 15, 21]);
      expect(v.scalar.shape).toEqual([]);
      expect(v.scalar.item()).toBe(3.5);
      expect(v.empty.shape).toEqual([0, 4]);
      v.base.fill_(7); // one storage: every view sees the write
      expect(v.tail.toArray()).toEqual(Array.from({ length: 3 }, () => Array(6).fill(7)));
      expect(v.transposed.sum().item()).toBe(7 * 24);
    });
  });

  it('gives a nested checkpoint as plain objects, arrays and numbers (int keys as strings)', () => {
    torch.tidy(() => {
      const ck = torch.load(file('checkpoint.pth'));
      expect(ck.epoch).toBe(3);
      expect(ck.best_acc).toBe(0.91);
      expect(ck.arch).toBe('conv_bn');
      expect(ck.betas).toEqual([0.9, 0.999]);
      expect(ck.note).toBeNull();
      expect(ck.big).toBe(2n ** 70n);
      expect(ck.optimizer.state['0'].step).toBeInstanceOf(Tensor);
      expect(ck.model['conv.weight']).toBeInstanceOf(Tensor);
    });
  });

  it('loads a saved nn.Parameter as a Tensor with its requiresGrad', () => {
    torch.tidy(() => {
      const p = torch.load<Record<string, Tensor>>(file('parameters.pth'));
      expect(p.weight.requiresGrad).toBe(true);
      expect(p.frozen.requiresGrad).toBe(false);
    });
  });

  it('loadStateDict(torch.load(...)) restores a module', () => {
    const m = new nn.Sequential(new nn.Conv2d(3, 4, 3), new nn.BatchNorm2d(4));
    const sd = torch.load<Record<string, Tensor>>(file('conv_bn.pth'));
    const renamed = Object.fromEntries(
      Object.entries(sd).map(([k, t]) => [k.replace('conv.', '0.').replace('bn.', '1.'), t]),
    );
    m.loadStateDict(renamed);
    torch.tidy(() => {
      for (const [k, t] of Object.entries(m.stateDict())) expect(torch.equal(t, renamed[k]), k).toBe(true);
    });
    for (const t of Object.values(sd)) t.dispose();
    m.dispose();
  });
});

function tensorsIn(v: unknown): Tensor[] {
  if (v instanceof Tensor) return [v];
  if (v !== null && typeof v === 'object') return Object.values(v).flatMap(tensorsIn);
  return [];
}

describe('a torchvision ResNet-18 saved by PyTorch', () => {
  it('runs in torchts with the same eval output as PyTorch', () => {
    const ref = readFixtures(file('resnet18'));
    const model = vision.models.resnet18({ numClasses: 10 });
    const sd = torch.load<Record<string, Tensor>>(file('resnet18.pth'));
    const result = model.loadStateDict(sd);
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    model.eval();
    const y = torch.noGrad(() => model.forward(ref.x));
    expect(relError(y, ref.y)).toBe(0);
    expect(relError(y, torch.zerosLike(ref.y))).toBeGreaterThan(0.5); // the output is not trivially zero
    for (const t of [y, ...Object.values(sd), ...Object.values(ref)]) t.dispose();
    model.dispose();
  });
});

// ---- hostile and damaged files ------------------------------------------------------------------

/** Expects load and loadAsync to fail with a TorchError matching `message`, leaving no tensors behind. */
async function expectRejected(f: string, message: RegExp | string): Promise<void> {
  const live = torch.memory().liveTensors;
  let err: unknown;
  try {
    torch.load(f);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(torch.TorchError);
  expect((err as Error).message).toMatch(message);
  await expect(torch.loadAsync(f)).rejects.toThrow(
    expect.objectContaining({ name: 'TorchError', message: (err as Error).message }),
  );
  // At most as many: the collector may free earlier tests' garbage meanwhile; more would be a leak.
  expect(torch.memory().liveTensors).toBeLessThanOrEqual(live);
}

describe('hostile pickles', () => {
  it.each(['evil', 'evil_p4'])('%s.pth: refuses the os.system global by name and runs nothing', async (name) => {
    const f = file(`${name}.pth`);
    const global = expected.evil_global as string;
    await expectRejected(
      f,
      `unsupported pickle global '${global}' in ${JSON.stringify(f)}: torchts reads state dicts of tensors only`,
    );
    expect(fs.existsSync(expected.evil_marker as string)).toBe(false);
  });
});

describe('damaged files', () => {
  const named = (f: string) => JSON.stringify(file(f)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  it.each([
    ['no_pickle.pth', /the archive has no conv_bn\/data\.pkl record/],
    ['no_storage.pth', /the archive has no record conv_bn\/data\/0 for a tensor's storage/],
    ['short_storage.pth', /record conv_bn\/data\/0 has 428 bytes but its storage of 108 float32 elements needs 432/],
    [
      'view_oob.pth',
      /a tensor of size \[2, 4\], stride \[3, 1\] and offset 0 needs 7 elements but its storage "0" has 6/,
    ],
  ])('%s fails clearly', async (name, message) => {
    await expectRejected(file(name), new RegExp(`^Invalid PyTorch file ${named(name)}: ${message.source}`));
  });

  const original = () => fs.readFileSync(file('conv_bn.pth'));
  const write = (name: string, bytes: Uint8Array): string => {
    fs.writeFileSync(file(name), bytes);
    return file(name);
  };

  it('truncated at many offsets: a TorchError every time', async () => {
    const bytes = original();
    const cuts = [
      4,
      30,
      100,
      700,
      1000,
      1500,
      bytes.length >> 1,
      bytes.length - 200,
      bytes.length - 23,
      bytes.length - 1,
    ];
    for (const n of cuts)
      await expectRejected(
        write(`cut-${n}.pth`, bytes.subarray(0, n)),
        /Invalid PyTorch file .*(truncated|end-of-central-directory|past|CRC)/,
      );
  });

  it('every single-byte corruption of the zip structure gives a TorchError or the right data', async () => {
    const bytes = original();
    const loaded = torch.load(file('conv_bn.pth'));
    const good = describeLoaded(loaded);
    for (const t of tensorsIn(loaded)) t.dispose();
    const cd = bytes.lastIndexOf(Buffer.from('PK\x01\x02', 'latin1'));
    // the last central directory entry and the end record, and the first local header
    for (const at of [
      ...Array.from({ length: bytes.length - cd }, (_, i) => cd + i),
      ...Array.from({ length: 30 }, (_, i) => i),
    ]) {
      const b = Buffer.from(bytes);
      b[at] ^= 0xff;
      const f = write('flip.pth', b);
      const live = torch.memory().liveTensors;
      try {
        const r = torch.load(f);
        expect(describeLoaded(r), `byte ${at}`).toEqual(good);
        for (const t of tensorsIn(r)) t.dispose();
      } catch (e) {
        expect(e, `byte ${at}: ${(e as Error).message}`).toBeInstanceOf(torch.TorchError);
      }
      expect(torch.memory().liveTensors).toBeLessThanOrEqual(live);
    }
  });

  it('garbage after the zip magic, an empty zip and wrong magic fail clearly', async () => {
    const garbage = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(5000, 0x5a)]);
    await expectRejected(
      write('garbage.pth', garbage),
      /^Invalid PyTorch file .*: no zip end-of-central-directory record/,
    );
    const empty = Buffer.alloc(22);
    empty.writeUInt32LE(0x06054b50, 0);
    await expectRejected(
      write('empty.pth', Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), empty])),
      /no top-level folder/,
    );
    const wrong = Buffer.from(original());
    wrong.write('XX', 0, 'latin1');
    await expectRejected(write('wrong-magic.pth', wrong), /^Invalid safetensors file/);
  });

  it('a legacy (pre-1.6) torch.save file asks to re-save with a newer torch', async () => {
    const legacy = Buffer.from([
      0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
    ]);
    await expectRejected(
      write('legacy.pth', legacy),
      /legacy \(pre-1\.6, non-zip\) format.*re-save it with a newer torch/,
    );
  });
});

describe('Tensor.asStrided', () => {
  it('makes views of the storage, validates arguments in JS and reports out-of-bounds views as TorchError', () => {
    torch.tidy(() => {
      const a = torch.arange(6, { dtype: 'float32' });
      const v = a.asStrided([2, 2], [1, 2], 1);
      expect(v.toArray()).toEqual([
        [1, 3],
        [2, 4],
      ]);
      expect(v.storageOffset()).toBe(1);
      expect(() => a.asStrided([2, 2], [1], 0)).toThrow(RangeError);
      expect(() => a.asStrided([2, -1], [1, 1], 0)).toThrow(RangeError);
      expect(() => a.asStrided([2], [1], -1)).toThrow(/Expected an integer >= 0 for storageOffset/);
      expect(() => a.asStrided([4, 4], [4, 1], 0)).toThrow(torch.TorchError);
    });
  });
});
