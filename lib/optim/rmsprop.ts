import type { WithOptions } from '../torch/args';
import { zerosLike } from '../torch/creation';
import { checkBool, checkNumber, rangeError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';
import { type Closure, type Hyper, Optimizer, optimizerDefaults, type Params } from './optimizer';

export interface RMSpropOptions {
  /** Learning rate (default 1e-2); also PyTorch's second positional argument. */
  lr?: number;
  /** Smoothing constant of the squared-gradient average (default 0.99). */
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  /** Normalize by an estimate of the gradient's variance (default false). */
  centered?: boolean;
  /** Must be false (step counts on the device are not implemented). */
  capturable?: boolean;
  /** Multi-tensor update when true, per-parameter loop when false, null: PyTorch's choice (multi-tensor on CUDA). */
  foreach?: boolean | null;
  maximize?: boolean;
  /** Must be false: torchts's updates are not recorded for autograd. */
  differentiable?: boolean;
}

/** PyTorch's positional arguments after params, in its order. */
const RMSPROP_POSITIONAL = [
  'lr',
  'alpha',
  'eps',
  'weightDecay',
  'momentum',
  'centered',
  'capturable',
  'foreach',
  'maximize',
  'differentiable',
] as const;

/**
 * RMSprop (`torch.optim.RMSprop`): `new optim.RMSprop(model.parameters(), 0.01, { momentum: 0.9 })`.
 * One native call per group per step.
 */
export class RMSprop extends Optimizer {
  constructor(
    params: Params,
    ...args: WithOptions<
      [
        lr: number,
        alpha: number,
        eps: number,
        weightDecay: number,
        momentum: number,
        centered: boolean,
        capturable: boolean,
        foreach: boolean | null,
        maximize: boolean,
        differentiable: boolean,
      ],
      RMSpropOptions
    >
  ) {
    const defaults = {
      lr: 1e-2,
      momentum: 0,
      alpha: 0.99,
      eps: 1e-8,
      centered: false,
      weightDecay: 0,
      capturable: false,
      foreach: null,
      maximize: false,
      differentiable: false,
    };
    super(params, optimizerDefaults('RMSprop', defaults, args, RMSPROP_POSITIONAL));
  }

  protected override checkGroup(g: Hyper): void {
    super.checkGroup(g);
    for (const k of ['eps', 'momentum', 'weightDecay', 'alpha'] as const) {
      if (checkNumber(g[k], k) < 0) throw rangeError(`${k} >= 0`, k, g[k]);
    }
    checkBool(g.centered, 'centered');
  }

  step(closure?: Closure): Tensor | number | undefined {
    const loss = this.evaluate(closure);
    this.updateGroups('rmsprop', {
      init: (p, g) => ({
        step: this.scalarState(p, 0),
        square_avg: zerosLike(p),
        ...((g.momentum as number) > 0 ? { momentum_buffer: zerosLike(p) } : {}),
        ...(g.centered ? { grad_avg: zerosLike(p) } : {}),
      }),
      keys: (g) => [
        'step',
        'square_avg',
        (g.momentum as number) > 0 ? 'momentum_buffer' : 'momentum_buffer?',
        g.centered ? 'grad_avg' : 'grad_avg?',
      ],
      hyper: (g) => ({
        lr: g.lr,
        alpha: g.alpha as number,
        eps: g.eps as number,
        weightDecay: g.weightDecay as number,
        momentum: g.momentum as number,
        centered: g.centered as boolean,
        maximize: g.maximize as boolean,
      }),
    });
    return loss;
  }
}
