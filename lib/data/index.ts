/** The `data` namespace (`torch.utils.data`). */
export {
  ConcatDataset,
  type Dataset,
  randomSplit,
  type RandomSplitOptions,
  Subset,
  TensorDataset,
} from './dataset';
export { DataLoader, defaultCollate, type DataLoaderOptions } from './dataloader';
export { BatchSampler, RandomSampler, type RandomSamplerOptions, type Sampler, SequentialSampler } from './sampler';
export { forBatch, forSample, sampleGenerator } from './seed';
export { getWorkerInfo, ModuleDataset, type ModuleRef, type WorkerInfo } from './workers';
export { DistributedSampler, type DistributedSamplerOptions } from './distributed_sampler';
