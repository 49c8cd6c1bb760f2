/** `vision.models`: torchvision's model builders. */
export * from './resnet';
export * from './cifar_resnet';
export * from './vgg';
export * from './densenet';
export { BasicConv2d, type BasicConv2dOptions } from './basic_conv';
// googlenet.py and inception.py both define an `InceptionAux`; GoogLeNet's is exported as
// `GoogLeNetInceptionAux` (its class name, and so its printed name, stays InceptionAux).
export {
  GoogLeNet,
  GoogLeNetOutputs,
  Inception,
  InceptionAux as GoogLeNetInceptionAux,
  googlenet,
  type GoogLeNetOptions,
} from './googlenet';
export * from './inception';
export { IMAGENET_CATEGORIES } from './meta';
export * from './vision_transformer';
export * from './swin_transformer';
export * from './registry';
export { MODEL_WEIGHTS } from './weights';
export * from './maxvit';
