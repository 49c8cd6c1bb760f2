/**
 * Printing that follows PyTorch's torch/_tensor_str.py with its default print options
 * (precision 4, threshold 1000, edgeitems 3, linewidth 80): `tensor([[1.0000, 2.5000], ...])`.
 * The names below mirror that file: `Formatter`, `vectorStr`, `addSuffixes`.
 */
import type { Tensor } from './tensor';

const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;
const LINE_WIDTH = 80;

// ---- Python's float formatting ('{:.4f}', '{:.4e}', '{:.0f}') ---------------------------

/** The exact value of a finite double as `digits / 10^scale` (digits >= 0). */
function exactDecimal(x: number): { digits: bigint; scale: number } {
  let m = Math.abs(x);
  let k = 0;
  while (!Number.isInteger(m)) {
    m *= 2; // exact: a double has at most 1074 binary fraction digits
    k++;
  }
  // m / 2^k == m * 5^k / 10^k
  return { digits: BigInt(m) * 5n ** BigInt(k), scale: k };
}

/** `digits / 10^drop` rounded half to even, as Python (correctly rounded) does. */
function roundHalfEven(digits: bigint, drop: number): bigint {
  if (drop <= 0) return digits * 10n ** BigInt(-drop);
  const div = 10n ** BigInt(drop);
  const q = digits / div;
  const twice = 2n * (digits % div);
  if (twice > div || (twice === div && q % 2n === 1n)) return q + 1n;
  return q;
}

function sign(x: number): string {
  return x < 0 || Object.is(x, -0) ? '-' : '';
}

function special(x: number): string | null {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return null;
}

/** Python's `f'{x:.{p}f}'`. */
function fixed(x: number, p: number): string {
  const s = special(x);
  if (s !== null) return s;
  const { digits, scale } = exactDecimal(x);
  const str = roundHalfEven(digits, scale - p)
    .toString()
    .padStart(p + 1, '0');
  const int = str.slice(0, str.length - p);
  return sign(x) + (p > 0 ? `${int}.${str.slice(str.length - p)}` : int);
}

/** Python's `f'{x:.{p}e}'`: one digit, p decimals, a signed exponent of at least two digits. */
function scientific(x: number, p: number): string {
  const s = special(x);
  if (s !== null) return s;
  let mantissa: string;
  let exp = 0;
  if (x === 0) {
    mantissa = '0'.repeat(p + 1);
  } else {
    const { digits, scale } = exactDecimal(x);
    const len = digits.toString().length;
    let rounded = roundHalfEven(digits, len - (p + 1));
    exp = len - 1 - scale;
    if (rounded.toString().length > p + 1) {
      // 9.99995 -> 10.0000: one more digit, one more power of ten
      rounded /= 10n;
      exp++;
    }
    mantissa = rounded.toString();
  }
  const e = `${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return `${sign(x)}${mantissa[0]}${p > 0 ? `.${mantissa.slice(1)}` : ''}e${e}`;
}

// ---- _Formatter ------------------------------------------------------------------------

/** Picks the notation and width from the values that will be shown, as `_Formatter` does. */
class Formatter {
  private intMode = true;
  private sciMode = false;
  private maxWidth = 1;

  constructor(
    private readonly floating: boolean,
    private readonly bool: boolean,
    values: (number | bigint)[],
  ) {
    if (!floating) {
      for (const v of values) this.maxWidth = Math.max(this.maxWidth, this.plain(v).length);
      return;
    }
    // Only non-zero finite values decide the notation and the width.
    const nonzero = (values as number[]).filter((v) => Number.isFinite(v) && v !== 0);
    if (nonzero.length === 0) return;
    const abs = nonzero.map(Math.abs);
    const min = Math.min(...abs);
    const max = Math.max(...abs);
    this.intMode = nonzero.every((v) => Number.isInteger(v));
    this.sciMode = max / min > 1000 || max > 1e8 || min < 1e-4;
    for (const v of nonzero) {
      const s = this.sciMode ? scientific(v, PRECISION) : this.intMode ? `${fixed(v, 0)}.` : fixed(v, PRECISION);
      this.maxWidth = Math.max(this.maxWidth, s.length);
    }
  }

  get width(): number {
    return this.maxWidth;
  }

  private plain(v: number | bigint): string {
    if (this.bool) return Number(v) !== 0 ? 'True' : 'False';
    return String(v);
  }

  format(v: number | bigint): string {
    let s: string;
    if (!this.floating) s = this.plain(v);
    else {
      const x = Number(v);
      if (this.sciMode) s = scientific(x, PRECISION);
      else if (this.intMode) s = fixed(x, 0) + (Number.isFinite(x) ? '.' : '');
      else s = fixed(x, PRECISION);
    }
    return s.padStart(this.maxWidth);
  }
}

// ---- layout ----------------------------------------------------------------------------

/** Indices shown along a dimension of size n; -1 marks the '...'. */
function edgeIndices(n: number, summarize: boolean): number[] {
  if (!summarize || n <= 2 * EDGE_ITEMS) return Array.from({ length: n }, (_, i) => i);
  return [
    ...Array.from({ length: EDGE_ITEMS }, (_, i) => i),
    -1,
    ...Array.from({ length: EDGE_ITEMS }, (_, i) => n - EDGE_ITEMS + i),
  ];
}

/** A row-major view of the flat data: `at(offset)` and the shape. */
interface View {
  shape: readonly number[];
  strides: number[];
  flat: ArrayLike<number | bigint>;
}

/** The values that will be printed (`get_summarized_data`), in order. */
function summarizedValues(v: View, summarize: boolean): (number | bigint)[] {
  if (!summarize) return Array.from(v.flat);
  const out: (number | bigint)[] = [];
  const walk = (d: number, offset: number): void => {
    if (d === v.shape.length) {
      out.push(v.flat[offset]);
      return;
    }
    for (const i of edgeIndices(v.shape[d], true)) if (i >= 0) walk(d + 1, offset + i * v.strides[d]);
  };
  walk(0, 0);
  return out;
}

/** `_vector_str`: one innermost row, wrapped at the line width. */
function vectorStr(v: View, offset: number, indent: number, summarize: boolean, f: Formatter): string {
  const n = v.shape[v.shape.length - 1];
  const elementsPerLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / (f.width + 2)));
  const data = edgeIndices(n, summarize).map((i) => (i < 0 ? ' ...' : f.format(v.flat[offset + i])));
  const lines: string[] = [];
  for (let i = 0; i < data.length; i += elementsPerLine) lines.push(data.slice(i, i + elementsPerLine).join(', '));
  return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
}

/** `_tensor_str_with_formatter`: nested brackets, blank lines between blocks of 3-d and up. */
function tensorStr(v: View, d: number, offset: number, indent: number, summarize: boolean, f: Formatter): string {
  const dim = v.shape.length - d;
  if (dim === 0) return f.format(v.flat[offset]);
  if (dim === 1) return vectorStr(v, offset, indent, summarize, f);
  const slices = edgeIndices(v.shape[d], summarize).map((i) =>
    i < 0 ? '...' : tensorStr(v, d + 1, offset + i * v.strides[d], indent + 1, summarize, f),
  );
  return `[${slices.join(`,${'\n'.repeat(dim - 1)}${' '.repeat(indent + 1)}`)}]`;
}

/** `_add_suffixes`: `, dtype=...` on the same line while it fits, else on a new indented line. */
function addSuffixes(body: string, suffixes: string[], indent: number): string {
  let out = body;
  let lastLineLen = body.length - body.lastIndexOf('\n') + 1;
  for (const suffix of suffixes) {
    if (lastLineLen + suffix.length + 2 > LINE_WIDTH) {
      out += `,\n${' '.repeat(indent)}${suffix}`;
      lastLineLen = indent + suffix.length;
    } else {
      out += `, ${suffix}`;
      lastLineLen += suffix.length + 2;
    }
  }
  return `${out})`;
}

export function formatTensor(t: Tensor): string {
  const prefix = 'tensor(';
  const indent = prefix.length;
  const shape = t.shape;
  const dtype = t.dtype;
  const numel = t.numel();
  const suffixes: string[] = [];
  if (t.device !== 'cpu') suffixes.push(`device='${t.device}'`);

  let body: string;
  if (numel === 0) {
    body = '[]';
    // An empty tensor shows its shape unless it is (0,), and its dtype unless it is the default.
    if (shape.length !== 1) suffixes.push(`size=(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`);
    if (dtype !== 'float32') suffixes.push(`dtype=torch.${dtype}`);
  } else {
    const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
    const view: View = { shape, strides, flat: t.toTypedArray() };
    const summarize = numel > THRESHOLD;
    const formatter = new Formatter(t.isFloatingPoint(), dtype === 'bool', summarizedValues(view, summarize));
    body = tensorStr(view, 0, 0, indent, summarize, formatter);
    if (dtype !== 'float32' && dtype !== 'int64' && dtype !== 'bool') suffixes.push(`dtype=torch.${dtype}`);
  }

  const gradFn = t.gradFn;
  if (gradFn) suffixes.push(`grad_fn=<${gradFn}>`);
  else if (t.requiresGrad) suffixes.push('requires_grad=True');
  return addSuffixes(prefix + body, suffixes, indent);
}
