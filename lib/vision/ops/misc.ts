/**
 * torchvision/ops/misc.py's building blocks: Conv2dNormActivation, SqueezeExcitation, MLP and
 * Permute, with torchvision's arguments (positional in its order, then options) and layer
 * names, so the models built from them have torchvision's state-dict keys.
 */
import * as nn from '../../nn/index';
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, checkInt, checkIntList, typeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';

/** Builds a normalisation layer for `channels` (torchvision's `norm_layer`). */
export type NormLayerFactory = (channels: number) => nn.Module;
/** Builds an activation; `options` holds `inplace` when the caller sets it (torchvision's `**params`). */
export type ActivationFactory = (options: { inplace?: boolean }) => nn.Module;

/** nn.ReLU as an {@link ActivationFactory} (torchvision's default activation). */
export const relu: ActivationFactory = (o) => new nn.ReLU(o);
const batchNorm2d: NormLayerFactory = (c) => new nn.BatchNorm2d(c);

function activationParams(inplace: boolean | null): { inplace?: boolean } {
  return inplace === null ? {} : { inplace: checkBool(inplace, 'inplace') };
}

export interface Conv2dNormActivationOptions {
  kernelSize?: number | [number, number];
  stride?: number | [number, number];
  padding?: number | [number, number] | 'same' | 'valid' | null;
  groups?: number;
  normLayer?: NormLayerFactory | null;
  activationLayer?: ActivationFactory | null;
  dilation?: number | [number, number];
  inplace?: boolean | null;
  bias?: boolean | null;
}

const CNA_POSITIONAL = [
  'kernelSize',
  'stride',
  'padding',
  'groups',
  'normLayer',
  'activationLayer',
  'dilation',
  'inplace',
  'bias',
] as const;

/**
 * Conv2d, then a norm layer (BatchNorm2d by default), then an activation (ReLU by default),
 * as a Sequential ('0', '1', '2'). Padding defaults to (kernel - 1) / 2 * dilation; the
 * convolution has a bias only without a norm layer, unless `bias` says otherwise.
 */
export class Conv2dNormActivation extends nn.Sequential {
  readonly outChannels: number;
  constructor(
    inChannels: number,
    outChannels: number,
    ...args: WithOptions<
      [
        kernelSize: number | [number, number],
        stride: number | [number, number],
        padding: number | [number, number] | 'same' | 'valid' | null,
        groups: number,
        normLayer: NormLayerFactory | null,
        activationLayer: ActivationFactory | null,
        dilation: number | [number, number],
        inplace: boolean | null,
        bias: boolean | null,
      ],
      Conv2dNormActivationOptions
    >
  ) {
    super();
    const o = bindArgs<Conv2dNormActivationOptions>(args, CNA_POSITIONAL, 'Conv2dNormActivation');
    const kernelSize = o.kernelSize ?? 3;
    const dilation = o.dilation ?? 1;
    let padding = o.padding ?? null;
    if (padding === null) {
      const k = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : checkIntList(kernelSize, 'kernelSize');
      const d = typeof dilation === 'number' ? [dilation, dilation] : checkIntList(dilation, 'dilation');
      padding =
        typeof kernelSize === 'number' && typeof dilation === 'number'
          ? Math.floor((kernelSize - 1) / 2) * dilation
          : [Math.floor((k[0] - 1) / 2) * d[0], Math.floor((k[1] - 1) / 2) * d[1]];
    }
    const normLayer = o.normLayer === undefined ? batchNorm2d : o.normLayer;
    const activationLayer = o.activationLayer === undefined ? relu : o.activationLayer;
    const bias = o.bias === undefined || o.bias === null ? normLayer === null : checkBool(o.bias, 'bias');
    this.append(
      new nn.Conv2d(inChannels, outChannels, kernelSize, o.stride ?? 1, padding, dilation, o.groups ?? 1, bias),
    );
    if (normLayer !== null) this.append(normLayer(outChannels));
    if (activationLayer !== null)
      this.append(activationLayer(activationParams(o.inplace === undefined ? true : o.inplace)));
    this.outChannels = outChannels;
  }
}

export interface SqueezeExcitationOptions {
  activation?: () => nn.Module;
  scaleActivation?: () => nn.Module;
}

/** Squeeze-and-Excitation (Hu et al.): the input scaled by a gate computed from its channel means. */
export class SqueezeExcitation extends nn.Module {
  avgpool: nn.AdaptiveAvgPool2d;
  fc1: nn.Conv2d;
  fc2: nn.Conv2d;
  activation: nn.Module & { forward(x: Tensor): Tensor };
  scale_activation: nn.Module & { forward(x: Tensor): Tensor };
  constructor(
    inputChannels: number,
    squeezeChannels: number,
    ...args: WithOptions<[activation: () => nn.Module, scaleActivation: () => nn.Module], SqueezeExcitationOptions>
  ) {
    super();
    const o = bindArgs<SqueezeExcitationOptions>(args, ['activation', 'scaleActivation'], 'SqueezeExcitation');
    this.avgpool = new nn.AdaptiveAvgPool2d(1);
    this.fc1 = new nn.Conv2d(inputChannels, squeezeChannels, 1);
    this.fc2 = new nn.Conv2d(squeezeChannels, inputChannels, 1);
    this.activation = (o.activation ?? (() => new nn.ReLU()))() as SqueezeExcitation['activation'];
    this.scale_activation = (o.scaleActivation ?? (() => new nn.Sigmoid()))() as SqueezeExcitation['activation'];
  }
  private scale(input: Tensor): Tensor {
    let scale = this.avgpool.forward(input);
    scale = this.fc1.forward(scale);
    scale = this.activation.forward(scale);
    scale = this.fc2.forward(scale);
    return this.scale_activation.forward(scale);
  }
  forward(input: Tensor): Tensor {
    return this.scale(input).mul(input);
  }
}

export interface MLPOptions {
  normLayer?: NormLayerFactory | null;
  activationLayer?: ActivationFactory | null;
  inplace?: boolean | null;
  bias?: boolean;
  dropout?: number;
}

/**
 * Linear layers of `hiddenChannels` widths, each but the last followed by the norm layer (if
 * any), the activation (ReLU by default) and Dropout; the last by Dropout (torchvision's MLP).
 */
export class MLP extends nn.Sequential {
  constructor(
    inChannels: number,
    hiddenChannels: readonly number[],
    ...args: WithOptions<
      [
        normLayer: NormLayerFactory | null,
        activationLayer: ActivationFactory | null,
        inplace: boolean | null,
        bias: boolean,
        dropout: number,
      ],
      MLPOptions
    >
  ) {
    super();
    const o = bindArgs<MLPOptions>(args, ['normLayer', 'activationLayer', 'inplace', 'bias', 'dropout'], 'MLP');
    if (!Array.isArray(hiddenChannels) || hiddenChannels.length === 0)
      throw typeError('a non-empty list of widths', 'hiddenChannels', hiddenChannels);
    const params = activationParams(o.inplace === undefined ? true : o.inplace);
    const activation = o.activationLayer === undefined ? relu : o.activationLayer;
    const bias = checkBool(o.bias ?? true, 'bias');
    const p = o.dropout ?? 0;
    let inDim = checkInt(inChannels, 'inChannels', 1);
    for (const hidden of hiddenChannels.slice(0, -1)) {
      this.append(new nn.Linear(inDim, hidden, { bias }));
      if (o.normLayer) this.append(o.normLayer(hidden));
      if (activation === null) throw typeError('an activation factory', 'activationLayer', null);
      this.append(activation(params));
      this.append(new nn.Dropout(p, params));
      inDim = hidden;
    }
    this.append(new nn.Linear(inDim, hiddenChannels[hiddenChannels.length - 1], { bias }));
    this.append(new nn.Dropout(p, params));
  }
}

/** Permutes the input's dimensions (`torch.permute(x, dims)`). */
export class Permute extends nn.Module {
  readonly dims: number[];
  constructor(dims: readonly number[]) {
    super();
    this.dims = checkIntList(dims, 'dims');
  }
  forward(x: Tensor): Tensor {
    return x.permute(this.dims);
  }
}
