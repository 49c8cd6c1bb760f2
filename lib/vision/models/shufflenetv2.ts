/**
 * ShuffleNet V2, mirroring torchvision/models/shufflenetv2.py (ShuffleNet V2: Practical
 * Guidelines for Efficient CNN Architecture Design, https://arxiv.org/abs/1807.11164): the
 * same classes, names and PyTorch-default initialisation, so `stateDict()` keys are torchvision's.
 */
import * as nn from '../../nn/index';
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkInt, checkOptions, rangeError, typeError } from '../../torch/errors';
import { cat } from '../../torch/functions';
import type { Tensor } from '../../torch/tensor';

/** Interleaves the channels of `groups` groups: [N, g*c, H, W] viewed [N, g, c, H, W], transposed, flattened back. */
export function channelShuffle(x: Tensor, groups: number): Tensor {
  const [batchsize, numChannels, height, width] = x.shape;
  const channelsPerGroup = Math.floor(numChannels / groups);
  // reshape
  x = x.view(batchsize, groups, channelsPerGroup, height, width);
  x = x.transpose(1, 2).contiguous();
  // flatten
  x = x.view(batchsize, -1, height, width);
  return x;
}

/** ShuffleNet V2's unit: channel split (stride 1) or two downsampling branches (stride 2), concatenated and shuffled. */
export class InvertedResidual extends nn.Module {
  readonly stride: number;
  branch1: nn.Sequential;
  branch2: nn.Sequential;

  constructor(inp: number, oup: number, stride: number) {
    super();
    if (!(stride >= 1 && stride <= 3)) throw rangeError('a stride of 1, 2 or 3', 'stride', stride);
    this.stride = checkInt(stride, 'stride');
    const branchFeatures = Math.floor(oup / 2);
    if (this.stride === 1 && inp !== branchFeatures << 1) {
      throw rangeError(
        `Invalid combination of stride ${stride}, inp ${inp} and oup ${oup} values. If stride == 1 then inp should be equal to oup // 2 << 1.`,
        'inp',
        inp,
      );
    }
    if (this.stride > 1) {
      this.branch1 = new nn.Sequential(
        InvertedResidual.depthwiseConv(inp, inp, 3, this.stride, 1),
        new nn.BatchNorm2d(inp),
        new nn.Conv2d(inp, branchFeatures, 1, { stride: 1, padding: 0, bias: false }),
        new nn.BatchNorm2d(branchFeatures),
        new nn.ReLU({ inplace: true }),
      );
    } else {
      this.branch1 = new nn.Sequential();
    }
    this.branch2 = new nn.Sequential(
      new nn.Conv2d(this.stride > 1 ? inp : branchFeatures, branchFeatures, 1, { stride: 1, padding: 0, bias: false }),
      new nn.BatchNorm2d(branchFeatures),
      new nn.ReLU({ inplace: true }),
      InvertedResidual.depthwiseConv(branchFeatures, branchFeatures, 3, this.stride, 1),
      new nn.BatchNorm2d(branchFeatures),
      new nn.Conv2d(branchFeatures, branchFeatures, 1, { stride: 1, padding: 0, bias: false }),
      new nn.BatchNorm2d(branchFeatures),
      new nn.ReLU({ inplace: true }),
    );
  }

  /** A depthwise convolution (groups = input channels). */
  static depthwiseConv(i: number, o: number, kernelSize: number, stride = 1, padding = 0, bias = false): nn.Conv2d {
    return new nn.Conv2d(i, o, kernelSize, { stride, padding, bias, groups: i });
  }

  forward(x: Tensor): Tensor {
    let out: Tensor;
    if (this.stride === 1) {
      const [x1, x2] = x.chunk(2, 1);
      out = cat([x1, this.branch2.forward(x2)], 1);
    } else {
      out = cat([this.branch1.forward(x), this.branch2.forward(x)], 1);
    }
    out = channelShuffle(out, 2);
    return out;
  }
}

/** ShuffleNetV2's optional arguments after the stage settings (torchvision's order: `num_classes`, `inverted_residual`). */
export interface ShuffleNetV2Options {
  /** Default 1000. */
  numClasses?: number;
  /** The unit class (default InvertedResidual). */
  invertedResidual?: new (
    inp: number,
    oup: number,
    stride: number,
  ) => nn.Module & { forward(x: Tensor): Tensor };
}

/** ShuffleNet V2: `conv1`, `maxpool`, `stage2`-`stage4`, `conv5`, global average pooling, `fc`. */
export class ShuffleNetV2 extends nn.Module {
  private readonly stageOutChannels: number[];
  conv1: nn.Sequential;
  maxpool: nn.MaxPool2d;
  stage2!: nn.Sequential;
  stage3!: nn.Sequential;
  stage4!: nn.Sequential;
  conv5: nn.Sequential;
  fc: nn.Linear;

  constructor(
    stagesRepeats: readonly number[],
    stagesOutChannels: readonly number[],
    ...args: WithOptions<
      [numClasses: number, invertedResidual: NonNullable<ShuffleNetV2Options['invertedResidual']>],
      ShuffleNetV2Options
    >
  ) {
    super();
    const o = bindArgs<ShuffleNetV2Options>(args, ['numClasses', 'invertedResidual'], 'ShuffleNetV2');
    if (!Array.isArray(stagesRepeats) || stagesRepeats.length !== 3)
      throw typeError('a list of 3 positive ints', 'stagesRepeats', stagesRepeats);
    if (!Array.isArray(stagesOutChannels) || stagesOutChannels.length !== 5)
      throw typeError('a list of 5 positive ints', 'stagesOutChannels', stagesOutChannels);
    stagesRepeats.forEach((n, i) => {
      checkInt(n, `stagesRepeats[${i}]`, 1);
    });
    stagesOutChannels.forEach((n, i) => {
      checkInt(n, `stagesOutChannels[${i}]`, 1);
    });
    const numClasses = checkInt(o.numClasses ?? 1000, 'numClasses', 1);
    const Unit = o.invertedResidual ?? InvertedResidual;
    this.stageOutChannels = [...stagesOutChannels];

    let inputChannels = 3;
    let outputChannels = this.stageOutChannels[0];
    this.conv1 = new nn.Sequential(
      new nn.Conv2d(inputChannels, outputChannels, 3, { stride: 2, padding: 1, bias: false }),
      new nn.BatchNorm2d(outputChannels),
      new nn.ReLU({ inplace: true }),
    );
    inputChannels = outputChannels;
    this.maxpool = new nn.MaxPool2d(3, { stride: 2, padding: 1 });

    (['stage2', 'stage3', 'stage4'] as const).forEach((name, s) => {
      outputChannels = this.stageOutChannels[s + 1];
      const seq: nn.Module[] = [new Unit(inputChannels, outputChannels, 2)];
      for (let i = 0; i < stagesRepeats[s] - 1; i++) seq.push(new Unit(outputChannels, outputChannels, 1));
      this[name] = new nn.Sequential(...seq);
      inputChannels = outputChannels;
    });

    outputChannels = this.stageOutChannels[4];
    this.conv5 = new nn.Sequential(
      new nn.Conv2d(inputChannels, outputChannels, 1, { stride: 1, padding: 0, bias: false }),
      new nn.BatchNorm2d(outputChannels),
      new nn.ReLU({ inplace: true }),
    );
    this.fc = new nn.Linear(outputChannels, numClasses);
  }

  forward(x: Tensor): Tensor {
    x = this.conv1.forward(x);
    x = this.maxpool.forward(x);
    x = this.stage2.forward(x);
    x = this.stage3.forward(x);
    x = this.stage4.forward(x);
    x = this.conv5.forward(x);
    x = x.mean([2, 3]); // globalpool
    x = this.fc.forward(x);
    return x;
  }
}

/** What the ShuffleNet V2 builders accept (ShuffleNetV2's options). */
export type ShuffleNetV2BuilderOptions = ShuffleNetV2Options;

function shufflenetv2(channels: number[], options: ShuffleNetV2BuilderOptions): ShuffleNetV2 {
  return new ShuffleNetV2(
    [4, 8, 4],
    channels,
    checkOptions<ShuffleNetV2Options>(options, 'options', ['numClasses', 'invertedResidual']),
  );
}

/** ShuffleNet V2 with 0.5x output channels. */
export function shufflenet_v2_x0_5(options: ShuffleNetV2BuilderOptions = {}): ShuffleNetV2 {
  return shufflenetv2([24, 48, 96, 192, 1024], options);
}
/** ShuffleNet V2 with 1.0x output channels. */
export function shufflenet_v2_x1_0(options: ShuffleNetV2BuilderOptions = {}): ShuffleNetV2 {
  return shufflenetv2([24, 116, 232, 464, 1024], options);
}
/** ShuffleNet V2 with 1.5x output channels. */
export function shufflenet_v2_x1_5(options: ShuffleNetV2BuilderOptions = {}): ShuffleNetV2 {
  return shufflenetv2([24, 176, 352, 704, 1024], options);
}
/** ShuffleNet V2 with 2.0x output channels. */
export function shufflenet_v2_x2_0(options: ShuffleNetV2BuilderOptions = {}): ShuffleNetV2 {
  return shufflenetv2([24, 244, 488, 976, 2048], options);
}
