/**
 * torchts: PyTorch for TypeScript.
 *
 *     import { torch } from 'torchts';
 *     const x = torch.randn([2, 3], { requiresGrad: true });
 *     x.mul(x).sum().backward();
 */
export * as torch from './torch/index';
export { Tensor, TorchError } from './torch/index';
