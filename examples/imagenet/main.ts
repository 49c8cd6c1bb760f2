/**
 * The core of pytorch/examples imagenet/main.py, ported line for line to torchts: any
 * `vision.models` architecture trained with SGD and StepLR on an ImageFolder (or FakeData with
 * `--dummy`), validated each epoch with top-1/top-5 accuracy, checkpointed with torch.save as
 * checkpoint.pth.tar (and model_best.pth.tar), resumable with `--resume`. As in Python there
 * is no `tidy` and no `dispose()`.
 *
 *     npx tsc -p tsconfig.examples.json
 *     node dist-examples/examples/imagenet/main.js --dummy -b 8 --epochs 1 --max-batches 10
 *
 * Not ported: `--multiprocessing-distributed` (torch.multiprocessing.spawn) and
 * `--pretrained` (torchts downloads no weights); distributed training runs one process per
 * node (`--world-size`, `--rank`, `--dist-url`, Gloo). `--max-batches N` (not in the original)
 * stops each loop after N batches.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import { data as torchData, distributed as dist, nn, optim, type Tensor, torch, vision } from 'torchts';

const { datasets, models, transforms } = vision;
const { StepLR } = optim.lr_scheduler;

type Builder = () => nn.Module & { forward(x: Tensor): Tensor };
const modelNames = Object.keys(models)
  .filter((name) => name === name.toLowerCase() && !name.startsWith('__'))
  .filter((name) => typeof (models as Record<string, unknown>)[name] === 'function')
  .sort();

interface Args {
  data: string;
  arch: string;
  workers: number;
  epochs: number;
  startEpoch: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  printFreq: number;
  resume: string;
  evaluate: boolean;
  pretrained: boolean;
  worldSize: number;
  rank: number;
  distUrl: string;
  distBackend: string;
  seed: number | null;
  gpu: number | null;
  noAccel: boolean;
  multiprocessingDistributed: boolean;
  dummy: boolean;
  maxBatches: number;
  distributed: boolean;
}

function parse(): Args {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      arch: { type: 'string', short: 'a', default: 'resnet18' }, // model architecture (default: resnet18)
      workers: { type: 'string', short: 'j', default: '4' }, // number of data loading workers (default: 4)
      epochs: { type: 'string', default: '90' }, // number of total epochs to run
      'start-epoch': { type: 'string', default: '0' }, // manual epoch number (useful on restarts)
      'batch-size': { type: 'string', short: 'b', default: '256' }, // mini-batch size (default: 256)
      lr: { type: 'string' }, // initial learning rate (also --learning-rate; default 0.1)
      'learning-rate': { type: 'string' },
      momentum: { type: 'string', default: '0.9' }, // momentum
      wd: { type: 'string' }, // weight decay (also --weight-decay; default: 1e-4)
      'weight-decay': { type: 'string' },
      'print-freq': { type: 'string', short: 'p', default: '10' }, // print frequency (default: 10)
      resume: { type: 'string', default: '' }, // path to latest checkpoint (default: none)
      evaluate: { type: 'boolean', short: 'e', default: false }, // evaluate model on validation set
      pretrained: { type: 'boolean', default: false }, // use pre-trained model
      'world-size': { type: 'string', default: '-1' }, // number of nodes for distributed training
      rank: { type: 'string', default: '-1' }, // node rank for distributed training
      'dist-url': { type: 'string', default: 'tcp://224.66.41.62:23456' }, // url used to set up distributed training
      'dist-backend': { type: 'string', default: 'gloo' }, // distributed backend (PyTorch's default: nccl)
      seed: { type: 'string' }, // seed for initializing training
      gpu: { type: 'string' }, // GPU id to use
      'no-accel': { type: 'boolean', default: false }, // disables accelerator
      'multiprocessing-distributed': { type: 'boolean', default: false },
      dummy: { type: 'boolean', default: false }, // use fake data to benchmark
      'max-batches': { type: 'string', default: '0' }, // (torchts) stop each loop after N batches; 0: no limit
    },
  });
  const int = (v: string | undefined, name: string): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n)) throw new TypeError(`argument --${name}: invalid int value: '${v}'`);
    return n;
  };
  const float = (v: string, name: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new TypeError(`argument --${name}: invalid float value: '${v}'`);
    return n;
  };
  const arch = values.arch;
  if (!modelNames.includes(arch)) {
    throw new TypeError(`argument -a/--arch: invalid choice: '${arch}' (choose from ${modelNames.join(', ')})`);
  }
  return {
    data: positionals[0] ?? 'imagenet',
    arch,
    workers: int(values.workers, 'workers'),
    epochs: int(values.epochs, 'epochs'),
    startEpoch: int(values['start-epoch'], 'start-epoch'),
    batchSize: int(values['batch-size'], 'batch-size'),
    lr: float(values.lr ?? values['learning-rate'] ?? '0.1', 'lr'),
    momentum: float(values.momentum, 'momentum'),
    weightDecay: float(values.wd ?? values['weight-decay'] ?? '1e-4', 'wd'),
    printFreq: int(values['print-freq'], 'print-freq'),
    resume: values.resume,
    evaluate: values.evaluate,
    pretrained: values.pretrained,
    worldSize: int(values['world-size'], 'world-size'),
    rank: int(values.rank, 'rank'),
    distUrl: values['dist-url'],
    distBackend: values['dist-backend'],
    seed: values.seed === undefined ? null : int(values.seed, 'seed'),
    gpu: values.gpu === undefined ? null : int(values.gpu, 'gpu'),
    noAccel: values['no-accel'],
    multiprocessingDistributed: values['multiprocessing-distributed'],
    dummy: values.dummy,
    maxBatches: int(values['max-batches'], 'max-batches'),
    distributed: false,
  };
}

let bestAcc1 = 0;

async function main(): Promise<void> {
  const args = parse();

  if (args.seed !== null) {
    torch.manualSeed(args.seed);
    console.warn('You have chosen to seed training. You may see unexpected behavior when restarting from checkpoints.');
  }

  if (args.gpu !== null) {
    console.warn('You have chosen a specific GPU. This will completely disable data parallelism.');
  }

  if (args.distUrl === 'env://' && args.worldSize === -1) {
    args.worldSize = Number(process.env.WORLD_SIZE);
  }

  args.distributed = args.worldSize > 1 || args.multiprocessingDistributed;

  const useAccel = !args.noAccel && torch.cuda.isAvailable();

  const device: torch.Device = useAccel ? 'cuda' : 'cpu';

  console.log(`Using device: ${device}`);

  const ngpusPerNode = 1;

  if (args.multiprocessingDistributed) {
    // torch.multiprocessing.spawn has no counterpart: start one process per node instead.
    throw new TypeError('--multiprocessing-distributed is not ported; run one process per node with --rank');
  }
  // Simply call main_worker function
  await mainWorker(args.gpu, ngpusPerNode, args);
}

async function mainWorker(gpu: number | null, ngpusPerNode: number, args: Args): Promise<void> {
  args.gpu = gpu;

  const useAccel = !args.noAccel && torch.cuda.isAvailable();

  const device: torch.Device = useAccel ? (args.gpu !== null ? `cuda:${args.gpu}` : 'cuda') : 'cpu';

  if (args.distributed) {
    if (args.distUrl === 'env://' && args.rank === -1) {
      args.rank = Number(process.env.RANK);
    }
    dist.initProcessGroup({
      backend: args.distBackend as 'gloo',
      initMethod: args.distUrl,
      worldSize: args.worldSize,
      rank: args.rank,
    });
  }
  // create model
  if (args.pretrained) {
    throw new TypeError(`=> pre-trained '${args.arch}': torchts downloads no weights (load a state dict instead)`);
  }
  console.log(`=> creating model '${args.arch}'`);
  let model = ((models as Record<string, unknown>)[args.arch] as Builder)();

  if (!useAccel) {
    console.log('using CPU, this will be slow');
  }
  model.to(device);
  if (args.distributed) {
    model = new nn.parallel.DistributedDataParallel(model);
  }

  // define loss function (criterion), optimizer, and learning rate scheduler
  const criterion = new nn.CrossEntropyLoss().to(device);

  const optimizer = new optim.SGD(model.parameters(), args.lr, {
    momentum: args.momentum,
    weightDecay: args.weightDecay,
  });

  /** Sets the learning rate to the initial LR decayed by 10 every 30 epochs */
  const scheduler = new StepLR(optimizer, 30, { gamma: 0.1 });

  // optionally resume from a checkpoint
  if (args.resume) {
    if (fs.existsSync(args.resume) && fs.statSync(args.resume).isFile()) {
      console.log(`=> loading checkpoint '${args.resume}'`);
      // Map model to be loaded to the device in use.
      const checkpoint = torch.load(args.resume, { device });
      args.startEpoch = checkpoint.epoch;
      // A 0-dim tensor in a checkpoint PyTorch's main.py saved, a number in torchts's.
      bestAcc1 = Number(
        checkpoint.best_acc1 instanceof torch.Tensor ? checkpoint.best_acc1.item() : checkpoint.best_acc1,
      );
      model.loadStateDict(checkpoint.state_dict);
      optimizer.loadStateDict(checkpoint.optimizer);
      scheduler.loadStateDict(checkpoint.scheduler);
      console.log(`=> loaded checkpoint '${args.resume}' (epoch ${checkpoint.epoch})`);
    } else {
      console.log(`=> no checkpoint found at '${args.resume}'`);
    }
  }

  // Data loading code
  let trainDataset: torchData.Dataset<[Tensor, number], [Tensor, Tensor]>;
  let valDataset: torchData.Dataset<[Tensor, number], [Tensor, Tensor]>;
  if (args.dummy) {
    console.log('=> Dummy data is used!');
    trainDataset = new datasets.FakeData(1281167, [3, 224, 224], 1000, new transforms.ToTensor());
    valDataset = new datasets.FakeData(50000, [3, 224, 224], 1000, new transforms.ToTensor());
  } else {
    const traindir = path.join(args.data, 'train');
    const valdir = path.join(args.data, 'val');
    const normalize = new transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);

    trainDataset = new datasets.ImageFolder(
      traindir,
      new transforms.Compose([
        new transforms.RandomResizedCrop(224),
        new transforms.RandomHorizontalFlip(),
        new transforms.ToTensor(),
        normalize,
      ]),
    );

    valDataset = new datasets.ImageFolder(
      valdir,
      new transforms.Compose([
        new transforms.Resize(256),
        new transforms.CenterCrop(224),
        new transforms.ToTensor(),
        normalize,
      ]),
    );
  }

  let trainSampler: torchData.DistributedSampler | undefined;
  let valSampler: torchData.DistributedSampler | undefined;
  if (args.distributed) {
    trainSampler = new torchData.DistributedSampler(trainDataset);
    valSampler = new torchData.DistributedSampler(valDataset, { shuffle: false, dropLast: true });
  }

  // num_workers has no counterpart: batches are prepared ahead in-process.
  const trainLoader = new torchData.DataLoader(trainDataset, {
    batchSize: args.batchSize,
    shuffle: trainSampler === undefined,
    pinMemory: useAccel,
    sampler: trainSampler,
  });

  const valLoader = new torchData.DataLoader(valDataset, {
    batchSize: args.batchSize,
    shuffle: false,
    pinMemory: useAccel,
    sampler: valSampler,
  });

  if (args.evaluate) {
    await validate(valLoader, model, criterion, args);
    return;
  }

  for (let epoch = args.startEpoch; epoch < args.epochs; epoch++) {
    if (args.distributed) {
      trainSampler?.setEpoch(epoch);
    }

    // train for one epoch
    await train(trainLoader, model, criterion, optimizer, epoch, device, args);

    // evaluate on validation set
    const acc1 = await validate(valLoader, model, criterion, args);

    scheduler.step();

    // remember best acc@1 and save checkpoint
    const isBest = acc1 > bestAcc1;
    bestAcc1 = Math.max(acc1, bestAcc1);

    if (!args.distributed || args.rank % ngpusPerNode === 0) {
      saveCheckpoint(
        {
          epoch: epoch + 1,
          arch: args.arch,
          state_dict: model.stateDict(),
          best_acc1: bestAcc1,
          optimizer: optimizer.stateDict(),
          scheduler: scheduler.stateDict(),
        },
        isBest,
      );
    }
  }
}

type Model = nn.Module & { forward(x: Tensor): Tensor };
type Loader = torchData.DataLoader<[Tensor, number], [Tensor, Tensor]>;

async function train(
  trainLoader: Loader,
  model: Model,
  criterion: nn.CrossEntropyLoss,
  optimizer: optim.Optimizer,
  epoch: number,
  device: torch.Device,
  args: Args,
): Promise<void> {
  const useAccel = !args.noAccel && torch.cuda.isAvailable();

  const batchTime = new AverageMeter('Time', useAccel, ':6.3f', Summary.NONE);
  const dataTime = new AverageMeter('Data', useAccel, ':6.3f', Summary.NONE);
  const losses = new AverageMeter('Loss', useAccel, ':.4e', Summary.NONE);
  const top1 = new AverageMeter('Acc@1', useAccel, ':6.2f', Summary.NONE);
  const top5 = new AverageMeter('Acc@5', useAccel, ':6.2f', Summary.NONE);
  const progress = new ProgressMeter(
    trainLoader.length,
    [batchTime, dataTime, losses, top1, top5],
    `Epoch: [${epoch}]`,
  );

  // switch to train mode
  model.train();

  let end = performance.now() / 1000;
  let i = -1;
  for await (let [images, target] of trainLoader) {
    i++;
    // measure data loading time
    dataTime.update(performance.now() / 1000 - end);

    // move data to the same device as model
    images = images.to(device, { nonBlocking: true });
    target = target.to(device, { nonBlocking: true });

    // compute output
    const output = model.forward(images);
    const loss = criterion.forward(output, target);

    // measure accuracy and record loss
    const [acc1, acc5] = accuracy(output, target, [1, 5]);
    losses.update(loss.item() as number, images.shape[0]);
    top1.update(acc1.item() as number, images.shape[0]);
    top5.update(acc5.item() as number, images.shape[0]);

    // compute gradient and do SGD step
    optimizer.zeroGrad();
    loss.backward();
    optimizer.step();

    // measure elapsed time
    batchTime.update(performance.now() / 1000 - end);
    end = performance.now() / 1000;

    if (i % args.printFreq === 0) {
      progress.display(i + 1);
    }
    if (args.maxBatches > 0 && i + 1 >= args.maxBatches) break;
  }
}

async function validate(valLoader: Loader, model: Model, criterion: nn.CrossEntropyLoss, args: Args): Promise<number> {
  const useAccel = !args.noAccel && torch.cuda.isAvailable();

  const runValidate = async (loader: Loader, baseProgress = 0): Promise<void> => {
    const device: torch.Device = useAccel ? 'cuda' : 'cpu';

    await torch.noGrad(async () => {
      let end = performance.now() / 1000;
      let i = baseProgress - 1;
      for await (let [images, target] of loader) {
        i++;
        if (useAccel) {
          images = images.to(device);
          target = target.to(device);
        }

        // compute output
        const output = model.forward(images);
        const loss = criterion.forward(output, target);

        // measure accuracy and record loss
        const [acc1, acc5] = accuracy(output, target, [1, 5]);
        losses.update(loss.item() as number, images.shape[0]);
        top1.update(acc1.item() as number, images.shape[0]);
        top5.update(acc5.item() as number, images.shape[0]);

        // measure elapsed time
        batchTime.update(performance.now() / 1000 - end);
        end = performance.now() / 1000;

        if (i % args.printFreq === 0) {
          progress.display(i + 1);
        }
        if (args.maxBatches > 0 && i + 1 - baseProgress >= args.maxBatches) break;
      }
    });
  };

  const batchTime = new AverageMeter('Time', useAccel, ':6.3f', Summary.NONE);
  const losses = new AverageMeter('Loss', useAccel, ':.4e', Summary.NONE);
  const top1 = new AverageMeter('Acc@1', useAccel, ':6.2f', Summary.AVERAGE);
  const top5 = new AverageMeter('Acc@5', useAccel, ':6.2f', Summary.AVERAGE);
  const progress = new ProgressMeter(valLoader.length, [batchTime, losses, top1, top5], 'Test: ');

  // switch to evaluate mode
  model.eval();

  await runValidate(valLoader);
  if (args.distributed) {
    top1.allReduce();
    top5.allReduce();
  }

  progress.displaySummary();

  return top1.avg;
}

function saveCheckpoint(state: object, isBest: boolean, filename = 'checkpoint.pth.tar'): void {
  torch.save(state, filename);
  if (isBest) {
    fs.copyFileSync(filename, 'model_best.pth.tar');
  }
}

enum Summary {
  NONE = 0,
  AVERAGE = 1,
  SUM = 2,
  COUNT = 3,
}

/** Python's `'{:6.3f}'`, `'{:.4e}'`, `'{:f}'` for the meters' formats. */
function format(value: number, fmt: string): string {
  const m = /^:(\d*)(?:\.(\d+))?([fe])$/.exec(fmt);
  if (!m) throw new TypeError(`unsupported format ${fmt}`);
  const digits = m[2] === undefined ? 6 : Number(m[2]);
  let s = m[3] === 'f' ? value.toFixed(digits) : value.toExponential(digits);
  if (m[3] === 'e') s = s.replace(/e([+-])(\d)$/, 'e$10$2'); // Python writes two exponent digits
  return s.padStart(Number(m[1] || 0));
}

/** Computes and stores the average and current value */
class AverageMeter {
  val = 0;
  avg = 0;
  sum = 0;
  count = 0;

  constructor(
    readonly name: string,
    readonly useAccel: boolean,
    readonly fmt = ':f',
    readonly summaryType = Summary.AVERAGE,
  ) {
    this.reset();
  }

  reset(): void {
    this.val = 0;
    this.avg = 0;
    this.sum = 0;
    this.count = 0;
  }

  update(val: number, n = 1): void {
    this.val = val;
    this.sum += val * n;
    this.count += n;
    this.avg = this.sum / this.count;
  }

  allReduce(): void {
    const device: torch.Device = this.useAccel ? 'cuda' : 'cpu';
    const total = torch.tensor([this.sum, this.count], { dtype: 'float32', device });
    dist.allReduce(total, 'sum');
    [this.sum, this.count] = total.toArray() as number[];
    this.avg = this.sum / this.count;
  }

  toString(): string {
    return `${this.name} ${format(this.val, this.fmt)} (${format(this.avg, this.fmt)})`;
  }

  summary(): string {
    let fmtstr = '';
    if (this.summaryType === Summary.NONE) {
      fmtstr = '';
    } else if (this.summaryType === Summary.AVERAGE) {
      fmtstr = `${this.name} ${this.avg.toFixed(3)}`;
    } else if (this.summaryType === Summary.SUM) {
      fmtstr = `${this.name} ${this.sum.toFixed(3)}`;
    } else if (this.summaryType === Summary.COUNT) {
      fmtstr = `${this.name} ${this.count.toFixed(3)}`;
    } else {
      throw new RangeError(`invalid summary type ${this.summaryType}`);
    }

    return fmtstr;
  }
}

class ProgressMeter {
  readonly batchFmtstr: (batch: number) => string;

  constructor(
    numBatches: number,
    readonly meters: AverageMeter[],
    readonly prefix = '',
  ) {
    this.batchFmtstr = this.getBatchFmtstr(numBatches);
  }

  display(batch: number): void {
    let entries = [this.prefix + this.batchFmtstr(batch)];
    entries = entries.concat(this.meters.map((meter) => String(meter)));
    console.log(entries.join('\t'));
  }

  displaySummary(): void {
    let entries = [' *'];
    entries = entries.concat(this.meters.map((meter) => meter.summary()));
    console.log(entries.join(' '));
  }

  private getBatchFmtstr(numBatches: number): (batch: number) => string {
    const numDigits = String(Math.floor(numBatches / 1)).length;
    return (batch) => `[${String(batch).padStart(numDigits)}/${numBatches}]`;
  }
}

/** Computes the accuracy over the k top predictions for the specified values of k */
function accuracy(output: Tensor, target: Tensor, topk: number[] = [1]): Tensor[] {
  return torch.noGrad(() => {
    const maxk = Math.max(...topk);
    const batchSize = target.shape[0];

    let { indices: pred } = output.topk(maxk, 1, true, true);
    pred = pred.t();
    const correct = pred.eq(target.view(1, -1).expandAs(pred));

    const res: Tensor[] = [];
    for (const k of topk) {
      const correctK = correct.index(`:${k}`).reshape(-1).float().sum(0, true);
      res.push(correctK.mul_(100.0 / batchSize));
    }
    return res;
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
