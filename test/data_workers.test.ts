// DataLoader worker threads (numWorkers > 0) on the compiled package (dist/), as a user's
// program runs them: the same batches as numWorkers 0 for one seed, workerInitFn and
// getWorkerInfo in each thread, persistent workers, errors that name the worker and the
// sample, and a clean stop when the loop breaks.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../lib/libtorch';

const DIST = path.join(packageRoot(), 'dist', 'index.js');
// The main thread uses the same compiled torchts as the workers and the dataset module.
const { data, torch } = require(DIST) as typeof import('../lib/index');
type Tensor = import('../lib/index').Tensor;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-workers-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// Item i: a [3, 8, 8] image made from i, randomly cropped, resized and flipped; its label; and
// which worker loaded it, after which workerInitFn (-1 on the main thread).
const moduleFile = path.join(tmp, 'noisy.js');
fs.writeFileSync(
  moduleFile,
  `const { data, torch, vision } = require(${JSON.stringify(DIST)});
const T = vision.transforms;
class Noisy {
  constructor(n, failAt = -1, delayMs = 0) {
    this.n = n;
    this.failAt = failAt;
    this.delayMs = delayMs;
    this.transform = new T.Compose([new T.RandomResizedCrop(4), new T.RandomHorizontalFlip()]);
  }
  get length() { return this.n; }
  async get(i) {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (i === this.failAt) throw new RangeError('no image for sample ' + i);
    const img = torch.arange(192, { dtype: 'float32' }).add(i * 7).remainder(50).view(3, 8, 8);
    const info = data.getWorkerInfo();
    return [this.transform.forward(img), i, info ? info.id : -1, globalThis.initWorker ?? -1];
  }
}
exports.Noisy = Noisy;
exports.init = (id) => { globalThis.initWorker = 100 + id; };
// A file per live worker thread, removed when the thread exits.
exports.track = (id) => {
  const f = require('node:path').join(${JSON.stringify(tmp)}, 'alive-' + require('node:worker_threads').threadId);
  require('node:fs').writeFileSync(f, String(id));
  process.on('exit', () => require('node:fs').rmSync(f, { force: true }));
};
`,
);

interface Batch {
  images: number[];
  labels: number[];
  worker: number[];
  init: number[];
}

async function epoch(loader: import('../lib/index').data.DataLoader): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of loader as AsyncIterable<Tensor[]>) {
    const [x, y, w, init] = b;
    out.push({
      images: Array.from(x.toTypedArray() as Float32Array),
      labels: y.toArray() as number[],
      worker: w.toArray() as number[],
      init: init.toArray() as number[],
    });
  }
  return out;
}

describe('DataLoader numWorkers', () => {
  it('gives the batches numWorkers 0 gives for one seed, loaded in worker threads', async () => {
    const ds = new data.ModuleDataset(moduleFile, 'Noisy', [22]);
    const make = (numWorkers: number) =>
      new data.DataLoader(ds, {
        batchSize: 4,
        shuffle: true,
        numWorkers,
        generator: new torch.Generator(9),
        ...(numWorkers > 0 ? { workerInitFn: { module: moduleFile, export: 'init' }, prefetchFactor: 3 } : {}),
      });
    const main = await epoch(make(0));
    const threads = await epoch(make(2));
    expect(threads.map((b) => b.labels)).toEqual(main.map((b) => b.labels));
    expect(threads.map((b) => b.images)).toEqual(main.map((b) => b.images));
    // Batch k came from worker k % 2, which ran workerInitFn(id) first; numWorkers 0 ran here.
    expect(threads.map((b) => b.worker[0])).toEqual([0, 1, 0, 1, 0, 1]);
    expect(threads.map((b) => b.init[0])).toEqual([100, 101, 100, 101, 100, 101]);
    expect(main.every((b) => b.worker.every((w) => w === -1))).toBe(true);
    expect(data.getWorkerInfo()).toBeNull();
    // randomSplit's Subsets of a ModuleDataset reach the workers too.
    const [part] = data.randomSplit(ds, [0.5, 0.5], new torch.Generator(1));
    const split = (numWorkers: number) =>
      epoch(new data.DataLoader(part, { batchSize: 3, numWorkers, generator: new torch.Generator(2) }));
    expect((await split(2)).map((b) => [b.labels, b.images])).toEqual(
      (await split(0)).map((b) => [b.labels, b.images]),
    );
    // Another generator seed, other crops.
    const other = await epoch(
      new data.DataLoader(ds, { batchSize: 4, numWorkers: 2, generator: new torch.Generator(10) }),
    );
    expect(other.map((b) => b.images)).not.toEqual(
      (await epoch(new data.DataLoader(ds, { batchSize: 4, generator: new torch.Generator(9) }))).map((b) => b.images),
    );
  }, 120_000);

  it('keeps persistent workers between epochs, with new augmentations each epoch', async () => {
    const ds = new data.ModuleDataset(moduleFile, 'Noisy', [8]);
    torch.manualSeed(4);
    const loader = new data.DataLoader(ds, { batchSize: 4, numWorkers: 2, persistentWorkers: true });
    const first = await epoch(loader);
    const second = await epoch(loader);
    expect(first.map((b) => b.labels)).toEqual(second.map((b) => b.labels));
    expect(first.map((b) => b.images)).not.toEqual(second.map((b) => b.images));
    // As PyTorch's: only the first iteration drew a base seed from the global generator.
    const after = torch.rand(2).toArray();
    torch.manualSeed(4);
    torch.empty([], { dtype: 'int64' }).random_();
    expect(after).toEqual(torch.rand(2).toArray());
    await loader.shutdown();
  }, 120_000);

  it('rethrows a worker error naming the worker and the sample', async () => {
    const ds = new data.ModuleDataset(moduleFile, 'Noisy', [12, 5]);
    const loader = new data.DataLoader(ds, { batchSize: 2, numWorkers: 2 });
    let caught: (Error & { sampleIndex?: number; workerId?: number }) | undefined;
    try {
      await epoch(loader);
    } catch (e) {
      caught = e as Error;
    }
    // Batch 2 ([4, 5]) went to worker 0.
    expect(caught).toBeInstanceOf(RangeError);
    expect(caught?.message).toBe('Caught RangeError in DataLoader worker 0 loading sample 5: no image for sample 5');
    expect(caught?.sampleIndex).toBe(5);
    expect(caught?.stack).toMatch(/Original stack in the worker:\nRangeError: no image for sample 5\n\s+at Noisy.get/);
  }, 120_000);

  it('stops its workers when the loop breaks', async () => {
    const ds = new data.ModuleDataset(moduleFile, 'Noisy', [40, -1, 50]);
    const alive = () => fs.readdirSync(tmp).filter((f) => f.startsWith('alive-')).length;
    const loader = new data.DataLoader(ds, {
      batchSize: 2,
      numWorkers: 2,
      prefetchFactor: 4,
      workerInitFn: { module: moduleFile, export: 'track' },
    });
    const started = Date.now();
    let n = 0;
    for await (const _ of loader) {
      if (n === 1) expect(alive()).toBe(2); // batch 1 came from worker 1: both have started
      if (++n === 2) break;
    }
    // Stopping waits at most for the batch each worker is loading, not for the 40 items.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(alive()).toBe(0);
  }, 120_000);

  it('refuses what cannot reach a worker thread', () => {
    const plain = { length: 3, get: (i: number) => i };
    expect(() => new data.DataLoader(plain, { numWorkers: 2 })).toThrow(
      /numWorkers > 0 needs a dataset the worker threads can build: a data.ModuleDataset/,
    );
    expect(() => new data.ModuleDataset(moduleFile, 'Noisy', [() => 1])).toThrow(
      /args must survive structured cloning/,
    );
    expect(() => new data.ModuleDataset(path.join(tmp, 'missing.js'))).toThrow(/cannot find the module/);
    const ds = new data.ModuleDataset(moduleFile, 'Noisy', [3]);
    expect(() => new data.DataLoader(ds, { numWorkers: 1, workerInitFn: (() => {}) as never })).toThrow(
      /a function cannot cross to the worker threads/,
    );
    expect(() => new data.DataLoader(ds, { prefetchFactor: 2 })).toThrow(
      /prefetchFactor option could only be specified with numWorkers > 0/,
    );
    expect(() => new data.DataLoader(ds, { num_workers: 2 } as never)).toThrow(/did you mean numWorkers\?/);
    expect(() => new data.ModuleDataset(moduleFile, 'Nope').length).toThrow(/has no export Nope/);
  });
});
