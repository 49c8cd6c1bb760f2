/**
 * `vision.transforms`. Images are tensors: uint8 [C, H, W] (or a batch [N, C, H, W]) as
 * decoded, float [C, H, W] in [0, 1] after ToTensor. Each transform is `forward(x)`;
 * `functional` holds the functions they are built on (torchvision.transforms.functional).
 */
export { Compose, Normalize, ToTensor, type Transform } from './core';
export {
  CenterCrop,
  Pad,
  RandomCrop,
  RandomHorizontalFlip,
  RandomResizedCrop,
  RandomVerticalFlip,
  Resize,
  type PadOptions,
  type RandomCropOptions,
  type RandomResizedCropOptions,
} from './geometry';
export { ColorJitter, Grayscale, type ColorJitterOptions } from './color';
export type { PaddingMode, ResizeOptions } from './functional';
export * as functional from './functional';
export {
  applyOp,
  AugMix,
  AutoAugment,
  AutoAugmentPolicy,
  RandAugment,
  TrivialAugmentWide,
  type AugMixOptions,
  type AugmentOp,
  type AutoAugmentOptions,
  type RandAugmentOptions,
  type TrivialAugmentWideOptions,
} from './autoaugment';
export { RandomErasing, type RandomErasingOptions } from './erasing';
export { RandomCutmix, RandomMixup, type RandomMixOptions } from './mixup';
export type { AffineOptions, Interpolation } from './functional_augment';
