/** nn.init: in-place initialisers with PyTorch's formulas (torch/nn/init.py). */
import { noGrad } from '../torch/autograd';
import { checkNumber, checkOptions, rangeError, TorchError } from '../torch/errors';
import { _tensorArg as tensorArg, type Tensor } from '../torch/tensor';

export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
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
  if (s.length < 2) throw new TorchError('Fan in and fan out can not be computed for tensor with fewer than 2 dimensions');
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

export function kaimingUniform_(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  const o = checkOptions<KaimingOptions>(options);
  const std = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan(tensor, o.mode ?? 'fan_in'));
  const bound = Math.sqrt(3) * std;
  return uniform_(tensor, -bound, bound);
}
export function kaimingNormal_(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  const o = checkOptions<KaimingOptions>(options);
  const std = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan(tensor, o.mode ?? 'fan_in'));
  return normal_(tensor, 0, std);
}
