/** The Transform interface and the basic transforms: Compose, ToTensor, Normalize. */
import { checkOptions, typeError } from '../../torch/errors';
import { tensor } from '../../torch/creation';
import { keep, tidy } from '../../torch/memory';
import { Tensor } from '../../torch/tensor';

export interface Transform<I = Tensor, O = Tensor> {
  forward(input: I): O;
}

/** Applies transforms in order. */
export class Compose implements Transform {
  readonly transforms: Transform<unknown, unknown>[];
  constructor(transforms: Transform<never, unknown>[]) {
    if (!Array.isArray(transforms) || transforms.some((t) => !t || typeof t.forward !== 'function')) {
      throw typeError('an array of transforms (objects with forward())', 'transforms', transforms);
    }
    this.transforms = transforms as Transform<unknown, unknown>[];
  }
  forward(input: Tensor): Tensor {
    return tidy(() => this.transforms.reduce<unknown>((x, t) => t.forward(x), input) as Tensor);
  }
}

/** uint8 image(s) in [0, 255] to float32 in [0, 1] (PyTorch's ToTensor on a decoded image). */
export class ToTensor implements Transform {
  forward(input: Tensor): Tensor {
    if (!(input instanceof Tensor)) throw typeError('an image Tensor', 'input', input);
    return tidy(() => (input.dtype === 'uint8' ? input.to('float32').div(255) : input.to('float32')));
  }
}

/** Per-channel `(x - mean) / std` over dimension -3 (channels). */
export class Normalize implements Transform {
  readonly mean: number[];
  readonly std: number[];
  private readonly m: Tensor;
  private readonly s: Tensor;
  constructor(mean: number[], std: number[], options: { inplace?: boolean } = {}) {
    checkOptions(options);
    if (!Array.isArray(mean) || mean.some((v) => typeof v !== 'number'))
      throw typeError('an array of numbers', 'mean', mean);
    if (!Array.isArray(std) || std.some((v) => typeof v !== 'number' || v === 0))
      throw typeError('an array of non-zero numbers', 'std', std);
    if (mean.length !== std.length)
      throw new RangeError(
        `Expected as many std values as mean values for std but received ${std.length} and ${mean.length}`,
      );
    this.mean = mean;
    this.std = std;
    this.m = tensor(mean, { dtype: 'float32' }).view(-1, 1, 1);
    this.s = tensor(std, { dtype: 'float32' }).view(-1, 1, 1);
    keep(this.m);
    keep(this.s);
  }
  forward(input: Tensor): Tensor {
    if (!(input instanceof Tensor)) throw typeError('an image Tensor', 'input', input);
    return tidy(() => input.sub(this.m).div(this.s));
  }
}
