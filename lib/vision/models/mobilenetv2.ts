/**
 * MobileNet V2, mirroring torchvision/models/mobilenetv2.py (MobileNetV2: Inverted Residuals
 * and Linear Bottlenecks, https://arxiv.org/abs/1801.04381): the same classes, names and
 * initialisation, so `stateDict()` keys are torchvision's.
 */
import * as nn from '../../nn/index';
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkInt, checkNumber, checkProbability, rangeError, typeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import { type ActivationFactory, Conv2dNormActivation, type NormLayerFactory } from '../ops/misc';
import { pyRound } from '../transforms/functional';
import { makeDivisible } from './_utils';

type Layer = nn.Module & { forward(x: Tensor): Tensor };
const relu6: ActivationFactory = (o) => new nn.ReLU6(o);
const batchNorm2d: NormLayerFactory = (c) => new nn.BatchNorm2d(c);

/** MobileNet V2's block: 1x1 expansion (unless `expandRatio` is 1), depthwise 3x3, linear 1x1 projection. */
export class InvertedResidual extends nn.Module {
  readonly stride: number;
  readonly use_res_connect: boolean;
  conv: nn.Sequential;
  readonly out_channels: number;
  readonly _is_cn: boolean;

  constructor(
    inp: number,
    oup: number,
    stride: number,
    expandRatio: number,
    normLayer: NormLayerFactory | null = null,
  ) {
    super();
    this.stride = stride;
    if (stride !== 1 && stride !== 2) throw rangeError('a stride of 1 or 2', 'stride', stride);
    const norm = normLayer ?? batchNorm2d;
    const hiddenDim = pyRound(inp * checkNumber(expandRatio, 'expandRatio'));
    this.use_res_connect = this.stride === 1 && inp === oup;

    const layers: nn.Module[] = [];
    if (expandRatio !== 1) {
      // pw
      layers.push(new Conv2dNormActivation(inp, hiddenDim, { kernelSize: 1, normLayer: norm, activationLayer: relu6 }));
    }
    layers.push(
      // dw
      new Conv2dNormActivation(hiddenDim, hiddenDim, {
        stride,
        groups: hiddenDim,
        normLayer: norm,
        activationLayer: relu6,
      }),
      // pw-linear
      new nn.Conv2d(hiddenDim, oup, 1, { stride: 1, padding: 0, bias: false }),
      norm(oup),
    );
    this.conv = new nn.Sequential(...layers);
    this.out_channels = oup;
    this._is_cn = stride > 1;
  }

  forward(x: Tensor): Tensor {
    if (this.use_res_connect) return x.add(this.conv.forward(x));
    return this.conv.forward(x);
  }
}

/** A block class taking MobileNet V2's block arguments. */
export type MobileNetV2Block = new (
  inp: number,
  oup: number,
  stride: number,
  expandRatio: number,
  normLayer: NormLayerFactory | null,
) => Layer;

/** MobileNetV2's arguments, in torchvision's order (each may also be given positionally). */
export interface MobileNetV2Options {
  /** Default 1000. */
  numClasses?: number;
  /** Width multiplier: adjusts the number of channels in each layer by this amount (default 1). */
  widthMult?: number;
  /** The network structure: [expansion t, channels c, repeats n, stride s] per stage. */
  invertedResidualSetting?: readonly (readonly [number, number, number, number])[] | null;
  /** Round the number of channels in each layer to a multiple of this (1 turns rounding off; default 8). */
  roundNearest?: number;
  /** The block class (default InvertedResidual). */
  block?: MobileNetV2Block | null;
  /** The normalisation layer (default BatchNorm2d). */
  normLayer?: NormLayerFactory | null;
  /** Dropout before the classifier (default 0.2). */
  dropout?: number;
}

const OPTIONS = [
  'numClasses',
  'widthMult',
  'invertedResidualSetting',
  'roundNearest',
  'block',
  'normLayer',
  'dropout',
] as const;

/**
 * MobileNet V2. Initialisation as torchvision: convolutions kaiming-normal (fan_out), zero
 * biases, BatchNorm 1 and 0, the classifier normal(0, 0.01) with zero bias.
 */
export class MobileNetV2 extends nn.Module {
  readonly last_channel: number;
  features: nn.Sequential;
  classifier: nn.Sequential;

  constructor(
    ...args: WithOptions<
      [
        numClasses: number,
        widthMult: number,
        invertedResidualSetting: MobileNetV2Options['invertedResidualSetting'],
        roundNearest: number,
        block: MobileNetV2Options['block'],
        normLayer: MobileNetV2Options['normLayer'],
        dropout: number,
      ],
      MobileNetV2Options
    >
  ) {
    super();
    const o = bindArgs<MobileNetV2Options>(args, OPTIONS, 'MobileNetV2');
    const numClasses = checkInt(o.numClasses ?? 1000, 'numClasses', 1);
    const widthMult = checkNumber(o.widthMult ?? 1.0, 'widthMult');
    const roundNearest = checkInt(o.roundNearest ?? 8, 'roundNearest', 1);
    const dropout = checkProbability(o.dropout ?? 0.2, 'dropout');
    const block = o.block ?? InvertedResidual;
    const normLayer = o.normLayer ?? batchNorm2d;
    let inputChannel = 32;
    const lastChannel = 1280;
    const setting = o.invertedResidualSetting ?? [
      // t, c, n, s
      [1, 16, 1, 1],
      [6, 24, 2, 2],
      [6, 32, 3, 2],
      [6, 64, 4, 2],
      [6, 96, 3, 1],
      [6, 160, 3, 2],
      [6, 320, 1, 1],
    ];
    // only check the first element, assuming user knows t,c,n,s are required
    if (!Array.isArray(setting) || setting.length === 0 || !Array.isArray(setting[0]) || setting[0].length !== 4) {
      throw typeError('a non-empty list of 4-element lists', 'invertedResidualSetting', setting);
    }

    // building first layer
    inputChannel = makeDivisible(inputChannel * widthMult, roundNearest);
    this.last_channel = makeDivisible(lastChannel * Math.max(1.0, widthMult), roundNearest);
    const features: nn.Module[] = [
      new Conv2dNormActivation(3, inputChannel, { stride: 2, normLayer, activationLayer: relu6 }),
    ];
    // building inverted residual blocks
    for (const [t, c, n, s] of setting) {
      const outputChannel = makeDivisible(c * widthMult, roundNearest);
      for (let i = 0; i < n; i++) {
        const stride = i === 0 ? s : 1;
        features.push(new block(inputChannel, outputChannel, stride, t, normLayer));
        inputChannel = outputChannel;
      }
    }
    // building last several layers
    features.push(
      new Conv2dNormActivation(inputChannel, this.last_channel, {
        kernelSize: 1,
        normLayer,
        activationLayer: relu6,
      }),
    );
    // make it nn.Sequential
    this.features = new nn.Sequential(...features);

    // building classifier
    this.classifier = new nn.Sequential(new nn.Dropout(dropout), new nn.Linear(this.last_channel, numClasses));

    // weight initialization
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
    // Cannot use "squeeze" as batch-size can be 1
    x = nn.functional.adaptiveAvgPool2d(x, [1, 1]);
    x = x.flatten(1);
    x = this.classifier.forward(x);
    return x;
  }
}

/** MobileNet V2 (torchvision's `mobilenet_v2`). */
export function mobilenet_v2(options: MobileNetV2Options = {}): MobileNetV2 {
  return new MobileNetV2(options);
}
