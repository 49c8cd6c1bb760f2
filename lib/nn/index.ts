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
  MultiheadAttention,
  NonDynamicallyQuantizableLinear,
  type MultiheadAttentionOptions,
  type MultiheadAttentionForwardOptions,
} from './modules/multihead_attention';
