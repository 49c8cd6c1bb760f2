/** Samplers: which indices a DataLoader visits, in which order. */
import { randint } from '../torch/creation';
import { checkBool, checkInt, typeError } from '../torch/errors';
import { Generator, randperm } from '../torch/generator';
import { tidy } from '../torch/memory';

/** Yields dataset indices for one epoch; `length` is how many. */
export interface Sampler {
  readonly length: number;
  indices(): number[];
}

export class SequentialSampler implements Sampler {
  constructor(readonly length: number) {
    checkInt(length, 'length', 0);
  }
  indices(): number[] {
    return Array.from({ length: this.length }, (_, i) => i);
  }
}

/**
 * A random permutation per epoch from a libtorch generator, as PyTorch's RandomSampler:
 * with the same seed it visits the same order as PyTorch does.
 */
export class RandomSampler implements Sampler {
  readonly generator: Generator;
  constructor(
    readonly length: number,
    options: { generator?: Generator } = {},
  ) {
    checkInt(length, 'length', 0);
    if (options.generator !== undefined && !(options.generator instanceof Generator)) {
      throw typeError('a torch.Generator', 'generator', options.generator);
    }
    // Without a generator PyTorch seeds a fresh one from the default generator.
    this.generator = options.generator ?? new Generator(tidy(() => randint(0, 2 ** 52, []).item() as number));
  }
  indices(): number[] {
    return tidy(() =>
      Array.from(randperm(this.length, { generator: this.generator }).toTypedArray() as BigInt64Array, Number),
    );
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
