import { N } from '../native';
import { _wrap as wrap } from '../torch/tensor';
import { checkBool, checkNumber, TorchError } from '../torch/errors';
import type { Parameter } from '../nn/parameter';
import { checkFusable, type Hyper, Optimizer, type Params } from './optimizer';

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
  /**
   * Update with libtorch's fused kernel (one kernel per device and dtype instead of a few
   * per parameter), as `fused=True` in PyTorch. Parameters must be floating point.
   */
  fused?: boolean;
}

/**
 * Stochastic gradient descent with momentum, as `torch.optim.SGD`. Each `step()` updates
 * every parameter of every group in one native call.
 */
export class SGD extends Optimizer {
  constructor(params: Params, options: SGDOptions = {}) {
    const d = {
      lr: 1e-3,
      momentum: 0,
      dampening: 0,
      weightDecay: 0,
      nesterov: false,
      maximize: false,
      fused: false,
      ...options,
    };
    super(params, d);
  }

  protected override checkGroup(g: Hyper): void {
    super.checkGroup(g);
    for (const k of ['momentum', 'dampening', 'weightDecay'] as const) {
      if (checkNumber(g[k], k) < 0) throw new RangeError(`Expected ${k} >= 0 for ${k} but received ${g[k] as number}`);
    }
    checkBool(g.nesterov, 'nesterov');
    checkBool(g.maximize, 'maximize');
    if (checkBool(g.fused, 'fused') && Array.isArray(g.params)) checkFusable(g.params as Parameter[]);
    if (g.nesterov && ((g.momentum as number) <= 0 || g.dampening !== 0)) {
      throw new TorchError('Nesterov momentum requires a momentum and zero dampening');
    }
  }

  step(): void {
    for (const g of this.paramGroups) {
      const params = g.params;
      const bufs = params.map((p) => this.stateHandle(p, 'momentum_buffer'));
      const out = N.sgdStep(
        params.map((p) => p.handle),
        bufs,
        g.lr,
        g.momentum,
        g.dampening,
        g.weightDecay,
        g.nesterov,
        g.maximize,
        g.fused === true,
      ) as number[];
      // New momentum buffers (first step of a parameter) come back as new handles.
      for (let i = 0; i < params.length; i++) {
        if (out[i] !== bufs[i]) this.setState(params[i], 'momentum_buffer', wrap(out[i]));
      }
    }
  }
}
