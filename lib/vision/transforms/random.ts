/**
 * Random draws for the random transforms, made exactly as torchvision makes them
 * (`torch.rand(1)`, `torch.empty(1).uniform_(a, b)`, `torch.randint(low, high, (1,))`,
 * `torch.randperm(n)`). Outside a DataLoader they draw from libtorch's default generator, so
 * `torch.manualSeed(s)` gives the same parameters as `torch.manual_seed(s)` does in
 * torchvision. While a DataLoader loads sample i they draw from that sample's generator
 * (`data.sampleGenerator()`, seeded from the loader's base seed, the epoch and i), so the
 * augmentation of a sample does not depend on decode order, concurrency or worker threads.
 */
import { sampleGenerator } from '../../data/seed';
import { empty } from '../../torch/creation';
import { call, methodEntries } from '../../torch/dispatch';
import { METHODS } from '../../torch/generated/signatures';
import { randperm as randpermTensor } from '../../torch/generator';
import { tidy } from '../../torch/memory';
import type { Tensor } from '../../torch/tensor';

// Tensor.uniform_ with a generator: the schema form (the direct binding takes none).
const UNIFORM = methodEntries({ uniform_: METHODS.uniform_ }).uniform_;

/** `torch.rand(1).item()`: a float32 value in [0, 1). */
export function random(): number {
  return uniform(0, 1);
}

/** `torch.empty(1).uniform_(low, high)`: a float32 [1] tensor of a value in [low, high). */
export function uniformTensor(low: number, high: number): Tensor {
  return call(UNIFORM, empty([1]), [low, high, { generator: sampleGenerator() }]);
}

/** `float(torch.empty(1).uniform_(low, high))`: a float32 value in [low, high). */
export function uniform(low: number, high: number): number {
  return tidy(() => uniformTensor(low, high).item() as number);
}

/** `torch.randint(low, high, (1,)).item()`: an integer in [low, high). */
export function randint(low: number, high: number): number {
  const generator = sampleGenerator();
  return tidy(() => empty([1], { dtype: 'int64' }).random_(low, high, { generator }).item() as number);
}

/** `torch.randperm(n).tolist()` */
export function randperm(n: number): number[] {
  const generator = sampleGenerator();
  return tidy(() => randpermTensor(n, { generator }).toArray() as number[]);
}
