/**
 * Swin Transformer v1 and v2 (hierarchical vision transformers with shifted windows),
 * mirroring torchvision/models/swin_transformer.py: the same classes, arguments,
 * initialisation and attribute names, so `stateDict()` keys are torchvision's.
 */
import * as nn from '../../nn/index';
import { bindArgs, type WithOptions } from '../../torch/args';
import { arange, ones, tensor, zeros } from '../../torch/creation';
import { checkInt, checkNumber, checkOptions, rangeError } from '../../torch/errors';
import { cat, stack } from '../../torch/functions';
import { meshgrid } from '../../torch/generated/functions';
import type { Tensor } from '../../torch/tensor';
import { MLP, type NormLayerFactory, Permute } from '../ops/misc';
import { StochasticDepth } from '../ops/stochastic_depth';

const F = nn.functional;
type Layer = nn.Module & { forward(x: Tensor): Tensor };

/** Pads H and W to even sizes and stacks the four 2x2 neighbours on the channels: [..., H/2, W/2, 4C]. */
export function patchMergingPad(x: Tensor): Tensor {
  const [H, W] = x.shape.slice(-3, -1);
  x = F.pad(x, [0, 0, 0, W % 2, 0, H % 2]);
  const x0 = x.index('...', '0::2', '0::2', ':');
  const x1 = x.index('...', '1::2', '0::2', ':');
  const x2 = x.index('...', '0::2', '1::2', ':');
  const x3 = x.index('...', '1::2', '1::2', ':');
  return cat([x0, x1, x2, x3], -1);
}

/** The bias table gathered into [1, heads, N, N] for a window of N = Wh * Ww positions. */
export function getRelativePositionBias(table: Tensor, index: Tensor, windowSize: readonly number[]): Tensor {
  const N = windowSize[0] * windowSize[1];
  let bias = table.index(index);
  bias = bias.view(N, N, -1);
  return bias.permute(2, 0, 1).contiguous().unsqueeze(0);
}

/** Builds a patch-merging layer for `dim` channels (torchvision's `downsample_layer`). */
export type DownsampleFactory = (dim: number, normLayer: NormLayerFactory) => nn.Module;

/** Patch merging: 2x2 neighbours concatenated, normalised, projected from 4C to 2C channels. */
export class PatchMerging extends nn.Module {
  reduction: nn.Linear;
  norm: Layer;
  constructor(
    readonly dim: number,
    normLayer: NormLayerFactory = (d) => new nn.LayerNorm(d),
  ) {
    super();
    this.reduction = new nn.Linear(4 * dim, 2 * dim, { bias: false });
    this.norm = normLayer(4 * dim) as Layer;
  }
  forward(x: Tensor): Tensor {
    x = patchMergingPad(x);
    x = this.norm.forward(x);
    return this.reduction.forward(x);
  }
}

/** Swin v2's patch merging: the projection comes before the norm (of 2C channels). */
export class PatchMergingV2 extends nn.Module {
  reduction: nn.Linear;
  norm: Layer;
  constructor(
    readonly dim: number,
    normLayer: NormLayerFactory = (d) => new nn.LayerNorm(d),
  ) {
    super();
    this.reduction = new nn.Linear(4 * dim, 2 * dim, { bias: false });
    this.norm = normLayer(2 * dim) as Layer;
  }
  forward(x: Tensor): Tensor {
    x = patchMergingPad(x);
    x = this.reduction.forward(x);
    return this.norm.forward(x);
  }
}

/** Options of {@link shiftedWindowAttention} after its 7 leading arguments. */
export interface ShiftedWindowAttentionOptions {
  attentionDropout?: number;
  dropout?: number;
  qkvBias?: Tensor | null;
  projBias?: Tensor | null;
  /** Swin v2: cosine attention scaled by exp(min(logitScale, log 100)). */
  logitScale?: Tensor | null;
}

/** Python's slice bounds [start, stop) of a length-n axis, as `a[start:stop]` takes them. */
function sliceBounds(start: number, stop: number | null, n: number): [number, number] {
  const norm = (i: number): number => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  return [norm(start), stop === null ? n : norm(stop)];
}

/**
 * Window multi-head self-attention over [B, H, W, C], the windows shifted by `shiftSize`
 * (torchvision's `shifted_window_attention`). Attention and output dropout apply whether or not
 * the module trains, as in torchvision (both are 0 in its builders).
 */
export function shiftedWindowAttention(
  input: Tensor,
  qkvWeight: Tensor,
  projWeight: Tensor,
  relativePositionBias: Tensor,
  windowSize: readonly number[],
  numHeads: number,
  shiftSize: readonly number[],
  options: ShiftedWindowAttentionOptions = {},
): Tensor {
  const o = checkOptions<ShiftedWindowAttentionOptions>(options, 'options', [
    'attentionDropout',
    'dropout',
    'qkvBias',
    'projBias',
    'logitScale',
  ]);
  const [B, H, W, C] = input.shape;
  // pad the feature map to multiples of the window size
  const padR = (windowSize[1] - (W % windowSize[1])) % windowSize[1];
  const padB = (windowSize[0] - (H % windowSize[0])) % windowSize[0];
  let x = F.pad(input, [0, 0, 0, padR, 0, padB]);
  const [, padH, padW] = x.shape;

  // no shift where one window covers the whole axis
  const shift = [...shiftSize];
  if (windowSize[0] >= padH) shift[0] = 0;
  if (windowSize[1] >= padW) shift[1] = 0;
  const shifted = shift[0] + shift[1] > 0;
  if (shifted) x = x.roll([-shift[0], -shift[1]], [1, 2]);

  // partition windows
  const numWindows = Math.floor(padH / windowSize[0]) * Math.floor(padW / windowSize[1]);
  x = x.view(B, Math.floor(padH / windowSize[0]), windowSize[0], Math.floor(padW / windowSize[1]), windowSize[1], C);
  x = x.permute(0, 1, 3, 2, 4, 5).reshape(B * numWindows, windowSize[0] * windowSize[1], C);

  // multi-head attention
  let qkvBias = o.qkvBias ?? null;
  const logitScale = o.logitScale ?? null;
  if (logitScale !== null && qkvBias !== null) {
    qkvBias = qkvBias.clone();
    const length = Math.floor(qkvBias.numel() / 3);
    qkvBias.narrow(0, length, length).zero_();
  }
  let qkv = F.linear(x, qkvWeight, qkvBias);
  qkv = qkv.reshape(x.size(0), x.size(1), 3, numHeads, Math.floor(C / numHeads)).permute(2, 0, 3, 1, 4);
  let [q, k, v] = [qkv.select(0, 0), qkv.select(0, 1), qkv.select(0, 2)];
  let attn: Tensor;
  if (logitScale !== null) {
    // cosine attention
    attn = F.normalize(q, { dim: -1 }).matmul(F.normalize(k, { dim: -1 }).transpose(-2, -1));
    attn = attn.mul(logitScale.clamp(null, Math.log(100.0)).exp());
  } else {
    q = q.mul(Math.floor(C / numHeads) ** -0.5);
    attn = q.matmul(k.transpose(-2, -1));
  }
  // relative position bias
  attn = attn.add(relativePositionBias);

  if (shifted) {
    // an attention mask for the shifted windows
    const mask = new Float32Array(padH * padW);
    const hSlices: [number, number | null][] = [
      [0, -windowSize[0]],
      [-windowSize[0], -shift[0]],
      [-shift[0], null],
    ];
    const wSlices: [number, number | null][] = [
      [0, -windowSize[1]],
      [-windowSize[1], -shift[1]],
      [-shift[1], null],
    ];
    let count = 0;
    for (const [h0, h1] of hSlices) {
      for (const [w0, w1] of wSlices) {
        const [hs, he] = sliceBounds(h0, h1, padH);
        const [ws, we] = sliceBounds(w0, w1, padW);
        for (let i = hs; i < he; i++) for (let j = ws; j < we; j++) mask[i * padW + j] = count;
        count++;
      }
    }
    let attnMask = tensor(mask, { dtype: x.dtype, device: x.device }).view(
      Math.floor(padH / windowSize[0]),
      windowSize[0],
      Math.floor(padW / windowSize[1]),
      windowSize[1],
    );
    attnMask = attnMask.permute(0, 2, 1, 3).reshape(numWindows, windowSize[0] * windowSize[1]);
    attnMask = attnMask.unsqueeze(1).sub(attnMask.unsqueeze(2));
    attnMask = attnMask.maskedFill(attnMask.ne(0), -100.0).maskedFill(attnMask.eq(0), 0.0);
    attn = attn.view(Math.floor(x.size(0) / numWindows), numWindows, numHeads, x.size(1), x.size(1));
    attn = attn.add(attnMask.unsqueeze(1).unsqueeze(0));
    attn = attn.view(-1, numHeads, x.size(1), x.size(1));
  }

  attn = F.softmax(attn, -1);
  attn = F.dropout(attn, o.attentionDropout ?? 0);

  x = attn.matmul(v).transpose(1, 2).reshape(x.size(0), x.size(1), C);
  x = F.linear(x, projWeight, o.projBias ?? null);
  x = F.dropout(x, o.dropout ?? 0);

  // reverse windows
  x = x.view(B, Math.floor(padH / windowSize[0]), Math.floor(padW / windowSize[1]), windowSize[0], windowSize[1], C);
  x = x.permute(0, 1, 3, 2, 4, 5).reshape(B, padH, padW, C);

  // reverse the cyclic shift
  if (shifted) x = x.roll([shift[0], shift[1]], [1, 2]);

  // unpad
  return x.index(':', `:${H}`, `:${W}`, ':').contiguous();
}

/** Options of the window attention layers after (dim, windowSize, shiftSize, numHeads). */
export interface WindowAttentionOptions {
  qkvBias?: boolean;
  projBias?: boolean;
  attentionDropout?: number;
  dropout?: number;
}
const ATTN_POSITIONAL = ['qkvBias', 'projBias', 'attentionDropout', 'dropout'] as const;
type AttnArgs = WithOptions<
  [qkvBias: boolean, projBias: boolean, attentionDropout: number, dropout: number],
  WindowAttentionOptions
>;

/** Window attention with a learned relative position bias table (Swin v1). */
export class ShiftedWindowAttention extends nn.Module {
  qkv: nn.Linear;
  proj: nn.Linear;
  declare relative_position_bias_table: nn.Parameter;
  declare relative_position_index: Tensor;
  readonly windowSize: number[];
  readonly shiftSize: number[];
  readonly numHeads: number;
  readonly attentionDropout: number;
  readonly dropout: number;

  constructor(
    dim: number,
    windowSize: readonly number[],
    shiftSize: readonly number[],
    numHeads: number,
    ...args: AttnArgs
  ) {
    super();
    const o = bindArgs<WindowAttentionOptions>(args, ATTN_POSITIONAL, new.target.name);
    if (!Array.isArray(windowSize) || windowSize.length !== 2 || !Array.isArray(shiftSize) || shiftSize.length !== 2)
      throw rangeError('windowSize and shiftSize of length 2', 'windowSize', windowSize);
    this.windowSize = windowSize.map((w, i) => checkInt(w, `windowSize[${i}]`, 1));
    this.shiftSize = shiftSize.map((s, i) => checkInt(s, `shiftSize[${i}]`, 0));
    this.numHeads = checkInt(numHeads, 'numHeads', 1);
    this.attentionDropout = checkNumber(o.attentionDropout ?? 0, 'attentionDropout');
    this.dropout = checkNumber(o.dropout ?? 0, 'dropout');
    this.qkv = new nn.Linear(dim, dim * 3, { bias: o.qkvBias ?? true });
    this.proj = new nn.Linear(dim, dim, { bias: o.projBias ?? true });
    this.defineRelativePositionBiasTable();
    this.defineRelativePositionIndex();
  }

  /** [(2Wh - 1) * (2Ww - 1), heads] biases, truncated-normal (std 0.02). */
  defineRelativePositionBiasTable(): void {
    const [wh, ww] = this.windowSize;
    const t = zeros([(2 * wh - 1) * (2 * ww - 1), this.numHeads]);
    this.relative_position_bias_table = new nn.Parameter(t);
    t.dispose();
    nn.init.truncNormal_(this.relative_position_bias_table, { std: 0.02 });
  }

  /** For each pair of positions in a window, the row of the bias table for their offset. */
  defineRelativePositionIndex(): void {
    const [wh, ww] = this.windowSize;
    const n = wh * ww;
    const index = new BigInt64Array(n * n);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        const dh = Math.floor(a / ww) - Math.floor(b / ww) + wh - 1;
        const dw = (a % ww) - (b % ww) + ww - 1;
        index[a * n + b] = BigInt(dh * (2 * ww - 1) + dw);
      }
    }
    this.registerBuffer('relative_position_index', tensor(index));
  }

  getRelativePositionBias(): Tensor {
    return getRelativePositionBias(this.relative_position_bias_table, this.relative_position_index, this.windowSize);
  }

  forward(x: Tensor): Tensor {
    const bias = this.getRelativePositionBias();
    return shiftedWindowAttention(
      x,
      this.qkv.weight,
      this.proj.weight,
      bias,
      this.windowSize,
      this.numHeads,
      this.shiftSize,
      {
        attentionDropout: this.attentionDropout,
        dropout: this.dropout,
        qkvBias: this.qkv.bias,
        projBias: this.proj.bias,
      },
    );
  }
}

/** Swin v2's window attention: cosine attention, a continuous (log-spaced) position bias MLP. */
export class ShiftedWindowAttentionV2 extends ShiftedWindowAttention {
  declare logit_scale: nn.Parameter;
  declare relative_coords_table: Tensor;
  declare cpb_mlp: nn.Sequential;

  constructor(
    dim: number,
    windowSize: readonly number[],
    shiftSize: readonly number[],
    numHeads: number,
    ...args: AttnArgs
  ) {
    super(dim, windowSize, shiftSize, numHeads, ...args);
    const scale = ones([numHeads, 1, 1]).mul(10).log();
    this.logit_scale = new nn.Parameter(scale);
    scale.dispose();
    this.cpb_mlp = new nn.Sequential(
      new nn.Linear(2, 512, { bias: true }),
      new nn.ReLU({ inplace: true }),
      new nn.Linear(512, numHeads, { bias: false }),
    );
    if (this.qkv.bias) {
      const length = Math.floor(this.qkv.bias.numel() / 3);
      this.qkv.bias.detach().narrow(0, length, length).zero_();
    }
  }

  /** The log-spaced relative coordinates of the window offsets, [1, 2Wh - 1, 2Ww - 1, 2]. */
  override defineRelativePositionBiasTable(): void {
    const [wh, ww] = this.windowSize;
    const h = arange(-(wh - 1), wh, 1, { dtype: 'float32' });
    const w = arange(-(ww - 1), ww, 1, { dtype: 'float32' });
    let table = stack(meshgrid([h, w], { indexing: 'ij' }));
    table = table.permute(1, 2, 0).contiguous().unsqueeze(0);
    table.select(3, 0).div_(wh - 1);
    table.select(3, 1).div_(ww - 1);
    table.mul_(8); // normalise to [-8, 8]
    table = table.sign().mul(table.abs().add(1.0).log2()).div(3.0);
    this.registerBuffer('relative_coords_table', table);
  }

  override getRelativePositionBias(): Tensor {
    const bias = getRelativePositionBias(
      this.cpb_mlp.forward(this.relative_coords_table).view(-1, this.numHeads),
      this.relative_position_index,
      this.windowSize,
    );
    return bias.sigmoid().mul(16);
  }

  override forward(x: Tensor): Tensor {
    const bias = this.getRelativePositionBias();
    return shiftedWindowAttention(
      x,
      this.qkv.weight,
      this.proj.weight,
      bias,
      this.windowSize,
      this.numHeads,
      this.shiftSize,
      {
        attentionDropout: this.attentionDropout,
        dropout: this.dropout,
        qkvBias: this.qkv.bias,
        projBias: this.proj.bias,
        logitScale: this.logit_scale,
      },
    );
  }
}

/** Builds a window attention layer (torchvision's `attn_layer`). */
export type AttentionLayerClass = new (
  dim: number,
  windowSize: readonly number[],
  shiftSize: readonly number[],
  numHeads: number,
  options: WindowAttentionOptions,
) => ShiftedWindowAttention;

/** Options of the Swin blocks after (dim, numHeads, windowSize, shiftSize). */
export interface SwinBlockOptions {
  mlpRatio?: number;
  dropout?: number;
  attentionDropout?: number;
  stochasticDepthProb?: number;
  normLayer?: NormLayerFactory;
  attnLayer?: AttentionLayerClass;
}
const BLOCK_POSITIONAL = [
  'mlpRatio',
  'dropout',
  'attentionDropout',
  'stochasticDepthProb',
  'normLayer',
  'attnLayer',
] as const;
type BlockArgs = WithOptions<
  [
    mlpRatio: number,
    dropout: number,
    attentionDropout: number,
    stochasticDepthProb: number,
    normLayer: NormLayerFactory,
    attnLayer: AttentionLayerClass,
  ],
  SwinBlockOptions
>;

/** A Swin block: pre-norm window attention and MLP, each residual through stochastic depth. */
export class SwinTransformerBlock extends nn.Module {
  norm1: Layer;
  attn: ShiftedWindowAttention;
  stochastic_depth: StochasticDepth;
  norm2: Layer;
  mlp: MLP;

  constructor(
    dim: number,
    numHeads: number,
    windowSize: readonly number[],
    shiftSize: readonly number[],
    ...args: BlockArgs
  ) {
    super();
    const o = bindArgs<SwinBlockOptions>(args, BLOCK_POSITIONAL, new.target.name);
    const normLayer = o.normLayer ?? ((d: number) => new nn.LayerNorm(d));
    const Attn =
      o.attnLayer ?? (new.target === SwinTransformerBlockV2 ? ShiftedWindowAttentionV2 : ShiftedWindowAttention);
    const dropout = o.dropout ?? 0;
    this.norm1 = normLayer(dim) as Layer;
    this.attn = new Attn(dim, windowSize, shiftSize, numHeads, { attentionDropout: o.attentionDropout ?? 0, dropout });
    this.stochastic_depth = new StochasticDepth(o.stochasticDepthProb ?? 0, 'row');
    this.norm2 = normLayer(dim) as Layer;
    this.mlp = new MLP(dim, [Math.trunc(dim * (o.mlpRatio ?? 4.0)), dim], {
      activationLayer: () => new nn.GELU(),
      inplace: null,
      dropout,
    });
    for (const m of this.mlp.modules()) {
      if (m instanceof nn.Linear) {
        nn.init.xavierUniform_(m.weight);
        if (m.bias) nn.init.normal_(m.bias, 0, 1e-6);
      }
    }
  }

  forward(x: Tensor): Tensor {
    x = x.add(this.stochastic_depth.forward(this.attn.forward(this.norm1.forward(x))));
    return x.add(this.stochastic_depth.forward(this.mlp.forward(this.norm2.forward(x))));
  }
}

/** Swin v2's block: post-norm (the norms follow the attention and the MLP). */
export class SwinTransformerBlockV2 extends SwinTransformerBlock {
  override forward(x: Tensor): Tensor {
    x = x.add(this.stochastic_depth.forward(this.norm1.forward(this.attn.forward(x))));
    return x.add(this.stochastic_depth.forward(this.norm2.forward(this.mlp.forward(x))));
  }
}

/** A Swin block class (torchvision's `block`). */
export type SwinBlockClass = new (
  dim: number,
  numHeads: number,
  windowSize: readonly number[],
  shiftSize: readonly number[],
  options: SwinBlockOptions,
) => SwinTransformerBlock;

export interface SwinTransformerOptions {
  mlpRatio?: number;
  dropout?: number;
  attentionDropout?: number;
  stochasticDepthProb?: number;
  numClasses?: number;
  /** LayerNorm(eps=1e-5) by default. */
  normLayer?: NormLayerFactory | null;
  /** SwinTransformerBlock by default. */
  block?: SwinBlockClass | null;
  /** PatchMerging by default. */
  downsampleLayer?: DownsampleFactory;
}
const SWIN_POSITIONAL = [
  'mlpRatio',
  'dropout',
  'attentionDropout',
  'stochasticDepthProb',
  'numClasses',
  'normLayer',
  'block',
  'downsampleLayer',
] as const;

/** Swin Transformer: `new SwinTransformer(patchSize, embedDim, depths, numHeads, windowSize, ...)`. */
export class SwinTransformer extends nn.Module {
  features: nn.Sequential;
  norm: Layer;
  permute: Permute;
  avgpool: nn.AdaptiveAvgPool2d;
  flatten: nn.Flatten;
  head: nn.Linear;
  readonly numClasses: number;

  constructor(
    patchSize: readonly number[],
    embedDim: number,
    depths: readonly number[],
    numHeads: readonly number[],
    windowSize: readonly number[],
    ...args: WithOptions<
      [
        mlpRatio: number,
        dropout: number,
        attentionDropout: number,
        stochasticDepthProb: number,
        numClasses: number,
        normLayer: NormLayerFactory | null,
        block: SwinBlockClass | null,
        downsampleLayer: DownsampleFactory,
      ],
      SwinTransformerOptions
    >
  ) {
    super();
    const o = bindArgs<SwinTransformerOptions>(args, SWIN_POSITIONAL, 'SwinTransformer');
    this.numClasses = checkInt(o.numClasses ?? 1000, 'numClasses', 1);
    const Block = o.block ?? SwinTransformerBlock;
    const normLayer = o.normLayer ?? ((d: number) => new nn.LayerNorm(d, { eps: 1e-5 }));
    const downsample: DownsampleFactory = o.downsampleLayer ?? ((d, n) => new PatchMerging(d, n));
    const sdProb = o.stochasticDepthProb ?? 0.1;
    if (depths.length !== numHeads.length) throw rangeError(`${depths.length} head counts`, 'numHeads', numHeads);

    const layers: nn.Module[] = [];
    // split the image into non-overlapping patches
    layers.push(
      new nn.Sequential(
        new nn.Conv2d(3, embedDim, [patchSize[0], patchSize[1]], { stride: [patchSize[0], patchSize[1]] }),
        new Permute([0, 2, 3, 1]),
        normLayer(embedDim),
      ),
    );
    const totalStageBlocks = depths.reduce((a, b) => a + b, 0);
    let stageBlockId = 0;
    depths.forEach((depth, iStage) => {
      const stage: nn.Module[] = [];
      const dim = embedDim * 2 ** iStage;
      for (let iLayer = 0; iLayer < depth; iLayer++) {
        // stochastic depth grows linearly with the block's index
        const p = (sdProb * stageBlockId) / (totalStageBlocks - 1);
        stage.push(
          new Block(
            dim,
            numHeads[iStage],
            windowSize,
            windowSize.map((w) => (iLayer % 2 === 0 ? 0 : Math.floor(w / 2))),
            {
              mlpRatio: o.mlpRatio ?? 4.0,
              dropout: o.dropout ?? 0,
              attentionDropout: o.attentionDropout ?? 0,
              stochasticDepthProb: p,
              normLayer,
            },
          ),
        );
        stageBlockId++;
      }
      layers.push(new nn.Sequential(...stage));
      // patch merging
      if (iStage < depths.length - 1) layers.push(downsample(dim, normLayer));
    });
    this.features = new nn.Sequential(...layers);

    const numFeatures = embedDim * 2 ** (depths.length - 1);
    this.norm = normLayer(numFeatures) as Layer;
    this.permute = new Permute([0, 3, 1, 2]); // B H W C -> B C H W
    this.avgpool = new nn.AdaptiveAvgPool2d(1);
    this.flatten = new nn.Flatten(1);
    this.head = new nn.Linear(numFeatures, this.numClasses);

    for (const m of this.modules()) {
      if (m instanceof nn.Linear) {
        nn.init.truncNormal_(m.weight, { std: 0.02 });
        if (m.bias) nn.init.zeros_(m.bias);
      }
    }
  }

  forward(x: Tensor): Tensor {
    x = this.features.forward(x);
    x = this.norm.forward(x);
    x = this.permute.forward(x);
    x = this.avgpool.forward(x);
    x = this.flatten.forward(x);
    return this.head.forward(x);
  }
}

/** Options of the swin_* builders (SwinTransformer's options but the architecture's own). */
export type SwinBuilderOptions = Omit<SwinTransformerOptions, 'block' | 'downsampleLayer'>;
const BUILDER_KEYS = ['mlpRatio', 'dropout', 'attentionDropout', 'stochasticDepthProb', 'numClasses', 'normLayer'];

function swinTransformer(
  patchSize: number[],
  embedDim: number,
  depths: number[],
  numHeads: number[],
  windowSize: number[],
  stochasticDepthProb: number,
  options: SwinBuilderOptions,
  v2 = false,
): SwinTransformer {
  const o = checkOptions<SwinBuilderOptions>(options, 'options', BUILDER_KEYS);
  return new SwinTransformer(patchSize, embedDim, depths, numHeads, windowSize, {
    stochasticDepthProb,
    ...o,
    ...(v2 ? { block: SwinTransformerBlockV2, downsampleLayer: (d, n) => new PatchMergingV2(d, n) } : {}),
  });
}

/** Swin-T (Swin Transformer: Hierarchical Vision Transformer using Shifted Windows). */
export function swin_t(options: SwinBuilderOptions = {}): SwinTransformer {
  return swinTransformer([4, 4], 96, [2, 2, 6, 2], [3, 6, 12, 24], [7, 7], 0.2, options);
}
/** Swin-S. */
export function swin_s(options: SwinBuilderOptions = {}): SwinTransformer {
  return swinTransformer([4, 4], 96, [2, 2, 18, 2], [3, 6, 12, 24], [7, 7], 0.3, options);
}
/** Swin-B. */
export function swin_b(options: SwinBuilderOptions = {}): SwinTransformer {
  return swinTransformer([4, 4], 128, [2, 2, 18, 2], [4, 8, 16, 32], [7, 7], 0.5, options);
}
/** Swin-V2-T (Swin Transformer V2: Scaling Up Capacity and Resolution). */
export function swin_v2_t(options: SwinBuilderOptions = {}): SwinTransformer {
  return swinTransformer([4, 4], 96, [2, 2, 6, 2], [3, 6, 12, 24], [8, 8], 0.2, options, true);
}
/** Swin-V2-S. */
export function swin_v2_s(options: SwinBuilderOptions = {}): SwinTransformer {
  return swinTransformer([4, 4], 96, [2, 2, 18, 2], [3, 6, 12, 24], [8, 8], 0.3, options, true);
}
/** Swin-V2-B. */
export function swin_v2_b(options: SwinBuilderOptions = {}): SwinTransformer {
  return swinTransformer([4, 4], 128, [2, 2, 18, 2], [4, 8, 16, 32], [8, 8], 0.5, options, true);
}
