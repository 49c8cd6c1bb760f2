/**
 * The CIFAR-10 ResNets of He et al. (2015), section 4.2: a 3x3 convolution with 16 filters,
 * three stages of n basic blocks on 32x32, 16x16 and 8x8 maps with 16, 32 and 64 filters,
 * global average pooling and a fully connected layer; depth 6n + 2 (20, 32, 44, 56, 110).
 * Shortcuts are option A of the paper (identity, with zero padding for the extra channels
 * and stride-2 subsampling) by default, or option B (1x1 projection).
 */
import * as nn from '../../nn/index';
import * as F from '../../nn/functional';
import { checkInt, checkOptions, optionKeys, rangeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import { conv1x1, conv3x3 } from './resnet';

export type Shortcut = 'A' | 'B';

/** Option A shortcut: subsample by 2 and zero-pad the new channels (no parameters). */
class PadShortcut extends nn.Module {
  constructor(readonly extraChannels: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    const half = this.extraChannels / 2;
    return F.pad(x.index(':', ':', '::2', '::2'), [0, 0, 0, 0, Math.floor(half), Math.ceil(half)]);
  }
  override extraRepr(): string {
    return `pad_channels=${this.extraChannels}`;
  }
}

export class CifarBasicBlock extends nn.Module {
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  conv2: nn.Conv2d;
  bn2: nn.BatchNorm2d;
  relu: nn.ReLU;
  shortcut: (nn.Module & { forward(x: Tensor): Tensor }) | null;

  constructor(inPlanes: number, planes: number, stride: number, shortcut: Shortcut) {
    super();
    this.conv1 = conv3x3(inPlanes, planes, stride);
    this.bn1 = new nn.BatchNorm2d(planes);
    this.conv2 = conv3x3(planes, planes);
    this.bn2 = new nn.BatchNorm2d(planes);
    this.relu = new nn.ReLU({ inplace: true });
    this.shortcut = null;
    if (stride !== 1 || inPlanes !== planes) {
      this.shortcut =
        shortcut === 'A'
          ? new PadShortcut(planes - inPlanes)
          : new nn.Sequential(conv1x1(inPlanes, planes, stride), new nn.BatchNorm2d(planes));
    }
  }

  forward(x: Tensor): Tensor {
    let out = this.conv1.forward(x);
    out = this.bn1.forward(out);
    out = this.relu.forward(out);
    out = this.conv2.forward(out);
    out = this.bn2.forward(out);
    out.add_(this.shortcut !== null ? this.shortcut.forward(x) : x);
    return this.relu.forward(out);
  }
}

export interface CifarResNetOptions {
  numClasses?: number;
  /** Filters of the first stage (16 in the paper); later stages double it. */
  width?: number;
  /** Input channels (3 for CIFAR, 1 for MNIST). */
  inChannels?: number;
  shortcut?: Shortcut;
}

const CIFAR_RESNET_KEYS = optionKeys<CifarResNetOptions>({ numClasses: 1, width: 1, inChannels: 1, shortcut: 1 });

export class CifarResNet extends nn.Module {
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  relu: nn.ReLU;
  layer1: nn.Sequential;
  layer2: nn.Sequential;
  layer3: nn.Sequential;
  avgpool: nn.AdaptiveAvgPool2d;
  fc: nn.Linear;

  /** `depth` = 6n + 2. */
  constructor(depth: number, options: CifarResNetOptions = {}) {
    super();
    const o = checkOptions<CifarResNetOptions>(options, 'options', CIFAR_RESNET_KEYS);
    checkInt(depth, 'depth', 8);
    if ((depth - 2) % 6 !== 0) throw rangeError('a depth of the form 6n + 2 (8, 20, 32, 44, 56, 110)', 'depth', depth);
    const n = (depth - 2) / 6;
    const width = checkInt(o.width ?? 16, 'width', 1);
    const shortcut = o.shortcut ?? 'A';
    if (shortcut !== 'A' && shortcut !== 'B') throw rangeError("'A' or 'B'", 'shortcut', shortcut);
    this.conv1 = conv3x3(checkInt(o.inChannels ?? 3, 'inChannels', 1), width);
    this.bn1 = new nn.BatchNorm2d(width);
    this.relu = new nn.ReLU({ inplace: true });
    const stage = (inPlanes: number, planes: number, stride: number): nn.Sequential =>
      new nn.Sequential(
        ...Array.from(
          { length: n },
          (_, i) => new CifarBasicBlock(i === 0 ? inPlanes : planes, planes, i === 0 ? stride : 1, shortcut),
        ),
      );
    this.layer1 = stage(width, width, 1);
    this.layer2 = stage(width, 2 * width, 2);
    this.layer3 = stage(2 * width, 4 * width, 2);
    this.avgpool = new nn.AdaptiveAvgPool2d(1);
    this.fc = new nn.Linear(4 * width, checkInt(o.numClasses ?? 10, 'numClasses', 1));
    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) nn.init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
    }
  }

  forward(x: Tensor): Tensor {
    x = this.conv1.forward(x);
    x = this.bn1.forward(x);
    x = this.relu.forward(x);
    x = this.layer1.forward(x);
    x = this.layer2.forward(x);
    x = this.layer3.forward(x);
    x = this.avgpool.forward(x);
    x = x.flatten(1);
    return this.fc.forward(x);
  }
}

/** ResNet-20 for CIFAR (0.27M parameters). */
export function resnet20(options: CifarResNetOptions = {}): CifarResNet {
  return new CifarResNet(20, options);
}
export function resnet32(options: CifarResNetOptions = {}): CifarResNet {
  return new CifarResNet(32, options);
}
export function resnet44(options: CifarResNetOptions = {}): CifarResNet {
  return new CifarResNet(44, options);
}
export function resnet56(options: CifarResNetOptions = {}): CifarResNet {
  return new CifarResNet(56, options);
}
/** ResNet-110 for CIFAR (1.7M parameters). */
export function resnet110(options: CifarResNetOptions = {}): CifarResNet {
  return new CifarResNet(110, options);
}
