/**
 * `torch.cuda`: devices, synchronisation, the caching allocator's statistics, and CUDA
 * graphs (capture a whole training step once, replay it with one launch).
 *
 * Every function other than `isAvailable`, `deviceCount` and the seeds needs a CUDA build of
 * libtorch and a GPU; without them it throws a TorchError saying so.
 */
import { N } from '../native';
import { checkInt, checkOptions, optionKeys, TorchError, typeError } from './errors';
import { keepAll, tidy } from './memory';

/** Whether a CUDA device can be used (needs a CUDA build of libtorch and a GPU). */
export function isAvailable(): boolean {
  return N.cudaIsAvailable();
}
export function deviceCount(): number {
  return N.cudaDeviceCount();
}

/** Throws a TorchError naming `what` when CUDA cannot be used. */
export function requireCuda(what: string): void {
  if (isAvailable()) return;
  throw new TorchError(
    N.builtWithCuda
      ? `${what} needs a CUDA device, but none is visible (check nvidia-smi and CUDA_VISIBLE_DEVICES)`
      : `${what} needs CUDA, but this torchts binary was built against a CPU-only libtorch`,
  );
}

function deviceIndex(device: number | string | undefined, what: string): number | null {
  requireCuda(what);
  if (device === undefined) return null;
  if (typeof device === 'string') {
    const m = /^cuda(?::(\d+))?$/.exec(device);
    if (!m) throw typeError("a CUDA device ('cuda' or 'cuda:<index>') or an index", 'device', device);
    return m[1] === undefined ? null : Number(m[1]);
  }
  return checkInt(device, 'device', 0);
}

/** Waits for all work queued on the device (default: the current one). */
export function synchronize(device?: number | string): void {
  N.cudaSynchronize(deviceIndex(device, 'cuda.synchronize'));
}
export function currentDevice(): number {
  requireCuda('cuda.currentDevice');
  return N.cudaCurrentDevice();
}
export function setDevice(device: number | string): void {
  N.cudaSetDevice(deviceIndex(device, 'cuda.setDevice'));
}
export function getDeviceName(device?: number | string): string {
  return N.cudaDeviceName(deviceIndex(device, 'cuda.getDeviceName'));
}

/** Seeds the current device's generator; without CUDA it does nothing, as in PyTorch. */
export function manualSeed(seed: number): void {
  checkInt(seed, 'seed', 0);
  if (isAvailable()) N.cudaManualSeed(seed, N.cudaCurrentDevice());
}
/** Seeds every device's generator; without CUDA it does nothing. */
export function manualSeedAll(seed: number): void {
  checkInt(seed, 'seed', 0);
  N.cudaManualSeed(seed, -1);
}

/** Returns the caching allocator's unused cached blocks to the driver. */
export function emptyCache(): void {
  if (isAvailable()) N.cudaEmptyCache();
}

/** The caching allocator's statistics under PyTorch's keys (`allocated_bytes.all.current`, ...). */
export function memoryStats(device?: number | string): Record<string, number> {
  return N.cudaMemoryStats(deviceIndex(device, 'cuda.memoryStats'));
}
/** Bytes held by live tensors on the device. */
export function memoryAllocated(device?: number | string): number {
  return memoryStats(device)['allocated_bytes.all.current'];
}
/** Peak of `memoryAllocated` since the start or the last `resetPeakMemoryStats`. */
export function maxMemoryAllocated(device?: number | string): number {
  return memoryStats(device)['allocated_bytes.all.peak'];
}
/** Bytes the caching allocator holds (allocated or cached). */
export function memoryReserved(device?: number | string): number {
  return memoryStats(device)['reserved_bytes.all.current'];
}
export function maxMemoryReserved(device?: number | string): number {
  return memoryStats(device)['reserved_bytes.all.peak'];
}
export function resetPeakMemoryStats(device?: number | string): void {
  N.cudaResetPeakMemoryStats(deviceIndex(device, 'cuda.resetPeakMemoryStats'));
}

/**
 * Runs `fn` with a side stream current (after it waits for the work queued so far); on
 * return the previous stream waits for the side stream's work. Warm-up before a CUDA graph
 * capture runs this way, as in PyTorch's `with torch.cuda.stream(s)` recipe.
 */
export function onSideStream<T>(fn: () => T): T {
  requireCuda('cuda.onSideStream');
  N.cudaStreamEnter();
  try {
    const out = fn();
    if (out instanceof Promise) throw new TorchError('cuda.onSideStream: fn must be synchronous');
    return out;
  } finally {
    N.cudaStreamExit();
  }
}

/**
 * A CUDA graph (`torch.cuda.CUDAGraph`): GPU work recorded once and replayed with one
 * launch. Use it through {@link graph} or {@link captureStep}; `dispose()` frees it.
 */
export class CUDAGraph {
  private id: number;
  constructor() {
    requireCuda('CUDAGraph');
    this.id = N.cudaGraphNew();
  }
  private get live(): number {
    if (this.id < 0) throw new TorchError('this CUDAGraph was disposed');
    return this.id;
  }
  /** Starts recording on the current (side) stream; `pool` shares another graph's memory pool. */
  captureBegin(pool?: CUDAGraph): void {
    if (pool !== undefined && !(pool instanceof CUDAGraph)) throw typeError('a CUDAGraph', 'pool', pool);
    N.cudaGraphCaptureBegin(this.live, pool ? pool.live : -1);
  }
  captureEnd(): void {
    N.cudaGraphCaptureEnd(this.live);
  }
  /** Launches the recorded work again, reading and writing the same (static) tensors. */
  replay(): void {
    N.cudaGraphReplay(this.live);
  }
  dispose(): void {
    if (this.id >= 0) N.cudaGraphFree(this.id);
    this.id = -1;
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Records the GPU work `fn` queues into `g` (`with torch.cuda.graph(g):`): synchronizes,
 * empties the allocator cache, captures on a side stream into the graph's private memory
 * pool. Tensors `fn` returns are kept (no tidy scope frees them): they are the graph's
 * static outputs, rewritten by each `g.replay()`. Work in `fn` must not synchronize with the
 * host (no `item()`, no printing) and must read its inputs from static tensors.
 */
/** Options of `cuda.graph`. */
export interface GraphOptions {
  /** A graph whose memory pool this capture shares. */
  pool?: CUDAGraph;
}
const GRAPH_KEYS = optionKeys<GraphOptions>({ pool: 1 });

export function graph<T>(g: CUDAGraph, fn: () => T, options: GraphOptions = {}): T {
  if (!(g instanceof CUDAGraph)) throw typeError('a CUDAGraph', 'g', g);
  if (typeof fn !== 'function') throw typeError('a function', 'fn', fn);
  const o = checkOptions<GraphOptions>(options, 'cuda.graph options', GRAPH_KEYS);
  synchronize();
  emptyCache();
  return onSideStream(() => {
    g.captureBegin(o.pool);
    let out: T;
    try {
      out = tidy(fn);
    } finally {
      g.captureEnd();
    }
    keepAll(out);
    return out;
  });
}

/** Options of `cuda.captureStep`. */
export interface CaptureStepOptions {
  /** Eager steps run before capture (default 3). */
  warmup?: number;
}
const CAPTURE_STEP_KEYS = optionKeys<CaptureStepOptions>({ warmup: 1 });

/** A training step captured as a CUDA graph: call it to replay; `graph` is the graph. */
export interface CapturedStep<T> {
  (): T;
  readonly graph: CUDAGraph;
}

/**
 * Captures a whole training step (forward, backward, optimizer step) as a CUDA graph.
 * `step` reads its batch from static input tensors that the caller refills with `copy_`
 * before each call, and returns what it wants to read back (the loss), which becomes a
 * static output. `warmup` steps run eagerly on a side stream first (they are real steps on
 * whatever the static inputs hold), so that lazily created state (momentum buffers,
 * cuDNN plans) exists before capture. The optimizer's learning rate and other
 * hyper-parameters are recorded as constants: a schedule that changes them needs a new
 * capture. SGD and fused Adam/AdamW (`fused: true`, whose step counts live on the GPU) can be
 * captured; a non-fused Adam refuses.
 *
 *     const step = torch.cuda.captureStep(() => {
 *       optimizer.zeroGrad();
 *       const loss = criterion.forward(model.forward(staticX), staticY);
 *       loss.backward();
 *       optimizer.step();
 *       return loss;
 *     });
 *     staticX.copy_(x); staticY.copy_(y);
 *     const loss = step(); // replays the graph; loss is rewritten in place
 */
export function captureStep<T>(step: () => T, options: CaptureStepOptions = {}): CapturedStep<T> {
  if (typeof step !== 'function') throw typeError('a function', 'step', step);
  const o = checkOptions<CaptureStepOptions>(options, 'cuda.captureStep options', CAPTURE_STEP_KEYS);
  const warmup = o.warmup === undefined ? 3 : checkInt(o.warmup, 'warmup', 1);
  requireCuda('cuda.captureStep');
  synchronize();
  onSideStream(() => {
    for (let i = 0; i < warmup; i++) tidy(() => void step());
  });
  synchronize();
  const g = new CUDAGraph();
  let out: T;
  try {
    out = graph(g, step);
  } catch (e) {
    g.dispose();
    throw e;
  }
  const replay = (() => {
    g.replay();
    return out;
  }) as CapturedStep<T>;
  Object.defineProperty(replay, 'graph', { value: g });
  return replay;
}
