/**
 * VGG 11/13/16/19, with and without BatchNorm, mirroring torchvision/models/vgg.py: the same
 * class, configurations, builders, defaults and initialisation, so `stateDict()` keys are
 * torchvision's (`features.0.weight`, `classifier.6.bias`) and weights move unchanged.
 */
import * as nn from '../../nn/index';
import { checkBool, checkInt, checkOptions, checkProbability, optionKeys, typeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';

/** A VGG configuration: output channels of each 3x3 convolution, 'M' for a 2x2 max pool. */
export type VGGConfig = readonly (number | 'M')[];

/** torchvision's configurations: A (VGG-11), B (VGG-13), D (VGG-16), E (VGG-19). */
export const cfgs: Readonly<Record<'A' | 'B' | 'D' | 'E', VGGConfig>> = {
  A: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  B: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  D: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  E: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};

/** The convolutional part: conv 3x3 (padding 1) [+ BatchNorm] + ReLU per number, max pool 2x2 per 'M'. */
export function makeLayers(cfg: VGGConfig, batchNorm = false): nn.Sequential {
  if (!Array.isArray(cfg)) throw typeError("an array of channel counts and 'M'", 'cfg', cfg);
  checkBool(batchNorm, 'batchNorm');
  const layers: nn.Module[] = [];
  let inChannels = 3;
  cfg.forEach((v, i) => {
    if (v === 'M') {
      layers.push(new nn.MaxPool2d(2, { stride: 2 }));
      return;
    }
    checkInt(v, `cfg[${i}]`, 1);
    const conv = new nn.Conv2d(inChannels, v, 3, { padding: 1 });
    if (batchNorm) layers.push(conv, new nn.BatchNorm2d(v), new nn.ReLU({ inplace: true }));
    else layers.push(conv, new nn.ReLU({ inplace: true }));
    inChannels = v;
  });
  return new nn.Sequential(...layers);
}

export interface VGGOptions {
  /** Default 1000. */
  numClasses?: number;
  /** Initialise as torchvision does (default true): see the VGG class. */
  initWeights?: boolean;
  /** Dropout probability of the two classifier dropouts (default 0.5). */
  dropout?: number;
}

const VGG_KEYS = optionKeys<VGGOptions>({ numClasses: 1, initWeights: 1, dropout: 1 });

/**
 * VGG (Very Deep Convolutional Networks for Large-Scale Image Recognition): `features`,
 * adaptive average pooling to 7x7 (so any input of at least 32x32 works), and a three-layer
 * classifier. With `initWeights`: convolutions kaiming-normal (fan_out, relu) with zero
 * bias, BatchNorm weight 1 and bias 0, linear layers normal(0, 0.01) with zero bias.
 */
export class VGG extends nn.Module {
  features: nn.Module & { forward(x: Tensor): Tensor };
  avgpool: nn.AdaptiveAvgPool2d;
  classifier: nn.Sequential;

  constructor(features: nn.Module & { forward(x: Tensor): Tensor }, options: VGGOptions = {}) {
    super();
    if (!(features instanceof nn.Module)) throw typeError('a Module', 'features', features);
    const o = checkOptions<VGGOptions>(options, 'options', VGG_KEYS);
    const numClasses = checkInt(o.numClasses ?? 1000, 'numClasses', 1);
    const initWeights = checkBool(o.initWeights ?? true, 'initWeights');
    const dropout = checkProbability(o.dropout ?? 0.5, 'dropout');
    this.features = features;
    this.avgpool = new nn.AdaptiveAvgPool2d([7, 7]);
    this.classifier = new nn.Sequential(
      new nn.Linear(512 * 7 * 7, 4096),
      new nn.ReLU({ inplace: true }),
      new nn.Dropout(dropout),
      new nn.Linear(4096, 4096),
      new nn.ReLU({ inplace: true }),
      new nn.Dropout(dropout),
      new nn.Linear(4096, numClasses),
    );
    if (!initWeights) return;
    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) {
        nn.init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
        if (m.bias) nn.init.constant_(m.bias, 0);
      } else if (m instanceof nn.BatchNorm2d && m.weight && m.bias) {
        nn.init.constant_(m.weight, 1);
        nn.init.constant_(m.bias, 0);
      } else if (m instanceof nn.Linear) {
        nn.init.normal_(m.weight, 0, 0.01);
        if (m.bias) nn.init.constant_(m.bias, 0);
      }
    }
  }

  forward(x: Tensor): Tensor {
    x = this.features.forward(x);
    x = this.avgpool.forward(x);
    x = x.flatten(1);
    x = this.classifier.forward(x);
    return x;
  }
}

function vgg(cfg: keyof typeof cfgs, batchNorm: boolean, options: VGGOptions): VGG {
  const o = checkOptions<VGGOptions>(options, 'options', VGG_KEYS);
  return new VGG(makeLayers(cfgs[cfg], batchNorm), o);
}

/** VGG-11 (configuration A). */
export function vgg11(options: VGGOptions = {}): VGG {
  return vgg('A', false, options);
}
/** VGG-11 with BatchNorm. */
export function vgg11_bn(options: VGGOptions = {}): VGG {
  return vgg('A', true, options);
}
/** VGG-13 (configuration B). */
export function vgg13(options: VGGOptions = {}): VGG {
  return vgg('B', false, options);
}
/** VGG-13 with BatchNorm. */
export function vgg13_bn(options: VGGOptions = {}): VGG {
  return vgg('B', true, options);
}
/** VGG-16 (configuration D). */
export function vgg16(options: VGGOptions = {}): VGG {
  return vgg('D', false, options);
}
/** VGG-16 with BatchNorm. */
export function vgg16_bn(options: VGGOptions = {}): VGG {
  return vgg('D', true, options);
}
/** VGG-19 (configuration E). */
export function vgg19(options: VGGOptions = {}): VGG {
  return vgg('E', false, options);
}
/** VGG-19 with BatchNorm. */
export function vgg19_bn(options: VGGOptions = {}): VGG {
  return vgg('E', true, options);
}
