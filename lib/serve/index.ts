/**
 * `serve`: running a vision model behind HTTP from Node (the library under `torchts serve`),
 * and TorchScript models with a forward off the event loop.
 */
export { createServer, InferenceServer, type Prediction, type ServerOptions } from './server';
export { loadServedModel, type LoadModelOptions, type ServedModel } from './model';
export { DynamicBatcher, QueueFullError, type BatcherOptions } from './batcher';
export { Histogram, ServerMetrics } from './metrics';
export { TorchScriptModel, type ForwardAsyncOptions } from './torchscript';
export { inferenceQueue } from '../torch/async_jobs';
