/**
 * `torchts train` and `torchts eval`: the classic training loop on a data set named on the
 * command line, with a progress bar, a summary per epoch, checkpoints every epoch and
 * `--resume` from the last one (model, optimizer, scheduler, RNG and loader state, epoch).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import { DataLoader } from '../data/dataloader';
import { DistributedSampler } from '../data/distributed_sampler';
import * as distributed from '../distributed/index';
import { DistributedDataParallel } from '../nn/parallel/distributed';
import { CrossEntropyLoss } from '../nn/modules/loss';
import { SGD } from '../optim/sgd';
import { OneCycleLR } from '../optim/lr_scheduler';
import { cuda, getRngState, setRngState, Generator, load, manualSeed, save, tensor, type Tensor } from '../torch/index';
import { noGrad } from '../torch/autograd';
import { TorchError } from '../torch/errors';
import { tidy } from '../torch/memory';
import { autocast } from '../torch/amp/autocast';
import { GradScaler, type GradScalerState } from '../torch/amp/grad_scaler';
import { SummaryWriter } from '../utils/tensorboard/writer';
import { openData, type DataSpec } from './data';
import { adaptInput, buildModel } from './models';
import { Progress } from './progress';

const TRAIN_OPTIONS = {
  model: { type: 'string', default: 'resnet20' },
  data: { type: 'string', default: 'mnist' },
  epochs: { type: 'string', default: '2' },
  'batch-size': { type: 'string', default: '128' },
  lr: { type: 'string', default: '0.4' },
  device: { type: 'string', default: 'cpu' },
  amp: { type: 'boolean', default: false },
  out: { type: 'string', default: 'runs/torchts' },
  resume: { type: 'boolean', default: false },
  seed: { type: 'string', default: '0' },
  'image-size': { type: 'string' },
  nproc: { type: 'string', default: '1' },
} as const;

export const TRAIN_USAGE = `usage: torchts train [--model resnet20] [--data mnist | fashion-mnist:<dir> | cifar10:<dir> | cifar100:<dir> | imagefolder:<dir> | fake[:<images>]]
                     [--epochs 2] [--batch-size 128] [--lr 0.4] [--device cpu|cuda] [--amp]
                     [--image-size <pixels>] [--out runs/torchts] [--resume] [--seed 0] [--nproc 1]
Trains with SGD (Nesterov momentum 0.9, weight decay 5e-4) and a OneCycle schedule up to --lr,
evaluates on the test split after every epoch, and writes <out>/checkpoint.safetensors
(everything needed by --resume), <out>/model.safetensors (the weights) and TensorBoard logs
in <out>/tensorboard (loss and learning rate per step, accuracies per epoch).
imagefolder:<dir> reads <dir>/train and <dir>/val (one folder per class) at 224 pixels unless
--image-size says otherwise; fake[:<images>] is torchvision's FakeData (random 32-pixel images,
1000 unless given, for smoke tests). --amp trains in mixed precision: bfloat16 autocast on the CPU,
float16 autocast with a GradScaler on CUDA.
--nproc N trains data-parallel in N local processes (DistributedDataParallel over Gloo;
--batch-size is per process). Under torchrun (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT
set) each process joins the job instead.`;

/** `--image-size`, when given. */
export function imageSizeOption(value: string | undefined): number | undefined {
  return value === undefined ? undefined : positive('image-size', value, true);
}

function positive(name: string, value: string, integer: boolean): number {
  const v = Number(value);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new TorchError(`--${name} expects a positive ${integer ? 'integer' : 'number'} but received '${value}'`);
  }
  return v;
}

function checkDevice(device: string): void {
  if (!/^(cpu|cuda(:\d+)?)$/.test(device))
    throw new TorchError(`--device expects cpu or cuda[:n] but received '${device}'`);
  if (device.startsWith('cuda') && !cuda.isAvailable()) {
    throw new TorchError(
      '--device cuda: CUDA is not available (this torchts is built against a CPU libtorch, or no GPU is visible)',
    );
  }
}

/** Top-1 accuracy (%) of `model` on a data set. */
async function evaluate(
  model: ReturnType<typeof buildModel>,
  modelName: string,
  spec: DataSpec,
  device: string,
  batchSize: number,
): Promise<number> {
  model.eval();
  let correct = 0;
  const loader = new DataLoader(spec.test, { batchSize });
  await noGrad(async () => {
    for await (const [images, labels] of loader) {
      correct += tidy(
        () =>
          model
            .forward(adaptInput(modelName, images.to(device as 'cpu')))
            .argmax(1)
            .eq(labels.to(device as 'cpu'))
            .sum()
            .item() as number,
      );
      images.dispose();
      labels.dispose();
    }
  });
  return (100 * correct) / spec.test.length;
}

/** This process's place in a data-parallel job: from the launcher's (or torchrun's) environment. */
function joinJob(device: string): { rank: number; worldSize: number } {
  const worldSize = Number(process.env.WORLD_SIZE ?? 1);
  if (!(worldSize > 1)) return { rank: 0, worldSize: 1 };
  distributed.initProcessGroup({ backend: device.startsWith('cuda') ? 'nccl' : 'gloo' });
  return { rank: distributed.getRank(), worldSize };
}

export async function train(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({ args: argv, options: TRAIN_OPTIONS, strict: true, allowPositionals: false });
  const nproc = positive('nproc', v.nproc, true);
  if (nproc > 1) {
    if (process.env.WORLD_SIZE !== undefined)
      throw new TorchError('--nproc: this process is already a worker of a distributed job (WORLD_SIZE is set)');
    const rest = argv.filter((a, i) => a !== '--nproc' && argv[i - 1] !== '--nproc' && !a.startsWith('--nproc='));
    return (await import('./launch')).launch(process.argv[1], ['train', ...rest], nproc);
  }
  const epochs = positive('epochs', v.epochs, true);
  const batchSize = positive('batch-size', v['batch-size'], true);
  const lr = positive('lr', v.lr, false);
  const seed = Number(v.seed);
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new TorchError(`--seed expects an integer >= 0 but received '${v.seed}'`);
  checkDevice(v.device);
  const onCuda = v.device.startsWith('cuda');
  // Each worker of a job on 'cuda' takes the GPU of its local rank (set before NCCL starts).
  const device =
    v.device === 'cuda' && Number(process.env.WORLD_SIZE ?? 1) > 1
      ? `cuda:${Number(process.env.LOCAL_RANK ?? 0)}`
      : v.device;
  if (device !== v.device) cuda.setDevice(device);
  const spec = openData(v.data, imageSizeOption(v['image-size']));
  const { rank, worldSize } = joinJob(device);
  // Only rank 0 reports and writes files.
  const log = rank === 0 ? console.log : (): void => {};
  manualSeed(seed);
  const model = buildModel(v.model, spec.classes.length, spec.inChannels).to(device as 'cpu');
  const ddp = worldSize > 1 ? new DistributedDataParallel(model) : null;
  const generator = new Generator(seed);
  const sampler = worldSize > 1 ? new DistributedSampler(spec.train, { seed }) : undefined;
  const loader = new DataLoader(
    spec.train,
    sampler ? { batchSize, sampler, pinMemory: onCuda } : { batchSize, shuffle: true, generator, pinMemory: onCuda },
  );
  // Mixed precision: float16 needs loss scaling, bfloat16 (the CPU's choice) does not.
  const amp = { enabled: v.amp, dtype: onCuda ? ('float16' as const) : ('bfloat16' as const) };
  const ampDevice = onCuda ? ('cuda' as const) : ('cpu' as const);
  const scaler = new GradScaler(ampDevice, { enabled: v.amp && onCuda });
  const criterion = new CrossEntropyLoss();
  const optimizer = new SGD(model.parameters(), lr, { momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  const scheduler = new OneCycleLR(optimizer, { maxLr: lr, epochs, stepsPerEpoch: loader.length });
  fs.mkdirSync(v.out, { recursive: true });
  const checkpointFile = path.join(v.out, 'checkpoint.safetensors');

  let firstEpoch = 1;
  if (v.resume) {
    if (!fs.existsSync(checkpointFile)) throw new TorchError(`--resume: no checkpoint at ${checkpointFile}`);
    const ck = load(checkpointFile) as {
      model: Record<string, Tensor>;
      optimizer: Parameters<SGD['loadStateDict']>[0];
      scheduler: Record<string, unknown>;
      epoch: number;
      rng: Tensor;
      generator: Tensor;
      modelName: string;
      data: string;
      scaler?: GradScalerState;
    };
    if (ck.modelName !== v.model || ck.data !== v.data) {
      throw new TorchError(`--resume: ${checkpointFile} was written for --model ${ck.modelName} --data ${ck.data}`);
    }
    model.loadStateDict(ck.model);
    optimizer.loadStateDict(ck.optimizer);
    scheduler.loadStateDict(ck.scheduler);
    setRngState(ck.rng);
    generator.setState(ck.generator);
    if (scaler.isEnabled() && ck.scaler && Object.keys(ck.scaler).length > 0) scaler.loadStateDict(ck.scaler);
    firstEpoch = ck.epoch + 1;
    log(`resuming from ${checkpointFile} after epoch ${ck.epoch}`);
  }
  const where = worldSize > 1 ? `${worldSize} processes on ${v.device}` : device;
  log(
    `training ${v.model} on ${spec.name} (${spec.train.length} images, ${spec.classes.length} classes) for ${epochs} epochs on ${where}${v.amp ? ` with ${amp.dtype} autocast` : ''}`,
  );
  const writer = rank === 0 ? new SummaryWriter(path.join(v.out, 'tensorboard')) : null;
  let globalStep = (firstEpoch - 1) * loader.length;

  for (let epoch = firstEpoch; epoch <= epochs; epoch++) {
    model.train();
    sampler?.setEpoch(epoch);
    const started = Date.now();
    const bar = rank === 0 ? new Progress(`epoch ${epoch}/${epochs}`, loader.length) : null;
    let step = 0;
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for await (const [images, labels] of loader) {
      tidy(() => {
        const x = adaptInput(v.model, images.to({ device: device as 'cpu', nonBlocking: onCuda }));
        const y = labels.to({ device: device as 'cpu', nonBlocking: onCuda });
        optimizer.zeroGrad();
        const [out, loss] = autocast(ampDevice, amp, () => {
          const o = ddp ? ddp.forward(x) : model.forward(x);
          return [o, criterion.forward(o, y)];
        });
        scaler.scale(loss).backward();
        scaler.step(optimizer);
        scaler.update();
        writer?.addScalar('lr', optimizer.paramGroups[0].lr, globalStep);
        scheduler.step();
        const l = loss.item() as number;
        writer?.addScalar('train/loss', l, globalStep++);
        lossSum += l * y.shape[0];
        correct += out.argmax(1).eq(y).sum().item() as number;
        seen += y.shape[0];
      });
      images.dispose();
      labels.dispose();
      bar?.update(++step, { loss: (lossSum / seen).toFixed(4), acc: `${((100 * correct) / seen).toFixed(2)}%` });
    }
    bar?.done();
    if (worldSize > 1) {
      // Loss and accuracy over every rank's share of the epoch.
      const totals = distributed.allReduce(tensor([lossSum, correct, seen], { dtype: 'float64' }));
      [lossSum, correct, seen] = Array.from(totals.toTypedArray() as Float64Array);
      totals.dispose();
    }
    if (rank !== 0) continue;
    const testAcc = await evaluate(model, v.model, spec, device, 1000);
    const secs = (Date.now() - started) / 1000;
    writer?.addScalar('train/accuracy', (100 * correct) / seen, epoch);
    writer?.addScalar('test/accuracy', testAcc, epoch);
    writer?.addScalar('epoch/seconds', secs, epoch);
    writer?.flush();
    console.log(
      `epoch ${epoch}/${epochs}: loss ${(lossSum / seen).toFixed(4)}, train accuracy ${((100 * correct) / seen).toFixed(2)}%, test accuracy ${testAcc.toFixed(2)}%, ${secs.toFixed(1)} s`,
    );
    tidy(() => {
      save(
        {
          model: model.stateDict(),
          optimizer: optimizer.stateDict(),
          scheduler: scheduler.stateDict(),
          epoch,
          rng: getRngState(),
          generator: generator.getState(),
          modelName: v.model,
          data: v.data,
          scaler: scaler.stateDict(),
        },
        checkpointFile,
      );
      save(model.stateDict(), path.join(v.out, 'model.safetensors'));
    });
  }
  writer?.close();
  if (worldSize > 1) {
    // Rank 0 hosts the rendezvous: nobody leaves before it has written the last checkpoint.
    distributed.barrier();
    ddp?.release();
    distributed.destroyProcessGroup();
  }
  return 0;
}

export const EVAL_USAGE = `usage: torchts eval --weights <model.safetensors | model.pth> [--model resnet20] [--data mnist | ...] [--device cpu] [--image-size <pixels>]`;

export async function evalCommand(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      weights: { type: 'string' },
      model: { type: 'string', default: 'resnet20' },
      data: { type: 'string', default: 'mnist' },
      device: { type: 'string', default: 'cpu' },
      'image-size': { type: 'string' },
    },
    strict: true,
  });
  if (!v.weights) throw new TorchError(`--weights is required\n${EVAL_USAGE}`);
  checkDevice(v.device);
  const spec = openData(v.data, imageSizeOption(v['image-size']));
  const model = buildModel(v.model, spec.classes.length, spec.inChannels);
  model.loadStateDict(load(v.weights) as Record<string, Tensor>);
  model.to(v.device as 'cpu');
  const acc = await evaluate(model, v.model, spec, v.device, 1000);
  console.log(`${v.model} on ${spec.name} test split (${spec.test.length} images): accuracy ${acc.toFixed(2)}%`);
  return 0;
}
