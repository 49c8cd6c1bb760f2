/**
 * DistributedSampler: each rank of a data-parallel job visits its own slice of the data
 * set, every rank the same number of indices. The order is PyTorch's, index for index
 * (`torch.randperm` from a generator seeded with `seed + epoch`, padded by repeating
 * indices, then every `numReplicas`-th index from `rank`), so a job split over N
 * processes sees exactly what PyTorch's DistributedSampler would give it.
 */
import { isInitialized, getRank, getWorldSize } from '../distributed/index';
import { checkBool, checkInt, checkOptions, TorchError } from '../torch/errors';
import { Generator, randperm } from '../torch/generator';
import { tidy } from '../torch/memory';
import type { Sampler } from './sampler';

export interface DistributedSamplerOptions {
  /** Number of processes (default: the default group's world size). */
  numReplicas?: number;
  /** This process's rank (default: its rank in the default group). */
  rank?: number;
  /** Shuffle every epoch (default true). */
  shuffle?: boolean;
  /** Seed shared by all ranks (default 0); the permutation of epoch e uses seed + e. */
  seed?: number;
  /** Drop the tail that does not divide evenly instead of padding (default false). */
  dropLast?: boolean;
}

export class DistributedSampler implements Sampler {
  readonly numReplicas: number;
  readonly rank: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  /** Indices per rank and epoch. */
  readonly numSamples: number;
  /** Indices over all ranks per epoch (after padding or dropping). */
  readonly totalSize: number;
  private epoch = 0;
  private readonly datasetLength: number;
  private generator: Generator | null = null;

  /** `dataset`: the data set (anything with a `length`) or its length. */
  constructor(dataset: number | { length: number }, options: DistributedSamplerOptions = {}) {
    const o = checkOptions<DistributedSamplerOptions>(options);
    const n = checkInt(typeof dataset === 'number' ? dataset : dataset?.length, 'dataset length', 0);
    if ((o.numReplicas === undefined || o.rank === undefined) && !isInitialized()) {
      throw new TorchError(
        'DistributedSampler: numReplicas and rank default to the default process group, which is not initialized; call distributed.initProcessGroup() or pass both',
      );
    }
    this.numReplicas = o.numReplicas !== undefined ? checkInt(o.numReplicas, 'numReplicas', 1) : getWorldSize();
    this.rank = o.rank !== undefined ? checkInt(o.rank, 'rank') : getRank();
    if (this.rank < 0 || this.rank >= this.numReplicas) {
      throw new TorchError(
        `DistributedSampler: invalid rank ${this.rank}, rank should be in the interval [0, ${this.numReplicas - 1}]`,
      );
    }
    this.shuffle = checkBool(o.shuffle ?? true, 'shuffle');
    this.seed = checkInt(o.seed ?? 0, 'seed', 0);
    this.dropLast = checkBool(o.dropLast ?? false, 'dropLast');
    this.datasetLength = n;
    this.numSamples =
      this.dropLast && n % this.numReplicas !== 0
        ? Math.ceil((n - this.numReplicas) / this.numReplicas)
        : Math.ceil(n / this.numReplicas);
    this.totalSize = this.numSamples * this.numReplicas;
  }

  /** Indices this rank visits per epoch. */
  get length(): number {
    return this.numSamples;
  }

  /** Sets the epoch, which picks the permutation: call it before each epoch, on every rank. */
  setEpoch(epoch: number): void {
    this.epoch = checkInt(epoch, 'epoch', 0);
  }

  /** This rank's indices for the current epoch. */
  indices(): number[] {
    const n = this.datasetLength;
    let all: number[];
    if (this.shuffle) {
      // A generator re-seeded with seed + epoch, as PyTorch's fresh torch.Generator().manual_seed(seed + epoch).
      this.generator ??= new Generator();
      const g = this.generator.manualSeed(this.seed + this.epoch);
      all = tidy(() => Array.from(randperm(n, { generator: g }).toTypedArray() as BigInt64Array, Number));
    } else {
      all = Array.from({ length: n }, (_, i) => i);
    }
    if (!this.dropLast) {
      const pad = this.totalSize - all.length;
      if (pad > 0 && all.length > 0) {
        const base = all.slice();
        while (all.length < this.totalSize) all.push(...base.slice(0, this.totalSize - all.length));
      }
    } else {
      all = all.slice(0, this.totalSize);
    }
    const out: number[] = [];
    for (let i = this.rank; i < this.totalSize; i += this.numReplicas) out.push(all[i]);
    return out;
  }
}
