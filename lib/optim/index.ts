/** The `optim` namespace. */
export {
  Optimizer,
  type ParamGroup,
  type HeldGroup,
  type Params,
  type ParamState,
  type StateValue,
  type OptimizerStateDict,
  type Closure,
} from './optimizer';
export { SGD, type SGDOptions } from './sgd';
export { Adam, AdamW, type AdamOptions } from './adam';
export { Adadelta, type AdadeltaOptions } from './adadelta';
export { Adagrad, type AdagradOptions } from './adagrad';
export { Adamax, type AdamaxOptions } from './adamax';
export { ASGD, type ASGDOptions } from './asgd';
export { LBFGS, type LBFGSOptions } from './lbfgs';
export { NAdam, type NAdamOptions } from './nadam';
export { RAdam, type RAdamOptions } from './radam';
export { RMSprop, type RMSpropOptions } from './rmsprop';
export { Rprop, type RpropOptions } from './rprop';
export * as lr_scheduler from './lr_scheduler';
export * as swa_utils from './swa_utils';
