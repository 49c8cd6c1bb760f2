/**
 * SqueezeNet 1.0 and 1.1, mirroring torchvision/models/squeezenet.py (SqueezeNet:
 * AlexNet-level accuracy with 50x fewer parameters, https://arxiv.org/abs/1602.07360): the
 * same classes, names and initialisation, so `stateDict()` keys are torchvision's.
 */
import * as nn from '../../nn/index';
import { bindArgs, type WithOptions } from '../../torch/args';
import { cat } from '../../torch/functions';
import { checkInt, checkProbability, rangeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';

/** A Fire module: 1x1 squeeze, then 1x1 and 3x3 expansions concatenated on channels. */
export class Fire extends nn.Module {
  readonly inplanes: number;
  squeeze: nn.Conv2d;
  squeeze_activation: nn.ReLU;
  expand1x1: nn.Conv2d;
  expand1x1_activation: nn.ReLU;
  expand3x3: nn.Conv2d;
  expand3x3_activation: nn.ReLU;

  constructor(inplanes: number, squeezePlanes: number, expand1x1Planes: number, expand3x3Planes: number) {
    super();
    this.inplanes = inplanes;
    this.squeeze = new nn.Conv2d(inplanes, squeezePlanes, 1);
    this.squeeze_activation = new nn.ReLU({ inplace: true });
    this.expand1x1 = new nn.Conv2d(squeezePlanes, expand1x1Planes, 1);
    this.expand1x1_activation = new nn.ReLU({ inplace: true });
    this.expand3x3 = new nn.Conv2d(squeezePlanes, expand3x3Planes, 3, { padding: 1 });
    this.expand3x3_activation = new nn.ReLU({ inplace: true });
  }

  forward(x: Tensor): Tensor {
    x = this.squeeze_activation.forward(this.squeeze.forward(x));
    return cat(
      [
        this.expand1x1_activation.forward(this.expand1x1.forward(x)),
        this.expand3x3_activation.forward(this.expand3x3.forward(x)),
      ],
      1,
    );
  }
}

/** SqueezeNet's optional arguments after `version` (torchvision's order: `num_classes`, `dropout`). */
export interface SqueezeNetOptions {
  /** Default 1000. */
  numClasses?: number;
  /** Dropout before the final convolution (default 0.5). */
  dropout?: number;
}

/**
 * SqueezeNet version '1_0' or '1_1'. Initialisation as torchvision: convolutions
 * kaiming-uniform, the final one normal(0, 0.01), biases 0.
 */
export class SqueezeNet extends nn.Module {
  readonly numClasses: number;
  features: nn.Sequential;
  classifier: nn.Sequential;

  constructor(
    version: '1_0' | '1_1' = '1_0',
    ...args: WithOptions<[numClasses: number, dropout: number], SqueezeNetOptions>
  ) {
    super();
    const o = bindArgs<SqueezeNetOptions>(args, ['numClasses', 'dropout'], 'SqueezeNet');
    this.numClasses = checkInt(o.numClasses ?? 1000, 'numClasses', 1);
    const dropout = checkProbability(o.dropout ?? 0.5, 'dropout');
    const pool = () => new nn.MaxPool2d(3, { stride: 2, ceilMode: true });
    if (version === '1_0') {
      this.features = new nn.Sequential(
        new nn.Conv2d(3, 96, 7, { stride: 2 }),
        new nn.ReLU({ inplace: true }),
        pool(),
        new Fire(96, 16, 64, 64),
        new Fire(128, 16, 64, 64),
        new Fire(128, 32, 128, 128),
        pool(),
        new Fire(256, 32, 128, 128),
        new Fire(256, 48, 192, 192),
        new Fire(384, 48, 192, 192),
        new Fire(384, 64, 256, 256),
        pool(),
        new Fire(512, 64, 256, 256),
      );
    } else if (version === '1_1') {
      this.features = new nn.Sequential(
        new nn.Conv2d(3, 64, 3, { stride: 2 }),
        new nn.ReLU({ inplace: true }),
        pool(),
        new Fire(64, 16, 64, 64),
        new Fire(128, 16, 64, 64),
        pool(),
        new Fire(128, 32, 128, 128),
        new Fire(256, 32, 128, 128),
        pool(),
        new Fire(256, 48, 192, 192),
        new Fire(384, 48, 192, 192),
        new Fire(384, 64, 256, 256),
        new Fire(512, 64, 256, 256),
      );
    } else {
      throw rangeError("'1_0' or '1_1'", 'version', version);
    }

    // Final convolution is initialized differently from the rest
    const finalConv = new nn.Conv2d(512, this.numClasses, 1);
    this.classifier = new nn.Sequential(
      new nn.Dropout(dropout),
      finalConv,
      new nn.ReLU({ inplace: true }),
      new nn.AdaptiveAvgPool2d([1, 1]),
    );

    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) {
        if (m === finalConv) nn.init.normal_(m.weight, 0, 0.01);
        else nn.init.kaimingUniform_(m.weight);
        if (m.bias) nn.init.constant_(m.bias, 0);
      }
    }
  }

  forward(x: Tensor): Tensor {
    x = this.features.forward(x);
    x = this.classifier.forward(x);
    return x.flatten(1);
  }
}

/** SqueezeNet 1.0 (torchvision's `squeezenet1_0`). */
export function squeezenet1_0(options: SqueezeNetOptions = {}): SqueezeNet {
  return new SqueezeNet('1_0', options);
}
/** SqueezeNet 1.1: 2.4x less computation than 1.0 and slightly fewer parameters, same accuracy. */
export function squeezenet1_1(options: SqueezeNetOptions = {}): SqueezeNet {
  return new SqueezeNet('1_1', options);
}
