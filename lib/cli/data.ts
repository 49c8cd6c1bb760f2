/** `--data` specs of the command line: which data set, its classes and its transforms. */
import { TorchError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';
import type { Dataset } from '../data/dataset';
import * as datasets from '../vision/datasets/index';
import { Compose, Normalize, ToTensor, type Transform } from '../vision/transforms/index';

export interface DataSpec extends DataInfo {
  name: string;
  train: Dataset<[Tensor, number], [Tensor, Tensor]>;
  test: Dataset<[Tensor, number], [Tensor, Tensor]>;
}

/** What a model trained on a data set expects of an image, without opening the data. */
export interface DataInfo {
  classes: string[];
  inChannels: number;
  size: number;
  mean: number[];
  std: number[];
}

const MNIST_CLASSES = ['0 - zero', '1 - one', '2 - two', '3 - three', '4 - four', '5 - five', '6 - six', '7 - seven', '8 - eight', '9 - nine'];
const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const CIFAR_MEAN = [0.4914, 0.4822, 0.4465];
const CIFAR_STD = [0.247, 0.2435, 0.2616];

/** Image size, channels, normalisation and class names per `--data` kind. */
export const DATA_INFO: Record<string, DataInfo> = {
  mnist: { classes: MNIST_CLASSES, inChannels: 1, size: 28, mean: [0.1307], std: [0.3081] },
  'fashion-mnist': { classes: FASHION_CLASSES, inChannels: 1, size: 28, mean: [0.286], std: [0.353] },
  cifar10: { classes: CIFAR10_CLASSES, inChannels: 3, size: 32, mean: CIFAR_MEAN, std: CIFAR_STD },
  cifar100: { classes: Array.from({ length: 100 }, (_, i) => String(i)), inChannels: 3, size: 32, mean: CIFAR_MEAN, std: CIFAR_STD },
};

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
  const info = DATA_INFO[kind];
  const transform: Transform = info ? new Compose([new ToTensor(), new Normalize(info.mean, info.std)]) : new ToTensor();
  switch (kind) {
    case 'mnist':
    case 'fashion-mnist': {
      const Ctor = kind === 'mnist' ? datasets.MNIST : datasets.FashionMNIST;
      const open = (train: boolean): datasets.MNIST =>
        dir === null && kind === 'mnist' ? datasets.MNIST.embedded({ train, transform }) : new Ctor(needDir(), { train, transform });
      const train = open(true);
      return { ...info, name: kind, train, test: open(false), classes: train.classes };
    }
    case 'cifar10':
    case 'cifar100': {
      const Ctor = kind === 'cifar10' ? datasets.CIFAR10 : datasets.CIFAR100;
      const train = new Ctor(needDir(), { train: true, transform });
      return { ...info, name: kind, train, test: new Ctor(needDir(), { train: false, transform }), classes: train.classes };
    }
    default:
      throw new TorchError(`unknown --data '${spec}'; expected one of: ${DATA_FORMS.join(', ')}`);
  }
}
