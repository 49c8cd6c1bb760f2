// utils.tensorboard.SummaryWriter, read back with the real TensorBoard reader
// (EventAccumulator from the `tensorboard` Python package, installed from the local wheels).
// Histogram buckets are checked against numpy.histogram + PyTorch's make_histogram trimming
// computed in Python; images are decoded with PIL.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { torch, TorchError, utils } from '../lib/index';
import { crc32c, maskedCrc32c } from '../lib/utils/tensorboard/event_file';
import { type HistoEv, readEvents } from './tensorboard_reader';

const { SummaryWriter } = utils.tensorboard;
let tmp = '';
const read = readEvents;

const eventFiles = (dir: string) => fs.readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.'));

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-tb-'));
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('event file framing', () => {
  it('computes CRC32C and its TFRecord mask', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    const crc = 0xe3069283;
    expect(maskedCrc32c(Buffer.from('123456789'))).toBe(((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) % 2 ** 32);
  });

  it('names files like TensorBoard and starts them with file_version brain.Event:2', () => {
    const dir = path.join(tmp, 'names');
    const w = new SummaryWriter(dir, { filenameSuffix: '.v2' });
    expect(w.getLogdir()).toBe(dir);
    w.close();
    const [f] = eventFiles(dir);
    const m = /^events\.out\.tfevents\.(\d{10})\.(.+)\.(\d+)\.(\d+)\.v2$/.exec(f);
    expect(m).not.toBeNull();
    expect(Math.abs(Number(m![1]) - Date.now() / 1000)).toBeLessThan(60);
    expect(m![2]).toBe(os.hostname());
    expect(Number(m![3])).toBe(process.pid);
    const bytes = fs.readFileSync(path.join(dir, f));
    expect(bytes.subarray(0, 200).toString('latin1')).toContain('brain.Event:2');
    expect(read(dir).source).toBe('torchts');
  });

  it('defaults the log directory to runs/<date>_<hostname><comment>', () => {
    const cwd = process.cwd();
    const work = path.join(tmp, 'cwd');
    fs.mkdirSync(work);
    process.chdir(work);
    try {
      const w = new SummaryWriter(undefined, { comment: '_lr0.1' });
      const logDir = w.getLogdir();
      w.close();
      const host = os.hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expect(logDir).toMatch(
        new RegExp(
          `^runs[/\\\\](Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\\d{2}_\\d{2}-\\d{2}-\\d{2}_${host}_lr0\\.1$`,
        ),
      );
      expect(eventFiles(path.join(work, logDir))).toHaveLength(1);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('scalars', () => {
  it('writes scalars over several steps, visible after flush() and before close()', () => {
    const dir = path.join(tmp, 'scalars');
    const w = new SummaryWriter(dir);
    const [file] = eventFiles(dir);
    const sizeAfterOpen = fs.statSync(path.join(dir, file)).size;
    const losses = [2.5, 1.1, 0.7, 0.333333333];
    losses.forEach((v, step) => {
      w.addScalar('Loss/train', v, step, 1_700_000_000.25 + step);
    });
    const t = torch.tensor([[0.1]]);
    w.addScalar('acc', t, 10, 5);
    t.dispose();
    w.addScalar('acc', torch.tensor(0.9), 11, 6);
    w.addScalar('weird', NaN, 1);
    w.addScalar('weird', -Infinity, 2);
    // Nothing beyond the first record is on disk until the queue fills or flush() runs.
    expect(fs.statSync(path.join(dir, file)).size).toBe(sizeAfterOpen);
    w.flush();
    expect(fs.statSync(path.join(dir, file)).size).toBeGreaterThan(sizeAfterOpen);
    const r = read(dir);
    expect(r.tags.scalars.sort()).toEqual(['Loss/train', 'acc', 'weird']);
    expect(r.scalars['Loss/train']).toEqual(
      losses.map((v, step) => ({ step, value: Math.fround(v), wall_time: 1_700_000_000.25 + step })),
    );
    expect(r.scalars.acc.map((e) => [e.step, e.value, e.wall_time])).toEqual([
      [10, Math.fround(0.1), 5],
      [11, Math.fround(0.9), 6],
    ]);
    expect(r.scalars.weird.map((e) => e.value)).toEqual(['nan', '-inf']);
    // Default wall time: now.
    expect(Math.abs(r.scalars.weird[0].wall_time - Date.now() / 1000)).toBeLessThan(60);
    w.addScalar('Loss/train', 0.25, 4);
    w.close();
    expect(read(dir).scalars['Loss/train'].map((e) => e.value)).toEqual([...losses, 0.25].map(Math.fround));
  });

  it('writes once more than maxQueue events are pending', () => {
    const dir = path.join(tmp, 'queue');
    const w = new SummaryWriter(dir, { maxQueue: 2 });
    for (let i = 0; i < 3; i++) w.addScalar('x', i, i);
    expect(read(dir).scalars.x.map((e) => e.value)).toEqual([0, 1, 2]);
    w.addScalar('x', 3, 3);
    expect(read(dir).scalars.x).toHaveLength(3);
    w.close();
    expect(read(dir).scalars.x).toHaveLength(4);
  });

  it('addScalars writes one sub-directory per key with the main tag', () => {
    const dir = path.join(tmp, 'grouped');
    const w = new SummaryWriter(dir);
    for (let step = 0; step < 3; step++) {
      w.addScalars('run/loss', { train: 1 / (step + 1), val: torch.tensor([2 * step]) }, step, 100 + step);
    }
    w.addScalars('run/loss', { test: 7 }, 3);
    w.addScalar('main', 1, 0);
    w.close();
    expect(
      fs
        .readdirSync(dir)
        .filter((f) => !f.startsWith('events.'))
        .sort(),
    ).toEqual(['run_loss_test', 'run_loss_train', 'run_loss_val']);
    for (const sub of ['run_loss_train', 'run_loss_val', 'run_loss_test'])
      expect(eventFiles(path.join(dir, sub))).toHaveLength(1);
    const train = read(path.join(dir, 'run_loss_train'));
    expect(train.tags.scalars).toEqual(['run/loss']);
    expect(train.scalars['run/loss']).toEqual(
      [0, 1, 2].map((s) => ({ step: s, value: Math.fround(1 / (s + 1)), wall_time: 100 + s })),
    );
    expect(read(path.join(dir, 'run_loss_val')).scalars['run/loss'].map((e) => e.value)).toEqual([0, 2, 4]);
    expect(read(path.join(dir, 'run_loss_test')).scalars['run/loss'].map((e) => [e.step, e.value])).toEqual([[3, 7]]);
    expect(read(dir).tags.scalars).toEqual(['main']);
  });
});

describe('histograms', () => {
  it('matches numpy.histogram + PyTorch trimming for tensorflow, count and edge bins', () => {
    const dir = path.join(tmp, 'histo');
    const w = new SummaryWriter(dir);
    torch.manualSeed(0);
    const normal = torch.randn([1000], { dtype: 'float64' }).mul(3);
    const normalValues = Array.from(normal.toTypedArray() as Float64Array);
    const ints = [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, -4.5];
    const constant = torch.full([7], 2.5);
    const positive = [0.5, 1, 1e-3, 42, 1e6];
    const intsTensor = torch.tensor(ints);
    const before = torch.memory().liveTensors;
    w.addHistogram('normal', normal, 0);
    w.addHistogram(
      'normal',
      normalValues.map((v) => v * 2),
      1,
    );
    w.addHistogram('ints', ints, 0, 10);
    w.addHistogram('constant', constant, 0, 5);
    w.addHistogram('edges', intsTensor, 0, [-5, 0, 5, 10, 40]);
    w.addHistogram('positive', new Float32Array(positive), 0);
    expect(torch.memory().liveTensors).toBeLessThanOrEqual(before);
    w.close();
    const refs = {
      normal0: { values: normalValues, bins: 'tensorflow' },
      normal1: { values: normalValues.map((v) => v * 2), bins: 'tensorflow' },
      ints: { values: ints, bins: 10 },
      constant: { values: Array(7).fill(2.5), bins: 5 },
      edges: { values: ints, bins: [-5, 0, 5, 10, 40] },
      positive: { values: Array.from(new Float32Array(positive)), bins: 'tensorflow' },
    };
    const r = read(dir, refs);
    expect(r.tags.histograms.sort()).toEqual(['constant', 'edges', 'ints', 'normal', 'positive']);
    const check = (got: HistoEv, ref: Omit<HistoEv, 'step' | 'wall_time'>) => {
      expect(got.min).toBe(ref.min);
      expect(got.max).toBe(ref.max);
      expect(got.num).toBe(ref.num);
      expect(got.sum).toBeCloseTo(ref.sum, 9);
      expect(Math.abs(got.sum_squares - ref.sum_squares)).toBeLessThanOrEqual(1e-12 * ref.sum_squares);
      expect(got.bucket_limit).toEqual(ref.bucket_limit);
      expect(got.bucket).toEqual(ref.bucket);
      expect(got.bucket.reduce((a, b) => a + b, 0)).toBe(ref.num);
    };
    expect(r.histograms.normal.map((e) => e.step)).toEqual([0, 1]);
    check(r.histograms.normal[0], r.reference!.normal0);
    check(r.histograms.normal[1], r.reference!.normal1);
    check(r.histograms.ints[0], r.reference!.ints);
    check(r.histograms.constant[0], r.reference!.constant);
    check(r.histograms.edges[0], r.reference!.edges);
    check(r.histograms.positive[0], r.reference!.positive);
    // Independent of numpy: the statistics of what was written.
    expect(r.histograms.ints[0]).toMatchObject({
      min: -4.5,
      max: 34,
      num: 11,
      sum: 83.5,
      sum_squares: ints.reduce((a, v) => a + v * v, 0),
    });
    expect(r.histograms.constant[0].bucket_limit).toEqual([2.4, 2.6]);
    expect(r.histograms.constant[0].bucket).toEqual([0, 7]);
    // The first bin is non-empty, so a zero bucket carries its left edge.
    expect(r.histograms.edges[0].bucket_limit).toEqual([-5, 0, 5, 10, 40]);
    expect(r.histograms.edges[0].bucket).toEqual([0, 1, 5, 2, 3]);
    for (const t of [normal, constant, intsTensor]) t.dispose();
  });
});

describe('images', () => {
  // Float data is scaled by 255 in float32, clamped and truncated, as PyTorch does.
  const toByte = (v: number) => Math.trunc(Math.min(255, Math.max(0, Math.fround(Math.fround(v) * 255))));

  it('writes CHW, HWC and HW images, float and uint8, 1, 3 and 4 channels, as PNG', () => {
    const dir = path.join(tmp, 'images');
    const w = new SummaryWriter(dir);
    const H = 4;
    const W = 5;
    const chw: number[] = [];
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++)
          chw.push(((c * 37 + y * 11 + x * 7) % 61) / 60 - (x === 4 ? 0.2 : 0) + (y === 3 && x === 0 ? 0.5 : 0));
    const hwc = Array.from({ length: H * W * 3 }, (_, i) => (i * 53) % 256);
    const gray = Array.from({ length: H * W }, (_, i) => i / (H * W - 1));
    const rgba = Array.from({ length: H * W * 4 }, (_, i) => (i * 29 + 3) % 256);
    const [tChw, tChwFlipped, tHwc, tGray, tGray1, tRgba] = torch.tidy(() => {
      const c = torch.tensor(chw).reshape(3, H, W);
      return [
        c,
        c.flip(2),
        torch.tensor(hwc, { dtype: 'uint8' }).reshape(H, W, 3),
        torch.tensor(gray).reshape(H, W),
        torch.tensor(gray).reshape(1, H, W),
        torch.tensor(rgba, { dtype: 'uint8' }).reshape(H, W, 4),
      ];
    });
    const before = torch.memory().liveTensors;
    w.addImage('chw', tChw, 0);
    w.addImage('chw', tChwFlipped, 1);
    w.addImage('hwc', tHwc, 0, undefined, 'HWC');
    w.addImage('hw', tGray, 0, undefined, 'HW');
    w.addImage('gray', tGray1, 0);
    w.addImage('rgba', tRgba, 0, 3.5, 'HWC');
    expect(torch.memory().liveTensors).toBeLessThanOrEqual(before);
    for (const t of [tChw, tChwFlipped, tHwc, tGray, tGray1, tRgba]) t.dispose();
    w.close();
    const r = read(dir);
    expect(r.tags.images.sort()).toEqual(['chw', 'gray', 'hw', 'hwc', 'rgba']);
    for (const tag of r.tags.images) for (const e of r.images[tag]) expect([e.width, e.height]).toEqual([W, H]);
    if (r.images.chw[0].pixels === undefined) {
      // PIL missing: at least check the PNG signature.
      expect(r.images.chw[0].png).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      return;
    }
    const chwToHwc = (src: number[], flip = false) => {
      const out: number[] = [];
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++)
          for (let c = 0; c < 3; c++) out.push(toByte(src[c * H * W + y * W + (flip ? W - 1 - x : x)]));
      return out;
    };
    expect(r.images.chw[0].mode).toBe('RGB');
    expect(r.images.chw[0].pixels).toEqual(chwToHwc(chw));
    expect(r.images.chw[1].step).toBe(1);
    expect(r.images.chw[1].pixels).toEqual(chwToHwc(chw, true));
    expect(r.images.hwc[0].pixels).toEqual(hwc);
    const grayRgb = gray.flatMap((v) => [toByte(v), toByte(v), toByte(v)]);
    expect(r.images.hw[0].mode).toBe('RGB');
    expect(r.images.hw[0].pixels).toEqual(grayRgb);
    expect(r.images.gray[0].pixels).toEqual(grayRgb);
    expect(r.images.rgba[0].mode).toBe('RGBA');
    expect(r.images.rgba[0].pixels).toEqual(rgba);
    // The clamped values really were outside [0, 1].
    expect(chw.some((v) => v < 0) && chw.some((v) => v > 1)).toBe(true);
  });
});

describe('errors', () => {
  const dir = () => path.join(tmp, `errors-${Math.random().toString(36).slice(2)}`);
  // biome-ignore lint/suspicious/noExplicitAny: wrong argument types on purpose, to test the runtime checks
  const W = SummaryWriter as any;

  it('rejects bad arguments with TypeError/RangeError naming them', () => {
    // biome-ignore lint/suspicious/noExplicitAny: as above
    const w = new SummaryWriter(dir()) as any;
    const img = torch.rand([2, 4, 4]);
    const cases: [() => unknown, typeof TypeError | typeof RangeError, string][] = [
      [() => w.addScalar(42, 1, 0), TypeError, 'tag'],
      [() => w.addScalar('x', '1', 0), TypeError, 'scalarValue'],
      [() => w.addScalar('x', torch.ones(2), 0), RangeError, 'scalarValue'],
      [() => w.addScalar('x', 1, NaN), RangeError, 'globalStep'],
      [() => w.addScalar('x', 1, 1.5), RangeError, 'globalStep'],
      [() => w.addScalar('x', 1, '3'), TypeError, 'globalStep'],
      [() => w.addScalar('x', 1, 0, NaN), RangeError, 'walltime'],
      [() => w.addScalars('g', [1, 2], 0), TypeError, 'tagScalarDict'],
      [() => w.addScalars('g', { a: 'b' }, 0), TypeError, 'tagScalarDict["a"]'],
      [() => w.addHistogram({}, [1], 0), TypeError, 'tag'],
      [() => w.addHistogram('h', [1, NaN], 0), RangeError, 'values'],
      [() => w.addHistogram('h', [], 0), RangeError, 'values'],
      [() => w.addHistogram('h', 'abc', 0), TypeError, 'values'],
      [() => w.addHistogram('h', [1, 2], 0, 0), RangeError, 'bins'],
      [() => w.addHistogram('h', [1, 2], 0, 'auto'), TypeError, 'bins'],
      [() => w.addImage('i', img, 0), RangeError, 'imgTensor'],
      [() => w.addImage('i', torch.rand([3, 4]), 0), RangeError, 'imgTensor'],
      [() => w.addImage('i', torch.rand([4, 4, 3]), 0, undefined, 'HW'), RangeError, 'imgTensor'],
      [() => w.addImage('i', torch.rand([3, 0, 4]), 0), RangeError, 'imgTensor'],
      [() => w.addImage('i', [[1]], 0), TypeError, 'imgTensor'],
      [() => w.addImage('i', torch.rand([3, 4, 4]), 0, undefined, 'NCHW'), RangeError, 'dataformats'],
      [() => new W(dir(), { maxQueue: -1 }), RangeError, 'maxQueue'],
      [() => new W(dir(), { flushSecs: 0 }), RangeError, 'flushSecs'],
      [() => new W(dir(), { comment: 3 }), TypeError, 'comment'],
      [() => new W(5), TypeError, 'logDir'],
      [() => new W(dir(), 3), TypeError, 'comment'], // comment is PyTorch's second positional argument
    ];
    for (const [call, cls, arg] of cases) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err, `${call}`).toBeInstanceOf(cls);
      expect((err as Error).message, `${call}`).toMatch(
        new RegExp(`^Expected .* for ${arg.replace(/[[\]"]/g, '\\$&')} `),
      );
    }
    img.dispose();
    // The writer still works after rejected calls, and nothing half-written was recorded.
    w.addScalar('ok', 1, 0);
    w.close();
    const r = read(w.getLogdir());
    expect(r.tags).toEqual({ scalars: ['ok'], histograms: [], images: [] });
  });

  it('refuses writes after close(); flush() and close() stay harmless', () => {
    const d = dir();
    const w = new SummaryWriter(d);
    w.addScalar('x', 1, 0);
    w.close();
    expect(() => w.addScalar('x', 2, 1)).toThrow(TorchError);
    expect(() => w.addScalar('x', 2, 1)).toThrow(/closed/);
    expect(() => w.addScalars('g', { a: 1 }, 1)).toThrow(TorchError);
    expect(() => w.addHistogram('h', [1], 1)).toThrow(TorchError);
    expect(() => w.addImage('i', torch.zeros(3, 2, 2), 1)).toThrow(TorchError);
    expect(() => w.flush()).not.toThrow();
    expect(() => w.close()).not.toThrow();
    expect(read(d).scalars.x.map((e) => e.value)).toEqual([1]);
  });
});
