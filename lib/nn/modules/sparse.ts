/** torch/nn/modules/sparse.py: Embedding and EmbeddingBag. */
import { bindArgs, type WithOptions } from '../../torch/args';
import { noGrad } from '../../torch/autograd';
import { checkBool, checkInt, checkNumber, rangeError } from '../../torch/errors';
import type { Tensor } from '../../torch/tensor';
import * as F from '../functional';
import * as init from '../init';
import { Module, pyFloat } from '../module';
import type { Parameter } from '../parameter';
import { emptyParameter, type FactoryOptions } from './factory';
import { pyBool } from './utils';

function paddingIndex(v: unknown, numEmbeddings: number): number | null {
  if (v === undefined || v === null) return null;
  const p = checkInt(v, 'paddingIdx');
  if (p >= numEmbeddings || p < -numEmbeddings)
    throw rangeError(`a paddingIdx within numEmbeddings (${numEmbeddings})`, 'paddingIdx', p);
  return p < 0 ? numEmbeddings + p : p;
}

export interface EmbeddingOptions extends FactoryOptions {
  paddingIdx?: number | null;
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  sparse?: boolean;
}
const EMBEDDING_POSITIONAL = ['paddingIdx', 'maxNorm', 'normType', 'scaleGradByFreq', 'sparse'] as const;

/** A lookup table of `numEmbeddings` vectors of size `embeddingDim`: `new nn.Embedding(10, 3, 0)`. */
export class Embedding extends Module {
  weight: Parameter;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  readonly maxNorm: number | null;
  readonly normType: number;
  readonly scaleGradByFreq: boolean;
  readonly sparse: boolean;
  constructor(
    numEmbeddings: number,
    embeddingDim: number,
    ...args: WithOptions<
      [paddingIdx: number | null, maxNorm: number | null, normType: number, scaleGradByFreq: boolean, sparse: boolean],
      EmbeddingOptions
    >
  ) {
    super();
    const o = bindArgs<EmbeddingOptions>(args, EMBEDDING_POSITIONAL, 'Embedding', [
      ...EMBEDDING_POSITIONAL,
      'device',
      'dtype',
    ]);
    this.numEmbeddings = checkInt(numEmbeddings, 'numEmbeddings', 0);
    this.embeddingDim = checkInt(embeddingDim, 'embeddingDim', 0);
    this.paddingIdx = paddingIndex(o.paddingIdx, numEmbeddings);
    this.maxNorm = o.maxNorm === undefined || o.maxNorm === null ? null : checkNumber(o.maxNorm, 'maxNorm');
    this.normType = checkNumber(o.normType ?? 2, 'normType');
    this.scaleGradByFreq = checkBool(o.scaleGradByFreq ?? false, 'scaleGradByFreq');
    this.weight = emptyParameter([numEmbeddings, embeddingDim], o);
    this.sparse = checkBool(o.sparse ?? false, 'sparse');
    this.resetParameters();
  }
  /** PyTorch's: normal(0, 1), the padding row zeroed. */
  resetParameters(): void {
    init.normal_(this.weight);
    if (this.paddingIdx !== null) {
      const p = this.paddingIdx;
      noGrad(() => this.weight.select(0, p).fill_(0));
    }
  }
  forward(input: Tensor): Tensor {
    return F.embedding(input, this.weight, {
      paddingIdx: this.paddingIdx,
      maxNorm: this.maxNorm,
      normType: this.normType,
      scaleGradByFreq: this.scaleGradByFreq,
      sparse: this.sparse,
    });
  }
  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    if (this.maxNorm !== null) s += `, max_norm=${pyFloat(this.maxNorm)}`;
    if (this.normType !== 2) s += `, norm_type=${pyFloat(this.normType)}`;
    if (this.scaleGradByFreq) s += ', scale_grad_by_freq=True';
    if (this.sparse) s += ', sparse=True';
    return s;
  }
}

type BagMode = 'sum' | 'mean' | 'max';
export interface EmbeddingBagOptions extends FactoryOptions {
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  mode?: BagMode;
  sparse?: boolean;
  includeLastOffset?: boolean;
  paddingIdx?: number | null;
}
const BAG_POSITIONAL = ['maxNorm', 'normType', 'scaleGradByFreq', 'mode', 'sparse'] as const;

/** Sums, means or maxes of bags of embeddings, without materialising the embeddings. */
export class EmbeddingBag extends Module {
  weight: Parameter;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly maxNorm: number | null;
  readonly normType: number;
  readonly scaleGradByFreq: boolean;
  readonly paddingIdx: number | null;
  readonly mode: BagMode;
  readonly sparse: boolean;
  readonly includeLastOffset: boolean;
  constructor(
    numEmbeddings: number,
    embeddingDim: number,
    ...args: WithOptions<
      [maxNorm: number | null, normType: number, scaleGradByFreq: boolean, mode: BagMode, sparse: boolean],
      EmbeddingBagOptions
    >
  ) {
    super();
    const o = bindArgs<EmbeddingBagOptions>(args, BAG_POSITIONAL, 'EmbeddingBag', [
      ...BAG_POSITIONAL,
      'includeLastOffset',
      'paddingIdx',
      'device',
      'dtype',
    ]);
    this.numEmbeddings = checkInt(numEmbeddings, 'numEmbeddings', 0);
    this.embeddingDim = checkInt(embeddingDim, 'embeddingDim', 0);
    this.maxNorm = o.maxNorm === undefined || o.maxNorm === null ? null : checkNumber(o.maxNorm, 'maxNorm');
    this.normType = checkNumber(o.normType ?? 2, 'normType');
    this.scaleGradByFreq = checkBool(o.scaleGradByFreq ?? false, 'scaleGradByFreq');
    this.paddingIdx = paddingIndex(o.paddingIdx, numEmbeddings);
    this.weight = emptyParameter([numEmbeddings, embeddingDim], o);
    const mode = o.mode ?? 'mean';
    if (mode !== 'sum' && mode !== 'mean' && mode !== 'max') throw rangeError("'sum', 'mean' or 'max'", 'mode', mode);
    this.mode = mode;
    this.sparse = checkBool(o.sparse ?? false, 'sparse');
    this.includeLastOffset = checkBool(o.includeLastOffset ?? false, 'includeLastOffset');
    this.resetParameters();
  }
  /** PyTorch's: normal(0, 1), the padding row zeroed. */
  resetParameters(): void {
    init.normal_(this.weight);
    if (this.paddingIdx !== null) {
      const p = this.paddingIdx;
      noGrad(() => this.weight.select(0, p).fill_(0));
    }
  }
  forward(input: Tensor, offsets: Tensor | null = null, perSampleWeights: Tensor | null = null): Tensor {
    return F.embeddingBag(input, this.weight, {
      offsets,
      maxNorm: this.maxNorm,
      normType: this.normType,
      scaleGradByFreq: this.scaleGradByFreq,
      mode: this.mode,
      sparse: this.sparse,
      perSampleWeights,
      includeLastOffset: this.includeLastOffset,
      paddingIdx: this.paddingIdx,
    });
  }
  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.maxNorm !== null) s += `, max_norm=${pyFloat(this.maxNorm)}`;
    if (this.normType !== 2) s += `, norm_type=${pyFloat(this.normType)}`;
    if (this.scaleGradByFreq) s += `, scale_grad_by_freq=${pyBool(true)}`;
    s += `, mode='${this.mode}'`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    return s;
  }
}
