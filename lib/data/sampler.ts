/** Samplers: which indices a DataLoader visits, in which order (torch.utils.data's). */
import { bindArgs, type WithOptions } from '../torch/args';
import { empty } from '../torch/creation';
import { checkBool, checkInt, typeError } from '../torch/errors';
import { Generator, randperm } from '../torch/generator';
import { tidy } from '../torch/memory';
import type { Tensor } from '../torch/tensor';
import { drawSeed } from './seed';

/** Yields dataset indices for one epoch; `length` is how many. */
export interface Sampler {
  readonly length: number;
  indices(): number[];
}

/** A data source's length: a number, or anything with a `length` (a Dataset). */
function sourceLength(dataSource: number | { length: number }, argument: string): number {
  return checkInt(typeof dataSource === 'number' ? dataSource : dataSource?.length, `${argument} length`, 0);
}

function checkGenerator(g: unknown): Generator | undefined {
  if (g !== undefined && g !== null && !(g instanceof Generator)) throw typeError('a torch.Generator', 'generator', g);
  return (g ?? undefined) as Generator | undefined;
}

function toNumbers(t: { toTypedArray(): unknown }): number[] {
  return Array.from(t.toTypedArray() as BigInt64Array, Number);
}

/** 0, 1, ..., n-1 (`SequentialSampler(data_source)`); `dataSource` is a dataset or its length. */
export class SequentialSampler implements Sampler {
  readonly length: number;
  constructor(dataSource: number | { length: number }) {
    this.length = sourceLength(dataSource, 'dataSource');
  }
  indices(): number[] {
    return Array.from({ length: this.length }, (_, i) => i);
  }
}

export interface RandomSamplerOptions {
  /** Draw with replacement (default false). */
  replacement?: boolean;
  /** Indices per epoch (default: the data source's length). */
  numSamples?: number;
  /** The generator of the permutations (default: a fresh one per epoch, seeded from the global generator). */
  generator?: Generator;
}

const RANDOM_SAMPLER_ARGS = ['replacement', 'numSamples', 'generator'] as const;

/**
 * Random order per epoch, as PyTorch's `RandomSampler(data_source, replacement=False,
 * num_samples=None, generator=None)`, draw for draw: with a generator, `torch.randperm(n,
 * generator)` (or `randint` in blocks of 32 with replacement); without one, each epoch first
 * draws a seed from the global generator (`torch.empty((), dtype=torch.int64).random_()`) for a
 * fresh generator. So a seeded script visits the same order as PyTorch and leaves the global
 * generator in the same state.
 */
export class RandomSampler implements Sampler {
  readonly replacement: boolean;
  readonly generator: Generator | undefined;
  private readonly n: number;
  private readonly samples: number | undefined;
  /** Re-seeded every epoch when there is no generator (PyTorch makes a fresh one). */
  private fresh: Generator | undefined;

  constructor(
    dataSource: number | { length: number },
    ...args: WithOptions<[replacement: boolean, numSamples: number, generator: Generator], RandomSamplerOptions>
  ) {
    const o = bindArgs<RandomSamplerOptions>(args, RANDOM_SAMPLER_ARGS, 'RandomSampler');
    this.n = sourceLength(dataSource, 'dataSource');
    this.replacement = checkBool(o.replacement ?? false, 'replacement');
    this.samples = o.numSamples === undefined ? undefined : checkInt(o.numSamples, 'numSamples', 1);
    this.generator = checkGenerator(o.generator);
  }

  /** Indices per epoch: numSamples, or the data source's length. */
  get length(): number {
    return this.samples ?? this.n;
  }

  indices(): number[] {
    const n = this.n;
    let generator = this.generator;
    if (generator === undefined) {
      const seed = drawSeed();
      generator = this.fresh = (this.fresh ?? new Generator()).manualSeed(seed);
    }
    const out: number[] = [];
    const total = this.length;
    tidy(() => {
      if (this.replacement) {
        for (let i = 0; i < Math.floor(total / 32); i++) append(out, toNumbers(randintFrom(n, 32, generator)));
        append(out, toNumbers(randintFrom(n, total % 32, generator)));
      } else {
        for (let i = 0; i < Math.floor(total / n); i++) append(out, toNumbers(randperm(n, { generator })));
        append(out, toNumbers(randperm(n, { generator })).slice(0, total % n));
      }
    });
    return out;
  }
}

/** `torch.randint(high=n, size=(k,), dtype=torch.int64, generator=g)`. */
function randintFrom(n: number, k: number, generator: Generator): Tensor {
  return empty([k], { dtype: 'int64' }).random_(0, n, { generator });
}

/**
 * Groups another sampler's indices into batches (`BatchSampler(sampler, batch_size,
 * drop_last)`); a DataLoader takes one as `batchSampler`.
 */
export class BatchSampler {
  readonly sampler: Sampler;
  readonly batchSize: number;
  readonly dropLast: boolean;
  constructor(sampler: Sampler, batchSize: number, dropLast: boolean) {
    if (!sampler || typeof sampler.indices !== 'function' || typeof sampler.length !== 'number')
      throw typeError('a Sampler (with length and indices())', 'sampler', sampler);
    this.sampler = sampler;
    this.batchSize = checkInt(batchSize, 'batchSize', 1);
    this.dropLast = checkBool(dropLast, 'dropLast');
  }
  /** Batches per epoch. */
  get length(): number {
    const n = this.sampler.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
  /** This epoch's batches of indices. */
  batches(): number[][] {
    return batches(this.sampler.indices(), this.batchSize, this.dropLast);
  }
}

/** Groups a sampler's indices into batches. */
export function batches(indices: number[], batchSize: number, dropLast: boolean): number[][] {
  checkInt(batchSize, 'batchSize', 1);
  checkBool(dropLast, 'dropLast');
  const out: number[][] = [];
  for (let i = 0; i < indices.length; i += batchSize) {
    const b = indices.slice(i, i + batchSize);
    if (b.length < batchSize && dropLast) break;
    out.push(b);
  }
  return out;
}

/** `out.push(...xs)` without spreading: a spread of a million indices overflows the stack. */
function append(out: number[], xs: readonly number[]): void {
  for (const x of xs) out.push(x);
}
