/** The `optim` namespace. */
export {
  Optimizer,
  type ParamGroup,
  type HeldGroup,
  type Params,
  type ParamState,
  type OptimizerStateDict,
} from './optimizer';
export { SGD, type SGDOptions } from './sgd';
export { Adam, AdamW, type AdamOptions } from './adam';
export * as lr_scheduler from './lr_scheduler';
