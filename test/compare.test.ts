// The comparison helpers (test/compare.ts) must fail on what a broken result looks like: a
// NaN on either side, an infinity where a number is expected, a tensor of another shape. And
// they must pass equal values, equal infinities included, or they could not be used at 0.
import { describe, expect, it } from 'vitest';

import { type Tensor, torch } from '../lib/index';
import {
  expectClose,
  expectRel,
  expectValues,
  finiteScale,
  maxAbsDiff,
  maxDiff,
  relError,
  withinRel,
  worst,
} from './compare';

const t = (values: number[]): Tensor => torch.keep(torch.tensor(values, { dtype: 'float32' }));
const base = t([1, -2, 3]);
const bad: Record<string, Tensor> = {
  'NaN in actual': t([1, Number.NaN, 3]),
  'Inf in actual': t([1, -2, Number.POSITIVE_INFINITY]),
  'a different value': t([1, -2, 3.5]),
};
const withNaN = t([1, Number.NaN, 3]);
const withInf = t([1, Number.NEGATIVE_INFINITY, 3]);
const longer = t([1, -2, 3, 4]);
const column = torch.keep(base.reshape([3, 1])); // broadcasts against base: [3, 3]
const EXACT = { rtol: 0, atol: 0 };
const LOOSE = { rtol: 1e-3, atol: 1e-3 };

describe('maxAbsDiff and relError', () => {
  it('are 0 for equal tensors, equal infinities included, and measure a difference', () => {
    expect(maxAbsDiff(base, t([1, -2, 3]))).toBe(0);
    expect(maxAbsDiff(withInf, t([1, Number.NEGATIVE_INFINITY, 3]))).toBe(0);
    expect(maxAbsDiff(bad['a different value'], base)).toBe(0.5);
    expect(relError(bad['a different value'], base)).toBeCloseTo(0.5 / 3, 12);
  });

  it.each(Object.keys(bad))('%s: a difference no tolerance accepts', (name) => {
    for (const err of [maxAbsDiff(bad[name], base), relError(bad[name], base)]) expect(err <= 1e-3).toBe(false);
  });

  it('NaN on the expected side, or on both, is never equal', () => {
    expect(maxAbsDiff(base, withNaN)).toBeNaN();
    expect(maxAbsDiff(withNaN, withNaN)).toBeNaN();
    expect(relError(withNaN, withNaN)).toBeNaN();
  });

  it('an infinity where the other side has a number is an infinite error', () => {
    expect(maxAbsDiff(withInf, base)).toBe(Number.POSITIVE_INFINITY);
    expect(maxAbsDiff(base, withInf)).toBe(Number.POSITIVE_INFINITY);
    // The scale is taken over finite values, so an infinity in the reference does not hide errors.
    expect(finiteScale(withInf)).toBe(3);
    expect(relError(t([1, Number.NEGATIVE_INFINITY, 4]), withInf)).toBeCloseTo(1 / 3, 12);
  });

  it('refuse tensors of other shapes instead of broadcasting them', () => {
    expect(() => maxAbsDiff(longer, base)).toThrow(/shape \[4\] where \[3\] was expected/);
    expect(() => maxAbsDiff(column, base)).toThrow(/shape \[3, 1\] where \[3\] was expected/);
    expect(() => relError(column, base)).toThrow(/shape/);
    expect(() => maxAbsDiff(torch.zeros([0]), base)).toThrow(/shape/);
  });
});

describe('expectClose (allclose)', () => {
  it('passes equal tensors at tolerance 0, equal infinities included', () => {
    expectClose(t([1, -2, 3]), base, EXACT, 'equal');
    expectClose(t([1, Number.NEGATIVE_INFINITY, 3]), withInf, EXACT, 'equal infinities');
  });

  it.each(Object.keys(bad))('%s: fails even under a loose tolerance', (name) => {
    expect(() => expectClose(bad[name], base, LOOSE, name)).toThrow(name);
  });

  it('fails on NaN on either side or both, on an infinity, on another shape, dtype or a missing tensor', () => {
    expect(() => expectClose(base, withNaN, LOOSE, 'x')).toThrow(/max \|diff\| NaN/);
    expect(() => expectClose(withNaN, withNaN, LOOSE, 'x')).toThrow(/max \|diff\| NaN/);
    expect(() => expectClose(base, withInf, LOOSE, 'x')).toThrow(/max \|diff\| Infinity/);
    expect(() => expectClose(column, base, LOOSE, 'x')).toThrow(/x: shape/);
    expect(() => expectClose(longer, base, LOOSE, 'x')).toThrow(/x: shape/);
    expect(() => expectClose(base.double(), base, LOOSE, 'x')).toThrow(/x: dtype/);
    expect(() => expectClose(null, base, LOOSE, 'x')).toThrow(/x: missing/);
  });
});

describe('expectRel', () => {
  it('passes equal values at 0 and a difference inside the tolerance', () => {
    expectRel(t([1, -2, 3]), base, 0, 'equal');
    expectRel(t([1, -2, 3.002]), base, 1e-3, 'close');
    expectRel(2.5, torch.tensor(2.5, { dtype: 'float32' }), 0, 'a number');
  });

  it.each(Object.keys(bad))('%s: fails', (name) => {
    expect(() => expectRel(bad[name], base, 1e-3, name)).toThrow(name);
  });

  it('fails on NaN expected, on another shape, on a missing value', () => {
    expect(() => expectRel(withNaN, withNaN, 1e-3, 'x')).toThrow(/max \|diff\| NaN/);
    expect(() => expectRel(column, base, 1e-3, 'x')).toThrow(/x: shape/);
    expect(() => expectRel(undefined, base, 1e-3, 'x')).toThrow(/x: missing/);
    expect(() => expectRel(Number.NaN, torch.tensor(1, { dtype: 'float32' }), 1e-3, 'x')).toThrow(/NaN/);
  });
});

describe('worst', () => {
  const ref = { a: base, b: torch.keep(torch.tensor([4, 5], { dtype: 'int64' })) };

  it('is 0 for equal state dicts and names the key of a difference', () => {
    expect(worst({ a: t([1, -2, 3]), b: torch.tensor([4, 5], { dtype: 'int64' }) }, ref)).toEqual({
      key: '(all equal)',
      err: 0,
    });
    expect(worst({ a: bad['a different value'], b: ref.b }, ref).key).toBe('a');
    expect(worst({ a: base, b: torch.tensor([4, 6], { dtype: 'int64' }) }, ref)).toEqual({ key: 'b', err: Infinity });
  });

  it('reports a NaN gradient as the worst error, whatever comes after it', () => {
    const w = worst({ a: withNaN, b: ref.b }, ref);
    expect(w.key).toBe('a');
    expect(w.err).toBeNaN();
    expect(w.err <= 1e-4).toBe(false);
    // A larger error on a later key does not replace the NaN.
    const w3 = worst({ a: withNaN, b: t([0, 0, 0]) }, { a: base, b: t([100, 100, 100]) });
    expect(w3.key).toBe('a');
    expect(w3.err).toBeNaN();
  });

  it('reports an infinity, and refuses other shapes, dtypes or keys', () => {
    expect(worst({ a: bad['Inf in actual'], b: ref.b }, ref)).toEqual({ key: 'a', err: Infinity });
    expect(() => worst({ a: column, b: ref.b }, ref)).toThrow(/a: shape/);
    expect(() => worst({ a: base.double(), b: ref.b }, ref)).toThrow(/a: dtype/);
    expect(() => worst({ a: base }, ref)).toThrow();
  });
});

describe('maxDiff and withinRel (plain numbers)', () => {
  it('are 0 / true for equal values, infinities included', () => {
    expect(maxDiff([1, Number.POSITIVE_INFINITY], [1, Number.POSITIVE_INFINITY])).toBe(0);
    expect(withinRel(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, 0)).toBe(true);
    expect(withinRel(0.1 + 0.2, 0.3, 1e-15)).toBe(true);
    expect(withinRel(0.1 + 0.2, 0.3, 0)).toBe(false);
  });

  it('see NaN on either side, wherever it is, and infinities', () => {
    expect(maxDiff([Number.NaN, 1], [0, 100])).toBeNaN();
    expect(maxDiff([0, 1], [0, Number.NaN])).toBeNaN();
    expect(maxDiff([0, Number.POSITIVE_INFINITY], [0, 1])).toBe(Number.POSITIVE_INFINITY);
    expect(withinRel(Number.NaN, 1, 1)).toBe(false);
    expect(withinRel(1, Number.NaN, 1)).toBe(false);
    expect(withinRel(Number.NaN, Number.NaN, 1)).toBe(false);
    expect(withinRel(Number.POSITIVE_INFINITY, 1, 1e6)).toBe(false);
  });

  it('maxDiff refuses arrays of other lengths', () => {
    expect(() => maxDiff([1, 2], [1, 2, 3])).toThrow(/2 values where 3 were expected/);
    expect(() => maxDiff([1, 2, 3], [1, 2])).toThrow(/3 values where 2 were expected/);
  });
});

describe('expectValues (a tensor against JS numbers)', () => {
  it('passes close values, NaN where NaN is expected and equal infinities', () => {
    expectValues(t([1, Number.NaN, Number.NEGATIVE_INFINITY]), [1.000001, Number.NaN, Number.NEGATIVE_INFINITY]);
  });

  it('fails on NaN, an infinity or a wrong count', () => {
    expect(() => expectValues(withNaN, [1, -2, 3])).toThrow(/element 1/);
    expect(() => expectValues(base, [1, Number.NaN, 3])).toThrow(/element 1/);
    expect(() => expectValues(withInf, [1, -2, 3])).toThrow(/element 1/);
    expect(() => expectValues(base, [1, Number.POSITIVE_INFINITY, 3])).toThrow(/element 1/);
    expect(() => expectValues(base, [1, -2])).toThrow(/number of elements/);
  });
});
