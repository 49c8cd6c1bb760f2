/**
 * nn.functional normalisations, interpolation, sampling, embeddings, padding and patches,
 * following torch/nn/functional.py on the generated ops.
 */
import * as T from '../torch/generated/functions';
import { _nn } from '../torch/generated/functions';
import { noGrad } from '../torch/autograd';
import { arange } from '../torch/creation';
import { rangeError, typeError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';
import { bindArgs, bool, ntuple, num, optTensorOf, tensorOf } from './functional_args';
import { adaptiveAvgPool1d, adaptiveAvgPool3d, avgPool3d } from './functional_pooling';
import { adaptiveAvgPool2d, avgPool2d } from './functional';

// ---- normalisation -------------------------------------------------------------------

function backendsCudnn(): boolean {
  return true;
}

/** Normalises over the trailing `normalizedShape` dimensions. */
export function layerNorm(
  input: Tensor,
  normalizedShape: number | readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps?: number,
): Tensor;
export function layerNorm(
  input: Tensor,
  normalizedShape: number | readonly number[],
  options: { weight?: Tensor | null; bias?: Tensor | null; eps?: number },
): Tensor;
export function layerNorm(...args: unknown[]): Tensor {
  const a = bindArgs('layerNorm', args, ['input', 'normalizedShape'], {
    weight: null as unknown,
    bias: null as unknown,
    eps: 1e-5,
  });
  const shape = typeof a.normalizedShape === 'number' ? [a.normalizedShape] : (a.normalizedShape as number[]);
  return T.layerNorm(
    tensorOf(a.input, 'input'),
    shape,
    optTensorOf(a.weight, 'weight'),
    optTensorOf(a.bias, 'bias'),
    num(a.eps, 'eps'),
    backendsCudnn(),
  );
}

/** Root-mean-square normalisation over the trailing `normalizedShape` dimensions. */
export function rmsNorm(
  input: Tensor,
  normalizedShape: number | readonly number[],
  weight?: Tensor | null,
  eps?: number | null,
): Tensor;
export function rmsNorm(
  input: Tensor,
  normalizedShape: number | readonly number[],
  options: { weight?: Tensor | null; eps?: number | null },
): Tensor;
export function rmsNorm(...args: unknown[]): Tensor {
  const a = bindArgs('rmsNorm', args, ['input', 'normalizedShape'], { weight: null as unknown, eps: null as unknown });
  const shape = typeof a.normalizedShape === 'number' ? [a.normalizedShape] : (a.normalizedShape as number[]);
  return T.rmsNorm(tensorOf(a.input, 'input'), shape, optTensorOf(a.weight, 'weight'), a.eps as number | null);
}

/** Normalises each group of `numGroups` channels. */
export function groupNorm(
  input: Tensor,
  numGroups: number,
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps?: number,
): Tensor;
export function groupNorm(
  input: Tensor,
  numGroups: number,
  options: { weight?: Tensor | null; bias?: Tensor | null; eps?: number },
): Tensor;
export function groupNorm(...args: unknown[]): Tensor {
  const a = bindArgs('groupNorm', args, ['input', 'numGroups'], {
    weight: null as unknown,
    bias: null as unknown,
    eps: 1e-5,
  });
  const x = tensorOf(a.input, 'input');
  if (x.dim() < 2) throw rangeError('at least 2 dimensions', 'input', `a ${x.dim()}-d tensor`);
  return T.groupNorm(
    x,
    a.numGroups as number,
    optTensorOf(a.weight, 'weight'),
    optTensorOf(a.bias, 'bias'),
    num(a.eps, 'eps'),
    backendsCudnn(),
  );
}

type InstanceNormOptions = {
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  useInputStats?: boolean;
  momentum?: number;
  eps?: number;
};
/** Normalises each channel of each sample. */
export function instanceNorm(input: Tensor, options?: InstanceNormOptions): Tensor;
export function instanceNorm(...args: unknown[]): Tensor {
  const a = bindArgs('instanceNorm', args, ['input'], {
    runningMean: null as unknown,
    runningVar: null as unknown,
    weight: null as unknown,
    bias: null as unknown,
    useInputStats: true,
    momentum: 0.1,
    eps: 1e-5,
  });
  const x = tensorOf(a.input, 'input');
  if (bool(a.useInputStats, 'useInputStats')) {
    const spatial = x.shape.slice(2).reduce((s, v) => s * v, 1);
    if (spatial === 1) throw rangeError('more than 1 spatial element when training', 'input', `size [${x.shape}]`);
  }
  return T.instanceNorm(
    x,
    optTensorOf(a.weight, 'weight'),
    optTensorOf(a.bias, 'bias'),
    optTensorOf(a.runningMean, 'runningMean'),
    optTensorOf(a.runningVar, 'runningVar'),
    a.useInputStats as boolean,
    num(a.momentum, 'momentum'),
    num(a.eps, 'eps'),
    backendsCudnn(),
  );
}

/** Local response normalisation across channels (AlexNet). */
export function localResponseNorm(input: Tensor, size: number, alpha?: number, beta?: number, k?: number): Tensor;
export function localResponseNorm(
  input: Tensor,
  size: number,
  options: { alpha?: number; beta?: number; k?: number },
): Tensor;
export function localResponseNorm(...args: unknown[]): Tensor {
  const a = bindArgs('localResponseNorm', args, ['input', 'size'], { alpha: 1e-4, beta: 0.75, k: 1 });
  const x = tensorOf(a.input, 'input');
  const size = a.size as number;
  const dim = x.dim();
  if (dim < 3) throw rangeError('a 3D or higher input', 'input', `a ${dim}D tensor`);
  if (x.numel() === 0) return x;
  let div = x.mul(x);
  if (dim === 3) {
    div = div.unsqueeze(1);
    div = pad(div, [0, 0, Math.floor(size / 2), Math.floor((size - 1) / 2)]);
    div = avgPool2d(div, [size, 1], 1).squeeze(1);
  } else {
    const sizes = x.shape;
    div = div.view(sizes[0], 1, sizes[1], sizes[2], -1);
    div = pad(div, [0, 0, 0, 0, Math.floor(size / 2), Math.floor((size - 1) / 2)]);
    div = avgPool3d(div, [size, 1, 1], 1).squeeze(1);
    div = div.view([...sizes]);
  }
  div = div.mul(num(a.alpha, 'alpha')).add(num(a.k, 'k')).pow(num(a.beta, 'beta'));
  return x.div(div);
}

/** Divides by the p-norm over `dim` (at least `eps`). */
export function normalize(input: Tensor, p?: number, dim?: number, eps?: number, out?: Tensor | null): Tensor;
export function normalize(
  input: Tensor,
  options: { p?: number; dim?: number; eps?: number; out?: Tensor | null },
): Tensor;
export function normalize(...args: unknown[]): Tensor {
  const a = bindArgs('normalize', args, ['input'], { p: 2, dim: 1, eps: 1e-12, out: null as unknown });
  const x = tensorOf(a.input, 'input');
  const denom = x
    .norm(num(a.p, 'p'), a.dim as number, true)
    .clampMin(num(a.eps, 'eps'))
    .expandAs(x);
  const out = optTensorOf(a.out, 'out');
  return out === null ? x.div(denom) : T.div(x, denom, { out });
}

// ---- padding, interpolation, sampling --------------------------------------------------

/** Pads the last dimensions: `pad` lists (before, after) pairs from the last dimension back. */
export function pad(
  input: Tensor,
  pad: readonly number[],
  mode?: 'constant' | 'reflect' | 'replicate' | 'circular',
  value?: number | null,
): Tensor;
export function pad(
  input: Tensor,
  pad: readonly number[],
  options: { mode?: 'constant' | 'reflect' | 'replicate' | 'circular'; value?: number | null },
): Tensor;
export function pad(...args: unknown[]): Tensor {
  const a = bindArgs('pad', args, ['input', 'pad'], { mode: 'constant' as unknown, value: null as unknown });
  const p = a.pad as number[];
  if (!Array.isArray(p) || p.length % 2 !== 0 || !p.every((v) => Number.isSafeInteger(v)))
    throw typeError('an even-length array of integers', 'pad', p);
  return _nn.pad(tensorOf(a.input, 'input'), p, a.mode as string, a.value as number | null);
}

type InterpolateMode = 'nearest' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area' | 'nearest-exact';
type InterpolateOptions = {
  size?: number | readonly number[] | null;
  scaleFactor?: number | readonly number[] | null;
  mode?: InterpolateMode;
  alignCorners?: boolean | null;
  recomputeScaleFactor?: boolean | null;
  antialias?: boolean;
};

/** Resizes the spatial dimensions of (N, C, ...) input to `size` or by `scaleFactor`. */
export function interpolate(input: Tensor, options: InterpolateOptions): Tensor;
export function interpolate(
  input: Tensor,
  size?: number | readonly number[] | null,
  scaleFactor?: number | readonly number[] | null,
  mode?: InterpolateMode,
  alignCorners?: boolean | null,
  recomputeScaleFactor?: boolean | null,
  antialias?: boolean,
): Tensor;
export function interpolate(...args: unknown[]): Tensor {
  const a = bindArgs('interpolate', args, ['input'], {
    size: null as unknown,
    scaleFactor: null as unknown,
    mode: 'nearest' as unknown,
    alignCorners: null as unknown,
    recomputeScaleFactor: null as unknown,
    antialias: false,
  });
  const x = tensorOf(a.input, 'input');
  const mode = a.mode as InterpolateMode;
  let align = a.alignCorners as boolean | null;
  if (mode === 'nearest' || mode === 'area' || mode === 'nearest-exact') {
    if (align !== null)
      throw typeError(
        'no alignCorners (only the interpolating modes linear, bilinear, bicubic, trilinear take it)',
        'alignCorners',
        align,
      );
  } else if (align === null) align = false;
  const dim = x.dim() - 2;
  let outputSize: number[] | null = null;
  let scales: number[] | null = null;
  if (a.size !== null && a.scaleFactor !== null) throw typeError('only one of size and scaleFactor', 'size', a.size);
  if (a.size !== null) {
    outputSize = Array.isArray(a.size) ? [...(a.size as number[])] : new Array<number>(dim).fill(a.size as number);
    if (outputSize.length !== dim)
      throw rangeError(`${dim} sizes (one per spatial dimension of [${x.shape}])`, 'size', a.size);
    if (!outputSize.every((v) => Number.isSafeInteger(v))) throw typeError('integer sizes', 'size', a.size);
  } else if (a.scaleFactor !== null) {
    scales = Array.isArray(a.scaleFactor)
      ? [...(a.scaleFactor as number[])]
      : new Array<number>(dim).fill(a.scaleFactor as number);
    if (scales.length !== dim) throw rangeError(`${dim} scale factors`, 'scaleFactor', a.scaleFactor);
  } else throw typeError('size or scaleFactor', 'size', null);
  let recompute = a.recomputeScaleFactor as boolean | null;
  if (recompute && a.size !== null)
    throw typeError('no recomputeScaleFactor with an explicit size', 'recomputeScaleFactor', recompute);
  if (mode === 'area' && outputSize === null) recompute = true;
  if (recompute && scales !== null) {
    const s = scales;
    outputSize = s.map((f, i) => Math.floor(x.size(i + 2) * f));
    scales = null;
  }
  const antialias = bool(a.antialias, 'antialias');
  if (antialias && !((mode === 'bilinear' || mode === 'bicubic') && x.ndim === 4))
    throw typeError('antialias only with bilinear or bicubic on a 4-D input', 'antialias', true);
  const nd = x.dim();
  const key = `${nd}:${mode}`;
  switch (key) {
    case '3:nearest':
      return _nn.upsampleNearest1d(x, outputSize, scales);
    case '4:nearest':
      return _nn.upsampleNearest2d(x, outputSize, scales);
    case '5:nearest':
      return _nn.upsampleNearest3d(x, outputSize, scales);
    case '3:nearest-exact':
      return _nn._upsampleNearestExact1d(x, outputSize, scales);
    case '4:nearest-exact':
      return _nn._upsampleNearestExact2d(x, outputSize, scales);
    case '5:nearest-exact':
      return _nn._upsampleNearestExact3d(x, outputSize, scales);
    case '3:area':
      return adaptiveAvgPool1d(x, outputSize as number[]);
    case '4:area':
      return adaptiveAvgPool2d(x, outputSize as unknown as [number, number]);
    case '5:area':
      return adaptiveAvgPool3d(x, outputSize as number[]);
    case '3:linear':
      return _nn.upsampleLinear1d(x, outputSize, align as boolean, scales);
    case '4:bilinear':
      return antialias
        ? _nn._upsampleBilinear2dAa(x, outputSize, align as boolean, scales)
        : _nn.upsampleBilinear2d(x, outputSize, align as boolean, scales);
    case '5:trilinear':
      return _nn.upsampleTrilinear3d(x, outputSize, align as boolean, scales);
    case '4:bicubic':
      return antialias
        ? _nn._upsampleBicubic2dAa(x, outputSize, align as boolean, scales)
        : _nn.upsampleBicubic2d(x, outputSize, align as boolean, scales);
  }
  throw typeError(
    `a mode for ${nd}-D input (nearest, nearest-exact, area, ${nd === 3 ? 'linear' : nd === 4 ? 'bilinear, bicubic' : 'trilinear'})`,
    'mode',
    mode,
  );
}

/** Deprecated alias of interpolate. */
export function upsample(
  input: Tensor,
  options: Omit<InterpolateOptions, 'recomputeScaleFactor' | 'antialias'>,
): Tensor;
export function upsample(...args: unknown[]): Tensor {
  const a = bindArgs('upsample', args, ['input'], {
    size: null as unknown,
    scaleFactor: null as unknown,
    mode: 'nearest' as unknown,
    alignCorners: null as unknown,
  });
  return interpolate(a.input as Tensor, {
    size: a.size as number,
    scaleFactor: a.scaleFactor as number,
    mode: a.mode as InterpolateMode,
    alignCorners: a.alignCorners as boolean,
  });
}
export function upsampleNearest(
  input: Tensor,
  options: { size?: number | readonly number[] | null; scaleFactor?: number | null },
): Tensor {
  return interpolate(input, { ...options, mode: 'nearest' });
}
export function upsampleBilinear(
  input: Tensor,
  options: { size?: number | readonly number[] | null; scaleFactor?: number | null },
): Tensor {
  return interpolate(input, { ...options, mode: 'bilinear', alignCorners: true });
}

const GRID_MODES: Record<string, number> = { bilinear: 0, nearest: 1, bicubic: 2 };
const PADDING_MODES: Record<string, number> = { zeros: 0, border: 1, reflection: 2 };
/** Samples `input` at the (x, y[, z]) locations of `grid` in [-1, 1]. */
export function gridSample(
  input: Tensor,
  grid: Tensor,
  mode?: 'bilinear' | 'nearest' | 'bicubic',
  paddingMode?: 'zeros' | 'border' | 'reflection',
  alignCorners?: boolean | null,
): Tensor;
export function gridSample(
  input: Tensor,
  grid: Tensor,
  options: {
    mode?: 'bilinear' | 'nearest' | 'bicubic';
    paddingMode?: 'zeros' | 'border' | 'reflection';
    alignCorners?: boolean | null;
  },
): Tensor;
export function gridSample(...args: unknown[]): Tensor {
  const a = bindArgs('gridSample', args, ['input', 'grid'], {
    mode: 'bilinear' as unknown,
    paddingMode: 'zeros' as unknown,
    alignCorners: null as unknown,
  });
  const m = GRID_MODES[a.mode as string];
  if (m === undefined) throw rangeError("'bilinear', 'nearest' or 'bicubic'", 'mode', a.mode);
  const p = PADDING_MODES[a.paddingMode as string];
  if (p === undefined) throw rangeError("'zeros', 'border' or 'reflection'", 'paddingMode', a.paddingMode);
  return T.gridSampler(
    tensorOf(a.input, 'input'),
    tensorOf(a.grid, 'grid'),
    m,
    p,
    (a.alignCorners ?? false) as boolean,
  );
}

/** The sampling grid of affine transforms `theta` (N x 2 x 3 or N x 3 x 4) for an output of `size`. */
export function affineGrid(theta: Tensor, size: readonly number[], alignCorners?: boolean | null): Tensor {
  const t = tensorOf(theta, 'theta');
  if (!t.isFloatingPoint()) throw typeError('a floating point theta', 'theta', t.dtype);
  const n = size.length;
  const ok =
    n === 4
      ? t.dim() === 3 && t.shape[1] === 2 && t.shape[2] === 3
      : n === 5
        ? t.dim() === 3 && t.shape[1] === 3 && t.shape[2] === 4
        : false;
  if (n !== 4 && n !== 5) throw rangeError('a 4-D or 5-D size', 'size', size);
  if (!ok) throw rangeError(`theta of shape Nx${n - 2}x${n - 1} for size [${size}]`, 'theta', `shape [${t.shape}]`);
  if (Math.min(...size) <= 0) throw rangeError('positive sizes', 'size', size);
  return T.affineGridGenerator(t, [...size], alignCorners ?? false);
}

// ---- embeddings, patches -----------------------------------------------------------------

type EmbeddingOptions = {
  paddingIdx?: number | null;
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  sparse?: boolean;
};
/** Rows of `weight` at the indices in `input`. */
export function embedding(input: Tensor, weight: Tensor, options?: EmbeddingOptions): Tensor;
export function embedding(...args: unknown[]): Tensor {
  const a = bindArgs('embedding', args, ['input', 'weight'], {
    paddingIdx: null as unknown,
    maxNorm: null as unknown,
    normType: 2,
    scaleGradByFreq: false,
    sparse: false,
  });
  let x = tensorOf(a.input, 'input');
  const w = tensorOf(a.weight, 'weight');
  let pidx = -1;
  if (a.paddingIdx !== null) {
    pidx = a.paddingIdx as number;
    if (pidx >= w.size(0) || pidx < -w.size(0))
      throw rangeError(`a padding index within the ${w.size(0)} embeddings`, 'paddingIdx', pidx);
    if (pidx < 0) pidx += w.size(0);
  }
  if (a.maxNorm !== null) {
    x = x.contiguous();
    noGrad(() => T.embeddingRenorm_(w, x, num(a.maxNorm, 'maxNorm'), num(a.normType, 'normType')));
  }
  return T.embedding(w, x, pidx, bool(a.scaleGradByFreq, 'scaleGradByFreq'), bool(a.sparse, 'sparse'));
}

type BagOptions = {
  offsets?: Tensor | null;
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  mode?: 'sum' | 'mean' | 'max';
  sparse?: boolean;
  perSampleWeights?: Tensor | null;
  includeLastOffset?: boolean;
  paddingIdx?: number | null;
};
/** Sums, means or maxes of bags of embeddings. */
export function embeddingBag(input: Tensor, weight: Tensor, options?: BagOptions): Tensor;
export function embeddingBag(...args: unknown[]): Tensor {
  const a = bindArgs('embeddingBag', args, ['input', 'weight'], {
    offsets: null as unknown,
    maxNorm: null as unknown,
    normType: 2,
    scaleGradByFreq: false,
    mode: 'mean' as unknown,
    sparse: false,
    perSampleWeights: null as unknown,
    includeLastOffset: false,
    paddingIdx: null as unknown,
  });
  let x = tensorOf(a.input, 'input');
  const w = tensorOf(a.weight, 'weight');
  let offsets = optTensorOf(a.offsets, 'offsets');
  let psw = optTensorOf(a.perSampleWeights, 'perSampleWeights');
  if (psw !== null && String(psw.shape) !== String(x.shape))
    throw rangeError(`perSampleWeights of the input's shape [${x.shape}]`, 'perSampleWeights', `shape [${psw.shape}]`);
  if (w.dim() !== 2) throw rangeError('a 2-D weight', 'weight', `a ${w.dim()}-D tensor`);
  if (x.dim() === 2) {
    if (offsets !== null) throw typeError('no offsets with 2-D input', 'offsets', offsets);
    offsets = arange(0, x.numel(), x.size(1), { dtype: x.dtype, device: x.device });
    x = x.reshape(-1);
    if (psw !== null) psw = psw.reshape(-1);
  } else if (x.dim() === 1) {
    if (offsets === null) throw typeError('offsets for 1-D input', 'offsets', null);
    if (offsets.dim() !== 1) throw rangeError('1-D offsets', 'offsets', `a ${offsets.dim()}-D tensor`);
  } else throw rangeError('1-D or 2-D input', 'input', `a ${x.dim()}-D tensor`);
  const modes: Record<string, number> = { sum: 0, mean: 1, max: 2 };
  const m = modes[a.mode as string];
  if (m === undefined) throw rangeError("'sum', 'mean' or 'max'", 'mode', a.mode);
  if (a.maxNorm !== null)
    noGrad(() => T.embeddingRenorm_(w, x, num(a.maxNorm, 'maxNorm'), num(a.normType, 'normType')));
  if (psw !== null && m !== 0) throw typeError("perSampleWeights only with mode 'sum'", 'perSampleWeights', psw);
  const r = T.embeddingBag(
    w,
    x,
    offsets as Tensor,
    a.scaleGradByFreq as boolean,
    m,
    a.sparse as boolean,
    psw,
    a.includeLastOffset as boolean,
    (a.paddingIdx ?? null) as number | null,
  );
  return r[0];
}

/** Extracts sliding local blocks (im2col). */
export function unfold(
  input: Tensor,
  kernelSize: number | readonly number[],
  options?: {
    dilation?: number | readonly number[];
    padding?: number | readonly number[];
    stride?: number | readonly number[];
  },
): Tensor;
export function unfold(...args: unknown[]): Tensor {
  const a = bindArgs('unfold', args, ['input', 'kernelSize'], {
    dilation: 1 as unknown,
    padding: 0 as unknown,
    stride: 1 as unknown,
  });
  return _nn.im2col(
    tensorOf(a.input, 'input'),
    ntuple(a.kernelSize, 2, 'kernelSize'),
    ntuple(a.dilation, 2, 'dilation'),
    ntuple(a.padding, 2, 'padding'),
    ntuple(a.stride, 2, 'stride'),
  );
}

/** Sums sliding local blocks back into a tensor (col2im). */
export function fold(
  input: Tensor,
  outputSize: number | readonly number[],
  kernelSize: number | readonly number[],
  options?: {
    dilation?: number | readonly number[];
    padding?: number | readonly number[];
    stride?: number | readonly number[];
  },
): Tensor;
export function fold(...args: unknown[]): Tensor {
  const a = bindArgs('fold', args, ['input', 'outputSize', 'kernelSize'], {
    dilation: 1 as unknown,
    padding: 0 as unknown,
    stride: 1 as unknown,
  });
  return _nn.col2im(
    tensorOf(a.input, 'input'),
    ntuple(a.outputSize, 2, 'outputSize'),
    ntuple(a.kernelSize, 2, 'kernelSize'),
    ntuple(a.dilation, 2, 'dilation'),
    ntuple(a.padding, 2, 'padding'),
    ntuple(a.stride, 2, 'stride'),
  );
}
