// The op sweep: every op PyTorch's OpInfo database has samples for and torchts has a name for,
// run on OpInfo's own sample inputs (scripts/reference/op_samples.py, real PyTorch on the same
// libtorch) and compared: outputs, and gradients of sum(out_i * w_i) where the op is
// differentiable.
//
// Both sides run one intra-op thread on the same kernels, so results agree to rounding:
//   float32: rtol 1e-5, atol 1e-6 (outputs), rtol 1e-4, atol 1e-5 (gradients)
//   float64: rtol 1e-10, atol 1e-12 (outputs), rtol 1e-8, atol 1e-10 (gradients)
//   integer and bool results: exactly equal; NaNs in the same places.
// Cases that cannot agree for a stated reason are listed in KNOWN with the reason; every
// other case must match, and at least 300 distinct ops must be compared.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { nn, torch, type Tensor } from '../../lib/index';
import type { DType } from '../../lib/torch/dtype';
import { runReference, tempDir } from './fixtures';

interface TensorEntry {
  dtype: DType;
  shape: number[];
  offset: number;
  nbytes: number;
}
interface Case {
  op: string;
  call: 'torch' | 'method' | 'functional' | 'linalg' | 'special';
  name: string;
  input: unknown;
  args: unknown[];
  kwargs: Record<string, unknown>;
  out: unknown;
  grad_weights?: { t: number }[];
  grads?: ({ t: number } | null)[];
}

/** Cases whose difference is understood, with why (ops named as OpInfo names them). */
const KNOWN: Record<string, string> = {
  'as_strided.partial_views':
    'the sample input is a view into a larger storage; as_strided reads that storage, which the fixture (contiguous copies) does not carry',
};

const TOL: Record<string, { out: [number, number]; grad: [number, number] }> = {
  float32: { out: [1e-5, 1e-6], grad: [1e-4, 1e-5] },
  float64: { out: [1e-10, 1e-12], grad: [1e-8, 1e-10] },
  float16: { out: [1e-3, 1e-3], grad: [1e-2, 1e-2] },
  bfloat16: { out: [1e-2, 1e-2], grad: [1e-1, 1e-1] },
};

function camel(s: string): string {
  return s.replace(/([a-z0-9])_([a-z0-9])/gi, (_m, a: string, b: string) => a + b.toUpperCase());
}

let dir = '';
let cases: Case[] = [];
let entries: TensorEntry[] = [];
let bytes: Buffer;
let threads = 1;

beforeAll(() => {
  threads = torch.getNumThreads();
  torch.setNumThreads(1);
  dir = tempDir('ops');
  runReference('op_samples.py', ['--out', dir, '--per-op', '2']);
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
    cases: Case[];
    tensors: TensorEntry[];
  };
  cases = m.cases;
  entries = m.tensors;
  bytes = fs.readFileSync(path.join(dir, 'tensors.bin'));
}, 300_000);

afterAll(() => {
  torch.setNumThreads(threads);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function tensorAt(i: number): Tensor {
  const e = entries[i];
  const raw = new Uint8Array(e.nbytes);
  raw.set(bytes.subarray(e.offset, e.offset + e.nbytes));
  const t = torch.frombuffer(raw, { dtype: e.dtype, shape: e.shape });
  const c = t.clone();
  t.dispose();
  return c;
}

/** JSON value -> call argument; leaf tensors that need gradients are collected in `leaves`. */
function decode(v: unknown, leaves: Tensor[]): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => decode(x, leaves));
  const o = v as Record<string, unknown>;
  if ('t' in o) {
    const t = tensorAt(o.t as number);
    if (o.leaf !== undefined) {
      t.requiresGrad_(true);
      leaves[o.leaf as number] = t;
    }
    return t;
  }
  if ('dtype' in o) return o.dtype;
  if ('float' in o) return o.float === 'nan' ? Number.NaN : o.float === 'inf' ? Infinity : -Infinity;
  if ('memoryFormat' in o) return o.memoryFormat;
  if ('device' in o) return o.device;
  throw new Error(`undecodable argument ${JSON.stringify(v)}`);
}

function target(c: Case, input: unknown): ((...a: unknown[]) => unknown) | undefined {
  const js = camel(c.name);
  const ns: Record<string, unknown> =
    c.call === 'torch'
      ? (torch as unknown as Record<string, unknown>)
      : c.call === 'functional'
        ? (nn.functional as unknown as Record<string, unknown>)
        : c.call === 'linalg'
          ? (torch.linalg as unknown as Record<string, unknown>)
          : c.call === 'special'
            ? (torch.special as unknown as Record<string, unknown>)
            : (input as Record<string, unknown>);
  const f = ns?.[js];
  if (typeof f !== 'function') return undefined;
  return c.call === 'method' ? (f as (...a: unknown[]) => unknown).bind(input) : (f as (...a: unknown[]) => unknown);
}

function flat(v: unknown): unknown[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v];
}

/** null when equal, else what differs. */
function compare(actual: unknown, expected: unknown, tol: 'out' | 'grad'): string | null {
  if (expected !== null && typeof expected === 'object' && 't' in (expected as object)) {
    const e = tensorAt((expected as { t: number }).t);
    if (!(actual instanceof torch.Tensor)) return `expected a Tensor, got ${typeof actual}`;
    const a = actual.detach();
    if (String(a.shape) !== String(e.shape)) return `shape [${a.shape}] vs [${e.shape}]`;
    if (a.dtype !== e.dtype) return `dtype ${a.dtype} vs ${e.dtype}`;
    const t = TOL[e.dtype];
    const ok = t ? torch.allclose(a, e, { rtol: t[tol][0], atol: t[tol][1], equalNan: true }) : torch.equal(a, e);
    if (!ok) {
      const d = t ? (a.to('float64').sub(e.to('float64')).abs().nanToNum(0).max().item() as number) : NaN;
      return `values differ (max |diff| ${d})`;
    }
    return null;
  }
  if (Array.isArray(expected)) {
    const a = flat(actual);
    const e = flat(expected);
    if (a.length !== e.length) return `${a.length} results vs ${e.length}`;
    for (let i = 0; i < e.length; i++) {
      const d = compare(a[i], e[i], tol);
      if (d) return `[${i}] ${d}`;
    }
    return null;
  }
  if (expected !== null && typeof expected === 'object') {
    const o = expected as Record<string, unknown>;
    if ('dtype' in o) return actual === o.dtype ? null : `${String(actual)} vs ${String(o.dtype)}`;
    if ('float' in o)
      return Number.isNaN(actual as number) || !Number.isFinite(actual as number) ? null : `${actual} vs ${o.float}`;
  }
  if (typeof expected === 'number' && typeof actual === 'number')
    return Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected)) ? null : `${actual} vs ${expected}`;
  if (actual instanceof torch.Tensor && (typeof expected === 'number' || typeof expected === 'boolean'))
    return actual.item() === expected ? null : `${actual.item()} vs ${expected}`;
  return actual === expected ? null : `${String(actual)} vs ${String(expected)}`;
}

function run(c: Case): string | null {
  return torch.tidy(() => {
    const leaves: Tensor[] = [];
    const input = decode(c.input, leaves);
    const args = decode(c.args, leaves) as unknown[];
    const kwargs = Object.fromEntries(Object.entries(c.kwargs).map(([k, v]) => [camel(k), decode(v, leaves)]));
    const f = target(c, input);
    if (!f) return 'no such function in torchts';
    let out: unknown;
    try {
      out = Object.keys(kwargs).length
        ? f(...(c.call === 'method' ? [] : [input]), ...args, kwargs)
        : f(...(c.call === 'method' ? [] : [input]), ...args);
    } catch (e) {
      return `threw ${(e as Error).message.split('\n')[0]}`;
    }
    const d = compare(out, c.out, 'out');
    if (d) return `output: ${d}`;
    if (c.grads && c.grad_weights) {
      const outs = flat(out).filter(
        (t): t is Tensor => t instanceof torch.Tensor && t.requiresGrad && t.isFloatingPoint(),
      );
      if (outs.length !== c.grad_weights.length)
        return `${outs.length} differentiable outputs vs ${c.grad_weights.length}`;
      let loss: Tensor | null = null;
      outs.forEach((t, i) => {
        const term = t.mul(tensorAt(c.grad_weights![i].t)).sum();
        loss = loss === null ? term : loss.add(term);
      });
      (loss as unknown as Tensor).backward();
      for (let i = 0; i < c.grads.length; i++) {
        const g = c.grads[i];
        const leaf = leaves[i];
        const actual = leaf?.grad ?? null;
        if (g === null) {
          if (actual !== null && (actual.abs().sum().item() as number) !== 0) return `grad ${i}: expected none`;
          continue;
        }
        if (actual === null) return `grad ${i}: missing`;
        const gd = compare(actual, g, 'grad');
        if (gd) return `grad ${i}: ${gd}`;
      }
    }
    return null;
  });
}

describe('op parity sweep against PyTorch (OpInfo samples)', () => {
  it('matches PyTorch on every sample of at least 300 ops', () => {
    const failures: string[] = [];
    const missing = new Set<string>();
    const compared = new Set<string>();
    let gradCases = 0;
    for (const c of cases) {
      if (c.grads) gradCases++;
      const why = run(c);
      if (why === 'no such function in torchts') {
        missing.add(`${c.call}.${c.name}`);
        continue;
      }
      if (why === null) compared.add(c.op);
      else if (KNOWN[c.op]) compared.add(c.op);
      else failures.push(`${c.op} (${c.call}.${camel(c.name)}): ${why}`);
    }
    console.log(
      `op sweep: ${compared.size} ops compared over ${cases.length} samples (${gradCases} with gradients); ${failures.length} failures; ${missing.size} without a torchts name`,
    );
    if (missing.size) console.log(`without a torchts name: ${[...missing].sort().join(', ')}`);
    expect(failures, failures.join('\n')).toEqual([]);
    expect(compared.size).toBeGreaterThanOrEqual(300);
    expect(gradCases).toBeGreaterThanOrEqual(300);
  });
});
