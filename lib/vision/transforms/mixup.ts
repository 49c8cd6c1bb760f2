/**
 * Batch-level Mixup and CutMix with one-hot targets: torchvision's RandomMixup and
 * RandomCutmix (references/classification/transforms.py), same draws from the default generator.
 */
import { oneHot } from '../../nn/functional';
import { bindArgs, type WithOptions } from '../../torch/args';
import { tensor } from '../../torch/creation';
import { checkBool, checkInt, checkNumber, rangeError, typeError } from '../../torch/errors';
import { _sampleDirichlet } from '../../torch/generated/functions';
import { tidy } from '../../torch/memory';
import { Tensor } from '../../torch/tensor';
import { randint, random } from './random';

/** Options of `RandomMixup` and `RandomCutmix`. */
export interface RandomMixOptions {
  /** Probability of mixing a batch (default 0.5). */
  p?: number;
  /** Beta(alpha, alpha) concentration of the mixing weight (default 1). */
  alpha?: number;
  /** Mix the batch and target in place (default false). */
  inplace?: boolean;
}

type MixArgs = WithOptions<[p: number, alpha: number, inplace: boolean], RandomMixOptions>;

/** The shared part: checks, one-hot targets, the p draw, the rolled pair and lambda. */
abstract class RandomMix {
  readonly numClasses: number;
  readonly p: number;
  readonly alpha: number;
  readonly inplace: boolean;
  constructor(name: string, numClasses: number, args: MixArgs) {
    const o = bindArgs<RandomMixOptions>(args, ['p', 'alpha', 'inplace'], name);
    this.numClasses = checkInt(numClasses, 'numClasses', 1);
    this.p = checkNumber(o.p ?? 0.5, 'p');
    this.alpha = checkNumber(o.alpha ?? 1.0, 'alpha');
    if (!(this.alpha > 0)) throw rangeError('a positive number', 'alpha', this.alpha);
    this.inplace = checkBool(o.inplace ?? false, 'inplace');
  }

  /** [batch, one-hot target, mix?]: a copy unless inplace; `mix` false when the p draw says no. */
  protected prepare(batch: Tensor, target: Tensor): [Tensor, Tensor, boolean] {
    if (!(batch instanceof Tensor) || batch.ndim !== 4)
      throw typeError('a float batch Tensor [B, C, H, W]', 'batch', batch instanceof Tensor ? batch.shape : batch);
    if (!(target instanceof Tensor) || target.ndim !== 1)
      throw typeError('an int64 target Tensor [B]', 'target', target instanceof Tensor ? target.shape : target);
    if (!batch.isFloatingPoint()) throw typeError('a floating-point batch Tensor', 'batch', `a ${batch.dtype} Tensor`);
    if (target.dtype !== 'int64') throw typeError('an int64 target Tensor', 'target', `a ${target.dtype} Tensor`);
    const b = this.inplace ? batch : batch.clone();
    const t = oneHot(target, this.numClasses).to(b.dtype);
    return [b, t, random() < this.p];
  }

  /** `float(torch._sample_dirichlet(torch.tensor([alpha, alpha]))[0])` */
  protected lambda(): number {
    return tidy(
      () =>
        _sampleDirichlet(tensor([this.alpha, this.alpha], { dtype: 'float32' }))
          .select(0, 0)
          .item() as number,
    );
  }

  /** Mixes the one-hot targets: `target * lambda + rolled * (1 - lambda)`, in place. */
  protected mixTargets(target: Tensor, lambda: number): void {
    tidy(() => {
      const rolled = target.roll(1, 0).mul_(1.0 - lambda);
      target.mul_(lambda).add_(rolled);
    });
  }
}

/**
 * Mixup (Zhang et al., 2017) of a float batch [B, C, H, W] with itself rolled by one, with
 * probability p; returns [batch, target] with one-hot (mixed) float targets [B, numClasses].
 */
export class RandomMixup extends RandomMix {
  constructor(numClasses: number, ...args: MixArgs) {
    super('RandomMixup', numClasses, args);
  }
  forward(batch: Tensor, target: Tensor): [Tensor, Tensor] {
    const [b, t, mix] = this.prepare(batch, target);
    if (!mix) return [b, t];
    const lambda = this.lambda();
    tidy(() => {
      const rolled = b.roll(1, 0).mul_(1.0 - lambda);
      b.mul_(lambda).add_(rolled);
    });
    this.mixTargets(t, lambda);
    return [b, t];
  }
}

/**
 * CutMix (Yun et al., 2019): with probability p pastes a random box of the batch rolled by
 * one into the batch, and mixes the one-hot targets by the pasted area.
 */
export class RandomCutmix extends RandomMix {
  constructor(numClasses: number, ...args: MixArgs) {
    super('RandomCutmix', numClasses, args);
  }
  forward(batch: Tensor, target: Tensor): [Tensor, Tensor] {
    const [b, t, mix] = this.prepare(batch, target);
    if (!mix) return [b, t];
    let lambda = this.lambda();
    const [H, W] = [b.shape[2], b.shape[3]];
    const rx = randint(0, W);
    const ry = randint(0, H);
    const r = 0.5 * Math.sqrt(1.0 - lambda);
    const rw = Math.trunc(r * W);
    const rh = Math.trunc(r * H);
    const [x1, y1] = [Math.max(rx - rw, 0), Math.max(ry - rh, 0)];
    const [x2, y2] = [Math.min(rx + rw, W), Math.min(ry + rh, H)];
    tidy(() => {
      // The rolled copy is taken before the paste, as torchvision rolls before writing.
      const rolled = b.roll(1, 0);
      b.narrow(2, y1, y2 - y1)
        .narrow(3, x1, x2 - x1)
        .copy_(rolled.narrow(2, y1, y2 - y1).narrow(3, x1, x2 - x1));
    });
    lambda = 1.0 - ((x2 - x1) * (y2 - y1)) / (W * H);
    this.mixTargets(t, lambda);
    return [b, t];
  }
}
