/**
 * Reproducible randomness for data loading. A DataLoader iteration draws a base seed from
 * its generator (or the global one) as PyTorch's does; every sample then gets a seed derived
 * from (base seed, epoch of the iterator, sample index), and the random transforms of
 * vision.transforms draw from a generator seeded with it while that sample loads. So the
 * augmentation of sample i does not depend on which sample finished decoding first, on
 * how many are decoded at once, or on which worker thread loaded it.
 *
 * Outside a DataLoader (a transform called directly) nothing changes: the random transforms
 * draw from the global generator exactly as torchvision's do.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

import { empty } from '../torch/creation';
import { checkInt } from '../torch/errors';
import { Generator } from '../torch/generator';
import { tidy } from '../torch/memory';

interface Scope {
  /** The iterator's base seed. */
  baseSeed: bigint;
  /** Iterators started so far over the same (persistent) workers; 0 for the first. */
  epoch: number;
  /** The sample being loaded, when inside one. */
  sample?: { seed: bigint; generator: Generator | null };
}

const scope = new AsyncLocalStorage<Scope>();
/** Generators of finished samples, reused (libtorch generators are never freed). */
const pool: Generator[] = [];

const M64 = (1n << 64n) - 1n;
/** splitmix64's step: a well-mixed 64-bit value from any 64-bit input. */
function mix(z: bigint): bigint {
  z = (z + 0x9e3779b97f4a7c15n) & M64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}

/** The seed of sample `index` in the `epoch`-th iterator with base seed `baseSeed` (a uint64). */
export function sampleSeed(baseSeed: bigint, epoch: number, index: number): bigint {
  return mix(mix(mix(baseSeed) ^ BigInt(epoch)) ^ BigInt(index));
}

/**
 * PyTorch's `torch.empty((), dtype=torch.int64).random_(generator=generator).item()`: one
 * 63-bit draw from `generator` (the global generator when undefined), exact, as a bigint.
 */
export function drawSeed(generator?: Generator): bigint {
  return tidy(() => {
    const t = empty([], { dtype: 'int64' });
    t.random_(generator ? { generator } : {});
    return (t.toTypedArray() as BigInt64Array)[0];
  });
}

/** Runs `fn` with a DataLoader iterator's seeds in scope (samples loaded in it get their own). */
export function withLoaderSeed<R>(baseSeed: bigint, epoch: number, fn: () => R): R {
  return scope.run({ baseSeed, epoch }, fn);
}

/**
 * Runs `fn`, the loading of sample `index`, with that sample's generator in scope: the
 * random transforms called inside it (also after awaits) draw from
 * `Generator(sampleSeed(baseSeed, epoch, index))`. The DataLoader does this around every
 * `dataset.get(i)`; a dataset whose `getItems` loads items one by one calls it around each
 * (ImageFolder does). An error thrown inside gets `sampleIndex` set to `index`. Outside a
 * DataLoader iteration it just runs `fn`.
 */
export function forSample<R>(index: number, fn: () => R): R {
  const outer = scope.getStore();
  if (outer === undefined) return fn();
  checkInt(index, 'index');
  // An error says which sample failed (`error.sampleIndex`), as a worker's error reports it.
  const mark = (e: unknown): unknown => {
    if (e !== null && typeof e === 'object' && !('sampleIndex' in e) && Object.isExtensible(e))
      (e as { sampleIndex?: number }).sampleIndex = index;
    return e;
  };
  let out: R;
  try {
    out = withSeed(outer, sampleSeed(outer.baseSeed, outer.epoch, index), fn);
  } catch (e) {
    throw mark(e);
  }
  if (out instanceof Promise)
    return out.catch((e: unknown) => {
      throw mark(e);
    }) as R;
  return out;
}

/** Runs `fn` with a sample scope of seed `seed` (its generator made on first use, then pooled). */
function withSeed<R>(outer: Scope, seed: bigint, fn: () => R): R {
  const sample = { seed, generator: null as Generator | null };
  const release = (): void => {
    if (sample.generator) pool.push(sample.generator);
    sample.generator = null;
  };
  let out: R;
  try {
    out = scope.run({ ...outer, sample }, fn);
  } catch (e) {
    release();
    throw e;
  }
  if (out instanceof Promise) return out.finally(release) as R;
  release();
  return out;
}

/**
 * Runs `fn`, a dataset's `getItems(indices)`, with a generator for the whole batch in scope,
 * seeded from the loader's seeds and every index of the batch: a transform applied to the
 * whole batch at once draws reproducibly (once per batch). Items a `getItems` loads one by
 * one under `forSample` get their own generators.
 */
export function forBatch<R>(indices: readonly number[], fn: () => R): R {
  const outer = scope.getStore();
  if (outer === undefined) return fn();
  let key = 0x6261746368n; // distinct from any single sample's seed
  for (const i of indices) key = mix(key ^ BigInt(i));
  return withSeed(outer, sampleSeed(outer.baseSeed, outer.epoch, 0) ^ key, fn);
}

/**
 * The generator of the sample being loaded (seeded from the DataLoader's base seed, the epoch
 * and the sample's index), or undefined outside a DataLoader's loading of a sample. Random
 * draws of a dataset's own `get` that should be reproducible take it:
 * `torch.randperm(n, { generator: data.sampleGenerator() })`.
 */
export function sampleGenerator(): Generator | undefined {
  const sample = scope.getStore()?.sample;
  if (sample === undefined) return undefined;
  if (sample.generator === null) {
    const g = pool.pop() ?? new Generator();
    sample.generator = g.manualSeed(sample.seed);
  }
  return sample.generator;
}
