/**
 * Random draws for the random transforms, from libtorch's default generator exactly as
 * torchvision draws them (`torch.rand(1)`, `torch.empty(1).uniform_(a, b)`,
 * `torch.randint(low, high, (1,))`, `torch.randperm(n)`), so `torch.manualSeed(s)` gives
 * the same parameters as `torch.manual_seed(s)` does in torchvision.
 */
import { empty, rand, randint as randintTensor } from '../../torch/creation';
import { randperm as randpermTensor } from '../../torch/generator';

/** `torch.rand(1).item()`: a float32 value in [0, 1). */
export function random(): number {
  const t = rand([1]);
  try {
    return t.item() as number;
  } finally {
    t.dispose();
  }
}

/** `float(torch.empty(1).uniform_(low, high))`: a float32 value in [low, high). */
export function uniform(low: number, high: number): number {
  const t = empty([1]);
  try {
    return t.uniform_(low, high).item() as number;
  } finally {
    t.dispose();
  }
}

/** `torch.randint(low, high, (1,)).item()`: an integer in [low, high). */
export function randint(low: number, high: number): number {
  const t = randintTensor(low, high, [1]);
  try {
    return t.item() as number;
  } finally {
    t.dispose();
  }
}

/** `torch.randperm(n).tolist()` */
export function randperm(n: number): number[] {
  const t = randpermTensor(n);
  try {
    return t.toArray() as number[];
  } finally {
    t.dispose();
  }
}
