/**
 * The entry of a DataLoader worker thread (see workers.ts): builds this worker's copy of the
 * dataset, then loads the batches it is asked for, one at a time, in the order asked, under
 * the same per-sample seeds as the main thread, and posts them back with their bytes
 * transferred.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { Tensor } from '../torch/tensor';
import type { Dataset } from './dataset';
import { loadBatch } from './dataloader';
import { withLoaderSeed } from './seed';
import { encode, startWorker, type Task, type WireError, type WorkerInit } from './workers';

function wire(e: unknown): WireError {
  if (e instanceof Error)
    return {
      name: e.name,
      message: e.message,
      stack: e.stack,
      sampleIndex: (e as { sampleIndex?: number }).sampleIndex,
    };
  return { name: 'Error', message: String(e) };
}

const port = parentPort;
if (port === null) throw new Error('worker_main.js runs as a DataLoader worker thread');
let dataset: Dataset | null = null;
try {
  dataset = startWorker(workerData as WorkerInit);
} catch (e) {
  port.postMessage({ type: 'error', id: -1, error: wire(e) });
}

let stopped = false;
let chain: Promise<void> = Promise.resolve();

async function run(task: Task, ds: Dataset): Promise<void> {
  if (stopped) return;
  try {
    const batch = await withLoaderSeed(task.baseSeed, task.epoch, () =>
      loadBatch(ds, task.indices, task.items ? 'items' : undefined),
    );
    const transfer: ArrayBuffer[] = [];
    let value: unknown;
    try {
      value = encode(batch, transfer);
    } finally {
      disposeAll(batch);
    }
    port?.postMessage({ type: 'batch', id: task.id, value }, transfer);
  } catch (e) {
    port?.postMessage({ type: 'error', id: task.id, error: wire(e) });
  }
}

/** Frees the tensors of a sent batch (their bytes went to the main thread). */
function disposeAll(v: unknown): void {
  if (v instanceof Tensor) v.dispose();
  else if (v !== null && typeof v === 'object') for (const x of Array.isArray(v) ? v : Object.values(v)) disposeAll(x);
}

port.on('message', (m: Task | { type: 'stop' }) => {
  if (m.type === 'stop') {
    stopped = true;
    port.close();
    return;
  }
  const ds = dataset;
  if (ds === null) return;
  chain = chain.then(() => run(m, ds));
});
