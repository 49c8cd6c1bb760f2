/**
 * torchts: PyTorch for TypeScript.
 *
 *     import { torch, nn, optim } from 'torchts';
 *     const x = torch.randn([2, 3], { requiresGrad: true });
 *     x.mul(x).sum().backward();
 */
export * as torch from './torch/index';
export * as nn from './nn/index';
export * as optim from './optim/index';
export * as vision from './vision/index';
export * as data from './data/index';
export * as utils from './utils/index';
export * as distributed from './distributed/index';
export { Tensor, TorchError } from './torch/index';
export * as serve from './serve/index';
