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
export { type Sampler, SequentialSampler, RandomSampler } from './sampler';
export { DistributedSampler, type DistributedSamplerOptions } from './distributed_sampler';
