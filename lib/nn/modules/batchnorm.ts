import { ones, zeros } from '../../torch/creation';
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, checkInt, checkNumber, optionKeys, TorchError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import * as init from '../init';
import { Module, pyFloat } from '../module';
import type { Parameter } from '../parameter';
import { emptyParameter, type FactoryOptions } from './factory';

export interface BatchNormOptions extends FactoryOptions {
  eps?: number;
  /** Running-statistics momentum; null for a cumulative moving average. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

const BATCHNORM_POSITIONAL = ['eps', 'momentum', 'affine', 'trackRunningStats'] as const;
const BATCHNORM_KEYS = optionKeys<BatchNormOptions>({
  eps: 1,
  momentum: 1,
  affine: 1,
  trackRunningStats: 1,
  device: 1,
  dtype: 1,
});

/**
 * Batch normalisation over [N, C, H, W]; eps, momentum, affine and trackRunningStats may be
 * positional, in PyTorch's order: `new nn.BatchNorm2d(64, 1e-5, 0.1)`, `new nn.BatchNorm2d(64, { affine: false })`. Buffers keep PyTorch's names (`running_mean`,
 * `running_var`, `num_batches_tracked`) so state dicts match torchvision's keys.
 */
export class BatchNorm2d extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  declare running_mean: Tensor | null;
  declare running_var: Tensor | null;
  declare num_batches_tracked: Tensor | null;
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(
    numFeatures: number,
    ...args: WithOptions<
      [eps: number, momentum: number | null, affine: boolean, trackRunningStats: boolean],
      BatchNormOptions
    >
  ) {
    super();
    const o = bindArgs<BatchNormOptions>(args, BATCHNORM_POSITIONAL, 'BatchNorm2d', BATCHNORM_KEYS);
    this.numFeatures = checkInt(numFeatures, 'numFeatures', 1);
    this.eps = checkNumber(o.eps ?? 1e-5, 'eps');
    this.momentum = o.momentum === null ? null : checkNumber(o.momentum ?? 0.1, 'momentum');
    this.affine = checkBool(o.affine ?? true, 'affine');
    this.trackRunningStats = checkBool(o.trackRunningStats ?? true, 'trackRunningStats');
    this.weight = this.affine ? emptyParameter([numFeatures], o) : null;
    this.bias = this.affine ? emptyParameter([numFeatures], o) : null;
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures], { device: o.device, dtype: o.dtype }));
      this.registerBuffer('running_var', ones([numFeatures], { device: o.device, dtype: o.dtype }));
      this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'int64', device: o.device }));
    } else {
      this.registerBuffer('running_mean', null);
      this.registerBuffer('running_var', null);
      this.registerBuffer('num_batches_tracked', null);
    }
    this.resetParameters();
  }

  resetRunningStats(): void {
    if (!this.trackRunningStats) return;
    // Registered by the constructor whenever trackRunningStats is set; null only if a caller
    // cleared one, and then there is nothing to reset.
    this.running_mean?.zero_();
    this.running_var?.fill_(1);
    this.num_batches_tracked?.zero_();
  }

  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight && this.bias) {
      init.ones_(this.weight);
      init.zeros_(this.bias);
    }
  }

  /** PyTorch's `_check_input_dim`: BatchNorm2d takes 4-d input. */
  protected checkInputDim(input: Tensor): void {
    if (input.dim() !== 4) throw new TorchError(`expected 4D input (got ${input.dim()}D input)`);
  }

  /**
   * PyTorch's _BatchNorm.forward bookkeeping, including its `num_batches_tracked is not None`
   * check: counts a training batch and returns the running statistics' averaging factor.
   */
  protected averagingFactor(): number {
    let factor = this.momentum ?? 0;
    if (this.training && this.trackRunningStats && this.num_batches_tracked) {
      this.num_batches_tracked.add_(1);
      // momentum null: cumulative moving average over the batches seen so far.
      if (this.momentum === null) factor = 1 / (this.num_batches_tracked.item() as number);
    }
    return factor;
  }

  forward(input: Tensor): Tensor {
    this.checkInputDim(input);
    const factor = this.averagingFactor();
    const useBatchStats = this.training || !this.trackRunningStats;
    const track = !this.training || this.trackRunningStats;
    return F.batchNorm(
      input,
      track ? this.running_mean : null,
      track ? this.running_var : null,
      this.weight,
      this.bias,
      useBatchStats,
      factor,
      this.eps,
    );
  }

  override extraRepr(): string {
    // PyTorch 2.13's repr, which has `bias=` (True exactly when affine here).
    const bool = (b: boolean): string => (b ? 'True' : 'False');
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${pyFloat(this.momentum)}, affine=${bool(this.affine)}, bias=${bool(this.bias !== null)}, track_running_stats=${bool(this.trackRunningStats)}`;
  }
}

/** Batch normalisation over (N, C) or (N, C, L) (PyTorch's subclass of `_BatchNorm`). */
export class BatchNorm1d extends BatchNorm2d {
  protected override checkInputDim(input: Tensor): void {
    const d = input.dim();
    if (d !== 2 && d !== 3) throw new TorchError(`expected 2D or 3D input (got ${d}D input)`);
  }
}

/** Batch normalisation over (N, C, D, H, W). */
export class BatchNorm3d extends BatchNorm2d {
  protected override checkInputDim(input: Tensor): void {
    if (input.dim() !== 5) throw new TorchError(`expected 5D input (got ${input.dim()}D input)`);
  }
}
