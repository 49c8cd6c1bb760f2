/**
 * BasicConv2d: convolution (no bias), BatchNorm (eps 0.001), ReLU — the unit GoogLeNet and
 * Inception v3 are built from. torchvision defines the same class in googlenet.py and
 * inception.py; here both models share this one.
 */
import * as nn from '../../nn/index';
import { relu, type Size2 } from '../../nn/functional';
import { checkOptions, optionKeys } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';

/** The convolution's options (everything but `bias`, which is always false). */
export type BasicConv2dOptions = Omit<nn.Conv2dOptions, 'bias'>;

const BASIC_CONV_KEYS = optionKeys<BasicConv2dOptions>({
  stride: 1,
  padding: 1,
  dilation: 1,
  groups: 1,
  paddingMode: 1,
  device: 1,
  dtype: 1,
});

export class BasicConv2d extends nn.Module {
  conv: nn.Conv2d;
  bn: nn.BatchNorm2d;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2, options: BasicConv2dOptions = {}) {
    super();
    const o = checkOptions<BasicConv2dOptions>(options, 'BasicConv2d options', BASIC_CONV_KEYS);
    this.conv = new nn.Conv2d(inChannels, outChannels, kernelSize, { ...o, bias: false });
    this.bn = new nn.BatchNorm2d(outChannels, { eps: 0.001 });
  }

  forward(x: Tensor): Tensor {
    x = this.conv.forward(x);
    x = this.bn.forward(x);
    return relu(x, true);
  }
}
