import type { WithOptions } from '../torch/args';
import { zerosLike } from '../torch/creation';
import { checkNumber, rangeError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';
import { checkBetas } from './adam';
import { type Closure, type Hyper, Optimizer, optimizerDefaults, type Params } from './optimizer';

export interface AdamaxOptions {
  /** Learning rate (default 2e-3); also PyTorch's second positional argument. */
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** Multi-tensor update when true, per-parameter loop when false, null: PyTorch's choice (multi-tensor on CUDA). */
  foreach?: boolean | null;
  maximize?: boolean;
  /** Must be false: torchts's updates are not recorded for autograd. */
  differentiable?: boolean;
  /** Must be false (step counts on the device are not implemented). */
  capturable?: boolean;
}

/** PyTorch's positional arguments after params, in its order. */
const ADAMAX_POSITIONAL = ['lr', 'betas', 'eps', 'weightDecay', 'foreach'] as const;

/** Adamax (`torch.optim.Adamax`), Adam with the infinity norm. One native call per group per step. */
export class Adamax extends Optimizer {
  constructor(
    params: Params,
    ...args: WithOptions<
      [lr: number, betas: [number, number], eps: number, weightDecay: number, foreach: boolean | null],
      AdamaxOptions
    >
  ) {
    const defaults = {
      lr: 2e-3,
      betas: [0.9, 0.999] as [number, number],
      eps: 1e-8,
      weightDecay: 0,
      foreach: null,
      maximize: false,
      differentiable: false,
      capturable: false,
    };
    super(params, optimizerDefaults('Adamax', defaults, args, ADAMAX_POSITIONAL));
  }

  protected override checkGroup(g: Hyper): void {
    super.checkGroup(g);
    for (const k of ['eps', 'weightDecay'] as const) {
      if (checkNumber(g[k], k) < 0) throw rangeError(`${k} >= 0`, k, g[k]);
    }
    checkBetas(g.betas);
  }

  step(closure?: Closure): Tensor | number | undefined {
    const loss = this.evaluate(closure);
    this.updateGroups('adamax', {
      init: (p) => ({ step: this.scalarState(p, 0), exp_avg: zerosLike(p), exp_inf: zerosLike(p) }),
      keys: () => ['step', 'exp_avg', 'exp_inf'],
      hyper: (g) => {
        const [beta1, beta2] = g.betas as [number, number];
        return {
          lr: g.lr,
          beta1,
          beta2,
          eps: g.eps as number,
          weightDecay: g.weightDecay as number,
          maximize: g.maximize as boolean,
        };
      },
    });
    return loss;
  }
}
