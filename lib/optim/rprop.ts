import type { WithOptions } from '../torch/args';
import { fullLike, zerosLike } from '../torch/creation';
import { rangeError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';
import { type Closure, type Hyper, Optimizer, optimizerDefaults, type Params } from './optimizer';

export interface RpropOptions {
  /** The initial step size (default 1e-2); also PyTorch's second positional argument. */
  lr?: number;
  /** [etaminus, etaplus]: the factors that shrink and grow the step sizes (default [0.5, 1.2]). */
  etas?: [number, number];
  /** [min, max] step size (default [1e-6, 50]). */
  stepSizes?: [number, number];
  /** Must be false (step counts on the device are not implemented). */
  capturable?: boolean;
  /** Multi-tensor update when true, per-parameter loop when false, null: PyTorch's choice (multi-tensor on CUDA). */
  foreach?: boolean | null;
  maximize?: boolean;
  /** Must be false: torchts's updates are not recorded for autograd. */
  differentiable?: boolean;
}

/** PyTorch's positional arguments after params, in its order. */
const RPROP_POSITIONAL = ['lr', 'etas', 'stepSizes'] as const;

/** Resilient backpropagation (`torch.optim.Rprop`). One native call per group per step. */
export class Rprop extends Optimizer {
  constructor(
    params: Params,
    ...args: WithOptions<[lr: number, etas: [number, number], stepSizes: [number, number]], RpropOptions>
  ) {
    const defaults = {
      lr: 1e-2,
      etas: [0.5, 1.2] as [number, number],
      stepSizes: [1e-6, 50] as [number, number],
      foreach: null,
      maximize: false,
      differentiable: false,
      capturable: false,
    };
    super(params, optimizerDefaults('Rprop', defaults, args, RPROP_POSITIONAL));
  }

  protected override checkGroup(g: Hyper): void {
    super.checkGroup(g);
    const e = g.etas;
    if (!Array.isArray(e) || e.length !== 2 || !(e[0] > 0 && e[0] < 1 && 1 < e[1])) {
      throw rangeError('[etaminus, etaplus] with 0 < etaminus < 1 < etaplus', 'etas', e);
    }
    const s = g.stepSizes;
    if (!Array.isArray(s) || s.length !== 2 || s.some((x) => typeof x !== 'number' || Number.isNaN(x))) {
      throw rangeError('[min, max] step sizes (two numbers)', 'stepSizes', s);
    }
  }

  step(closure?: Closure): Tensor | number | undefined {
    const loss = this.evaluate(closure);
    this.updateGroups('rprop', {
      init: (p, g) => {
        const grad = p.grad; // PyTorch fills step_size like the gradient (updated parameters have one)
        const stepSize = fullLike(grad ?? p, g.lr);
        grad?.dispose();
        return { step: this.scalarState(p, 0), prev: zerosLike(p), step_size: stepSize };
      },
      keys: () => ['step', 'prev', 'step_size'],
      hyper: (g) => {
        const [etaminus, etaplus] = g.etas as [number, number];
        const [stepSizeMin, stepSizeMax] = g.stepSizes as [number, number];
        return { etaminus, etaplus, stepSizeMin, stepSizeMax, maximize: g.maximize as boolean };
      },
    });
    return loss;
  }
}
