/** Options shared by layers that create parameters (PyTorch's factory kwargs). */
import type { Device } from '../../torch/device';
import type { DType } from '../../torch/dtype';
import { empty } from '../../torch/creation';
import { Parameter } from '../parameter';
import type { Tensor } from '../../torch/tensor';

export interface FactoryOptions {
  device?: Device | string;
  dtype?: DType;
}

/** An uninitialised parameter of `shape` (the layer's reset then fills it). */
export function emptyParameter(shape: number[], o: FactoryOptions): Parameter {
  const t: Tensor = empty(shape, { device: o.device, dtype: o.dtype });
  const p = new Parameter(t);
  t.dispose();
  return p;
}
