import type { WithOptions } from '../torch/args';
import { checkBool, checkNumber, rangeError, TorchError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';
import { type Closure, type Hyper, Optimizer, optimizerDefaults, type Params } from './optimizer';

export interface SGDOptions {
  /** Learning rate (default 1e-3); also PyTorch's second positional argument. */
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  /** Maximize the objective instead of minimizing it. */
  maximize?: boolean;
  /**
   * The multi-tensor (`_foreach_*`) update when true; the per-parameter loop when false;
   * null (default): PyTorch's choice, multi-tensor when every parameter is on CUDA.
   */
  foreach?: boolean | null;
  /** Must be false: torchts's updates are not recorded for autograd. */
  differentiable?: boolean;
  /**
   * Update with libtorch's fused kernel (one kernel per device and dtype instead of a few
   * per parameter), as `fused=True` in PyTorch. Parameters must be floating point.
   */
  fused?: boolean | null;
}

/** PyTorch's positional arguments after params, in its order. */
const SGD_POSITIONAL = ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov'] as const;

/**
 * Stochastic gradient descent with momentum, as `torch.optim.SGD`:
 * `new optim.SGD(model.parameters(), 0.1, { momentum: 0.9 })`. Each `step()` updates every
 * parameter of a group in one native call.
 */
export class SGD extends Optimizer {
  protected override readonly scalarStateKeys: readonly string[] = [];

  constructor(
    params: Params,
    ...args: WithOptions<
      [lr: number, momentum: number, dampening: number, weightDecay: number, nesterov: boolean],
      SGDOptions
    >
  ) {
    const defaults = {
      lr: 1e-3,
      momentum: 0,
      dampening: 0,
      weightDecay: 0,
      nesterov: false,
      maximize: false,
      foreach: null,
      differentiable: false,
      fused: null,
    };
    super(params, optimizerDefaults('SGD', defaults, args, SGD_POSITIONAL));
  }

  protected override checkGroup(g: Hyper): void {
    super.checkGroup(g);
    for (const k of ['momentum', 'weightDecay'] as const) {
      if (checkNumber(g[k], k) < 0) throw rangeError(`${k} >= 0`, k, g[k]);
    }
    checkNumber(g.dampening, 'dampening');
    checkBool(g.nesterov, 'nesterov');
    if (g.nesterov && ((g.momentum as number) <= 0 || g.dampening !== 0)) {
      throw new TorchError('Nesterov momentum requires a momentum and zero dampening');
    }
  }

  step(closure?: Closure): Tensor | number | undefined {
    const loss = this.evaluate(closure);
    for (const g of this.paramGroups) {
      const params = this.withGrad(g);
      if (params.length === 0) continue;
      const mode = this.mode(g, params);
      const hyper = {
        lr: g.lr,
        momentum: g.momentum as number,
        dampening: g.dampening as number,
        weightDecay: g.weightDecay as number,
        nesterov: g.nesterov as boolean,
        maximize: g.maximize as boolean,
      };
      // Momentum buffers are made by the first update (a copy of the gradient, as PyTorch's).
      this.nativeStep('sgd', params, ['momentum_buffer?'], hyper, mode);
    }
    return loss;
  }
}
