/** `--data` specs of the command line: which data set, its classes and its transforms. */
import { TorchError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';
import type { Dataset } from '../data/dataset';
import * as fs from 'node:fs';
import * as path from 'node:path';

import * as datasets from '../vision/datasets/index';
import { findClasses } from '../vision/datasets/folder';
import { openImageFolder } from './dataset_cache';
import { IMAGENET_CATEGORIES } from '../vision/models/meta';
import {
  CenterCrop,
  Compose,
  Normalize,
  RandomHorizontalFlip,
  RandomResizedCrop,
  Resize,
  ToTensor,
  type Transform,
} from '../vision/transforms/index';

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

const MNIST_CLASSES = [
  '0 - zero',
  '1 - one',
  '2 - two',
  '3 - three',
  '4 - four',
  '5 - five',
  '6 - six',
  '7 - seven',
  '8 - eight',
  '9 - nine',
];
const FASHION_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];
const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const CIFAR_MEAN = [0.4914, 0.4822, 0.4465];
const CIFAR_STD = [0.247, 0.2435, 0.2616];

/** Image size, channels, normalisation and class names per `--data` kind. */
export const DATA_INFO: Record<string, DataInfo> = {
  mnist: { classes: MNIST_CLASSES, inChannels: 1, size: 28, mean: [0.1307], std: [0.3081] },
  'fashion-mnist': { classes: FASHION_CLASSES, inChannels: 1, size: 28, mean: [0.286], std: [0.353] },
  cifar10: { classes: CIFAR10_CLASSES, inChannels: 3, size: 32, mean: CIFAR_MEAN, std: CIFAR_STD },
  cifar100: {
    classes: Array.from({ length: 100 }, (_, i) => String(i)),
    inChannels: 3,
    size: 32,
    mean: CIFAR_MEAN,
    std: CIFAR_STD,
  },
};

/** `--data fake`: torchvision's FakeData, 10 classes of 3-channel images, 32 pixels unless --image-size. */
const FAKE_INFO: DataInfo = {
  classes: Array.from({ length: 10 }, (_, i) => String(i)),
  inChannels: 3,
  size: 32,
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
};
/** Training images of `--data fake` without a count; the test split has a fifth as many. */
const FAKE_SIZE = 1000;

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

/** The forms `--data` accepts. */
export const DATA_FORMS = [
  'mnist',
  'fashion-mnist:<dir>',
  'mnist:<dir>',
  'cifar10:<dir>',
  'cifar100:<dir>',
  'imagefolder:<dir>',
  'fake[:<images>]',
  'imagenet (predict only)',
];

function splitSpec(spec: string): { kind: string; dir: string | null } {
  const i = spec.indexOf(':');
  return { kind: i < 0 ? spec : spec.slice(0, i), dir: i < 0 ? null : spec.slice(i + 1) };
}

/**
 * The two splits of an image folder: <dir>/train and <dir>/val (or <dir>/test), each with one
 * sub-folder per class (torchvision's ImageNet layout).
 */
function imageFolderSplits(dir: string): { train: string; test: string } {
  const train = path.join(dir, 'train');
  const test = ['val', 'test'].map((s) => path.join(dir, s)).find((d) => fs.existsSync(d));
  if (!fs.existsSync(train) || !test) {
    throw new TorchError(
      `--data imagefolder:${dir} needs ${train} and ${path.join(dir, 'val')} (or test), each with one folder of images per class`,
    );
  }
  return { train, test };
}

/** The image count of `--data fake:<images>`. */
function fakeSize(count: string): number {
  const n = Number(count);
  if (count === '' || !Number.isSafeInteger(n) || n < 1)
    throw new TorchError(`--data fake:<images> expects a positive number of images but received '${count}'`);
  return n;
}

/**
 * What a model trained on `--data spec` expects: class names, channels, image size and
 * normalisation. `imageSize` overrides the data set's own size (224 for image folders).
 */
export function dataInfo(spec: string, imageSize?: number): DataInfo {
  const { kind, dir } = splitSpec(spec);
  if (kind === 'imagenet') {
    // torchvision's ImageNet-1k weights: their class names and preprocessing (224² crop of a 256 resize).
    return {
      classes: [...IMAGENET_CATEGORIES],
      inChannels: 3,
      size: imageSize ?? 224,
      mean: IMAGENET_MEAN,
      std: IMAGENET_STD,
    };
  }
  if (kind === 'imagefolder') {
    if (!dir) throw new TorchError('--data imagefolder needs a folder: --data imagefolder:<dir>');
    const { classes } = findClasses(imageFolderSplits(dir).train);
    return { classes, inChannels: 3, size: imageSize ?? 224, mean: IMAGENET_MEAN, std: IMAGENET_STD };
  }
  if (kind === 'fake') {
    if (dir !== null) fakeSize(dir);
    return imageSize === undefined ? FAKE_INFO : { ...FAKE_INFO, size: imageSize };
  }
  const info = DATA_INFO[kind];
  if (!info) throw new TorchError(`unknown --data '${spec}'; expected one of: ${DATA_FORMS.join(', ')}`);
  return imageSize === undefined ? info : { ...info, size: imageSize };
}

/** Training-recipe additions to the data pipeline (lib/cli/train_recipe.ts). */
export interface DataAugment {
  /** Applied to the uint8 training image before ToTensor (AutoAugment and kin). */
  uint8?: Transform[];
  /** Applied to the normalised training tensor (RandomErasing). */
  float?: Transform[];
  /** Image folders: the training crop, the evaluation resize and crop (torchvision's presets). */
  trainCropSize?: number | null;
  valResizeSize?: number | null;
  valCropSize?: number | null;
  /** Image folders: keep their scanned file lists in a cache file (torchvision's --cache-dataset). */
  cacheDataset?: boolean;
}

/**
 * Opens the data set named by a `--data` value; errors name the accepted forms. Image
 * folders are decoded from JPEG/PNG and augmented for training (RandomResizedCrop + flip),
 * resized and centre-cropped for evaluation, at `imageSize` (default 224). `fake[:<images>]` is
 * torchvision's FakeData (1000 training images unless given, 32 pixels unless `imageSize`),
 * for smoke tests and benchmarks.
 */
export function openData(spec: string, imageSize?: number, augment: DataAugment = {}): DataSpec {
  const { kind, dir } = splitSpec(spec);
  const needDir = (): string => {
    if (!dir) throw new TorchError(`--data ${kind} needs a folder: --data ${kind}:<dir>`);
    return dir;
  };
  const info = dataInfo(spec, imageSize);
  const normalize = new Normalize(info.mean, info.std);
  // The built-in sets are used at their own size; a different --image-size resizes them.
  const resize = imageSize !== undefined && kind !== 'imagefolder' ? [new Resize(imageSize)] : [];
  const transform: Transform = new Compose([...resize, new ToTensor(), normalize]);
  const [pre, post] = [augment.uint8 ?? [], augment.float ?? []];
  const trainTransform: Transform =
    pre.length + post.length === 0 ? transform : new Compose([...resize, ...pre, new ToTensor(), normalize, ...post]);
  switch (kind) {
    case 'mnist':
    case 'fashion-mnist': {
      const Ctor = kind === 'mnist' ? datasets.MNIST : datasets.FashionMNIST;
      const open = (train: boolean): datasets.MNIST =>
        dir === null && kind === 'mnist'
          ? datasets.MNIST.embedded({ train, transform: train ? trainTransform : transform })
          : new Ctor(needDir(), { train, transform: train ? trainTransform : transform });
      const train = open(true);
      return { ...info, name: kind, train, test: open(false), classes: train.classes };
    }
    case 'cifar10':
    case 'cifar100': {
      const Ctor = kind === 'cifar10' ? datasets.CIFAR10 : datasets.CIFAR100;
      const train = new Ctor(needDir(), { train: true, transform: trainTransform });
      return {
        ...info,
        name: kind,
        train,
        test: new Ctor(needDir(), { train: false, transform }),
        classes: train.classes,
      };
    }
    case 'imagefolder': {
      const split = imageFolderSplits(needDir());
      const size = augment.trainCropSize ?? info.size;
      const valCrop = augment.valCropSize ?? info.size;
      const cache = augment.cacheDataset === true;
      // Only the first worker of a job reports.
      const log = (line: string): void => {
        if ((process.env.RANK ?? '0') === '0') console.log(line);
      };
      const train = openImageFolder(
        split.train,
        new Compose([
          new RandomResizedCrop(size),
          new RandomHorizontalFlip(),
          ...pre,
          new ToTensor(),
          normalize,
          ...post,
        ]),
        cache,
        log,
      );
      const test = openImageFolder(
        split.test,
        new Compose([
          new Resize(augment.valResizeSize ?? Math.round((valCrop * 256) / 224)),
          new CenterCrop(valCrop),
          new ToTensor(),
          normalize,
        ]),
        cache,
        log,
      );
      if (test.classes.join('\n') !== train.classes.join('\n')) {
        throw new TorchError(`--data imagefolder:${dir}: ${split.test} has other class folders than ${split.train}`);
      }
      return { ...info, name: `imagefolder:${dir}`, train, test };
    }
    case 'fake': {
      // torchvision's FakeData: random images, the same on every visit; the test split's are
      // other images (seeded after the training ones), with their own random labels.
      const size = dir === null ? FAKE_SIZE : fakeSize(dir);
      const shape = [3, info.size, info.size];
      const tensorize: Transform = new Compose([new ToTensor(), normalize]);
      // The recipe's augmentations work on the uint8 images, before ToTensor, as on image folders.
      const trainTensorize: Transform =
        pre.length + post.length === 0 ? tensorize : new Compose([...pre, new ToTensor(), normalize, ...post]);
      const train = new datasets.FakeData(size, shape, 10, trainTensorize);
      const test = new datasets.FakeData(Math.ceil(size / 5), shape, 10, tensorize, { randomOffset: size });
      return { ...info, name: dir === null ? 'fake' : `fake:${dir}`, train, test };
    }
    case 'imagenet':
      throw new TorchError(
        "--data imagenet names the classes of torchvision's ImageNet weights for predict; train and eval need images: --data imagefolder:<dir>",
      );
    default:
      throw new TorchError(`unknown --data '${spec}'; expected one of: ${DATA_FORMS.join(', ')}`);
  }
}
