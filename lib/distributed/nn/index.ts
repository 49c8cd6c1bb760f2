/** `torch.distributed.nn`: differentiable collectives (`functional`). */
export * as functional from './functional';
