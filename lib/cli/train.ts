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
import { SyncBatchNorm } from '../nn/modules/sync_batchnorm';
import { DistributedDataParallel } from '../nn/parallel/distributed';
import type { Module } from '../nn/module';
import type { OptimizerStateDict } from '../optim/optimizer';
import { cudnn } from '../torch/backends';
import { cuda, getRngState, setRngState, Generator, load, manualSeed, save, tensor, type Tensor } from '../torch/index';
import { noGrad } from '../torch/autograd';
import { TorchError } from '../torch/errors';
import { tidy } from '../torch/memory';
import { autocast } from '../torch/amp/autocast';
import { GradScaler, type GradScalerState } from '../torch/amp/grad_scaler';
import { SummaryWriter } from '../utils/tensorboard/writer';
import { openData, type DataSpec } from './data';
import { adaptInput, buildModel, inferenceForward } from './models';
import { Progress } from './progress';
import {
  augmentations,
  buildCriterion,
  buildEma,
  buildMixup,
  buildOptimizer,
  buildScheduler,
  parseRecipe,
  RECIPE_OPTIONS,
  RECIPE_USAGE,
  strictParseArgs,
  topkCorrect,
  trainStep,
} from './train_recipe';

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
  ...RECIPE_OPTIONS,
} as const;

export const TRAIN_USAGE = `usage: torchts train [--model resnet20] [--data mnist | fashion-mnist:<dir> | cifar10:<dir> | cifar100:<dir> | imagefolder:<dir> | fake[:<images>]]
                     [--epochs 2] [--batch-size 128] [--lr 0.4] [--device cpu|cuda] [--amp]
                     [--image-size <pixels>] [--out runs/torchts] [--resume] [--seed 0] [--nproc 1]
Trains with SGD (Nesterov momentum 0.9, weight decay 5e-4) and a OneCycle schedule up to --lr
unless the recipe flags below say otherwise, evaluates on the test split after every epoch
(top-1 and top-5; the EMA model's too with --model-ema), and writes <out>/checkpoint.safetensors
(everything needed by --resume), <out>/model.safetensors (the weights) and TensorBoard logs
in <out>/tensorboard (loss and learning rate per step, accuracies per epoch).
imagefolder:<dir> reads <dir>/train and <dir>/val (one folder per class) at 224 pixels unless
--image-size says otherwise; fake[:<images>] is torchvision's FakeData (random 32-pixel images,
1000 unless given, for smoke tests). --amp trains in mixed precision: bfloat16 autocast on the CPU,
float16 autocast with a GradScaler on CUDA.
--nproc N trains data-parallel in N local processes (DistributedDataParallel over Gloo;
--batch-size is per process). Under torchrun (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT
set) each process joins the job instead.
${RECIPE_USAGE}`;

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

/**
 * Top-1 and top-5 accuracy (%) of `model` on a data set. `optimize`: through the model's
 * optimised graph (`inferenceForward`); training's evaluations after each epoch stay eager,
 * since their weights change every epoch and a graph would be traced and frozen each time.
 */
async function evaluate(
  model: Module & { forward(x: Tensor): Tensor },
  modelName: string,
  spec: DataSpec,
  device: string,
  batchSize: number,
  optimize = false,
): Promise<[number, number]> {
  const forward = inferenceForward(model, modelName, optimize);
  let top1 = 0;
  let top5 = 0;
  const loader = new DataLoader(spec.test, { batchSize });
  await noGrad(async () => {
    for await (const [images, labels] of loader) {
      const [c1, c5] = tidy(() =>
        topkCorrect(forward(adaptInput(modelName, images.to(device as 'cpu'))), labels.to(device as 'cpu')),
      );
      top1 += c1;
      top5 += c5;
      images.dispose();
      labels.dispose();
    }
  });
  return [(100 * top1) / spec.test.length, (100 * top5) / spec.test.length];
}

/** This process's place in a data-parallel job: from the launcher's (or torchrun's) environment. */
function joinJob(device: string): { rank: number; worldSize: number } {
  const worldSize = Number(process.env.WORLD_SIZE ?? 1);
  if (!(worldSize > 1)) return { rank: 0, worldSize: 1 };
  distributed.initProcessGroup({ backend: device.startsWith('cuda') ? 'nccl' : 'gloo' });
  return { rank: distributed.getRank(), worldSize };
}

export async function train(argv: string[]): Promise<number> {
  const v = strictParseArgs(argv, TRAIN_OPTIONS, 'train');
  const recipe = parseRecipe(v);
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
  if (recipe.deterministic) {
    cudnn.benchmark = false;
    cudnn.deterministic = true;
  }
  const aug = augmentations(recipe);
  const spec = openData(v.data, imageSizeOption(v['image-size']), {
    uint8: aug.uint8,
    float: aug.float,
    trainCropSize: recipe.trainCropSize,
    valResizeSize: recipe.valResizeSize,
    valCropSize: recipe.valCropSize,
    cacheDataset: recipe.cacheDataset,
  });
  const { rank, worldSize } = joinJob(device);
  // Only rank 0 reports and writes files.
  const log = rank === 0 ? console.log : (): void => {};
  manualSeed(seed);
  const model = buildModel(v.model, spec.classes.length, spec.inChannels).to(device as 'cpu');
  // As the reference: SyncBatchNorm only in a distributed run, before DDP wraps the model.
  if (recipe.syncBn && worldSize > 1) SyncBatchNorm.convertSyncBatchnorm(model);
  const syncLayers = model.modules().filter((m) => m instanceof SyncBatchNorm).length;
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
  const criterion = buildCriterion(recipe);
  const optimizer = buildOptimizer(model, recipe, lr);
  const { scheduler, perStep } = buildScheduler(optimizer, recipe, lr, epochs, loader.length);
  const mixup = buildMixup(recipe, spec.classes.length);
  const ema = buildEma(model, recipe, worldSize, batchSize, epochs, device);
  const evalBoth = async (): Promise<string> => {
    const [t1, t5] = await evaluate(model, v.model, spec, device, 1000);
    let line = `test top-1 ${t1.toFixed(2)}%, top-5 ${t5.toFixed(2)}%`;
    if (ema) {
      const [e1, e5] = await evaluate(ema as typeof model, v.model, spec, device, 1000);
      line += `, EMA top-1 ${e1.toFixed(2)}%, top-5 ${e5.toFixed(2)}%`;
    }
    return line;
  };
  fs.mkdirSync(v.out, { recursive: true });
  const checkpointFile = path.join(v.out, 'checkpoint.safetensors');

  let firstEpoch = 1;
  if (v.resume) {
    if (!fs.existsSync(checkpointFile)) throw new TorchError(`--resume: no checkpoint at ${checkpointFile}`);
    const ck = load(checkpointFile) as {
      model: Record<string, Tensor>;
      optimizer: OptimizerStateDict;
      scheduler: Record<string, unknown>;
      epoch: number;
      rng: Tensor;
      generator: Tensor;
      modelName: string;
      data: string;
      scaler?: GradScalerState;
      modelEma?: Record<string, Tensor>;
    };
    if (ck.modelName !== v.model || ck.data !== v.data) {
      throw new TorchError(`--resume: ${checkpointFile} was written for --model ${ck.modelName} --data ${ck.data}`);
    }
    model.loadStateDict(ck.model);
    if (ema && ck.modelEma) ema.loadStateDict(ck.modelEma);
    if (recipe.testOnly) {
      log(`${v.model} after epoch ${ck.epoch}: ${await evalBoth()}`);
      return 0;
    }
    optimizer.loadStateDict(ck.optimizer);
    scheduler.loadStateDict(ck.scheduler);
    setRngState(ck.rng);
    generator.setState(ck.generator);
    if (scaler.isEnabled() && ck.scaler && Object.keys(ck.scaler).length > 0) scaler.loadStateDict(ck.scaler);
    firstEpoch = ck.epoch + 1;
    log(`resuming from ${checkpointFile} after epoch ${ck.epoch}`);
  }
  if (recipe.testOnly) {
    if (recipe.weights === null) throw new TorchError('--test-only needs --weights <file> or --resume');
    model.loadStateDict(load(recipe.weights) as Record<string, Tensor>);
    if (ema) ema.module.loadStateDict(load(recipe.weights) as Record<string, Tensor>);
    log(`${v.model} (${recipe.weights}): ${await evalBoth()}`);
    return 0;
  }
  const sync = syncLayers > 0 ? ` (${syncLayers} SyncBatchNorm layers)` : '';
  const where = worldSize > 1 ? `${worldSize} processes on ${v.device}${sync}` : device;
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
    let correct5 = 0;
    let seen = 0;
    const state = {
      model,
      forward: (x: Tensor) => (ddp ? ddp.forward(x) : model.forward(x)) as Tensor,
      criterion,
      optimizer,
      scaler,
      recipe,
      ema,
      autocast: <T>(fn: () => T): T => autocast(ampDevice, amp, fn),
    };
    for await (const [images, labels] of loader) {
      tidy(() => {
        let x = adaptInput(v.model, images.to({ device: device as 'cpu', nonBlocking: onCuda }));
        let y = labels.to({ device: device as 'cpu', nonBlocking: onCuda });
        if (mixup) [x, y] = mixup(x, y);
        writer?.addScalar('lr', optimizer.paramGroups[0].lr, globalStep);
        const [out, loss] = trainStep(state, x, y, epoch - 1, step);
        if (perStep) scheduler.step();
        const l = loss.item() as number;
        writer?.addScalar('train/loss', l, globalStep++);
        lossSum += l * y.shape[0];
        const [c1, c5] = topkCorrect(out, y);
        correct += c1;
        correct5 += c5;
        seen += y.shape[0];
      });
      images.dispose();
      labels.dispose();
      step++;
      const acc = `${((100 * correct) / seen).toFixed(2)}%`;
      bar?.update(step, { loss: (lossSum / seen).toFixed(4), acc });
      if (rank === 0 && recipe.printFreq > 0 && (step % recipe.printFreq === 0 || step === loader.length))
        console.log(
          `Epoch: [${epoch}] [${step}/${loader.length}] lr ${optimizer.paramGroups[0].lr.toPrecision(6)} loss ${(lossSum / seen).toFixed(4)} acc1 ${acc} acc5 ${((100 * correct5) / seen).toFixed(2)}%`,
        );
    }
    if (!perStep) scheduler.step();
    bar?.done();
    if (worldSize > 1) {
      // Loss and accuracy over every rank's share of the epoch.
      const totals = distributed.allReduce(tensor([lossSum, correct, correct5, seen], { dtype: 'float64' }));
      [lossSum, correct, correct5, seen] = Array.from(totals.toTypedArray() as Float64Array);
      totals.dispose();
    }
    if (rank !== 0) continue;
    const [testAcc, testAcc5] = await evaluate(model, v.model, spec, device, 1000);
    let emaLine = '';
    if (ema) {
      const [e1, e5] = await evaluate(ema as typeof model, v.model, spec, device, 1000);
      writer?.addScalar('test/ema_accuracy', e1, epoch);
      emaLine = `, EMA test accuracy ${e1.toFixed(2)}% (top-5 ${e5.toFixed(2)}%)`;
    }
    const secs = (Date.now() - started) / 1000;
    writer?.addScalar('train/accuracy', (100 * correct) / seen, epoch);
    writer?.addScalar('test/accuracy', testAcc, epoch);
    writer?.addScalar('test/accuracy_top5', testAcc5, epoch);
    writer?.addScalar('epoch/seconds', secs, epoch);
    writer?.flush();
    console.log(
      `epoch ${epoch}/${epochs}: loss ${(lossSum / seen).toFixed(4)}, train accuracy ${((100 * correct) / seen).toFixed(2)}% (top-5 ${((100 * correct5) / seen).toFixed(2)}%), test accuracy ${testAcc.toFixed(2)}% (top-5 ${testAcc5.toFixed(2)}%)${emaLine}, ${secs.toFixed(1)} s`,
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
          ...(ema ? { modelEma: ema.stateDict() } : {}),
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

export const EVAL_USAGE = `usage: torchts eval --weights <model.safetensors | model.pth> [--model resnet20] [--data mnist | ...] [--device cpu] [--image-size <pixels>] [--no-optimize]`;

export async function evalCommand(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      weights: { type: 'string' },
      model: { type: 'string', default: 'resnet20' },
      data: { type: 'string', default: 'mnist' },
      device: { type: 'string', default: 'cpu' },
      'image-size': { type: 'string' },
      'no-optimize': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!v.weights) throw new TorchError(`--weights is required\n${EVAL_USAGE}`);
  checkDevice(v.device);
  const spec = openData(v.data, imageSizeOption(v['image-size']));
  const model = buildModel(v.model, spec.classes.length, spec.inChannels);
  model.loadStateDict(load(v.weights) as Record<string, Tensor>);
  model.to(v.device as 'cpu');
  const [acc, acc5] = await evaluate(model, v.model, spec, v.device, 1000, !v['no-optimize']);
  console.log(
    `${v.model} on ${spec.name} test split (${spec.test.length} images): accuracy ${acc.toFixed(2)}% (top-5 ${acc5.toFixed(2)}%)`,
  );
  return 0;
}
