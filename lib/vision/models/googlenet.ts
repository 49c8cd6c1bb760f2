/**
 * GoogLeNet (Inception v1), mirroring torchvision/models/googlenet.py: the same classes,
 * builder, defaults, initialisation and auxiliary classifiers, so `stateDict()` keys are
 * torchvision's (`inception3a.branch2.1.conv.weight`, `aux1.fc2.bias`) and weights move
 * unchanged.
 */
import * as nn from '../../nn/index';
import { adaptiveAvgPool2d, relu } from '../../nn/functional';
import { cat } from '../../torch/functions';
import { checkBool, checkInt, checkOptions, checkProbability, optionKeys } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import { BasicConv2d } from './basic_conv';

/**
 * What GoogLeNet returns in training mode with auxiliary classifiers (torchvision's
 * `GoogLeNetOutputs` named tuple): the main logits and the two auxiliary heads' logits.
 * Destructures like the tuple: `const [logits, auxLogits2, auxLogits1] = out`. As in
 * torchvision 0.14, `auxLogits2` holds the output of `aux1` (after inception4a) and
 * `auxLogits1` that of `aux2` (after inception4d); see `GoogLeNet.forward`.
 */
export class GoogLeNetOutputs {
  constructor(
    readonly logits: Tensor,
    readonly auxLogits2: Tensor | null,
    readonly auxLogits1: Tensor | null,
  ) {}
  *[Symbol.iterator](): Iterator<Tensor | null> {
    yield this.logits;
    yield this.auxLogits2;
    yield this.auxLogits1;
  }
}

/**
 * The GoogLeNet inception block: 1x1; 1x1 then 3x3; 1x1 then 3x3 (torchvision's known
 * 3x3-instead-of-5x5, kept for weight compatibility); 3x3 max pool then 1x1 — concatenated.
 */
export class Inception extends nn.Module {
  branch1: BasicConv2d;
  branch2: nn.Sequential;
  branch3: nn.Sequential;
  branch4: nn.Sequential;

  constructor(
    inChannels: number,
    ch1x1: number,
    ch3x3red: number,
    ch3x3: number,
    ch5x5red: number,
    ch5x5: number,
    poolProj: number,
  ) {
    super();
    this.branch1 = new BasicConv2d(inChannels, ch1x1, 1);
    this.branch2 = new nn.Sequential(
      new BasicConv2d(inChannels, ch3x3red, 1),
      new BasicConv2d(ch3x3red, ch3x3, 3, { padding: 1 }),
    );
    // Here, kernelSize 3 instead of 5 is a known torchvision bug (pytorch/vision#906).
    this.branch3 = new nn.Sequential(
      new BasicConv2d(inChannels, ch5x5red, 1),
      new BasicConv2d(ch5x5red, ch5x5, 3, { padding: 1 }),
    );
    this.branch4 = new nn.Sequential(
      new nn.MaxPool2d(3, { stride: 1, padding: 1, ceilMode: true }),
      new BasicConv2d(inChannels, poolProj, 1),
    );
  }

  private _forward(x: Tensor): Tensor[] {
    const branch1 = this.branch1.forward(x);
    const branch2 = this.branch2.forward(x);
    const branch3 = this.branch3.forward(x);
    const branch4 = this.branch4.forward(x);

    const outputs = [branch1, branch2, branch3, branch4];
    return outputs;
  }

  forward(x: Tensor): Tensor {
    const outputs = this._forward(x);
    return cat(outputs, 1);
  }
}

/** An auxiliary classifier: 4x4 adaptive average pool, 1x1 conv to 128, fc 2048->1024, ReLU, dropout, fc. */
export class InceptionAux extends nn.Module {
  conv: BasicConv2d;
  fc1: nn.Linear;
  fc2: nn.Linear;
  dropout: nn.Dropout;

  constructor(inChannels: number, numClasses: number, dropout = 0.7) {
    super();
    this.conv = new BasicConv2d(inChannels, 128, 1);
    this.fc1 = new nn.Linear(2048, 1024);
    this.fc2 = new nn.Linear(1024, numClasses);
    this.dropout = new nn.Dropout(dropout);
  }

  forward(x: Tensor): Tensor {
    // aux1: N x 512 x 14 x 14, aux2: N x 528 x 14 x 14
    x = adaptiveAvgPool2d(x, [4, 4]);
    // aux1: N x 512 x 4 x 4, aux2: N x 528 x 4 x 4
    x = this.conv.forward(x);
    // N x 128 x 4 x 4
    x = x.flatten(1);
    // N x 2048
    x = relu(this.fc1.forward(x), true);
    // N x 1024
    x = this.dropout.forward(x);
    // N x 1024
    x = this.fc2.forward(x);
    // N x 1000 (num_classes)
    return x;
  }
}

export interface GoogLeNetOptions {
  /** Default 1000. */
  numClasses?: number;
  /** Build the two auxiliary classifiers (default true); they run in training mode only. */
  auxLogits?: boolean;
  /** Re-normalise ImageNet-normalised input to the [-1, 1] scaling of the original weights (default false). */
  transformInput?: boolean;
  /**
   * Truncated-normal initialisation (default true; torchvision warns when it is not given and
   * then uses true).
   */
  initWeights?: boolean;
  /** Dropout before the final fc (default 0.2). */
  dropout?: number;
  /** Dropout inside the auxiliary classifiers (default 0.7). */
  dropoutAux?: number;
}

/** `(x[:, c] * std / 0.5 + (mean - 0.5) / 0.5` per channel: ImageNet normalisation to [-1, 1] scaling. */
export function transformInputChannels(x: Tensor): Tensor {
  const xCh0 = x
    .select(1, 0)
    .unsqueeze(1)
    .mul(0.229 / 0.5)
    .add((0.485 - 0.5) / 0.5);
  const xCh1 = x
    .select(1, 1)
    .unsqueeze(1)
    .mul(0.224 / 0.5)
    .add((0.456 - 0.5) / 0.5);
  const xCh2 = x
    .select(1, 2)
    .unsqueeze(1)
    .mul(0.225 / 0.5)
    .add((0.406 - 0.5) / 0.5);
  return cat([xCh0, xCh1, xCh2], 1);
}

const GOOGLENET_KEYS = optionKeys<GoogLeNetOptions>({
  numClasses: 1,
  auxLogits: 1,
  transformInput: 1,
  initWeights: 1,
  dropout: 1,
  dropoutAux: 1,
});

/**
 * GoogLeNet (Going Deeper with Convolutions). `forward` returns the logits, or in training
 * mode with `auxLogits` a `GoogLeNetOutputs` (as torchvision's eager forward). Weights are
 * initialised truncated-normal (std 0.01, cut at ±2) for convolutions and linear layers,
 * BatchNorm weight 1 and bias 0.
 */
export class GoogLeNet extends nn.Module {
  readonly auxLogits: boolean;
  readonly transformInput: boolean;
  conv1: BasicConv2d;
  maxpool1: nn.MaxPool2d;
  conv2: BasicConv2d;
  conv3: BasicConv2d;
  maxpool2: nn.MaxPool2d;
  inception3a: Inception;
  inception3b: Inception;
  maxpool3: nn.MaxPool2d;
  inception4a: Inception;
  inception4b: Inception;
  inception4c: Inception;
  inception4d: Inception;
  inception4e: Inception;
  maxpool4: nn.MaxPool2d;
  inception5a: Inception;
  inception5b: Inception;
  aux1: InceptionAux | null;
  aux2: InceptionAux | null;
  avgpool: nn.AdaptiveAvgPool2d;
  dropout: nn.Dropout;
  fc: nn.Linear;

  constructor(options: GoogLeNetOptions = {}) {
    super();
    const o = checkOptions<GoogLeNetOptions>(options, 'options', GOOGLENET_KEYS);
    const numClasses = checkInt(o.numClasses ?? 1000, 'numClasses', 1);
    this.auxLogits = checkBool(o.auxLogits ?? true, 'auxLogits');
    this.transformInput = checkBool(o.transformInput ?? false, 'transformInput');
    const initWeights = checkBool(o.initWeights ?? true, 'initWeights');

    this.conv1 = new BasicConv2d(3, 64, 7, { stride: 2, padding: 3 });
    this.maxpool1 = new nn.MaxPool2d(3, { stride: 2, ceilMode: true });
    this.conv2 = new BasicConv2d(64, 64, 1);
    this.conv3 = new BasicConv2d(64, 192, 3, { padding: 1 });
    this.maxpool2 = new nn.MaxPool2d(3, { stride: 2, ceilMode: true });
    this.inception3a = new Inception(192, 64, 96, 128, 16, 32, 32);
    this.inception3b = new Inception(256, 128, 128, 192, 32, 96, 64);
    this.maxpool3 = new nn.MaxPool2d(3, { stride: 2, ceilMode: true });
    this.inception4a = new Inception(480, 192, 96, 208, 16, 48, 64);
    this.inception4b = new Inception(512, 160, 112, 224, 24, 64, 64);
    this.inception4c = new Inception(512, 128, 128, 256, 24, 64, 64);
    this.inception4d = new Inception(512, 112, 144, 288, 32, 64, 64);
    this.inception4e = new Inception(528, 256, 160, 320, 32, 128, 128);
    this.maxpool4 = new nn.MaxPool2d(2, { stride: 2, ceilMode: true });
    this.inception5a = new Inception(832, 256, 160, 320, 32, 128, 128);
    this.inception5b = new Inception(832, 384, 192, 384, 48, 128, 128);
    const dropoutAux = checkProbability(o.dropoutAux ?? 0.7, 'dropoutAux');
    const dropout = checkProbability(o.dropout ?? 0.2, 'dropout');
    this.aux1 = this.auxLogits ? new InceptionAux(512, numClasses, dropoutAux) : null;
    this.aux2 = this.auxLogits ? new InceptionAux(528, numClasses, dropoutAux) : null;
    this.avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
    this.dropout = new nn.Dropout(dropout);
    this.fc = new nn.Linear(1024, numClasses);

    if (!initWeights) return;
    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d || m instanceof nn.Linear) {
        nn.init.truncNormal_(m.weight, { mean: 0, std: 0.01, a: -2, b: 2 });
      } else if (m instanceof nn.BatchNorm2d && m.weight && m.bias) {
        nn.init.constant_(m.weight, 1);
        nn.init.constant_(m.bias, 0);
      }
    }
  }

  private _transformInput(x: Tensor): Tensor {
    return this.transformInput ? transformInputChannels(x) : x;
  }

  private _forward(x: Tensor): [Tensor, Tensor | null, Tensor | null] {
    // N x 3 x 224 x 224
    x = this.conv1.forward(x);
    // N x 64 x 112 x 112
    x = this.maxpool1.forward(x);
    // N x 64 x 56 x 56
    x = this.conv2.forward(x);
    // N x 64 x 56 x 56
    x = this.conv3.forward(x);
    // N x 192 x 56 x 56
    x = this.maxpool2.forward(x);

    // N x 192 x 28 x 28
    x = this.inception3a.forward(x);
    // N x 256 x 28 x 28
    x = this.inception3b.forward(x);
    // N x 480 x 28 x 28
    x = this.maxpool3.forward(x);
    // N x 480 x 14 x 14
    x = this.inception4a.forward(x);
    // N x 512 x 14 x 14
    let aux1: Tensor | null = null;
    if (this.aux1 !== null && this.training) aux1 = this.aux1.forward(x);

    x = this.inception4b.forward(x);
    // N x 512 x 14 x 14
    x = this.inception4c.forward(x);
    // N x 512 x 14 x 14
    x = this.inception4d.forward(x);
    // N x 528 x 14 x 14
    let aux2: Tensor | null = null;
    if (this.aux2 !== null && this.training) aux2 = this.aux2.forward(x);

    x = this.inception4e.forward(x);
    // N x 832 x 14 x 14
    x = this.maxpool4.forward(x);
    // N x 832 x 7 x 7
    x = this.inception5a.forward(x);
    // N x 832 x 7 x 7
    x = this.inception5b.forward(x);
    // N x 1024 x 7 x 7

    x = this.avgpool.forward(x);
    // N x 1024 x 1 x 1
    x = x.flatten(1);
    // N x 1024
    x = this.dropout.forward(x);
    x = this.fc.forward(x);
    // N x 1000 (num_classes)
    return [x, aux2, aux1];
  }

  /** The logits in evaluation mode or without auxiliary classifiers; else `GoogLeNetOutputs`. */
  forward(x: Tensor): Tensor | GoogLeNetOutputs {
    x = this._transformInput(x);
    // torchvision unpacks `_forward`'s (x, aux2, aux1) as (x, aux1, aux2) and passes them on
    // swapped again, so its GoogLeNetOutputs holds aux1's logits under aux_logits2 and aux2's
    // under aux_logits1. Mirrored here, so outputs match position by position (the usual loss
    // weighs both by 0.3, so training is unaffected).
    const [logits, aux1, aux2] = this._forward(x);
    return this.eagerOutputs(logits, aux2, aux1);
  }

  private eagerOutputs(x: Tensor, aux2: Tensor | null, aux1: Tensor | null): Tensor | GoogLeNetOutputs {
    return this.training && this.auxLogits ? new GoogLeNetOutputs(x, aux2, aux1) : x;
  }
}

/** GoogLeNet (Inception v1). Without pretrained weights, as torchvision: `transformInput` false, `auxLogits` true. */
export function googlenet(options: GoogLeNetOptions = {}): GoogLeNet {
  return new GoogLeNet(checkOptions<GoogLeNetOptions>(options, 'options', GOOGLENET_KEYS));
}
