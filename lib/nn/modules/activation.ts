/**
 * torch/nn/modules/activation.py's modules (MultiheadAttention is in multihead_attention.ts):
 * each class takes PyTorch's constructor arguments positionally, in PyTorch's order, or in an
 * options object after them (`new nn.LeakyReLU(0.2, true)`,
 * `new nn.LeakyReLU({ negativeSlope: 0.2, inplace: true })`).
 */
import * as F from '../functional';
import * as init from '../init';
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, checkInt, checkNumber, rangeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import { Module, pyFloat } from '../module';
import type { Parameter } from '../parameter';
import { emptyParameter, type FactoryOptions } from './factory';

/** `max(0, x)`: `new nn.ReLU()`, `new nn.ReLU(true)` or `new nn.ReLU({ inplace: true })`. */
export class ReLU extends Module {
  readonly inplace: boolean;
  constructor(...args: WithOptions<[inplace: boolean], { inplace?: boolean }>) {
    super();
    this.inplace = checkBool(bindArgs<{ inplace: boolean }>(args, ['inplace'], 'ReLU').inplace ?? false, 'inplace');
  }
  forward(input: Tensor): Tensor {
    return F.relu(input, this.inplace);
  }
  override extraRepr(): string {
    return this.inplace ? 'inplace=True' : '';
  }
}

export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return input.sigmoid();
  }
}

export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    return input.tanh();
  }
}

export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
    checkInt(dim, 'dim');
  }
  forward(input: Tensor): Tensor {
    return F.softmax(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
    checkInt(dim, 'dim');
  }
  forward(input: Tensor): Tensor {
    return F.logSoftmax(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

const inplaceSuffix = (inplace: boolean): string => (inplace ? ', inplace=True' : '');
const inplaceOnly = (inplace: boolean): string => (inplace ? 'inplace=True' : '');

type InplaceArgs = WithOptions<[inplace: boolean], { inplace?: boolean }>;

/** Reads `inplace` for the modules whose only argument it is. */
function inplaceArg(args: readonly unknown[], where: string): boolean {
  return checkBool(bindArgs<{ inplace: boolean }>(args, ['inplace'], where).inplace ?? false, 'inplace');
}

/** `y = x if x > threshold else value` */
export class Threshold extends Module {
  readonly threshold: number;
  readonly value: number;
  readonly inplace: boolean;
  constructor(threshold: number, value: number, ...args: WithOptions<[inplace: boolean], { inplace?: boolean }>) {
    super();
    this.threshold = checkNumber(threshold, 'threshold');
    this.value = checkNumber(value, 'value');
    this.inplace = inplaceArg(args, 'Threshold');
  }
  forward(input: Tensor): Tensor {
    return F.threshold(input, this.threshold, this.value, this.inplace);
  }
  override extraRepr(): string {
    return `threshold=${pyFloat(this.threshold)}, value=${pyFloat(this.value)}${inplaceSuffix(this.inplace)}`;
  }
}

/** Randomized leaky ReLU: a random negative slope in [lower, upper] in training, their mean in eval. */
export class RReLU extends Module {
  readonly lower: number;
  readonly upper: number;
  readonly inplace: boolean;
  constructor(
    ...args: WithOptions<
      [lower: number, upper: number, inplace: boolean],
      { lower?: number; upper?: number; inplace?: boolean }
    >
  ) {
    super();
    const o = bindArgs<{ lower: number; upper: number; inplace: boolean }>(
      args,
      ['lower', 'upper', 'inplace'],
      'RReLU',
    );
    this.lower = checkNumber(o.lower ?? 1 / 8, 'lower');
    this.upper = checkNumber(o.upper ?? 1 / 3, 'upper');
    this.inplace = checkBool(o.inplace ?? false, 'inplace');
  }
  forward(input: Tensor): Tensor {
    return F.rrelu(input, this.lower, this.upper, this.training, this.inplace);
  }
  override extraRepr(): string {
    return `lower=${pyFloat(this.lower)}, upper=${pyFloat(this.upper)}${inplaceSuffix(this.inplace)}`;
  }
}

/** Clamps to [minVal, maxVal]. */
export class Hardtanh extends Module {
  readonly minVal: number;
  readonly maxVal: number;
  readonly inplace: boolean;
  constructor(
    ...args: WithOptions<
      [minVal: number, maxVal: number, inplace: boolean],
      { minVal?: number; maxVal?: number; inplace?: boolean }
    >
  ) {
    super();
    const o = bindArgs<{ minVal: number; maxVal: number; inplace: boolean }>(
      args,
      ['minVal', 'maxVal', 'inplace'],
      this.constructor.name,
    );
    this.minVal = checkNumber(o.minVal ?? -1, 'minVal');
    this.maxVal = checkNumber(o.maxVal ?? 1, 'maxVal');
    this.inplace = checkBool(o.inplace ?? false, 'inplace');
    if (this.maxVal <= this.minVal) throw rangeError(`maxVal > minVal (${this.minVal})`, 'maxVal', this.maxVal);
  }
  forward(input: Tensor): Tensor {
    return F.hardtanh(input, this.minVal, this.maxVal, this.inplace);
  }
  override extraRepr(): string {
    return `min_val=${pyFloat(this.minVal)}, max_val=${pyFloat(this.maxVal)}${inplaceSuffix(this.inplace)}`;
  }
}

/** `min(max(0, x), 6)` (PyTorch's subclass of Hardtanh). */
export class ReLU6 extends Hardtanh {
  constructor(...args: InplaceArgs) {
    super(0, 6, { inplace: inplaceArg(args, 'ReLU6') });
  }
  override extraRepr(): string {
    return inplaceOnly(this.inplace);
  }
}

/** An activation whose only argument is `inplace`, computed by `fn(input, inplace)`. */
abstract class InplaceActivation extends Module {
  readonly inplace: boolean;
  constructor(args: readonly unknown[]) {
    super();
    this.inplace = inplaceArg(args, this.constructor.name);
  }
}

/** `relu6(x + 3) / 6` */
export class Hardsigmoid extends InplaceActivation {
  constructor(...args: InplaceArgs) {
    super(args);
  }
  forward(input: Tensor): Tensor {
    return F.hardsigmoid(input, this.inplace);
  }
}

/** `x * sigmoid(x)` */
export class SiLU extends InplaceActivation {
  constructor(...args: InplaceArgs) {
    super(args);
  }
  forward(input: Tensor): Tensor {
    return F.silu(input, this.inplace);
  }
  override extraRepr(): string {
    return inplaceOnly(this.inplace);
  }
}

/** `x * tanh(softplus(x))` */
export class Mish extends InplaceActivation {
  constructor(...args: InplaceArgs) {
    super(args);
  }
  forward(input: Tensor): Tensor {
    return F.mish(input, this.inplace);
  }
  override extraRepr(): string {
    return inplaceOnly(this.inplace);
  }
}

/** `x * relu6(x + 3) / 6` */
export class Hardswish extends InplaceActivation {
  constructor(...args: InplaceArgs) {
    super(args);
  }
  forward(input: Tensor): Tensor {
    return F.hardswish(input, this.inplace);
  }
}

/** Scaled ELU with PyTorch's fixed alpha and scale. */
export class SELU extends InplaceActivation {
  constructor(...args: InplaceArgs) {
    super(args);
  }
  forward(input: Tensor): Tensor {
    return F.selu(input, this.inplace);
  }
  override extraRepr(): string {
    return inplaceOnly(this.inplace);
  }
}

type AlphaArgs = WithOptions<[alpha: number, inplace: boolean], { alpha?: number; inplace?: boolean }>;

/** Exponential linear unit. */
export class ELU extends Module {
  readonly alpha: number;
  readonly inplace: boolean;
  constructor(...args: AlphaArgs) {
    super();
    const o = bindArgs<{ alpha: number; inplace: boolean }>(args, ['alpha', 'inplace'], this.constructor.name);
    this.alpha = checkNumber(o.alpha ?? 1, 'alpha');
    this.inplace = checkBool(o.inplace ?? false, 'inplace');
  }
  forward(input: Tensor): Tensor {
    return F.elu(input, this.alpha, this.inplace);
  }
  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}${inplaceSuffix(this.inplace)}`;
  }
}

/** Continuously differentiable ELU. */
export class CELU extends ELU {
  override forward(input: Tensor): Tensor {
    return F.celu(input, this.alpha, this.inplace);
  }
}

/** Gated linear unit: the first half of `dim` times the sigmoid of the second. */
export class GLU extends Module {
  readonly dim: number;
  constructor(...args: WithOptions<[dim: number], { dim?: number }>) {
    super();
    this.dim = checkInt(bindArgs<{ dim: number }>(args, ['dim'], 'GLU').dim ?? -1, 'dim');
  }
  forward(input: Tensor): Tensor {
    return F.glu(input, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** Gaussian error linear unit, exact (`'none'`) or with the tanh approximation (`'tanh'`). */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  constructor(...args: WithOptions<[approximate: 'none' | 'tanh'], { approximate?: 'none' | 'tanh' }>) {
    super();
    const a = bindArgs<{ approximate: string }>(args, ['approximate'], 'GELU').approximate ?? 'none';
    if (a !== 'none' && a !== 'tanh') throw rangeError("'none' or 'tanh'", 'approximate', a);
    this.approximate = a;
  }
  forward(input: Tensor): Tensor {
    return F.gelu(input, { approximate: this.approximate });
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

type LambdArgs = WithOptions<[lambd: number], { lambd?: number }>;

/** Zeroes values within [-lambd, lambd]. */
export class Hardshrink extends Module {
  readonly lambd: number;
  constructor(...args: LambdArgs) {
    super();
    this.lambd = checkNumber(bindArgs<{ lambd: number }>(args, ['lambd'], this.constructor.name).lambd ?? 0.5, 'lambd');
  }
  forward(input: Tensor): Tensor {
    return F.hardshrink(input, this.lambd);
  }
  override extraRepr(): string {
    return pyFloat(this.lambd);
  }
}

/** Zeroes values within [-lambd, lambd] and shrinks the rest towards 0 by lambd. */
export class Softshrink extends Hardshrink {
  override forward(input: Tensor): Tensor {
    return F.softshrink(input, this.lambd);
  }
}

/** `max(0, x) + negativeSlope * min(0, x)` */
export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  readonly inplace: boolean;
  constructor(
    ...args: WithOptions<[negativeSlope: number, inplace: boolean], { negativeSlope?: number; inplace?: boolean }>
  ) {
    super();
    const o = bindArgs<{ negativeSlope: number; inplace: boolean }>(args, ['negativeSlope', 'inplace'], 'LeakyReLU');
    this.negativeSlope = checkNumber(o.negativeSlope ?? 1e-2, 'negativeSlope');
    this.inplace = checkBool(o.inplace ?? false, 'inplace');
  }
  forward(input: Tensor): Tensor {
    return F.leakyRelu(input, this.negativeSlope, this.inplace);
  }
  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}${inplaceSuffix(this.inplace)}`;
  }
}

/** `log(sigmoid(x))` */
export class LogSigmoid extends Module {
  forward(input: Tensor): Tensor {
    return F.logsigmoid(input);
  }
}

/** `log(1 + exp(beta * x)) / beta`, linear above `threshold`. */
export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;
  constructor(...args: WithOptions<[beta: number, threshold: number], { beta?: number; threshold?: number }>) {
    super();
    const o = bindArgs<{ beta: number; threshold: number }>(args, ['beta', 'threshold'], 'Softplus');
    this.beta = checkNumber(o.beta ?? 1, 'beta');
    this.threshold = checkNumber(o.threshold ?? 20, 'threshold');
  }
  forward(input: Tensor): Tensor {
    return F.softplus(input, this.beta, this.threshold);
  }
  override extraRepr(): string {
    return `beta=${pyFloat(this.beta)}, threshold=${pyFloat(this.threshold)}`;
  }
}

/** Parametric ReLU: a learned negative slope, shared or one per channel (`weight`). */
export class PReLU extends Module {
  weight: Parameter;
  readonly numParameters: number;
  readonly init: number;
  constructor(
    ...args: WithOptions<
      [numParameters: number, init: number],
      FactoryOptions & { numParameters?: number; init?: number }
    >
  ) {
    super();
    const o = bindArgs<FactoryOptions & { numParameters: number; init: number }>(
      args,
      ['numParameters', 'init'],
      'PReLU',
      ['numParameters', 'init', 'device', 'dtype'],
    );
    this.numParameters = checkInt(o.numParameters ?? 1, 'numParameters', 1);
    this.init = checkNumber(o.init ?? 0.25, 'init');
    this.weight = emptyParameter([this.numParameters], o);
    this.resetParameters();
  }
  /** PyTorch's: every slope set to `init`. */
  resetParameters(): void {
    init.constant_(this.weight, this.init);
  }
  forward(input: Tensor): Tensor {
    return F.prelu(input, this.weight);
  }
  override extraRepr(): string {
    return `num_parameters=${this.numParameters}`;
  }
}

/** `x / (1 + |x|)` */
export class Softsign extends Module {
  forward(input: Tensor): Tensor {
    return F.softsign(input);
  }
}

/** `x - tanh(x)` */
export class Tanhshrink extends Module {
  forward(input: Tensor): Tensor {
    return F.tanhshrink(input);
  }
}

/** PyTorch's `_get_softmax_dim` for a `dim` of None (the legacy implicit choice). */
function implicitDim(input: Tensor): number {
  const d = input.dim();
  return d === 0 || d === 1 || d === 3 ? 0 : 1;
}

/** `softmax(-x)` over `dim` (null: PyTorch's legacy implicit dimension). */
export class Softmin extends Module {
  readonly dim: number | null;
  constructor(...args: WithOptions<[dim: number | null], { dim?: number | null }>) {
    super();
    const d = bindArgs<{ dim: number | null }>(args, ['dim'], 'Softmin').dim ?? null;
    this.dim = d === null ? null : checkInt(d, 'dim');
  }
  forward(input: Tensor): Tensor {
    return F.softmin(input, this.dim ?? implicitDim(input));
  }
  override extraRepr(): string {
    return `dim=${this.dim === null ? 'None' : this.dim}`;
  }
}

/** Softmax over the channels of (N, C, H, W) or (C, H, W) inputs. */
export class Softmax2d extends Module {
  forward(input: Tensor): Tensor {
    const d = input.dim();
    if (d !== 3 && d !== 4) throw rangeError('a 3D or 4D input', 'input', `a ${d}D tensor`);
    return F.softmax(input, -3);
  }
}
