/** The `data` namespace (`torch.utils.data`). */
export { type Dataset, TensorDataset } from './dataset';
export { DataLoader, defaultCollate, type DataLoaderOptions } from './dataloader';
export { type Sampler, SequentialSampler, RandomSampler } from './sampler';
