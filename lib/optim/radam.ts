import type { WithOptions } from '../torch/args';
import { zerosLike } from '../torch/creation';
import { checkBool, checkNumber, rangeError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';
import { checkBetas } from './adam';
import { type Closure, type Hyper, Optimizer, optimizerDefaults, type Params } from './optimizer';

export interface RAdamOptions {
  /** Learning rate (default 1e-3); also PyTorch's second positional argument. */
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** Decay weights directly (as AdamW) instead of through the gradient (default false). */
  decoupledWeightDecay?: boolean;
  /** Multi-tensor update when true, per-parameter loop when false, null: PyTorch's choice (multi-tensor on CUDA). */
  foreach?: boolean | null;
  maximize?: boolean;
  /** Must be false (step counts on the device are not implemented). */
  capturable?: boolean;
  /** Must be false: torchts's updates are not recorded for autograd. */
  differentiable?: boolean;
}

/** PyTorch's positional arguments after params, in its order. */
const RADAM_POSITIONAL = ['lr', 'betas', 'eps', 'weightDecay', 'decoupledWeightDecay'] as const;

/**
 * RAdam (`torch.optim.RAdam`), Adam with a rectified adaptive learning rate: plain momentum
 * steps until the variance estimate is tractable. One native call per group per step.
 */
export class RAdam extends Optimizer {
  constructor(
    params: Params,
    ...args: WithOptions<
      [lr: number, betas: [number, number], eps: number, weightDecay: number, decoupledWeightDecay: boolean],
      RAdamOptions
    >
  ) {
    const defaults = {
      lr: 1e-3,
      betas: [0.9, 0.999] as [number, number],
      eps: 1e-8,
      weightDecay: 0,
      maximize: false,
      foreach: null,
      capturable: false,
      decoupledWeightDecay: false,
      differentiable: false,
    };
    super(params, optimizerDefaults('RAdam', defaults, args, RADAM_POSITIONAL));
  }

  protected override checkGroup(g: Hyper): void {
    super.checkGroup(g);
    for (const k of ['eps', 'weightDecay'] as const) {
      if (checkNumber(g[k], k) < 0) throw rangeError(`${k} >= 0`, k, g[k]);
    }
    checkBetas(g.betas);
    checkBool(g.decoupledWeightDecay, 'decoupledWeightDecay');
  }

  step(closure?: Closure): Tensor | number | undefined {
    const loss = this.evaluate(closure);
    this.updateGroups('radam', {
      init: (p) => ({ step: this.scalarState(p, 0), exp_avg: zerosLike(p), exp_avg_sq: zerosLike(p) }),
      keys: () => ['step', 'exp_avg', 'exp_avg_sq'],
      hyper: (g) => {
        const [beta1, beta2] = g.betas as [number, number];
        return {
          lr: g.lr,
          beta1,
          beta2,
          eps: g.eps as number,
          weightDecay: g.weightDecay as number,
          decoupledWeightDecay: g.decoupledWeightDecay as boolean,
          maximize: g.maximize as boolean,
        };
      },
    });
    return loss;
  }
}
