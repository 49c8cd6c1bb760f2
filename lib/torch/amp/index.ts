/** `torch.amp`: automatic mixed precision (autocast regions and gradient scaling). */
export { autocast, isAutocastEnabled, type AutocastDevice, type AutocastOptions } from './autocast';
export { GradScaler, type GradScalerOptions, type GradScalerState } from './grad_scaler';
