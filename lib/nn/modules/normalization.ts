/**
 * torch/nn/modules/normalization.py: LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm.
 * Parameters are registered as PyTorch registers them (`weight`, then `bias`), so state-dict
 * keys are PyTorch's.
 */
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, checkInt, checkNumber, rangeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import * as init from '../init';
import { Module, pyFloat } from '../module';
import type { Parameter } from '../parameter';
import { emptyParameter, type FactoryOptions } from './factory';
import { pyBool, pyTuple } from './utils';

function shapeOf(normalizedShape: number | readonly number[]): number[] {
  const s = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(s)) throw rangeError('an integer or an array of integers', 'normalizedShape', normalizedShape);
  return s.map((d, i) => checkInt(d, `normalizedShape[${i}]`, 0));
}

export interface LayerNormOptions extends FactoryOptions {
  eps?: number;
  elementwiseAffine?: boolean;
  bias?: boolean;
}
const LAYER_NORM_POSITIONAL = ['eps', 'elementwiseAffine', 'bias'] as const;

/** Normalises over the trailing `normalizedShape` dimensions: `new nn.LayerNorm(768, 1e-6)`. */
export class LayerNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  constructor(
    normalizedShape: number | readonly number[],
    ...args: WithOptions<[eps: number, elementwiseAffine: boolean, bias: boolean], LayerNormOptions>
  ) {
    super();
    const o = bindArgs<LayerNormOptions>(args, LAYER_NORM_POSITIONAL, 'LayerNorm', [
      ...LAYER_NORM_POSITIONAL,
      'device',
      'dtype',
    ]);
    this.normalizedShape = shapeOf(normalizedShape);
    this.eps = checkNumber(o.eps ?? 1e-5, 'eps');
    this.elementwiseAffine = checkBool(o.elementwiseAffine ?? true, 'elementwiseAffine');
    const bias = checkBool(o.bias ?? true, 'bias');
    this.weight = this.elementwiseAffine ? emptyParameter(this.normalizedShape, o) : null;
    this.bias = this.elementwiseAffine && bias ? emptyParameter(this.normalizedShape, o) : null;
    this.resetParameters();
  }
  /** PyTorch's: weight ones, bias zeros. */
  resetParameters(): void {
    if (this.weight) init.ones_(this.weight);
    if (this.bias) init.zeros_(this.bias);
  }
  forward(input: Tensor): Tensor {
    return F.layerNorm(input, this.normalizedShape, this.weight, this.bias, this.eps);
  }
  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}, bias=${pyBool(this.bias !== null)}`;
  }
}

export interface GroupNormOptions extends FactoryOptions {
  eps?: number;
  affine?: boolean;
  bias?: boolean;
}

/** Normalises groups of channels: `new nn.GroupNorm(8, 64)`. */
export class GroupNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  constructor(
    numGroups: number,
    numChannels: number,
    ...args: WithOptions<[eps: number, affine: boolean], GroupNormOptions>
  ) {
    super();
    const o = bindArgs<GroupNormOptions>(args, ['eps', 'affine'], 'GroupNorm', [
      'eps',
      'affine',
      'bias',
      'device',
      'dtype',
    ]);
    this.numGroups = checkInt(numGroups, 'numGroups', 1);
    this.numChannels = checkInt(numChannels, 'numChannels', 0);
    if (numChannels % numGroups !== 0)
      throw rangeError(`numChannels divisible by numGroups (${numGroups})`, 'numChannels', numChannels);
    this.eps = checkNumber(o.eps ?? 1e-5, 'eps');
    this.affine = checkBool(o.affine ?? true, 'affine');
    const bias = checkBool(o.bias ?? true, 'bias');
    this.weight = this.affine ? emptyParameter([numChannels], o) : null;
    this.bias = this.affine && bias ? emptyParameter([numChannels], o) : null;
    this.resetParameters();
  }
  /** PyTorch's: weight ones, bias zeros. */
  resetParameters(): void {
    if (this.weight) init.ones_(this.weight);
    if (this.bias) init.zeros_(this.bias);
  }
  forward(input: Tensor): Tensor {
    return F.groupNorm(input, this.numGroups, this.weight, this.bias, this.eps);
  }
  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyBool(this.affine)}, bias=${pyBool(this.bias !== null)}`;
  }
}

export interface RMSNormOptions extends FactoryOptions {
  /** null: the dtype's machine epsilon, as PyTorch. */
  eps?: number | null;
  elementwiseAffine?: boolean;
}

/** Root-mean-square normalisation over the trailing `normalizedShape` dimensions. */
export class RMSNorm extends Module {
  weight: Parameter | null;
  readonly normalizedShape: number[];
  readonly eps: number | null;
  readonly elementwiseAffine: boolean;
  constructor(
    normalizedShape: number | readonly number[],
    ...args: WithOptions<[eps: number | null, elementwiseAffine: boolean], RMSNormOptions>
  ) {
    super();
    const o = bindArgs<RMSNormOptions>(args, ['eps', 'elementwiseAffine'], 'RMSNorm', [
      'eps',
      'elementwiseAffine',
      'device',
      'dtype',
    ]);
    this.normalizedShape = shapeOf(normalizedShape);
    this.eps = o.eps === undefined || o.eps === null ? null : checkNumber(o.eps, 'eps');
    this.elementwiseAffine = checkBool(o.elementwiseAffine ?? true, 'elementwiseAffine');
    this.weight = this.elementwiseAffine ? emptyParameter(this.normalizedShape, o) : null;
    this.resetParameters();
  }
  /** PyTorch's: weight ones. */
  resetParameters(): void {
    if (this.weight) init.ones_(this.weight);
  }
  forward(input: Tensor): Tensor {
    return F.rmsNorm(input, this.normalizedShape, this.weight, this.eps);
  }
  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}

type LrnArgs = WithOptions<[alpha: number, beta: number, k: number], { alpha?: number; beta?: number; k?: number }>;

/** Local response normalisation across channels (AlexNet's): `new nn.LocalResponseNorm(5)`. */
export class LocalResponseNorm extends Module {
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;
  constructor(size: number, ...args: LrnArgs) {
    super();
    const o = bindArgs<{ alpha: number; beta: number; k: number }>(args, ['alpha', 'beta', 'k'], this.constructor.name);
    this.size = checkInt(size, 'size', 1);
    this.alpha = checkNumber(o.alpha ?? 1e-4, 'alpha');
    this.beta = checkNumber(o.beta ?? 0.75, 'beta');
    this.k = checkNumber(o.k ?? 1, 'k');
  }
  forward(input: Tensor): Tensor {
    return F.localResponseNorm(input, this.size, this.alpha, this.beta, this.k);
  }
  override extraRepr(): string {
    return `${this.size}, alpha=${pyFloat(this.alpha)}, beta=${pyFloat(this.beta)}, k=${pyFloat(this.k)}`;
  }
}
