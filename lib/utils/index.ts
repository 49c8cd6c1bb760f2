/** The `utils` namespace (torch.utils). */
export * as tensorboard from './tensorboard/index';
