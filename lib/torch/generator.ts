/** torch.Generator: a seeded CPU random generator (libtorch's, so sequences match PyTorch's). */
import { N } from '../native';
import { checkInt, checkOptions, optionKeys, rangeError, typeError } from './errors';
import { _wrap as wrap, Tensor } from './tensor';

/** A seed: an integer >= 0, or a bigint for PyTorch's full 64-bit seeds. */
function checkSeed(seed: unknown): number | bigint {
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed >= 1n << 64n) throw rangeError('a seed in [0, 2**64)', 'seed', seed);
    return seed;
  }
  return checkInt(seed, 'seed', 0);
}

export class Generator {
  /** @internal native generator index */
  readonly handle: number;

  /** A generator seeded with `seed` (a number, or a bigint up to 2**64 - 1). */
  constructor(seed: number | bigint = 67280421310721) {
    this.handle = N.generatorNew(checkSeed(seed));
  }
  /** Re-seeds (a number, or a bigint up to 2**64 - 1); returns this generator, as PyTorch's `manual_seed`. */
  manualSeed(seed: number | bigint): this {
    N.generatorSeed(this.handle, checkSeed(seed));
    return this;
  }
  /** The generator's full state as a uint8 tensor (for checkpoints). */
  getState(): Tensor {
    return wrap(N.generatorGetState(this.handle));
  }
  setState(state: Tensor): void {
    if (!(state instanceof Tensor)) throw typeError('a Tensor from getState()', 'state', state);
    N.generatorSetState(this.handle, state.handle);
  }
}

/** Options of `randperm`. */
export interface RandpermOptions {
  generator?: Generator;
}
const RANDPERM_KEYS = optionKeys<RandpermOptions>({ generator: 1 });

/** A random permutation of 0..n-1 (int64), as `torch.randperm`. */
export function randperm(n: number, options: RandpermOptions = {}): Tensor {
  const g = checkOptions<RandpermOptions>(options, 'randperm options', RANDPERM_KEYS).generator;
  if (g !== undefined && !(g instanceof Generator)) throw typeError('a torch.Generator', 'generator', g);
  return wrap(N.randperm(checkInt(n, 'n', 0), g ? g.handle : -1));
}

/** The default CPU generator's state (`torch.get_rng_state`). */
export function getRngState(): Tensor {
  return wrap(N.getRngState());
}
/** Restores the default CPU generator's state (`torch.set_rng_state`). */
export function setRngState(state: Tensor): void {
  if (!(state instanceof Tensor)) throw typeError('a Tensor from getRngState()', 'state', state);
  N.setRngState(state.handle);
}
