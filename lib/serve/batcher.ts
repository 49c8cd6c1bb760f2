/**
 * Dynamic batching: requests' images wait (at most `maxDelayMs`) to be stacked into one batch
 * of up to `maxBatch`, which runs as one forward. One batch runs at a time; the next one fills
 * meanwhile. The queue is bounded: `submit` throws QueueFullError beyond `maxQueue` images.
 */
import { stack } from '../torch/functions';
import { checkOptions, optionKeys, TorchError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';

/** The queue is full (the server answers 503). */
export class QueueFullError extends TorchError {}

export interface BatcherOptions<R> {
  maxBatch: number;
  maxDelayMs: number;
  maxQueue: number;
  /** Runs a batch [B, ...] (which the batcher frees afterwards) and resolves with one result per image. */
  run(batch: Tensor): Promise<R[]>;
  /** Called with each batch's size and its forward's duration in seconds. */
  onBatch?(size: number, seconds: number): void;
}

const BATCHER_KEYS = optionKeys<BatcherOptions<unknown>>({
  maxBatch: 1,
  maxDelayMs: 1,
  maxQueue: 1,
  run: 1,
  onBatch: 1,
});

interface Item<R> {
  input: Tensor;
  resolve(result: R): void;
  reject(e: unknown): void;
  at: number;
}

export class DynamicBatcher<R> {
  private readonly queue: Item<R>[] = [];
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private idle: (() => void)[] = [];
  private hurry = false;

  constructor(private readonly options: BatcherOptions<R>) {
    checkOptions<BatcherOptions<R>>(options, 'DynamicBatcher options', BATCHER_KEYS);
  }

  /** Images waiting for a batch. */
  get depth(): number {
    return this.queue.length;
  }

  /** Queues one input (a batch row); resolves with its result. Takes ownership of `input`. */
  submit(input: Tensor): Promise<R> {
    if (this.queue.length >= this.options.maxQueue) {
      input.dispose();
      throw new QueueFullError(`the queue is full (${this.options.maxQueue} images waiting)`);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject, at: performance.now() });
      this.schedule();
    });
  }

  /** Resolves once every queued image has been answered; queued batches stop waiting for more images. */
  drain(): Promise<void> {
    this.hurry = true;
    this.schedule();
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    const waited = performance.now() - this.queue[0].at;
    if (this.hurry || this.queue.length >= this.options.maxBatch || waited >= this.options.maxDelayMs) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, this.options.maxDelayMs - waited);
    }
  }

  private async flush(): Promise<void> {
    this.running = true;
    const items = this.queue.splice(0, this.options.maxBatch);
    const start = performance.now();
    let batch: Tensor | undefined;
    try {
      batch = stack(items.map((it) => it.input));
      for (const it of items) it.input.dispose();
      const results = await this.options.run(batch);
      this.options.onBatch?.(items.length, (performance.now() - start) / 1000);
      items.forEach((it, i) => {
        it.resolve(results[i]);
      });
    } catch (e) {
      for (const it of items) it.reject(e);
    } finally {
      for (const it of items) it.input.dispose();
      batch?.dispose();
      this.running = false;
    }
    if (this.queue.length > 0) {
      this.schedule();
    } else {
      for (const r of this.idle.splice(0)) r();
    }
  }
}
