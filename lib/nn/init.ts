/** nn.init: in-place initialisers with PyTorch's formulas (torch/nn/init.py). */
import { noGrad } from '../torch/autograd';
import { bindArgs, type WithOptions } from '../torch/args';
import { checkNumber, rangeError, TorchError } from '../torch/errors';
import { emptyLike, tensor as scalarTensor } from '../torch/creation';
import { tidy } from '../torch/memory';
import { _tensorArg as tensorArg, type Tensor } from '../torch/tensor';

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';
export type FanMode = 'fan_in' | 'fan_out';

/** The recommended gain for a nonlinearity (`torch.nn.init.calculate_gain`). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw rangeError('a known nonlinearity', 'nonlinearity', nonlinearity);
  }
}

/** [fanIn, fanOut] of a weight: dims 1 and 0 times the receptive field size. */
export function calculateFanInAndFanOut(tensor: Tensor): [number, number] {
  const s = tensorArg(tensor, 'tensor').shape;
  if (s.length < 2)
    throw new TorchError('Fan in and fan out can not be computed for tensor with fewer than 2 dimensions');
  const receptive = s.slice(2).reduce((a, b) => a * b, 1);
  return [s[1] * receptive, s[0] * receptive];
}

function fan(tensor: Tensor, mode: FanMode): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  if (mode !== 'fan_in' && mode !== 'fan_out') throw rangeError("'fan_in' or 'fan_out'", 'mode', mode);
  return mode === 'fan_in' ? fanIn : fanOut;
}

export function uniform_(tensor: Tensor, a = 0, b = 1): Tensor {
  return noGrad(() => tensorArg(tensor, 'tensor').uniform_(checkNumber(a, 'a'), checkNumber(b, 'b')));
}
export function normal_(tensor: Tensor, mean = 0, std = 1): Tensor {
  return noGrad(() => tensorArg(tensor, 'tensor').normal_(checkNumber(mean, 'mean'), checkNumber(std, 'std')));
}
export function constant_(tensor: Tensor, val: number): Tensor {
  return noGrad(() => tensorArg(tensor, 'tensor').fill_(checkNumber(val, 'val')));
}
export function zeros_(tensor: Tensor): Tensor {
  return noGrad(() => tensorArg(tensor, 'tensor').zero_());
}
export function ones_(tensor: Tensor): Tensor {
  return constant_(tensor, 1);
}

export function xavierUniform_(tensor: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  const a = Math.sqrt(3) * checkNumber(gain, 'gain') * Math.sqrt(2 / (fanIn + fanOut));
  return uniform_(tensor, -a, a);
}
export function xavierNormal_(tensor: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  return normal_(tensor, 0, checkNumber(gain, 'gain') * Math.sqrt(2 / (fanIn + fanOut)));
}

export interface KaimingOptions {
  /** Negative slope of the rectifier after this layer (leaky_relu). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

const KAIMING = ['a', 'mode', 'nonlinearity'] as const;
type KaimingArgs = WithOptions<[a: number, mode: FanMode, nonlinearity: Nonlinearity], KaimingOptions>;

/** He initialisation from U(-bound, bound): `kaimingUniform_(w, { a: Math.sqrt(5) })`, or a, mode, nonlinearity positional. */
export function kaimingUniform_(tensor: Tensor, ...args: KaimingArgs): Tensor {
  const o = bindArgs<KaimingOptions>(args, KAIMING, 'kaimingUniform_');
  const std = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan(tensor, o.mode ?? 'fan_in'));
  const bound = Math.sqrt(3) * std;
  return uniform_(tensor, -bound, bound);
}
/** He initialisation from N(0, std²): `kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu' })`, or positional. */
export function kaimingNormal_(tensor: Tensor, ...args: KaimingArgs): Tensor {
  const o = bindArgs<KaimingOptions>(args, KAIMING, 'kaimingNormal_');
  const std = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan(tensor, o.mode ?? 'fan_in'));
  return normal_(tensor, 0, std);
}

export interface TruncNormalOptions {
  mean?: number;
  std?: number;
  /** Lower cut-off (default -2). */
  a?: number;
  /** Upper cut-off (default 2). */
  b?: number;
}

/** The standard normal CDF at `x`, with libtorch's erf in float64 (as Python's math.erf). */
function normCdf(x: number): number {
  return tidy(
    () =>
      (1 +
        (scalarTensor(x / Math.SQRT2, { dtype: 'float64' })
          .erf()
          .item() as number)) /
      2,
  );
}

/** `x` rounded to `tensor`'s dtype, as PyTorch's `tensor.new_tensor(x).item()`. */
function asDtype(x: number, tensor: Tensor): number {
  return tidy(() => scalarTensor(x, { dtype: tensor.dtype }).item() as number);
}

/**
 * Fills `tensor` from the normal distribution N(mean, std²) truncated to [a, b]
 * (`torch.nn.init.trunc_normal_`), by PyTorch 2.13's method, so that with the same seed it
 * draws the same values: when [a, b] holds more than 30% of the mass, normal draws with the
 * ones outside [a, b] redrawn until none is; otherwise uniform proposals on [a, b] accepted
 * with probability pdf / peak pdf. (PyTorch before 2.9 mapped uniforms through erfinv: the
 * same distribution, other values.)
 */
export function truncNormal_(
  tensor: Tensor,
  ...args: WithOptions<[mean: number, std: number, a: number, b: number], TruncNormalOptions>
): Tensor {
  const o = bindArgs<TruncNormalOptions>(args, ['mean', 'std', 'a', 'b'], 'truncNormal_');
  const mean = checkNumber(o.mean ?? 0, 'mean');
  const std = checkNumber(o.std ?? 1, 'std');
  const a = checkNumber(o.a ?? -2, 'a');
  const b = checkNumber(o.b ?? 2, 'b');
  if (!(std > 0)) throw rangeError('a positive number', 'std', std);
  if (!(a < b)) throw rangeError(`a number above a (${a})`, 'b', b);
  tensorArg(tensor, 'tensor');
  const p = normCdf((b - mean) / std) - normCdf((a - mean) / std);
  noGrad(() =>
    tidy(() => {
      if (p > 0.3) {
        const [lo, hi] = [asDtype(a, tensor), asDtype(b, tensor)];
        let result: Tensor = tensor.normal_(mean, std);
        for (;;) {
          const mask = result.lt(lo).logicalOr(result.gt(hi));
          if (!(mask.any().item() as boolean)) break;
          result = emptyLike(result).normal_(mean, std).where(mask, result);
        }
        if (result !== tensor) tensor.copy_(result);
        return;
      }
      const mode = Math.max(a, Math.min(mean, b));
      const logPeak = -0.5 * ((mode - mean) / std) ** 2;
      const candidates = emptyLike(tensor);
      const acceptBuf = emptyLike(tensor);
      // log_pdf - log_peak of the candidates, in place.
      const logPdf = (c: Tensor): Tensor => c.sub_(mean).div_(std).pow_(2).mul_(-0.5).sub_(logPeak);
      tensor.uniform_(a, b);
      candidates.copy_(tensor);
      let pending = acceptBuf.uniform_().log_().gt(logPdf(candidates));
      if (!(pending.any().item() as boolean)) return;
      let result: Tensor = tensor;
      for (;;) {
        candidates.uniform_(a, b);
        result = candidates.where(pending, result);
        logPdf(candidates);
        pending = acceptBuf.uniform_().log_().gt(candidates).where(pending, pending);
        if (!(pending.any().item() as boolean)) break;
      }
      tensor.copy_(result);
    }),
  );
  return tensor;
}
