/**
 * `serve`: running a vision model behind HTTP from Node (the library under `torchts serve`).
 * Forwards run on torchts's inference thread (`ScriptModule.forwardAsync`, torch.jit).
 */
export { createServer, InferenceServer, type Prediction, type ServerOptions } from './server';
export { loadServedModel, type LoadModelOptions, type ServedModel } from './model';
export { DynamicBatcher, QueueFullError, type BatcherOptions } from './batcher';
export { Histogram, ServerMetrics } from './metrics';
export type { ForwardAsyncOptions } from '../torch/async_jobs';
export { inferenceQueue } from '../torch/async_jobs';
