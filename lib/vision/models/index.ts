/** `vision.models`: torchvision's model builders. */
export * from './resnet';
export * from './cifar_resnet';
