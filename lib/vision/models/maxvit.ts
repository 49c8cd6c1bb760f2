/**
 * MaxViT (Multi-Axis Vision Transformer), mirroring torchvision/models/maxvit.py: the same
 * classes, arguments, initialisation and attribute names, so `stateDict()` keys are
 * torchvision's. Constructor arguments are options objects with torchvision's names in
 * camelCase (torchvision's own calls pass them by keyword).
 */
import * as nn from '../../nn/index';
import { empty, tensor } from '../../torch/creation';
import { checkInt, checkOptions, rangeError } from '../../torch/errors';
import { einsum } from '../../torch/generated/functions';
import type { Tensor } from '../../torch/tensor';
import { Conv2dNormActivation, type NormLayerFactory, SqueezeExcitation } from '../ops/misc';
import { StochasticDepth } from '../ops/stochastic_depth';

const F = nn.functional;
type Layer = nn.Module & { forward(x: Tensor): Tensor };
/** Builds an activation module (torchvision's `activation_layer`, called without arguments). */
export type ActivationLayerFactory = () => nn.Module;

function convOutputShape(size: [number, number], kernel: number, stride: number, padding: number): [number, number] {
  return [
    Math.floor((size[0] - kernel + 2 * padding) / stride) + 1,
    Math.floor((size[1] - kernel + 2 * padding) / stride) + 1,
  ];
}

function blockInputShapes(inputSize: [number, number], nBlocks: number): [number, number][] {
  const shapes: [number, number][] = [];
  let shape = convOutputShape(inputSize, 3, 2, 1);
  for (let i = 0; i < nBlocks; i++) {
    shape = convOutputShape(shape, 3, 2, 1);
    shapes.push(shape);
  }
  return shapes;
}

/** [h*w, h*w] rows of the bias table for each pair of positions of an h x w window. */
function relativePositionIndex(height: number, width: number): Tensor {
  const n = height * width;
  const index = new BigInt64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b < n; b++) {
      const dh = Math.floor(a / width) - Math.floor(b / width) + height - 1;
      const dw = (a % width) - (b % width) + width - 1;
      index[a * n + b] = BigInt(dh * (2 * width - 1) + dw);
    }
  }
  return tensor(index).view(n, n);
}

/** numpy's linspace(start, stop, num).tolist(). */
function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const div = num - 1;
  const step = (stop - start) / div;
  const out = Array.from({ length: num }, (_, i) => (step === 0 ? (i / div) * (stop - start) : i * step) + start);
  if (num > 1) out[num - 1] = stop;
  return out;
}

export interface MBConvOptions {
  inChannels: number;
  outChannels: number;
  expansionRatio: number;
  squeezeRatio: number;
  stride: number;
  activationLayer: ActivationLayerFactory;
  normLayer: NormLayerFactory;
  pStochasticDropout?: number;
}

/** MBConv with squeeze-excitation and a pre-norm, as MaxViT uses it. */
export class MBConv extends nn.Module {
  proj: Layer;
  stochastic_depth: Layer;
  layers: nn.Sequential;
  constructor(options: MBConvOptions) {
    super();
    const o = checkOptions<MBConvOptions>(options) as MBConvOptions;
    const shouldProj = o.stride !== 1 || o.inChannels !== o.outChannels;
    if (shouldProj) {
      const proj: nn.Module[] = [new nn.Conv2d(o.inChannels, o.outChannels, 1, { stride: 1, bias: true })];
      if (o.stride === 2) proj.unshift(new nn.AvgPool2d(3, { stride: o.stride, padding: 1 }));
      this.proj = new nn.Sequential(...proj);
    } else {
      this.proj = new nn.Identity();
    }
    const mid = Math.trunc(o.outChannels * o.expansionRatio);
    const sqz = Math.trunc(o.outChannels * o.squeezeRatio);
    const p = o.pStochasticDropout ?? 0;
    this.stochastic_depth = p ? new StochasticDepth(p, 'row') : new nn.Identity();
    this.layers = new nn.Sequential();
    this.layers.registerModule('pre_norm', o.normLayer(o.inChannels));
    this.layers.registerModule(
      'conv_a',
      new Conv2dNormActivation(o.inChannels, mid, {
        kernelSize: 1,
        stride: 1,
        padding: 0,
        activationLayer: o.activationLayer,
        normLayer: o.normLayer,
        inplace: null,
      }),
    );
    this.layers.registerModule(
      'conv_b',
      new Conv2dNormActivation(mid, mid, {
        kernelSize: 3,
        stride: o.stride,
        padding: 1,
        activationLayer: o.activationLayer,
        normLayer: o.normLayer,
        groups: mid,
        inplace: null,
      }),
    );
    this.layers.registerModule(
      'squeeze_excitation',
      new SqueezeExcitation(mid, sqz, { activation: () => new nn.SiLU() }),
    );
    this.layers.registerModule('conv_c', new nn.Conv2d(mid, o.outChannels, 1, { bias: true }));
  }
  forward(x: Tensor): Tensor {
    const res = this.proj.forward(x);
    x = this.stochastic_depth.forward(this.layers.forward(x));
    return res.add(x);
  }
}

/** Multi-head self-attention within partitions, with a relative position bias table. */
export class RelativePositionalMultiHeadAttention extends nn.Module {
  to_qkv: nn.Linear;
  merge: nn.Linear;
  declare relative_position_bias_table: nn.Parameter;
  declare relative_position_index: Tensor;
  readonly nHeads: number;
  readonly headDim: number;
  readonly size: number;
  readonly maxSeqLen: number;
  readonly scaleFactor: number;
  constructor(featDim: number, headDim: number, maxSeqLen: number) {
    super();
    if (featDim % headDim !== 0) throw rangeError(`a multiple of headDim (${headDim})`, 'featDim', featDim);
    this.nHeads = Math.floor(featDim / headDim);
    this.headDim = headDim;
    this.size = Math.trunc(Math.sqrt(maxSeqLen));
    this.maxSeqLen = maxSeqLen;
    this.to_qkv = new nn.Linear(featDim, this.nHeads * this.headDim * 3);
    this.scaleFactor = featDim ** -0.5;
    this.merge = new nn.Linear(this.headDim * this.nHeads, featDim);
    const t = empty([(2 * this.size - 1) * (2 * this.size - 1), this.nHeads], { dtype: 'float32' });
    this.relative_position_bias_table = new nn.Parameter(t);
    t.dispose();
    this.registerBuffer('relative_position_index', relativePositionIndex(this.size, this.size));
    nn.init.truncNormal_(this.relative_position_bias_table, { std: 0.02 });
  }
  getRelativePositionalBias(): Tensor {
    const index = this.relative_position_index.view(-1);
    const bias = this.relative_position_bias_table.index(index).view(this.maxSeqLen, this.maxSeqLen, -1);
    return bias.permute(2, 0, 1).contiguous().unsqueeze(0);
  }
  forward(x: Tensor): Tensor {
    const [B, G, P, D] = x.shape;
    const [H, DH] = [this.nHeads, this.headDim];
    const qkv = this.to_qkv.forward(x);
    let [q, k, v] = qkv.chunk(3, -1);
    q = q.reshape(B, G, P, H, DH).permute(0, 1, 3, 2, 4);
    k = k.reshape(B, G, P, H, DH).permute(0, 1, 3, 2, 4);
    v = v.reshape(B, G, P, H, DH).permute(0, 1, 3, 2, 4);
    k = k.mul(this.scaleFactor);
    let dot = einsum('B G H I D, B G H J D -> B G H I J', [q, k]);
    const posBias = this.getRelativePositionalBias();
    dot = F.softmax(dot.add(posBias), -1);
    let out = einsum('B G H I J, B G H J D -> B G H I D', [dot, v]);
    out = out.permute(0, 1, 3, 2, 4).reshape(B, G, P, D);
    return this.merge.forward(out);
  }
}

/** Swaps two dimensions (`torch.swapaxes`). */
export class SwapAxes extends nn.Module {
  constructor(
    readonly a: number,
    readonly b: number,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.transpose(this.a, this.b);
  }
}

/** [B, C, H, W] into [B, (H/p)*(W/p), p*p, C] partitions of p x p. */
export class WindowPartition extends nn.Module {
  forward(x: Tensor, p: number): Tensor {
    const [B, C, H, W] = x.shape;
    x = x.reshape(B, C, Math.floor(H / p), p, Math.floor(W / p), p);
    x = x.permute(0, 2, 4, 3, 5, 1);
    return x.reshape(B, Math.floor(H / p) * Math.floor(W / p), p * p, C);
  }
}

/** The inverse of {@link WindowPartition}. */
export class WindowDepartition extends nn.Module {
  forward(x: Tensor, p: number, hPartitions: number, wPartitions: number): Tensor {
    const [B, , , C] = x.shape;
    x = x.reshape(B, hPartitions, wPartitions, p, p, C);
    x = x.permute(0, 5, 1, 3, 2, 4);
    return x.reshape(B, C, hPartitions * p, wPartitions * p);
  }
}

export interface PartitionAttentionLayerOptions {
  inChannels: number;
  headDim: number;
  partitionSize: number;
  partitionType: 'grid' | 'window';
  gridSize: [number, number];
  mlpRatio: number;
  activationLayer: ActivationLayerFactory;
  normLayer: NormLayerFactory;
  attentionDropout: number;
  mlpDropout: number;
  pStochasticDropout: number;
}

/** Attention over windows (block attention) or over a dilated grid (grid attention), then an MLP. */
export class PartitionAttentionLayer extends nn.Module {
  partition_op: WindowPartition;
  departition_op: WindowDepartition;
  partition_swap: Layer;
  departition_swap: Layer;
  attn_layer: nn.Sequential;
  mlp_layer: nn.Sequential;
  stochastic_dropout: StochasticDepth;
  readonly nHeads: number;
  readonly headDim: number;
  readonly nPartitions: number;
  readonly partitionType: 'grid' | 'window';
  readonly gridSize: [number, number];
  readonly p: number;
  readonly g: number;
  constructor(options: PartitionAttentionLayerOptions) {
    super();
    const o = checkOptions<PartitionAttentionLayerOptions>(options) as PartitionAttentionLayerOptions;
    this.nHeads = Math.floor(o.inChannels / o.headDim);
    this.headDim = o.headDim;
    this.nPartitions = Math.floor(o.gridSize[0] / o.partitionSize);
    this.partitionType = o.partitionType;
    this.gridSize = o.gridSize;
    if (o.partitionType !== 'grid' && o.partitionType !== 'window')
      throw rangeError("'grid' or 'window'", 'partitionType', o.partitionType);
    [this.p, this.g] =
      o.partitionType === 'window' ? [o.partitionSize, this.nPartitions] : [this.nPartitions, o.partitionSize];
    this.partition_op = new WindowPartition();
    this.departition_op = new WindowDepartition();
    this.partition_swap = o.partitionType === 'grid' ? new SwapAxes(-2, -3) : new nn.Identity();
    this.departition_swap = o.partitionType === 'grid' ? new SwapAxes(-2, -3) : new nn.Identity();
    this.attn_layer = new nn.Sequential(
      o.normLayer(o.inChannels),
      new RelativePositionalMultiHeadAttention(o.inChannels, o.headDim, o.partitionSize ** 2),
      new nn.Dropout(o.attentionDropout),
    );
    this.mlp_layer = new nn.Sequential(
      new nn.LayerNorm(o.inChannels),
      new nn.Linear(o.inChannels, o.inChannels * o.mlpRatio),
      o.activationLayer(),
      new nn.Linear(o.inChannels * o.mlpRatio, o.inChannels),
      new nn.Dropout(o.mlpDropout),
    );
    this.stochastic_dropout = new StochasticDepth(o.pStochasticDropout, 'row');
  }
  forward(x: Tensor): Tensor {
    const gh = Math.floor(this.gridSize[0] / this.p);
    const gw = Math.floor(this.gridSize[1] / this.p);
    if (this.gridSize[0] % this.p !== 0 || this.gridSize[1] % this.p !== 0)
      throw rangeError(`a grid size divisible by the partition size ${this.p}`, 'gridSize', this.gridSize);
    x = this.partition_op.forward(x, this.p);
    x = this.partition_swap.forward(x);
    x = x.add(this.stochastic_dropout.forward(this.attn_layer.forward(x)));
    x = x.add(this.stochastic_dropout.forward(this.mlp_layer.forward(x)));
    x = this.departition_swap.forward(x);
    return this.departition_op.forward(x, this.p, gh, gw);
  }
}

export interface MaxVitLayerOptions {
  inChannels: number;
  outChannels: number;
  squeezeRatio: number;
  expansionRatio: number;
  stride: number;
  normLayer: NormLayerFactory;
  activationLayer: ActivationLayerFactory;
  headDim: number;
  mlpRatio: number;
  mlpDropout: number;
  attentionDropout: number;
  pStochasticDropout: number;
  partitionSize: number;
  gridSize: [number, number];
}

/** MBConv, then window attention, then grid attention. */
export class MaxVitLayer extends nn.Module {
  layers: nn.Sequential;
  constructor(options: MaxVitLayerOptions) {
    super();
    const o = checkOptions<MaxVitLayerOptions>(options) as MaxVitLayerOptions;
    this.layers = new nn.Sequential();
    this.layers.registerModule(
      'MBconv',
      new MBConv({
        inChannels: o.inChannels,
        outChannels: o.outChannels,
        expansionRatio: o.expansionRatio,
        squeezeRatio: o.squeezeRatio,
        stride: o.stride,
        activationLayer: o.activationLayer,
        normLayer: o.normLayer,
        pStochasticDropout: o.pStochasticDropout,
      }),
    );
    for (const type of ['window', 'grid'] as const) {
      this.layers.registerModule(
        `${type}_attention`,
        new PartitionAttentionLayer({
          inChannels: o.outChannels,
          headDim: o.headDim,
          partitionSize: o.partitionSize,
          partitionType: type,
          gridSize: o.gridSize,
          mlpRatio: o.mlpRatio,
          activationLayer: o.activationLayer,
          normLayer: (d) => new nn.LayerNorm(d),
          attentionDropout: o.attentionDropout,
          mlpDropout: o.mlpDropout,
          pStochasticDropout: o.pStochasticDropout,
        }),
      );
    }
  }
  forward(x: Tensor): Tensor {
    return this.layers.forward(x);
  }
}

export interface MaxVitBlockOptions extends Omit<MaxVitLayerOptions, 'stride' | 'pStochasticDropout' | 'gridSize'> {
  inputGridSize: [number, number];
  nLayers: number;
  pStochastic: number[];
}

/** A stage of MaxViT layers, the first one downsampling by 2. */
export class MaxVitBlock extends nn.Module {
  layers: nn.ModuleList;
  readonly gridSize: [number, number];
  constructor(options: MaxVitBlockOptions) {
    super();
    const o = checkOptions<MaxVitBlockOptions>(options) as MaxVitBlockOptions;
    if (o.pStochastic.length !== o.nLayers)
      throw rangeError(`${o.nLayers} probabilities (nLayers)`, 'pStochastic', o.pStochastic);
    this.layers = new nn.ModuleList();
    this.gridSize = convOutputShape(o.inputGridSize, 3, 2, 1);
    o.pStochastic.forEach((p, idx) => {
      const { inputGridSize: _g, nLayers: _n, pStochastic: _p, ...common } = o;
      this.layers.append(
        new MaxVitLayer({
          ...common,
          inChannels: idx === 0 ? o.inChannels : o.outChannels,
          stride: idx === 0 ? 2 : 1,
          gridSize: this.gridSize,
          pStochasticDropout: p,
        }),
      );
    });
  }
  forward(x: Tensor): Tensor {
    for (const layer of this.layers) x = (layer as Layer).forward(x);
    return x;
  }
}

export interface MaxVitOptions {
  inputSize: [number, number];
  stemChannels: number;
  partitionSize: number;
  blockChannels: number[];
  blockLayers: number[];
  headDim: number;
  stochasticDepthProb: number;
  /** BatchNorm2d(eps=1e-3, momentum=0.99) by default. */
  normLayer?: NormLayerFactory | null;
  /** GELU by default. */
  activationLayer?: ActivationLayerFactory;
  squeezeRatio?: number;
  expansionRatio?: number;
  mlpRatio?: number;
  mlpDropout?: number;
  attentionDropout?: number;
  numClasses?: number;
}
const MAXVIT_KEYS = [
  'inputSize',
  'stemChannels',
  'partitionSize',
  'blockChannels',
  'blockLayers',
  'headDim',
  'stochasticDepthProb',
  'normLayer',
  'activationLayer',
  'squeezeRatio',
  'expansionRatio',
  'mlpRatio',
  'mlpDropout',
  'attentionDropout',
  'numClasses',
];

/** MaxViT: a convolutional stem, MaxViT blocks, and a pooled classifier. */
export class MaxVit extends nn.Module {
  stem: nn.Sequential;
  blocks: nn.ModuleList;
  classifier: nn.Sequential;
  readonly partitionSize: number;
  constructor(options: MaxVitOptions) {
    super();
    const o = checkOptions<MaxVitOptions>(options, 'options', MAXVIT_KEYS) as MaxVitOptions;
    for (const k of ['inputSize', 'stemChannels', 'partitionSize', 'blockChannels', 'blockLayers', 'headDim'] as const)
      if (o[k] === undefined) throw new TypeError(`Expected a value for ${k} of MaxVit but received nothing`);
    const inputChannels = 3;
    const normLayer = o.normLayer ?? ((c: number) => new nn.BatchNorm2d(c, { eps: 1e-3, momentum: 0.99 }));
    const activationLayer = o.activationLayer ?? (() => new nn.GELU());
    const numClasses = checkInt(o.numClasses ?? 1000, 'numClasses', 1);
    const partitionSize = checkInt(o.partitionSize, 'partitionSize', 1);

    // make sure the input size is divisible by the partition size in every stage
    const sizes = blockInputShapes(o.inputSize, o.blockChannels.length);
    sizes.forEach((s, idx) => {
      if (s[0] % partitionSize !== 0 || s[1] % partitionSize !== 0)
        throw rangeError(
          `block input sizes divisible by partitionSize ${partitionSize} (block ${idx} gets [${s}]; all: ${JSON.stringify(sizes)})`,
          'inputSize',
          o.inputSize,
        );
    });

    this.stem = new nn.Sequential(
      new Conv2dNormActivation(inputChannels, o.stemChannels, 3, {
        stride: 2,
        normLayer,
        activationLayer,
        bias: false,
        inplace: null,
      }),
      new Conv2dNormActivation(o.stemChannels, o.stemChannels, 3, {
        stride: 1,
        normLayer: null,
        activationLayer: null,
        bias: true,
      }),
    );
    let inputSize = convOutputShape(o.inputSize, 3, 2, 1);
    this.partitionSize = partitionSize;
    this.blocks = new nn.ModuleList();
    const inChannels = [o.stemChannels, ...o.blockChannels.slice(0, -1)];
    const pStochastic = linspace(
      0,
      o.stochasticDepthProb,
      o.blockLayers.reduce((a, b) => a + b, 0),
    );
    let pIdx = 0;
    o.blockChannels.forEach((outChannels, i) => {
      const nLayers = o.blockLayers[i];
      const block = new MaxVitBlock({
        inChannels: inChannels[i],
        outChannels,
        squeezeRatio: o.squeezeRatio ?? 0.25,
        expansionRatio: o.expansionRatio ?? 4,
        normLayer,
        activationLayer,
        headDim: o.headDim,
        mlpRatio: o.mlpRatio ?? 4,
        mlpDropout: o.mlpDropout ?? 0,
        attentionDropout: o.attentionDropout ?? 0,
        partitionSize,
        inputGridSize: inputSize,
        nLayers,
        pStochastic: pStochastic.slice(pIdx, pIdx + nLayers),
      });
      this.blocks.append(block);
      inputSize = block.gridSize;
      pIdx += nLayers;
    });
    const last = o.blockChannels[o.blockChannels.length - 1];
    this.classifier = new nn.Sequential(
      new nn.AdaptiveAvgPool2d(1),
      new nn.Flatten(),
      new nn.LayerNorm(last),
      new nn.Linear(last, last),
      new nn.Tanh(),
      new nn.Linear(last, numClasses, { bias: false }),
    );
    this.initWeights();
  }

  forward(x: Tensor): Tensor {
    x = this.stem.forward(x);
    for (const block of this.blocks) x = (block as Layer).forward(x);
    return this.classifier.forward(x);
  }

  private initWeights(): void {
    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d || m instanceof nn.Linear) {
        nn.init.normal_(m.weight, 0, 0.02);
        if (m.bias) nn.init.zeros_(m.bias);
      } else if (m instanceof nn.BatchNorm2d) {
        if (m.weight) nn.init.constant_(m.weight, 1);
        if (m.bias) nn.init.constant_(m.bias, 0);
      }
    }
  }
}

/** Options of maxvit_t: MaxVit's options but the architecture's own; `inputSize` is [224, 224]. */
export type MaxVitBuilderOptions = Partial<
  Omit<
    MaxVitOptions,
    'stemChannels' | 'blockChannels' | 'blockLayers' | 'stochasticDepthProb' | 'partitionSize' | 'headDim'
  >
>;

/** MaxViT-T (MaxViT: Multi-Axis Vision Transformer). */
export function maxvit_t(options: MaxVitBuilderOptions = {}): MaxVit {
  const o = checkOptions<MaxVitBuilderOptions>(options, 'options', [
    'inputSize',
    'normLayer',
    'activationLayer',
    'squeezeRatio',
    'expansionRatio',
    'mlpRatio',
    'mlpDropout',
    'attentionDropout',
    'numClasses',
  ]);
  return new MaxVit({
    stemChannels: 64,
    blockChannels: [64, 128, 256, 512],
    blockLayers: [2, 2, 5, 2],
    headDim: 32,
    stochasticDepthProb: 0.2,
    partitionSize: 7,
    ...o,
    inputSize: o.inputSize ?? [224, 224],
  });
}
