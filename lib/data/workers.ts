/**
 * DataLoader worker threads (`numWorkers > 0`). Each worker is a worker_threads thread with its
 * own copy of torchts (its own native tensor table) and its own copy of the dataset: PyTorch
 * pickles the dataset into each worker process; torchts builds it there from its module, so
 * the dataset is given as a `ModuleDataset` (a module path, an export — a Dataset class or a
 * function returning a dataset — and structured-cloneable arguments). A worker loads whole
 * batches (`getItems`, or `get` per index and the default collate) under the same per-sample
 * seeds as the main thread would, and sends them back as `tensor.toTransferable()` copies
 * whose ArrayBuffers are transferred; the main thread makes tensors of them
 * (`torch.fromTransferable`). In a worker the global generator is the process's, shared with
 * the main thread (libtorch has one), so it is neither seeded there nor meant for a dataset's
 * draws: `data.sampleGenerator()` is. So `numWorkers: 2` gives the batches `numWorkers: 0`
 * gives, bit for bit.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { packageRoot } from '../libtorch';
import { checkInt, TorchError, typeError } from '../torch/errors';
import { Tensor } from '../torch/tensor';
import { fromTransferable, type TransferableTensor } from '../torch/transfer';
import { type Dataset, Subset } from './dataset';

/** A module export, found by the worker threads by name: `{ module: '/abs/path/data.js', export: 'Train' }`. */
export interface ModuleRef {
  /** An absolute or ./relative path (from the working directory), or a package name; loaded with require. */
  module: string;
  /** The export's name (default: the module's default export, or module.exports itself). */
  export?: string;
}

/** @internal Where a module resolves to: the file every thread then loads. */
export function resolveModule(module: unknown, argument: string): string {
  if (typeof module !== 'string' || module.length === 0) throw typeError('a module path or name', argument, module);
  try {
    return module.startsWith('.') || path.isAbsolute(module)
      ? require.resolve(path.resolve(module))
      : require.resolve(module, { paths: [process.cwd()] });
  } catch (e) {
    throw new TorchError(`cannot find the module ${module} (${argument}): ${(e as Error).message.split('\n')[0]}`);
  }
}

/** The named export of a module, loaded with require (so a CommonJS module, or what require can load). */
export function loadExport(ref: { module: string; export?: string }, what: string): (...args: unknown[]) => unknown {
  const mod = require(ref.module) as Record<string, unknown>;
  const name = ref.export ?? 'default';
  const value = name === 'default' ? (mod.default ?? mod) : mod[name];
  if (typeof value !== 'function')
    throw new TorchError(`${ref.module} has no export ${name} that is ${what} (it is ${typeof value})`);
  return value as (...args: unknown[]) => unknown;
}

const isClass = (f: unknown): boolean =>
  typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));

/** Builds the dataset a ModuleDataset names (in the thread that calls it). */
function buildDataset<T, B>(spec: DatasetSpec): Dataset<T, B> {
  const make = loadExport(spec, 'a Dataset class or a function returning a dataset');
  const ds = (
    isClass(make) ? new (make as unknown as new (...a: unknown[]) => unknown)(...spec.args) : make(...spec.args)
  ) as Dataset<T, B> | undefined;
  if (!ds || typeof ds.length !== 'number' || typeof ds.get !== 'function')
    throw new TorchError(
      `${spec.module} (${spec.export ?? 'default'}) did not give a Dataset (with length and get(index))`,
    );
  let out: Dataset<T, B> = ds;
  for (const indices of spec.subsets ?? []) out = new Subset(out, indices);
  return out;
}

/** What a worker needs to build its copy of a ModuleDataset (and of the Subsets around it). */
export interface DatasetSpec {
  module: string;
  export?: string;
  args: unknown[];
  /** The indices of each Subset around the module's dataset, innermost first. */
  subsets?: number[][];
}

/**
 * @internal What the workers need to build `dataset`: a ModuleDataset, or Subsets of one (what
 * `randomSplit` gives); null for a dataset they cannot build.
 */
export function workerSpec(dataset: unknown): DatasetSpec | null {
  if (dataset instanceof ModuleDataset) return dataset.spec;
  if (dataset instanceof Subset) {
    const inner = workerSpec(dataset.dataset);
    return inner && { ...inner, subsets: [...(inner.subsets ?? []), [...dataset.indices]] };
  }
  return null;
}

/**
 * A dataset that worker threads can build: `module`'s export `exportName` is a Dataset class
 * (constructed with `args`) or a function (called with `args`) returning a dataset. The
 * arguments must survive structured cloning (numbers, strings, arrays, plain objects...);
 * transforms are made inside the module. On the main thread it builds its own copy on first
 * use, so it also works with `numWorkers: 0`.
 *
 * ```ts
 * // train_data.js: exports.train = (root) => new vision.datasets.ImageFolder(root, { transform })
 * const ds = new data.ModuleDataset(require.resolve('./train_data.js'), 'train', ['photos/train']);
 * const loader = new data.DataLoader(ds, { batchSize: 64, shuffle: true, numWorkers: 4 });
 * ```
 */
export class ModuleDataset<T = unknown, B = unknown> implements Dataset<T, B> {
  /** @internal what the workers are sent */
  readonly spec: DatasetSpec;
  private built: Dataset<T, B> | undefined;

  constructor(module: string, exportName = 'default', args: readonly unknown[] = []) {
    if (typeof exportName !== 'string') throw typeError('an export name', 'exportName', exportName);
    if (!Array.isArray(args)) throw typeError('an array of arguments', 'args', args);
    try {
      structuredClone(args);
    } catch (e) {
      throw new TypeError(
        `ModuleDataset: the args must survive structured cloning to reach the worker threads (numbers, strings, arrays, plain objects; make transforms and functions inside the module): ${(e as Error).message}`,
      );
    }
    this.spec = { module: resolveModule(module, 'module'), export: exportName, args: [...args] };
  }

  /** This thread's copy of the dataset (built on first use). */
  get dataset(): Dataset<T, B> {
    this.built ??= buildDataset<T, B>(this.spec);
    return this.built;
  }
  get length(): number {
    return this.dataset.length;
  }
  get(index: number): T | Promise<T> {
    return this.dataset.get(index);
  }
  /** The dataset's getItems, when it has one. */
  get getItems(): ((indices: number[]) => B | Promise<B>) | undefined {
    const d = this.dataset;
    return d.getItems
      ? (indices: number[]) => (d.getItems as (i: number[]) => B | Promise<B>).call(d, indices)
      : undefined;
  }
}

/** What `getWorkerInfo()` says inside a worker thread (PyTorch's WorkerInfo). */
export interface WorkerInfo {
  /** This worker's index, 0 to numWorkers - 1. */
  readonly id: number;
  readonly numWorkers: number;
  /** The worker's seed: the iterator's base seed + id (as PyTorch's); for the worker's own generators. */
  readonly seed: bigint;
  /** This worker's copy of the dataset. */
  readonly dataset: Dataset;
}

let workerInfo: WorkerInfo | null = null;

/** In a DataLoader worker thread: which worker this is; null on the main thread (`torch.utils.data.get_worker_info`). */
export function getWorkerInfo(): WorkerInfo | null {
  return workerInfo;
}

/** @internal Builds a worker's dataset and sets its WorkerInfo, then runs workerInitFn(id). */
export function startWorker(init: WorkerInit): Dataset {
  const dataset = buildDataset(init.dataset);
  workerInfo = Object.freeze({ id: init.id, numWorkers: init.numWorkers, seed: init.seed, dataset });
  if (init.workerInitFn) loadExport(init.workerInitFn, 'a function (workerInitFn)')(init.id);
  return dataset;
}

/** @internal workerData of a DataLoader worker. */
export interface WorkerInit {
  id: number;
  numWorkers: number;
  seed: bigint;
  dataset: DatasetSpec;
  workerInitFn: { module: string; export?: string } | null;
}

/** @internal A request: load these indices (a batch, or one item) under these seeds. */
export interface Task {
  type: 'load';
  id: number;
  indices: number[] | number;
  baseSeed: bigint;
  epoch: number;
  /** Give back the items uncollated (the main thread has a custom collateFn). */
  items: boolean;
}

/** @internal An error as it crosses threads. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  sampleIndex?: number;
}

const NOT_SENDABLE = 'tensors, numbers, strings, arrays or plain objects in a batch a worker sends';

/**
 * @internal A batch as structured clone carries it: each tensor becomes
 * `tensor.toTransferable()` (its bytes in an ArrayBuffer, added to `transfer` so that
 * postMessage moves it without a second copy).
 */
export function encode(value: unknown, transfer: ArrayBuffer[]): unknown {
  if (value instanceof Tensor) {
    const t = value.toTransferable();
    if (t.buffer instanceof ArrayBuffer) transfer.push(t.buffer);
    return t;
  }
  if (Array.isArray(value)) return value.map((v) => encode(v, transfer));
  if (value !== null && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw typeError(NOT_SENDABLE, 'batch', value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v, transfer)]));
  }
  if (typeof value === 'function' || typeof value === 'symbol') throw typeError(NOT_SENDABLE, 'batch', value);
  return value;
}

/** @internal The batch `encode` made, with tensors again (`torch.fromTransferable`, in this thread). */
export function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value !== null && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (v.torchts === 'Tensor') return fromTransferable(value as TransferableTensor);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
  }
  return value;
}

const ERRORS: Record<string, new (message: string) => Error> = {
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  TorchError,
};

/** The error a worker reported, rethrown on the main thread with the worker, the sample and the worker's stack. */
function workerError(id: number, e: WireError): Error {
  const Ctor = ERRORS[e.name] ?? Error;
  const where = e.sampleIndex === undefined ? '' : ` loading sample ${e.sampleIndex}`;
  const err = new Ctor(`Caught ${e.name} in DataLoader worker ${id}${where}: ${e.message}`) as Error & {
    sampleIndex?: number;
    workerId?: number;
  };
  err.sampleIndex = e.sampleIndex;
  err.workerId = id;
  if (e.stack) err.stack = `${err.stack}\nOriginal stack in the worker:\n${e.stack}`;
  return err;
}

/** The compiled worker entry (dist/data/worker_main.js); the TypeScript sources cannot run in a thread. */
function workerEntry(): string {
  const here = path.join(__dirname, 'worker_main.js');
  if (fs.existsSync(here)) return here;
  const dist = path.join(packageRoot(), 'dist', 'data', 'worker_main.js');
  if (fs.existsSync(dist)) return dist;
  throw new TorchError(`DataLoader workers run ${dist}, which is missing: compile the TypeScript (npm run build:ts)`);
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  worker: number;
  timer?: NodeJS.Timeout;
}

/** @internal The worker threads of a DataLoader: requests go to a worker, answers come back by id. */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly outstanding: number[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | null = null;
  private closed = false;
  private readonly exited: boolean[];

  constructor(
    readonly numWorkers: number,
    dataset: DatasetSpec,
    baseSeed: bigint,
    workerInitFn: ModuleRef | null,
    private readonly timeoutS: number,
  ) {
    const entry = workerEntry();
    this.outstanding = new Array(numWorkers).fill(0);
    this.exited = new Array(numWorkers).fill(false);
    for (let id = 0; id < numWorkers; id++) {
      const init: WorkerInit = {
        id,
        numWorkers,
        seed: (baseSeed + BigInt(id)) & ((1n << 64n) - 1n),
        dataset,
        workerInitFn,
      };
      const w = new Worker(entry, { workerData: init });
      // Idle workers do not keep the process alive (persistent workers outlive their loop).
      w.unref();
      w.on('message', (m: { type: string; id: number; value?: unknown; error?: WireError }) => this.answer(id, m));
      w.on('error', (e) => this.fail(workerError(id, { name: e.name, message: e.message, stack: e.stack })));
      w.on('exit', (code) => {
        this.exited[id] = true;
        if (!this.closed) this.fail(new TorchError(`DataLoader worker ${id} exited unexpectedly (exit code ${code})`));
      });
      this.workers.push(w);
    }
  }

  /** Loads `indices` on worker `worker`; resolves to the batch (or items) as it came (see `decode`). */
  request(
    worker: number,
    indices: number[] | number,
    baseSeed: bigint,
    epoch: number,
    items: boolean,
  ): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const p: Pending = { resolve, reject, worker };
      if (this.timeoutS > 0) {
        p.timer = setTimeout(() => {
          this.settle(id);
          reject(new TorchError(`DataLoader timed out after ${this.timeoutS} seconds`));
        }, this.timeoutS * 1000);
      }
      this.pending.set(id, p);
      if (this.outstanding[worker]++ === 0) this.workers[worker].ref();
      const task: Task = { type: 'load', id, indices, baseSeed, epoch, items };
      this.workers[worker].postMessage(task);
    });
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    if (p.timer) clearTimeout(p.timer);
    if (--this.outstanding[p.worker] === 0) this.workers[p.worker].unref();
    return p;
  }

  private answer(worker: number, m: { type: string; id: number; value?: unknown; error?: WireError }): void {
    if (m.type === 'error' && m.id < 0) {
      this.fail(workerError(worker, m.error as WireError));
      return;
    }
    const p = this.settle(m.id);
    if (!p) return; // cancelled (the loop stopped) or timed out
    if (m.type === 'error') p.reject(workerError(worker, m.error as WireError));
    else p.resolve(m.value);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(this.failure);
  }

  /** Drops the answers still to come (the loop stopped): their promises reject. */
  cancel(): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(new TorchError('DataLoader: batch cancelled'));
  }

  /** Stops every worker (after its current batch) and waits for them to exit. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancel();
    await Promise.all(
      this.workers.map(
        (w, id) =>
          new Promise<void>((resolve) => {
            if (this.exited[id]) return resolve();
            const force = setTimeout(() => void w.terminate(), 5000);
            w.once('exit', () => {
              clearTimeout(force);
              resolve();
            });
            w.postMessage({ type: 'stop' });
          }),
      ),
    );
  }
}

/** @internal `numWorkers` checked. */
export function checkWorkers(n: unknown): number {
  return checkInt(n ?? 0, 'numWorkers', 0);
}
