/** `torch.amp.GradScaler`: loss scaling for float16 training. */
import { N } from '../../native';
import type { Optimizer } from '../../optim/optimizer';
import { full } from '../creation';
import {
  checkBool,
  checkInt,
  checkNumber,
  checkOptions,
  optionKeys,
  rangeError,
  TorchError,
  typeError,
} from '../errors';
import { keep, tidy } from '../memory';
import { Tensor } from '../tensor';

export interface GradScalerOptions {
  /** Starting scale (default 2^16). */
  initScale?: number;
  /** Factor the scale grows by after `growthInterval` steps without inf/NaN (default 2). */
  growthFactor?: number;
  /** Factor the scale shrinks by after a step with inf/NaN gradients (default 0.5). */
  backoffFactor?: number;
  growthInterval?: number;
  /** `false` makes every method a pass-through (default true). */
  enabled?: boolean;
}
const GRAD_SCALER_KEYS = optionKeys<GradScalerOptions>({
  initScale: 1,
  growthFactor: 1,
  backoffFactor: 1,
  growthInterval: 1,
  enabled: 1,
});

/** `stateDict()`'s shape (PyTorch's keys), empty when the scaler is disabled. */
export interface GradScalerState {
  scale?: number;
  growth_factor?: number;
  backoff_factor?: number;
  growth_interval?: number;
  _growth_tracker?: number;
}

type Stage = 'ready' | 'unscaled' | 'stepped';
interface PerOptimizer {
  stage: Stage;
  /** One float32 flag per device that had gradients: > 0 when one of them was inf/NaN. */
  foundInf: Map<string, Tensor>;
}

/**
 * Scales the loss so that float16 gradients do not underflow, unscales them before the
 * optimizer step, skips steps whose gradients overflowed and adapts the scale, as
 * `torch.amp.GradScaler` does (same kernels, same state machine, same state dict):
 *
 *     const scaler = new torch.amp.GradScaler('cuda');
 *     optimizer.zeroGrad();
 *     const loss = torch.autocast('cuda', () => criterion.forward(model.forward(x), y));
 *     scaler.scale(loss).backward();
 *     scaler.step(optimizer);
 *     scaler.update();
 */
export class GradScaler {
  readonly device: string;
  private enabled: boolean;
  private initScale: number;
  private growthFactor: number;
  private backoffFactor: number;
  private growthInterval: number;
  private initGrowthTracker = 0;
  private scaleT: Tensor | null = null;
  private trackerT: Tensor | null = null;
  private perOptimizer = new Map<Optimizer, PerOptimizer>();

  constructor(device: 'cuda' | 'cpu' | string = 'cuda', options: GradScalerOptions = {}) {
    if (typeof device !== 'string' || !/^(cpu|cuda(:\d+)?)$/.test(device))
      throw typeError("'cuda' or 'cpu'", 'device', device);
    const o = checkOptions<GradScalerOptions>(options, 'GradScaler options', GRAD_SCALER_KEYS);
    this.device = device;
    this.initScale = o.initScale === undefined ? 2 ** 16 : checkNumber(o.initScale, 'initScale');
    this.growthFactor = o.growthFactor === undefined ? 2 : checkNumber(o.growthFactor, 'growthFactor');
    this.backoffFactor = o.backoffFactor === undefined ? 0.5 : checkNumber(o.backoffFactor, 'backoffFactor');
    this.growthInterval = o.growthInterval === undefined ? 2000 : checkInt(o.growthInterval, 'growthInterval', 1);
    if (!(this.initScale > 0)) throw rangeError('a number > 0', 'initScale', this.initScale);
    if (!(this.growthFactor > 1)) throw rangeError('a number > 1', 'growthFactor', this.growthFactor);
    if (!(this.backoffFactor > 0 && this.backoffFactor < 1))
      throw rangeError('a number in (0, 1)', 'backoffFactor', this.backoffFactor);
    this.enabled = o.enabled === undefined ? true : checkBool(o.enabled, 'enabled');
    if (this.enabled && device.startsWith('cuda') && !N.cudaIsAvailable()) {
      console.warn('torchts: GradScaler is enabled, but CUDA is not available; disabling it');
      this.enabled = false;
    }
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  private state(optimizer: Optimizer): PerOptimizer {
    let s = this.perOptimizer.get(optimizer);
    if (!s) {
      s = { stage: 'ready', foundInf: new Map() };
      this.perOptimizer.set(optimizer, s);
    }
    return s;
  }

  private scaleTensors(what: string): [Tensor, Tensor] {
    if (!this.scaleT || !this.trackerT) {
      throw new TorchError(`GradScaler.${what}: no scale yet; call scale(loss) (and backward) before ${what}()`);
    }
    return [this.scaleT, this.trackerT];
  }

  /** `outputs` multiplied by the scale (a tensor, or an array of tensors). */
  scale(outputs: Tensor): Tensor;
  scale(outputs: Tensor[]): Tensor[];
  scale(outputs: Tensor | Tensor[]): Tensor | Tensor[] {
    if (!this.enabled) return outputs;
    if (Array.isArray(outputs)) return outputs.map((t) => this.scale(t));
    if (!(outputs instanceof Tensor)) throw typeError('a Tensor or an array of Tensors', 'outputs', outputs);
    if (!this.scaleT) {
      this.scaleT = keep(full([], this.initScale, { dtype: 'float32', device: outputs.device }));
      this.trackerT = keep(full([], this.initGrowthTracker, { dtype: 'int32', device: outputs.device }));
    }
    const scale = this.scaleT;
    return tidy(() => outputs.mul(scale.to(outputs.device)));
  }

  /**
   * Divides the optimizer's gradients by the scale in place and records whether any was
   * inf/NaN. Call it before clipping gradients; `step` calls it when you have not.
   */
  unscale_(optimizer: Optimizer): void {
    if (!this.enabled) return;
    const [scaleT] = this.scaleTensors('unscale_');
    const s = this.state(optimizer);
    if (s.stage === 'unscaled')
      throw new TorchError('unscale_() has already been called on this optimizer since the last update().');
    if (s.stage === 'stepped') throw new TorchError('unscale_() is being called after step().');
    tidy(() => {
      const invScale = scaleT.double().reciprocal().float();
      const byDevice = new Map<string, Map<string, number[]>>();
      for (const g of optimizer.paramGroups) {
        for (const p of g.params) {
          const grad = p.grad;
          if (grad === null) continue;
          if (grad.dtype === 'float16') throw new TorchError('Attempting to unscale FP16 gradients.');
          const perDtype = byDevice.get(grad.device) ?? new Map<string, number[]>();
          byDevice.set(grad.device, perDtype);
          const list = perDtype.get(grad.dtype) ?? [];
          perDtype.set(grad.dtype, list);
          list.push(grad.handle);
        }
      }
      for (const [device, perDtype] of byDevice) {
        const foundInf = keep(full([], 0, { dtype: 'float32', device }));
        const inv = invScale.to({ device });
        for (const handles of perDtype.values()) N.ampUnscale(handles, foundInf.handle, inv.handle);
        s.foundInf.set(device, foundInf);
      }
    });
    s.stage = 'unscaled';
  }

  /**
   * Unscales (unless done already) and runs `optimizer.step()` when no gradient was inf/NaN;
   * otherwise skips the step. Returns whether the step ran.
   */
  step(optimizer: Optimizer): boolean {
    if (!this.enabled) {
      optimizer.step();
      return true;
    }
    this.scaleTensors('step');
    const s = this.state(optimizer);
    if (s.stage === 'stepped') throw new TorchError('step() has already been called since the last update().');
    if (s.stage === 'ready') this.unscale_(optimizer);
    if (s.foundInf.size === 0)
      throw new TorchError('No inf checks were recorded for this optimizer (no parameter has a gradient).');
    let found = 0;
    for (const f of s.foundInf.values()) found += f.item() as number;
    s.stage = 'stepped';
    if (found) return false;
    optimizer.step();
    return true;
  }

  /**
   * Updates the scale after the step(s) of this iteration: times `backoffFactor` if any
   * gradient overflowed, times `growthFactor` after `growthInterval` clean steps. A number
   * given sets the scale instead.
   */
  update(newScale?: number): void {
    if (!this.enabled) return;
    const [scaleT, trackerT] = this.scaleTensors('update');
    if (newScale !== undefined) {
      scaleT.fill_(checkNumber(newScale, 'newScale'));
    } else {
      const flags = [...this.perOptimizer.values()].flatMap((s) => [...s.foundInf.values()]);
      if (flags.length === 0) throw new TorchError('No inf checks were recorded prior to update().');
      tidy(() => {
        let combined = flags[0].to(scaleT.device);
        for (const f of flags.slice(1)) combined = combined.add(f.to(scaleT.device));
        N.ampUpdateScale(
          scaleT.handle,
          trackerT.handle,
          combined.handle,
          this.growthFactor,
          this.backoffFactor,
          this.growthInterval,
        );
      });
    }
    for (const s of this.perOptimizer.values()) for (const f of s.foundInf.values()) f.dispose();
    this.perOptimizer.clear();
  }

  /** The current scale (1 when disabled). Reading it waits for the GPU. */
  getScale(): number {
    if (!this.enabled) return 1;
    return this.scaleT ? (this.scaleT.item() as number) : this.initScale;
  }
  getGrowthFactor(): number {
    return this.growthFactor;
  }
  getBackoffFactor(): number {
    return this.backoffFactor;
  }
  getGrowthInterval(): number {
    return this.growthInterval;
  }

  stateDict(): GradScalerState {
    if (!this.enabled) return {};
    return {
      scale: this.getScale(),
      growth_factor: this.growthFactor,
      backoff_factor: this.backoffFactor,
      growth_interval: this.growthInterval,
      _growth_tracker: this.trackerT ? (this.trackerT.item() as number) : this.initGrowthTracker,
    };
  }

  loadStateDict(state: GradScalerState): void {
    if (!this.enabled) return;
    const o = checkOptions<GradScalerState>(state, 'state');
    if (Object.keys(o).length === 0) {
      throw new TorchError(
        'The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler.',
      );
    }
    this.initScale = checkNumber(o.scale, 'state.scale');
    this.growthFactor = checkNumber(o.growth_factor, 'state.growth_factor');
    this.backoffFactor = checkNumber(o.backoff_factor, 'state.backoff_factor');
    this.growthInterval = checkInt(o.growth_interval, 'state.growth_interval', 1);
    this.initGrowthTracker = checkInt(o._growth_tracker, 'state._growth_tracker', 0);
    if (this.scaleT) this.scaleT.fill_(this.initScale);
    if (this.trackerT) this.trackerT.fill_(this.initGrowthTracker);
  }
}
