/**
 * nn.functional's `multiHeadAttentionForward`, a line-for-line port of torch/nn/functional.py's
 * multi_head_attention_forward (the path nn.MultiheadAttention takes outside its fast path);
 * the attention itself is ATen's `scaled_dot_product_attention` (`F.scaledDotProductAttention`).
 */
import { _nn } from '../torch/generated/functions';
import { zeros, zerosLike } from '../torch/creation';
import { cat } from '../torch/functions';
import { rangeError, TorchError, typeError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';
import { linear, softmax, dropout } from './functional';
import { pad } from './functional_misc';
import { bindArgs, bool, num, optTensorOf, tensorOf } from './functional_args';

/** A boolean mask as a float one (-inf where true), as PyTorch's `_canonical_mask`. */
export function canonicalMask(mask: Tensor | null, name: string, targetType: Tensor['dtype']): Tensor | null {
  if (mask === null) return null;
  if (mask.dtype !== 'bool' && !mask.isFloatingPoint())
    throw typeError('a bool or floating-point mask', name, `a ${mask.dtype} tensor`);
  if (mask.isFloatingPoint()) return mask;
  return zerosLike(mask, { dtype: targetType }).maskedFill_(mask, Number.NEGATIVE_INFINITY);
}

function sameShape(t: Tensor, shape: readonly number[]): boolean {
  return t.dim() === shape.length && t.shape.every((s, i) => s === shape[i]);
}

function inProjectionPacked(q: Tensor, k: Tensor, v: Tensor, w: Tensor, b: Tensor | null): Tensor[] {
  const E = q.size(-1);
  if (k === v) {
    if (q === k) {
      // self-attention; [3, E] rather than [E, 3], as PyTorch orders it.
      const proj = linear(q, w, b).unflatten(-1, [3, E]).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous();
      return [proj.select(0, 0), proj.select(0, 1), proj.select(0, 2)];
    }
    // encoder-decoder attention
    const [wQ, wKv] = w.split([E, E * 2]);
    const [bQ, bKv] = b === null ? [null, null] : b.split([E, E * 2]);
    const qProj = linear(q, wQ, bQ);
    const kvProj = linear(k, wKv, bKv).unflatten(-1, [2, E]).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous();
    return [qProj, kvProj.select(0, 0), kvProj.select(0, 1)];
  }
  const [wQ, wK, wV] = w.chunk(3);
  const [bQ, bK, bV] = b === null ? [null, null, null] : b.chunk(3);
  return [linear(q, wQ, bQ), linear(k, wK, bK), linear(v, wV, bV)];
}

function checkMhaShapes(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  keyPaddingMask: Tensor | null,
  attnMask: Tensor | null,
  numHeads: number,
): boolean {
  const batched = query.dim() === 3;
  if (!batched && query.dim() !== 2)
    throw rangeError('an unbatched 2-D or batched 3-D tensor', 'query', `a ${query.dim()}-D tensor`);
  const d = batched ? 3 : 2;
  if (key.dim() !== d || value.dim() !== d)
    throw rangeError(`${d}-D key and value (query is ${d}-D)`, 'key, value', `${key.dim()}-D and ${value.dim()}-D`);
  if (keyPaddingMask !== null && keyPaddingMask.dim() !== d - 1)
    throw rangeError(`a ${d - 1}-D keyPaddingMask`, 'keyPaddingMask', `a ${keyPaddingMask.dim()}-D tensor`);
  if (attnMask !== null && attnMask.dim() !== 2 && attnMask.dim() !== 3)
    throw rangeError('a 2-D or 3-D attnMask', 'attnMask', `a ${attnMask.dim()}-D tensor`);
  if (!batched && attnMask !== null && attnMask.dim() === 3) {
    const expected = [numHeads, query.shape[0], key.shape[0]];
    if (!sameShape(attnMask, expected)) throw rangeError(`shape [${expected}]`, 'attnMask', `[${attnMask.shape}]`);
  }
  return batched;
}

/** Options of {@link multiHeadAttentionForward} after its 13 leading arguments. */
export interface MultiHeadAttentionForwardOptions {
  training?: boolean;
  keyPaddingMask?: Tensor | null;
  needWeights?: boolean;
  attnMask?: Tensor | null;
  useSeparateProjWeight?: boolean;
  qProjWeight?: Tensor | null;
  kProjWeight?: Tensor | null;
  vProjWeight?: Tensor | null;
  staticK?: Tensor | null;
  staticV?: Tensor | null;
  averageAttnWeights?: boolean;
  isCausal?: boolean;
}

/**
 * Multi-head attention with packed (or separate) input projections, PyTorch's
 * `F.multi_head_attention_forward`. Inputs are [L, N, E] (or unbatched [L, E]); returns the
 * output and, when `needWeights`, the attention weights ([N, L, S], averaged over heads when
 * `averageAttnWeights`, else [N, heads, L, S]); without weights the attention runs in
 * `F.scaledDotProductAttention`.
 */
export function multiHeadAttentionForward(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  embedDimToCheck: number,
  numHeads: number,
  inProjWeight: Tensor | null,
  inProjBias: Tensor | null,
  biasK: Tensor | null,
  biasV: Tensor | null,
  addZeroAttn: boolean,
  dropoutP: number,
  outProjWeight: Tensor,
  outProjBias: Tensor | null,
  options?: MultiHeadAttentionForwardOptions,
): [Tensor, Tensor | null];
export function multiHeadAttentionForward(...args: unknown[]): [Tensor, Tensor | null] {
  const req = [
    'query',
    'key',
    'value',
    'embedDimToCheck',
    'numHeads',
    'inProjWeight',
    'inProjBias',
    'biasK',
    'biasV',
    'addZeroAttn',
    'dropoutP',
    'outProjWeight',
    'outProjBias',
  ];
  // Nullable leading arguments are bound as optional so that `null` passes the required check.
  const a = bindArgs('multiHeadAttentionForward', args, req.slice(0, 5), {
    inProjWeight: null as unknown,
    inProjBias: null as unknown,
    biasK: null as unknown,
    biasV: null as unknown,
    addZeroAttn: undefined as unknown,
    dropoutP: undefined as unknown,
    outProjWeight: undefined as unknown,
    outProjBias: null as unknown,
    training: true,
    keyPaddingMask: null as unknown,
    needWeights: true,
    attnMask: null as unknown,
    useSeparateProjWeight: false,
    qProjWeight: null as unknown,
    kProjWeight: null as unknown,
    vProjWeight: null as unknown,
    staticK: null as unknown,
    staticV: null as unknown,
    averageAttnWeights: true,
    isCausal: false,
  });
  for (const r of ['addZeroAttn', 'dropoutP', 'outProjWeight'])
    if (a[r] === undefined)
      throw new TypeError(`Expected a value for ${r} of F.multiHeadAttentionForward but received nothing`);
  let query = tensorOf(a.query, 'query');
  let key = tensorOf(a.key, 'key');
  let value = tensorOf(a.value, 'value');
  const embedDimToCheck = num(a.embedDimToCheck, 'embedDimToCheck');
  const numHeads = num(a.numHeads, 'numHeads');
  if (!Number.isInteger(numHeads) || numHeads < 1) throw rangeError('a positive integer', 'numHeads', numHeads);
  const inProjWeight = optTensorOf(a.inProjWeight, 'inProjWeight');
  const inProjBias = optTensorOf(a.inProjBias, 'inProjBias');
  const biasK = optTensorOf(a.biasK, 'biasK');
  const biasV = optTensorOf(a.biasV, 'biasV');
  const addZeroAttn = bool(a.addZeroAttn, 'addZeroAttn');
  let dropoutP = num(a.dropoutP, 'dropoutP');
  const outProjWeight = tensorOf(a.outProjWeight, 'outProjWeight');
  const outProjBias = optTensorOf(a.outProjBias, 'outProjBias');
  const training = bool(a.training, 'training');
  let keyPaddingMask = optTensorOf(a.keyPaddingMask, 'keyPaddingMask');
  const needWeights = bool(a.needWeights, 'needWeights');
  let attnMask = optTensorOf(a.attnMask, 'attnMask');
  const separate = bool(a.useSeparateProjWeight, 'useSeparateProjWeight');
  const staticK = optTensorOf(a.staticK, 'staticK');
  const staticV = optTensorOf(a.staticV, 'staticV');
  const average = bool(a.averageAttnWeights, 'averageAttnWeights');
  let isCausal = bool(a.isCausal, 'isCausal');

  const batched = checkMhaShapes(query, key, value, keyPaddingMask, attnMask, numHeads);
  if (!batched) {
    // Unbatched input: a batch of one, squeezed again at the end. As in PyTorch, the three
    // become distinct tensors, so the in-projection below takes its three-linear path.
    query = query.unsqueeze(1);
    key = key.unsqueeze(1);
    value = value.unsqueeze(1);
    if (keyPaddingMask !== null) keyPaddingMask = keyPaddingMask.unsqueeze(0);
  }
  const [tgtLen, bsz, embedDim] = query.shape;
  let srcLen = key.shape[0];
  keyPaddingMask = canonicalMask(keyPaddingMask, 'keyPaddingMask', query.dtype);
  if (isCausal && attnMask === null)
    throw new TorchError(
      'Need attn_mask if specifying the is_causal hint. You may use the Transformer module method `generate_square_subsequent_mask` to create this mask.',
    );
  if (isCausal && keyPaddingMask === null && !needWeights) {
    // Without a padding mask or weights, SDPA takes the causal hint itself.
    attnMask = null;
  } else {
    attnMask = canonicalMask(attnMask, 'attnMask', query.dtype);
    if (keyPaddingMask !== null) isCausal = false;
  }
  if (embedDim !== embedDimToCheck) throw rangeError(`embedding dimension ${embedDimToCheck}`, 'query', embedDim);
  const headDim = Math.floor(embedDim / numHeads);
  if (headDim * numHeads !== embedDim)
    throw rangeError(`embedDim divisible by numHeads (${numHeads})`, 'embedDim', embedDim);
  if (separate) {
    if (key.shape[0] !== value.shape[0] || key.shape[1] !== value.shape[1])
      throw rangeError(`value's sequence and batch dims [${key.shape.slice(0, 2)}]`, 'value', `[${value.shape}]`);
  } else if (!sameShape(value, key.shape)) {
    throw rangeError(`value shaped like key [${key.shape}]`, 'value', `[${value.shape}]`);
  }

  // in-projection
  let q: Tensor;
  let k: Tensor;
  let v: Tensor;
  if (!separate) {
    if (inProjWeight === null) throw typeError('a Tensor (useSeparateProjWeight is false)', 'inProjWeight', null);
    [q, k, v] = inProjectionPacked(query, key, value, inProjWeight, inProjBias);
  } else {
    const wQ = optTensorOf(a.qProjWeight, 'qProjWeight');
    const wK = optTensorOf(a.kProjWeight, 'kProjWeight');
    const wV = optTensorOf(a.vProjWeight, 'vProjWeight');
    if (wQ === null || wK === null || wV === null)
      throw typeError('q/k/vProjWeight tensors (useSeparateProjWeight is true)', 'qProjWeight', null);
    const Eq = query.size(-1);
    if (!sameShape(wQ, [Eq, Eq])) throw rangeError(`shape [${Eq}, ${Eq}]`, 'qProjWeight', `[${wQ.shape}]`);
    if (!sameShape(wK, [Eq, key.size(-1)]))
      throw rangeError(`shape [${Eq}, ${key.size(-1)}]`, 'kProjWeight', `[${wK.shape}]`);
    if (!sameShape(wV, [Eq, value.size(-1)]))
      throw rangeError(`shape [${Eq}, ${value.size(-1)}]`, 'vProjWeight', `[${wV.shape}]`);
    const [bQ, bK, bV] = inProjBias === null ? [null, null, null] : inProjBias.chunk(3);
    [q, k, v] = [linear(query, wQ, bQ), linear(key, wK, bK), linear(value, wV, bV)];
  }

  // attention mask, 3-D
  if (attnMask !== null) {
    if (attnMask.dim() === 2) {
      if (!sameShape(attnMask, [tgtLen, srcLen]))
        throw new TorchError(
          `The shape of the 2D attn_mask is [${attnMask.shape}], but should be [${tgtLen}, ${srcLen}].`,
        );
      attnMask = attnMask.unsqueeze(0);
    } else if (!sameShape(attnMask, [bsz * numHeads, tgtLen, srcLen])) {
      throw new TorchError(
        `The shape of the 3D attn_mask is [${attnMask.shape}], but should be [${bsz * numHeads}, ${tgtLen}, ${srcLen}].`,
      );
    }
  }

  // bias along the batch dimension (still second)
  if (biasK !== null && biasV !== null) {
    if (staticK !== null || staticV !== null) throw new TorchError('bias cannot be added to static key or value.');
    k = cat([k, biasK.repeat(1, bsz, 1)]);
    v = cat([v, biasV.repeat(1, bsz, 1)]);
    if (attnMask !== null) attnMask = pad(attnMask, [0, 1]);
    if (keyPaddingMask !== null) keyPaddingMask = pad(keyPaddingMask, [0, 1]);
  } else if (biasK !== null || biasV !== null) {
    throw typeError('biasK and biasV both given or both null', biasK === null ? 'biasK' : 'biasV', null);
  }

  // heads batch-first
  q = q.view(tgtLen, bsz * numHeads, headDim).transpose(0, 1);
  if (staticK === null) k = k.view(k.shape[0], bsz * numHeads, headDim).transpose(0, 1);
  else {
    if (staticK.size(0) !== bsz * numHeads || staticK.size(2) !== headDim)
      throw rangeError(`shape [${bsz * numHeads}, *, ${headDim}]`, 'staticK', `[${staticK.shape}]`);
    k = staticK;
  }
  if (staticV === null) v = v.view(v.shape[0], bsz * numHeads, headDim).transpose(0, 1);
  else {
    if (staticV.size(0) !== bsz * numHeads || staticV.size(2) !== headDim)
      throw rangeError(`shape [${bsz * numHeads}, *, ${headDim}]`, 'staticV', `[${staticV.shape}]`);
    v = staticV;
  }

  // zero attention along the batch dimension (now first)
  if (addZeroAttn) {
    const shape = [bsz * numHeads, 1, headDim];
    k = cat([k, zeros(shape, { dtype: k.dtype, device: k.device })], 1);
    v = cat([v, zeros(shape, { dtype: v.dtype, device: v.device })], 1);
    if (attnMask !== null) attnMask = pad(attnMask, [0, 1]);
    if (keyPaddingMask !== null) keyPaddingMask = pad(keyPaddingMask, [0, 1]);
  }
  srcLen = k.size(1);

  // merge key padding and attention masks
  if (keyPaddingMask !== null) {
    if (keyPaddingMask.shape[0] !== bsz || keyPaddingMask.shape[1] !== srcLen)
      throw rangeError(`shape [${bsz}, ${srcLen}]`, 'keyPaddingMask', `[${keyPaddingMask.shape}]`);
    const kpm = keyPaddingMask
      .view(bsz, 1, 1, srcLen)
      .expand(-1, numHeads, -1, -1)
      .reshape(bsz * numHeads, 1, srcLen);
    attnMask = attnMask === null ? kpm : attnMask.add(kpm);
  }
  if (!training) dropoutP = 0;

  if (needWeights) {
    const E = q.shape[2];
    const qScaled = q.mul(Math.sqrt(1.0 / E));
    if (isCausal && attnMask === null) throw new TorchError('is_causal is not implemented for need_weights');
    let weights = attnMask !== null ? attnMask.baddbmm(qScaled, k.transpose(-2, -1)) : qScaled.bmm(k.transpose(-2, -1));
    weights = softmax(weights, -1);
    if (dropoutP > 0) weights = dropout(weights, dropoutP);
    let out = weights.bmm(v);
    out = out.transpose(0, 1).reshape(tgtLen * bsz, embedDim);
    out = linear(out, outProjWeight, outProjBias);
    out = out.view(tgtLen, bsz, out.size(1));
    weights = weights.view(bsz, numHeads, tgtLen, srcLen);
    if (average) weights = weights.mean(1);
    if (!batched) {
      out = out.squeeze(1);
      weights = weights.squeeze(0);
    }
    return [out, weights];
  }
  if (attnMask !== null) {
    attnMask =
      attnMask.size(0) === 1 && attnMask.dim() === 3 ? attnMask.unsqueeze(0) : attnMask.view(bsz, numHeads, -1, srcLen);
  }
  q = q.view(bsz, numHeads, tgtLen, headDim);
  k = k.view(bsz, numHeads, srcLen, headDim);
  v = v.view(bsz, numHeads, srcLen, headDim);
  let out = _nn.scaledDotProductAttention(q, k, v, attnMask, dropoutP, isCausal);
  out = out.permute(2, 0, 1, 3).reshape(bsz * tgtLen, embedDim);
  out = linear(out, outProjWeight, outProjBias);
  out = out.view(tgtLen, bsz, out.size(1));
  if (!batched) out = out.squeeze(1);
  return [out, null];
}
