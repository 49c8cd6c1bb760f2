import { N } from '../native';
import { full, zerosLike } from '../torch/creation';
import { Tensor } from '../torch/tensor';
import { checkBool, checkNumber, rangeError, TorchError } from '../torch/errors';
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
    const d = {
      lr: 1e-3,
      betas: [0.9, 0.999] as [number, number],
      eps: 1e-8,
      weightDecay: defaultWeightDecay,
      amsgrad: false,
      maximize: false,
      fused: false,
      ...options,
    };
    super(params, d);
  }

  protected override checkGroup(g: Hyper): void {
    super.checkGroup(g);
    if (checkNumber(g.eps, 'eps') < 0) throw rangeError('eps >= 0', 'eps', g.eps);
    if (checkNumber(g.weightDecay, 'weightDecay') < 0)
      throw rangeError('weightDecay >= 0', 'weightDecay', g.weightDecay);
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
      const fused = g.fused === true;
      if (!fused && cudaAvailable() && N.cudaIsCapturing()) {
        throw new TorchError(
          'Adam keeps its step count on the host unless fused: a captured CUDA graph would replay one step count forever; use { fused: true }',
        );
      }
      const params = g.params.filter((p) => N.hasGrad(p.handle));
      for (const p of params) {
        if (!this.state.has(p)) {
          this.setState(p, 'step', 0);
          this.setState(p, 'exp_avg', zerosLike(p));
          this.setState(p, 'exp_avg_sq', zerosLike(p));
          if (g.amsgrad) this.setState(p, 'max_exp_avg_sq', zerosLike(p));
        }
        const s = this.stateOf(p);
        // Fused steps keep the count in a float32 tensor on the parameter's device (PyTorch's
        // layout), advanced by the kernel call; the others count in JS.
        if (fused) {
          if (!(s.step instanceof Tensor) || s.step.dtype !== 'float32' || s.step.device !== p.device) {
            const n = stepCount(s.step);
            this.setState(p, 'step', full([], n, { dtype: 'float32', device: p.device }));
          }
        } else {
          s.step = stepCount(s.step) + 1;
        }
      }
      const [beta1, beta2] = g.betas as [number, number];
      N.adamStep(
        params.map((p) => p.handle),
        params.map((p) => this.stateHandle(p, 'exp_avg')),
        params.map((p) => this.stateHandle(p, 'exp_avg_sq')),
        params.map((p) => this.stateHandle(p, 'max_exp_avg_sq')),
        params.map((p) => (fused ? this.stateHandle(p, 'step') : (this.stateOf(p).step as number))),
        g.lr,
        beta1,
        beta2,
        g.eps,
        g.weightDecay,
        g.amsgrad,
        g.maximize,
        this.decoupled,
        fused,
      );
    }
  }
}

/** Whether CUDA can be used: fixed for the process, so asked once (not on every step). */
let cuda: boolean | undefined;
function cudaAvailable(): boolean {
  cuda ??= N.cudaIsAvailable() as boolean;
  return cuda;
}

/** A step count held as a number or (fused, or loaded from PyTorch) as a 0-dim tensor; the tensor is freed. */
function stepCount(step: Tensor | number | undefined): number {
  if (step instanceof Tensor) {
    const n = step.item() as number;
    step.dispose();
    return n;
  }
  return step ?? 0;
}

/** AdamW (`torch.optim.AdamW`): Adam with decoupled weight decay, default 0.01. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;
  constructor(params: Params, options: AdamOptions = {}) {
    super(params, options, 0.01);
  }
}
