/**
 * ConvNeXt Tiny/Small/Base/Large, mirroring torchvision/models/convnext.py (A ConvNet for the
 * 2020s, https://arxiv.org/abs/2201.03545): the same classes, configurations, names and
 * initialisation, so `stateDict()` keys are torchvision's.
 */
import { layerNorm } from '../../nn/functional_misc';
import * as nn from '../../nn/index';
import { bindArgs, type WithOptions } from '../../torch/args';
import { ones } from '../../torch/creation';
import { checkInt, checkNumber, checkOptions, checkProbability, typeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import { Conv2dNormActivation, type NormLayerFactory, Permute } from '../ops/misc';
import { StochasticDepth } from '../ops/stochastic_depth';

type Layer = nn.Module & { forward(x: Tensor): Tensor };

/** LayerNorm over the channels of an NCHW tensor (permuted to NHWC and back). */
export class LayerNorm2d extends nn.LayerNorm {
  override forward(x: Tensor): Tensor {
    x = x.permute(0, 2, 3, 1);
    x = layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
    x = x.permute(0, 3, 1, 2);
    return x;
  }
}

/** ConvNeXt's block: depthwise 7x7, LayerNorm, 4x MLP with GELU, layer scale, stochastic depth, residual. */
export class CNBlock extends nn.Module {
  block: nn.Sequential;
  layer_scale: nn.Parameter;
  stochastic_depth: StochasticDepth;

  constructor(dim: number, layerScale: number, stochasticDepthProb: number, normLayer: NormLayerFactory | null = null) {
    super();
    checkInt(dim, 'dim', 1);
    const norm = normLayer ?? ((n: number) => new nn.LayerNorm(n, { eps: 1e-6 }));
    this.block = new nn.Sequential(
      new nn.Conv2d(dim, dim, 7, { padding: 3, groups: dim, bias: true }),
      new Permute([0, 2, 3, 1]),
      norm(dim),
      new nn.Linear(dim, 4 * dim, { bias: true }),
      new nn.GELU(),
      new nn.Linear(4 * dim, dim, { bias: true }),
      new Permute([0, 3, 1, 2]),
    );
    this.layer_scale = new nn.Parameter(ones([dim, 1, 1]).mul(checkNumber(layerScale, 'layerScale')));
    this.stochastic_depth = new StochasticDepth(stochasticDepthProb, 'row');
  }

  forward(input: Tensor): Tensor {
    let result = this.layer_scale.mul(this.block.forward(input));
    result = this.stochastic_depth.forward(result);
    result.add_(input);
    return result;
  }
}

/** One stage, as Section 3 of the ConvNeXt paper lists them: width, width after downsampling (null for the last), depth. */
export class CNBlockConfig {
  constructor(
    readonly inputChannels: number,
    readonly outChannels: number | null,
    readonly numLayers: number,
  ) {
    checkInt(inputChannels, 'inputChannels', 1);
    if (outChannels !== null) checkInt(outChannels, 'outChannels', 1);
    checkInt(numLayers, 'numLayers', 1);
  }

  /** `CNBlockConfig(input_channels=96, out_channels=192, num_layers=3)`, as torchvision prints it. */
  toString(): string {
    return `CNBlockConfig(input_channels=${this.inputChannels}, out_channels=${this.outChannels ?? 'None'}, num_layers=${this.numLayers})`;
  }
}

/** A ConvNeXt block class: built from (dim, layerScale, stochasticDepthProb). */
export type CNBlockType = new (dim: number, layerScale: number, stochasticDepthProb: number) => Layer;

/** ConvNeXt's optional arguments after the block settings, in torchvision's order. */
export interface ConvNeXtOptions {
  /** Stochastic depth of the last block, scaled linearly from 0 for the first (default 0). */
  stochasticDepthProb?: number;
  /** Initial layer scale (default 1e-6). */
  layerScale?: number;
  /** Default 1000. */
  numClasses?: number;
  /** The block class (default CNBlock). */
  block?: CNBlockType | null;
  /** The stem's, downsamplings' and classifier's normalisation (default LayerNorm2d with eps 1e-6). */
  normLayer?: NormLayerFactory | null;
}

/** ConvNeXt. Initialisation as torchvision: convolutions and linear layers truncated normal (std 0.02), zero biases. */
export class ConvNeXt extends nn.Module {
  features: nn.Sequential;
  avgpool: nn.AdaptiveAvgPool2d;
  classifier: nn.Sequential;

  constructor(
    blockSetting: readonly CNBlockConfig[],
    ...args: WithOptions<
      [
        stochasticDepthProb: number,
        layerScale: number,
        numClasses: number,
        block: ConvNeXtOptions['block'],
        normLayer: ConvNeXtOptions['normLayer'],
      ],
      ConvNeXtOptions
    >
  ) {
    super();
    const o = bindArgs<ConvNeXtOptions>(
      args,
      ['stochasticDepthProb', 'layerScale', 'numClasses', 'block', 'normLayer'],
      'ConvNeXt',
    );
    if (!Array.isArray(blockSetting) || blockSetting.length === 0)
      throw typeError('a non-empty list of CNBlockConfig', 'blockSetting', blockSetting);
    if (!blockSetting.every((s) => s instanceof CNBlockConfig))
      throw typeError('a list of CNBlockConfig', 'blockSetting', blockSetting);
    const stochasticDepthProb = checkProbability(o.stochasticDepthProb ?? 0.0, 'stochasticDepthProb');
    const layerScale = checkNumber(o.layerScale ?? 1e-6, 'layerScale');
    const numClasses = checkInt(o.numClasses ?? 1000, 'numClasses', 1);
    const block = o.block ?? CNBlock;
    const normLayer: NormLayerFactory = o.normLayer ?? ((n: number) => new LayerNorm2d(n, { eps: 1e-6 }));

    const layers: nn.Module[] = [];
    // Stem
    const firstconvOutputChannels = blockSetting[0].inputChannels;
    layers.push(
      new Conv2dNormActivation(3, firstconvOutputChannels, {
        kernelSize: 4,
        stride: 4,
        padding: 0,
        normLayer,
        activationLayer: null,
        bias: true,
      }),
    );

    const totalStageBlocks = blockSetting.reduce((n, cnf) => n + cnf.numLayers, 0);
    let stageBlockId = 0;
    for (const cnf of blockSetting) {
      // Bottlenecks
      const stage: nn.Module[] = [];
      for (let i = 0; i < cnf.numLayers; i++) {
        // adjust stochastic depth probability based on the depth of the stage block
        const sdProb = (stochasticDepthProb * stageBlockId) / (totalStageBlocks - 1.0);
        stage.push(new block(cnf.inputChannels, layerScale, sdProb));
        stageBlockId++;
      }
      layers.push(new nn.Sequential(...stage));
      if (cnf.outChannels !== null) {
        // Downsampling
        layers.push(
          new nn.Sequential(
            normLayer(cnf.inputChannels),
            new nn.Conv2d(cnf.inputChannels, cnf.outChannels, 2, { stride: 2 }),
          ),
        );
      }
    }

    this.features = new nn.Sequential(...layers);
    this.avgpool = new nn.AdaptiveAvgPool2d(1);

    const lastblock = blockSetting[blockSetting.length - 1];
    const lastconvOutputChannels = lastblock.outChannels ?? lastblock.inputChannels;
    this.classifier = new nn.Sequential(
      normLayer(lastconvOutputChannels),
      new nn.Flatten(1),
      new nn.Linear(lastconvOutputChannels, numClasses),
    );

    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d || m instanceof nn.Linear) {
        nn.init.truncNormal_(m.weight, { std: 0.02 });
        if (m.bias) nn.init.zeros_(m.bias);
      }
    }
  }

  forward(x: Tensor): Tensor {
    x = this.features.forward(x);
    x = this.avgpool.forward(x);
    x = this.classifier.forward(x);
    return x;
  }
}

/** What the ConvNeXt builders accept (`stochasticDepthProb` defaults per model: 0.1, 0.4, 0.5, 0.5). */
export type ConvNeXtBuilderOptions = ConvNeXtOptions;

function convnext(
  setting: [number, number | null, number][],
  sdProb: number,
  options: ConvNeXtBuilderOptions,
): ConvNeXt {
  const o = checkOptions<ConvNeXtBuilderOptions>(options);
  const blockSetting = setting.map(([i, out, n]) => new CNBlockConfig(i, out, n));
  return new ConvNeXt(blockSetting, { ...o, stochasticDepthProb: o.stochasticDepthProb ?? sdProb });
}

/** ConvNeXt Tiny. */
export function convnext_tiny(options: ConvNeXtBuilderOptions = {}): ConvNeXt {
  return convnext(
    [
      [96, 192, 3],
      [192, 384, 3],
      [384, 768, 9],
      [768, null, 3],
    ],
    0.1,
    options,
  );
}
/** ConvNeXt Small. */
export function convnext_small(options: ConvNeXtBuilderOptions = {}): ConvNeXt {
  return convnext(
    [
      [96, 192, 3],
      [192, 384, 3],
      [384, 768, 27],
      [768, null, 3],
    ],
    0.4,
    options,
  );
}
/** ConvNeXt Base. */
export function convnext_base(options: ConvNeXtBuilderOptions = {}): ConvNeXt {
  return convnext(
    [
      [128, 256, 3],
      [256, 512, 3],
      [512, 1024, 27],
      [1024, null, 3],
    ],
    0.5,
    options,
  );
}
/** ConvNeXt Large. */
export function convnext_large(options: ConvNeXtBuilderOptions = {}): ConvNeXt {
  return convnext(
    [
      [192, 384, 3],
      [384, 768, 3],
      [768, 1536, 27],
      [1536, null, 3],
    ],
    0.5,
    options,
  );
}
