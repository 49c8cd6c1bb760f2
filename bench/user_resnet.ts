/**
 * A ResNet written the way a PyTorch user writes one (torchvision's resnet.py, by hand): its
 * own nn.Module subclasses, plain forwards that rebind `out`, nothing freed by hand, only the
 * public API. bench/memory.ts and test/memory_scopes.test.ts use it to show that code like this
 * is as lean and as fast as the library's own models.
 */
import { nn, type Tensor, torch } from '../lib/index';

function conv3x3(inPlanes: number, outPlanes: number, stride = 1): nn.Conv2d {
  return new nn.Conv2d(inPlanes, outPlanes, 3, { stride, padding: 1, bias: false });
}

function conv1x1(inPlanes: number, outPlanes: number, stride = 1): nn.Conv2d {
  return new nn.Conv2d(inPlanes, outPlanes, 1, { stride, bias: false });
}

class BasicBlock extends nn.Module {
  static expansion = 1;
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  relu = new nn.ReLU({ inplace: true });
  conv2: nn.Conv2d;
  bn2: nn.BatchNorm2d;

  constructor(
    inplanes: number,
    planes: number,
    readonly stride = 1,
    public downsample: nn.Module | null = null,
  ) {
    super();
    this.conv1 = conv3x3(inplanes, planes, stride);
    this.bn1 = new nn.BatchNorm2d(planes);
    this.conv2 = conv3x3(planes, planes);
    this.bn2 = new nn.BatchNorm2d(planes);
  }

  forward(x: Tensor): Tensor {
    let identity = x;

    let out = this.conv1.forward(x);
    out = this.bn1.forward(out);
    out = this.relu.forward(out);

    out = this.conv2.forward(out);
    out = this.bn2.forward(out);

    if (this.downsample !== null) identity = (this.downsample as nn.Sequential).forward(x);

    out = out.add(identity);
    out = this.relu.forward(out);
    return out;
  }
}

class Bottleneck extends nn.Module {
  static expansion = 4;
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  conv2: nn.Conv2d;
  bn2: nn.BatchNorm2d;
  conv3: nn.Conv2d;
  bn3: nn.BatchNorm2d;
  relu = new nn.ReLU({ inplace: true });

  constructor(
    inplanes: number,
    planes: number,
    readonly stride = 1,
    public downsample: nn.Module | null = null,
  ) {
    super();
    this.conv1 = conv1x1(inplanes, planes);
    this.bn1 = new nn.BatchNorm2d(planes);
    this.conv2 = conv3x3(planes, planes, stride);
    this.bn2 = new nn.BatchNorm2d(planes);
    this.conv3 = conv1x1(planes, planes * Bottleneck.expansion);
    this.bn3 = new nn.BatchNorm2d(planes * Bottleneck.expansion);
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

    if (this.downsample !== null) identity = (this.downsample as nn.Sequential).forward(x);

    out = out.add(identity);
    out = this.relu.forward(out);
    return out;
  }
}

type Block = typeof BasicBlock | typeof Bottleneck;

/** torchvision's ResNet, written from scratch: same layers, same forward. */
export class UserResNet extends nn.Module {
  inplanes = 64;
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  relu = new nn.ReLU({ inplace: true });
  maxpool = new nn.MaxPool2d(3, { stride: 2, padding: 1 });
  layer1: nn.Sequential;
  layer2: nn.Sequential;
  layer3: nn.Sequential;
  layer4: nn.Sequential;
  avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
  fc: nn.Linear;

  constructor(block: Block, layers: number[], numClasses = 1000) {
    super();
    this.conv1 = new nn.Conv2d(3, this.inplanes, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = new nn.BatchNorm2d(this.inplanes);
    this.layer1 = this.makeLayer(block, 64, layers[0]);
    this.layer2 = this.makeLayer(block, 128, layers[1], 2);
    this.layer3 = this.makeLayer(block, 256, layers[2], 2);
    this.layer4 = this.makeLayer(block, 512, layers[3], 2);
    this.fc = new nn.Linear(512 * block.expansion, numClasses);
  }

  private makeLayer(block: Block, planes: number, blocks: number, stride = 1): nn.Sequential {
    let downsample: nn.Sequential | null = null;
    if (stride !== 1 || this.inplanes !== planes * block.expansion) {
      downsample = new nn.Sequential(
        conv1x1(this.inplanes, planes * block.expansion, stride),
        new nn.BatchNorm2d(planes * block.expansion),
      );
    }
    const layers: nn.Module[] = [new block(this.inplanes, planes, stride, downsample)];
    this.inplanes = planes * block.expansion;
    for (let i = 1; i < blocks; i++) layers.push(new block(this.inplanes, planes));
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
    x = torch.flatten(x, 1);
    x = this.fc.forward(x);
    return x;
  }
}

export const userResnet18 = (numClasses = 1000): UserResNet => new UserResNet(BasicBlock, [2, 2, 2, 2], numClasses);
export const userResnet50 = (numClasses = 1000): UserResNet => new UserResNet(Bottleneck, [3, 4, 6, 3], numClasses);
