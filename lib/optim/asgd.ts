import type { WithOptions } from '../torch/args';
import { zerosLike } from '../torch/creation';
import { checkNumber, rangeError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';
import { type Closure, type Hyper, Optimizer, optimizerDefaults, type Params } from './optimizer';

export interface ASGDOptions {
  /** Learning rate (default 1e-2); also PyTorch's second positional argument. */
  lr?: number;
  /** Decay term (default 1e-4). */
  lambd?: number;
  /** Power for the eta update (default 0.75). */
  alpha?: number;
  /** The step at which averaging starts (default 1e6). */
  t0?: number;
  weightDecay?: number;
  /** Multi-tensor update when true, per-parameter loop when false, null: PyTorch's choice (multi-tensor on CUDA). */
  foreach?: boolean | null;
  maximize?: boolean;
  /** Must be false: torchts's updates are not recorded for autograd. */
  differentiable?: boolean;
  /** Must be false (the device-side update of eta and mu is not implemented). */
  capturable?: boolean;
}

/** PyTorch's positional arguments after params, in its order. */
const ASGD_POSITIONAL = [
  'lr',
  'lambd',
  'alpha',
  't0',
  'weightDecay',
  'foreach',
  'maximize',
  'differentiable',
  'capturable',
] as const;

/**
 * Averaged stochastic gradient descent (`torch.optim.ASGD`); the running average of the
 * parameters is the state `ax`. One native call per group per step.
 */
export class ASGD extends Optimizer {
  protected override readonly scalarStateKeys: readonly string[] = ['step', 'eta', 'mu'];

  constructor(
    params: Params,
    ...args: WithOptions<
      [
        lr: number,
        lambd: number,
        alpha: number,
        t0: number,
        weightDecay: number,
        foreach: boolean | null,
        maximize: boolean,
        differentiable: boolean,
        capturable: boolean,
      ],
      ASGDOptions
    >
  ) {
    const defaults = {
      lr: 1e-2,
      lambd: 1e-4,
      alpha: 0.75,
      t0: 1e6,
      weightDecay: 0,
      foreach: null,
      maximize: false,
      differentiable: false,
      capturable: false,
    };
    super(params, optimizerDefaults('ASGD', defaults, args, ASGD_POSITIONAL));
  }

  protected override checkGroup(g: Hyper): void {
    super.checkGroup(g);
    if (checkNumber(g.weightDecay, 'weightDecay') < 0)
      throw rangeError('weightDecay >= 0', 'weightDecay', g.weightDecay);
    for (const k of ['lambd', 'alpha', 't0'] as const) checkNumber(g[k], k);
  }

  /** ASGD keeps step, eta and mu on the parameter's device (PyTorch does, capturable or not). */
  protected override scalarOnDevice(): boolean {
    return true;
  }

  step(closure?: Closure): Tensor | number | undefined {
    const loss = this.evaluate(closure);
    this.updateGroups('asgd', {
      init: (p, g) => ({
        step: this.scalarState(p, 0, true),
        eta: this.scalarState(p, g.lr, true),
        mu: this.scalarState(p, 1, true),
        ax: zerosLike(p),
      }),
      keys: () => ['step', 'eta', 'mu', 'ax'],
      hyper: (g) => ({
        lr: g.lr,
        lambd: g.lambd as number,
        alpha: g.alpha as number,
        t0: g.t0 as number,
        weightDecay: g.weightDecay as number,
        maximize: g.maximize as boolean,
      }),
    });
    return loss;
  }
}
