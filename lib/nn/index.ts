/** The `nn` namespace. */
export { Module, type StateDict, type LoadStateDictResult, type ModuleTarget } from './module';
export { Parameter } from './parameter';
export { Conv2d, type Conv2dOptions } from './modules/conv';
export { BatchNorm2d, type BatchNormOptions } from './modules/batchnorm';
export { ReLU, Sigmoid, Tanh, Softmax, LogSoftmax } from './modules/activation';
export { MaxPool2d, AvgPool2d } from './modules/pooling';
export { AdaptiveAvgPool2d, AdaptiveMaxPool2d } from './modules/adaptive_pooling';
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
} from './modules/activation';
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
} from './modules/loss';
export { PairwiseDistance, CosineSimilarity } from './modules/distance';
export {
  ConstantPad1d,
  ConstantPad2d,
  ConstantPad3d,
  ZeroPad1d,
  ZeroPad2d,
  ZeroPad3d,
  ReflectionPad1d,
  ReflectionPad2d,
  ReflectionPad3d,
  ReplicationPad1d,
  ReplicationPad2d,
  ReplicationPad3d,
  CircularPad1d,
  CircularPad2d,
  CircularPad3d,
} from './modules/padding';
export {
  MaxPool1d,
  MaxPool3d,
  AvgPool1d,
  AvgPool3d,
  LPPool1d,
  LPPool2d,
  LPPool3d,
  MaxUnpool1d,
  MaxUnpool2d,
  MaxUnpool3d,
} from './modules/pooling';
export {
  AdaptiveAvgPool1d,
  AdaptiveAvgPool3d,
  AdaptiveMaxPool1d,
  AdaptiveMaxPool3d,
  FractionalMaxPool2d,
  FractionalMaxPool3d,
} from './modules/adaptive_pooling';
export {
  MultiheadAttention,
  NonDynamicallyQuantizableLinear,
  type MultiheadAttentionOptions,
  type MultiheadAttentionForwardOptions,
} from './modules/multihead_attention';
export {
  Conv1d,
  Conv3d,
  ConvTranspose1d,
  ConvTranspose2d,
  ConvTranspose3d,
  type ConvOptions,
  type ConvTransposeOptions,
  type PaddingMode,
} from './modules/conv';
export { BatchNorm1d, BatchNorm3d } from './modules/batchnorm';
export { SyncBatchNorm, type SyncBatchNormOptions } from './modules/sync_batchnorm';
export { InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, type InstanceNormOptions } from './modules/instancenorm';
export { Embedding, EmbeddingBag, type EmbeddingOptions, type EmbeddingBagOptions } from './modules/sparse';
export { PixelShuffle, PixelUnshuffle, ChannelShuffle } from './modules/pixelshuffle';
export {
  Upsample,
  UpsamplingNearest2d,
  UpsamplingBilinear2d,
  type UpsampleMode,
  type UpsampleOptions,
} from './modules/upsampling';
export { Fold, Unfold } from './modules/fold';
export { Bilinear } from './modules/linear';
export { ModuleDict, ParameterList, ParameterDict } from './modules/container';
export {
  RNNBase,
  RNN,
  LSTM,
  GRU,
  RNNCellBase,
  RNNCell,
  LSTMCell,
  GRUCell,
  type RNNOptions,
  type LSTMOptions,
  type ElmanRNNOptions,
} from './modules/rnn';
export {
  TransformerEncoderLayer,
  TransformerEncoder,
  generateSquareSubsequentMask,
  type TransformerEncoderLayerOptions,
  type TransformerEncoderOptions,
  type TransformerEncoderForwardOptions,
  type TransformerActivation,
} from './modules/transformer';
