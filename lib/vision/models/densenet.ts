/**
 * DenseNet-121/161/169/201, mirroring torchvision/models/densenet.py: the same classes,
 * builders, defaults and initialisation, so `stateDict()` keys are torchvision's
 * (`features.denseblock1.denselayer1.norm1.weight`, `features.transition1.conv.weight`,
 * `classifier.bias`) and weights move unchanged.
 */
import * as nn from '../../nn/index';
import { adaptiveAvgPool2d, dropout, relu } from '../../nn/functional';
import { cat } from '../../torch/functions';
import {
  checkBool,
  checkInt,
  checkNumber,
  checkOptions,
  checkProbability,
  optionKeys,
  typeError,
} from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';

/**
 * One dense layer: BN-ReLU-conv1x1 (bottleneck, `bnSize * growthRate` channels) then
 * BN-ReLU-conv3x3 (`growthRate` channels) over the concatenation of all earlier features.
 * `memoryEfficient` is accepted for torchvision compatibility and ignored: torchts always runs
 * the plain forward (same results; torchvision's checkpointed form only saves memory).
 */
export class _DenseLayer extends nn.Module {
  norm1: nn.BatchNorm2d;
  relu1: nn.ReLU;
  conv1: nn.Conv2d;
  norm2: nn.BatchNorm2d;
  relu2: nn.ReLU;
  conv2: nn.Conv2d;
  readonly dropRate: number;
  readonly memoryEfficient: boolean;

  constructor(numInputFeatures: number, growthRate: number, bnSize: number, dropRate: number, memoryEfficient = false) {
    super();
    this.norm1 = new nn.BatchNorm2d(numInputFeatures);
    this.relu1 = new nn.ReLU({ inplace: true });
    this.conv1 = new nn.Conv2d(numInputFeatures, bnSize * growthRate, 1, { stride: 1, bias: false });
    this.norm2 = new nn.BatchNorm2d(bnSize * growthRate);
    this.relu2 = new nn.ReLU({ inplace: true });
    this.conv2 = new nn.Conv2d(bnSize * growthRate, growthRate, 3, { stride: 1, padding: 1, bias: false });
    this.dropRate = checkNumber(dropRate, 'dropRate');
    this.memoryEfficient = checkBool(memoryEfficient, 'memoryEfficient');
  }

  /** The 1x1 bottleneck over the concatenated features. */
  private bnFunction(inputs: Tensor[]): Tensor {
    const concatedFeatures = cat(inputs, 1);
    return this.conv1.forward(this.relu1.forward(this.norm1.forward(concatedFeatures)));
  }

  /** The new features from one tensor or the list of all previous ones (concatenated on channels). */
  forward(input: Tensor | Tensor[]): Tensor {
    const prevFeatures = Array.isArray(input) ? input : [input];
    const bottleneckOutput = this.bnFunction(prevFeatures);
    let newFeatures = this.conv2.forward(this.relu2.forward(this.norm2.forward(bottleneckOutput)));
    if (this.dropRate > 0) newFeatures = dropout(newFeatures, this.dropRate, this.training);
    return newFeatures;
  }
}

/** `numLayers` dense layers (`denselayer1`, `denselayer2`, ...); the output concatenates the input and every layer's features. */
export class _DenseBlock extends nn.Module {
  constructor(
    numLayers: number,
    numInputFeatures: number,
    bnSize: number,
    growthRate: number,
    dropRate: number,
    memoryEfficient = false,
  ) {
    super();
    checkInt(numLayers, 'numLayers', 1);
    for (let i = 0; i < numLayers; i++) {
      const layer = new _DenseLayer(numInputFeatures + i * growthRate, growthRate, bnSize, dropRate, memoryEfficient);
      this.registerModule(`denselayer${i + 1}`, layer);
    }
  }

  forward(initFeatures: Tensor): Tensor {
    const features = [initFeatures];
    for (const [, layer] of this.namedChildren()) {
      const newFeatures = (layer as _DenseLayer).forward(features);
      features.push(newFeatures);
    }
    return cat(features, 1);
  }
}

/** Between dense blocks: BN, ReLU, 1x1 conv to `numOutputFeatures`, 2x2 average pooling. */
export class _Transition extends nn.Sequential {
  norm: nn.BatchNorm2d;
  relu: nn.ReLU;
  conv: nn.Conv2d;
  pool: nn.AvgPool2d;

  constructor(numInputFeatures: number, numOutputFeatures: number) {
    super();
    this.norm = new nn.BatchNorm2d(numInputFeatures);
    this.relu = new nn.ReLU({ inplace: true });
    this.conv = new nn.Conv2d(numInputFeatures, numOutputFeatures, 1, { stride: 1, bias: false });
    this.pool = new nn.AvgPool2d(2, { stride: 2 });
  }
}

export interface DenseNetOptions {
  /** Filters added by each layer (`k` in the paper); default 32. */
  growthRate?: number;
  /** Layers in each dense block; default [6, 12, 24, 16]. */
  blockConfig?: readonly number[];
  /** Filters of the first convolution; default 64. */
  numInitFeatures?: number;
  /** Bottleneck width factor: `bnSize * growthRate` channels; default 4. */
  bnSize?: number;
  /** Dropout after each dense layer; default 0. */
  dropRate?: number;
  /** Default 1000. */
  numClasses?: number;
  /** Accepted for compatibility and ignored (torchvision checkpoints; torchts runs the plain forward). */
  memoryEfficient?: boolean;
}

const DENSENET_KEYS = optionKeys<DenseNetOptions>({
  growthRate: 1,
  blockConfig: 1,
  numInitFeatures: 1,
  bnSize: 1,
  dropRate: 1,
  numClasses: 1,
  memoryEfficient: 1,
});
const DENSENET_BUILDER_KEYS = DENSENET_KEYS.filter(
  (k) => k !== 'growthRate' && k !== 'blockConfig' && k !== 'numInitFeatures',
);

/**
 * DenseNet-BC (Densely Connected Convolutional Networks). Initialisation as torchvision:
 * convolutions kaiming-normal (fan_in), BatchNorm weight 1 and bias 0, classifier bias 0.
 */
export class DenseNet extends nn.Module {
  features: nn.Sequential;
  classifier: nn.Linear;

  constructor(options: DenseNetOptions = {}) {
    super();
    const o = checkOptions<DenseNetOptions>(options, 'DenseNet options', DENSENET_KEYS);
    const growthRate = checkInt(o.growthRate ?? 32, 'growthRate', 1);
    const blockConfig = o.blockConfig ?? [6, 12, 24, 16];
    if (!Array.isArray(blockConfig) || blockConfig.length === 0)
      throw typeError('an array of layer counts', 'blockConfig', blockConfig);
    blockConfig.forEach((n, i) => {
      checkInt(n, `blockConfig[${i}]`, 1);
    });
    const numInitFeatures = checkInt(o.numInitFeatures ?? 64, 'numInitFeatures', 1);
    const bnSize = checkInt(o.bnSize ?? 4, 'bnSize', 1);
    const dropRate = checkProbability(o.dropRate ?? 0, 'dropRate');
    const numClasses = checkInt(o.numClasses ?? 1000, 'numClasses', 1);
    const memoryEfficient = checkBool(o.memoryEfficient ?? false, 'memoryEfficient');

    // First convolution
    this.features = new nn.Sequential();
    this.features.registerModule('conv0', new nn.Conv2d(3, numInitFeatures, 7, { stride: 2, padding: 3, bias: false }));
    this.features.registerModule('norm0', new nn.BatchNorm2d(numInitFeatures));
    this.features.registerModule('relu0', new nn.ReLU({ inplace: true }));
    this.features.registerModule('pool0', new nn.MaxPool2d(3, { stride: 2, padding: 1 }));
    // Each dense block
    let numFeatures = numInitFeatures;
    blockConfig.forEach((numLayers, i) => {
      const block = new _DenseBlock(numLayers, numFeatures, bnSize, growthRate, dropRate, memoryEfficient);
      this.features.registerModule(`denseblock${i + 1}`, block);
      numFeatures += numLayers * growthRate;
      if (i !== blockConfig.length - 1) {
        this.features.registerModule(`transition${i + 1}`, new _Transition(numFeatures, Math.floor(numFeatures / 2)));
        numFeatures = Math.floor(numFeatures / 2);
      }
    });
    // Final batch norm
    this.features.registerModule('norm5', new nn.BatchNorm2d(numFeatures));
    // Linear layer
    this.classifier = new nn.Linear(numFeatures, numClasses);

    // Official init from torch repo.
    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) {
        nn.init.kaimingNormal_(m.weight);
      } else if (m instanceof nn.BatchNorm2d && m.weight && m.bias) {
        nn.init.constant_(m.weight, 1);
        nn.init.constant_(m.bias, 0);
      } else if (m instanceof nn.Linear && m.bias) {
        nn.init.constant_(m.bias, 0);
      }
    }
  }

  forward(x: Tensor): Tensor {
    const features = this.features.forward(x);
    let out = relu(features, true);
    out = adaptiveAvgPool2d(out, [1, 1]);
    out = out.flatten(1);
    out = this.classifier.forward(out);
    return out;
  }
}

type Fixed = 'growthRate' | 'blockConfig' | 'numInitFeatures';
/** What the DenseNet builders accept: the DenseNet options but the architecture's own. */
export type DenseNetBuilderOptions = Omit<DenseNetOptions, Fixed>;

function densenet(
  growthRate: number,
  blockConfig: [number, number, number, number],
  numInitFeatures: number,
  options: DenseNetBuilderOptions,
): DenseNet {
  return new DenseNet({
    ...checkOptions<DenseNetBuilderOptions>(options, 'options', DENSENET_BUILDER_KEYS),
    growthRate,
    blockConfig,
    numInitFeatures,
  });
}

/** DenseNet-121 (Densely Connected Convolutional Networks). */
export function densenet121(options: DenseNetBuilderOptions = {}): DenseNet {
  return densenet(32, [6, 12, 24, 16], 64, options);
}
/** DenseNet-161. */
export function densenet161(options: DenseNetBuilderOptions = {}): DenseNet {
  return densenet(48, [6, 12, 36, 24], 96, options);
}
/** DenseNet-169. */
export function densenet169(options: DenseNetBuilderOptions = {}): DenseNet {
  return densenet(32, [6, 12, 32, 32], 64, options);
}
/** DenseNet-201. */
export function densenet201(options: DenseNetBuilderOptions = {}): DenseNet {
  return densenet(32, [6, 12, 48, 32], 64, options);
}
