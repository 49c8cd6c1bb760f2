/**
 * EfficientNet B0-B7 and V2 S/M/L, mirroring torchvision/models/efficientnet.py
 * (EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks,
 * https://arxiv.org/abs/1905.11946; EfficientNetV2: Smaller Models and Faster Training,
 * https://arxiv.org/abs/2104.00298): the same classes, configurations, names and
 * initialisation, so `stateDict()` keys are torchvision's.
 */
import * as nn from '../../nn/index';
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkInt, checkNumber, checkOptions, checkProbability, rangeError, typeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import { type ActivationFactory, Conv2dNormActivation, type NormLayerFactory, SqueezeExcitation } from '../ops/misc';
import { StochasticDepth } from '../ops/stochastic_depth';
import { makeDivisible } from './_utils';

type Layer = nn.Module & { forward(x: Tensor): Tensor };
const silu: ActivationFactory = (o) => new nn.SiLU(o);
const batchNorm2d: NormLayerFactory = (c) => new nn.BatchNorm2d(c);

/** A block class of EfficientNet: built from its config, stochastic-depth probability and norm layer. */
export type MBConvBlock = new (cnf: _MBConvConfig, stochasticDepthProb: number, normLayer: NormLayerFactory) => Layer;

/** One stage's settings (torchvision's `_MBConvConfig` dataclass); copied and adjusted per block. */
export class _MBConvConfig {
  constructor(
    public expandRatio: number,
    public kernel: number,
    public stride: number,
    public inputChannels: number,
    public outChannels: number,
    public numLayers: number,
    public block: MBConvBlock,
  ) {}

  /** `channels * widthMult` rounded to a multiple of 8. */
  static adjustChannels(channels: number, widthMult: number, minValue?: number): number {
    return makeDivisible(channels * widthMult, 8, minValue);
  }

  /** A shallow copy (Python's `copy.copy`). */
  copy(): this {
    return Object.assign(Object.create(Object.getPrototypeOf(this)), this);
  }
}

/** An MBConv stage, as Table 1 of the EfficientNet paper and Table 4 of the EfficientNetV2 paper list them. */
export class MBConvConfig extends _MBConvConfig {
  constructor(
    expandRatio: number,
    kernel: number,
    stride: number,
    inputChannels: number,
    outChannels: number,
    numLayers: number,
    widthMult = 1.0,
    depthMult = 1.0,
    block: MBConvBlock | null = null,
  ) {
    super(
      expandRatio,
      checkInt(kernel, 'kernel', 1),
      checkInt(stride, 'stride'),
      _MBConvConfig.adjustChannels(inputChannels, widthMult),
      _MBConvConfig.adjustChannels(outChannels, widthMult),
      MBConvConfig.adjustDepth(numLayers, depthMult),
      block ?? MBConv,
    );
  }

  /** `ceil(numLayers * depthMult)`. */
  static adjustDepth(numLayers: number, depthMult: number): number {
    return Math.ceil(numLayers * depthMult);
  }
}

/** A Fused-MBConv stage (Table 4 of the EfficientNetV2 paper). */
export class FusedMBConvConfig extends _MBConvConfig {
  constructor(
    expandRatio: number,
    kernel: number,
    stride: number,
    inputChannels: number,
    outChannels: number,
    numLayers: number,
    block: MBConvBlock | null = null,
  ) {
    super(
      expandRatio,
      checkInt(kernel, 'kernel', 1),
      checkInt(stride, 'stride'),
      inputChannels,
      outChannels,
      numLayers,
      block ?? FusedMBConv,
    );
  }
}

/** The squeeze-and-excitation layer of an MBConv block (Python's `se_layer`, called with `activation`). */
export type MBConvSELayer = (
  inputChannels: number,
  squeezeChannels: number,
  options: { activation: () => nn.Module },
) => Layer;

const squeezeExcitation: MBConvSELayer = (i, s, o) => new SqueezeExcitation(i, s, o);

const siluInplace = (): Layer => new nn.SiLU({ inplace: true });

/** Mobile inverted bottleneck: 1x1 expansion, depthwise kxk, squeeze-excitation, 1x1 projection; stochastic depth on the residual. */
export class MBConv extends nn.Module {
  readonly use_res_connect: boolean;
  block: nn.Sequential;
  stochastic_depth: StochasticDepth;
  readonly out_channels: number;

  constructor(
    cnf: _MBConvConfig,
    stochasticDepthProb: number,
    normLayer: NormLayerFactory,
    seLayer: MBConvSELayer = squeezeExcitation,
  ) {
    super();
    if (!(cnf.stride >= 1 && cnf.stride <= 2)) throw rangeError('a stride of 1 or 2', 'cnf.stride', cnf.stride);
    this.use_res_connect = cnf.stride === 1 && cnf.inputChannels === cnf.outChannels;

    const layers: nn.Module[] = [];
    const activationLayer = silu;

    // expand
    const expandedChannels = _MBConvConfig.adjustChannels(cnf.inputChannels, cnf.expandRatio);
    if (expandedChannels !== cnf.inputChannels) {
      layers.push(
        new Conv2dNormActivation(cnf.inputChannels, expandedChannels, { kernelSize: 1, normLayer, activationLayer }),
      );
    }
    // depthwise
    layers.push(
      new Conv2dNormActivation(expandedChannels, expandedChannels, {
        kernelSize: cnf.kernel,
        stride: cnf.stride,
        groups: expandedChannels,
        normLayer,
        activationLayer,
      }),
    );
    // squeeze and excitation
    const squeezeChannels = Math.max(1, Math.floor(cnf.inputChannels / 4));
    layers.push(seLayer(expandedChannels, squeezeChannels, { activation: siluInplace }));
    // project
    layers.push(
      new Conv2dNormActivation(expandedChannels, cnf.outChannels, { kernelSize: 1, normLayer, activationLayer: null }),
    );

    this.block = new nn.Sequential(...layers);
    this.stochastic_depth = new StochasticDepth(stochasticDepthProb, 'row');
    this.out_channels = cnf.outChannels;
  }

  forward(input: Tensor): Tensor {
    let result = this.block.forward(input);
    if (this.use_res_connect) {
      result = this.stochastic_depth.forward(result);
      result.add_(input);
    }
    return result;
  }
}

/** Fused-MBConv: a kxk expansion convolution (or a single kxk convolution) then a 1x1 projection. */
export class FusedMBConv extends nn.Module {
  readonly use_res_connect: boolean;
  block: nn.Sequential;
  stochastic_depth: StochasticDepth;
  readonly out_channels: number;

  constructor(cnf: _MBConvConfig, stochasticDepthProb: number, normLayer: NormLayerFactory) {
    super();
    if (!(cnf.stride >= 1 && cnf.stride <= 2)) throw rangeError('a stride of 1 or 2', 'cnf.stride', cnf.stride);
    this.use_res_connect = cnf.stride === 1 && cnf.inputChannels === cnf.outChannels;

    const layers: nn.Module[] = [];
    const activationLayer = silu;

    const expandedChannels = _MBConvConfig.adjustChannels(cnf.inputChannels, cnf.expandRatio);
    if (expandedChannels !== cnf.inputChannels) {
      // fused expand
      layers.push(
        new Conv2dNormActivation(cnf.inputChannels, expandedChannels, {
          kernelSize: cnf.kernel,
          stride: cnf.stride,
          normLayer,
          activationLayer,
        }),
      );
      // project
      layers.push(
        new Conv2dNormActivation(expandedChannels, cnf.outChannels, {
          kernelSize: 1,
          normLayer,
          activationLayer: null,
        }),
      );
    } else {
      layers.push(
        new Conv2dNormActivation(cnf.inputChannels, cnf.outChannels, {
          kernelSize: cnf.kernel,
          stride: cnf.stride,
          normLayer,
          activationLayer,
        }),
      );
    }

    this.block = new nn.Sequential(...layers);
    this.stochastic_depth = new StochasticDepth(stochasticDepthProb, 'row');
    this.out_channels = cnf.outChannels;
  }

  forward(input: Tensor): Tensor {
    let result = this.block.forward(input);
    if (this.use_res_connect) {
      result = this.stochastic_depth.forward(result);
      result.add_(input);
    }
    return result;
  }
}

/** EfficientNet's optional arguments after the stage settings and `dropout`, in torchvision's order. */
export interface EfficientNetOptions {
  /** The stochastic depth probability of the last block, scaled linearly from 0 for the first (default 0.2). */
  stochasticDepthProb?: number;
  /** Default 1000. */
  numClasses?: number;
  /** Default nn.BatchNorm2d. */
  normLayer?: NormLayerFactory | null;
  /** Channels of the penultimate layer (default 4x the last stage's). */
  lastChannel?: number | null;
}

/**
 * EfficientNet V1 and V2 from their stage settings and the classifier's dropout.
 * Initialisation as torchvision: convolutions kaiming-normal (fan_out), zero biases,
 * BatchNorm 1 and 0, the classifier uniform(±1/sqrt(outFeatures)) with zero bias.
 */
export class EfficientNet extends nn.Module {
  features: nn.Sequential;
  avgpool: nn.AdaptiveAvgPool2d;
  classifier: nn.Sequential;

  constructor(
    invertedResidualSetting: readonly _MBConvConfig[],
    dropout: number,
    ...args: WithOptions<
      [
        stochasticDepthProb: number,
        numClasses: number,
        normLayer: EfficientNetOptions['normLayer'],
        lastChannel: EfficientNetOptions['lastChannel'],
      ],
      EfficientNetOptions
    >
  ) {
    super();
    const o = bindArgs<EfficientNetOptions>(
      args,
      ['stochasticDepthProb', 'numClasses', 'normLayer', 'lastChannel'],
      'EfficientNet',
    );
    if (!Array.isArray(invertedResidualSetting) || invertedResidualSetting.length === 0)
      throw typeError('a non-empty list of MBConvConfig', 'invertedResidualSetting', invertedResidualSetting);
    if (!invertedResidualSetting.every((s) => s instanceof _MBConvConfig))
      throw typeError('a list of MBConvConfig', 'invertedResidualSetting', invertedResidualSetting);
    checkProbability(dropout, 'dropout');
    const stochasticDepthProb = checkProbability(o.stochasticDepthProb ?? 0.2, 'stochasticDepthProb');
    const numClasses = checkInt(o.numClasses ?? 1000, 'numClasses', 1);
    const normLayer = o.normLayer ?? batchNorm2d;
    const lastChannel = o.lastChannel ?? null;

    const layers: nn.Module[] = [];
    // building first layer
    const firstconvOutputChannels = invertedResidualSetting[0].inputChannels;
    layers.push(
      new Conv2dNormActivation(3, firstconvOutputChannels, {
        kernelSize: 3,
        stride: 2,
        normLayer,
        activationLayer: silu,
      }),
    );
    // building inverted residual blocks
    const totalStageBlocks = invertedResidualSetting.reduce((n, cnf) => n + cnf.numLayers, 0);
    let stageBlockId = 0;
    for (const cnf of invertedResidualSetting) {
      const stage: nn.Module[] = [];
      for (let i = 0; i < cnf.numLayers; i++) {
        // copy to avoid modifications. shallow copy is enough
        const blockCnf = cnf.copy();
        // overwrite info if not the first conv in the stage
        if (stage.length > 0) {
          blockCnf.inputChannels = blockCnf.outChannels;
          blockCnf.stride = 1;
        }
        // adjust stochastic depth probability based on the depth of the stage block
        const sdProb = (stochasticDepthProb * stageBlockId) / totalStageBlocks;
        stage.push(new blockCnf.block(blockCnf, sdProb, normLayer));
        stageBlockId++;
      }
      layers.push(new nn.Sequential(...stage));
    }
    // building last several layers
    const lastconvInputChannels = invertedResidualSetting[invertedResidualSetting.length - 1].outChannels;
    const lastconvOutputChannels =
      lastChannel !== null ? checkInt(lastChannel, 'lastChannel', 1) : 4 * lastconvInputChannels;
    layers.push(
      new Conv2dNormActivation(lastconvInputChannels, lastconvOutputChannels, {
        kernelSize: 1,
        normLayer,
        activationLayer: silu,
      }),
    );

    this.features = new nn.Sequential(...layers);
    this.avgpool = new nn.AdaptiveAvgPool2d(1);
    this.classifier = new nn.Sequential(
      new nn.Dropout(dropout, { inplace: true }),
      new nn.Linear(lastconvOutputChannels, numClasses),
    );

    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) {
        nn.init.kaimingNormal_(m.weight, { mode: 'fan_out' });
        if (m.bias) nn.init.zeros_(m.bias);
      } else if ((m instanceof nn.BatchNorm2d || m instanceof nn.GroupNorm) && m.weight && m.bias) {
        nn.init.ones_(m.weight);
        nn.init.zeros_(m.bias);
      } else if (m instanceof nn.Linear) {
        const initRange = 1.0 / Math.sqrt(m.outFeatures);
        nn.init.uniform_(m.weight, -initRange, initRange);
        if (m.bias) nn.init.zeros_(m.bias);
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

type Arch =
  | `efficientnet_b${0 | 1 | 2 | 3 | 4 | 5 | 6 | 7}`
  | 'efficientnet_v2_s'
  | 'efficientnet_v2_m'
  | 'efficientnet_v2_l';

/** The stage settings and penultimate width of an EfficientNet (torchvision's `_efficientnet_conf`). */
export function efficientnetConf(
  arch: Arch,
  options: { widthMult?: number; depthMult?: number } = {},
): [_MBConvConfig[], number | null] {
  const o = checkOptions<{ widthMult: number; depthMult: number }>(options, 'options', ['widthMult', 'depthMult']);
  if (arch.startsWith('efficientnet_b')) {
    const widthMult = checkNumber(o.widthMult, 'widthMult');
    const depthMult = checkNumber(o.depthMult, 'depthMult');
    const b = (e: number, k: number, s: number, i: number, out: number, n: number) =>
      new MBConvConfig(e, k, s, i, out, n, widthMult, depthMult);
    return [
      [
        b(1, 3, 1, 32, 16, 1),
        b(6, 3, 2, 16, 24, 2),
        b(6, 5, 2, 24, 40, 2),
        b(6, 3, 2, 40, 80, 3),
        b(6, 5, 1, 80, 112, 3),
        b(6, 5, 2, 112, 192, 4),
        b(6, 3, 1, 192, 320, 1),
      ],
      null,
    ];
  }
  const F = (e: number, k: number, s: number, i: number, out: number, n: number) =>
    new FusedMBConvConfig(e, k, s, i, out, n);
  const M = (e: number, k: number, s: number, i: number, out: number, n: number) =>
    new MBConvConfig(e, k, s, i, out, n);
  if (arch === 'efficientnet_v2_s') {
    return [
      [
        F(1, 3, 1, 24, 24, 2),
        F(4, 3, 2, 24, 48, 4),
        F(4, 3, 2, 48, 64, 4),
        M(4, 3, 2, 64, 128, 6),
        M(6, 3, 1, 128, 160, 9),
        M(6, 3, 2, 160, 256, 15),
      ],
      1280,
    ];
  }
  if (arch === 'efficientnet_v2_m') {
    return [
      [
        F(1, 3, 1, 24, 24, 3),
        F(4, 3, 2, 24, 48, 5),
        F(4, 3, 2, 48, 80, 5),
        M(4, 3, 2, 80, 160, 7),
        M(6, 3, 1, 160, 176, 14),
        M(6, 3, 2, 176, 304, 18),
        M(6, 3, 1, 304, 512, 5),
      ],
      1280,
    ];
  }
  if (arch === 'efficientnet_v2_l') {
    return [
      [
        F(1, 3, 1, 32, 32, 4),
        F(4, 3, 2, 32, 64, 7),
        F(4, 3, 2, 64, 96, 7),
        M(4, 3, 2, 96, 192, 10),
        M(6, 3, 1, 192, 224, 19),
        M(6, 3, 2, 224, 384, 25),
        M(6, 3, 1, 384, 640, 7),
      ],
      1280,
    ];
  }
  throw rangeError('an EfficientNet architecture name', 'arch', arch);
}

/** What the EfficientNet builders accept (B5-B7 and V2 fix their normalisation layer, as torchvision's do). */
export type EfficientNetBuilderOptions = Omit<EfficientNetOptions, 'lastChannel'>;

function efficientnet(
  arch: Arch,
  dropout: number,
  options: EfficientNetBuilderOptions,
  conf: { widthMult?: number; depthMult?: number },
  normLayer?: NormLayerFactory,
): EfficientNet {
  const keys = normLayer ? ['stochasticDepthProb', 'numClasses'] : ['stochasticDepthProb', 'numClasses', 'normLayer'];
  const o = checkOptions<EfficientNetBuilderOptions>(options, 'options', keys);
  const [setting, lastChannel] = efficientnetConf(arch, conf);
  return new EfficientNet(setting, dropout, { ...o, lastChannel, ...(normLayer ? { normLayer } : {}) });
}

const bn1e3: NormLayerFactory = (n) => new nn.BatchNorm2d(n, { eps: 1e-3 });
const bnTf: NormLayerFactory = (n) => new nn.BatchNorm2d(n, { eps: 0.001, momentum: 0.01 });

/** EfficientNet B0. */
export function efficientnet_b0(options: EfficientNetBuilderOptions = {}): EfficientNet {
  return efficientnet('efficientnet_b0', 0.2, options, { widthMult: 1.0, depthMult: 1.0 });
}
/** EfficientNet B1. */
export function efficientnet_b1(options: EfficientNetBuilderOptions = {}): EfficientNet {
  return efficientnet('efficientnet_b1', 0.2, options, { widthMult: 1.0, depthMult: 1.1 });
}
/** EfficientNet B2. */
export function efficientnet_b2(options: EfficientNetBuilderOptions = {}): EfficientNet {
  return efficientnet('efficientnet_b2', 0.3, options, { widthMult: 1.1, depthMult: 1.2 });
}
/** EfficientNet B3. */
export function efficientnet_b3(options: EfficientNetBuilderOptions = {}): EfficientNet {
  return efficientnet('efficientnet_b3', 0.3, options, { widthMult: 1.2, depthMult: 1.4 });
}
/** EfficientNet B4. */
export function efficientnet_b4(options: EfficientNetBuilderOptions = {}): EfficientNet {
  return efficientnet('efficientnet_b4', 0.4, options, { widthMult: 1.4, depthMult: 1.8 });
}
/** EfficientNet B5 (BatchNorm eps 0.001, momentum 0.01). */
export function efficientnet_b5(options: Omit<EfficientNetBuilderOptions, 'normLayer'> = {}): EfficientNet {
  return efficientnet('efficientnet_b5', 0.4, options, { widthMult: 1.6, depthMult: 2.2 }, bnTf);
}
/** EfficientNet B6 (BatchNorm eps 0.001, momentum 0.01). */
export function efficientnet_b6(options: Omit<EfficientNetBuilderOptions, 'normLayer'> = {}): EfficientNet {
  return efficientnet('efficientnet_b6', 0.5, options, { widthMult: 1.8, depthMult: 2.6 }, bnTf);
}
/** EfficientNet B7 (BatchNorm eps 0.001, momentum 0.01). */
export function efficientnet_b7(options: Omit<EfficientNetBuilderOptions, 'normLayer'> = {}): EfficientNet {
  return efficientnet('efficientnet_b7', 0.5, options, { widthMult: 2.0, depthMult: 3.1 }, bnTf);
}
/** EfficientNetV2-S (BatchNorm eps 0.001). */
export function efficientnet_v2_s(options: Omit<EfficientNetBuilderOptions, 'normLayer'> = {}): EfficientNet {
  return efficientnet('efficientnet_v2_s', 0.2, options, {}, bn1e3);
}
/** EfficientNetV2-M (BatchNorm eps 0.001). */
export function efficientnet_v2_m(options: Omit<EfficientNetBuilderOptions, 'normLayer'> = {}): EfficientNet {
  return efficientnet('efficientnet_v2_m', 0.3, options, {}, bn1e3);
}
/** EfficientNetV2-L (BatchNorm eps 0.001). */
export function efficientnet_v2_l(options: Omit<EfficientNetBuilderOptions, 'normLayer'> = {}): EfficientNet {
  return efficientnet('efficientnet_v2_l', 0.4, options, {}, bn1e3);
}
