/** The `nn.parallel` namespace. */
export { DistributedDataParallel, type DistributedDataParallelOptions } from './distributed';
