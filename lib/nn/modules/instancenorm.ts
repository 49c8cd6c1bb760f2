/**
 * torch/nn/modules/instancenorm.py: InstanceNorm1d/2d/3d. PyTorch's defaults differ from
 * BatchNorm's: no affine parameters and no running statistics unless asked for.
 */
import { bindArgs, type WithOptions } from '../../torch/args';
import { ones, zeros } from '../../torch/creation';
import { checkBool, checkInt, checkNumber, TorchError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import * as init from '../init';
import { Module, pyFloat } from '../module';
import type { Parameter } from '../parameter';
import { emptyParameter, type FactoryOptions } from './factory';
import { pyBool } from './utils';

export interface InstanceNormOptions extends FactoryOptions {
  eps?: number;
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
  bias?: boolean;
}
const POSITIONAL = ['eps', 'momentum', 'affine', 'trackRunningStats'] as const;
type InstanceNormArgs = WithOptions<
  [eps: number, momentum: number | null, affine: boolean, trackRunningStats: boolean],
  InstanceNormOptions
>;

/** PyTorch's `_InstanceNorm` (a `_NormBase`): `weight`, `bias`, then the running-statistics buffers. */
abstract class InstanceNorm extends Module {
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
  /** The rank of an unbatched input (PyTorch's `_get_no_batch_dim`). */
  private readonly noBatchDim: number;

  constructor(noBatchDim: number, numFeatures: number, args: readonly unknown[]) {
    super();
    const o = bindArgs<InstanceNormOptions>(args, POSITIONAL, this.constructor.name, [
      ...POSITIONAL,
      'bias',
      'device',
      'dtype',
    ]);
    this.noBatchDim = noBatchDim;
    this.numFeatures = checkInt(numFeatures, 'numFeatures', 1);
    this.eps = checkNumber(o.eps ?? 1e-5, 'eps');
    this.momentum = o.momentum === null ? null : checkNumber(o.momentum ?? 0.1, 'momentum');
    this.affine = checkBool(o.affine ?? false, 'affine');
    this.trackRunningStats = checkBool(o.trackRunningStats ?? false, 'trackRunningStats');
    const bias = checkBool(o.bias ?? true, 'bias');
    this.weight = this.affine ? emptyParameter([numFeatures], o) : null;
    this.bias = this.affine && bias ? emptyParameter([numFeatures], o) : null;
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
    this.running_mean?.zero_();
    this.running_var?.fill_(1);
    this.num_batches_tracked?.zero_();
  }

  /** PyTorch's: statistics reset, weight ones, bias zeros. */
  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight) init.ones_(this.weight);
    if (this.bias) init.zeros_(this.bias);
  }

  private apply_(input: Tensor): Tensor {
    return F.instanceNorm(input, {
      runningMean: this.running_mean,
      runningVar: this.running_var,
      weight: this.weight,
      bias: this.bias,
      useInputStats: this.training || !this.trackRunningStats,
      momentum: this.momentum ?? 0,
      eps: this.eps,
    });
  }

  forward(input: Tensor): Tensor {
    const d = input.dim();
    if (d !== this.noBatchDim && d !== this.noBatchDim + 1)
      throw new TorchError(`expected ${this.noBatchDim}D or ${this.noBatchDim + 1}D input (got ${d}D input)`);
    const featureDim = d - this.noBatchDim;
    if (this.affine && input.size(featureDim) !== this.numFeatures)
      throw new TorchError(
        `expected input's size at dim=${featureDim} to match num_features (${this.numFeatures}), but got: ${input.size(featureDim)}.`,
      );
    if (d === this.noBatchDim) return this.apply_(input.unsqueeze(0)).squeeze(0);
    return this.apply_(input);
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${pyFloat(this.momentum)}, affine=${pyBool(this.affine)}, bias=${pyBool(this.bias !== null)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

/** Instance normalisation over (N, C, L) or (C, L). */
export class InstanceNorm1d extends InstanceNorm {
  constructor(numFeatures: number, ...args: InstanceNormArgs) {
    super(2, numFeatures, args);
  }
}
/** Instance normalisation over (N, C, H, W) or (C, H, W). */
export class InstanceNorm2d extends InstanceNorm {
  constructor(numFeatures: number, ...args: InstanceNormArgs) {
    super(3, numFeatures, args);
  }
}
/** Instance normalisation over (N, C, D, H, W) or (C, D, H, W). */
export class InstanceNorm3d extends InstanceNorm {
  constructor(numFeatures: number, ...args: InstanceNormArgs) {
    super(4, numFeatures, args);
  }
}
