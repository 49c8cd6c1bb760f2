/**
 * FakeData, as torchvision.datasets.FakeData: `size` random images, the same ones on every
 * visit. Item `i` draws its image (`randn(...imageSize)`, then converted to bytes as
 * ToPILImage does: `mul(255).byte()`) and its target (`randint(0, numClasses)`) from the global
 * generator seeded with `i + randomOffset`, and restores the generator's state afterwards, so the
 * values equal torchvision's and iterating does not disturb other random draws.
 */
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkInt, rangeError, typeError } from '../../torch/errors';
import { manualSeed, randint, randn } from '../../torch/creation';
import { getRngState, setRngState } from '../../torch/generator';
import { tidy } from '../../torch/memory';
import type { Tensor } from '../../torch/tensor';
import type { Dataset } from '../../data/dataset';
import type { Transform } from '../transforms/index';

export interface FakeDataOptions {
  size?: number;
  imageSize?: readonly number[];
  numClasses?: number;
  transform?: Transform;
  targetTransform?: Transform;
  /** Added to the index to seed each item (torchvision's `random_offset`). */
  randomOffset?: number;
}

const FAKE_KEYS = ['size', 'imageSize', 'numClasses', 'transform', 'targetTransform', 'randomOffset'] as const;

export class FakeData implements Dataset<[Tensor, number]> {
  readonly size: number;
  readonly imageSize: readonly number[];
  readonly numClasses: number;
  readonly transform?: Transform;
  readonly targetTransform?: Transform;
  readonly randomOffset: number;

  /**
   * `size` images of `imageSize` ([C, H, W]) in `numClasses` classes. Every argument may be
   * positional, in torchvision's order (size, imageSize, numClasses, transform,
   * targetTransform, randomOffset), or named: `new FakeData(100, [3, 32, 32], 10, transform)`,
   * `new FakeData({ size: 100, imageSize: [1, 28, 28] })`.
   */
  constructor(
    ...args: WithOptions<
      [
        size: number,
        imageSize: readonly number[],
        numClasses: number,
        transform: Transform | undefined,
        targetTransform: Transform | undefined,
        randomOffset: number,
      ],
      FakeDataOptions
    >
  ) {
    const o = bindArgs<FakeDataOptions>(args, FAKE_KEYS, 'FakeData');
    const { size = 1000, imageSize = [3, 224, 224], numClasses = 10, transform } = o;
    this.size = checkInt(size, 'size', 0);
    if (!Array.isArray(imageSize) || imageSize.length === 0)
      throw typeError('an image shape like [3, 224, 224]', 'imageSize', imageSize);
    for (const [i, d] of imageSize.entries()) checkInt(d, `imageSize[${i}]`, 1);
    this.imageSize = [...imageSize];
    this.numClasses = checkInt(numClasses, 'numClasses', 1);
    this.transform = transform;
    this.targetTransform = o.targetTransform;
    this.randomOffset = checkInt(o.randomOffset ?? 0, 'randomOffset');
  }

  get length(): number {
    return this.size;
  }

  get(index: number): [Tensor, number] {
    checkInt(index, 'index');
    if (index < 0 || index >= this.size) throw rangeError(`an index in [0, ${this.size - 1}]`, 'index', index);
    return tidy(() => {
      const state = getRngState();
      let img: Tensor;
      let target: number;
      try {
        manualSeed(index + this.randomOffset);
        img = randn([...this.imageSize]);
        target = randint(0, this.numClasses, [1]).item() as number;
      } finally {
        setRngState(state);
      }
      img = img.mul(255).to('uint8'); // ToPILImage: pic.mul(255).byte()
      if (this.transform) img = this.transform.forward(img);
      if (this.targetTransform) target = this.targetTransform.forward(target as never) as unknown as number;
      return [img, target] as [Tensor, number];
    });
  }
}
