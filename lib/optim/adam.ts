import type { WithOptions } from '../torch/args';
import { zerosLike } from '../torch/creation';
import { checkBool, checkNumber, rangeError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';
import {
  type Closure,
  type Hyper,
  Optimizer,
  optimizerDefaults,
  type OptimizerStateDict,
  type Params,
} from './optimizer';

export interface AdamOptions {
  /** Learning rate (default 1e-3); also PyTorch's second positional argument. */
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  /** Maximize the objective instead of minimizing it. */
  maximize?: boolean;
  /**
   * The multi-tensor (`_foreach_*`) update when true; the per-parameter loop when false;
   * null (default): PyTorch's choice, multi-tensor when every parameter is on CUDA.
   */
  foreach?: boolean | null;
  /** Must be false (step counts on the device are implemented by `fused` only). */
  capturable?: boolean;
  /** Must be false: torchts's updates are not recorded for autograd. */
  differentiable?: boolean;
  /**
   * Update with libtorch's fused Adam/AdamW kernel, as `fused=True` in PyTorch; step counts
   * then live on the parameters' device (so a captured CUDA graph advances them).
   */
  fused?: boolean | null;
  /** Decay weights directly (AdamW) instead of adding `weightDecay * param` to the gradient. */
  decoupledWeightDecay?: boolean;
}

const ADAM_DEFAULTS = {
  lr: 1e-3,
  betas: [0.9, 0.999] as [number, number],
  eps: 1e-8,
  weightDecay: 0,
  amsgrad: false,
  maximize: false,
  foreach: null,
  capturable: false,
  differentiable: false,
  fused: null,
  decoupledWeightDecay: false,
};

/** PyTorch's positional arguments of Adam and AdamW after params, in its order. */
const ADAM_POSITIONAL = ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad'] as const;
type AdamArgs<O> = WithOptions<
  [lr: number, betas: [number, number], eps: number, weightDecay: number, amsgrad: boolean],
  O
>;

/** Two coefficients in [0, 1) (Adam's, Adamax's, NAdam's and RAdam's `betas`). */
export function checkBetas(b: unknown): [number, number] {
  if (!Array.isArray(b) || b.length !== 2 || b.some((x) => typeof x !== 'number' || !(x >= 0 && x < 1))) {
    throw rangeError('two numbers in [0, 1)', 'betas', b);
  }
  return b as [number, number];
}

/**
 * Adam (`torch.optim.Adam`): `new optim.Adam(model.parameters(), 1e-3, { betas: [0.9, 0.99] })`.
 * One native call per group per step; `fused: true` uses libtorch's fused kernel.
 */
export class Adam extends Optimizer {
  constructor(params: Params, ...args: AdamArgs<AdamOptions>) {
    // AdamW (and its subclasses) start from AdamW's defaults and cannot turn decoupling off.
    const w = new.target === AdamW || new.target.prototype instanceof AdamW;
    const defaults = w ? { ...ADAM_DEFAULTS, weightDecay: 1e-2, decoupledWeightDecay: true } : { ...ADAM_DEFAULTS };
    const keys = Object.keys(ADAM_DEFAULTS).filter((k) => !w || k !== 'decoupledWeightDecay');
    super(params, optimizerDefaults(new.target.name, defaults, args, ADAM_POSITIONAL, keys));
  }

  protected override checkGroup(g: Hyper): void {
    super.checkGroup(g);
    if (checkNumber(g.eps, 'eps') < 0) throw rangeError('eps >= 0', 'eps', g.eps);
    if (checkNumber(g.weightDecay, 'weightDecay') < 0)
      throw rangeError('weightDecay >= 0', 'weightDecay', g.weightDecay);
    checkBetas(g.betas);
    checkBool(g.amsgrad, 'amsgrad');
    checkBool(g.decoupledWeightDecay, 'decoupledWeightDecay');
  }

  step(closure?: Closure): Tensor | number | undefined {
    const loss = this.evaluate(closure);
    for (const g of this.paramGroups) {
      const params = this.withGrad(g);
      if (params.length === 0) continue;
      const mode = this.mode(g, params);
      const fused = mode === 'fused';
      for (const p of params) {
        this.stateOf(p, () => ({
          step: this.scalarState(p, 0, fused),
          exp_avg: zerosLike(p),
          exp_avg_sq: zerosLike(p),
          ...(g.amsgrad ? { max_exp_avg_sq: zerosLike(p) } : {}),
        }));
        if (fused) this.fusedStep(p);
      }
      const [beta1, beta2] = g.betas as [number, number];
      const hyper = {
        lr: g.lr,
        beta1,
        beta2,
        eps: g.eps as number,
        weightDecay: g.weightDecay as number,
        amsgrad: g.amsgrad as boolean,
        maximize: g.maximize as boolean,
        decoupledWeightDecay: g.decoupledWeightDecay as boolean,
      };
      const keys = ['step', 'exp_avg', 'exp_avg_sq', g.amsgrad ? 'max_exp_avg_sq' : 'max_exp_avg_sq?'];
      this.nativeStep('adam', params, keys, hyper, mode);
    }
    return loss;
  }
}

/** AdamW (`torch.optim.AdamW`): Adam with decoupled weight decay, default 0.01. */
export class AdamW extends Adam {
  constructor(params: Params, ...args: AdamArgs<Omit<AdamOptions, 'decoupledWeightDecay'>>) {
    super(params, ...(args as AdamArgs<AdamOptions>));
  }

  /** As PyTorch's AdamW, a loaded state dict never turns the decoupled weight decay off. */
  override loadStateDict(sd: OptimizerStateDict | Record<string, unknown>): void {
    super.loadStateDict(sd);
    for (const g of this.paramGroups) g.decoupledWeightDecay = true;
  }
}
