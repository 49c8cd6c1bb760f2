import type { WithOptions } from '../torch/args';
import type { Parameter } from '../nn/parameter';
import { fullLike } from '../torch/creation';
import { checkNumber, rangeError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';
import { type Closure, type HeldGroup, type Hyper, Optimizer, optimizerDefaults, type Params } from './optimizer';

export interface AdagradOptions {
  /** Learning rate (default 1e-2); also PyTorch's second positional argument. */
  lr?: number;
  /** Learning-rate decay per step (default 0). */
  lrDecay?: number;
  weightDecay?: number;
  /** The starting value of the accumulated squared gradients (default 0). */
  initialAccumulatorValue?: number;
  eps?: number;
  /** Multi-tensor update when true, per-parameter loop when false, null: PyTorch's choice (multi-tensor on CUDA). */
  foreach?: boolean | null;
  maximize?: boolean;
  /** Must be false: torchts's updates are not recorded for autograd. */
  differentiable?: boolean;
  /** Update with libtorch's fused Adagrad kernel (`fused=True`); step counts then live on the parameters' device. */
  fused?: boolean | null;
}

/** PyTorch's positional arguments after params, in its order. */
const ADAGRAD_POSITIONAL = ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps', 'foreach'] as const;

/**
 * Adagrad (`torch.optim.Adagrad`). As in PyTorch, every parameter given to the constructor
 * gets its state (`sum`, filled with `initialAccumulatorValue`, and `step`) at once, before
 * any step. One native call per group per step; `fused: true` uses libtorch's fused kernel.
 */
export class Adagrad extends Optimizer {
  constructor(
    params: Params,
    ...args: WithOptions<
      [
        lr: number,
        lrDecay: number,
        weightDecay: number,
        initialAccumulatorValue: number,
        eps: number,
        foreach: boolean | null,
      ],
      AdagradOptions
    >
  ) {
    const defaults = {
      lr: 1e-2,
      lrDecay: 0,
      eps: 1e-10,
      weightDecay: 0,
      initialAccumulatorValue: 0,
      foreach: null,
      maximize: false,
      differentiable: false,
      fused: null,
    };
    super(params, optimizerDefaults('Adagrad', defaults, args, ADAGRAD_POSITIONAL));
    for (const g of this.paramGroups) for (const p of g.params) this.stateOf(p, () => this.initState(p, g));
  }

  protected override checkGroup(g: Hyper): void {
    super.checkGroup(g);
    for (const k of ['lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps'] as const) {
      if (checkNumber(g[k], k) < 0) throw rangeError(`${k} >= 0`, k, g[k]);
    }
  }

  /** PyTorch fills `sum` from the optimizer's default `initial_accumulator_value`, not the group's. */
  private initState(p: Parameter, g: HeldGroup) {
    return {
      step: this.scalarState(p, 0, g.fused === true),
      sum: fullLike(p, this.defaults.initialAccumulatorValue as number),
    };
  }

  step(closure?: Closure): Tensor | number | undefined {
    const loss = this.evaluate(closure);
    this.updateGroups('adagrad', {
      init: (p, g) => this.initState(p, g),
      keys: () => ['step', 'sum'],
      hyper: (g) => ({
        lr: g.lr,
        lrDecay: g.lrDecay as number,
        weightDecay: g.weightDecay as number,
        eps: g.eps as number,
        maximize: g.maximize as boolean,
      }),
    });
    return loss;
  }
}
