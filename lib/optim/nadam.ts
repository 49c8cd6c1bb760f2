import type { WithOptions } from '../torch/args';
import { zerosLike } from '../torch/creation';
import { checkBool, checkNumber, rangeError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';
import { checkBetas } from './adam';
import { type Closure, type Hyper, Optimizer, optimizerDefaults, type Params } from './optimizer';

export interface NAdamOptions {
  /** Learning rate (default 2e-3); also PyTorch's second positional argument. */
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** Momentum decay psi (default 4e-3). */
  momentumDecay?: number;
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
const NADAM_POSITIONAL = ['lr', 'betas', 'eps', 'weightDecay', 'momentumDecay', 'decoupledWeightDecay'] as const;

/** NAdam (`torch.optim.NAdam`), Adam with Nesterov momentum. One native call per group per step. */
export class NAdam extends Optimizer {
  protected override readonly scalarStateKeys: readonly string[] = ['step', 'mu_product'];

  constructor(
    params: Params,
    ...args: WithOptions<
      [
        lr: number,
        betas: [number, number],
        eps: number,
        weightDecay: number,
        momentumDecay: number,
        decoupledWeightDecay: boolean,
      ],
      NAdamOptions
    >
  ) {
    const defaults = {
      lr: 2e-3,
      betas: [0.9, 0.999] as [number, number],
      eps: 1e-8,
      weightDecay: 0,
      momentumDecay: 4e-3,
      decoupledWeightDecay: false,
      maximize: false,
      foreach: null,
      capturable: false,
      differentiable: false,
    };
    super(params, optimizerDefaults('NAdam', defaults, args, NADAM_POSITIONAL));
  }

  protected override checkGroup(g: Hyper): void {
    super.checkGroup(g);
    for (const k of ['eps', 'weightDecay', 'momentumDecay'] as const) {
      if (checkNumber(g[k], k) < 0) throw rangeError(`${k} >= 0`, k, g[k]);
    }
    checkBetas(g.betas);
    checkBool(g.decoupledWeightDecay, 'decoupledWeightDecay');
  }

  step(closure?: Closure): Tensor | number | undefined {
    const loss = this.evaluate(closure);
    this.updateGroups('nadam', {
      init: (p) => ({
        step: this.scalarState(p, 0),
        mu_product: this.scalarState(p, 1),
        exp_avg: zerosLike(p),
        exp_avg_sq: zerosLike(p),
      }),
      keys: () => ['step', 'mu_product', 'exp_avg', 'exp_avg_sq'],
      hyper: (g) => {
        const [beta1, beta2] = g.betas as [number, number];
        return {
          lr: g.lr,
          beta1,
          beta2,
          eps: g.eps as number,
          weightDecay: g.weightDecay as number,
          momentumDecay: g.momentumDecay as number,
          decoupledWeightDecay: g.decoupledWeightDecay as boolean,
          maximize: g.maximize as boolean,
        };
      },
    });
    return loss;
  }
}
