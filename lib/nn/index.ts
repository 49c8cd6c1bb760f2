/** The `nn` namespace. */
export { Module, type StateDict, type LoadStateDictResult, type ModuleTarget } from './module';
export { Parameter } from './parameter';
export { Conv2d, type Conv2dOptions } from './modules/conv';
export { BatchNorm2d, type BatchNormOptions } from './modules/batchnorm';
export { ReLU, Sigmoid, Tanh, Softmax, LogSoftmax } from './modules/activation';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d } from './modules/pooling';
export { Linear, Identity, Flatten, Dropout } from './modules/linear';
export { Sequential, ModuleList } from './modules/container';
export { CrossEntropyLoss, NLLLoss, MSELoss } from './modules/loss';
export type { FactoryOptions } from './modules/factory';
export * as functional from './functional';
export * as init from './init';
export * as parallel from './parallel/index';
export {
  Threshold,
  RReLU,
  Hardtanh,
  ReLU6,
  Hardsigmoid,
  SiLU,
  Mish,
  Hardswish,
  SELU,
  ELU,
  CELU,
  GLU,
  GELU,
  Hardshrink,
  Softshrink,
  LeakyReLU,
  LogSigmoid,
  Softplus,
  PReLU,
  Softsign,
  Tanhshrink,
  Softmin,
  Softmax2d,
} from './modules/activation_more';
export { Dropout1d, Dropout2d, Dropout3d, AlphaDropout, FeatureAlphaDropout } from './modules/dropout';
export {
  LayerNorm,
  GroupNorm,
  RMSNorm,
  LocalResponseNorm,
  type LayerNormOptions,
  type GroupNormOptions,
  type RMSNormOptions,
} from './modules/normalization';
export { Unflatten } from './modules/flatten';
export * as utils from './utils';
export {
  L1Loss,
  BCELoss,
  BCEWithLogitsLoss,
  SmoothL1Loss,
  HuberLoss,
  KLDivLoss,
  PoissonNLLLoss,
  GaussianNLLLoss,
  HingeEmbeddingLoss,
  MarginRankingLoss,
  CosineEmbeddingLoss,
  MultiLabelMarginLoss,
  SoftMarginLoss,
  MultiLabelSoftMarginLoss,
  MultiMarginLoss,
  TripletMarginLoss,
  TripletMarginWithDistanceLoss,
  CTCLoss,
  NLLLoss2d,
  type LegacyReduction,
} from './modules/loss_more';
export { PairwiseDistance, CosineSimilarity } from './modules/distance';
export {
  MultiheadAttention,
  NonDynamicallyQuantizableLinear,
  type MultiheadAttentionOptions,
  type MultiheadAttentionForwardOptions,
} from './modules/multihead_attention';
export {
  TransformerEncoderLayer,
  TransformerEncoder,
  generateSquareSubsequentMask,
  type TransformerEncoderLayerOptions,
  type TransformerEncoderOptions,
  type TransformerEncoderForwardOptions,
  type TransformerActivation,
} from './modules/transformer';
