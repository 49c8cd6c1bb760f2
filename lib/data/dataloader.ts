/**
 * DataLoader: batches a dataset, optionally shuffled by a seeded generator, and keeps the
 * next batches in flight while the training step runs. Iterate with `for await`.
 */
import { N } from '../native';
import { stack } from '../torch/functions';
import { tensor } from '../torch/creation';
import { bindArgs, type WithOptions } from '../torch/args';
import { checkBool, checkInt, checkNumber, checkOptions, typeError } from '../torch/errors';
import { Generator } from '../torch/generator';
import { lend, reclaim, tidy } from '../torch/memory';
import { Tensor } from '../torch/tensor';
import type { Dataset } from './dataset';
import { BatchSampler, RandomSampler, type Sampler, SequentialSampler } from './sampler';
import { drawSeed, forBatch, forSample, withLoaderSeed } from './seed';
import { type DatasetSpec, decode, type ModuleRef, resolveModule, WorkerPool, workerSpec } from './workers';

export interface DataLoaderOptions<T, B> {
  /** Items per batch (default 1); null loads items one at a time, uncollated, as PyTorch's batch_size=None. */
  batchSize?: number | null;
  /** A new random order every epoch (mutually exclusive with sampler). */
  shuffle?: boolean;
  /** Custom index order (mutually exclusive with shuffle); a DistributedSampler fits here. */
  sampler?: Sampler | null;
  /** Yields whole batches of indices (mutually exclusive with batchSize, shuffle, sampler and dropLast). */
  batchSampler?: BatchSampler | null;
  /** Worker threads that load the batches (default 0: the main thread, with async decoding). */
  numWorkers?: number;
  /** Turns a list of items into a batch (default: stack tensors, numbers become a tensor). */
  collateFn?: ((items: T[]) => B) | null;
  /**
   * Put batches in page-locked host memory, so that `to('cuda', { nonBlocking: true })`
   * copies them asynchronously. Without CUDA it is ignored with a warning, as in PyTorch.
   */
  pinMemory?: boolean;
  dropLast?: boolean;
  /**
   * The generator the iterator's base seed and RandomSampler's permutations are drawn from
   * (default: the global generator, as in PyTorch).
   */
  generator?: Generator | null;
  /** How many batches to prepare ahead on the main thread when numWorkers is 0 (default 2). */
  prefetch?: number;
  /** Seconds to wait for a batch from the workers before throwing (default 0: no limit). */
  timeout?: number;
  /**
   * Called in each worker thread with its id, after its dataset is built (PyTorch's
   * worker_init_fn). A function cannot cross threads: name it by module and export.
   */
  workerInitFn?: ModuleRef | null;
  /** Not for threads: PyTorch's multiprocessing start method has no torchts counterpart (must be undefined). */
  multiprocessingContext?: never;
  /** Batches each worker loads ahead (default 2; numWorkers > 0 only). */
  prefetchFactor?: number;
  /** Keep the workers (and their datasets) from one iteration to the next (default false). */
  persistentWorkers?: boolean;
}

const DATALOADER_ARGS = [
  'batchSize',
  'shuffle',
  'sampler',
  'batchSampler',
  'numWorkers',
  'collateFn',
  'pinMemory',
  'dropLast',
  'timeout',
  'workerInitFn',
  'multiprocessingContext',
  'generator',
] as const;
const DATALOADER_KEYS = [...DATALOADER_ARGS, 'prefetch', 'prefetchFactor', 'persistentWorkers'] as const;

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

/**
 * Batches a dataset, as PyTorch's `DataLoader(dataset, batch_size=1, shuffle=None,
 * sampler=None, batch_sampler=None, num_workers=0, collate_fn=None, pin_memory=False,
 * drop_last=False, timeout=0, worker_init_fn=None, multiprocessing_context=None,
 * generator=None)`: those arguments may be positional, in that order, or named in an options
 * object (`new DataLoader(ds, 64, true)`, `new DataLoader(ds, { batchSize: 64, shuffle: true })`).
 *
 * Randomness follows PyTorch's: starting an iteration draws a base seed from `generator` (or
 * the global generator), then a RandomSampler without a generator draws its seed from the
 * global generator, so a seeded script leaves the global generator where PyTorch's does (the
 * dropout masks of the first step match). Random transforms run while a sample loads draw
 * from that sample's generator (see `sampleGenerator`), seeded from the base seed, the epoch
 * and the sample index: augmentations do not depend on decode order or concurrency.
 */
export class DataLoader<T = unknown, B = unknown> {
  readonly dataset: Dataset<T, B>;
  /** Items per batch; null when the loader yields single items (batchSize: null). */
  readonly batchSize: number | null;
  readonly dropLast: boolean;
  /** The index order (for a batchSampler: its sampler). */
  readonly sampler: Sampler;
  readonly batchSampler: BatchSampler | null;
  readonly generator: Generator | undefined;
  readonly prefetch: number;
  readonly pinMemory: boolean;
  readonly numWorkers: number;
  readonly prefetchFactor: number;
  readonly persistentWorkers: boolean;
  /** Seconds to wait for a worker's batch (0: no limit). */
  readonly timeout: number;
  readonly workerInitFn: ModuleRef | null;
  /** The workers kept between iterations (persistentWorkers), the base seed they started with, iterations so far. */
  private persistent: { pool: WorkerPool; baseSeed: bigint; epochs: number } | null = null;
  /** What the workers build (numWorkers > 0). */
  private workerDataset: DatasetSpec | null = null;
  private readonly collate: ((items: T[]) => B) | undefined;

  constructor(
    dataset: Dataset<T, B>,
    ...args: WithOptions<
      [
        batchSize: number | null,
        shuffle: boolean,
        sampler: Sampler | null | undefined,
        batchSampler: BatchSampler | null | undefined,
        numWorkers: number,
        collateFn: ((items: T[]) => B) | null | undefined,
        pinMemory: boolean,
        dropLast: boolean,
      ],
      DataLoaderOptions<T, B>
    >
  ) {
    if (!dataset || typeof dataset.length !== 'number' || typeof dataset.get !== 'function') {
      throw typeError('a Dataset (with length and get(index))', 'dataset', dataset);
    }
    const o = bindArgs<DataLoaderOptions<T, B>>(
      args,
      DATALOADER_ARGS as unknown as (keyof DataLoaderOptions<T, B> & string)[],
      'DataLoader',
      DATALOADER_KEYS as unknown as (keyof DataLoaderOptions<T, B> & string)[],
    ) as DataLoaderOptions<T, B> & Record<string, unknown>;
    // None in PyTorch: a null sampler, batchSampler, collateFn or generator is the default.
    for (const k of ['sampler', 'batchSampler', 'collateFn', 'generator'] as const) if (o[k] === null) delete o[k];
    this.dataset = dataset;
    this.numWorkers = checkInt(o.numWorkers ?? 0, 'numWorkers', 0);
    this.timeout = checkNumber(o.timeout ?? 0, 'timeout');
    if (this.timeout < 0) throw new RangeError('DataLoader: timeout option should be non-negative');
    if (o.multiprocessingContext !== undefined)
      throw new TypeError(
        'DataLoader: multiprocessingContext has no meaning in torchts: its workers are threads (numWorkers)',
      );
    if (this.numWorkers === 0) {
      if (o.prefetchFactor !== undefined && o.prefetchFactor !== null)
        throw new RangeError(
          'DataLoader: prefetchFactor option could only be specified with numWorkers > 0 (prefetch sets the batches in flight on the main thread)',
        );
      if (o.persistentWorkers) throw new RangeError('DataLoader: persistentWorkers option needs numWorkers > 0');
      if (this.timeout > 0) throw new RangeError('DataLoader: timeout option needs numWorkers > 0');
    } else {
      this.workerDataset = workerSpec(dataset);
      if (this.workerDataset === null)
        throw new TypeError(
          'DataLoader: numWorkers > 0 needs a dataset the worker threads can build: a data.ModuleDataset(module, exportName, args), or Subsets of one (PyTorch pickles the dataset into its workers; torchts builds it from its module in each thread)',
        );
    }
    this.prefetchFactor = checkInt(o.prefetchFactor ?? 2, 'prefetchFactor', 1);
    this.persistentWorkers = checkBool(o.persistentWorkers ?? false, 'persistentWorkers');
    const init = o.workerInitFn ?? null;
    if (init !== null) {
      if (typeof init === 'function')
        throw new TypeError(
          "DataLoader: a function cannot cross to the worker threads; name workerInitFn by module: { module: '/path/init.js', export: 'init' }",
        );
      const ref = checkOptions<ModuleRef>(init, 'workerInitFn', ['module', 'export']);
      this.workerInitFn = { module: resolveModule(ref.module, 'workerInitFn.module'), export: ref.export };
    } else this.workerInitFn = null;
    this.prefetch = checkInt(o.prefetch ?? 2, 'prefetch', 0);
    this.pinMemory = checkBool(o.pinMemory ?? false, 'pinMemory');
    if (this.pinMemory && !N.cudaIsAvailable()) {
      if (!warnedNoPin)
        console.warn("torchts: DataLoader's pinMemory is set but CUDA is not available; batches are not pinned");
      warnedNoPin = true;
      this.pinMemory = false;
    }
    if (o.generator !== undefined && !(o.generator instanceof Generator))
      throw typeError('a torch.Generator', 'generator', o.generator);
    this.generator = o.generator ?? undefined;
    const shuffle = checkBool(o.shuffle ?? false, 'shuffle');
    this.dropLast = checkBool(o.dropLast ?? false, 'dropLast');
    if (o.sampler !== undefined && o.shuffle)
      throw new TypeError('Expected either sampler or shuffle for options but received both');
    if (o.sampler !== undefined && (typeof o.sampler?.indices !== 'function' || typeof o.sampler.length !== 'number')) {
      throw typeError('a Sampler (with length and indices())', 'sampler', o.sampler);
    }
    if (o.batchSampler !== undefined) {
      if (!(o.batchSampler instanceof BatchSampler))
        throw typeError('a data.BatchSampler', 'batchSampler', o.batchSampler);
      if ((o.batchSize ?? 1) !== 1 || shuffle || o.sampler !== undefined || this.dropLast)
        throw new TypeError(
          'DataLoader: batchSampler option is mutually exclusive with batchSize, shuffle, sampler, and dropLast',
        );
      this.batchSampler = o.batchSampler;
      this.sampler = o.batchSampler.sampler;
      this.batchSize = null;
    } else {
      this.batchSize = o.batchSize === null ? null : checkInt(o.batchSize ?? 1, 'batchSize', 1);
      if (this.batchSize === null && this.dropLast)
        throw new TypeError('DataLoader: batchSize null option is mutually exclusive with dropLast');
      this.sampler =
        o.sampler ??
        (shuffle ? new RandomSampler(dataset, { generator: this.generator }) : new SequentialSampler(dataset));
      this.batchSampler =
        this.batchSize === null ? null : new BatchSampler(this.sampler, this.batchSize, this.dropLast);
    }
    this.collate = o.collateFn ?? undefined;
    if (this.collate !== undefined && typeof this.collate !== 'function')
      throw typeError('a function', 'collateFn', this.collate);
  }

  /** Number of batches per epoch (items, with batchSize null). */
  get length(): number {
    return this.batchSampler ? this.batchSampler.length : this.sampler.length;
  }

  /** A worker's batch (or items, for this loader's collateFn), collated and pinned here. */
  private received(value: unknown, items: boolean): B {
    return tidy(() => {
      const decoded = decode(value);
      let batch = (items ? (this.collate as (items: T[]) => B)(decoded as T[]) : decoded) as B;
      if (this.pinMemory) batch = pinAll(batch);
      return batch;
    });
  }

  private load(indices: number[] | number): Promise<B> {
    return tidy(async () => {
      const batch = (await loadBatch(this.dataset, indices, this.collate)) as B;
      return this.pinMemory ? pinAll(batch) : batch;
    });
  }

  /**
   * Iterates over the batches of one epoch. Starting it draws the base seed (as PyTorch's
   * `iter(loader)` does). The loader owns the batches it hands out: a batch is freed when the
   * loop asks for the next one (or stops), unless `torch.keep()` was called on it; no scope
   * frees it before that. Batches prepared ahead are the loader's until handed out, and freed
   * if the loop stops early. The event loop gets a turn at least every YIELD_EVERY_MS, so
   * timers and I/O keep running during a loop over in-memory data.
   */
  [Symbol.asyncIterator](): AsyncGenerator<B> {
    if (this.numWorkers === 0) return this.iterate(drawSeed(this.generator), 0, null);
    // As PyTorch: persistent workers keep the first iterator's base seed (no new draw), and
    // each later iteration is a new epoch for the per-sample seeds.
    if (this.persistentWorkers) {
      if (this.persistent === null) {
        const baseSeed = drawSeed(this.generator);
        this.persistent = { pool: this.startWorkers(baseSeed), baseSeed, epochs: 0 };
      }
      const p = this.persistent;
      return this.iterate(p.baseSeed, p.epochs++, p.pool);
    }
    const baseSeed = drawSeed(this.generator);
    return this.iterate(baseSeed, 0, this.startWorkers(baseSeed));
  }

  private startWorkers(baseSeed: bigint): WorkerPool {
    return new WorkerPool(
      this.numWorkers,
      this.workerDataset as DatasetSpec,
      baseSeed,
      this.workerInitFn,
      this.timeout,
    );
  }

  /** Stops persistent workers now (they stop by themselves when the process exits). */
  async shutdown(): Promise<void> {
    const p = this.persistent;
    this.persistent = null;
    await p?.pool.close();
  }

  private async *iterate(baseSeed: bigint, epoch: number, pool: WorkerPool | null): AsyncGenerator<B> {
    let plan: (number[] | number)[] = [];
    const lender = {};
    const inFlight: Promise<B>[] = [];
    let next = 0;
    const ahead = pool ? this.prefetchFactor * this.numWorkers : this.prefetch + 1;
    const items = pool !== null && this.collate !== undefined && this.dataset.getItems === undefined;
    const fill = (): void => {
      while (next < plan.length && inFlight.length < ahead) {
        const k = next++;
        const indices = plan[k];
        const loaded = pool
          ? pool.request(k % this.numWorkers, indices, baseSeed, epoch, items).then((v) => this.received(v, items))
          : withLoaderSeed(baseSeed, epoch, () => this.load(indices));
        const batch = loaded.then((b) => lend(b, lender));
        // A batch that fails while an earlier one is in use rejects when the loop reaches it, not before.
        batch.catch(() => {});
        inFlight.push(batch);
      }
    };
    let lastTurn = performance.now();
    let current: B | undefined;
    try {
      plan = this.batchSampler ? this.batchSampler.batches() : this.sampler.indices();
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
      // Workers: answers still to come are dropped (the workers stop unless persistent).
      pool?.cancel();
      for (const b of await Promise.allSettled(inFlight)) {
        if (b.status === 'fulfilled') reclaim(b.value, lender, BATCH_FREED);
      }
      if (pool && pool !== this.persistent?.pool) await pool.close();
    }
  }
}

/**
 * @internal One batch of `dataset` (one item for a number, batchSize null), loaded as the
 * DataLoader loads it on any thread: each `get(i)` under its sample's seed (`forSample`),
 * `getItems` under the batch's, then `collate` (or the default collate); 'items' leaves the
 * items uncollated (a worker's, for the main thread's collateFn). One scope per batch: the
 * per-item tensors (and anything a transform made) are freed once the batch is built; tensors
 * that existed before (a dataset's own) are left alone.
 */
export function loadBatch<T, B>(
  dataset: Dataset<T, B>,
  indices: number[] | number,
  collate: ((items: T[]) => B) | 'items' | undefined,
): Promise<unknown> {
  return tidy(async () => {
    if (typeof indices === 'number') {
      // batchSize null: one item, through collateFn when one was given (PyTorch's default_convert otherwise).
      const i = indices;
      const item = await forSample(i, () => dataset.get(i));
      return typeof collate === 'function' ? collate(item as never) : item;
    }
    if (dataset.getItems) {
      const getItems = dataset.getItems.bind(dataset);
      return await forBatch(indices, () => getItems(indices));
    }
    const items = await Promise.all(indices.map((i) => forSample(i, () => dataset.get(i))));
    if (collate === 'items') return items;
    return (collate ?? (defaultCollate as (items: T[]) => B))(items);
  });
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
