/**
 * CIFAR-10 and CIFAR-100 from the binary version (cifar-10-batches-bin / cifar-100-binary),
 * as torchvision.datasets.CIFAR10/100. Images are uint8 [3, 32, 32] before transforms.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { tensor } from '../../torch/creation';
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, TorchError, typeError } from '../../torch/errors';
import { keep, tidy } from '../../torch/memory';
import type { Tensor } from '../../torch/tensor';
import type { Dataset } from '../../data/dataset';
import type { Transform } from '../transforms/index';

const PIXELS = 3 * 32 * 32;

export interface CIFAROptions {
  train?: boolean;
  transform?: Transform;
  targetTransform?: Transform;
  /** Must be false: torchts cannot reach the CIFAR mirrors (put the binary files under root). */
  download?: boolean;
}

/** torchvision's positional order after root. */
const CIFAR_POSITIONAL = ['train', 'transform', 'targetTransform', 'download'] as const;

/** The arguments after `root`, as torchvision's: train, transform, targetTransform, download, positional or named. */
export type CIFARArgs = WithOptions<
  [train: boolean, transform: Transform | undefined, targetTransform: Transform | undefined, download: boolean],
  CIFAROptions
>;

function cifarOptions(args: readonly unknown[], name: string): CIFAROptions {
  const o = bindArgs<CIFAROptions>(args, CIFAR_POSITIONAL, name);
  if (o.download !== undefined && checkBool(o.download, 'download')) {
    throw new TorchError(
      `${name}: download is not available (torchts cannot reach the mirrors); put the binary version's files under root`,
    );
  }
  return o;
}

/** Reads CIFAR binary records: `labelBytes` label bytes (the last one is the class) + 3072 pixels. */
function readRecords(files: string[], labelBytes: number): { images: Uint8Array; labels: Uint8Array } {
  const record = labelBytes + PIXELS;
  const buffers = files.map((f) => {
    let b: Buffer;
    try {
      b = fs.readFileSync(f);
    } catch (e) {
      throw new TorchError(`cannot read ${f}: ${(e as Error).message}`);
    }
    if (b.length === 0 || b.length % record !== 0) {
      throw new TorchError(
        `${f} is truncated or not a CIFAR binary file: ${b.length} bytes is not a multiple of ${record}`,
      );
    }
    return b;
  });
  const n = buffers.reduce((a, b) => a + b.length / record, 0);
  const images = new Uint8Array(n * PIXELS);
  const labels = new Uint8Array(n);
  let i = 0;
  for (const b of buffers) {
    for (let off = 0; off < b.length; off += record, i++) {
      labels[i] = b[off + labelBytes - 1];
      images.set(b.subarray(off + labelBytes, off + record), i * PIXELS);
    }
  }
  return { images, labels };
}

abstract class CIFARBase implements Dataset<[Tensor, number], [Tensor, Tensor]> {
  /** All images, uint8 [N, 3, 32, 32]. */
  readonly data: Tensor;
  /** All labels, int64 [N]. */
  readonly targets: Tensor;
  abstract readonly classes: string[];
  readonly transform?: Transform;
  readonly targetTransform?: Transform;

  protected constructor(files: string[], labelBytes: number, numClasses: number, o: CIFAROptions) {
    const { images, labels } = readRecords(files, labelBytes);
    for (const l of labels)
      if (l >= numClasses)
        throw new TorchError(`CIFAR labels contain ${l}, outside 0..${numClasses - 1}: is this the right data set?`);
    this.data = keep(tensor(images).view(labels.length, 3, 32, 32));
    this.targets = keep(tidy(() => tensor(labels).to('int64')));
    this.transform = o.transform;
    this.targetTransform = o.targetTransform;
  }

  get length(): number {
    return this.data.shape[0];
  }

  get(index: number): [Tensor, number] {
    return tidy(() => {
      let img = this.data.index(index);
      if (this.transform) img = this.transform.forward(img);
      return [img, this.targets.index(index).item() as number] as [Tensor, number];
    });
  }

  getItems(indices: number[]): [Tensor, Tensor] {
    return tidy(() => {
      const idx = tensor(indices, { dtype: 'int64' });
      let images = this.data.indexSelect(0, idx);
      if (this.transform) images = this.transform.forward(images);
      let labels = this.targets.indexSelect(0, idx);
      if (this.targetTransform) labels = this.targetTransform.forward(labels);
      return [images, labels] as [Tensor, Tensor];
    });
  }
}

function folder(root: unknown, sub: string): string {
  if (typeof root !== 'string') throw typeError('a folder path', 'root', root);
  return fs.existsSync(path.join(root, sub)) ? path.join(root, sub) : root;
}

function need(dir: string, names: string[]): string[] {
  return names.map((n) => {
    const p = path.join(dir, n);
    if (!fs.existsSync(p)) throw new TorchError(`CIFAR file ${n} not found in ${dir}`);
    return p;
  });
}

export class CIFAR10 extends CIFARBase {
  readonly classes = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
  /** Reads `data_batch_1..5.bin` / `test_batch.bin` from `root` or `root/cifar-10-batches-bin`. */
  constructor(root: string, ...args: CIFARArgs) {
    const o = cifarOptions(args, 'CIFAR10');
    const dir = folder(root, 'cifar-10-batches-bin');
    const names = checkBool(o.train ?? true, 'train')
      ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`)
      : ['test_batch.bin'];
    super(need(dir, names), 1, 10, o);
  }
}

export class CIFAR100 extends CIFARBase {
  /** Fine labels 0..99 (names in fine_label_names.txt when present, else the indices). */
  readonly classes: string[];
  /** Reads `train.bin` / `test.bin` from `root` or `root/cifar-100-binary`. */
  constructor(root: string, ...args: CIFARArgs) {
    const o = cifarOptions(args, 'CIFAR100');
    const dir = folder(root, 'cifar-100-binary');
    super(need(dir, [checkBool(o.train ?? true, 'train') ? 'train.bin' : 'test.bin']), 2, 100, o);
    const names = path.join(dir, 'fine_label_names.txt');
    this.classes = fs.existsSync(names)
      ? fs
          .readFileSync(names, 'utf8')
          .split('\n')
          .map((s) => s.trim())
          .filter(Boolean)
      : Array.from({ length: 100 }, (_, i) => String(i));
  }
}
