/**
 * nn.SyncBatchNorm: batch normalisation whose training statistics are those of the global
 * batch, over every rank of the default process group (torch.distributed), so that a model
 * trained on N processes normalises as it would on one with N times the batch.
 */
import * as distributed from '../../distributed/index';
import { allReduce } from '../../distributed/nn/functional';
import { bindArgs, type WithOptions } from '../../torch/args';
import { full } from '../../torch/creation';
import { noGrad } from '../../torch/autograd';
import { optionKeys, TorchError, typeError } from '../../torch/errors';
import { cat } from '../../torch/functions';
import type { Tensor } from '../../torch/tensor';
import { Module } from '../module';
import { BatchNorm2d, type BatchNormOptions } from './batchnorm';

export interface SyncBatchNormOptions extends BatchNormOptions {
  /** Only the default group (null) is supported: torchts has one process group. */
  processGroup?: null;
}

const SYNC_POSITIONAL = ['eps', 'momentum', 'affine', 'trackRunningStats', 'processGroup'] as const;
const SYNC_KEYS = optionKeys<SyncBatchNormOptions>({
  eps: 1,
  momentum: 1,
  affine: 1,
  trackRunningStats: 1,
  processGroup: 1,
  device: 1,
  dtype: 1,
});

function batchNormOptions(args: readonly unknown[]): BatchNormOptions {
  const { processGroup, ...rest } = bindArgs<SyncBatchNormOptions>(args, SYNC_POSITIONAL, 'SyncBatchNorm', SYNC_KEYS);
  if (processGroup !== undefined && processGroup !== null)
    throw typeError('null (the default process group; torchts has no other)', 'processGroup', processGroup);
  return rest;
}

/**
 * Batch normalisation over (N, C, *) whose batch statistics, in training, are the mean and
 * variance over all ranks' batches, as `torch.nn.SyncBatchNorm`. Arguments as BatchNorm2d's,
 * then `processGroup` (only null, the default group). Outside training, or without an
 * initialized process group of more than one rank, it is plain batch normalisation. Unlike
 * PyTorch's, it runs on the CPU too (Gloo): the statistics are reduced with a differentiable
 * all-reduce, so the backward sums their gradients over the ranks as PyTorch's kernel does.
 */
export class SyncBatchNorm extends BatchNorm2d {
  constructor(
    numFeatures: number,
    ...args: WithOptions<
      [eps: number, momentum: number | null, affine: boolean, trackRunningStats: boolean, processGroup: null],
      SyncBatchNormOptions
    >
  ) {
    super(numFeatures, batchNormOptions(args));
  }

  protected override checkInputDim(input: Tensor): void {
    if (input.dim() < 2) throw new TorchError(`expected at least 2D input (got ${input.dim()}D input)`);
  }

  override forward(input: Tensor): Tensor {
    this.checkInputDim(input);
    if (!this.training || !distributed.isInitialized() || distributed.getWorldSize() < 2) return super.forward(input);
    const factor = this.averagingFactor();
    const c = input.shape[1];
    const dims = [0, ...Array.from({ length: input.dim() - 2 }, (_, i) => i + 2)];
    const shape = [1, c, ...Array.from({ length: input.dim() - 2 }, () => 1)];
    // Two reductions, mean then centred second moment: as accurate as a per-rank Welford
    // merge, and each is one summing all-reduce whose gradient autograd knows.
    const count = full([1], input.numel() / c, { dtype: input.dtype, device: input.device });
    const sums = allReduce(cat([input.sum(dims), count]));
    const n = sums.narrow(0, c, 1).detach().item() as number;
    if (n <= 1) throw new TorchError(`Expected more than 1 value per channel when training, got ${n} over all ranks`);
    const mean = sums.narrow(0, 0, c).div(n);
    const centred = input.sub(mean.view(shape));
    const variance = allReduce(centred.mul(centred).sum(dims)).div(n);
    let out = centred.mul(variance.add(this.eps).rsqrt().view(shape));
    if (this.weight && this.bias) out = out.mul(this.weight.view(shape)).add(this.bias.view(shape));
    if (this.trackRunningStats && this.running_mean && this.running_var) {
      const rm = this.running_mean;
      const rv = this.running_var;
      noGrad(() => {
        rm.mul_(1 - factor).add_(mean.detach(), { alpha: factor });
        rv.mul_(1 - factor).add_(variance.detach(), { alpha: (factor * n) / (n - 1) });
      });
    }
    return out;
  }

  /**
   * Replaces every BatchNorm1d/2d/3d in `module` (or `module` itself) with a SyncBatchNorm
   * holding the same parameters and buffers, as `SyncBatchNorm.convert_sync_batchnorm`.
   * Returns the converted module; submodules are replaced in place.
   */
  static convertSyncBatchnorm<M extends Module>(module: M, processGroup: null = null): M | SyncBatchNorm {
    if (!(module instanceof Module)) throw typeError('a Module', 'module', module);
    if (processGroup !== null) throw typeError('null (the default process group)', 'processGroup', processGroup);
    if (module instanceof BatchNorm2d && !(module instanceof SyncBatchNorm)) {
      const sync = new SyncBatchNorm(
        module.numFeatures,
        module.eps,
        module.momentum,
        module.affine,
        module.trackRunningStats,
      );
      for (const name of ['weight', 'bias'] as const) {
        sync[name]?.dispose();
        sync.registerParameter(name, module[name]);
      }
      for (const name of ['running_mean', 'running_var', 'num_batches_tracked'] as const) {
        sync[name]?.dispose();
        sync.registerBuffer(name, module[name]);
      }
      sync.training = module.training;
      return sync;
    }
    for (const [name, child] of module.namedChildren()) {
      const converted = SyncBatchNorm.convertSyncBatchnorm(child);
      if (converted !== child) module.registerModule(name, converted);
    }
    return module;
  }
}
