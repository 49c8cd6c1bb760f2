/**
 * nn.TransformerEncoderLayer and nn.TransformerEncoder, after torch/nn/modules/transformer.py:
 * the same submodules under the same names, PyTorch's positional arguments then options, the
 * layer's fused inference path (`_transformer_encoder_layer_fwd`) under PyTorch's conditions.
 */
import { bindArgs, type WithOptions } from '../../torch/args';
import { isAutocastEnabled } from '../../torch/amp/autocast';
import { isGradEnabled } from '../../torch/autograd';
import { full } from '../../torch/creation';
import { checkBool, checkInt, checkNumber, rangeError, typeError } from '../../torch/errors';
import { _transformerEncoderLayerFwd, triu } from '../../torch/generated/functions';
import { getRngState, setRngState } from '../../torch/generator';
import { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import { canonicalMask } from '../functional_attention';
import { Module } from '../module';
import { GELU } from './activation';
import { ReLU } from './activation';
import type { FactoryOptions } from './factory';
import { Dropout, Linear } from './linear';
import { ModuleList } from './container';
import { MultiheadAttention } from './multihead_attention';
import { LayerNorm } from './normalization';

/** The feed-forward activation: 'relu', 'gelu', a function, or a module. */
export type TransformerActivation =
  | 'relu'
  | 'gelu'
  | ((x: Tensor) => Tensor)
  | (Module & { forward(x: Tensor): Tensor });

export interface TransformerEncoderLayerOptions extends FactoryOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: TransformerActivation;
  layerNormEps?: number;
  batchFirst?: boolean;
  normFirst?: boolean;
  bias?: boolean;
}
const LAYER_POSITIONAL = [
  'dimFeedforward',
  'dropout',
  'activation',
  'layerNormEps',
  'batchFirst',
  'normFirst',
  'bias',
] as const;
const LAYER_KEYS = [...LAYER_POSITIONAL, 'device', 'dtype'] as const;

/** Options of the encoder layers' `forward` after `src`. */
export interface TransformerEncoderForwardOptions {
  srcMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  isCausal?: boolean;
}

const relu = (x: Tensor): Tensor => F.relu(x);
const gelu = (x: Tensor): Tensor => F.gelu(x);

/**
 * Self-attention and a feed-forward network, each residual, post-norm by default
 * (`normFirst` for pre-norm): `new nn.TransformerEncoderLayer(dModel, nhead, dimFeedforward,
 * dropout, activation, layerNormEps, batchFirst, normFirst, bias)`.
 */
export class TransformerEncoderLayer extends Module {
  self_attn: MultiheadAttention;
  linear1: Linear;
  dropout: Dropout;
  linear2: Linear;
  norm1: LayerNorm;
  norm2: LayerNorm;
  dropout1: Dropout;
  dropout2: Dropout;
  activation: TransformerActivation;
  readonly normFirst: boolean;
  /** 1 for ReLU, 2 for GELU, 0 otherwise (PyTorch's `activation_relu_or_gelu`). */
  readonly activationReluOrGelu: 0 | 1 | 2;
  /** The arguments it was built with (for {@link TransformerEncoder}'s copies). */
  readonly config: [number, number, TransformerEncoderLayerOptions];

  constructor(
    dModel: number,
    nhead: number,
    ...args: WithOptions<
      [
        dimFeedforward: number,
        dropout: number,
        activation: TransformerActivation,
        layerNormEps: number,
        batchFirst: boolean,
        normFirst: boolean,
        bias: boolean,
      ],
      TransformerEncoderLayerOptions
    >
  ) {
    super();
    const o = bindArgs<TransformerEncoderLayerOptions>(args, LAYER_POSITIONAL, 'TransformerEncoderLayer', LAYER_KEYS);
    this.config = [dModel, nhead, o];
    const factory = { device: o.device, dtype: o.dtype };
    const dropout = checkNumber(o.dropout ?? 0.1, 'dropout');
    const bias = checkBool(o.bias ?? true, 'bias');
    const ff = checkInt(o.dimFeedforward ?? 2048, 'dimFeedforward', 1);
    const eps = checkNumber(o.layerNormEps ?? 1e-5, 'layerNormEps');
    this.self_attn = new MultiheadAttention(dModel, nhead, {
      dropout,
      bias,
      batchFirst: o.batchFirst ?? false,
      ...factory,
    });
    this.linear1 = new Linear(dModel, ff, { bias, ...factory });
    this.dropout = new Dropout(dropout);
    this.linear2 = new Linear(ff, dModel, { bias, ...factory });
    this.normFirst = checkBool(o.normFirst ?? false, 'normFirst');
    this.norm1 = new LayerNorm(dModel, { eps, bias, ...factory });
    this.norm2 = new LayerNorm(dModel, { eps, bias, ...factory });
    this.dropout1 = new Dropout(dropout);
    this.dropout2 = new Dropout(dropout);
    let act = o.activation ?? 'relu';
    if (typeof act === 'string') {
      if (act !== 'relu' && act !== 'gelu') throw rangeError("'relu' or 'gelu'", 'activation', act);
      act = act === 'relu' ? relu : gelu;
    } else if (typeof act !== 'function' && !(act instanceof Module)) {
      throw typeError("'relu', 'gelu', a function or a Module", 'activation', act);
    }
    this.activationReluOrGelu = act === relu || act instanceof ReLU ? 1 : act === gelu || act instanceof GELU ? 2 : 0;
    this.activation = act;
  }

  private act(x: Tensor): Tensor {
    return this.activation instanceof Module
      ? this.activation.forward(x)
      : (this.activation as (x: Tensor) => Tensor)(x);
  }

  forward(
    src: Tensor,
    ...args: WithOptions<
      [srcMask: Tensor | null, srcKeyPaddingMask: Tensor | null, isCausal: boolean],
      TransformerEncoderForwardOptions
    >
  ): Tensor {
    const o = bindArgs<TransformerEncoderForwardOptions>(
      args,
      ['srcMask', 'srcKeyPaddingMask', 'isCausal'],
      'TransformerEncoderLayer.forward',
    );
    if (!(src instanceof Tensor)) throw typeError('a Tensor', 'src', src);
    const isCausal = checkBool(o.isCausal ?? false, 'isCausal');
    const srcKeyPaddingMask = canonicalMask(o.srcKeyPaddingMask ?? null, 'srcKeyPaddingMask', src.dtype);
    const srcMask = canonicalMask(o.srcMask ?? null, 'srcMask', src.dtype);
    const sa = this.self_attn;
    const fast =
      src.dim() === 3 &&
      !this.training &&
      sa.batchFirst &&
      sa.in_proj_weight !== null &&
      sa.in_proj_bias !== null &&
      this.activationReluOrGelu !== 0 &&
      this.norm1.eps === this.norm2.eps &&
      sa.numHeads % 2 === 0 &&
      !isAutocastEnabled() &&
      !(isGradEnabled() && this.fastPathTensors(src).some((t) => t.requiresGrad));
    if (fast) {
      const [mask, maskType] = sa.mergeMasks(srcMask, srcKeyPaddingMask, src);
      const t = this.fastPathTensors(src);
      return _transformerEncoderLayerFwd(
        src,
        sa.embedDim,
        sa.numHeads,
        t[1],
        t[2],
        t[3],
        t[4],
        this.activationReluOrGelu === 2,
        this.normFirst,
        this.norm1.eps,
        t[5],
        t[6],
        t[7],
        t[8],
        t[9],
        t[10],
        t[11],
        t[12],
        mask,
        maskType,
      );
    }
    let x = src;
    if (this.normFirst) {
      x = x.add(this.saBlock(this.norm1.forward(x), srcMask, srcKeyPaddingMask, isCausal));
      x = x.add(this.ffBlock(this.norm2.forward(x)));
    } else {
      x = this.norm1.forward(x.add(this.saBlock(x, srcMask, srcKeyPaddingMask, isCausal)));
      x = this.norm2.forward(x.add(this.ffBlock(x)));
    }
    return x;
  }

  /** The tensors of the fused path, in PyTorch's order (all present when bias is on). */
  private fastPathTensors(src: Tensor): Tensor[] {
    const sa = this.self_attn;
    return [
      src,
      sa.in_proj_weight,
      sa.in_proj_bias,
      sa.out_proj.weight,
      sa.out_proj.bias,
      this.norm1.weight,
      this.norm1.bias,
      this.norm2.weight,
      this.norm2.bias,
      this.linear1.weight,
      this.linear1.bias,
      this.linear2.weight,
      this.linear2.bias,
    ].filter((t): t is Tensor => t !== null);
  }

  private saBlock(x: Tensor, attnMask: Tensor | null, keyPaddingMask: Tensor | null, isCausal: boolean): Tensor {
    const [y] = this.self_attn.forward(x, x, x, { attnMask, keyPaddingMask, needWeights: false, isCausal });
    return this.dropout1.forward(y);
  }

  private ffBlock(x: Tensor): Tensor {
    return this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.act(this.linear1.forward(x)))));
  }
}

/** A causal mask: -inf above the diagonal, 0 elsewhere (`Transformer.generate_square_subsequent_mask`). */
export function generateSquareSubsequentMask(sz: number, options: FactoryOptions = {}): Tensor {
  return triu(full([checkInt(sz, 'sz', 0), sz], Number.NEGATIVE_INFINITY, options), 1);
}

/** PyTorch's `_detect_is_causal_mask`. */
function detectIsCausalMask(mask: Tensor | null, isCausal: boolean | null, size: number | null): boolean {
  let makeCausal = isCausal === true;
  if (isCausal === null && mask !== null) {
    const sz = size ?? mask.size(-2);
    const causal = generateSquareSubsequentMask(sz, { device: mask.device, dtype: mask.dtype });
    makeCausal =
      mask.dim() === causal.dim() &&
      mask.shape.every((s, i) => s === causal.shape[i]) &&
      (mask.eq(causal).all().item() as boolean);
  }
  return makeCausal;
}

/** A copy of `layer` with the same parameters and buffers; draws nothing from the generator (as deepcopy). */
function cloneLayer(layer: TransformerEncoderLayer): TransformerEncoderLayer {
  const state = getRngState();
  let copy: TransformerEncoderLayer;
  try {
    const [d, h, o] = layer.config;
    copy = new TransformerEncoderLayer(d, h, o);
  } finally {
    setRngState(state);
    state.dispose();
  }
  copy.loadStateDict(Object.fromEntries(Object.entries(layer.stateDict()).map(([k, t]) => [k, t.clone()])));
  copy.train(layer.training);
  return copy;
}

export interface TransformerEncoderOptions {
  norm?: (Module & { forward(x: Tensor): Tensor }) | null;
  enableNestedTensor?: boolean;
  maskCheck?: boolean;
}

/**
 * `numLayers` copies of `encoderLayer` (same initial weights, as PyTorch's deepcopy), then an
 * optional norm: `new nn.TransformerEncoder(layer, numLayers, norm)`. PyTorch's nested-tensor
 * path (eval, no grad, a key padding mask) is not taken: the layers run on the padded batch
 * (outputs at padded positions differ from PyTorch's zeros there).
 */
export class TransformerEncoder extends Module {
  layers: ModuleList;
  norm: (Module & { forward(x: Tensor): Tensor }) | null;
  readonly numLayers: number;
  readonly enableNestedTensor: boolean;
  readonly maskCheck: boolean;

  constructor(
    encoderLayer: TransformerEncoderLayer,
    numLayers: number,
    ...args: WithOptions<
      [norm: (Module & { forward(x: Tensor): Tensor }) | null, enableNestedTensor: boolean, maskCheck: boolean],
      TransformerEncoderOptions
    >
  ) {
    super();
    const o = bindArgs<TransformerEncoderOptions>(
      args,
      ['norm', 'enableNestedTensor', 'maskCheck'],
      'TransformerEncoder',
    );
    if (!(encoderLayer instanceof TransformerEncoderLayer))
      throw typeError('a TransformerEncoderLayer', 'encoderLayer', encoderLayer);
    this.numLayers = checkInt(numLayers, 'numLayers', 1);
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => cloneLayer(encoderLayer)));
    this.norm = o.norm ?? null;
    this.enableNestedTensor = checkBool(o.enableNestedTensor ?? true, 'enableNestedTensor');
    this.maskCheck = checkBool(o.maskCheck ?? true, 'maskCheck');
  }

  forward(
    src: Tensor,
    ...args: WithOptions<
      [mask: Tensor | null, srcKeyPaddingMask: Tensor | null, isCausal: boolean | null],
      { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; isCausal?: boolean | null }
    >
  ): Tensor {
    const o = bindArgs<{ mask: Tensor | null; srcKeyPaddingMask: Tensor | null; isCausal: boolean | null }>(
      args,
      ['mask', 'srcKeyPaddingMask', 'isCausal'],
      'TransformerEncoder.forward',
    );
    if (!(src instanceof Tensor)) throw typeError('a Tensor', 'src', src);
    const srcKeyPaddingMask = canonicalMask(o.srcKeyPaddingMask ?? null, 'srcKeyPaddingMask', src.dtype);
    const mask = canonicalMask(o.mask ?? null, 'mask', src.dtype);
    const first = this.layers.at(0) as TransformerEncoderLayer;
    const seqLen = src.dim() === 2 ? src.shape[0] : src.shape[first.self_attn.batchFirst ? 1 : 0];
    const isCausal = detectIsCausalMask(mask, o.isCausal ?? null, seqLen);
    let output = src;
    for (const layer of this.layers) {
      output = (layer as TransformerEncoderLayer).forward(output, { srcMask: mask, isCausal, srcKeyPaddingMask });
    }
    if (this.norm !== null) output = this.norm.forward(output);
    return output;
  }
}
