/** `--data` specs of the command line: which data set, its classes and its transforms. */
import { TorchError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';
import type { Dataset } from '../data/dataset';
import * as datasets from '../vision/datasets/index';
import { Compose, Normalize, ToTensor, type Transform } from '../vision/transforms/index';

export interface DataSpec {
  name: string;
  train: Dataset<[Tensor, number], [Tensor, Tensor]>;
  test: Dataset<[Tensor, number], [Tensor, Tensor]>;
  classes: string[];
  inChannels: number;
  /** Height and width of the images. */
  size: number;
  mean: number[];
  std: number[];
}

/** The forms `--data` accepts. */
export const DATA_FORMS = ['mnist', 'fashion-mnist:<dir>', 'mnist:<dir>', 'cifar10:<dir>', 'cifar100:<dir>'];

/** Opens the data set named by a `--data` value; errors name the accepted forms. */
export function openData(spec: string): DataSpec {
  const i = spec.indexOf(':');
  const kind = i < 0 ? spec : spec.slice(0, i);
  const dir = i < 0 ? null : spec.slice(i + 1);
  const needDir = (): string => {
    if (!dir) throw new TorchError(`--data ${kind} needs a folder: --data ${kind}:<dir>`);
    return dir;
  };
  const make = (mean: number[], std: number[]): Transform => new Compose([new ToTensor(), new Normalize(mean, std)]);
  switch (kind) {
    case 'mnist':
    case 'fashion-mnist': {
      const [mean, std] = kind === 'mnist' ? [[0.1307], [0.3081]] : [[0.286], [0.353]];
      const transform = make(mean, std);
      const Ctor = kind === 'mnist' ? datasets.MNIST : datasets.FashionMNIST;
      const open = (train: boolean): datasets.MNIST =>
        dir === null && kind === 'mnist' ? datasets.MNIST.embedded({ train, transform }) : new Ctor(needDir(), { train, transform });
      const train = open(true);
      return { name: kind, train, test: open(false), classes: train.classes, inChannels: 1, size: 28, mean, std };
    }
    case 'cifar10':
    case 'cifar100': {
      const mean = [0.4914, 0.4822, 0.4465];
      const std = [0.247, 0.2435, 0.2616];
      const transform = make(mean, std);
      const Ctor = kind === 'cifar10' ? datasets.CIFAR10 : datasets.CIFAR100;
      const train = new Ctor(needDir(), { train: true, transform });
      return { name: kind, train, test: new Ctor(needDir(), { train: false, transform }), classes: train.classes, inChannels: 3, size: 32, mean, std };
    }
    default:
      throw new TorchError(`unknown --data '${spec}'; expected one of: ${DATA_FORMS.join(', ')}`);
  }
}
