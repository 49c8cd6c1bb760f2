/**
 * MobileNet V3 Large and Small, mirroring torchvision/models/mobilenetv3.py (Searching for
 * MobileNetV3, https://arxiv.org/abs/1905.02244): the same classes, configurations, names and
 * initialisation, so `stateDict()` keys are torchvision's.
 */
import * as nn from '../../nn/index';
import { bindArgs, type WithOptions } from '../../torch/args';
import {
  checkBool,
  checkInt,
  checkNumber,
  checkOptions,
  checkProbability,
  rangeError,
  typeError,
} from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import {
  type ActivationFactory,
  Conv2dNormActivation,
  type NormLayerFactory,
  relu,
  SqueezeExcitation,
} from '../ops/misc';
import { makeDivisible } from './_utils';

type Layer = nn.Module & { forward(x: Tensor): Tensor };
const hardswish: ActivationFactory = (o) => new nn.Hardswish(o);

/** One block's settings, as in Tables 1 and 2 of the MobileNetV3 paper (channels already scaled by `widthMult`). */
export class InvertedResidualConfig {
  readonly inputChannels: number;
  readonly kernel: number;
  readonly expandedChannels: number;
  readonly outChannels: number;
  readonly useSe: boolean;
  /** Hardswish ('HS') rather than ReLU ('RE'). */
  readonly useHs: boolean;
  readonly stride: number;
  readonly dilation: number;

  constructor(
    inputChannels: number,
    kernel: number,
    expandedChannels: number,
    outChannels: number,
    useSe: boolean,
    activation: 'HS' | 'RE',
    stride: number,
    dilation: number,
    widthMult: number,
  ) {
    this.inputChannels = InvertedResidualConfig.adjustChannels(inputChannels, widthMult);
    this.kernel = checkInt(kernel, 'kernel', 1);
    this.expandedChannels = InvertedResidualConfig.adjustChannels(expandedChannels, widthMult);
    this.outChannels = InvertedResidualConfig.adjustChannels(outChannels, widthMult);
    this.useSe = checkBool(useSe, 'useSe');
    this.useHs = activation === 'HS';
    this.stride = checkInt(stride, 'stride');
    this.dilation = checkInt(dilation, 'dilation', 1);
  }

  /** `channels * widthMult` rounded to a multiple of 8. */
  static adjustChannels(channels: number, widthMult: number): number {
    return makeDivisible(channels * widthMult, 8);
  }
}

/** Builds the squeeze-and-excitation layer of a block (Python's `se_layer`). */
export type SELayer = (inputChannels: number, squeezeChannels: number) => Layer;

const hardsigmoidSE: SELayer = (i, s) => new SqueezeExcitation(i, s, { scaleActivation: () => new nn.Hardsigmoid() });

/** MobileNet V3's block, as section 5 of the paper describes it: expand, depthwise, squeeze-excite, project. */
export class InvertedResidual extends nn.Module {
  readonly use_res_connect: boolean;
  block: nn.Sequential;
  readonly out_channels: number;
  readonly _is_cn: boolean;

  constructor(cnf: InvertedResidualConfig, normLayer: NormLayerFactory, seLayer: SELayer = hardsigmoidSE) {
    super();
    if (!(cnf instanceof InvertedResidualConfig)) throw typeError('an InvertedResidualConfig', 'cnf', cnf);
    if (!(cnf.stride >= 1 && cnf.stride <= 2)) throw rangeError('a stride of 1 or 2', 'cnf.stride', cnf.stride);
    this.use_res_connect = cnf.stride === 1 && cnf.inputChannels === cnf.outChannels;

    const layers: nn.Module[] = [];
    const activationLayer = cnf.useHs ? hardswish : relu;

    // expand
    if (cnf.expandedChannels !== cnf.inputChannels) {
      layers.push(
        new Conv2dNormActivation(cnf.inputChannels, cnf.expandedChannels, {
          kernelSize: 1,
          normLayer,
          activationLayer,
        }),
      );
    }
    // depthwise
    const stride = cnf.dilation > 1 ? 1 : cnf.stride;
    layers.push(
      new Conv2dNormActivation(cnf.expandedChannels, cnf.expandedChannels, {
        kernelSize: cnf.kernel,
        stride,
        dilation: cnf.dilation,
        groups: cnf.expandedChannels,
        normLayer,
        activationLayer,
      }),
    );
    if (cnf.useSe) {
      const squeezeChannels = makeDivisible(Math.floor(cnf.expandedChannels / 4), 8);
      layers.push(seLayer(cnf.expandedChannels, squeezeChannels));
    }
    // project
    layers.push(
      new Conv2dNormActivation(cnf.expandedChannels, cnf.outChannels, {
        kernelSize: 1,
        normLayer,
        activationLayer: null,
      }),
    );
    this.block = new nn.Sequential(...layers);
    this.out_channels = cnf.outChannels;
    this._is_cn = cnf.stride > 1;
  }

  forward(input: Tensor): Tensor {
    const result = this.block.forward(input);
    if (this.use_res_connect) result.add_(input);
    return result;
  }
}

/** A block class taking MobileNet V3's block arguments. */
export type MobileNetV3Block = new (cnf: InvertedResidualConfig, normLayer: NormLayerFactory) => Layer;

/** MobileNetV3's optional arguments after the block settings and `lastChannel`, in torchvision's order. */
export interface MobileNetV3Options {
  /** Default 1000. */
  numClasses?: number;
  /** The block class (default InvertedResidual). */
  block?: MobileNetV3Block | null;
  /** The normalisation layer (default BatchNorm2d with eps 0.001 and momentum 0.01). */
  normLayer?: NormLayerFactory | null;
  /** Dropout of the classifier (default 0.2). */
  dropout?: number;
}

/**
 * MobileNet V3 from its block settings and the width of the penultimate layer.
 * Initialisation as torchvision: convolutions kaiming-normal (fan_out), zero biases,
 * BatchNorm 1 and 0, linear layers normal(0, 0.01) with zero bias.
 */
export class MobileNetV3 extends nn.Module {
  features: nn.Sequential;
  avgpool: nn.AdaptiveAvgPool2d;
  classifier: nn.Sequential;

  constructor(
    invertedResidualSetting: readonly InvertedResidualConfig[],
    lastChannel: number,
    ...args: WithOptions<
      [
        numClasses: number,
        block: MobileNetV3Options['block'],
        normLayer: MobileNetV3Options['normLayer'],
        dropout: number,
      ],
      MobileNetV3Options
    >
  ) {
    super();
    const o = bindArgs<MobileNetV3Options>(args, ['numClasses', 'block', 'normLayer', 'dropout'], 'MobileNetV3');
    if (!Array.isArray(invertedResidualSetting) || invertedResidualSetting.length === 0)
      throw typeError('a non-empty list of InvertedResidualConfig', 'invertedResidualSetting', invertedResidualSetting);
    if (!invertedResidualSetting.every((s) => s instanceof InvertedResidualConfig))
      throw typeError('a list of InvertedResidualConfig', 'invertedResidualSetting', invertedResidualSetting);
    checkInt(lastChannel, 'lastChannel', 1);
    const numClasses = checkInt(o.numClasses ?? 1000, 'numClasses', 1);
    const dropout = checkProbability(o.dropout ?? 0.2, 'dropout');
    const block = o.block ?? InvertedResidual;
    const normLayer: NormLayerFactory = o.normLayer ?? ((n) => new nn.BatchNorm2d(n, { eps: 0.001, momentum: 0.01 }));

    const layers: nn.Module[] = [];
    // building first layer
    const firstconvOutputChannels = invertedResidualSetting[0].inputChannels;
    layers.push(
      new Conv2dNormActivation(3, firstconvOutputChannels, {
        kernelSize: 3,
        stride: 2,
        normLayer,
        activationLayer: hardswish,
      }),
    );
    // building inverted residual blocks
    for (const cnf of invertedResidualSetting) layers.push(new block(cnf, normLayer));
    // building last several layers
    const lastconvInputChannels = invertedResidualSetting[invertedResidualSetting.length - 1].outChannels;
    const lastconvOutputChannels = 6 * lastconvInputChannels;
    layers.push(
      new Conv2dNormActivation(lastconvInputChannels, lastconvOutputChannels, {
        kernelSize: 1,
        normLayer,
        activationLayer: hardswish,
      }),
    );
    this.features = new nn.Sequential(...layers);
    this.avgpool = new nn.AdaptiveAvgPool2d(1);
    this.classifier = new nn.Sequential(
      new nn.Linear(lastconvOutputChannels, lastChannel),
      new nn.Hardswish({ inplace: true }),
      new nn.Dropout(dropout, { inplace: true }),
      new nn.Linear(lastChannel, numClasses),
    );

    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) {
        nn.init.kaimingNormal_(m.weight, { mode: 'fan_out' });
        if (m.bias) nn.init.zeros_(m.bias);
      } else if ((m instanceof nn.BatchNorm2d || m instanceof nn.GroupNorm) && m.weight && m.bias) {
        nn.init.ones_(m.weight);
        nn.init.zeros_(m.bias);
      } else if (m instanceof nn.Linear) {
        nn.init.normal_(m.weight, 0, 0.01);
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

/** The architecture options of the MobileNet V3 builders (torchvision's `_mobilenet_v3_conf` arguments). */
export interface MobileNetV3ConfOptions {
  /** Default 1. */
  widthMult?: number;
  /** Halve the channels of the last blocks (default false). */
  reducedTail?: boolean;
  /** Dilate the last blocks instead of striding (default false). */
  dilated?: boolean;
}

/** What `mobilenet_v3_large` and `mobilenet_v3_small` accept. */
export type MobileNetV3BuilderOptions = MobileNetV3Options & MobileNetV3ConfOptions;

/** The block settings and penultimate width of 'mobilenet_v3_large' or 'mobilenet_v3_small'. */
export function mobilenetV3Conf(
  arch: 'mobilenet_v3_large' | 'mobilenet_v3_small',
  options: MobileNetV3ConfOptions = {},
): [InvertedResidualConfig[], number] {
  const o = checkOptions<MobileNetV3ConfOptions>(options, 'options', ['widthMult', 'reducedTail', 'dilated']);
  const widthMult = checkNumber(o.widthMult ?? 1.0, 'widthMult');
  const reduceDivider = checkBool(o.reducedTail ?? false, 'reducedTail') ? 2 : 1;
  const dilation = checkBool(o.dilated ?? false, 'dilated') ? 2 : 1;
  const b = (
    i: number,
    k: number,
    e: number,
    out: number,
    se: boolean,
    act: 'HS' | 'RE',
    s: number,
    d: number,
  ): InvertedResidualConfig => new InvertedResidualConfig(i, k, e, out, se, act, s, d, widthMult);
  const r = (c: number) => Math.floor(c / reduceDivider);
  if (arch === 'mobilenet_v3_large') {
    const setting = [
      b(16, 3, 16, 16, false, 'RE', 1, 1),
      b(16, 3, 64, 24, false, 'RE', 2, 1), // C1
      b(24, 3, 72, 24, false, 'RE', 1, 1),
      b(24, 5, 72, 40, true, 'RE', 2, 1), // C2
      b(40, 5, 120, 40, true, 'RE', 1, 1),
      b(40, 5, 120, 40, true, 'RE', 1, 1),
      b(40, 3, 240, 80, false, 'HS', 2, 1), // C3
      b(80, 3, 200, 80, false, 'HS', 1, 1),
      b(80, 3, 184, 80, false, 'HS', 1, 1),
      b(80, 3, 184, 80, false, 'HS', 1, 1),
      b(80, 3, 480, 112, true, 'HS', 1, 1),
      b(112, 3, 672, 112, true, 'HS', 1, 1),
      b(112, 5, 672, r(160), true, 'HS', 2, dilation), // C4
      b(r(160), 5, r(960), r(160), true, 'HS', 1, dilation),
      b(r(160), 5, r(960), r(160), true, 'HS', 1, dilation),
    ];
    return [setting, InvertedResidualConfig.adjustChannels(r(1280), widthMult)]; // C5
  }
  if (arch === 'mobilenet_v3_small') {
    const setting = [
      b(16, 3, 16, 16, true, 'RE', 2, 1), // C1
      b(16, 3, 72, 24, false, 'RE', 2, 1), // C2
      b(24, 3, 88, 24, false, 'RE', 1, 1),
      b(24, 5, 96, 40, true, 'HS', 2, 1), // C3
      b(40, 5, 240, 40, true, 'HS', 1, 1),
      b(40, 5, 240, 40, true, 'HS', 1, 1),
      b(40, 5, 120, 48, true, 'HS', 1, 1),
      b(48, 5, 144, 48, true, 'HS', 1, 1),
      b(48, 5, 288, r(96), true, 'HS', 2, dilation), // C4
      b(r(96), 5, r(576), r(96), true, 'HS', 1, dilation),
      b(r(96), 5, r(576), r(96), true, 'HS', 1, dilation),
    ];
    return [setting, InvertedResidualConfig.adjustChannels(r(1024), widthMult)]; // C5
  }
  throw rangeError("'mobilenet_v3_large' or 'mobilenet_v3_small'", 'arch', arch);
}

function mobilenetV3(
  arch: 'mobilenet_v3_large' | 'mobilenet_v3_small',
  options: MobileNetV3BuilderOptions,
): MobileNetV3 {
  const { widthMult, reducedTail, dilated, ...rest } = checkOptions<MobileNetV3BuilderOptions>(options, 'options', [
    'numClasses',
    'block',
    'normLayer',
    'dropout',
    'widthMult',
    'reducedTail',
    'dilated',
  ]);
  const [setting, lastChannel] = mobilenetV3Conf(arch, { widthMult, reducedTail, dilated });
  return new MobileNetV3(setting, lastChannel, rest);
}

/** MobileNet V3 Large. */
export function mobilenet_v3_large(options: MobileNetV3BuilderOptions = {}): MobileNetV3 {
  return mobilenetV3('mobilenet_v3_large', options);
}
/** MobileNet V3 Small. */
export function mobilenet_v3_small(options: MobileNetV3BuilderOptions = {}): MobileNetV3 {
  return mobilenetV3('mobilenet_v3_small', options);
}
