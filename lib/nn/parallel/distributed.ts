/**
 * nn.parallel.DistributedDataParallel: data-parallel training over the default process
 * group, with PyTorch's own engine. The gradient work is libtorch's c10d::Reducer, the
 * code behind PyTorch's DDP: gradients are grouped into ~25 MB buckets, and as soon as
 * the last gradient of a bucket is ready during `backward()` an autograd hook (C++, no JS)
 * starts that bucket's allreduce while backward goes on; at the end of backward the
 * engine waits for the buckets and writes the averaged gradients into `.grad`. So the
 * training loop stays PyTorch's:
 *
 *     const ddp = new nn.parallel.DistributedDataParallel(model);
 *     optimizer.zeroGrad(); loss(ddp.forward(x), y).backward(); optimizer.step();
 */
import { N } from '../../native';
import { isInitialized, broadcastCoalesced, getRank } from '../../distributed/index';
import { isGradEnabled } from '../../torch/autograd';
import { checkBool, checkNumber, checkOptions, TorchError, typeError } from '../../torch/errors';
import { Tensor } from '../../torch/tensor';
import { Module } from '../module';

export interface DistributedDataParallelOptions {
  /** Broadcast rank 0's buffers (BatchNorm running statistics) before every forward (default true). */
  broadcastBuffers?: boolean;
  /** Bucket size in MiB (default 25). */
  bucketCapMb?: number;
  /** Allow parameters that get no gradient in some iterations (default false; costs a graph walk per step). */
  findUnusedParameters?: boolean;
  /** Let `.grad` be views into the communication buckets, saving a copy and memory (default false). */
  gradientAsBucketView?: boolean;
}

const BROADCAST_BUCKET_BYTES = 250 * 1024 * 1024;

/** Releases a Reducer whose wrapper was garbage collected without `release()`. */
const reducers = new FinalizationRegistry<number>((id) => N.ddpFree(id));

function tensorsIn(value: unknown, out: Tensor[] = [], depth = 0): Tensor[] {
  if (value instanceof Tensor) out.push(value);
  else if (Array.isArray(value) && depth < 8)
    value.forEach((v) => {
      tensorsIn(v, out, depth + 1);
    });
  else if (value !== null && typeof value === 'object' && depth < 8)
    Object.values(value).forEach((v) => {
      tensorsIn(v, out, depth + 1);
    });
  return out;
}

export class DistributedDataParallel<M extends Module = Module> extends Module {
  /** The wrapped module; its state-dict keys get the prefix `module.`, as in PyTorch. */
  declare module: M;
  readonly broadcastBuffers: boolean;
  readonly findUnusedParameters: boolean;
  readonly gradientAsBucketView: boolean;
  /** Bucket size limit in bytes. */
  readonly bucketBytesCap: number;
  private reducerId: number;
  private readonly syncedBuffers: Tensor[];
  private requireBackwardGradSync = true;
  private requireForwardParamSync = true;

  /**
   * Wraps `module` (already on its device) and makes every rank start from rank 0's
   * parameters and buffers. Collective: every rank of the default group must construct
   * its wrapper, in the same order.
   */
  constructor(module: M, options: DistributedDataParallelOptions = {}) {
    super();
    if (!(module instanceof Module)) throw typeError('a Module', 'module', module);
    const o = checkOptions<DistributedDataParallelOptions>(options, 'DistributedDataParallel options', [
      'broadcastBuffers',
      'bucketCapMb',
      'findUnusedParameters',
      'gradientAsBucketView',
    ]);
    if (!isInitialized()) {
      throw new TorchError(
        'DistributedDataParallel: the default process group is not initialized; call distributed.initProcessGroup() first',
      );
    }
    this.broadcastBuffers = checkBool(o.broadcastBuffers ?? true, 'broadcastBuffers');
    this.findUnusedParameters = checkBool(o.findUnusedParameters ?? false, 'findUnusedParameters');
    this.gradientAsBucketView = checkBool(o.gradientAsBucketView ?? false, 'gradientAsBucketView');
    const mb = checkNumber(o.bucketCapMb ?? 25, 'bucketCapMb');
    if (!(mb > 0)) throw new RangeError(`Expected a positive number for bucketCapMb but received ${mb}`);
    this.bucketBytesCap = Math.floor(mb * 1024 * 1024);
    this.module = module;
    const params = module.parameters().filter((p) => p.requiresGrad);
    if (params.length === 0)
      throw new TorchError(
        'DistributedDataParallel is not needed when a module has no parameter that requires gradient',
      );
    this.syncedBuffers = module.buffers();
    // PyTorch's _sync_module_states: rank 0's parameters and buffers everywhere.
    broadcastCoalesced([...module.parameters(), ...this.syncedBuffers], 0, BROADCAST_BUCKET_BYTES);
    this.reducerId = N.ddpNew(
      params.map((p) => p.handle),
      this.bucketBytesCap,
      this.findUnusedParameters,
      this.gradientAsBucketView,
    );
    reducers.register(this, this.reducerId, this);
  }

  /**
   * Runs the wrapped module's forward. With autograd on, it also readies the Reducer for
   * the backward that follows (and rebuilds buckets after the first iteration); with
   * `broadcastBuffers` rank 0's buffers are copied to every rank first.
   */
  forward(...inputs: Parameters<M['forward']>): ReturnType<M['forward']> {
    const id = this.liveReducer();
    const sync = isGradEnabled() && this.requireBackwardGradSync;
    if (sync) N.ddpPreForward(id);
    if (this.broadcastBuffers && this.requireForwardParamSync && this.syncedBuffers.length > 0) {
      broadcastCoalesced(this.syncedBuffers, 0, BROADCAST_BUCKET_BYTES);
    }
    const out = (this.module.forward as (...a: unknown[]) => unknown)(...inputs) as ReturnType<M['forward']>;
    if (sync) {
      this.requireForwardParamSync = true;
      N.ddpPostForward(id, this.findUnusedParameters ? tensorsIn(out).map((t) => t.handle) : []);
    } else {
      this.requireForwardParamSync = false;
    }
    return out;
  }

  /**
   * Runs `fn` (forwards and backwards) without averaging gradients: they accumulate
   * locally until the first backward after it (gradient accumulation, as `no_sync()`).
   */
  noSync<T>(fn: () => T): T {
    const prev = this.requireBackwardGradSync;
    this.requireBackwardGradSync = false;
    let async = false;
    try {
      const r = fn();
      if (r instanceof Promise) {
        async = true;
        return r.finally(() => (this.requireBackwardGradSync = prev)) as T;
      }
      return r;
    } finally {
      if (!async) this.requireBackwardGradSync = prev;
    }
  }

  /** Frees the Reducer (its autograd hooks and buckets) now; the wrapper cannot be used after. */
  release(): void {
    if (this.reducerId < 0) return;
    reducers.unregister(this);
    N.ddpFree(this.reducerId);
    this.reducerId = -1;
  }

  private liveReducer(): number {
    if (this.reducerId < 0) throw new TorchError('DistributedDataParallel: this wrapper was released');
    return this.reducerId;
  }

  /** Rank of this process in the group the wrapper was built on. */
  get rank(): number {
    return getRank();
  }
}
