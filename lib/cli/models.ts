/** `--model` names of the command line. */
import type { Module } from '../nn/module';
import { TorchError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';
import * as models from '../vision/models/index';

type Classifier = Module & { forward(x: Tensor): Tensor };

const CIFAR_DEPTHS: Record<string, number> = { resnet8: 8, resnet20: 20, resnet32: 32, resnet44: 44, resnet56: 56, resnet110: 110 };
const TORCHVISION = ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'resnext50_32x4d', 'resnext101_32x8d', 'resnext101_64x4d', 'wide_resnet50_2', 'wide_resnet101_2'] as const;

/** Every name `--model` accepts. */
export const MODEL_NAMES = [...Object.keys(CIFAR_DEPTHS), ...TORCHVISION];

/**
 * Builds a model. CIFAR ResNets take any number of input channels; torchvision's take 3,
 * so their one-channel inputs are repeated to three (see `adaptInput`).
 */
export function buildModel(name: string, numClasses: number, inChannels: number): Classifier {
  if (name in CIFAR_DEPTHS) return new models.CifarResNet(CIFAR_DEPTHS[name], { numClasses, inChannels });
  if ((TORCHVISION as readonly string[]).includes(name)) {
    return (models[name as (typeof TORCHVISION)[number]] as (o: models.ResNetOptions) => Classifier)({ numClasses });
  }
  throw new TorchError(`unknown --model '${name}'; expected one of: ${MODEL_NAMES.join(', ')}`);
}

/** Grey images for a torchvision model: repeat the channel three times. */
export function adaptInput(name: string, x: Tensor): Tensor {
  return !(name in CIFAR_DEPTHS) && x.shape[1] === 1 ? x.expand(-1, 3, -1, -1) : x;
}
