/**
 * Does JPEG decoding keep a ResNet-18 training step fed? Images per second of
 *   ImageFolder (JPEG decode with sharp, off the main thread) + RandomResizedCrop(224) +
 *   RandomHorizontalFlip + ToTensor + Normalize, through the DataLoader (batch 32, prefetch 4)
 * on generated 500x375 JPEGs, against the images per second of one ResNet-18 training step
 * (SGD, batch 32, 224x224) measured after warm-up, and of both together (the loader feeding
 * the training loop, decoding overlapping the steps).
 *
 *     npm run bench:decode -- [--images 200] [--epochs 2] [--steps 1] [--overlap-steps 3]
 *
 * Writes bench/results/decode-cpu.json with the machine's description.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';

import { data, nn, optim, torch, vision } from '../lib/index';
import type { Tensor } from '../lib/torch/tensor';

const root = path.resolve(__dirname, '..', '..');
const T = vision.transforms;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** `n` photo-like 500x375 JPEGs (smooth shapes plus noise, quality 90) in 10 class folders. */
async function makeImages(dir: string, n: number): Promise<number> {
  const [w, h] = [500, 375];
  let bytes = 0;
  torch.manualSeed(0);
  for (let i = 0; i < n; i++) {
    const file = path.join(dir, `class${i % 10}`, `img${String(i).padStart(4, '0')}.jpg`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const hwc = torch.tidy(() => {
      const y = torch.arange(h, { dtype: 'float32' }).view(h, 1, 1).div(h);
      const x = torch.arange(w, { dtype: 'float32' }).view(1, w, 1).div(w);
      const f = torch.rand([1, 1, 3]).mul(12).add(2);
      const phase = torch.rand([1, 1, 3]).mul(6.3);
      const waves = x
        .mul(f)
        .add(y.mul(f.flip(2)))
        .add(phase)
        .sin()
        .mul(90)
        .add(128);
      return waves
        .add(torch.randn([h, w, 3]).mul(12))
        .clamp(0, 255)
        .to('uint8')
        .contiguous()
        .toBytes();
    });
    await sharp(hwc, { raw: { width: w, height: h, channels: 3 } })
      .jpeg({ quality: 90 })
      .toFile(file);
    bytes += fs.statSync(file).size;
  }
  return bytes;
}

function loader(dir: string, prefetch = 4): data.DataLoader<[Tensor, number], [Tensor, Tensor]> {
  const transform = new T.Compose([
    new T.RandomResizedCrop(224),
    new T.RandomHorizontalFlip(),
    new T.ToTensor(),
    new T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
  ]);
  const ds = new vision.datasets.ImageFolder(dir, { transform });
  return new data.DataLoader(ds, { batchSize: 32, shuffle: true, prefetch });
}

/** Images per second of full epochs through the loader (batches disposed as they come). */
async function loaderRate(dir: string, epochs: number): Promise<number> {
  const dl = loader(dir);
  let images = 0;
  const t0 = performance.now();
  for (let e = 0; e < epochs; e++) {
    for await (const [x, y] of dl) {
      images += x.shape[0];
      x.dispose();
      y.dispose();
    }
  }
  return images / ((performance.now() - t0) / 1000);
}

/** Images per second of decoding alone (readImage, 32 files at a time). */
async function decodeRate(files: string[]): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < files.length; i += 32) {
    const imgs = await Promise.all(files.slice(i, i + 32).map((f) => vision.io.readImage(f, { mode: 'RGB' })));
    imgs.forEach((t) => {
      t.dispose();
    });
  }
  return files.length / ((performance.now() - t0) / 1000);
}

class Trainer {
  readonly model = vision.models.resnet18();
  readonly criterion = new nn.CrossEntropyLoss();
  readonly optimizer = new optim.SGD(this.model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
  step(images: Tensor, labels: Tensor): void {
    torch.tidy(() => {
      this.optimizer.zeroGrad();
      const loss = this.criterion.forward(this.model.forward(images), labels);
      loss.backward();
      this.optimizer.step();
    });
  }
}

function machine(): Record<string, unknown> {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch {
    // not Linux
  }
  return {
    cpu,
    cores: os.cpus().length,
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    libtorch: torch.version,
    threads: torch.getNumThreads(),
    sharp: sharp.versions.sharp,
    libvips: sharp.versions.vips,
    uv_threadpool_size: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
    loadavg_at_start: os.loadavg(),
    date: new Date().toISOString(),
  };
}

async function main(): Promise<void> {
  const n = arg('images', 200);
  const epochs = arg('epochs', 2);
  const steps = arg('steps', 1);
  const overlapSteps = arg('overlap-steps', 3);
  const m = machine();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-bench-decode-'));
  try {
    const bytes = await makeImages(dir, n);
    const files = new vision.datasets.ImageFolder(dir).samples.map(([f]) => f);
    console.log(`${n} JPEGs of 500x375 (${Math.round(bytes / n / 1024)} KiB each on average) in ${dir}`);

    await loaderRate(dir, 1); // warm-up: file cache, sharp, kernels
    const decodeOnly = await decodeRate(files);
    const pipeline = await loaderRate(dir, epochs);
    console.log(`decode only (readImage):                      ${decodeOnly.toFixed(1)} images/s`);
    console.log(
      `decode + RandomResizedCrop + flip + ToTensor + Normalize, DataLoader batch 32 prefetch 4: ${pipeline.toFixed(1)} images/s`,
    );

    torch.manualSeed(0);
    const trainer = new Trainer();
    trainer.model.train();
    const images = torch.randn([32, 3, 224, 224]);
    const labels = torch.randint(0, 1000, [32]);
    trainer.step(images, labels); // warm-up
    const times: number[] = [];
    for (let s = 0; s < steps; s++) {
      const t0 = performance.now();
      trainer.step(images, labels);
      times.push(performance.now() - t0);
    }
    const stepMs = times.sort((a, b) => a - b)[times.length >> 1];
    const train = 32 / (stepMs / 1000);
    console.log(
      `ResNet-18 training step, batch 32 at 224x224:  ${train.toFixed(1)} images/s (${stepMs.toFixed(0)} ms per step)`,
    );

    // Both together: the loader feeding the training loop.
    const dl = loader(dir);
    let done = 0;
    let measured = 0;
    let t0 = 0;
    for await (const [x, y] of dl) {
      if (done === 1) t0 = performance.now(); // the first step also waits for the first batch
      if (done >= 1 && done <= overlapSteps) measured += x.shape[0];
      trainer.step(x, y);
      x.dispose();
      y.dispose();
      if (++done > overlapSteps) break;
    }
    const together = measured / ((performance.now() - t0) / 1000);
    console.log(`training fed by the DataLoader (${overlapSteps} steps): ${together.toFixed(1)} images/s`);

    const ratio = pipeline / train;
    const keepsUp = ratio >= 1;
    console.log(
      `\ndecoding ${keepsUp ? 'keeps up' : 'does NOT keep up'}: the input pipeline delivers ${ratio.toFixed(1)}x the images a training step consumes` +
        ` (fed training runs at ${((together / train) * 100).toFixed(0)}% of the training-only rate)`,
    );
    console.log(
      `${m.cpu}, ${m.cores} cores, libtorch threads ${m.threads}, libuv threads ${m.uv_threadpool_size}; node ${m.node}, libtorch ${m.libtorch}, sharp ${m.sharp} (libvips ${m.libvips})`,
    );

    const out = path.join(root, 'bench', 'results', 'decode-cpu.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const result = {
      images: n,
      image_size: [500, 375],
      mean_jpeg_bytes: Math.round(bytes / n),
      decode_only_images_per_s: decodeOnly,
      pipeline_images_per_s: pipeline,
      train_step_ms: times,
      train_images_per_s: train,
      train_fed_by_loader_images_per_s: together,
      pipeline_over_train: ratio,
      keeps_up: keepsUp,
      machine: m,
    };
    fs.writeFileSync(out, `${JSON.stringify(result, null, 1)}\n`);
    console.log(`wrote ${path.relative(root, out)}`);
    images.dispose();
    labels.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
