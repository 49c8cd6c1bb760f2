/**
 * nn.MultiheadAttention, after torch/nn/modules/activation.py: the same parameters under the
 * same names (`in_proj_weight`, `in_proj_bias`, `q/k/v_proj_weight`, `bias_k`, `bias_v`,
 * `out_proj`), initialisation, fast path and forward.
 */
import { bindArgs, type WithOptions } from '../../torch/args';
import { isAutocastEnabled } from '../../torch/amp/autocast';
import { isGradEnabled } from '../../torch/autograd';
import { _nativeMultiHeadAttention } from '../../torch/generated/functions';
import { checkBool, checkInt, rangeError } from '../../torch/errors';
import { Tensor } from '../../torch/tensor';
import { canonicalMask, multiHeadAttentionForward } from '../functional_attention';
import * as init from '../init';
import { Module } from '../module';
import type { Parameter } from '../parameter';
import { emptyParameter, type FactoryOptions } from './factory';
import { Linear } from './linear';

/** A Linear under PyTorch's name for MultiheadAttention's output projection (it prints so). */
export class NonDynamicallyQuantizableLinear extends Linear {}

export interface MultiheadAttentionOptions extends FactoryOptions {
  dropout?: number;
  bias?: boolean;
  addBiasKv?: boolean;
  addZeroAttn?: boolean;
  kdim?: number | null;
  vdim?: number | null;
  batchFirst?: boolean;
}

/** Options of {@link MultiheadAttention.forward} after (query, key, value). */
export interface MultiheadAttentionForwardOptions {
  keyPaddingMask?: Tensor | null;
  needWeights?: boolean;
  attnMask?: Tensor | null;
  averageAttnWeights?: boolean;
  isCausal?: boolean;
}

const MHA_POSITIONAL = ['dropout', 'bias', 'addBiasKv', 'addZeroAttn', 'kdim', 'vdim', 'batchFirst'] as const;
const MHA_KEYS = [...MHA_POSITIONAL, 'device', 'dtype'] as const;
const FORWARD_POSITIONAL = ['keyPaddingMask', 'needWeights', 'attnMask', 'averageAttnWeights', 'isCausal'] as const;

/**
 * Multi-head attention (Attention Is All You Need): `new nn.MultiheadAttention(embedDim,
 * numHeads, dropout, bias, addBiasKv, addZeroAttn, kdim, vdim, batchFirst)`, optional
 * arguments positional in PyTorch's order or named. `forward(query, key, value, ...)` returns
 * `[output, weights]` (weights null when `needWeights` is false). In eval mode with grad off
 * (or no parameter needing it), batch-first self-attention takes PyTorch's fast path
 * (`_native_multi_head_attention`) under PyTorch's conditions.
 */
export class MultiheadAttention extends Module {
  declare q_proj_weight: Parameter | null;
  declare k_proj_weight: Parameter | null;
  declare v_proj_weight: Parameter | null;
  declare in_proj_weight: Parameter | null;
  declare in_proj_bias: Parameter | null;
  out_proj: NonDynamicallyQuantizableLinear;
  declare bias_k: Parameter | null;
  declare bias_v: Parameter | null;
  readonly embedDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly numHeads: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly headDim: number;
  readonly addZeroAttn: boolean;
  private readonly qkvSameEmbedDim: boolean;

  constructor(
    embedDim: number,
    numHeads: number,
    ...args: WithOptions<
      [
        dropout: number,
        bias: boolean,
        addBiasKv: boolean,
        addZeroAttn: boolean,
        kdim: number | null,
        vdim: number | null,
        batchFirst: boolean,
      ],
      MultiheadAttentionOptions
    >
  ) {
    super();
    const o = bindArgs<MultiheadAttentionOptions>(args, MHA_POSITIONAL, 'MultiheadAttention', MHA_KEYS);
    this.embedDim = checkInt(embedDim, 'embedDim', 1);
    this.numHeads = checkInt(numHeads, 'numHeads', 1);
    this.kdim = o.kdim === undefined || o.kdim === null ? embedDim : checkInt(o.kdim, 'kdim', 1);
    this.vdim = o.vdim === undefined || o.vdim === null ? embedDim : checkInt(o.vdim, 'vdim', 1);
    this.qkvSameEmbedDim = this.kdim === embedDim && this.vdim === embedDim;
    const p = o.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw rangeError('a probability between 0 and 1', 'dropout', p);
    this.dropout = p;
    this.batchFirst = checkBool(o.batchFirst ?? false, 'batchFirst');
    this.headDim = Math.floor(embedDim / numHeads);
    if (this.headDim * numHeads !== embedDim)
      throw rangeError(`embedDim divisible by numHeads (${numHeads})`, 'embedDim', embedDim);
    if (!this.qkvSameEmbedDim) {
      this.registerParameter('q_proj_weight', emptyParameter([embedDim, embedDim], o));
      this.registerParameter('k_proj_weight', emptyParameter([embedDim, this.kdim], o));
      this.registerParameter('v_proj_weight', emptyParameter([embedDim, this.vdim], o));
      this.registerParameter('in_proj_weight', null);
    } else {
      this.registerParameter('in_proj_weight', emptyParameter([3 * embedDim, embedDim], o));
      this.registerParameter('q_proj_weight', null);
      this.registerParameter('k_proj_weight', null);
      this.registerParameter('v_proj_weight', null);
    }
    const bias = checkBool(o.bias ?? true, 'bias');
    this.registerParameter('in_proj_bias', bias ? emptyParameter([3 * embedDim], o) : null);
    this.out_proj = new NonDynamicallyQuantizableLinear(embedDim, embedDim, {
      bias,
      device: o.device,
      dtype: o.dtype,
    });
    if (checkBool(o.addBiasKv ?? false, 'addBiasKv')) {
      this.registerParameter('bias_k', emptyParameter([1, 1, embedDim], o));
      this.registerParameter('bias_v', emptyParameter([1, 1, embedDim], o));
    } else {
      this.registerParameter('bias_k', null);
      this.registerParameter('bias_v', null);
    }
    this.addZeroAttn = checkBool(o.addZeroAttn ?? false, 'addZeroAttn');
    this.resetParameters();
  }

  /** PyTorch's `_reset_parameters`: xavier-uniform projections, zero biases, xavier-normal bias_k/v. */
  resetParameters(): void {
    if (this.in_proj_weight) init.xavierUniform_(this.in_proj_weight);
    else {
      init.xavierUniform_(this.q_proj_weight as Parameter);
      init.xavierUniform_(this.k_proj_weight as Parameter);
      init.xavierUniform_(this.v_proj_weight as Parameter);
    }
    if (this.in_proj_bias) {
      init.constant_(this.in_proj_bias, 0);
      if (this.out_proj.bias) init.constant_(this.out_proj.bias, 0);
    }
    if (this.bias_k) init.xavierNormal_(this.bias_k);
    if (this.bias_v) init.xavierNormal_(this.bias_v);
  }

  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    ...args: WithOptions<
      [
        keyPaddingMask: Tensor | null,
        needWeights: boolean,
        attnMask: Tensor | null,
        averageAttnWeights: boolean,
        isCausal: boolean,
      ],
      MultiheadAttentionForwardOptions
    >
  ): [Tensor, Tensor | null] {
    const o = bindArgs<MultiheadAttentionForwardOptions>(args, FORWARD_POSITIONAL, 'MultiheadAttention.forward');
    for (const [name, t] of [
      ['query', query],
      ['key', key],
      ['value', value],
    ] as const)
      if (!(t instanceof Tensor)) throw new TypeError(`Expected a Tensor for ${name}`);
    const needWeights = checkBool(o.needWeights ?? true, 'needWeights');
    const average = checkBool(o.averageAttnWeights ?? true, 'averageAttnWeights');
    const isCausal = checkBool(o.isCausal ?? false, 'isCausal');
    let keyPaddingMask = o.keyPaddingMask ?? null;
    let attnMask = o.attnMask ?? null;
    for (const [name, t] of [
      ['keyPaddingMask', keyPaddingMask],
      ['attnMask', attnMask],
    ] as const)
      if (t !== null && !(t instanceof Tensor)) throw new TypeError(`Expected a Tensor or null for ${name}`);
    const floatMask = attnMask?.isFloatingPoint() || keyPaddingMask?.isFloatingPoint();
    const batched = query.dim() === 3;
    keyPaddingMask = canonicalMask(keyPaddingMask, 'keyPaddingMask', query.dtype);
    attnMask = canonicalMask(attnMask, 'attnMask', query.dtype);

    const fast =
      !floatMask &&
      batched &&
      query === key &&
      key === value &&
      this.in_proj_weight !== null &&
      this.in_proj_bias !== null &&
      this.out_proj.bias !== null &&
      query.dtype === this.in_proj_weight.dtype &&
      query.dtype === this.in_proj_bias.dtype &&
      !this.training &&
      this.numHeads % 2 === 0 &&
      this.batchFirst &&
      this.bias_k === null &&
      this.bias_v === null &&
      !this.addZeroAttn &&
      !isAutocastEnabled() &&
      !(
        isGradEnabled() &&
        [query, this.in_proj_weight, this.in_proj_bias, this.out_proj.weight, this.out_proj.bias].some(
          (t) => t.requiresGrad,
        )
      );
    if (fast) {
      const [mask, maskType] = this.mergeMasks(attnMask, keyPaddingMask, query);
      const [out, weights] = _nativeMultiHeadAttention(
        query,
        key,
        value,
        this.embedDim,
        this.numHeads,
        this.in_proj_weight as Parameter,
        this.in_proj_bias as Parameter,
        this.out_proj.weight,
        this.out_proj.bias as Parameter,
        mask,
        needWeights,
        average,
        maskType,
      );
      return [out, needWeights ? weights : null];
    }
    if (this.batchFirst && batched) {
      if (key === value) {
        if (query === key) query = key = value = query.transpose(1, 0);
        else {
          query = query.transpose(1, 0);
          key = value = key.transpose(1, 0);
        }
      } else [query, key, value] = [query.transpose(1, 0), key.transpose(1, 0), value.transpose(1, 0)];
    }
    const [out, weights] = multiHeadAttentionForward(
      query,
      key,
      value,
      this.embedDim,
      this.numHeads,
      this.in_proj_weight,
      this.in_proj_bias,
      this.bias_k,
      this.bias_v,
      this.addZeroAttn,
      this.dropout,
      this.out_proj.weight,
      this.out_proj.bias,
      {
        training: this.training,
        keyPaddingMask,
        needWeights,
        attnMask,
        useSeparateProjWeight: !this.qkvSameEmbedDim,
        qProjWeight: this.q_proj_weight,
        kProjWeight: this.k_proj_weight,
        vProjWeight: this.v_proj_weight,
        averageAttnWeights: average,
        isCausal,
      },
    );
    return [this.batchFirst && batched ? out.transpose(1, 0) : out, weights];
  }

  /** PyTorch's `merge_masks`: one mask for the fast path, and its type (0, 1 or 2). */
  mergeMasks(attnMask: Tensor | null, keyPaddingMask: Tensor | null, query: Tensor): [Tensor | null, number | null] {
    let maskType: number | null = null;
    let merged: Tensor | null = null;
    if (keyPaddingMask !== null) {
      maskType = 1;
      merged = keyPaddingMask;
    }
    if (attnMask !== null) {
      const [batchSize, seqLen] = query.shape;
      maskType = 2;
      const expanded =
        attnMask.dim() === 3
          ? attnMask.view(batchSize, -1, seqLen, seqLen)
          : attnMask.view(1, 1, seqLen, seqLen).expand(batchSize, this.numHeads, -1, -1);
      merged = expanded;
      if (keyPaddingMask !== null)
        merged = expanded.add(keyPaddingMask.view(batchSize, 1, 1, seqLen).expand(-1, this.numHeads, -1, -1));
    }
    return [merged, maskType];
  }
}
