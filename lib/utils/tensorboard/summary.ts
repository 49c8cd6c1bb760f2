/**
 * Turning values into Summary values, as torch.utils.tensorboard.summary does: scalars,
 * histograms (numpy.histogram's binning, then PyTorch's trimming to the non-empty range)
 * and images (PNG). Reductions and casts run in libtorch; only the bucket counting walks a
 * typed copy of the data here, which is fine for a logging utility.
 */
import { tensor } from '../../torch/creation';
import { rangeError, typeError } from '../../torch/errors';
import { tidy } from '../../torch/memory';
import { Tensor } from '../../torch/tensor';
import { encodePng } from './png';
import type { HistogramProto, SummaryValue } from './proto';

/** How to bin a histogram: TensorFlow's exponential buckets, a bin count, or bin edges. */
export type Bins = 'tensorflow' | number | readonly number[];
/** Layouts accepted by `addImage`. */
export type DataFormats = 'CHW' | 'HWC' | 'HW';

const shapeText = (t: Tensor): string => `a tensor of shape [${t.shape.join(', ')}]`;

/** The value of a number or one-element tensor, as `float(make_np(x))` in PyTorch. */
export function scalarOf(value: unknown, argument: string): number {
  if (typeof value === 'number') return value;
  if (value instanceof Tensor) {
    if (value.numel() !== 1) {
      throw new RangeError(
        `Expected a number or a one-element Tensor for ${argument} but received ${shapeText(value)}`,
      );
    }
    return Number(value.item());
  }
  throw typeError('a number or a one-element Tensor', argument, value);
}

export function scalar(tag: string, value: number): SummaryValue {
  return { tag, simpleValue: value };
}

// ---- histograms ------------------------------------------------------------------------

let tensorflowBins: Float64Array | null = null;

/**
 * TensorFlow's default bucket edges, as torch.utils.tensorboard builds them:
 * ±1e-12 · 1.1^k up to 1e20, mirrored around 0 (1,549 edges).
 */
export function defaultBins(): Float64Array {
  if (tensorflowBins === null) {
    const pos: number[] = [];
    for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
    const edges = new Float64Array(pos.length * 2 + 1);
    for (let i = 0; i < pos.length; i++) {
      edges[pos.length - 1 - i] = -pos[i];
      edges[pos.length + 1 + i] = pos[i];
    }
    tensorflowBins = edges;
  }
  return tensorflowBins;
}

/** Bin edges as numpy.histogram chooses them for `bins` over data in [min, max]. */
function binEdges(bins: unknown, min: number, max: number): Float64Array {
  if (bins === 'tensorflow') return defaultBins();
  if (typeof bins === 'number') {
    if (!Number.isSafeInteger(bins) || bins < 1) throw rangeError("an integer >= 1 or 'tensorflow'", 'bins', bins);
    let first = min;
    let last = max;
    if (first === last) {
      first -= 0.5;
      last += 0.5;
    }
    // numpy.linspace(first, last, bins + 1): i * step + first, the last edge exactly `last`.
    const step = (last - first) / bins;
    const edges = new Float64Array(bins + 1);
    for (let i = 0; i < bins; i++) edges[i] = i * step + first;
    edges[bins] = last;
    return edges;
  }
  if (Array.isArray(bins)) {
    const ok =
      bins.length >= 2 &&
      bins.every((v, i) => typeof v === 'number' && Number.isFinite(v) && (i === 0 || v >= bins[i - 1]));
    if (!ok) throw rangeError('at least 2 increasing finite bin edges', 'bins', bins);
    return Float64Array.from(bins as number[]);
  }
  throw typeError("'tensorflow', an integer or an array of bin edges", 'bins', bins);
}

/**
 * numpy.histogram counts: bin i holds edges[i] <= v < edges[i+1], the last bin also holds
 * v == its right edge, and values outside [edges[0], edges[n]] are not counted.
 */
function countBins(data: Float64Array, edges: Float64Array): Float64Array {
  const n = edges.length - 1;
  const counts = new Float64Array(n);
  const lo = edges[0];
  const hi = edges[n];
  for (let k = 0; k < data.length; k++) {
    const v = data[k];
    if (!(v >= lo && v <= hi)) continue;
    // The last i with edges[i] <= v.
    let a = 0;
    let b = n;
    while (a < b) {
      const mid = (a + b + 1) >>> 1;
      if (edges[mid] <= v) a = mid;
      else b = mid - 1;
    }
    counts[a === n ? n - 1 : a]++;
  }
  return counts;
}

/** Data as a flat float64 tensor-free copy plus its statistics, reduced in libtorch. */
function readValues(values: unknown): {
  data: Float64Array;
  min: number;
  max: number;
  sum: number;
  sumSquares: number;
} {
  let source: Tensor;
  if (values instanceof Tensor) {
    source = values;
  } else if (
    (Array.isArray(values) && values.every((v) => typeof v === 'number')) ||
    values instanceof Float64Array ||
    values instanceof Float32Array
  ) {
    source = tensor(Float64Array.from(values as ArrayLike<number>), { dtype: 'float64' });
  } else {
    throw typeError('a Tensor or an array of numbers', 'values', values);
  }
  try {
    if (source.numel() === 0)
      throw new RangeError(`Expected at least one value for values but received ${shapeText(source)}`);
    return tidy(() => {
      const x = source.detach().to('float64').reshape(-1);
      return {
        min: Number(x.min().item()),
        max: Number(x.max().item()),
        sum: Number(x.sum().item()),
        sumSquares: Number(x.dot(x).item()),
        data: x.cpu().toTypedArray() as Float64Array,
      };
    });
  } finally {
    if (source !== values) source.dispose();
  }
}

/** HistogramProto of `values`, as torch.utils.tensorboard.summary.make_histogram builds it. */
export function makeHistogram(values: unknown, bins: unknown): HistogramProto {
  const { data, min, max, sum, sumSquares } = readValues(values);
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    throw new RangeError(
      `Expected finite values (no NaN or infinity) for values but received values from ${min} to ${max}`,
    );
  }
  const edges = binEdges(bins, min, max);
  const counts = countBins(data, edges);
  // Keep the bins from the first to the last non-empty one; TensorBoard stores right edges
  // only, so one empty bin (or a zero) goes in front to carry the leftmost edge.
  let first = 0;
  while (first < counts.length && counts[first] === 0) first++;
  if (first === counts.length) {
    throw new RangeError(
      `Expected values within the bins' range [${edges[0]}, ${edges[edges.length - 1]}] for values but received values from ${min} to ${max}`,
    );
  }
  let last = counts.length - 1;
  while (counts[last] === 0) last--;
  const bucketLimit = edges.slice(first, last + 2);
  const bucket = new Float64Array(bucketLimit.length);
  if (first > 0) bucket.set(counts.subarray(first - 1, last + 1));
  else bucket.set(counts.subarray(0, last + 1), 1);
  return { min, max, num: data.length, sum, sumSquares, bucketLimit, bucket };
}

export function histogram(tag: string, values: unknown, bins: unknown): SummaryValue {
  return { tag, histo: makeHistogram(values, bins) };
}

// ---- images ----------------------------------------------------------------------------

/**
 * A Summary.Image holding `img` as a PNG. Like PyTorch: uint8 data is taken as is, anything
 * else is scaled by 255 (in float32), clamped to [0, 255] and truncated to uint8; one channel
 * (or an HW image) is repeated to RGB; 3 (RGB) and 4 (RGBA) channels are kept.
 */
export function image(tag: string, img: unknown, dataformats: unknown): SummaryValue {
  if (dataformats !== 'CHW' && dataformats !== 'HWC' && dataformats !== 'HW') {
    if (typeof dataformats === 'string') throw rangeError("'CHW', 'HWC' or 'HW'", 'dataformats', dataformats);
    throw typeError("'CHW', 'HWC' or 'HW'", 'dataformats', dataformats);
  }
  if (!(img instanceof Tensor)) throw typeError('an image Tensor', 'imgTensor', img);
  const s = img.shape;
  const layout = dataformats === 'CHW' ? '[C, H, W]' : dataformats === 'HWC' ? '[H, W, C]' : '[H, W]';
  if (s.length !== dataformats.length) {
    throw new RangeError(
      `Expected a ${layout} tensor for imgTensor (dataformats '${dataformats}') but received ${shapeText(img)}`,
    );
  }
  const [c, h, w] =
    dataformats === 'CHW' ? [s[0], s[1], s[2]] : dataformats === 'HWC' ? [s[2], s[0], s[1]] : [1, s[0], s[1]];
  if (c !== 1 && c !== 3 && c !== 4) {
    throw new RangeError(
      `Expected 1, 3 or 4 channels for imgTensor (dataformats '${dataformats}') but received ${shapeText(img)}`,
    );
  }
  if (h < 1 || w < 1) throw new RangeError(`Expected a non-empty image for imgTensor but received ${shapeText(img)}`);
  const channels = c === 1 ? 3 : c;
  const pixels = tidy(() => {
    let t = img.detach();
    if (dataformats === 'CHW') t = t.permute(1, 2, 0);
    else if (dataformats === 'HW') t = t.reshape(h, w, 1);
    if (t.dtype !== 'uint8') t = t.to('float32').mul(255).clamp(0, 255).to('uint8');
    if (c === 1) t = t.expand(h, w, 3);
    return t.cpu().contiguous().toBytes();
  });
  return {
    tag,
    image: { height: h, width: w, colorspace: channels, encodedImageString: encodePng(pixels, w, h, channels) },
  };
}
