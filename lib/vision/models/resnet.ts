/**
 * ResNet, ResNeXt and Wide ResNet, mirroring torchvision/models/resnet.py: the same classes,
 * arguments, initialisation and attribute names, so `stateDict()` keys are torchvision's
 * and weights move between the two unchanged.
 */
import * as nn from '../../nn/index';
import { checkBool, checkInt, checkOptions, optionKeys, rangeError, TorchError, typeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';

/** Builds a normalisation layer for `numFeatures` channels (BatchNorm2d by default). */
export type NormLayer = (
  numFeatures: number,
) => nn.Module & { forward(x: Tensor): Tensor; weight?: nn.Parameter | null };

const batchNorm: NormLayer = (n) => new nn.BatchNorm2d(n);

/** 3x3 convolution with padding. */
export function conv3x3(inPlanes: number, outPlanes: number, stride = 1, groups = 1, dilation = 1): nn.Conv2d {
  return new nn.Conv2d(inPlanes, outPlanes, 3, { stride, padding: dilation, groups, bias: false, dilation });
}

/** 1x1 convolution. */
export function conv1x1(inPlanes: number, outPlanes: number, stride = 1): nn.Conv2d {
  return new nn.Conv2d(inPlanes, outPlanes, 1, { stride, bias: false });
}

/** The options every block takes, in torchvision's order after (inplanes, planes). */
export interface BlockOptions {
  stride?: number;
  downsample?: nn.Module | null;
  groups?: number;
  baseWidth?: number;
  dilation?: number;
  normLayer?: NormLayer;
}

const BLOCK_KEYS = optionKeys<BlockOptions>({
  stride: 1,
  downsample: 1,
  groups: 1,
  baseWidth: 1,
  dilation: 1,
  normLayer: 1,
});
const RESNET_KEYS = optionKeys<ResNetOptions>({
  numClasses: 1,
  zeroInitResidual: 1,
  groups: 1,
  widthPerGroup: 1,
  replaceStrideWithDilation: 1,
  normLayer: 1,
});

export interface Block extends nn.Module {
  forward(x: Tensor): Tensor;
}

/** A residual block class: its constructor and its channel expansion. */
export interface BlockType {
  new (inplanes: number, planes: number, options?: BlockOptions): Block;
  readonly expansion: number;
}

export class BasicBlock extends nn.Module implements Block {
  static readonly expansion = 1;
  conv1: nn.Conv2d;
  bn1: ReturnType<NormLayer>;
  relu: nn.ReLU;
  conv2: nn.Conv2d;
  bn2: ReturnType<NormLayer>;
  downsample: (nn.Module & { forward(x: Tensor): Tensor }) | null;
  readonly stride: number;

  constructor(inplanes: number, planes: number, options: BlockOptions = {}) {
    super();
    const o = checkOptions<BlockOptions>(options, `${new.target.name} options`, BLOCK_KEYS);
    const norm = o.normLayer ?? batchNorm;
    if ((o.groups ?? 1) !== 1 || (o.baseWidth ?? 64) !== 64) {
      throw rangeError('groups=1 and baseWidth=64 (BasicBlock only supports these)', 'options', {
        groups: o.groups,
        baseWidth: o.baseWidth,
      });
    }
    if ((o.dilation ?? 1) > 1) throw new TorchError('Dilation > 1 not supported in BasicBlock');
    this.stride = o.stride ?? 1;
    // Both self.conv1 and self.downsample layers downsample the input when stride != 1.
    this.conv1 = conv3x3(inplanes, planes, this.stride);
    this.bn1 = norm(planes);
    this.relu = new nn.ReLU({ inplace: true });
    this.conv2 = conv3x3(planes, planes);
    this.bn2 = norm(planes);
    this.downsample = (o.downsample ?? null) as BasicBlock['downsample'];
  }

  forward(x: Tensor): Tensor {
    let identity = x;

    let out = this.conv1.forward(x);
    out = this.bn1.forward(out);
    out = this.relu.forward(out);

    out = this.conv2.forward(out);
    out = this.bn2.forward(out);

    if (this.downsample !== null) identity = this.downsample.forward(x);

    out.add_(identity);
    out = this.relu.forward(out);

    return out;
  }
}

/**
 * Bottleneck in torchvision places the stride for downsampling at the 3x3 convolution
 * (ResNet V1.5), which improves accuracy over the original paper's placement.
 */
export class Bottleneck extends nn.Module implements Block {
  static readonly expansion = 4;
  conv1: nn.Conv2d;
  bn1: ReturnType<NormLayer>;
  conv2: nn.Conv2d;
  bn2: ReturnType<NormLayer>;
  conv3: nn.Conv2d;
  bn3: ReturnType<NormLayer>;
  relu: nn.ReLU;
  downsample: (nn.Module & { forward(x: Tensor): Tensor }) | null;
  readonly stride: number;

  constructor(inplanes: number, planes: number, options: BlockOptions = {}) {
    super();
    const o = checkOptions<BlockOptions>(options, `${new.target.name} options`, BLOCK_KEYS);
    const norm = o.normLayer ?? batchNorm;
    const groups = o.groups ?? 1;
    const width = Math.floor(planes * ((o.baseWidth ?? 64) / 64)) * groups;
    this.stride = o.stride ?? 1;
    // Both self.conv2 and self.downsample layers downsample the input when stride != 1.
    this.conv1 = conv1x1(inplanes, width);
    this.bn1 = norm(width);
    this.conv2 = conv3x3(width, width, this.stride, groups, o.dilation ?? 1);
    this.bn2 = norm(width);
    this.conv3 = conv1x1(width, planes * Bottleneck.expansion);
    this.bn3 = norm(planes * Bottleneck.expansion);
    this.relu = new nn.ReLU({ inplace: true });
    this.downsample = (o.downsample ?? null) as Bottleneck['downsample'];
  }

  forward(x: Tensor): Tensor {
    let identity = x;

    let out = this.conv1.forward(x);
    out = this.bn1.forward(out);
    out = this.relu.forward(out);

    out = this.conv2.forward(out);
    out = this.bn2.forward(out);
    out = this.relu.forward(out);

    out = this.conv3.forward(out);
    out = this.bn3.forward(out);

    if (this.downsample !== null) identity = this.downsample.forward(x);

    out.add_(identity);
    out = this.relu.forward(out);

    return out;
  }
}

export interface ResNetOptions {
  numClasses?: number;
  /** Zero-initialise the last BN of each residual branch, so each block starts as identity. */
  zeroInitResidual?: boolean;
  groups?: number;
  widthPerGroup?: number;
  /** For layer2..layer4: replace the 2x2 stride with a dilated convolution instead. */
  replaceStrideWithDilation?: [boolean, boolean, boolean];
  normLayer?: NormLayer;
}

export class ResNet extends nn.Module {
  conv1: nn.Conv2d;
  bn1: ReturnType<NormLayer>;
  relu: nn.ReLU;
  maxpool: nn.MaxPool2d;
  layer1: nn.Sequential;
  layer2: nn.Sequential;
  layer3: nn.Sequential;
  layer4: nn.Sequential;
  avgpool: nn.AdaptiveAvgPool2d;
  fc: nn.Linear;
  private inplanes = 64;
  private dilation = 1;
  private readonly groups: number;
  private readonly baseWidth: number;
  private readonly normLayer: NormLayer;

  constructor(block: BlockType, layers: [number, number, number, number], options: ResNetOptions = {}) {
    super();
    const o = checkOptions<ResNetOptions>(options, 'ResNet options', RESNET_KEYS);
    if (typeof block !== 'function' || typeof block.expansion !== 'number')
      throw typeError('a block class (BasicBlock or Bottleneck)', 'block', block);
    if (!Array.isArray(layers) || layers.length !== 4) throw typeError('4 block counts', 'layers', layers);
    layers.forEach((n, i) => {
      checkInt(n, `layers[${i}]`, 1);
    });
    const rswd = o.replaceStrideWithDilation ?? [false, false, false];
    if (!Array.isArray(rswd) || rswd.length !== 3) {
      throw typeError('a 3-element array of booleans', 'replaceStrideWithDilation', rswd);
    }
    rswd.forEach((d, i) => {
      checkBool(d, `replaceStrideWithDilation[${i}]`);
    });
    this.normLayer = o.normLayer ?? batchNorm;
    this.groups = checkInt(o.groups ?? 1, 'groups', 1);
    this.baseWidth = checkInt(o.widthPerGroup ?? 64, 'widthPerGroup', 1);
    const numClasses = checkInt(o.numClasses ?? 1000, 'numClasses', 1);

    this.conv1 = new nn.Conv2d(3, this.inplanes, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = this.normLayer(this.inplanes);
    this.relu = new nn.ReLU({ inplace: true });
    this.maxpool = new nn.MaxPool2d(3, { stride: 2, padding: 1 });
    this.layer1 = this.makeLayer(block, 64, layers[0]);
    this.layer2 = this.makeLayer(block, 128, layers[1], 2, rswd[0]);
    this.layer3 = this.makeLayer(block, 256, layers[2], 2, rswd[1]);
    this.layer4 = this.makeLayer(block, 512, layers[3], 2, rswd[2]);
    this.avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
    this.fc = new nn.Linear(512 * block.expansion, numClasses);

    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) {
        nn.init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      } else if (m instanceof nn.BatchNorm2d && m.weight && m.bias) {
        nn.init.constant_(m.weight, 1);
        nn.init.constant_(m.bias, 0);
      }
    }
    if (o.zeroInitResidual) {
      for (const m of this.modules()) {
        const last = m instanceof Bottleneck ? m.bn3 : m instanceof BasicBlock ? m.bn2 : null;
        if (last?.weight) nn.init.constant_(last.weight, 0);
      }
    }
  }

  private makeLayer(block: BlockType, planes: number, blocks: number, stride = 1, dilate = false): nn.Sequential {
    let downsample: nn.Sequential | null = null;
    const previousDilation = this.dilation;
    if (dilate) {
      this.dilation *= stride;
      stride = 1;
    }
    if (stride !== 1 || this.inplanes !== planes * block.expansion) {
      downsample = new nn.Sequential(
        conv1x1(this.inplanes, planes * block.expansion, stride),
        this.normLayer(planes * block.expansion),
      );
    }
    const common = { groups: this.groups, baseWidth: this.baseWidth, normLayer: this.normLayer };
    const layers: nn.Module[] = [
      new block(this.inplanes, planes, { stride, downsample, dilation: previousDilation, ...common }),
    ];
    this.inplanes = planes * block.expansion;
    for (let i = 1; i < blocks; i++)
      layers.push(new block(this.inplanes, planes, { dilation: this.dilation, ...common }));
    return new nn.Sequential(...layers);
  }

  forward(x: Tensor): Tensor {
    x = this.conv1.forward(x);
    x = this.bn1.forward(x);
    x = this.relu.forward(x);
    x = this.maxpool.forward(x);

    x = this.layer1.forward(x);
    x = this.layer2.forward(x);
    x = this.layer3.forward(x);
    x = this.layer4.forward(x);

    x = this.avgpool.forward(x);
    x = x.flatten(1);
    x = this.fc.forward(x);

    return x;
  }
}

function resnet(
  block: BlockType,
  layers: [number, number, number, number],
  options: ResNetOptions,
  fixed: ResNetOptions = {},
): ResNet {
  return new ResNet(block, layers, { ...checkOptions<ResNetOptions>(options, 'options', RESNET_KEYS), ...fixed });
}

/** ResNet-18 (Deep Residual Learning for Image Recognition). */
export function resnet18(options: ResNetOptions = {}): ResNet {
  return resnet(BasicBlock, [2, 2, 2, 2], options);
}
/** ResNet-34. */
export function resnet34(options: ResNetOptions = {}): ResNet {
  return resnet(BasicBlock, [3, 4, 6, 3], options);
}
/** ResNet-50. */
export function resnet50(options: ResNetOptions = {}): ResNet {
  return resnet(Bottleneck, [3, 4, 6, 3], options);
}
/** ResNet-101. */
export function resnet101(options: ResNetOptions = {}): ResNet {
  return resnet(Bottleneck, [3, 4, 23, 3], options);
}
/** ResNet-152. */
export function resnet152(options: ResNetOptions = {}): ResNet {
  return resnet(Bottleneck, [3, 8, 36, 3], options);
}
/** ResNeXt-50 32x4d (Aggregated Residual Transformations for Deep Neural Networks). */
export function resnext50_32x4d(options: ResNetOptions = {}): ResNet {
  return resnet(Bottleneck, [3, 4, 6, 3], options, { groups: 32, widthPerGroup: 4 });
}
/** ResNeXt-101 32x8d. */
export function resnext101_32x8d(options: ResNetOptions = {}): ResNet {
  return resnet(Bottleneck, [3, 4, 23, 3], options, { groups: 32, widthPerGroup: 8 });
}
/** ResNeXt-101 64x4d. */
export function resnext101_64x4d(options: ResNetOptions = {}): ResNet {
  return resnet(Bottleneck, [3, 4, 23, 3], options, { groups: 64, widthPerGroup: 4 });
}
/** Wide ResNet-50-2: the bottleneck is twice as wide (Wide Residual Networks). */
export function wide_resnet50_2(options: ResNetOptions = {}): ResNet {
  return resnet(Bottleneck, [3, 4, 6, 3], options, { widthPerGroup: 64 * 2 });
}
/** Wide ResNet-101-2. */
export function wide_resnet101_2(options: ResNetOptions = {}): ResNet {
  return resnet(Bottleneck, [3, 4, 23, 3], options, { widthPerGroup: 64 * 2 });
}
