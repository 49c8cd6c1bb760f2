import { N } from '../native';
import { zerosLike } from '../torch/creation';
import { checkBool, checkNumber, rangeError } from '../torch/errors';
import type { Parameter } from '../nn/parameter';
import { checkFusable, type Hyper, Optimizer, type Params } from './optimizer';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
  /** Update with libtorch's fused Adam/AdamW kernel, as `fused=True` in PyTorch. */
  fused?: boolean;
}

/** Adam (`torch.optim.Adam`); `decoupled` weight decay makes it AdamW. One native call per group. */
export class Adam extends Optimizer {
  protected readonly decoupled: boolean = false;

  constructor(params: Params, options: AdamOptions = {}, defaultWeightDecay = 0) {
    const d = { lr: 1e-3, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: defaultWeightDecay, amsgrad: false, maximize: false, fused: false, ...options };
    super(params, d);
  }

  protected override checkGroup(g: Hyper): void {
    super.checkGroup(g);
    if (checkNumber(g.eps, 'eps') < 0) throw rangeError('eps >= 0', 'eps', g.eps);
    if (checkNumber(g.weightDecay, 'weightDecay') < 0) throw rangeError('weightDecay >= 0', 'weightDecay', g.weightDecay);
    const b = g.betas;
    if (!Array.isArray(b) || b.length !== 2 || b.some((x) => typeof x !== 'number' || !(x >= 0 && x < 1))) {
      throw rangeError('two numbers in [0, 1)', 'betas', b);
    }
    checkBool(g.amsgrad, 'amsgrad');
    checkBool(g.maximize, 'maximize');
    if (checkBool(g.fused, 'fused') && Array.isArray(g.params)) checkFusable(g.params as Parameter[]);
  }

  step(): void {
    for (const g of this.paramGroups) {
      const params = g.params.filter((p) => N.hasGrad(p.handle));
      for (const p of params) {
        if (!this.state.has(p)) {
          this.setState(p, 'step', 0);
          this.setState(p, 'exp_avg', zerosLike(p));
          this.setState(p, 'exp_avg_sq', zerosLike(p));
          if (g.amsgrad) this.setState(p, 'max_exp_avg_sq', zerosLike(p));
        }
        const s = this.state.get(p)!;
        s.step = (s.step as number) + 1;
      }
      const [beta1, beta2] = g.betas as [number, number];
      N.adamStep(
        params.map((p) => p.handle),
        params.map((p) => this.stateHandle(p, 'exp_avg')),
        params.map((p) => this.stateHandle(p, 'exp_avg_sq')),
        params.map((p) => this.stateHandle(p, 'max_exp_avg_sq')),
        params.map((p) => this.state.get(p)!.step as number),
        g.lr,
        beta1,
        beta2,
        g.eps,
        g.weightDecay,
        g.amsgrad,
        g.maximize,
        this.decoupled,
        g.fused === true,
      );
    }
  }
}

/** AdamW (`torch.optim.AdamW`): Adam with decoupled weight decay, default 0.01. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;
  constructor(params: Params, options: AdamOptions = {}) {
    super(params, options, 0.01);
  }
}
