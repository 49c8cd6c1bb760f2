/** `utils.tensorboard` (torch.utils.tensorboard): TensorBoard event files. */
export { SummaryWriter, type SummaryWriterOptions } from './writer';
export type { Bins, DataFormats } from './summary';
