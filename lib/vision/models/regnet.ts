/**
 * RegNet X and Y, mirroring torchvision/models/regnet.py (Designing Network Design Spaces,
 * https://arxiv.org/abs/2003.13678): the same classes, block-width computation (in float32
 * tensors, as torchvision computes it), names and initialisation, so `stateDict()` keys are
 * torchvision's (`trunk_output.block1.block1-0.f.a.0.weight`).
 */
import * as nn from '../../nn/index';
import { bindArgs, type WithOptions } from '../../torch/args';
import { arange } from '../../torch/creation';
import { checkInt, checkNumber, checkOptions, TorchError } from '../../torch/errors';
import { pow } from '../../torch/generated/functions';
import type { Tensor } from '../../torch/tensor';
import { tidy } from '../../torch/memory';
import {
  type ActivationFactory,
  Conv2dNormActivation,
  type NormLayerFactory,
  relu,
  SqueezeExcitation,
} from '../ops/misc';
import { pyRound } from '../transforms/functional';
import { makeDivisible } from './_utils';

type Layer = nn.Module & { forward(x: Tensor): Tensor };
const batchNorm2d: NormLayerFactory = (c) => new nn.BatchNorm2d(c);

/** Simple stem for ImageNet: 3x3, BN, ReLU. */
export class SimpleStemIN extends Conv2dNormActivation {
  constructor(widthIn: number, widthOut: number, normLayer: NormLayerFactory, activationLayer: ActivationFactory) {
    super(widthIn, widthOut, { kernelSize: 3, stride: 2, normLayer, activationLayer });
  }
}

/** Bottleneck transformation: 1x1, 3x3 [+SE], 1x1 (submodules `a`, `b`, `se`, `c`). */
export class BottleneckTransform extends nn.Sequential {
  constructor(
    widthIn: number,
    widthOut: number,
    stride: number,
    normLayer: NormLayerFactory,
    activationLayer: ActivationFactory,
    groupWidth: number,
    bottleneckMultiplier: number,
    seRatio: number | null,
  ) {
    super();
    const wB = pyRound(widthOut * bottleneckMultiplier);
    const g = Math.floor(wB / groupWidth);
    this.registerModule(
      'a',
      new Conv2dNormActivation(widthIn, wB, { kernelSize: 1, stride: 1, normLayer, activationLayer }),
    );
    this.registerModule(
      'b',
      new Conv2dNormActivation(wB, wB, { kernelSize: 3, stride, groups: g, normLayer, activationLayer }),
    );
    if (seRatio) {
      // The SE reduction ratio is defined with respect to the
      // beginning of the block
      const widthSeOut = pyRound(seRatio * widthIn);
      this.registerModule('se', new SqueezeExcitation(wB, widthSeOut, { activation: () => activationLayer({}) }));
    }
    this.registerModule(
      'c',
      new Conv2dNormActivation(wB, widthOut, { kernelSize: 1, stride: 1, normLayer, activationLayer: null }),
    );
  }
}

/** Residual bottleneck block: x + F(x), F = bottleneck transform (with a 1x1 projection when the shape changes). */
export class ResBottleneckBlock extends nn.Module {
  proj: Conv2dNormActivation | null;
  f: BottleneckTransform;
  activation: Layer;

  constructor(
    widthIn: number,
    widthOut: number,
    stride: number,
    normLayer: NormLayerFactory,
    activationLayer: ActivationFactory,
    groupWidth = 1,
    bottleneckMultiplier = 1.0,
    seRatio: number | null = null,
  ) {
    super();
    // Use skip connection with projection if shape changes
    this.proj = null;
    const shouldProj = widthIn !== widthOut || stride !== 1;
    if (shouldProj) {
      this.proj = new Conv2dNormActivation(widthIn, widthOut, {
        kernelSize: 1,
        stride,
        normLayer,
        activationLayer: null,
      });
    }
    this.f = new BottleneckTransform(
      widthIn,
      widthOut,
      stride,
      normLayer,
      activationLayer,
      groupWidth,
      bottleneckMultiplier,
      seRatio,
    );
    this.activation = activationLayer({ inplace: true }) as Layer;
  }

  forward(x: Tensor): Tensor {
    if (this.proj !== null) x = this.proj.forward(x).add(this.f.forward(x));
    else x = x.add(this.f.forward(x));
    return this.activation.forward(x);
  }
}

/** A RegNet block class, with ResBottleneckBlock's arguments. */
export type RegNetBlock = new (
  widthIn: number,
  widthOut: number,
  stride: number,
  normLayer: NormLayerFactory,
  activationLayer: ActivationFactory,
  groupWidth: number,
  bottleneckMultiplier: number,
  seRatio: number | null,
) => Layer;

/** AnyNet stage (sequence of blocks w/ the same output shape), blocks named `block<stage>-<i>`. */
export class AnyStage extends nn.Sequential {
  constructor(
    widthIn: number,
    widthOut: number,
    stride: number,
    depth: number,
    blockConstructor: RegNetBlock,
    normLayer: NormLayerFactory,
    activationLayer: ActivationFactory,
    groupWidth: number,
    bottleneckMultiplier: number,
    seRatio: number | null = null,
    stageIndex = 0,
  ) {
    super();
    for (let i = 0; i < depth; i++) {
      const block = new blockConstructor(
        i === 0 ? widthIn : widthOut,
        widthOut,
        i === 0 ? stride : 1,
        normLayer,
        activationLayer,
        groupWidth,
        bottleneckMultiplier,
        seRatio,
      );
      this.registerModule(`block${stageIndex}-${i}`, block);
    }
  }
}

/** RegNet's quantized linear parameters (torchvision's `from_init_params` arguments). */
export interface BlockParamsInit {
  depth: number;
  w_0: number;
  w_a: number;
  w_m: number;
  groupWidth: number;
  /** Default 1. */
  bottleneckMultiplier?: number;
  /** Squeeze-and-excitation ratio (RegNet Y); default none (RegNet X). */
  seRatio?: number | null;
}

/** The per-stage settings of a RegNet. */
export class BlockParams {
  constructor(
    readonly depths: number[],
    readonly widths: number[],
    readonly groupWidths: number[],
    readonly bottleneckMultipliers: number[],
    readonly strides: number[],
    readonly seRatio: number | null = null,
  ) {}

  /**
   * Programmatically computes all the per-block settings from the RegNet parameters: block
   * widths `w_0 * w_m^round(log((w_0 + i * w_a) / w_0) / log(w_m))` quantized to multiples of
   * 8 (in float32, as torchvision), grouped into stages of equal width.
   */
  static fromInitParams(init: BlockParamsInit): BlockParams {
    const o = checkOptions<BlockParamsInit>(init, 'init', [
      'depth',
      'w_0',
      'w_a',
      'w_m',
      'groupWidth',
      'bottleneckMultiplier',
      'seRatio',
    ]);
    const QUANT = 8;
    const STRIDE = 2;
    const depth = checkInt(o.depth, 'depth', 1);
    const w0 = checkNumber(o.w_0, 'w_0');
    const wA = checkNumber(o.w_a, 'w_a');
    const wM = checkNumber(o.w_m, 'w_m');
    const groupWidth = checkInt(o.groupWidth, 'groupWidth', 1);
    const bottleneckMultiplier = checkNumber(o.bottleneckMultiplier ?? 1.0, 'bottleneckMultiplier');
    if (wA < 0 || w0 <= 0 || wM <= 1 || w0 % 8 !== 0) throw new TorchError('Invalid RegNet settings');

    // Compute the block widths. Each stage has one unique block width
    const blockWidths = tidy(() => {
      const widthsCont = arange(depth).mul(wA).add(w0);
      const blockCapacity = widthsCont.div(w0).log().div(Math.log(wM)).round();
      return pow(wM, blockCapacity).mul(w0).div(QUANT).round().mul(QUANT).int().toArray() as number[];
    });
    const numStages = new Set(blockWidths).size;

    // Convert to per stage parameters
    const a = [...blockWidths, 0];
    const b = [0, ...blockWidths];
    const splits = a.map((w, i) => w !== b[i]);
    const stageWidths = blockWidths.filter((_, i) => splits[i]);
    const splitAt = splits.flatMap((t, d) => (t ? [d] : []));
    const stageDepths = splitAt.slice(1).map((d, i) => d - splitAt[i]);

    const strides = new Array<number>(numStages).fill(STRIDE);
    const bottleneckMultipliers = new Array<number>(numStages).fill(bottleneckMultiplier);
    const groupWidths = new Array<number>(numStages).fill(groupWidth);

    // Adjust the compatibility of stage widths and group widths
    const [widths, groups] = BlockParams.adjustWidthsGroupsCompatibility(
      stageWidths,
      bottleneckMultipliers,
      groupWidths,
    );
    return new BlockParams(stageDepths, widths, groups, bottleneckMultipliers, strides, o.seRatio ?? null);
  }

  /** Adjusts the compatibility of widths and groups, depending on the bottleneck ratio. */
  static adjustWidthsGroupsCompatibility(
    stageWidths: number[],
    bottleneckRatios: number[],
    groupWidths: number[],
  ): [number[], number[]] {
    // Compute all widths for the current settings
    const widths = stageWidths.map((w, i) => Math.trunc(w * bottleneckRatios[i]));
    const groupWidthsMin = groupWidths.map((g, i) => Math.min(g, widths[i]));
    // Compute the adjusted widths so that stage and group widths fit
    const wsBot = widths.map((wBot, i) => makeDivisible(wBot, groupWidthsMin[i]));
    return [wsBot.map((wBot, i) => Math.trunc(wBot / bottleneckRatios[i])), groupWidthsMin];
  }

  /** [width, stride, depth, group width, bottleneck multiplier] of each stage. */
  expandedParams(): [number, number, number, number, number][] {
    return this.widths.map((w, i) => [
      w,
      this.strides[i],
      this.depths[i],
      this.groupWidths[i],
      this.bottleneckMultipliers[i],
    ]);
  }
}

/** RegNet's optional arguments after `blockParams`, in torchvision's order. */
export interface RegNetOptions {
  /** Default 1000. */
  numClasses?: number;
  /** Default 32. */
  stemWidth?: number;
  /** The stem class (default SimpleStemIN). */
  stemType?: new (
    widthIn: number,
    widthOut: number,
    normLayer: NormLayerFactory,
    activationLayer: ActivationFactory,
  ) => Layer;
  /** The block class (default ResBottleneckBlock). */
  blockType?: RegNetBlock;
  /** Default nn.BatchNorm2d. */
  normLayer?: NormLayerFactory;
  /** Default nn.ReLU. */
  activation?: ActivationFactory;
}

/**
 * RegNet: `stem`, `trunk_output` (one AnyStage per stage), average pooling, `fc`. ResNet-style
 * initialisation as torchvision: convolutions normal(0, sqrt(2 / fan_out)), BatchNorm 1 and 0,
 * `fc` normal(0, 0.01) with zero bias.
 */
export class RegNet extends nn.Module {
  stem: Layer;
  trunk_output: nn.Sequential;
  avgpool: nn.AdaptiveAvgPool2d;
  fc: nn.Linear;

  constructor(
    blockParams: BlockParams,
    ...args: WithOptions<
      [
        numClasses: number,
        stemWidth: number,
        stemType: NonNullable<RegNetOptions['stemType']>,
        blockType: RegNetBlock,
        normLayer: NormLayerFactory,
        activation: ActivationFactory,
      ],
      RegNetOptions
    >
  ) {
    super();
    const o = bindArgs<RegNetOptions>(
      args,
      ['numClasses', 'stemWidth', 'stemType', 'blockType', 'normLayer', 'activation'],
      'RegNet',
    );
    if (!(blockParams instanceof BlockParams))
      throw new TypeError(`Expected a BlockParams for blockParams but received ${String(blockParams)}`);
    const numClasses = checkInt(o.numClasses ?? 1000, 'numClasses', 1);
    const stemWidth = checkInt(o.stemWidth ?? 32, 'stemWidth', 1);
    const stemType = o.stemType ?? SimpleStemIN;
    const normLayer = o.normLayer ?? batchNorm2d;
    const blockType = o.blockType ?? ResBottleneckBlock;
    const activation = o.activation ?? relu;

    // Ad hoc stem
    this.stem = new stemType(3, stemWidth, normLayer, activation);

    let currentWidth = stemWidth;
    this.trunk_output = new nn.Sequential();
    blockParams.expandedParams().forEach(([widthOut, stride, depth, groupWidth, bottleneckMultiplier], i) => {
      this.trunk_output.registerModule(
        `block${i + 1}`,
        new AnyStage(
          currentWidth,
          widthOut,
          stride,
          depth,
          blockType,
          normLayer,
          activation,
          groupWidth,
          bottleneckMultiplier,
          blockParams.seRatio,
          i + 1,
        ),
      );
      currentWidth = widthOut;
    });

    this.avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
    this.fc = new nn.Linear(currentWidth, numClasses);

    // Performs ResNet-style weight initialization
    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) {
        // Note that there is no bias due to BN
        const fanOut = m.kernelSize[0] * m.kernelSize[1] * m.outChannels;
        nn.init.normal_(m.weight, 0.0, Math.sqrt(2.0 / fanOut));
      } else if (m instanceof nn.BatchNorm2d && m.weight && m.bias) {
        nn.init.ones_(m.weight);
        nn.init.zeros_(m.bias);
      } else if (m instanceof nn.Linear) {
        nn.init.normal_(m.weight, 0.0, 0.01);
        if (m.bias) nn.init.zeros_(m.bias);
      }
    }
  }

  forward(x: Tensor): Tensor {
    x = this.stem.forward(x);
    x = this.trunk_output.forward(x);
    x = this.avgpool.forward(x);
    x = x.flatten(1);
    x = this.fc.forward(x);
    return x;
  }
}

/** What the RegNet builders accept. */
export type RegNetBuilderOptions = RegNetOptions;

function regnet(init: BlockParamsInit, options: RegNetBuilderOptions): RegNet {
  return new RegNet(BlockParams.fromInitParams(init), options);
}

/** RegNetY-400MF. */
export function regnet_y_400mf(options: RegNetBuilderOptions = {}): RegNet {
  return regnet({ depth: 16, w_0: 48, w_a: 27.89, w_m: 2.09, groupWidth: 8, seRatio: 0.25 }, options);
}
/** RegNetY-800MF. */
export function regnet_y_800mf(options: RegNetBuilderOptions = {}): RegNet {
  return regnet({ depth: 14, w_0: 56, w_a: 38.84, w_m: 2.4, groupWidth: 16, seRatio: 0.25 }, options);
}
/** RegNetY-1.6GF. */
export function regnet_y_1_6gf(options: RegNetBuilderOptions = {}): RegNet {
  return regnet({ depth: 27, w_0: 48, w_a: 20.71, w_m: 2.65, groupWidth: 24, seRatio: 0.25 }, options);
}
/** RegNetY-3.2GF. */
export function regnet_y_3_2gf(options: RegNetBuilderOptions = {}): RegNet {
  return regnet({ depth: 21, w_0: 80, w_a: 42.63, w_m: 2.66, groupWidth: 24, seRatio: 0.25 }, options);
}
/** RegNetY-8GF. */
export function regnet_y_8gf(options: RegNetBuilderOptions = {}): RegNet {
  return regnet({ depth: 17, w_0: 192, w_a: 76.82, w_m: 2.19, groupWidth: 56, seRatio: 0.25 }, options);
}
/** RegNetY-16GF. */
export function regnet_y_16gf(options: RegNetBuilderOptions = {}): RegNet {
  return regnet({ depth: 18, w_0: 200, w_a: 106.23, w_m: 2.48, groupWidth: 112, seRatio: 0.25 }, options);
}
/** RegNetY-32GF. */
export function regnet_y_32gf(options: RegNetBuilderOptions = {}): RegNet {
  return regnet({ depth: 20, w_0: 232, w_a: 115.89, w_m: 2.53, groupWidth: 232, seRatio: 0.25 }, options);
}
/** RegNetY-128GF. */
export function regnet_y_128gf(options: RegNetBuilderOptions = {}): RegNet {
  return regnet({ depth: 27, w_0: 456, w_a: 160.83, w_m: 2.52, groupWidth: 264, seRatio: 0.25 }, options);
}
/** RegNetX-400MF. */
export function regnet_x_400mf(options: RegNetBuilderOptions = {}): RegNet {
  return regnet({ depth: 22, w_0: 24, w_a: 24.48, w_m: 2.54, groupWidth: 16 }, options);
}
/** RegNetX-800MF. */
export function regnet_x_800mf(options: RegNetBuilderOptions = {}): RegNet {
  return regnet({ depth: 16, w_0: 56, w_a: 35.73, w_m: 2.28, groupWidth: 16 }, options);
}
/** RegNetX-1.6GF. */
export function regnet_x_1_6gf(options: RegNetBuilderOptions = {}): RegNet {
  return regnet({ depth: 18, w_0: 80, w_a: 34.01, w_m: 2.25, groupWidth: 24 }, options);
}
/** RegNetX-3.2GF. */
export function regnet_x_3_2gf(options: RegNetBuilderOptions = {}): RegNet {
  return regnet({ depth: 25, w_0: 88, w_a: 26.31, w_m: 2.25, groupWidth: 48 }, options);
}
/** RegNetX-8GF. */
export function regnet_x_8gf(options: RegNetBuilderOptions = {}): RegNet {
  return regnet({ depth: 23, w_0: 80, w_a: 49.56, w_m: 2.88, groupWidth: 120 }, options);
}
/** RegNetX-16GF. */
export function regnet_x_16gf(options: RegNetBuilderOptions = {}): RegNet {
  return regnet({ depth: 22, w_0: 216, w_a: 55.59, w_m: 2.1, groupWidth: 128 }, options);
}
/** RegNetX-32GF. */
export function regnet_x_32gf(options: RegNetBuilderOptions = {}): RegNet {
  return regnet({ depth: 23, w_0: 320, w_a: 69.86, w_m: 2.0, groupWidth: 168 }, options);
}
