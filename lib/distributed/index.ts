/**
 * The `distributed` namespace (`torch.distributed`): one default process group over
 * PyTorch's c10d — a TCPStore rendezvous hosted by rank 0, Gloo on the CPU (NCCL on CUDA
 * builds made with it) — and the blocking collectives.
 *
 *     distributed.initProcessGroup({ backend: 'gloo' });   // MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE
 *     distributed.allReduce(t);                             // in place, summed over all ranks
 *
 * Collectives are synchronous, like PyTorch's with `async_op=False`: the calling thread
 * waits, at most for the process group's `timeout`, and a failure (a peer that died, a
 * timeout) throws a TorchError naming the operation and the rank.
 */
import { N } from '../native';
export * as nn from './nn/index';
import { checkInt, checkOptions, optionKeys, TorchError, typeError } from '../torch/errors';
import { Tensor } from '../torch/tensor';

/** Process-group backends: Gloo (CPU tensors), NCCL (CUDA tensors, CUDA builds only). */
export type Backend = 'gloo' | 'nccl';
/** Reductions, as `torch.distributed.ReduceOp` (Gloo has no 'avg'). */
export type ReduceOp = 'sum' | 'product' | 'min' | 'max' | 'avg' | 'band' | 'bor' | 'bxor';

export interface InitProcessGroupOptions {
  /** Default 'gloo'. */
  backend?: Backend;
  /** `env://` (default: MASTER_ADDR and MASTER_PORT) or `tcp://host:port`. */
  initMethod?: string;
  /** This process's rank (default: RANK). */
  rank?: number;
  /** Number of processes (default: WORLD_SIZE). */
  worldSize?: number;
  /** Milliseconds to wait for the rendezvous and for each collective (default 30 min, as PyTorch). */
  timeout?: number;
}

const INIT_KEYS = optionKeys<InitProcessGroupOptions>({
  backend: 1,
  initMethod: 1,
  rank: 1,
  worldSize: 1,
  timeout: 1,
});
const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;
const REDUCE_OPS: readonly ReduceOp[] = ['sum', 'product', 'min', 'max', 'avg', 'band', 'bor', 'bxor'];
const GLOO_FIX =
  "torchts was built without Gloo's headers, which the torch wheels do not ship: install them (Debian/Ubuntu: apt-get install libgloo-dev) and rebuild with `npx torchts build`";

let backendName: Backend | null = null;

/** Whether this torchts was built with torch.distributed (c10d + Gloo). */
export function isAvailable(): boolean {
  return typeof N.distInit === 'function';
}
/** Whether a backend is built in: 'gloo' whenever distributed is available, 'nccl' in CUDA builds made with it. */
export function isBackendAvailable(backend: Backend): boolean {
  const b = N.distBackends as Record<string, boolean> | undefined;
  return Boolean(b?.[backend]);
}
/** Whether the default process group is initialized. */
export function isInitialized(): boolean {
  return isAvailable() && (N.distIsInitialized() as boolean);
}

function envInt(name: string, what: string): number {
  const v = process.env[name];
  if (v === undefined || v === '') {
    throw new TorchError(
      `distributed.initProcessGroup: ${what} was not given and the environment variable ${name} is not set (torchrun and \`torchts train --nproc\` set it)`,
    );
  }
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new TorchError(`distributed.initProcessGroup: expected a non-negative integer in ${name} but found '${v}'`);
  return n;
}

function endpoint(initMethod: string): { host: string; port: number } {
  let host: string;
  let portText: string;
  if (initMethod === 'env://') {
    host = process.env.MASTER_ADDR ?? '';
    portText = process.env.MASTER_PORT ?? '';
    if (!host)
      throw new TorchError(
        'distributed.initProcessGroup: initMethod env:// needs the environment variable MASTER_ADDR (the address of rank 0)',
      );
    if (!portText)
      throw new TorchError(
        'distributed.initProcessGroup: initMethod env:// needs the environment variable MASTER_PORT (a free port on rank 0)',
      );
  } else {
    const m = /^tcp:\/\/\[?([^\]]+?)\]?:(\d+)$/.exec(initMethod);
    if (!m)
      throw new TorchError(
        `distributed.initProcessGroup: expected initMethod 'env://' or 'tcp://host:port' but received '${initMethod}'`,
      );
    [, host, portText] = m;
  }
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new TorchError(`distributed.initProcessGroup: expected a port in 1..65535 but received '${portText}'`);
  return { host, port };
}

/**
 * Joins the default process group. Blocks until all `worldSize` processes have met at the
 * TCPStore on rank 0 (or `timeout` passes). Options not given come from the environment,
 * as torchrun sets it: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT.
 */
export function initProcessGroup(options: InitProcessGroupOptions = {}): void {
  const o = checkOptions<InitProcessGroupOptions>(options, 'initProcessGroup options', INIT_KEYS);
  const backend = o.backend ?? 'gloo';
  if (backend !== 'gloo' && backend !== 'nccl') {
    throw new TorchError(
      `distributed.initProcessGroup: expected backend 'gloo' or 'nccl' but received ${JSON.stringify(backend)}`,
    );
  }
  if (!isAvailable())
    throw new TorchError(`distributed.initProcessGroup: torch.distributed is not available: ${GLOO_FIX}`);
  if (!isBackendAvailable(backend)) {
    throw new TorchError(
      `distributed.initProcessGroup: backend '${backend}' is not built into this torchts (NCCL needs a CUDA libtorch, NCCL's headers and \`cmake -DTORCHTS_NCCL=ON\`); use backend 'gloo'`,
    );
  }
  if (isInitialized())
    throw new TorchError(
      'distributed.initProcessGroup: the default process group is already initialized; call destroyProcessGroup() first',
    );
  const initMethod = o.initMethod ?? 'env://';
  if (typeof initMethod !== 'string') throw typeError("'env://' or 'tcp://host:port'", 'initMethod', initMethod);
  const worldSize =
    o.worldSize !== undefined ? checkInt(o.worldSize, 'worldSize', 1) : envInt('WORLD_SIZE', 'worldSize');
  const rank = o.rank !== undefined ? checkInt(o.rank, 'rank', 0) : envInt('RANK', 'rank');
  if (worldSize < 1)
    throw new TorchError(`distributed.initProcessGroup: expected worldSize >= 1 but received ${worldSize}`);
  if (rank >= worldSize)
    throw new TorchError(
      `distributed.initProcessGroup: rank ${rank} is out of range for worldSize ${worldSize} (ranks are 0..${worldSize - 1})`,
    );
  const timeout = checkInt(o.timeout ?? DEFAULT_TIMEOUT_MS, 'timeout', 1);
  const { host, port } = endpoint(initMethod);
  N.distInit(backend, host, port, rank, worldSize, timeout);
  backendName = backend;
}

function group(op: string): void {
  if (!isInitialized()) {
    throw new TorchError(
      `distributed.${op}: the default process group is not initialized; call distributed.initProcessGroup() first`,
    );
  }
}

/** This process's rank in the default group. */
export function getRank(): number {
  group('getRank');
  return N.distRank();
}
/** Number of processes in the default group. */
export function getWorldSize(): number {
  group('getWorldSize');
  return N.distWorldSize();
}
/** The default group's backend. */
export function getBackend(): Backend {
  group('getBackend');
  return backendName as Backend;
}
/** The local rank (LOCAL_RANK as set by the launcher, else 0): which device this process uses on its machine. */
export function getLocalRank(): number {
  const v = Number(process.env.LOCAL_RANK ?? 0);
  return Number.isInteger(v) && v >= 0 ? v : 0;
}

function checkTensor(t: unknown, argument: string): Tensor {
  if (!(t instanceof Tensor)) throw typeError('a Tensor', argument, t);
  return t;
}
function checkRank(r: unknown, argument: string): number {
  const n = checkInt(r, argument, 0);
  const size = N.distWorldSize() as number;
  if (n >= size) throw new TorchError(`distributed: ${argument} ${n} is out of range for worldSize ${size}`);
  return n;
}

/** Waits until every rank has called `barrier()`. */
export function barrier(): void {
  group('barrier');
  N.distBarrier();
}

/** Reduces `tensor` over all ranks, in place on every rank (default: sum). Returns `tensor`. */
export function allReduce(tensor: Tensor, op: ReduceOp = 'sum'): Tensor {
  group('allReduce');
  checkTensor(tensor, 'tensor');
  if (!REDUCE_OPS.includes(op)) throw typeError(`one of ${REDUCE_OPS.join(', ')}`, 'op', op);
  N.distAllReduce(tensor.handle, op);
  return tensor;
}

/** Copies `tensor` from rank `src` into `tensor` on every other rank. Returns `tensor`. */
export function broadcast(tensor: Tensor, src: number): Tensor {
  group('broadcast');
  checkTensor(tensor, 'tensor');
  N.distBroadcast(tensor.handle, checkRank(src, 'src'));
  return tensor;
}

/**
 * Gathers `tensor` from every rank into `tensorList` (one tensor of the same shape and
 * dtype per rank, filled in place), as `torch.distributed.all_gather`.
 */
export function allGather(tensorList: Tensor[], tensor: Tensor): void {
  group('allGather');
  checkTensor(tensor, 'tensor');
  if (!Array.isArray(tensorList)) throw typeError('an array of Tensors', 'tensorList', tensorList);
  const size = N.distWorldSize() as number;
  if (tensorList.length !== size)
    throw new TorchError(
      `distributed.allGather: expected tensorList to hold worldSize (${size}) tensors but it holds ${tensorList.length}`,
    );
  tensorList.forEach((t, i) => {
    checkTensor(t, `tensorList[${i}]`);
  });
  N.distAllGather(
    tensorList.map((t) => t.handle),
    tensor.handle,
  );
}

/** Broadcasts many tensors from rank `src` in a few flattened messages (DDP's `_broadcast_coalesced`). */
export function broadcastCoalesced(tensors: Tensor[], src = 0, bufferSize = 250 * 1024 * 1024): void {
  group('broadcastCoalesced');
  tensors.forEach((t, i) => {
    checkTensor(t, `tensors[${i}]`);
  });
  N.distBroadcastCoalesced(
    tensors.map((t) => t.handle),
    checkRank(src, 'src'),
    checkInt(bufferSize, 'bufferSize', 1),
  );
}

/** Leaves the default process group. Modules wrapped in DistributedDataParallel keep theirs until released. */
export function destroyProcessGroup(): void {
  if (!isAvailable()) return;
  N.distDestroy();
  backendName = null;
}
