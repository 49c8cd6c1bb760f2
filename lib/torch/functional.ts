/**
 * The torch.* functions PyTorch writes in Python (torch/functional.py) on top of its native
 * ops: variadic tensor arguments, string options, tuple results. They replace the generated
 * native forms of the same names (lib/torch/index.ts exports these first).
 */
import * as G from './generated/functions';
import { bindArgs } from './args';
import { checkBool, checkInt, checkOptions, optionKeys, rangeError, typeError } from './errors';
import type { DType } from './dtype';
import { Tensor } from './tensor';

// The option keys of the functions below, made once (checkOptions allocates nothing per call).
const MESHGRID_KEYS = optionKeys<{ indexing?: string }>({ indexing: 1 });
const TENSORDOT_KEYS = optionKeys<{ dims?: unknown; out?: Tensor }>({ dims: 1, out: 1 });
const OUT_KEYS = optionKeys<{ out?: Tensor }>({ out: 1 });

function tensors(args: readonly unknown[], fn: string): Tensor[] {
  const list = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : [...args];
  return list.map((t, i) => {
    if (!(t instanceof Tensor)) throw typeError('a Tensor', `${fn} argument ${i}`, t);
    return t;
  });
}

/** Broadcasts tensors to one shape: `broadcastTensors(a, b)` or `broadcastTensors([a, b])`. */
export function broadcastTensors(...tensorList: Tensor[] | [readonly Tensor[]]): Tensor[] {
  return G.broadcastTensors(tensors(tensorList, 'broadcastTensors'));
}

/** The shape `broadcastTensors` would give tensors of these shapes. */
export function broadcastShapes(...shapes: (number | readonly number[])[]): number[] {
  const out: number[] = [];
  for (const s of shapes) {
    const dims = typeof s === 'number' ? [s] : [...s];
    for (let i = 1; i <= dims.length; i++) {
      const d = checkInt(dims[dims.length - i], 'shape', 0);
      const k = out.length - i;
      if (k < 0) out.unshift(d);
      else if (out[k] === 1) out[k] = d;
      else if (d !== 1 && d !== out[k])
        throw rangeError(`shapes that broadcast (size ${out[k]} vs ${d} at dim -${i})`, 'shapes', shapes);
    }
  }
  return out;
}

/** A block-diagonal matrix of the given tensors. */
export function blockDiag(...tensorList: Tensor[]): Tensor {
  return G.blockDiag(tensors(tensorList, 'blockDiag'));
}

/** The Cartesian product of 1-d tensors. */
export function cartesianProd(...tensorList: Tensor[]): Tensor {
  return G.cartesianProd(tensors(tensorList, 'cartesianProd'));
}

/** Coordinate grids: `meshgrid(x, y, { indexing: 'ij' })`. */
export function meshgrid(...args: (Tensor | readonly Tensor[] | { indexing?: 'ij' | 'xy' })[]): Tensor[] {
  let indexing: string | undefined;
  const last = args[args.length - 1];
  if (last !== undefined && !(last instanceof Tensor) && !Array.isArray(last)) {
    indexing = checkOptions<{ indexing: string }>(last, 'meshgrid options', MESHGRID_KEYS).indexing;
    args = args.slice(0, -1);
  }
  const ts = tensors(args, 'meshgrid');
  return indexing === undefined ? G.meshgrid(ts) : G.meshgrid(ts, { indexing });
}

const CDIST_MODES: Record<string, number> = {
  use_mm_for_euclid_dist_if_necessary: 0,
  use_mm_for_euclid_dist: 1,
  donot_use_mm_for_euclid_dist: 2,
};
/** Pairwise p-norm distances between the rows of x1 and x2. */
export function cdist(x1: Tensor, x2: Tensor, p = 2, computeMode: string | null = null): Tensor {
  if (computeMode === null) return G.cdist(x1, x2, p, null);
  const mode = CDIST_MODES[computeMode];
  if (mode === undefined) throw rangeError(`one of ${Object.keys(CDIST_MODES).join(', ')}`, 'computeMode', computeMode);
  return G.cdist(x1, x2, p, mode);
}

/** Sums products over `dims` of a and b: an int (the last n of a, first n of b) or two lists. */
export function tensordot(
  a: Tensor,
  b: Tensor,
  dims: number | readonly [readonly number[], readonly number[]] | Tensor | { dims?: unknown; out?: Tensor } = 2,
  options: { out?: Tensor } = {},
): Tensor {
  if (dims !== null && typeof dims === 'object' && !Array.isArray(dims) && !(dims instanceof Tensor)) {
    const o = checkOptions<{ dims: unknown; out: Tensor }>(dims, 'tensordot options', TENSORDOT_KEYS);
    options = { out: o.out };
    dims = (o.dims ?? 2) as number;
  } else options = checkOptions<{ out: Tensor }>(options, 'tensordot options', OUT_KEYS);
  let da: number[];
  let db: number[];
  if (dims instanceof Tensor) dims = dims.toArray() as never;
  if (typeof dims === 'number') {
    const n = checkInt(dims, 'dims', 0);
    da = Array.from({ length: n }, (_, i) => a.dim() - n + i);
    db = Array.from({ length: n }, (_, i) => i);
  } else if (Array.isArray(dims) && dims.length === 2) {
    da = typeof dims[0] === 'number' ? [dims[0] as number] : [...dims[0]];
    db = typeof dims[1] === 'number' ? [dims[1] as number] : [...dims[1]];
  } else throw typeError('an integer or two lists of dimensions', 'dims', dims);
  return options.out ? G.tensordot(a, b, da, db, { out: options.out }) : G.tensordot(a, b, da, db);
}

type NormOptions = { dim?: number | readonly number[] | null; keepdim?: boolean; out?: Tensor; dtype?: DType | null };
const NORM_KEYS = optionKeys<NormOptions & { p?: unknown }>({ p: 1, dim: 1, keepdim: 1, out: 1, dtype: 1 });
const NORM_POSITIONAL: ('p' | 'dim' | 'keepdim')[] = ['p', 'dim', 'keepdim'];
/** The matrix or vector norm: `p` a number, 'fro' or 'nuc' (torch.norm). */
export function norm(
  input: Tensor,
  p?: number | 'fro' | 'nuc' | null,
  dim?: number | readonly number[] | null,
  keepdim?: boolean,
  options?: Omit<NormOptions, 'dim' | 'keepdim'>,
): Tensor;
export function norm(input: Tensor, options: NormOptions & { p?: number | 'fro' | 'nuc' | null }): Tensor;
export function norm(input: Tensor, ...rest: unknown[]): Tensor {
  // Python's calling convention: p, dim, keepdim positional or named, dtype and out named.
  const o = bindArgs<NormOptions & { p: unknown }>(rest, NORM_POSITIONAL, 'norm', NORM_KEYS);
  const p = 'p' in o ? o.p : 'fro';
  const dim = o.dim ?? null;
  const keepdim = checkBool(o.keepdim ?? false, 'keepdim');
  const dims = dim === null || dim === undefined ? null : typeof dim === 'number' ? [dim] : [...(dim as number[])];
  const extra: Record<string, unknown> = {};
  if (o.dtype != null) extra.dtype = o.dtype;
  if (o.out) extra.out = o.out;
  if (typeof p === 'string') {
    if (p === 'fro' && (dims === null || dims.length <= 2)) return G.linalg.vectorNorm(input, 2, dims, keepdim, extra);
    if (p !== 'fro' && p !== 'nuc') throw rangeError("a number, 'fro' or 'nuc'", 'p', p);
    return G.linalg.matrixNorm(input, p, dims ?? Array.from({ length: input.dim() }, (_, i) => i), keepdim, extra);
  }
  return G.linalg.vectorNorm(input, p === null || p === undefined ? 2 : (p as number), dims, keepdim, extra);
}

type UniqueOptions = { returnInverse?: boolean; returnCounts?: boolean; dim?: number | null };
const UNIQUE_CONSECUTIVE_KEYS = optionKeys<UniqueOptions>({ returnInverse: 1, returnCounts: 1, dim: 1 });
const UNIQUE_KEYS = optionKeys<UniqueOptions & { sorted?: boolean }>({
  returnInverse: 1,
  returnCounts: 1,
  dim: 1,
  sorted: 1,
});
const NONZERO_KEYS = optionKeys<{ asTuple?: boolean; out?: Tensor }>({ asTuple: 1, out: 1 });
/** Collapses consecutive equal values; with returnInverse/returnCounts also those, as a tuple. */
export function uniqueConsecutive(input: Tensor, options: UniqueOptions = {}): Tensor | Tensor[] {
  checkOptions<UniqueOptions>(options, 'uniqueConsecutive options', UNIQUE_CONSECUTIVE_KEYS);
  const inv = checkBool(options.returnInverse ?? false, 'returnInverse');
  const counts = checkBool(options.returnCounts ?? false, 'returnCounts');
  const [out, inverse, count] = G.uniqueConsecutive(input, inv, counts, options.dim ?? null) as Tensor[];
  return pick(out, inverse, count, inv, counts);
}

function pick(out: Tensor, inverse: Tensor, count: Tensor, inv: boolean, counts: boolean): Tensor | Tensor[] {
  if (!inv) inverse.dispose();
  if (!counts) count.dispose();
  if (!inv && !counts) return out;
  return [out, ...(inv ? [inverse] : []), ...(counts ? [count] : [])];
}

/** The unique values (sorted by default); with returnInverse/returnCounts also those, as a tuple. */
export function unique(input: Tensor, options: UniqueOptions & { sorted?: boolean } = {}): Tensor | Tensor[] {
  checkOptions<UniqueOptions>(options, 'unique options', UNIQUE_KEYS);
  const inv = checkBool(options.returnInverse ?? false, 'returnInverse');
  const counts = checkBool(options.returnCounts ?? false, 'returnCounts');
  const sorted = checkBool(options.sorted ?? true, 'sorted');
  const r =
    options.dim === undefined || options.dim === null
      ? (G._unique2(input, sorted, inv, counts) as Tensor[])
      : (G.uniqueDim(input, options.dim, sorted, inv, counts) as Tensor[]);
  return pick(r[0], r[1], r[2], inv, counts);
}

/** Indices of non-zero elements: an (n, ndim) tensor, or with asTuple one 1-d tensor per dimension. */
export function nonzero(input: Tensor, options: { asTuple?: boolean; out?: Tensor } = {}): Tensor | Tensor[] {
  checkOptions<{ asTuple: boolean; out: Tensor }>(options, 'nonzero options', NONZERO_KEYS);
  if (checkBool(options.asTuple ?? false, 'asTuple')) {
    if (input.dim() === 0) return [G.nonzero(input.unsqueeze(0)).select(1, 0)];
    return G.nonzero(input).unbind(1);
  }
  return options.out ? G.nonzero(input, { out: options.out }) : G.nonzero(input);
}

/** Each tensor with at least 1 (2, 3) dimensions; one tensor in, one out. */
export function atleast1d(...ts: Tensor[] | [readonly Tensor[]]): Tensor | Tensor[] {
  return atleast(ts, G.atleast1d as never);
}
export function atleast2d(...ts: Tensor[] | [readonly Tensor[]]): Tensor | Tensor[] {
  return atleast(ts, G.atleast2d as never);
}
export function atleast3d(...ts: Tensor[] | [readonly Tensor[]]): Tensor | Tensor[] {
  return atleast(ts, G.atleast3d as never);
}
function atleast(args: unknown[], f: (x: Tensor | Tensor[]) => Tensor | Tensor[]): Tensor | Tensor[] {
  if (args.length === 1 && args[0] instanceof Tensor) return f(args[0]);
  return f(tensors(args, 'atleast'));
}

/** Einstein summation: `einsum('ij,jk', a, b)` or `einsum('ij,jk', [a, b])`. */
export function einsum(equation: string, ...operands: Tensor[] | [readonly Tensor[]]): Tensor {
  return G.einsum(equation, tensors(operands, 'einsum'));
}

/** Product of matrices, in the cheapest order. */
export function chainMatmul(...matrices: Tensor[]): Tensor {
  return G.chainMatmul(tensors(matrices, 'chainMatmul'));
}

/** Flat indices -> coordinates in `shape`, one tensor per dimension. */
export function unravelIndex(indices: Tensor, shape: number | readonly number[]): Tensor[] {
  const dims = typeof shape === 'number' ? [shape] : [...shape];
  const out: Tensor[] = [];
  let rest = indices;
  for (let i = dims.length - 1; i >= 0; i--) {
    out.unshift(rest.remainder(dims[i]));
    rest = rest.floorDivide(dims[i]);
  }
  return out;
}

/** Splits into chunks of `splitSizeOrSections` (or of the given sizes) along `dim`. */
export function split(tensor: Tensor, splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  return tensor.split(splitSizeOrSections as number[], dim);
}
