// Comparison helpers for the tests: one set, used by every test that compares results with
// PyTorch's (or CPU with CUDA, or one process with several). All of them:
// - fail on NaN on either side (NaN is never close to anything, not even NaN);
// - count equal infinities as equal and any other infinity as an infinite error;
// - refuse tensors of different shapes instead of broadcasting one against the other.
// test/compare.test.ts feeds each of them NaN, Inf and mismatched shapes and sees it fail.
import { expect } from 'vitest';

import { type Tensor, torch } from '../lib/index';

export interface Tolerance {
  rtol: number;
  atol: number;
}

function expectSameShape(actual: Tensor, expected: Tensor, what = 'tensor'): void {
  if (actual.shape.length !== expected.shape.length || actual.shape.some((s, i) => s !== expected.shape[i])) {
    throw new Error(`${what}: shape [${actual.shape.join(', ')}] where [${expected.shape.join(', ')}] was expected`);
  }
}

/**
 * Largest |actual - expected| (in float64, on the CPU), after checking that the shapes are
 * the same. Equal elements count 0 (equal infinities too); NaN on either side makes it NaN,
 * which every `<=` / `toBeLessThan` comparison rejects.
 */
export function maxAbsDiff(actual: Tensor, expected: Tensor): number {
  expectSameShape(actual, expected);
  if (expected.numel() === 0) return 0;
  return torch.tidy(() => {
    const a = actual.detach().cpu().double();
    const e = expected.detach().cpu().double();
    // |a - e| where they differ, so that inf == inf gives 0 rather than inf - inf = NaN.
    return a.sub(e).abs().where(a.ne(e), torch.zerosLike(a)).max().item() as number;
  });
}

/** max |expected| over its finite elements (0 when none is): the scale errors are relative to. */
export function finiteScale(expected: Tensor): number {
  if (expected.numel() === 0) return 0;
  return torch.tidy(() => {
    const e = expected.detach().cpu().double().abs();
    return e.where(e.isfinite(), torch.zerosLike(e)).max().item() as number;
  });
}

/** max |actual - expected| / max |expected|: the error relative to the tensor's scale (absolute when that is 0). */
export function relError(actual: Tensor, expected: Tensor): number {
  const err = maxAbsDiff(actual, expected);
  const scale = finiteScale(expected);
  return scale === 0 ? err : err / scale;
}

/** Asserts same shape, dtype and allclose(actual, expected, tol); the message names the tensor and its worst error. */
export function expectClose(actual: Tensor | null | undefined, expected: Tensor, tol: Tolerance, what: string): void {
  expect(actual, `${what}: missing`).toBeTruthy();
  const a = actual as Tensor;
  expect([...a.shape], `${what}: shape`).toEqual([...expected.shape]);
  expect(a.dtype, `${what}: dtype`).toBe(expected.dtype);
  // allclose is false wherever either side is NaN (equalNan is off) and true for equal infinities.
  const ok = torch.tidy(() => torch.allclose(a.detach(), expected, tol));
  expect(ok, `${what}: max |diff| ${maxAbsDiff(a, expected)} exceeds rtol ${tol.rtol} / atol ${tol.atol}`).toBe(true);
}

/**
 * Asserts max |actual - expected| <= rel * max |expected| (relative to the tensor's scale, so
 * tiny entries need no absolute floor); rel 0 asks for equality. A number is compared as a
 * 0-dim tensor of the expected dtype.
 */
export function expectRel(
  actual: Tensor | number | null | undefined,
  expected: Tensor,
  rel: number,
  what: string,
): void {
  torch.tidy(() => {
    const a = typeof actual === 'number' ? torch.tensor(actual, { dtype: expected.dtype }) : actual;
    expect(a, `${what}: missing`).toBeInstanceOf(torch.Tensor);
    expect([...(a as Tensor).shape], `${what}: shape`).toEqual([...expected.shape]);
    const err = maxAbsDiff(a as Tensor, expected);
    const scale = finiteScale(expected);
    expect(err, `${what}: max |diff| ${err}, scale ${scale}`).toBeLessThanOrEqual(rel * scale);
  });
}

/**
 * The worst relative error over a state dict and the key that has it. Keys and dtypes must
 * match; a non-float tensor counts 0 when equal and Infinity otherwise; a NaN error is worse
 * than any other, so it is the one reported.
 */
export function worst(actual: Record<string, Tensor>, expected: Record<string, Tensor>): { key: string; err: number } {
  let w = { key: '(all equal)', err: 0 };
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [k, e] of Object.entries(expected)) {
    const a = actual[k];
    expect(a.dtype, `${k}: dtype`).toBe(e.dtype);
    expectSameShape(a, e, k);
    const err = e.isFloatingPoint() ? relError(a, e) : torch.equal(a, e) ? 0 : Infinity;
    if (Number.isNaN(err)) return { key: k, err };
    if (err > w.err) w = { key: k, err };
  }
  return w;
}

/** Largest |a[i] - b[i]| over two arrays of the same length (NaN-aware like maxAbsDiff). */
export function maxDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`${a.length} values where ${b.length} were expected`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] === b[i] ? 0 : Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return NaN;
    if (d > m) m = d;
  }
  return m;
}

/** Whether |actual - expected| <= rel * |expected| (equal values, infinities included, always are; NaN never is). */
export function withinRel(actual: number, expected: number, rel: number): boolean {
  return actual === expected || Math.abs(actual - expected) <= rel * Math.abs(expected);
}

/** Element-wise closeness of a tensor to plain JS numbers: NaN where NaN is expected, infinities exactly. */
export function expectValues(t: Tensor, expected: readonly number[], digits = 5): void {
  const got = Array.from(t.toTypedArray(), Number);
  expect(got.length, 'number of elements').toBe(expected.length);
  got.forEach((v, i) => {
    if (Number.isNaN(expected[i])) expect(v, `element ${i}`).toBeNaN();
    else if (!Number.isFinite(expected[i])) expect(v, `element ${i}`).toBe(expected[i]);
    else expect(v, `element ${i}`).toBeCloseTo(expected[i], digits);
  });
}
