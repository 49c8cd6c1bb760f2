/**
 * Vision Transformer (An Image is Worth 16x16 Words), mirroring
 * torchvision/models/vision_transformer.py: the same classes, arguments, initialisation and
 * attribute names, so `stateDict()` keys are torchvision's and weights move unchanged.
 */
import * as nn from '../../nn/index';
import { bindArgs, type WithOptions } from '../../torch/args';
import { zeros, empty } from '../../torch/creation';
import { checkInt, checkNumber, checkOptions, rangeError, typeError } from '../../torch/errors';
import { cat } from '../../torch/functions';
import type { Tensor } from '../../torch/tensor';
import { type ActivationFactory, Conv2dNormActivation, MLP, type NormLayerFactory, relu } from '../ops/misc';

type Layer = nn.Module & { forward(x: Tensor): Tensor };

/** One convolution of a convolutional stem (Xiao et al., Early Convolutions Help Transformers See Better). */
export interface ConvStemConfig {
  outChannels: number;
  kernelSize: number;
  stride: number;
  /** BatchNorm2d by default. */
  normLayer?: NormLayerFactory;
  /** ReLU by default. */
  activationLayer?: ActivationFactory;
}

const layerNorm6: NormLayerFactory = (d) => new nn.LayerNorm(d, { eps: 1e-6 });

/** The transformer's MLP: Linear, GELU, Dropout, Linear, Dropout, xavier-uniform weights. */
export class MLPBlock extends MLP {
  constructor(inDim: number, mlpDim: number, dropout: number) {
    super(inDim, [mlpDim, inDim], { activationLayer: () => new nn.GELU(), inplace: null, dropout });
    for (const m of this.modules()) {
      if (m instanceof nn.Linear) {
        nn.init.xavierUniform_(m.weight);
        if (m.bias) nn.init.normal_(m.bias, 0, 1e-6);
      }
    }
  }
}

/** Pre-norm transformer encoder block: self-attention and MLP, each residual. */
export class EncoderBlock extends nn.Module {
  ln_1: Layer;
  self_attention: nn.MultiheadAttention;
  dropout: nn.Dropout;
  ln_2: Layer;
  mlp: MLPBlock;
  readonly numHeads: number;

  constructor(
    numHeads: number,
    hiddenDim: number,
    mlpDim: number,
    dropout: number,
    attentionDropout: number,
    normLayer: NormLayerFactory = layerNorm6,
  ) {
    super();
    this.numHeads = numHeads;
    this.ln_1 = normLayer(hiddenDim) as Layer;
    this.self_attention = new nn.MultiheadAttention(hiddenDim, numHeads, {
      dropout: attentionDropout,
      batchFirst: true,
    });
    this.dropout = new nn.Dropout(dropout);
    this.ln_2 = normLayer(hiddenDim) as Layer;
    this.mlp = new MLPBlock(hiddenDim, mlpDim, dropout);
  }

  forward(input: Tensor): Tensor {
    if (input.dim() !== 3) throw rangeError('(batch_size, seq_length, hidden_dim)', 'input', `[${input.shape}]`);
    let x = this.ln_1.forward(input);
    [x] = this.self_attention.forward(x, x, x, { needWeights: false });
    x = this.dropout.forward(x);
    x = x.add(input);
    let y = this.ln_2.forward(x);
    y = this.mlp.forward(y);
    return x.add(y);
  }
}

/** The encoder: position embedding, dropout, the blocks (`encoder_layer_<i>`), a final norm. */
export class Encoder extends nn.Module {
  pos_embedding: nn.Parameter;
  dropout: nn.Dropout;
  layers: nn.Sequential;
  ln: Layer;

  constructor(
    seqLength: number,
    numLayers: number,
    numHeads: number,
    hiddenDim: number,
    mlpDim: number,
    dropout: number,
    attentionDropout: number,
    normLayer: NormLayerFactory = layerNorm6,
  ) {
    super();
    // batch first, as the attention layers are batch_first (from BERT: std 0.02).
    const pos = empty([1, seqLength, hiddenDim]).normal_(0, 0.02);
    this.pos_embedding = new nn.Parameter(pos);
    pos.dispose();
    this.dropout = new nn.Dropout(dropout);
    this.layers = new nn.Sequential();
    for (let i = 0; i < numLayers; i++) {
      this.layers.registerModule(
        `encoder_layer_${i}`,
        new EncoderBlock(numHeads, hiddenDim, mlpDim, dropout, attentionDropout, normLayer),
      );
    }
    this.ln = normLayer(hiddenDim) as Layer;
  }

  forward(input: Tensor): Tensor {
    if (input.dim() !== 3) throw rangeError('(batch_size, seq_length, hidden_dim)', 'input', `[${input.shape}]`);
    return this.ln.forward(this.layers.forward(this.dropout.forward(input.add(this.pos_embedding))));
  }
}

export interface VisionTransformerOptions {
  dropout?: number;
  attentionDropout?: number;
  numClasses?: number;
  /** Width of a tanh "pre-logits" layer before the head (none by default). */
  representationSize?: number | null;
  /** LayerNorm(eps=1e-6) by default. */
  normLayer?: NormLayerFactory;
  /** A convolutional stem instead of the patchify convolution. */
  convStemConfigs?: ConvStemConfig[] | null;
}

const VIT_POSITIONAL = [
  'dropout',
  'attentionDropout',
  'numClasses',
  'representationSize',
  'normLayer',
  'convStemConfigs',
] as const;

/** Vision Transformer: `new VisionTransformer(imageSize, patchSize, numLayers, numHeads, hiddenDim, mlpDim, ...)`. */
export class VisionTransformer extends nn.Module {
  conv_proj: nn.Conv2d | nn.Sequential;
  class_token: nn.Parameter;
  encoder: Encoder;
  heads: nn.Sequential;
  readonly imageSize: number;
  readonly patchSize: number;
  readonly hiddenDim: number;
  readonly mlpDim: number;
  readonly attentionDropout: number;
  readonly dropout: number;
  readonly numClasses: number;
  readonly representationSize: number | null;
  readonly seqLength: number;

  constructor(
    imageSize: number,
    patchSize: number,
    numLayers: number,
    numHeads: number,
    hiddenDim: number,
    mlpDim: number,
    ...args: WithOptions<
      [
        dropout: number,
        attentionDropout: number,
        numClasses: number,
        representationSize: number | null,
        normLayer: NormLayerFactory,
        convStemConfigs: ConvStemConfig[] | null,
      ],
      VisionTransformerOptions
    >
  ) {
    super();
    const o = bindArgs<VisionTransformerOptions>(args, VIT_POSITIONAL, 'VisionTransformer');
    this.imageSize = checkInt(imageSize, 'imageSize', 1);
    this.patchSize = checkInt(patchSize, 'patchSize', 1);
    if (imageSize % patchSize !== 0)
      throw rangeError(`an image size divisible by patchSize (${patchSize})`, 'imageSize', imageSize);
    this.hiddenDim = checkInt(hiddenDim, 'hiddenDim', 1);
    this.mlpDim = checkInt(mlpDim, 'mlpDim', 1);
    checkInt(numLayers, 'numLayers', 0);
    checkInt(numHeads, 'numHeads', 1);
    this.attentionDropout = checkNumber(o.attentionDropout ?? 0, 'attentionDropout');
    this.dropout = checkNumber(o.dropout ?? 0, 'dropout');
    this.numClasses = checkInt(o.numClasses ?? 1000, 'numClasses', 1);
    this.representationSize =
      o.representationSize === undefined || o.representationSize === null
        ? null
        : checkInt(o.representationSize, 'representationSize', 1);
    const normLayer = o.normLayer ?? layerNorm6;
    if (typeof normLayer !== 'function') throw typeError('a norm layer factory', 'normLayer', normLayer);

    if (o.convStemConfigs) {
      // As per https://arxiv.org/abs/2106.14881
      const seqProj = new nn.Sequential();
      let prev = 3;
      o.convStemConfigs.forEach((c, i) => {
        const cfg = checkOptions<ConvStemConfig>(c, `convStemConfigs[${i}]`, [
          'outChannels',
          'kernelSize',
          'stride',
          'normLayer',
          'activationLayer',
        ]) as ConvStemConfig;
        seqProj.registerModule(
          `conv_bn_relu_${i}`,
          new Conv2dNormActivation(prev, cfg.outChannels, {
            kernelSize: cfg.kernelSize,
            stride: cfg.stride,
            normLayer: cfg.normLayer ?? ((ch) => new nn.BatchNorm2d(ch)),
            activationLayer: cfg.activationLayer ?? relu,
          }),
        );
        prev = cfg.outChannels;
      });
      seqProj.registerModule('conv_last', new nn.Conv2d(prev, hiddenDim, 1));
      this.conv_proj = seqProj;
    } else {
      this.conv_proj = new nn.Conv2d(3, hiddenDim, patchSize, { stride: patchSize });
    }

    let seqLength = (imageSize / patchSize) ** 2;
    // A class token.
    this.class_token = new nn.Parameter(zeros([1, 1, hiddenDim]));
    seqLength += 1;
    this.encoder = new Encoder(
      seqLength,
      numLayers,
      numHeads,
      hiddenDim,
      mlpDim,
      this.dropout,
      this.attentionDropout,
      normLayer,
    );
    this.seqLength = seqLength;

    this.heads = new nn.Sequential();
    if (this.representationSize === null) this.heads.registerModule('head', new nn.Linear(hiddenDim, this.numClasses));
    else {
      this.heads.registerModule('pre_logits', new nn.Linear(hiddenDim, this.representationSize));
      this.heads.registerModule('act', new nn.Tanh());
      this.heads.registerModule('head', new nn.Linear(this.representationSize, this.numClasses));
    }

    if (this.conv_proj instanceof nn.Conv2d) {
      // The patchify stem.
      const c = this.conv_proj;
      const fanIn = c.inChannels * c.kernelSize[0] * c.kernelSize[1];
      nn.init.truncNormal_(c.weight, { std: Math.sqrt(1 / fanIn) });
      if (c.bias) nn.init.zeros_(c.bias);
    } else {
      // The last 1x1 conv of the conv stem.
      const last = (this.conv_proj as unknown as { conv_last: nn.Conv2d }).conv_last;
      nn.init.normal_(last.weight, 0, Math.sqrt(2.0 / last.outChannels));
      if (last.bias) nn.init.zeros_(last.bias);
    }
    const heads = this.heads as unknown as { pre_logits?: nn.Linear; head: nn.Linear };
    if (heads.pre_logits) {
      nn.init.truncNormal_(heads.pre_logits.weight, { std: Math.sqrt(1 / heads.pre_logits.inFeatures) });
      if (heads.pre_logits.bias) nn.init.zeros_(heads.pre_logits.bias);
    }
    nn.init.zeros_(heads.head.weight);
    if (heads.head.bias) nn.init.zeros_(heads.head.bias);
  }

  /** [n, c, h, w] images to [n, (h/p)*(w/p), hidden] patch embeddings. */
  processInput(x: Tensor): Tensor {
    const [n, , h, w] = x.shape;
    const p = this.patchSize;
    if (x.dim() !== 4 || h !== this.imageSize || w !== this.imageSize)
      throw rangeError(`[n, 3, ${this.imageSize}, ${this.imageSize}] images`, 'x', `[${x.shape}]`);
    const nH = Math.floor(h / p);
    const nW = Math.floor(w / p);
    // (n, c, h, w) -> (n, hidden_dim, n_h, n_w) -> (n, hidden_dim, n_h * n_w) -> (n, n_h * n_w, hidden_dim)
    let y = (this.conv_proj as Layer).forward(x);
    y = y.reshape(n, this.hiddenDim, nH * nW);
    return y.permute(0, 2, 1);
  }

  forward(x: Tensor): Tensor {
    x = this.processInput(x);
    const n = x.shape[0];
    // The class token, for the whole batch.
    const batchClassToken = this.class_token.expand(n, -1, -1);
    x = cat([batchClassToken, x], 1);
    x = this.encoder.forward(x);
    // The classifier "token", as language models use it.
    x = x.select(1, 0);
    return this.heads.forward(x);
  }
}

/** Options of the vit_* builders: VisionTransformer's options and the image size (224). */
export interface ViTBuilderOptions extends VisionTransformerOptions {
  imageSize?: number;
}

const BUILDER_KEYS = ['imageSize', ...VIT_POSITIONAL];

function visionTransformer(
  patchSize: number,
  numLayers: number,
  numHeads: number,
  hiddenDim: number,
  mlpDim: number,
  options: ViTBuilderOptions,
): VisionTransformer {
  const { imageSize, ...rest } = checkOptions<ViTBuilderOptions>(options, 'options', BUILDER_KEYS);
  return new VisionTransformer(imageSize ?? 224, patchSize, numLayers, numHeads, hiddenDim, mlpDim, rest);
}

/** ViT-B/16. */
export function vit_b_16(options: ViTBuilderOptions = {}): VisionTransformer {
  return visionTransformer(16, 12, 12, 768, 3072, options);
}
/** ViT-B/32. */
export function vit_b_32(options: ViTBuilderOptions = {}): VisionTransformer {
  return visionTransformer(32, 12, 12, 768, 3072, options);
}
/** ViT-L/16. */
export function vit_l_16(options: ViTBuilderOptions = {}): VisionTransformer {
  return visionTransformer(16, 24, 16, 1024, 4096, options);
}
/** ViT-L/32. */
export function vit_l_32(options: ViTBuilderOptions = {}): VisionTransformer {
  return visionTransformer(32, 24, 16, 1024, 4096, options);
}
/** ViT-H/14. */
export function vit_h_14(options: ViTBuilderOptions = {}): VisionTransformer {
  return visionTransformer(14, 32, 16, 1280, 5120, options);
}
