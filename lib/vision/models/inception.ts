/**
 * Inception v3, mirroring torchvision/models/inception.py: the same classes, builder,
 * defaults, initialisation and auxiliary classifier, so `stateDict()` keys are torchvision's
 * (`Mixed_5b.branch1x1.conv.weight`, `AuxLogits.fc.weight`) and weights move unchanged.
 * The network expects 299x299 inputs (at least 75x75).
 */
import * as nn from '../../nn/index';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from '../../nn/functional';
import { cat } from '../../torch/functions';
import { checkBool, checkInt, checkOptions, checkProbability, optionKeys } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import { BasicConv2d } from './basic_conv';
import { transformInputChannels } from './googlenet';

/**
 * What Inception v3 returns in training mode with the auxiliary classifier (torchvision's
 * `InceptionOutputs` named tuple). Destructures like the tuple: `const [logits, auxLogits] = out`.
 */
export class InceptionOutputs {
  constructor(
    readonly logits: Tensor,
    readonly auxLogits: Tensor | null,
  ) {}
  *[Symbol.iterator](): Iterator<Tensor | null> {
    yield this.logits;
    yield this.auxLogits;
  }
}

/** 35x35 block: 1x1, 5x5, double 3x3 and average-pool branches. */
export class InceptionA extends nn.Module {
  branch1x1: BasicConv2d;
  branch5x5_1: BasicConv2d;
  branch5x5_2: BasicConv2d;
  branch3x3dbl_1: BasicConv2d;
  branch3x3dbl_2: BasicConv2d;
  branch3x3dbl_3: BasicConv2d;
  branch_pool: BasicConv2d;

  constructor(inChannels: number, poolFeatures: number) {
    super();
    this.branch1x1 = new BasicConv2d(inChannels, 64, 1);
    this.branch5x5_1 = new BasicConv2d(inChannels, 48, 1);
    this.branch5x5_2 = new BasicConv2d(48, 64, 5, { padding: 2 });
    this.branch3x3dbl_1 = new BasicConv2d(inChannels, 64, 1);
    this.branch3x3dbl_2 = new BasicConv2d(64, 96, 3, { padding: 1 });
    this.branch3x3dbl_3 = new BasicConv2d(96, 96, 3, { padding: 1 });
    this.branch_pool = new BasicConv2d(inChannels, poolFeatures, 1);
  }

  private _forward(x: Tensor): Tensor[] {
    const branch1x1 = this.branch1x1.forward(x);

    let branch5x5 = this.branch5x5_1.forward(x);
    branch5x5 = this.branch5x5_2.forward(branch5x5);

    let branch3x3dbl = this.branch3x3dbl_1.forward(x);
    branch3x3dbl = this.branch3x3dbl_2.forward(branch3x3dbl);
    branch3x3dbl = this.branch3x3dbl_3.forward(branch3x3dbl);

    let branchPool = avgPool2d(x, 3, 1, 1);
    branchPool = this.branch_pool.forward(branchPool);

    const outputs = [branch1x1, branch5x5, branch3x3dbl, branchPool];
    return outputs;
  }

  forward(x: Tensor): Tensor {
    const outputs = this._forward(x);
    return cat(outputs, 1);
  }
}

/** Grid reduction 35x35 -> 17x17. */
export class InceptionB extends nn.Module {
  branch3x3: BasicConv2d;
  branch3x3dbl_1: BasicConv2d;
  branch3x3dbl_2: BasicConv2d;
  branch3x3dbl_3: BasicConv2d;

  constructor(inChannels: number) {
    super();
    this.branch3x3 = new BasicConv2d(inChannels, 384, 3, { stride: 2 });
    this.branch3x3dbl_1 = new BasicConv2d(inChannels, 64, 1);
    this.branch3x3dbl_2 = new BasicConv2d(64, 96, 3, { padding: 1 });
    this.branch3x3dbl_3 = new BasicConv2d(96, 96, 3, { stride: 2 });
  }

  private _forward(x: Tensor): Tensor[] {
    const branch3x3 = this.branch3x3.forward(x);

    let branch3x3dbl = this.branch3x3dbl_1.forward(x);
    branch3x3dbl = this.branch3x3dbl_2.forward(branch3x3dbl);
    branch3x3dbl = this.branch3x3dbl_3.forward(branch3x3dbl);

    const branchPool = maxPool2d(x, 3, 2);

    const outputs = [branch3x3, branch3x3dbl, branchPool];
    return outputs;
  }

  forward(x: Tensor): Tensor {
    const outputs = this._forward(x);
    return cat(outputs, 1);
  }
}

/** 17x17 block with factorised 7x7 convolutions (1x7 and 7x1). */
export class InceptionC extends nn.Module {
  branch1x1: BasicConv2d;
  branch7x7_1: BasicConv2d;
  branch7x7_2: BasicConv2d;
  branch7x7_3: BasicConv2d;
  branch7x7dbl_1: BasicConv2d;
  branch7x7dbl_2: BasicConv2d;
  branch7x7dbl_3: BasicConv2d;
  branch7x7dbl_4: BasicConv2d;
  branch7x7dbl_5: BasicConv2d;
  branch_pool: BasicConv2d;

  constructor(inChannels: number, channels7x7: number) {
    super();
    const c7 = channels7x7;
    this.branch1x1 = new BasicConv2d(inChannels, 192, 1);
    this.branch7x7_1 = new BasicConv2d(inChannels, c7, 1);
    this.branch7x7_2 = new BasicConv2d(c7, c7, [1, 7], { padding: [0, 3] });
    this.branch7x7_3 = new BasicConv2d(c7, 192, [7, 1], { padding: [3, 0] });
    this.branch7x7dbl_1 = new BasicConv2d(inChannels, c7, 1);
    this.branch7x7dbl_2 = new BasicConv2d(c7, c7, [7, 1], { padding: [3, 0] });
    this.branch7x7dbl_3 = new BasicConv2d(c7, c7, [1, 7], { padding: [0, 3] });
    this.branch7x7dbl_4 = new BasicConv2d(c7, c7, [7, 1], { padding: [3, 0] });
    this.branch7x7dbl_5 = new BasicConv2d(c7, 192, [1, 7], { padding: [0, 3] });
    this.branch_pool = new BasicConv2d(inChannels, 192, 1);
  }

  private _forward(x: Tensor): Tensor[] {
    const branch1x1 = this.branch1x1.forward(x);

    let branch7x7 = this.branch7x7_1.forward(x);
    branch7x7 = this.branch7x7_2.forward(branch7x7);
    branch7x7 = this.branch7x7_3.forward(branch7x7);

    let branch7x7dbl = this.branch7x7dbl_1.forward(x);
    branch7x7dbl = this.branch7x7dbl_2.forward(branch7x7dbl);
    branch7x7dbl = this.branch7x7dbl_3.forward(branch7x7dbl);
    branch7x7dbl = this.branch7x7dbl_4.forward(branch7x7dbl);
    branch7x7dbl = this.branch7x7dbl_5.forward(branch7x7dbl);

    let branchPool = avgPool2d(x, 3, 1, 1);
    branchPool = this.branch_pool.forward(branchPool);

    const outputs = [branch1x1, branch7x7, branch7x7dbl, branchPool];
    return outputs;
  }

  forward(x: Tensor): Tensor {
    const outputs = this._forward(x);
    return cat(outputs, 1);
  }
}

/** Grid reduction 17x17 -> 8x8. */
export class InceptionD extends nn.Module {
  branch3x3_1: BasicConv2d;
  branch3x3_2: BasicConv2d;
  branch7x7x3_1: BasicConv2d;
  branch7x7x3_2: BasicConv2d;
  branch7x7x3_3: BasicConv2d;
  branch7x7x3_4: BasicConv2d;

  constructor(inChannels: number) {
    super();
    this.branch3x3_1 = new BasicConv2d(inChannels, 192, 1);
    this.branch3x3_2 = new BasicConv2d(192, 320, 3, { stride: 2 });
    this.branch7x7x3_1 = new BasicConv2d(inChannels, 192, 1);
    this.branch7x7x3_2 = new BasicConv2d(192, 192, [1, 7], { padding: [0, 3] });
    this.branch7x7x3_3 = new BasicConv2d(192, 192, [7, 1], { padding: [3, 0] });
    this.branch7x7x3_4 = new BasicConv2d(192, 192, 3, { stride: 2 });
  }

  private _forward(x: Tensor): Tensor[] {
    let branch3x3 = this.branch3x3_1.forward(x);
    branch3x3 = this.branch3x3_2.forward(branch3x3);

    let branch7x7x3 = this.branch7x7x3_1.forward(x);
    branch7x7x3 = this.branch7x7x3_2.forward(branch7x7x3);
    branch7x7x3 = this.branch7x7x3_3.forward(branch7x7x3);
    branch7x7x3 = this.branch7x7x3_4.forward(branch7x7x3);

    const branchPool = maxPool2d(x, 3, 2);
    const outputs = [branch3x3, branch7x7x3, branchPool];
    return outputs;
  }

  forward(x: Tensor): Tensor {
    const outputs = this._forward(x);
    return cat(outputs, 1);
  }
}

/** 8x8 block whose 3x3 branches split into parallel 1x3 and 3x1 convolutions. */
export class InceptionE extends nn.Module {
  branch1x1: BasicConv2d;
  branch3x3_1: BasicConv2d;
  branch3x3_2a: BasicConv2d;
  branch3x3_2b: BasicConv2d;
  branch3x3dbl_1: BasicConv2d;
  branch3x3dbl_2: BasicConv2d;
  branch3x3dbl_3a: BasicConv2d;
  branch3x3dbl_3b: BasicConv2d;
  branch_pool: BasicConv2d;

  constructor(inChannels: number) {
    super();
    this.branch1x1 = new BasicConv2d(inChannels, 320, 1);
    this.branch3x3_1 = new BasicConv2d(inChannels, 384, 1);
    this.branch3x3_2a = new BasicConv2d(384, 384, [1, 3], { padding: [0, 1] });
    this.branch3x3_2b = new BasicConv2d(384, 384, [3, 1], { padding: [1, 0] });
    this.branch3x3dbl_1 = new BasicConv2d(inChannels, 448, 1);
    this.branch3x3dbl_2 = new BasicConv2d(448, 384, 3, { padding: 1 });
    this.branch3x3dbl_3a = new BasicConv2d(384, 384, [1, 3], { padding: [0, 1] });
    this.branch3x3dbl_3b = new BasicConv2d(384, 384, [3, 1], { padding: [1, 0] });
    this.branch_pool = new BasicConv2d(inChannels, 192, 1);
  }

  private _forward(x: Tensor): Tensor[] {
    const branch1x1 = this.branch1x1.forward(x);

    const branch3x3In = this.branch3x3_1.forward(x);
    const branch3x3 = cat([this.branch3x3_2a.forward(branch3x3In), this.branch3x3_2b.forward(branch3x3In)], 1);

    let branch3x3dblIn = this.branch3x3dbl_1.forward(x);
    branch3x3dblIn = this.branch3x3dbl_2.forward(branch3x3dblIn);
    const branch3x3dbl = cat(
      [this.branch3x3dbl_3a.forward(branch3x3dblIn), this.branch3x3dbl_3b.forward(branch3x3dblIn)],
      1,
    );

    let branchPool = avgPool2d(x, 3, 1, 1);
    branchPool = this.branch_pool.forward(branchPool);

    const outputs = [branch1x1, branch3x3, branch3x3dbl, branchPool];
    return outputs;
  }

  forward(x: Tensor): Tensor {
    const outputs = this._forward(x);
    return cat(outputs, 1);
  }
}

/**
 * The auxiliary classifier on the 17x17 grid: 5x5/3 average pool, 1x1 conv to 128, 5x5 conv
 * to 768, global average pool, fc. As in torchvision, `stddev` marks the layers whose
 * truncated-normal initialisation differs from 0.1 (only `fc`'s takes effect: torchvision
 * sets `conv1.stddev` on the BasicConv2d, which its init loop never reads).
 */
export class InceptionAux extends nn.Module {
  conv0: BasicConv2d;
  conv1: BasicConv2d & { stddev?: number };
  fc: nn.Linear & { stddev?: number };

  constructor(inChannels: number, numClasses: number) {
    super();
    this.conv0 = new BasicConv2d(inChannels, 128, 1);
    this.conv1 = new BasicConv2d(128, 768, 5);
    this.conv1.stddev = 0.01;
    this.fc = new nn.Linear(768, numClasses);
    this.fc.stddev = 0.001;
  }

  forward(x: Tensor): Tensor {
    // N x 768 x 17 x 17
    x = avgPool2d(x, 5, 3);
    // N x 768 x 5 x 5
    x = this.conv0.forward(x);
    // N x 128 x 5 x 5
    x = this.conv1.forward(x);
    // N x 768 x 1 x 1
    // Adaptive average pooling
    x = adaptiveAvgPool2d(x, [1, 1]);
    // N x 768 x 1 x 1
    x = x.flatten(1);
    // N x 768
    x = this.fc.forward(x);
    // N x 1000
    return x;
  }
}

export interface Inception3Options {
  /** Default 1000. */
  numClasses?: number;
  /** Build the auxiliary classifier (default true); it runs in training mode only. */
  auxLogits?: boolean;
  /** Re-normalise ImageNet-normalised input to the [-1, 1] scaling of the original weights (default false). */
  transformInput?: boolean;
  /** Truncated-normal initialisation (default true; torchvision warns when it is not given and then uses true). */
  initWeights?: boolean;
  /** Dropout before the final fc (default 0.5). */
  dropout?: number;
}

const INCEPTION_KEYS = optionKeys<Inception3Options>({
  numClasses: 1,
  auxLogits: 1,
  transformInput: 1,
  initWeights: 1,
  dropout: 1,
});

/**
 * Inception v3 (Rethinking the Inception Architecture for Computer Vision). `forward` returns
 * the logits, or in training mode with `auxLogits` an `InceptionOutputs`. Weights are
 * initialised truncated-normal (std 0.1, or a layer's `stddev`; cut at ±2) for convolutions
 * and linear layers, BatchNorm weight 1 and bias 0.
 */
export class Inception3 extends nn.Module {
  readonly auxLogits: boolean;
  readonly transformInput: boolean;
  Conv2d_1a_3x3: BasicConv2d;
  Conv2d_2a_3x3: BasicConv2d;
  Conv2d_2b_3x3: BasicConv2d;
  maxpool1: nn.MaxPool2d;
  Conv2d_3b_1x1: BasicConv2d;
  Conv2d_4a_3x3: BasicConv2d;
  maxpool2: nn.MaxPool2d;
  Mixed_5b: InceptionA;
  Mixed_5c: InceptionA;
  Mixed_5d: InceptionA;
  Mixed_6a: InceptionB;
  Mixed_6b: InceptionC;
  Mixed_6c: InceptionC;
  Mixed_6d: InceptionC;
  Mixed_6e: InceptionC;
  AuxLogits: InceptionAux | null;
  Mixed_7a: InceptionD;
  Mixed_7b: InceptionE;
  Mixed_7c: InceptionE;
  avgpool: nn.AdaptiveAvgPool2d;
  dropout: nn.Dropout;
  fc: nn.Linear;

  constructor(options: Inception3Options = {}) {
    super();
    const o = checkOptions<Inception3Options>(options, 'options', INCEPTION_KEYS);
    const numClasses = checkInt(o.numClasses ?? 1000, 'numClasses', 1);
    this.auxLogits = checkBool(o.auxLogits ?? true, 'auxLogits');
    this.transformInput = checkBool(o.transformInput ?? false, 'transformInput');
    const initWeights = checkBool(o.initWeights ?? true, 'initWeights');
    const dropout = checkProbability(o.dropout ?? 0.5, 'dropout');

    this.Conv2d_1a_3x3 = new BasicConv2d(3, 32, 3, { stride: 2 });
    this.Conv2d_2a_3x3 = new BasicConv2d(32, 32, 3);
    this.Conv2d_2b_3x3 = new BasicConv2d(32, 64, 3, { padding: 1 });
    this.maxpool1 = new nn.MaxPool2d(3, { stride: 2 });
    this.Conv2d_3b_1x1 = new BasicConv2d(64, 80, 1);
    this.Conv2d_4a_3x3 = new BasicConv2d(80, 192, 3);
    this.maxpool2 = new nn.MaxPool2d(3, { stride: 2 });
    this.Mixed_5b = new InceptionA(192, 32);
    this.Mixed_5c = new InceptionA(256, 64);
    this.Mixed_5d = new InceptionA(288, 64);
    this.Mixed_6a = new InceptionB(288);
    this.Mixed_6b = new InceptionC(768, 128);
    this.Mixed_6c = new InceptionC(768, 160);
    this.Mixed_6d = new InceptionC(768, 160);
    this.Mixed_6e = new InceptionC(768, 192);
    this.AuxLogits = this.auxLogits ? new InceptionAux(768, numClasses) : null;
    this.Mixed_7a = new InceptionD(768);
    this.Mixed_7b = new InceptionE(1280);
    this.Mixed_7c = new InceptionE(2048);
    this.avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
    this.dropout = new nn.Dropout(dropout);
    this.fc = new nn.Linear(2048, numClasses);

    if (!initWeights) return;
    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d || m instanceof nn.Linear) {
        const std = (m as { stddev?: number }).stddev ?? 0.1;
        nn.init.truncNormal_(m.weight, { mean: 0, std, a: -2, b: 2 });
      } else if (m instanceof nn.BatchNorm2d && m.weight && m.bias) {
        nn.init.constant_(m.weight, 1);
        nn.init.constant_(m.bias, 0);
      }
    }
  }

  private _transformInput(x: Tensor): Tensor {
    return this.transformInput ? transformInputChannels(x) : x;
  }

  private _forward(x: Tensor): [Tensor, Tensor | null] {
    // N x 3 x 299 x 299
    x = this.Conv2d_1a_3x3.forward(x);
    // N x 32 x 149 x 149
    x = this.Conv2d_2a_3x3.forward(x);
    // N x 32 x 147 x 147
    x = this.Conv2d_2b_3x3.forward(x);
    // N x 64 x 147 x 147
    x = this.maxpool1.forward(x);
    // N x 64 x 73 x 73
    x = this.Conv2d_3b_1x1.forward(x);
    // N x 80 x 73 x 73
    x = this.Conv2d_4a_3x3.forward(x);
    // N x 192 x 71 x 71
    x = this.maxpool2.forward(x);
    // N x 192 x 35 x 35
    x = this.Mixed_5b.forward(x);
    // N x 256 x 35 x 35
    x = this.Mixed_5c.forward(x);
    // N x 288 x 35 x 35
    x = this.Mixed_5d.forward(x);
    // N x 288 x 35 x 35
    x = this.Mixed_6a.forward(x);
    // N x 768 x 17 x 17
    x = this.Mixed_6b.forward(x);
    // N x 768 x 17 x 17
    x = this.Mixed_6c.forward(x);
    // N x 768 x 17 x 17
    x = this.Mixed_6d.forward(x);
    // N x 768 x 17 x 17
    x = this.Mixed_6e.forward(x);
    // N x 768 x 17 x 17
    let aux: Tensor | null = null;
    if (this.AuxLogits !== null && this.training) aux = this.AuxLogits.forward(x);
    // N x 768 x 17 x 17
    x = this.Mixed_7a.forward(x);
    // N x 1280 x 8 x 8
    x = this.Mixed_7b.forward(x);
    // N x 2048 x 8 x 8
    x = this.Mixed_7c.forward(x);
    // N x 2048 x 8 x 8
    // Adaptive average pooling
    x = this.avgpool.forward(x);
    // N x 2048 x 1 x 1
    x = this.dropout.forward(x);
    // N x 2048 x 1 x 1
    x = x.flatten(1);
    // N x 2048
    x = this.fc.forward(x);
    // N x 1000 (num_classes)
    return [x, aux];
  }

  private eagerOutputs(x: Tensor, aux: Tensor | null): Tensor | InceptionOutputs {
    return this.training && this.auxLogits ? new InceptionOutputs(x, aux) : x;
  }

  /** The logits in evaluation mode or without the auxiliary classifier; else `InceptionOutputs`. */
  forward(x: Tensor): Tensor | InceptionOutputs {
    x = this._transformInput(x);
    const [logits, aux] = this._forward(x);
    return this.eagerOutputs(logits, aux);
  }
}

/**
 * Inception v3. Without pretrained weights, as torchvision: `transformInput` false,
 * `auxLogits` true. Expects N x 3 x 299 x 299 input (at least 75 x 75).
 */
export function inception_v3(options: Inception3Options = {}): Inception3 {
  return new Inception3(checkOptions<Inception3Options>(options, 'options', INCEPTION_KEYS));
}
