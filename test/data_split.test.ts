// data.Subset, data.ConcatDataset and data.randomSplit against torch.utils.data's.
import { beforeAll, describe, expect, it, vi } from 'vitest';

import { data, torch } from '../lib/index';
import { runReference } from './parity/fixtures';

/** A dataset whose item i is 100 + i (and that counts its get calls). */
function numbers(n: number, base = 100) {
  return { length: n, get: (i: number) => base + i };
}

interface SplitCase {
  n: number;
  seed: number | string;
  lengths: number[];
}
const CASES: SplitCase[] = [
  { n: 10, seed: 42, lengths: [3, 7] },
  { n: 31, seed: 42, lengths: [0.3, 0.3, 0.4] },
  { n: 31, seed: 42, lengths: [0.5, 0.25, 0.25, 0] },
  { n: 31, seed: 5, lengths: [0.34, 0.33, 0.33] },
  { n: 20, seed: 'global:7', lengths: [0.7, 0.3] },
];
// One Python run for every case (starting torch takes seconds on a loaded machine).
let py: { splits: number[][]; after: number[] }[] = [];
beforeAll(() => {
  py = JSON.parse(runReference('data_split.py', [JSON.stringify(CASES)]));
}, 300_000);

describe('Subset', () => {
  it('maps indices, and keeps getItems when the dataset has it', async () => {
    const s = new data.Subset(numbers(10), [7, 2, 2, 9]);
    expect(s.length).toBe(4);
    expect([0, 1, 2, 3].map((i) => s.get(i))).toEqual([107, 102, 102, 109]);
    expect(s.getItems).toBeUndefined();
    expect(() => s.get(4)).toThrow(/Expected an index in \[0, 3\] for index but received 4/);
    expect(() => new data.Subset(numbers(3), [0, 3])).toThrow(/index in \[0, 2\]/);
    expect(() => new data.Subset({} as never, [0])).toThrow(/Expected a Dataset/);

    const td = new data.TensorDataset(torch.arange(10).mul(10));
    const sub = new data.Subset(td, [5, 1, 8]);
    expect(typeof sub.getItems).toBe('function');
    const [x] = (await (sub.getItems as (i: number[]) => Promise<torch.Tensor[]>)([2, 0])) as torch.Tensor[];
    expect(x.toArray()).toEqual([80, 50]);
    const seen: number[] = [];
    for await (const [b] of new data.DataLoader(sub, { batchSize: 2 })) seen.push(...(b.toArray() as number[]));
    expect(seen).toEqual([50, 10, 80]);
  });
});

describe('ConcatDataset', () => {
  it("indexes across datasets as PyTorch's (bisect_right on cumulative sizes, negative indices)", () => {
    const c = new data.ConcatDataset([numbers(3, 0), numbers(0, 50), numbers(2, 100)]);
    expect(c.cumulativeSizes).toEqual([3, 3, 5]);
    expect(c.length).toBe(5);
    expect([0, 1, 2, 3, 4].map((i) => c.get(i))).toEqual([0, 1, 2, 100, 101]);
    expect(c.get(-1)).toBe(101);
    expect(c.get(-5)).toBe(0);
    expect(() => c.get(-6)).toThrow(/absolute value of index should not exceed dataset length/);
    expect(() => c.get(5)).toThrow(/index in \[0, 4\]/);
    expect(() => new data.ConcatDataset([])).toThrow(/should not be an empty iterable/);
    expect(() => new data.ConcatDataset([numbers(1), 3 as never])).toThrow(/Expected a Dataset .* for datasets\[1\]/);
  });
});

describe('randomSplit', () => {
  it("draws PyTorch's subsets from a seeded generator, with counts and with fractions", () => {
    CASES.slice(0, 4).forEach(({ n, seed, lengths }, k) => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const ours = data.randomSplit(numbers(n, 0), lengths, new torch.Generator(seed as number));
      warn.mockRestore();
      expect(ours.map((s) => [...s.indices])).toEqual(py[k].splits);
      expect(ours.map((s) => Array.from({ length: s.length }, (_, i) => s.get(i)))).toEqual(py[k].splits);
    });
    // The options form is the same call.
    const g = data.randomSplit(numbers(10), [3, 7], { generator: new torch.Generator(42) });
    expect(g.map((s) => [...s.indices])).toEqual(py[0].splits);
  });

  it('draws from the global generator by default, consuming it as PyTorch does', () => {
    torch.manualSeed(7);
    const ours = data.randomSplit(numbers(20), [0.7, 0.3]);
    expect(ours.map((s) => [...s.indices])).toEqual(py[4].splits);
    expect(torch.rand(3).toArray()).toEqual(py[4].after);
  });

  it('rejects lengths that do not fit and warns about empty splits', () => {
    expect(() => data.randomSplit(numbers(10), [3, 6])).toThrow(/sum to 9, not to the length of the dataset \(10\)/);
    expect(() => data.randomSplit(numbers(10), [1.5, -0.5])).toThrow(/fraction at index 0 is not between 0 and 1/);
    expect(() => data.randomSplit(numbers(10), [2.5, 7.5])).toThrow(/Expected an integer for lengths\[0\]/);
    expect(() => data.randomSplit(numbers(10), [5, 5], { gen: 1 } as never)).toThrow(/did you mean generator/);
    expect(() => data.randomSplit(numbers(10), [5, 5], 3 as never)).toThrow(/Expected a torch.Generator/);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(data.randomSplit(numbers(2), [0.5, 0.5, 0]).map((s) => s.length)).toEqual([1, 1, 0]);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/split at index 2 is 0/));
    warn.mockRestore();
  });
});
