/** Printing that follows PyTorch's (torch/_tensor_str.py): `tensor([[1.0000, 2.5000], ...])`. */
import type { Tensor } from './tensor';

const PRECISION = 4;
const THRESHOLD = 1000;
const EDGE_ITEMS = 3;
const LINE_WIDTH = 80;

type Formatter = (v: number | bigint) => string;

function floatFormatter(values: number[]): Formatter {
  const finite = values.filter((v) => Number.isFinite(v));
  const specials = (v: number): string | null => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : null);
  if (finite.length > 0 && finite.every((v) => Number.isInteger(v))) {
    const maxAbs = Math.max(...finite.map(Math.abs));
    if (maxAbs <= 1e8) return (v) => specials(Number(v)) ?? `${Number(v).toFixed(0)}.`;
    return (v) => specials(Number(v)) ?? sci(Number(v));
  }
  const nonzero = finite.map(Math.abs).filter((v) => v !== 0);
  if (nonzero.length > 0) {
    const max = Math.max(...nonzero);
    const min = Math.min(...nonzero);
    if (max / min > 1000 || max > 1e8 || min < 1e-4) return (v) => specials(Number(v)) ?? sci(Number(v));
  }
  return (v) => specials(Number(v)) ?? Number(v).toFixed(PRECISION);
}

function sci(v: number): string {
  const [m, e] = v.toExponential(PRECISION).split('e');
  const exp = Number(e);
  return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** Flat values of the elements that will be printed (edges only when summarizing). */
function shown(shape: readonly number[], flat: ArrayLike<number | bigint>, summarize: boolean): (number | bigint)[] {
  if (!summarize) return Array.from(flat);
  const out: (number | bigint)[] = [];
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const walk = (d: number, offset: number): void => {
    if (d === shape.length) {
      out.push(flat[offset]);
      return;
    }
    for (const i of edgeIndices(shape[d], summarize)) if (i >= 0) walk(d + 1, offset + i * strides[d]);
  };
  walk(0, 0);
  return out;
}

/** Indices shown along a dimension; -1 marks the '...'. */
function edgeIndices(n: number, summarize: boolean): number[] {
  if (!summarize || n <= 2 * EDGE_ITEMS) return Array.from({ length: n }, (_, i) => i);
  return [...Array.from({ length: EDGE_ITEMS }, (_, i) => i), -1, ...Array.from({ length: EDGE_ITEMS }, (_, i) => n - EDGE_ITEMS + i)];
}

export function formatTensor(t: Tensor): string {
  const shape = t.shape;
  const dtype = t.dtype;
  const suffixes: string[] = [];
  const numel = t.numel();
  let body: string;
  if (numel === 0) {
    body = '[]';
    if (shape.length !== 1) suffixes.push(`size=(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`);
  } else {
    const flat = t.toTypedArray();
    const summarize = numel > THRESHOLD;
    const values = shown(shape, flat, summarize);
    let fmt: Formatter;
    if (dtype === 'bool') fmt = (v) => (Number(v) !== 0 ? 'True' : 'False');
    else if (t.isFloatingPoint()) fmt = floatFormatter(values.map(Number));
    else fmt = (v) => String(v);
    const strs = values.map(fmt);
    const width = Math.max(...strs.map((s) => s.length));
    let k = 0;
    const next = (): string => strs[k++].padStart(width);
    const indent = 'tensor('.length;
    const render = (d: number): string => {
      if (d === shape.length) return next();
      const idx = edgeIndices(shape[d], summarize);
      if (d === shape.length - 1) {
        // Innermost rows wrap at the line width, as PyTorch does.
        const items = idx.map((i) => (i < 0 ? '...' : next()));
        const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent - d) / (width + 2)));
        const lines: string[] = [];
        for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
        return `[${lines.join(',\n' + ' '.repeat(indent + d + 1))}]`;
      }
      const sep = ',' + '\n'.repeat(shape.length - d - 1) + ' '.repeat(indent + d + 1);
      return `[${idx.map((i) => (i < 0 ? '...' : render(d + 1))).join(sep)}]`;
    };
    body = render(0);
  }
  if (t.device !== 'cpu') suffixes.unshift(`device='${t.device}'`);
  if (!(dtype === 'float32' || dtype === 'int64' || dtype === 'bool') || (numel === 0 && dtype !== 'float32')) {
    suffixes.push(`dtype=torch.${dtype}`);
  }
  const gradFn = t.gradFn;
  if (gradFn) suffixes.push(`grad_fn=<${gradFn}>`);
  else if (t.requiresGrad) suffixes.push('requires_grad=True');
  return `tensor(${[body, ...suffixes].join(', ')})`;
}
