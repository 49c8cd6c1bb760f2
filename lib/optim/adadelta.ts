import type { WithOptions } from '../torch/args';
import { zerosLike } from '../torch/creation';
import { checkNumber, rangeError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';
import { type Closure, type Hyper, Optimizer, optimizerDefaults, type Params } from './optimizer';

export interface AdadeltaOptions {
  /** Coefficient that scales the delta before it is applied (default 1.0); also PyTorch's second positional argument. */
  lr?: number;
  /** Coefficient of the running averages, in [0, 1] (default 0.9). */
  rho?: number;
  eps?: number;
  weightDecay?: number;
  /** Multi-tensor update when true, per-parameter loop when false, null: PyTorch's choice (multi-tensor on CUDA). */
  foreach?: boolean | null;
  /** Must be false (step counts on the device are not implemented). */
  capturable?: boolean;
  maximize?: boolean;
  /** Must be false: torchts's updates are not recorded for autograd. */
  differentiable?: boolean;
}

/** PyTorch's positional arguments after params, in its order. */
const ADADELTA_POSITIONAL = ['lr', 'rho', 'eps', 'weightDecay', 'foreach'] as const;

/**
 * Adadelta (`torch.optim.Adadelta`): `new optim.Adadelta(model.parameters(), 1.0)`, as
 * pytorch/examples mnist uses it. One native call per group per step.
 */
export class Adadelta extends Optimizer {
  constructor(
    params: Params,
    ...args: WithOptions<
      [lr: number, rho: number, eps: number, weightDecay: number, foreach: boolean | null],
      AdadeltaOptions
    >
  ) {
    const defaults = {
      lr: 1.0,
      rho: 0.9,
      eps: 1e-6,
      weightDecay: 0,
      maximize: false,
      capturable: false,
      foreach: null,
      differentiable: false,
    };
    super(params, optimizerDefaults('Adadelta', defaults, args, ADADELTA_POSITIONAL));
  }

  protected override checkGroup(g: Hyper): void {
    super.checkGroup(g);
    if (checkNumber(g.rho, 'rho') < 0 || (g.rho as number) > 1) throw rangeError('a number in [0, 1]', 'rho', g.rho);
    for (const k of ['eps', 'weightDecay'] as const) {
      if (checkNumber(g[k], k) < 0) throw rangeError(`${k} >= 0`, k, g[k]);
    }
  }

  step(closure?: Closure): Tensor | number | undefined {
    const loss = this.evaluate(closure);
    this.updateGroups('adadelta', {
      init: (p) => ({ step: this.scalarState(p, 0), square_avg: zerosLike(p), acc_delta: zerosLike(p) }),
      keys: () => ['step', 'square_avg', 'acc_delta'],
      hyper: (g) => ({
        lr: g.lr,
        rho: g.rho as number,
        eps: g.eps as number,
        weightDecay: g.weightDecay as number,
        maximize: g.maximize as boolean,
      }),
    });
    return loss;
  }
}
