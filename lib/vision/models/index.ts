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
export * from './alexnet';
export * from './squeezenet';
export * from './mnasnet';
// shufflenetv2.py, mobilenetv2.py and mobilenetv3.py each define an `InvertedResidual`: exported
// here as `<Model>InvertedResidual` (the class name, and so its printed name, stays InvertedResidual).
export {
  InvertedResidual as ShuffleNetInvertedResidual,
  ShuffleNetV2,
  channelShuffle,
  shufflenet_v2_x0_5,
  shufflenet_v2_x1_0,
  shufflenet_v2_x1_5,
  shufflenet_v2_x2_0,
  type ShuffleNetV2Options,
  type ShuffleNetV2BuilderOptions,
} from './shufflenetv2';
export {
  InvertedResidual as MobileNetV2InvertedResidual,
  MobileNetV2,
  mobilenet_v2,
  type MobileNetV2Block,
  type MobileNetV2Options,
} from './mobilenetv2';
export {
  InvertedResidual as MobileNetV3InvertedResidual,
  InvertedResidualConfig,
  MobileNetV3,
  mobilenetV3Conf,
  mobilenet_v3_large,
  mobilenet_v3_small,
  type MobileNetV3Block,
  type MobileNetV3BuilderOptions,
  type MobileNetV3ConfOptions,
  type MobileNetV3Options,
  type SELayer,
} from './mobilenetv3';
// efficientnet.py and maxvit.py each define an `MBConv`: EfficientNet's is exported as
// `EfficientNetMBConv` (its class name, and so its printed name, stays MBConv).
export {
  EfficientNet,
  type EfficientNetBuilderOptions,
  type EfficientNetOptions,
  efficientnetConf,
  efficientnet_b0,
  efficientnet_b1,
  efficientnet_b2,
  efficientnet_b3,
  efficientnet_b4,
  efficientnet_b5,
  efficientnet_b6,
  efficientnet_b7,
  efficientnet_v2_l,
  efficientnet_v2_m,
  efficientnet_v2_s,
  FusedMBConv,
  FusedMBConvConfig,
  MBConv as EfficientNetMBConv,
  type MBConvBlock,
  MBConvConfig,
  type MBConvSELayer,
  _MBConvConfig,
} from './efficientnet';
export * from './regnet';
export * from './convnext';
export * from './registry';
export { MODEL_WEIGHTS } from './weights';
export * from './maxvit';
