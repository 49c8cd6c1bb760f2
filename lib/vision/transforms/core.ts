/** The Transform interface and the basic transforms: Compose, ToTensor, Normalize. */
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, rangeError, typeError } from '../../torch/errors';
import { tensor } from '../../torch/creation';
import { keep, tidy } from '../../torch/memory';
import type { DType } from '../../torch/dtype';
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

/** Options of `Normalize`. */
export interface NormalizeOptions {
  /** Normalise the input tensor itself and return it (torchvision's `inplace`). */
  inplace?: boolean;
}

/**
 * Per-channel `(x - mean) / std` over dimension -3 (channels) of a float image or batch, as
 * torchvision's Normalize computes it: `mean` and `std` in the image's dtype, on its device.
 * With `inplace` the input itself is normalised and returned; otherwise a copy is:
 * `new transforms.Normalize([0.1307], [0.3081])`, `inplace` positional or named.
 */
export class Normalize implements Transform {
  readonly mean: number[];
  readonly std: number[];
  readonly inplace: boolean;
  /** mean and std as [C, 1, 1] CPU tensors per image dtype, made (and checked) on first use. */
  private readonly byDtype = new Map<DType, [Tensor, Tensor]>();
  constructor(mean: number[], std: number[], ...args: WithOptions<[inplace: boolean], NormalizeOptions>) {
    const o = bindArgs<NormalizeOptions>(args, ['inplace'], 'Normalize');
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
    this.inplace = checkBool(o.inplace ?? false, 'inplace');
  }

  private stats(dtype: DType): [Tensor, Tensor] {
    let ms = this.byDtype.get(dtype);
    if (!ms) {
      const m = keep(tensor(this.mean, { dtype: 'float64' }).to(dtype).view(-1, 1, 1));
      const s = keep(tensor(this.std, { dtype: 'float64' }).to(dtype).view(-1, 1, 1));
      if (s.eq(0).any().item()) {
        m.dispose();
        s.dispose();
        throw rangeError(`std values that are not 0 in ${dtype}`, 'std', this.std);
      }
      ms = [m, s];
      this.byDtype.set(dtype, ms);
    }
    return ms;
  }

  forward(input: Tensor): Tensor {
    if (!(input instanceof Tensor)) throw typeError('an image Tensor', 'input', input);
    if (!input.isFloatingPoint()) {
      throw new TypeError(
        `Expected a floating-point image Tensor (ToTensor makes one) for input but received a ${input.dtype} Tensor`,
      );
    }
    if (input.dim() < 3) {
      throw new RangeError(
        `Expected an image Tensor of shape [..., C, H, W] for input but received shape [${input.shape.join(', ')}]`,
      );
    }
    return tidy(() => {
      const [m, s] = this.stats(input.dtype);
      const out = this.inplace ? input : input.clone();
      return out.sub_(m.to(input.device)).div_(s.to(input.device));
    });
  }
}
