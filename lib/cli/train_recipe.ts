/**
 * torchvision's classification training recipe (references/classification/train.py) for
 * `torchts train`: the flags, and the pieces the loop is built from (optimizer with
 * normalisation-layer weight decay groups, warm-up + main LR schedule, label smoothing,
 * gradient clipping, Mixup/CutMix, model EMA, top-k accuracy). Each piece follows the
 * reference's code so that a run equals the reference's on the same libtorch
 * (test/train_recipe.test.ts).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

import type { Module } from '../nn/module';
import { BatchNorm2d } from '../nn/modules/batchnorm';
import { CrossEntropyLoss } from '../nn/modules/loss';
import { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d } from '../nn/modules/instancenorm';
import { GroupNorm, LayerNorm, LocalResponseNorm } from '../nn/modules/normalization';
import type { Parameter } from '../nn/parameter';
import { clipGradNorm_ } from '../nn/utils';
import { AdamW } from '../optim/adam';
import {
  ConstantLR,
  CosineAnnealingLR,
  ExponentialLR,
  LinearLR,
  OneCycleLR,
  SequentialLR,
  StepLR,
} from '../optim/lr_scheduler';
import type { LRScheduler } from '../optim/lr_scheduler_base';
import type { Optimizer, Params } from '../optim/optimizer';
import { RMSprop } from '../optim/rmsprop';
import { SGD } from '../optim/sgd';
import { ExponentialMovingAverage } from '../optim/swa_utils';
import type { GradScaler } from '../torch/amp/grad_scaler';
import { nearestKey, TorchError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';
import { AugMix, AutoAugment, RandAugment, TrivialAugmentWide } from '../vision/transforms/autoaugment';
import type { Transform } from '../vision/transforms/core';
import { RandomErasing } from '../vision/transforms/erasing';
import { RandomCutmix, RandomMixup } from '../vision/transforms/mixup';
import { randint } from '../vision/transforms/random';

/** The recipe's flags (torchvision's names), added to `torchts train`'s own. */
export const RECIPE_OPTIONS = {
  opt: { type: 'string', default: 'sgd-nesterov' },
  momentum: { type: 'string', default: '0.9' },
  wd: { type: 'string', default: '5e-4' },
  'norm-weight-decay': { type: 'string' },
  'lr-scheduler': { type: 'string', default: 'onecycle' },
  'lr-step-size': { type: 'string', default: '30' },
  'lr-gamma': { type: 'string', default: '0.1' },
  'lr-warmup-epochs': { type: 'string', default: '0' },
  'lr-warmup-method': { type: 'string', default: 'constant' },
  'lr-warmup-decay': { type: 'string', default: '0.01' },
  'label-smoothing': { type: 'string', default: '0' },
  'clip-grad-norm': { type: 'string' },
  'auto-augment': { type: 'string' },
  'random-erase': { type: 'string', default: '0' },
  'mixup-alpha': { type: 'string', default: '0' },
  'cutmix-alpha': { type: 'string', default: '0' },
  interpolation: { type: 'string', default: 'bilinear' },
  'train-crop-size': { type: 'string' },
  'val-resize-size': { type: 'string' },
  'val-crop-size': { type: 'string' },
  'model-ema': { type: 'boolean', default: false },
  'model-ema-steps': { type: 'string', default: '32' },
  'model-ema-decay': { type: 'string', default: '0.99998' },
  'test-only': { type: 'boolean', default: false },
  weights: { type: 'string' },
  'use-deterministic-algorithms': { type: 'boolean', default: false },
  'print-freq': { type: 'string', default: '0' },
  'sync-bn': { type: 'boolean', default: false },
  'cache-dataset': { type: 'boolean', default: false },
} as const;

export const RECIPE_USAGE = `recipe (torchvision's references/classification/train.py flags):
  --opt sgd|sgd-nesterov|rmsprop|adamw (sgd-nesterov)  --momentum 0.9  --wd 5e-4
  --norm-weight-decay <wd for normalisation layers' parameters>
  --lr-scheduler onecycle|step|cosine|exponential (onecycle: per step; the others per epoch)
  --lr-step-size 30  --lr-gamma 0.1  --lr-warmup-epochs 0  --lr-warmup-method constant|linear
  --lr-warmup-decay 0.01  --label-smoothing 0  --clip-grad-norm <max norm>
  --auto-augment ra|ta_wide|augmix|imagenet|cifar10|svhn  --random-erase <p>
  --mixup-alpha 0  --cutmix-alpha 0  --interpolation bilinear
  --train-crop-size / --val-resize-size / --val-crop-size <pixels> (image folders)
  --model-ema  --model-ema-steps 32  --model-ema-decay 0.99998
  --test-only (evaluate --weights or the --resume checkpoint, and stop)
  --use-deterministic-algorithms  --print-freq <steps> (0: progress bar only)
  --sync-bn (with --nproc: BatchNorm statistics over all workers' batches, nn.SyncBatchNorm)
  --cache-dataset (image folders: keep the scanned file lists in ~/.torch/vision/datasets)`;

/**
 * node:util parseArgs, strict: an unknown flag is an error naming the nearest valid one,
 * a flag's value missing or given to a boolean flag too.
 */
export function strictParseArgs<O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
  command: string,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>>['values'] {
  for (const a of argv) {
    if (!a.startsWith('--')) continue;
    const name = a.slice(2).split('=')[0];
    if (!(name in options)) {
      const near = nearestKey(name, Object.keys(options));
      throw new TorchError(
        `unknown flag --${name}${near ? `: did you mean --${near}?` : ''} (torchts ${command} --help lists them)`,
      );
    }
  }
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new TorchError(`${(e as Error).message.split('\n')[0]} (torchts ${command} --help)`);
  }
}

function num(name: string, value: string, min = 0, integer = false): number {
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v)))
    throw new TorchError(`--${name} expects ${integer ? 'an integer' : 'a number'} >= ${min} but received '${value}'`);
  return v;
}

function choice<T extends string>(name: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value))
    throw new TorchError(`--${name} expects one of ${choices.join(', ')} but received '${value}'`);
  return value as T;
}

const OPTS = ['sgd', 'sgd-nesterov', 'rmsprop', 'adamw'] as const;
const SCHEDULERS = ['onecycle', 'step', 'cosine', 'exponential'] as const;
const AUTO_AUGMENT = ['ra', 'ta_wide', 'augmix', 'imagenet', 'cifar10', 'svhn'] as const;

/** The recipe, parsed and checked. */
export interface Recipe {
  opt: (typeof OPTS)[number];
  momentum: number;
  weightDecay: number;
  normWeightDecay: number | null;
  lrScheduler: (typeof SCHEDULERS)[number];
  lrStepSize: number;
  lrGamma: number;
  lrWarmupEpochs: number;
  lrWarmupMethod: 'constant' | 'linear';
  lrWarmupDecay: number;
  labelSmoothing: number;
  clipGradNorm: number | null;
  autoAugment: (typeof AUTO_AUGMENT)[number] | null;
  randomErase: number;
  mixupAlpha: number;
  cutmixAlpha: number;
  trainCropSize: number | null;
  valResizeSize: number | null;
  valCropSize: number | null;
  modelEma: boolean;
  modelEmaSteps: number;
  modelEmaDecay: number;
  testOnly: boolean;
  weights: string | null;
  deterministic: boolean;
  printFreq: number;
  syncBn: boolean;
  cacheDataset: boolean;
}

type RecipeValues = { [K in keyof typeof RECIPE_OPTIONS]?: string | boolean };

/** The recipe of parsed flags (defaults where not given). */
export function parseRecipe(values: RecipeValues): Recipe {
  const s = (k: keyof typeof RECIPE_OPTIONS): string => {
    const v = values[k] ?? (RECIPE_OPTIONS[k] as { default?: string | boolean }).default;
    return String(v);
  };
  const opt = (k: keyof typeof RECIPE_OPTIONS): string | undefined =>
    values[k] === undefined ? undefined : String(values[k]);
  const size = (k: 'train-crop-size' | 'val-resize-size' | 'val-crop-size'): number | null => {
    const v = opt(k);
    return v === undefined ? null : num(k, v, 1, true);
  };
  const labelSmoothing = num('label-smoothing', s('label-smoothing'));
  if (labelSmoothing > 1)
    throw new TorchError(`--label-smoothing expects a number in [0, 1] but received ${labelSmoothing}`);
  const randomErase = num('random-erase', s('random-erase'));
  if (randomErase > 1)
    throw new TorchError(`--random-erase expects a probability in [0, 1] but received ${randomErase}`);
  const emaDecay = num('model-ema-decay', s('model-ema-decay'));
  if (emaDecay > 1) throw new TorchError(`--model-ema-decay expects a number in [0, 1] but received ${emaDecay}`);
  choice('interpolation', s('interpolation'), ['bilinear'] as const);
  const aa = opt('auto-augment');
  const norm = opt('norm-weight-decay');
  const clip = opt('clip-grad-norm');
  return {
    opt: choice('opt', s('opt'), OPTS),
    momentum: num('momentum', s('momentum')),
    weightDecay: num('wd', s('wd')),
    normWeightDecay: norm === undefined ? null : num('norm-weight-decay', norm),
    lrScheduler: choice('lr-scheduler', s('lr-scheduler'), SCHEDULERS),
    lrStepSize: num('lr-step-size', s('lr-step-size'), 1, true),
    lrGamma: num('lr-gamma', s('lr-gamma')),
    lrWarmupEpochs: num('lr-warmup-epochs', s('lr-warmup-epochs'), 0, true),
    lrWarmupMethod: choice('lr-warmup-method', s('lr-warmup-method'), ['constant', 'linear'] as const),
    lrWarmupDecay: num('lr-warmup-decay', s('lr-warmup-decay')),
    labelSmoothing,
    clipGradNorm: clip === undefined ? null : num('clip-grad-norm', clip),
    autoAugment: aa === undefined ? null : choice('auto-augment', aa, AUTO_AUGMENT),
    randomErase,
    mixupAlpha: num('mixup-alpha', s('mixup-alpha')),
    cutmixAlpha: num('cutmix-alpha', s('cutmix-alpha')),
    trainCropSize: size('train-crop-size'),
    valResizeSize: size('val-resize-size'),
    valCropSize: size('val-crop-size'),
    modelEma: values['model-ema'] === true,
    modelEmaSteps: num('model-ema-steps', s('model-ema-steps'), 1, true),
    modelEmaDecay: emaDecay,
    testOnly: values['test-only'] === true,
    weights: opt('weights') ?? null,
    deterministic: values['use-deterministic-algorithms'] === true,
    printFreq: num('print-freq', s('print-freq'), 0, true),
    syncBn: values['sync-bn'] === true,
    cacheDataset: values['cache-dataset'] === true,
  };
}

/**
 * [normalisation-layer parameters, the rest], in module order (torchvision's
 * ops._utils.split_normalization_params): BatchNorm (SyncBatchNorm too), InstanceNorm, LayerNorm,
 * GroupNorm, LocalResponseNorm.
 */
export function splitNormalizationParams(model: Module): [Parameter[], Parameter[]] {
  const norm: Parameter[] = [];
  const other: Parameter[] = [];
  const isNorm = (m: Module) =>
    [BatchNorm2d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LayerNorm, GroupNorm, LocalResponseNorm].some(
      (c) => m instanceof c,
    );
  for (const m of model.modules()) {
    const own = m.parameters(false).filter((p) => p.requiresGrad);
    if (m.children().length > 0) other.push(...own);
    else if (isNorm(m)) norm.push(...m.parameters().filter((p) => p.requiresGrad));
    else other.push(...m.parameters().filter((p) => p.requiresGrad));
  }
  return [norm, other];
}

/** The reference's optimizer: SGD (Nesterov or not), RMSprop (eps 0.0316, alpha 0.9) or AdamW. */
export function buildOptimizer(model: Module, recipe: Recipe, lr: number): Optimizer {
  let params: Params = model.parameters();
  if (recipe.normWeightDecay !== null) {
    const groups = splitNormalizationParams(model);
    const wds = [recipe.normWeightDecay, recipe.weightDecay];
    params = groups.flatMap((p, i) => (p.length > 0 ? [{ params: p, weightDecay: wds[i] }] : []));
  }
  const { momentum, weightDecay } = recipe;
  switch (recipe.opt) {
    case 'sgd':
    case 'sgd-nesterov':
      return new SGD(params, lr, { momentum, weightDecay, nesterov: recipe.opt === 'sgd-nesterov' });
    case 'rmsprop':
      return new RMSprop(params, lr, { momentum, weightDecay, eps: 0.0316, alpha: 0.9 });
    case 'adamw':
      return new AdamW(params, lr, { weightDecay });
  }
}

/**
 * The LR schedule: the main scheduler (per epoch: StepLR, CosineAnnealingLR over the epochs
 * after warm-up, ExponentialLR) behind a ConstantLR/LinearLR warm-up in a SequentialLR, as
 * the reference builds it; or the trainer's OneCycle, stepped per batch. `perStep` says which.
 */
export function buildScheduler(
  optimizer: Optimizer,
  recipe: Recipe,
  lr: number,
  epochs: number,
  stepsPerEpoch: number,
): { scheduler: LRScheduler; perStep: boolean } {
  if (recipe.lrScheduler === 'onecycle') {
    if (recipe.lrWarmupEpochs > 0)
      throw new TorchError('--lr-warmup-epochs needs --lr-scheduler step, cosine or exponential');
    return { scheduler: new OneCycleLR(optimizer, { maxLr: lr, epochs, stepsPerEpoch }), perStep: true };
  }
  const main =
    recipe.lrScheduler === 'step'
      ? new StepLR(optimizer, recipe.lrStepSize, { gamma: recipe.lrGamma })
      : recipe.lrScheduler === 'cosine'
        ? new CosineAnnealingLR(optimizer, epochs - recipe.lrWarmupEpochs)
        : new ExponentialLR(optimizer, recipe.lrGamma);
  if (recipe.lrWarmupEpochs === 0) return { scheduler: main, perStep: false };
  const total = recipe.lrWarmupEpochs;
  const warmup =
    recipe.lrWarmupMethod === 'linear'
      ? new LinearLR(optimizer, { startFactor: recipe.lrWarmupDecay, totalIters: total })
      : new ConstantLR(optimizer, { factor: recipe.lrWarmupDecay, totalIters: total });
  return { scheduler: new SequentialLR(optimizer, [warmup, main], [total]), perStep: false };
}

/**
 * The batch transform of --mixup-alpha / --cutmix-alpha (RandomMixup / RandomCutmix with
 * p = 1); with both, one of the two per batch, drawn with torch.randint (torchvision's
 * transforms.v2.RandomChoice draws so; the v1 RandomChoice of the reference draws from
 * Python's `random`). Null when neither is on.
 */
export function buildMixup(recipe: Recipe, numClasses: number): ((x: Tensor, y: Tensor) => [Tensor, Tensor]) | null {
  const ts: (RandomMixup | RandomCutmix)[] = [];
  if (recipe.mixupAlpha > 0) ts.push(new RandomMixup(numClasses, { p: 1.0, alpha: recipe.mixupAlpha }));
  if (recipe.cutmixAlpha > 0) ts.push(new RandomCutmix(numClasses, { p: 1.0, alpha: recipe.cutmixAlpha }));
  if (ts.length === 0) return null;
  return (x, y) => ts[ts.length === 1 ? 0 : randint(0, ts.length)].forward(x, y);
}

/**
 * The reference's model EMA: ExponentialMovingAverage with the decay adjusted for the number
 * of updates, `alpha = min(1, (1 - decay) * worldSize * batchSize * emaSteps / epochs)`.
 */
export function buildEma(
  model: Module,
  recipe: Recipe,
  worldSize: number,
  batchSize: number,
  epochs: number,
  device: string,
): ExponentialMovingAverage | null {
  if (!recipe.modelEma) return null;
  const adjust = (worldSize * batchSize * recipe.modelEmaSteps) / epochs;
  const alpha = Math.min(1.0, (1.0 - recipe.modelEmaDecay) * adjust);
  return new ExponentialMovingAverage(model, 1.0 - alpha, device as 'cpu');
}

/** The training-set augmentation of --auto-augment (on uint8 images) and --random-erase (after normalising). */
export function augmentations(recipe: Recipe): { uint8: Transform[]; float: Transform[] } {
  const uint8: Transform[] = [];
  const aa = recipe.autoAugment;
  if (aa === 'ra') uint8.push(new RandAugment({ interpolation: 'bilinear' }));
  else if (aa === 'ta_wide') uint8.push(new TrivialAugmentWide({ interpolation: 'bilinear' }));
  else if (aa === 'augmix') uint8.push(new AugMix({ interpolation: 'bilinear' }));
  else if (aa !== null) uint8.push(new AutoAugment(aa, 'bilinear'));
  return { uint8, float: recipe.randomErase > 0 ? [new RandomErasing({ p: recipe.randomErase })] : [] };
}

/** The loss of the recipe: cross entropy with --label-smoothing. */
export function buildCriterion(recipe: Recipe): CrossEntropyLoss {
  return new CrossEntropyLoss({ labelSmoothing: recipe.labelSmoothing });
}

/** How many of the batch's top-k predictions hit, for each k (targets: indices, or one-hot/mixed rows). */
export function topkCorrect(output: Tensor, target: Tensor, ks: number[] = [1, 5]): number[] {
  const labels = target.ndim === 2 ? target.argmax(1) : target;
  const maxk = Math.min(Math.max(...ks), output.shape[1]);
  const pred = output.topk(maxk, 1, true, true).indices;
  const hit = pred.eq(labels.view(-1, 1));
  return ks.map((k) => hit.narrow(1, 0, Math.min(k, maxk)).sum().item() as number);
}

/** What one training step needs. */
export interface StepState {
  model: Module & { forward(x: Tensor): Tensor };
  forward: (x: Tensor) => Tensor;
  criterion: CrossEntropyLoss;
  optimizer: Optimizer;
  scaler: GradScaler;
  recipe: Recipe;
  ema: ExponentialMovingAverage | null;
  autocast: <T>(fn: () => T) => T;
}

/**
 * One step of the reference's train_one_epoch: forward, loss, backward, clip, step, and the
 * EMA update every --model-ema-steps steps (its average restarted while warming up).
 * `epoch` counts from 0 and `i` is the step within it, as in the reference. Returns [output, loss].
 */
export function trainStep(s: StepState, x: Tensor, y: Tensor, epoch: number, i: number): [Tensor, Tensor] {
  s.optimizer.zeroGrad();
  const [out, loss] = s.autocast(() => {
    const o = s.forward(x);
    return [o, s.criterion.forward(o, y)] as const;
  });
  s.scaler.scale(loss).backward();
  if (s.recipe.clipGradNorm !== null) {
    if (s.scaler.isEnabled()) s.scaler.unscale_(s.optimizer);
    clipGradNorm_(
      s.optimizer.paramGroups.flatMap((g) => g.params),
      s.recipe.clipGradNorm,
    );
  }
  s.scaler.step(s.optimizer);
  s.scaler.update();
  if (s.ema && i % s.recipe.modelEmaSteps === 0) {
    s.ema.updateParameters(s.model);
    if (epoch < s.recipe.lrWarmupEpochs) s.ema.n_averaged.fill_(0);
  }
  return [out, loss];
}
