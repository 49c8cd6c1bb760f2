/** The `vision` namespace (torchvision). */
export * as models from './models/index';
