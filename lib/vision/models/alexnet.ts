/**
 * AlexNet, mirroring torchvision/models/alexnet.py (One weird trick for parallelizing
 * convolutional neural networks, https://arxiv.org/abs/1404.5997): the same layers, names
 * and PyTorch-default initialisation, so `stateDict()` keys are torchvision's.
 */
import * as nn from '../../nn/index';
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkInt, checkProbability } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';

/** AlexNet's optional arguments (torchvision's `num_classes`, `dropout`), also positional in that order. */
export interface AlexNetOptions {
  /** Default 1000. */
  numClasses?: number;
  /** Dropout probability of the classifier (default 0.5). */
  dropout?: number;
}

/** AlexNet: five convolutions, adaptive average pooling to 6x6 (inputs of 63x63 and up), three linear layers. */
export class AlexNet extends nn.Module {
  features: nn.Sequential;
  avgpool: nn.AdaptiveAvgPool2d;
  classifier: nn.Sequential;

  constructor(...args: WithOptions<[numClasses: number, dropout: number], AlexNetOptions>) {
    super();
    const o = bindArgs<AlexNetOptions>(args, ['numClasses', 'dropout'], 'AlexNet');
    const numClasses = checkInt(o.numClasses ?? 1000, 'numClasses', 1);
    const dropout = checkProbability(o.dropout ?? 0.5, 'dropout');
    this.features = new nn.Sequential(
      new nn.Conv2d(3, 64, 11, { stride: 4, padding: 2 }),
      new nn.ReLU({ inplace: true }),
      new nn.MaxPool2d(3, { stride: 2 }),
      new nn.Conv2d(64, 192, 5, { padding: 2 }),
      new nn.ReLU({ inplace: true }),
      new nn.MaxPool2d(3, { stride: 2 }),
      new nn.Conv2d(192, 384, 3, { padding: 1 }),
      new nn.ReLU({ inplace: true }),
      new nn.Conv2d(384, 256, 3, { padding: 1 }),
      new nn.ReLU({ inplace: true }),
      new nn.Conv2d(256, 256, 3, { padding: 1 }),
      new nn.ReLU({ inplace: true }),
      new nn.MaxPool2d(3, { stride: 2 }),
    );
    this.avgpool = new nn.AdaptiveAvgPool2d([6, 6]);
    this.classifier = new nn.Sequential(
      new nn.Dropout(dropout),
      new nn.Linear(256 * 6 * 6, 4096),
      new nn.ReLU({ inplace: true }),
      new nn.Dropout(dropout),
      new nn.Linear(4096, 4096),
      new nn.ReLU({ inplace: true }),
      new nn.Linear(4096, numClasses),
    );
  }

  forward(x: Tensor): Tensor {
    x = this.features.forward(x);
    x = this.avgpool.forward(x);
    x = x.flatten(1);
    x = this.classifier.forward(x);
    return x;
  }
}

/** AlexNet (torchvision's `alexnet`). */
export function alexnet(options: AlexNetOptions = {}): AlexNet {
  return new AlexNet(options);
}
