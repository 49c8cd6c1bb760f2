/** nn.functional pooling of every kind, following torch/nn/functional.py on the generated ops. */
import * as T from '../torch/generated/functions';
import { _nn } from '../torch/generated/functions';
import { rand } from '../torch/creation';
import { rangeError, typeError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';
import { bindArgs, bool, ntuple, num, optTensorOf, tensorOf } from './functional_args';

/** An int or one int per spatial dimension. */
export type Size = number | readonly number[];

type MaxPoolOptions = {
  stride?: Size | null;
  padding?: Size;
  dilation?: Size;
  ceilMode?: boolean;
  returnIndices?: boolean;
};

function maxPoolArgs(fn: string, args: unknown[]) {
  const a = bindArgs(fn, args, ['input', 'kernelSize'], {
    stride: null as unknown,
    padding: 0 as unknown,
    dilation: 1 as unknown,
    ceilMode: false,
    returnIndices: false,
  });
  const stride = a.stride === null || a.stride === undefined ? [] : (a.stride as number[] | number);
  return { x: tensorOf(a.input, 'input'), k: a.kernelSize as Size, stride, a };
}

function maxPool(n: 1 | 2 | 3, args: unknown[]): Tensor | [Tensor, Tensor] {
  const { x, k, stride, a } = maxPoolArgs(`maxPool${n}d`, args);
  const ceil = bool(a.ceilMode, 'ceilMode');
  if (bool(a.returnIndices, 'returnIndices')) {
    const f = n === 1 ? T.maxPool1dWithIndices : n === 2 ? _nn.maxPool2dWithIndices : _nn.maxPool3dWithIndices;
    const r = f(x, k as never, stride as never, a.padding as never, a.dilation as never, ceil);
    return [r[0], r[1]];
  }
  const f = n === 1 ? T.maxPool1d : n === 2 ? T.maxPool2d : T.maxPool3d;
  return f(x, k as never, stride as never, a.padding as never, a.dilation as never, ceil);
}

/** 1-d max pooling; with `returnIndices` also the argmax indices. */
export function maxPool1d(
  input: Tensor,
  kernelSize: Size,
  options?: MaxPoolOptions & { returnIndices?: false },
): Tensor;
export function maxPool1d(
  input: Tensor,
  kernelSize: Size,
  options: MaxPoolOptions & { returnIndices: true },
): [Tensor, Tensor];
export function maxPool1d(
  input: Tensor,
  kernelSize: Size,
  stride?: Size | null,
  padding?: Size,
  dilation?: Size,
  ceilMode?: boolean,
  returnIndices?: boolean,
): Tensor;
export function maxPool1d(...args: unknown[]): Tensor | [Tensor, Tensor] {
  return maxPool(1, args);
}
/** 3-d max pooling; with `returnIndices` also the argmax indices. */
export function maxPool3d(
  input: Tensor,
  kernelSize: Size,
  options?: MaxPoolOptions & { returnIndices?: false },
): Tensor;
export function maxPool3d(
  input: Tensor,
  kernelSize: Size,
  options: MaxPoolOptions & { returnIndices: true },
): [Tensor, Tensor];
export function maxPool3d(
  input: Tensor,
  kernelSize: Size,
  stride?: Size | null,
  padding?: Size,
  dilation?: Size,
  ceilMode?: boolean,
  returnIndices?: boolean,
): Tensor;
export function maxPool3d(...args: unknown[]): Tensor | [Tensor, Tensor] {
  return maxPool(3, args);
}
/** Max pooling that also returns the argmax indices (for maxUnpool). */
export function maxPool1dWithIndices(
  input: Tensor,
  kernelSize: Size,
  options?: Omit<MaxPoolOptions, 'returnIndices'>,
): [Tensor, Tensor];
export function maxPool1dWithIndices(...args: unknown[]): [Tensor, Tensor] {
  return withIndices(1, args);
}
export function maxPool2dWithIndices(
  input: Tensor,
  kernelSize: Size,
  options?: Omit<MaxPoolOptions, 'returnIndices'>,
): [Tensor, Tensor];
export function maxPool2dWithIndices(...args: unknown[]): [Tensor, Tensor] {
  return withIndices(2, args);
}
export function maxPool3dWithIndices(
  input: Tensor,
  kernelSize: Size,
  options?: Omit<MaxPoolOptions, 'returnIndices'>,
): [Tensor, Tensor];
export function maxPool3dWithIndices(...args: unknown[]): [Tensor, Tensor] {
  return withIndices(3, args);
}
function withIndices(n: 1 | 2 | 3, args: unknown[]): [Tensor, Tensor] {
  const last = args[args.length - 1];
  const opts =
    args.length > 2 && last !== null && typeof last === 'object' && !Array.isArray(last) ? (last as object) : null;
  const head = opts ? args.slice(0, -1) : args;
  return maxPool(n, [...head, { ...(opts ?? {}), returnIndices: true }]) as [Tensor, Tensor];
}

type AvgPoolOptions = {
  stride?: Size | null;
  padding?: Size;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
};

/** 1-d average pooling. */
export function avgPool1d(input: Tensor, kernelSize: Size, options?: Omit<AvgPoolOptions, 'divisorOverride'>): Tensor;
export function avgPool1d(
  input: Tensor,
  kernelSize: Size,
  stride?: Size | null,
  padding?: Size,
  ceilMode?: boolean,
  countIncludePad?: boolean,
): Tensor;
export function avgPool1d(...args: unknown[]): Tensor {
  const a = bindArgs('avgPool1d', args, ['input', 'kernelSize'], {
    stride: null as unknown,
    padding: 0 as unknown,
    ceilMode: false,
    countIncludePad: true,
  });
  const stride = a.stride === null ? [] : a.stride;
  return T.avgPool1d(
    tensorOf(a.input, 'input'),
    a.kernelSize as never,
    stride as never,
    a.padding as never,
    a.ceilMode,
    a.countIncludePad,
  );
}
/** 3-d average pooling. */
export function avgPool3d(input: Tensor, kernelSize: Size, options?: AvgPoolOptions): Tensor;
export function avgPool3d(
  input: Tensor,
  kernelSize: Size,
  stride?: Size | null,
  padding?: Size,
  ceilMode?: boolean,
  countIncludePad?: boolean,
  divisorOverride?: number | null,
): Tensor;
export function avgPool3d(...args: unknown[]): Tensor {
  const a = bindArgs('avgPool3d', args, ['input', 'kernelSize'], {
    stride: null as unknown,
    padding: 0 as unknown,
    ceilMode: false,
    countIncludePad: true,
    divisorOverride: null as unknown,
  });
  const stride = a.stride === null ? [] : a.stride;
  return _nn.avgPool3d(
    tensorOf(a.input, 'input'),
    a.kernelSize as never,
    stride as never,
    a.padding as never,
    a.ceilMode,
    a.countIncludePad,
    a.divisorOverride as never,
  );
}

/** An output size whose null entries keep the input's size (PyTorch's _list_with_default). */
function adaptiveSize(outputSize: unknown, input: Tensor, n: number): number[] {
  const list = Array.isArray(outputSize) ? outputSize : new Array<unknown>(n).fill(outputSize);
  if (list.length !== n) throw typeError(`an integer or ${n} integers (or nulls)`, 'outputSize', outputSize);
  return list.map((v, i) => (v === null || v === undefined ? input.size(i - n) : ntuple(v, 1, 'outputSize')[0]));
}

type AdaptiveSize = number | readonly (number | null)[];
/** Adaptive average pooling to `outputSize` (null entries keep the input's size). */
export function adaptiveAvgPool1d(input: Tensor, outputSize: AdaptiveSize): Tensor {
  const x = tensorOf(input, 'input');
  return T.adaptiveAvgPool1d(x, adaptiveSize(outputSize, x, 1));
}
export function adaptiveAvgPool3d(input: Tensor, outputSize: AdaptiveSize): Tensor {
  const x = tensorOf(input, 'input');
  return _nn.adaptiveAvgPool3d(x, adaptiveSize(outputSize, x, 3));
}

function adaptiveMax(
  n: 1 | 2 | 3,
  input: unknown,
  outputSize: unknown,
  returnIndices: unknown,
): Tensor | [Tensor, Tensor] {
  const x = tensorOf(input, 'input');
  const size = adaptiveSize(outputSize, x, n);
  const f = n === 1 ? T.adaptiveMaxPool1d : n === 2 ? _nn.adaptiveMaxPool2d : _nn.adaptiveMaxPool3d;
  const r = f(x, size);
  if (bool(returnIndices ?? false, 'returnIndices')) return [r[0], r[1]];
  r[1].dispose();
  return r[0];
}
/** Adaptive max pooling to `outputSize`; with `returnIndices` also the indices. */
export function adaptiveMaxPool1d(input: Tensor, outputSize: AdaptiveSize, returnIndices?: false): Tensor;
export function adaptiveMaxPool1d(input: Tensor, outputSize: AdaptiveSize, returnIndices: true): [Tensor, Tensor];
export function adaptiveMaxPool1d(
  input: Tensor,
  outputSize: AdaptiveSize,
  returnIndices?: boolean,
): Tensor | [Tensor, Tensor] {
  return adaptiveMax(1, input, outputSize, returnIndices);
}
export function adaptiveMaxPool3d(input: Tensor, outputSize: AdaptiveSize, returnIndices?: false): Tensor;
export function adaptiveMaxPool3d(input: Tensor, outputSize: AdaptiveSize, returnIndices: true): [Tensor, Tensor];
export function adaptiveMaxPool3d(
  input: Tensor,
  outputSize: AdaptiveSize,
  returnIndices?: boolean,
): Tensor | [Tensor, Tensor] {
  return adaptiveMax(3, input, outputSize, returnIndices);
}
export function adaptiveMaxPool1dWithIndices(input: Tensor, outputSize: AdaptiveSize): [Tensor, Tensor] {
  return adaptiveMax(1, input, outputSize, true) as [Tensor, Tensor];
}
export function adaptiveMaxPool2dWithIndices(input: Tensor, outputSize: AdaptiveSize): [Tensor, Tensor] {
  return adaptiveMax(2, input, outputSize, true) as [Tensor, Tensor];
}
export function adaptiveMaxPool3dWithIndices(input: Tensor, outputSize: AdaptiveSize): [Tensor, Tensor] {
  return adaptiveMax(3, input, outputSize, true) as [Tensor, Tensor];
}

/** Power-average pooling: (sum of x^p over each window)^(1/p). */
function lpPool(n: 1 | 2 | 3, args: unknown[]): Tensor {
  const a = bindArgs(`lpPool${n}d`, args, ['input', 'normType', 'kernelSize'], {
    stride: null as unknown,
    ceilMode: false,
  });
  const x = tensorOf(a.input, 'input');
  const p = num(a.normType, 'normType');
  const k = ntuple(a.kernelSize, n, 'kernelSize');
  const stride = a.stride === null ? [] : ntuple(a.stride, n, 'stride');
  const ceil = bool(a.ceilMode, 'ceilMode');
  const maxF = n === 1 ? T.maxPool1d : n === 2 ? T.maxPool2d : T.maxPool3d;
  if (p === Infinity) return maxF(x.abs(), k, stride, 0, 1, ceil);
  if (p === -Infinity) return maxF(x.abs().neg(), k, stride, 0, 1, ceil).neg();
  const powered = x.pow(p);
  const out =
    n === 1
      ? T.avgPool1d(powered, k, stride, 0, ceil)
      : n === 2
        ? _nn.avgPool2d(powered, k, stride, 0, ceil)
        : _nn.avgPool3d(powered, k, stride, 0, ceil);
  return out
    .sign()
    .mul(out.abs().relu())
    .mul(k.reduce((s, v) => s * v, 1))
    .pow(1 / p);
}
type LpOptions = { stride?: Size | null; ceilMode?: boolean };
export function lpPool1d(
  input: Tensor,
  normType: number,
  kernelSize: Size,
  stride?: Size | null,
  ceilMode?: boolean,
): Tensor;
export function lpPool1d(input: Tensor, normType: number, kernelSize: Size, options: LpOptions): Tensor;
export function lpPool1d(...args: unknown[]): Tensor {
  return lpPool(1, args);
}
export function lpPool2d(
  input: Tensor,
  normType: number,
  kernelSize: Size,
  stride?: Size | null,
  ceilMode?: boolean,
): Tensor;
export function lpPool2d(input: Tensor, normType: number, kernelSize: Size, options: LpOptions): Tensor;
export function lpPool2d(...args: unknown[]): Tensor {
  return lpPool(2, args);
}
export function lpPool3d(
  input: Tensor,
  normType: number,
  kernelSize: Size,
  stride?: Size | null,
  ceilMode?: boolean,
): Tensor;
export function lpPool3d(input: Tensor, normType: number, kernelSize: Size, options: LpOptions): Tensor;
export function lpPool3d(...args: unknown[]): Tensor {
  return lpPool(3, args);
}

type FractionalOptions = {
  outputSize?: Size | null;
  outputRatio?: number | readonly number[] | null;
  returnIndices?: boolean;
  randomSamples?: Tensor | null;
};

function fractional(n: 2 | 3, args: unknown[]): Tensor | [Tensor, Tensor] {
  const a = bindArgs(`fractionalMaxPool${n}d`, args, ['input', 'kernelSize'], {
    outputSize: null as unknown,
    outputRatio: null as unknown,
    returnIndices: false,
    randomSamples: null as unknown,
  });
  const x = tensorOf(a.input, 'input');
  const k = ntuple(a.kernelSize, n, 'kernelSize');
  let size: number[];
  if (a.outputSize !== null) size = ntuple(a.outputSize, n, 'outputSize');
  else if (a.outputRatio !== null) {
    const r =
      typeof a.outputRatio === 'number' ? new Array<number>(n).fill(a.outputRatio) : (a.outputRatio as number[]);
    if (!Array.isArray(r) || r.length !== n) throw typeError(`a number or ${n} numbers`, 'outputRatio', a.outputRatio);
    size = r.map((v, i) => Math.trunc(x.size(i - n) * num(v, 'outputRatio')));
  } else throw new TypeError(`Expected outputSize or outputRatio for F.fractionalMaxPool${n}d but received neither`);
  let samples = optTensorOf(a.randomSamples, 'randomSamples');
  if (samples === null) {
    const batch = x.dim() === n + 1 ? 1 : x.size(0);
    samples = rand([batch, x.size(-(n + 1)), n], { dtype: x.dtype, device: x.device });
  }
  const r = n === 2 ? _nn.fractionalMaxPool2d(x, k, size, samples) : _nn.fractionalMaxPool3d(x, k, size, samples);
  return bool(a.returnIndices, 'returnIndices') ? [r[0], r[1]] : r[0];
}
/** Fractional max pooling (random windows); give `outputSize` or `outputRatio`. */
export function fractionalMaxPool2d(
  input: Tensor,
  kernelSize: Size,
  options: FractionalOptions & { returnIndices?: false },
): Tensor;
export function fractionalMaxPool2d(
  input: Tensor,
  kernelSize: Size,
  options: FractionalOptions & { returnIndices: true },
): [Tensor, Tensor];
export function fractionalMaxPool2d(...args: unknown[]): Tensor | [Tensor, Tensor] {
  return fractional(2, args);
}
export function fractionalMaxPool3d(
  input: Tensor,
  kernelSize: Size,
  options: FractionalOptions & { returnIndices?: false },
): Tensor;
export function fractionalMaxPool3d(
  input: Tensor,
  kernelSize: Size,
  options: FractionalOptions & { returnIndices: true },
): [Tensor, Tensor];
export function fractionalMaxPool3d(...args: unknown[]): Tensor | [Tensor, Tensor] {
  return fractional(3, args);
}
export function fractionalMaxPool2dWithIndices(
  input: Tensor,
  kernelSize: Size,
  options: Omit<FractionalOptions, 'returnIndices'>,
): [Tensor, Tensor] {
  return fractional(2, [input, kernelSize, { ...options, returnIndices: true }]) as [Tensor, Tensor];
}
export function fractionalMaxPool3dWithIndices(
  input: Tensor,
  kernelSize: Size,
  options: Omit<FractionalOptions, 'returnIndices'>,
): [Tensor, Tensor] {
  return fractional(3, [input, kernelSize, { ...options, returnIndices: true }]) as [Tensor, Tensor];
}

/** PyTorch's _unpool_output_size. */
function unpoolSize(x: Tensor, k: number[], stride: number[], padding: number[], outputSize: unknown): number[] {
  const n = k.length;
  const def = k.map((kd, d) => (x.size(d - n) - 1) * stride[d] + kd - 2 * padding[d]);
  if (outputSize === null || outputSize === undefined) return def;
  let out = [...(outputSize as number[])];
  if (out.length === n + 2) out = out.slice(2);
  if (out.length !== n) throw typeError(`${n} or ${n + 2} sizes`, 'outputSize', outputSize);
  out.forEach((s, d) => {
    const lo = def[d] - stride[d];
    const hi = def[d] + stride[d];
    if (!(lo < s && s < hi)) throw rangeError(`sizes between ${lo} and ${hi} (dim ${d})`, 'outputSize', outputSize);
  });
  return out;
}

type UnpoolOptions = { stride?: Size | null; padding?: Size; outputSize?: readonly number[] | null };
function unpool(n: 1 | 2 | 3, args: unknown[]): Tensor {
  const a = bindArgs(`maxUnpool${n}d`, args, ['input', 'indices', 'kernelSize'], {
    stride: null as unknown,
    padding: 0 as unknown,
    outputSize: null as unknown,
  });
  const x = tensorOf(a.input, 'input');
  const idx = tensorOf(a.indices, 'indices');
  const k = ntuple(a.kernelSize, n, 'kernelSize');
  const stride = a.stride === null ? k : ntuple(a.stride, n, 'stride');
  const padding = ntuple(a.padding, n, 'padding');
  const size = unpoolSize(x, k, stride, padding, a.outputSize);
  if (n === 1) {
    // maxUnpool1d runs as a 2-d unpool over a unit height, as PyTorch does.
    return _nn.maxUnpool2d(x.unsqueeze(-1), idx.unsqueeze(-1), [...size, 1]).squeeze(-1);
  }
  return n === 2 ? _nn.maxUnpool2d(x, idx, size) : _nn.maxUnpool3d(x, idx, size, stride, padding);
}
/** Inverse of max pooling: values back at their argmax positions, zeros elsewhere. */
export function maxUnpool1d(input: Tensor, indices: Tensor, kernelSize: Size, options?: UnpoolOptions): Tensor;
export function maxUnpool1d(...args: unknown[]): Tensor {
  return unpool(1, args);
}
export function maxUnpool2d(input: Tensor, indices: Tensor, kernelSize: Size, options?: UnpoolOptions): Tensor;
export function maxUnpool2d(...args: unknown[]): Tensor {
  return unpool(2, args);
}
export function maxUnpool3d(input: Tensor, indices: Tensor, kernelSize: Size, options?: UnpoolOptions): Tensor;
export function maxUnpool3d(...args: unknown[]): Tensor {
  return unpool(3, args);
}
