/**
 * MNASNet (B1 variant), mirroring torchvision/models/mnasnet.py (MnasNet: Platform-Aware
 * Neural Architecture Search for Mobile, https://arxiv.org/abs/1807.11626): the same classes,
 * names and initialisation, so `stateDict()` keys are torchvision's. (torchvision's
 * `_load_from_state_dict` also converts version-1 checkpoints of the pre-0.5 stem; torchts
 * loads the current layout, which is what torchvision's published weights have.)
 */
import * as nn from '../../nn/index';
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkInt, checkNumber, checkProbability, rangeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';

// Paper suggests 0.9997 momentum, for TensorFlow. Equivalent PyTorch momentum is
// 1.0 - tensorflow.
const BN_MOMENTUM = 1 - 0.9997;

/** MNASNet's block: 1x1 expansion, depthwise kxk, linear 1x1 projection; a residual when the shape is kept. */
export class _InvertedResidual extends nn.Module {
  readonly apply_residual: boolean;
  layers: nn.Sequential;

  constructor(
    inCh: number,
    outCh: number,
    kernelSize: number,
    stride: number,
    expansionFactor: number,
    bnMomentum = 0.1,
  ) {
    super();
    if (stride !== 1 && stride !== 2) throw rangeError('a stride of 1 or 2', 'stride', stride);
    if (kernelSize !== 3 && kernelSize !== 5) throw rangeError('a kernel size of 3 or 5', 'kernelSize', kernelSize);
    const midCh = inCh * expansionFactor;
    this.apply_residual = inCh === outCh && stride === 1;
    const bn = (n: number) => new nn.BatchNorm2d(n, { momentum: bnMomentum });
    this.layers = new nn.Sequential(
      // Pointwise
      new nn.Conv2d(inCh, midCh, 1, { bias: false }),
      bn(midCh),
      new nn.ReLU({ inplace: true }),
      // Depthwise
      new nn.Conv2d(midCh, midCh, kernelSize, {
        padding: Math.floor(kernelSize / 2),
        stride,
        groups: midCh,
        bias: false,
      }),
      bn(midCh),
      new nn.ReLU({ inplace: true }),
      // Linear pointwise. Note that there's no activation.
      new nn.Conv2d(midCh, outCh, 1, { bias: false }),
      bn(outCh),
    );
  }

  forward(input: Tensor): Tensor {
    if (this.apply_residual) return this.layers.forward(input).add(input);
    return this.layers.forward(input);
  }
}

/** Creates a stack of inverted residuals. */
function stack(
  inCh: number,
  outCh: number,
  kernelSize: number,
  stride: number,
  expFactor: number,
  repeats: number,
  bnMomentum: number,
): nn.Sequential {
  // First one has no skip, because feature map size changes.
  const first = new _InvertedResidual(inCh, outCh, kernelSize, stride, expFactor, bnMomentum);
  const remaining: nn.Module[] = [];
  for (let i = 1; i < repeats; i++)
    remaining.push(new _InvertedResidual(outCh, outCh, kernelSize, 1, expFactor, bnMomentum));
  return new nn.Sequential(first, ...remaining);
}

/**
 * Asymmetric rounding to make `val` divisible by `divisor`. With default bias, will round up,
 * unless the number is no more than 10% greater than the smaller divisible value, i.e.
 * (83, 8) -> 80, but (84, 8) -> 88.
 */
function roundToMultipleOf(val: number, divisor: number, roundUpBias = 0.9): number {
  const newVal = Math.max(divisor, Math.floor(Math.trunc(val + divisor / 2) / divisor) * divisor);
  return newVal >= roundUpBias * val ? newVal : newVal + divisor;
}

/** Scales tensor depths as in reference MobileNet code, prefers rounding up rather than down. */
function getDepths(alpha: number): number[] {
  return [32, 16, 24, 40, 80, 96, 192, 320].map((depth) => roundToMultipleOf(depth * alpha, 8));
}

/** MNASNet's optional arguments after `alpha` (torchvision's order: `num_classes`, `dropout`). */
export interface MNASNetOptions {
  /** Default 1000. */
  numClasses?: number;
  /** Dropout before the classifier (default 0.2). */
  dropout?: number;
}

/**
 * MNASNet with depth multiplier `alpha`. Initialisation as torchvision: convolutions
 * kaiming-normal (fan_out, relu), BatchNorm 1 and 0, the classifier kaiming-uniform
 * (fan_out, sigmoid) with zero bias.
 */
export class MNASNet extends nn.Module {
  readonly alpha: number;
  readonly numClasses: number;
  layers: nn.Sequential;
  classifier: nn.Sequential;

  constructor(alpha: number, ...args: WithOptions<[numClasses: number, dropout: number], MNASNetOptions>) {
    super();
    const o = bindArgs<MNASNetOptions>(args, ['numClasses', 'dropout'], 'MNASNet');
    if (!(checkNumber(alpha, 'alpha') > 0)) throw rangeError('alpha greater than 0.0', 'alpha', alpha);
    this.alpha = alpha;
    this.numClasses = checkInt(o.numClasses ?? 1000, 'numClasses', 1);
    const dropout = checkProbability(o.dropout ?? 0.2, 'dropout');
    const depths = getDepths(alpha);
    const bn = (n: number) => new nn.BatchNorm2d(n, { momentum: BN_MOMENTUM });
    this.layers = new nn.Sequential(
      // First layer: regular conv.
      new nn.Conv2d(3, depths[0], 3, { padding: 1, stride: 2, bias: false }),
      bn(depths[0]),
      new nn.ReLU({ inplace: true }),
      // Depthwise separable, no skip.
      new nn.Conv2d(depths[0], depths[0], 3, { padding: 1, stride: 1, groups: depths[0], bias: false }),
      bn(depths[0]),
      new nn.ReLU({ inplace: true }),
      new nn.Conv2d(depths[0], depths[1], 1, { padding: 0, stride: 1, bias: false }),
      bn(depths[1]),
      // MNASNet blocks: stacks of inverted residuals.
      stack(depths[1], depths[2], 3, 2, 3, 3, BN_MOMENTUM),
      stack(depths[2], depths[3], 5, 2, 3, 3, BN_MOMENTUM),
      stack(depths[3], depths[4], 5, 2, 6, 3, BN_MOMENTUM),
      stack(depths[4], depths[5], 3, 1, 6, 2, BN_MOMENTUM),
      stack(depths[5], depths[6], 5, 2, 6, 4, BN_MOMENTUM),
      stack(depths[6], depths[7], 3, 1, 6, 1, BN_MOMENTUM),
      // Final mapping to classifier input.
      new nn.Conv2d(depths[7], 1280, 1, { padding: 0, stride: 1, bias: false }),
      bn(1280),
      new nn.ReLU({ inplace: true }),
    );
    this.classifier = new nn.Sequential(
      new nn.Dropout(dropout, { inplace: true }),
      new nn.Linear(1280, this.numClasses),
    );

    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) {
        nn.init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
        if (m.bias) nn.init.zeros_(m.bias);
      } else if (m instanceof nn.BatchNorm2d && m.weight && m.bias) {
        nn.init.ones_(m.weight);
        nn.init.zeros_(m.bias);
      } else if (m instanceof nn.Linear) {
        nn.init.kaimingUniform_(m.weight, { mode: 'fan_out', nonlinearity: 'sigmoid' });
        if (m.bias) nn.init.zeros_(m.bias);
      }
    }
  }

  forward(x: Tensor): Tensor {
    x = this.layers.forward(x);
    // Equivalent to global avgpool and removing H and W dimensions.
    x = x.mean([2, 3]);
    return this.classifier.forward(x);
  }
}

/** MNASNet with depth multiplier 0.5. */
export function mnasnet0_5(options: MNASNetOptions = {}): MNASNet {
  return new MNASNet(0.5, options);
}
/** MNASNet with depth multiplier 0.75. */
export function mnasnet0_75(options: MNASNetOptions = {}): MNASNet {
  return new MNASNet(0.75, options);
}
/** MNASNet with depth multiplier 1.0. */
export function mnasnet1_0(options: MNASNetOptions = {}): MNASNet {
  return new MNASNet(1.0, options);
}
/** MNASNet with depth multiplier 1.3. */
export function mnasnet1_3(options: MNASNetOptions = {}): MNASNet {
  return new MNASNet(1.3, options);
}
