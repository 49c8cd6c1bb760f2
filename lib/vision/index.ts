/** The `vision` namespace (torchvision). */
export * as models from './models/index';
export * as datasets from './datasets/index';
export * as transforms from './transforms/index';
export * as io from './io';
export * as ops from './ops/index';
