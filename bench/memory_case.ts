/**
 * One case of bench/memory.ts, run in a process of its own so that its peak RSS is its own.
 * Prints one JSON line: { peakRssMB, seconds, liveTensors: [...] } (live tensors sampled along
 * the loop).
 *
 *   node dist-scripts/bench/memory_case.js <case> <variant> [batches]
 *   cases:    mnist-train | mnist-eval | sync-loop | resnet50-infer | resnet18-step | user-resnet18-step
 *   variants: literal (as a PyTorch user writes it: no tidy, no dispose) | tidy (each step in torch.tidy)
 */
import * as fs from 'node:fs';

import { data, nn, optim, type Tensor, torch, vision } from '../lib/index';
import { userResnet18, userResnet50 } from './user_resnet';

const F = nn.functional;
const [caseName, variant = 'literal', batchesArg] = process.argv.slice(2);
const tidy = variant === 'tidy';
const step = <T>(fn: () => T): T => (tidy ? torch.tidy(fn) : fn());

/** pytorch/examples mnist/main.py's Net. */
class Net extends nn.Module {
  conv1 = new nn.Conv2d(1, 32, 3, { stride: 1 });
  conv2 = new nn.Conv2d(32, 64, 3, { stride: 1 });
  dropout1 = new nn.Dropout(0.25);
  dropout2 = new nn.Dropout(0.5);
  fc1 = new nn.Linear(9216, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x: Tensor): Tensor {
    x = this.conv1.forward(x);
    x = F.relu(x);
    x = this.conv2.forward(x);
    x = F.relu(x);
    x = F.maxPool2d(x, 2);
    x = this.dropout1.forward(x);
    x = torch.flatten(x, 1);
    x = this.fc1.forward(x);
    x = F.relu(x);
    x = this.dropout2.forward(x);
    x = this.fc2.forward(x);
    return F.logSoftmax(x, 1);
  }
}

function mnist(train: boolean): vision.datasets.MNIST {
  const T = vision.transforms;
  const transform = new T.Compose([new T.ToTensor(), new T.Normalize([0.1307], [0.3081])]);
  return vision.datasets.MNIST.embedded({ train, transform });
}

const samples: number[] = [];
const sample = (): void => void samples.push(torch.memory().liveTensors);

async function mnistTrain(batches: number): Promise<void> {
  torch.manualSeed(1);
  const loader = new data.DataLoader(mnist(true), { batchSize: 64 });
  const model = new Net();
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.5 });
  model.train();
  let i = 0;
  for await (const [x, target] of loader as AsyncIterable<Tensor[]>) {
    step(() => {
      optimizer.zeroGrad();
      const output = model.forward(x);
      const loss = F.nllLoss(output, target);
      loss.backward();
      optimizer.step();
    });
    if (i % 50 === 0) sample();
    if (++i >= batches) break;
  }
}

async function mnistEval(batches: number): Promise<void> {
  torch.manualSeed(1);
  const loader = new data.DataLoader(mnist(false), { batchSize: 1000 });
  const model = new Net().eval();
  let correct = 0;
  let i = 0;
  await torch.noGrad(async () => {
    for await (const [x, target] of loader as AsyncIterable<Tensor[]>) {
      correct += step(() => {
        const output = model.forward(x);
        const pred = output.argmax(1, true);
        return pred.eq(target.viewAs(pred)).sum().item() as number;
      });
      sample();
      if (++i >= batches) break;
    }
  });
  void correct;
}

function syncLoop(batches: number): void {
  torch.manualSeed(1);
  const xs = Array.from({ length: 16 }, () => [torch.randn([64, 1, 28, 28]), torch.randint(0, 10, [64])]);
  const model = new Net();
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.5 });
  for (let i = 0; i < batches; i++) {
    const [x, y] = xs[i % xs.length];
    step(() => {
      optimizer.zeroGrad();
      const loss = F.nllLoss(model.forward(x), y);
      loss.backward();
      optimizer.step();
    });
    if (i % 50 === 0) sample();
  }
}

function resnet50Infer(batches: number): void {
  torch.manualSeed(0);
  const model = userResnet50().eval();
  const x = torch.randn([16, 3, 224, 224]);
  for (let i = 0; i < batches; i++) {
    const y = step(() => torch.noGrad(() => model.forward(x)));
    if (tidy) y.dispose();
    sample();
  }
}

function resnet18Step(model: nn.Module & { forward(x: Tensor): Tensor }, batches: number): void {
  const x = torch.randn([16, 3, 224, 224]);
  const y = torch.randint(0, 1000, [16]);
  const criterion = new nn.CrossEntropyLoss();
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
  model.train();
  for (let i = 0; i < batches; i++) {
    step(() => {
      optimizer.zeroGrad();
      const loss = criterion.forward(model.forward(x), y);
      loss.backward();
      optimizer.step();
    });
    sample();
  }
}

function peakRssMB(): number {
  const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

async function main(): Promise<void> {
  const defaults: Record<string, number> = {
    'mnist-train': 938,
    'mnist-eval': 10,
    'sync-loop': 300,
    'resnet50-infer': 4,
    'resnet18-step': 6,
    'user-resnet18-step': 6,
  };
  if (!(caseName in defaults)) throw new Error(`unknown case ${caseName}`);
  const batches = batchesArg ? Number(batchesArg) : defaults[caseName];
  torch.manualSeed(0);
  // Models are built before the clock starts.
  const r18 =
    caseName === 'resnet18-step' ? vision.models.resnet18() : caseName === 'user-resnet18-step' ? userResnet18() : null;
  const t0 = performance.now();
  if (caseName === 'mnist-train') await mnistTrain(batches);
  else if (caseName === 'mnist-eval') await mnistEval(batches);
  else if (caseName === 'sync-loop') syncLoop(batches);
  else if (caseName === 'resnet50-infer') resnet50Infer(batches);
  else if (r18) resnet18Step(r18, batches);
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ peakRssMB: peakRssMB(), seconds, liveTensors: samples }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
