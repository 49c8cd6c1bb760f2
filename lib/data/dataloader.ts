/**
 * DataLoader: batches a dataset, optionally shuffled by a seeded generator, and keeps the
 * next batches in flight while the training step runs. Iterate with `for await`.
 */
import { N } from '../native';
import { stack } from '../torch/functions';
import { tensor } from '../torch/creation';
import { checkBool, checkInt, checkOptions, typeError } from '../torch/errors';
import type { Generator } from '../torch/generator';
import { lend, reclaim, tidy } from '../torch/memory';
import { Tensor } from '../torch/tensor';
import type { Dataset } from './dataset';
import { batches, RandomSampler, type Sampler, SequentialSampler } from './sampler';

export interface DataLoaderOptions<T, B> {
  batchSize?: number;
  shuffle?: boolean;
  /** Custom index order (mutually exclusive with shuffle); a DistributedSampler fits here. */
  sampler?: Sampler;
  dropLast?: boolean;
  /** Turns a list of items into a batch (default: stack tensors, numbers become a tensor). */
  collateFn?: (items: T[]) => B;
  /** The generator RandomSampler draws from. */
  generator?: Generator;
  /** How many batches to prepare ahead (default 2). */
  prefetch?: number;
  /**
   * Put batches in page-locked host memory, so that `to('cuda', { nonBlocking: true })`
   * copies them asynchronously. Without CUDA it is ignored with a warning, as in PyTorch.
   */
  pinMemory?: boolean;
}

/** PyTorch's default_collate for tensors, numbers and arrays/objects of them. */
export function defaultCollate(items: unknown[]): unknown {
  const first = items[0];
  if (first instanceof Tensor) return stack(items as Tensor[]);
  if (typeof first === 'number' || typeof first === 'boolean') return tensor(items as number[]);
  if (Array.isArray(first)) return first.map((_, i) => defaultCollate(items.map((it) => (it as unknown[])[i])));
  if (first !== null && typeof first === 'object') {
    return Object.fromEntries(
      Object.keys(first).map((k) => [k, defaultCollate(items.map((it) => (it as Record<string, unknown>)[k]))]),
    );
  }
  throw typeError('Tensors, numbers, or arrays/objects of them', 'dataset items', first);
}

export class DataLoader<T = unknown, B = unknown> {
  readonly dataset: Dataset<T, B>;
  readonly batchSize: number;
  readonly dropLast: boolean;
  readonly sampler: Sampler;
  readonly prefetch: number;
  readonly pinMemory: boolean;
  private readonly collate: (items: T[]) => B;

  constructor(dataset: Dataset<T, B>, options: DataLoaderOptions<T, B> = {}) {
    if (!dataset || typeof dataset.length !== 'number' || typeof dataset.get !== 'function') {
      throw typeError('a Dataset (with length and get(index))', 'dataset', dataset);
    }
    const o = checkOptions<DataLoaderOptions<T, B>>(options);
    this.dataset = dataset;
    this.batchSize = checkInt(o.batchSize ?? 1, 'batchSize', 1);
    this.dropLast = checkBool(o.dropLast ?? false, 'dropLast');
    this.prefetch = checkInt(o.prefetch ?? 2, 'prefetch', 0);
    this.pinMemory = checkBool(o.pinMemory ?? false, 'pinMemory');
    if (this.pinMemory && !N.cudaIsAvailable()) {
      if (!warnedNoPin)
        console.warn("torchts: DataLoader's pinMemory is set but CUDA is not available; batches are not pinned");
      warnedNoPin = true;
      this.pinMemory = false;
    }
    if (o.sampler && o.shuffle) throw new TypeError('Expected either sampler or shuffle for options but received both');
    if (o.sampler !== undefined && (typeof o.sampler.indices !== 'function' || typeof o.sampler.length !== 'number')) {
      throw typeError('a Sampler (with length and indices())', 'sampler', o.sampler);
    }
    this.sampler =
      o.sampler ??
      (checkBool(o.shuffle ?? false, 'shuffle')
        ? new RandomSampler(dataset.length, { generator: o.generator })
        : new SequentialSampler(dataset.length));
    this.collate = o.collateFn ?? (defaultCollate as (items: T[]) => B);
    if (typeof this.collate !== 'function') throw typeError('a function', 'collateFn', this.collate);
  }

  /** Number of batches per epoch. */
  get length(): number {
    const n = this.sampler.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  private load(indices: number[]): Promise<B> {
    // One scope per batch: the per-item tensors (and anything a transform made) are freed once
    // the batch is built; tensors that existed before (a dataset's own) are left alone.
    return tidy(async () => {
      const batch = this.dataset.getItems
        ? ((await this.dataset.getItems(indices)) as B)
        : this.collate(await Promise.all(indices.map((i) => this.dataset.get(i))));
      return this.pinMemory ? pinAll(batch) : batch;
    });
  }

  /**
   * Iterates over the batches of one epoch. The loader owns the batches it hands out: a batch
   * is freed when the loop asks for the next one (or stops), unless `torch.keep()` was called on
   * it; no scope frees it before that. Batches prepared ahead are the loader's until handed out,
   * and freed if the loop stops early. The event loop gets a turn at least every
   * YIELD_EVERY_MS, so timers and I/O keep running during a loop over in-memory data.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    const plan = batches(this.sampler.indices(), this.batchSize, this.dropLast);
    const lender = {};
    const inFlight: Promise<B>[] = [];
    let next = 0;
    const fill = (): void => {
      while (next < plan.length && inFlight.length <= this.prefetch) {
        inFlight.push(this.load(plan[next++]).then((b) => lend(b, lender)));
      }
    };
    let lastTurn = performance.now();
    let current: B | undefined;
    try {
      fill();
      while (inFlight.length > 0) {
        const batch = await (inFlight.shift() as Promise<B>);
        fill();
        if (performance.now() - lastTurn > YIELD_EVERY_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastTurn = performance.now();
        }
        current = batch;
        yield batch;
        // The loop asked for the next batch: this one is done with.
        reclaim(current, lender, BATCH_FREED);
        current = undefined;
      }
    } finally {
      if (current !== undefined) reclaim(current, lender, BATCH_FREED);
      for (const b of await Promise.allSettled(inFlight)) {
        if (b.status === 'fulfilled') reclaim(b.value, lender, BATCH_FREED);
      }
    }
  }
}

/** The longest a loop over a DataLoader runs without giving the event loop a turn. */
const YIELD_EVERY_MS = 50;
const BATCH_FREED =
  'it was a DataLoader batch, freed when the loop asked for the next batch (call torch.keep() on a batch to keep it)';

let warnedNoPin = false;

/** The batch with every tensor moved to pinned memory (the unpinned ones are freed). */
function pinAll<B>(b: B): B {
  if (b instanceof Tensor) {
    if (b.isPinned()) return b;
    const pinned = b.pinMemory();
    b.dispose();
    return pinned as B;
  }
  if (Array.isArray(b)) return b.map(pinAll) as B;
  if (b !== null && typeof b === 'object')
    return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, pinAll(v)])) as B;
  return b;
}
