/**
 * ImageFolder (torchvision.datasets.ImageFolder): one sub-folder per class,
 *
 *   root/dog/xxx.png, root/dog/nested/xxy.jpeg, root/cat/123.jpg, ...
 *
 * Classes are the sorted sub-folder names (labels 0, 1, ...); samples are every image file
 * under each class folder (recursively), sorted by folder and then by file name. `get(i)`
 * decodes off the main thread (vision.io) and applies the transform.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { defaultCollate } from '../../data/dataloader';
import type { Dataset } from '../../data/dataset';
import { forSample } from '../../data/seed';
import { bindArgs, type WithOptions } from '../../torch/args';
import { checkInt, optionKeys, TorchError, typeError } from '../../torch/errors';
import { tidy } from '../../torch/memory';
import { Tensor } from '../../torch/tensor';
import { readImage } from '../io';
import type { Transform } from '../transforms/index';

/** Extensions (lower case) of the formats vision.io decodes. */
export const IMG_EXTENSIONS: readonly string[] = Object.freeze([
  '.jpg',
  '.jpeg',
  '.png',
  '.webp',
  '.tif',
  '.tiff',
  '.gif',
  '.avif',
]);

export interface ImageFolderOptions {
  /** Applied to each decoded uint8 [C, H, W] image. */
  transform?: Transform;
  /** Applied to each label. */
  targetTransform?: Transform<number, number>;
  /** Files kept, by extension, case-insensitive (default IMG_EXTENSIONS); excludes isValidFile. */
  extensions?: readonly string[];
  /** Decides which files are samples instead of `extensions`. */
  isValidFile?: (path: string) => boolean;
  /** Reads one image (default: `vision.io.readImage(path, { mode: 'RGB' })`). */
  loader?: (path: string) => Tensor | Promise<Tensor>;
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Sorted class folder names and their indices (torchvision's find_classes). */
export function findClasses(directory: string): { classes: string[]; classToIdx: Record<string, number> } {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(directory, { withFileTypes: true });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such folder' : err.code === 'ENOTDIR' ? 'not a folder' : err.message;
    throw new TorchError(`ImageFolder: cannot read the root folder ${directory}: ${why}`);
  }
  const classes = entries
    .filter((e) => e.isDirectory() || (e.isSymbolicLink() && isDir(path.join(directory, e.name))))
    .map((e) => e.name)
    .sort();
  if (classes.length === 0) throw new TorchError(`ImageFolder: found no class folder in ${directory}`);
  return { classes, classToIdx: Object.fromEntries(classes.map((c, i) => [c, i])) };
}

/** Every folder under (and including) `dir`, following links, with its files; sorted by path as os.walk sorted. */
function walk(dir: string): { root: string; files: string[] }[] {
  const out: { root: string; files: string[] }[] = [];
  const visit = (d: string, seen: Set<string>): void => {
    let real: string;
    try {
      real = fs.realpathSync(d);
    } catch {
      return;
    }
    if (seen.has(real)) return; // a link cycle
    const entries = fs.readdirSync(d, { withFileTypes: true });
    const files: string[] = [];
    const dirs: string[] = [];
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory() || (e.isSymbolicLink() && isDir(p))) dirs.push(p);
      else files.push(e.name);
    }
    out.push({ root: d, files: files.sort() });
    const inner = new Set(seen).add(real);
    for (const sub of dirs) visit(sub, inner);
  };
  visit(dir, new Set());
  return out.sort((a, b) => (a.root < b.root ? -1 : a.root > b.root ? 1 : 0));
}

/** [path, classIndex] for every valid file (torchvision's make_dataset). */
export function makeDataset(
  directory: string,
  classToIdx: Record<string, number>,
  isValidFile: (path: string) => boolean,
  extensions?: readonly string[],
): [string, number][] {
  const samples: [string, number][] = [];
  const found = new Set<string>();
  for (const cls of Object.keys(classToIdx).sort()) {
    const dir = path.join(directory, cls);
    if (!isDir(dir)) continue;
    for (const { root, files } of walk(dir)) {
      for (const f of files) {
        const p = path.join(root, f);
        if (isValidFile(p)) {
          samples.push([p, classToIdx[cls]]);
          found.add(cls);
        }
      }
    }
  }
  const empty = Object.keys(classToIdx)
    .filter((c) => !found.has(c))
    .sort();
  if (empty.length > 0) {
    const what = extensions ? `Supported extensions are: ${extensions.join(', ')}` : 'No file passed isValidFile';
    throw new TorchError(
      `ImageFolder: found no valid file for the classes ${empty.join(', ')} in ${directory}. ${what}`,
    );
  }
  return samples;
}

/** torchvision 0.14's positional order after root (extensions are DatasetFolder's, named here). */
const IMAGE_FOLDER_POSITIONAL = ['transform', 'targetTransform', 'loader', 'isValidFile'] as const;
const IMAGE_FOLDER_KEYS = optionKeys<ImageFolderOptions>({
  transform: 1,
  targetTransform: 1,
  extensions: 1,
  isValidFile: 1,
  loader: 1,
});

export class ImageFolder implements Dataset<[Tensor, number], [Tensor, Tensor]> {
  readonly root: string;
  readonly classes: string[];
  readonly classToIdx: Record<string, number>;
  /** [path, classIndex] per sample. */
  readonly samples: [string, number][];
  /** The class index of each sample. */
  readonly targets: number[];
  readonly extensions?: readonly string[];
  readonly transform?: Transform;
  readonly targetTransform?: Transform<number, number>;
  readonly loader: (path: string) => Tensor | Promise<Tensor>;

  /**
   * Samples the files under `<root>/<class>/`; transform, targetTransform, loader and isValidFile
   * positional (torchvision's order) or named: `new ImageFolder(dir, transform)`.
   */
  constructor(
    root: string,
    ...args: WithOptions<
      [
        transform: Transform | undefined,
        targetTransform: Transform<number, number> | undefined,
        loader: (path: string) => Tensor | Promise<Tensor>,
        isValidFile: (path: string) => boolean,
      ],
      ImageFolderOptions
    >
  ) {
    if (typeof root !== 'string' || root.length === 0) throw typeError('a folder path', 'root', root);
    const o = bindArgs<ImageFolderOptions>(args, IMAGE_FOLDER_POSITIONAL, 'ImageFolder', IMAGE_FOLDER_KEYS);
    for (const k of ['transform', 'targetTransform'] as const) {
      const t = o[k];
      if (t !== undefined && (t === null || typeof t.forward !== 'function'))
        throw typeError('a transform (an object with forward())', k, t);
    }
    if (o.loader !== undefined && typeof o.loader !== 'function') throw typeError('a function', 'loader', o.loader);
    if (o.isValidFile !== undefined && typeof o.isValidFile !== 'function')
      throw typeError('a function', 'isValidFile', o.isValidFile);
    if (o.isValidFile !== undefined && o.extensions !== undefined) {
      throw new TypeError('Expected either extensions or isValidFile for options but received both');
    }
    let isValidFile = o.isValidFile;
    if (isValidFile === undefined) {
      const ext = o.extensions ?? IMG_EXTENSIONS;
      if (!Array.isArray(ext) || ext.length === 0 || ext.some((e) => typeof e !== 'string' || e.length === 0)) {
        throw typeError("a non-empty array of extensions like ['.png', '.jpg']", 'extensions', ext);
      }
      const lower = ext.map((e) => e.toLowerCase());
      this.extensions = ext;
      isValidFile = (p: string) => {
        const name = p.toLowerCase();
        return lower.some((e) => name.endsWith(e));
      };
    }
    this.root = root;
    ({ classes: this.classes, classToIdx: this.classToIdx } = this.findClasses(root));
    this.samples = this.makeDataset(root, this.classToIdx, isValidFile, this.extensions);
    this.targets = this.samples.map((s) => s[1]);
    this.transform = o.transform;
    this.targetTransform = o.targetTransform;
    this.loader = o.loader ?? ((p: string) => readImage(p, { mode: 'RGB' }));
  }

  /** The classes under `directory` (torchvision's overridable `find_classes`); the constructor calls it. */
  findClasses(directory: string): { classes: string[]; classToIdx: Record<string, number> } {
    return findClasses(directory);
  }

  /** The [path, classIndex] samples (torchvision's overridable `make_dataset`); the constructor calls it. */
  makeDataset(
    directory: string,
    classToIdx: Record<string, number>,
    isValidFile: (path: string) => boolean,
    extensions?: readonly string[],
  ): [string, number][] {
    return makeDataset(directory, classToIdx, isValidFile, extensions);
  }

  get length(): number {
    return this.samples.length;
  }

  /** torchvision's `imgs`: the samples. */
  get imgs(): [string, number][] {
    return this.samples;
  }

  /** Decodes sample `index` (off the main thread) and transforms it: [image, target]. */
  async get(index: number): Promise<[Tensor, number]> {
    checkInt(index, 'index');
    if (index < 0 || index >= this.samples.length) {
      throw new RangeError(`Expected an index in [0, ${this.samples.length - 1}] for index but received ${index}`);
    }
    const [file, label] = this.samples[index];
    const img = await this.loader(file);
    if (!(img instanceof Tensor)) throw new TorchError(`ImageFolder: the loader returned no Tensor for ${file}`);
    let out: Tensor;
    try {
      const transform = this.transform;
      out = transform ? tidy(() => transform.forward(img)) : img;
    } catch (e) {
      img.dispose();
      throw e;
    }
    if (out !== img) img.dispose();
    const target = this.targetTransform ? this.targetTransform.forward(label) : label;
    return [out, target];
  }

  /**
   * A batch: the items decoded concurrently, then stacked ([N, C, H, W] images and the targets
   * collated as the DataLoader's default collate does); the per-item tensors are freed. Each
   * item loads with its own sample generator (`data.forSample`), so in a DataLoader the random
   * transforms of item i draw the same values whichever decode finishes first.
   */
  async getItems(indices: number[]): Promise<[Tensor, Tensor]> {
    const settled = await Promise.allSettled(indices.map((i) => forSample(i, () => this.get(i))));
    const items = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    try {
      const failed = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult | undefined;
      if (failed) throw failed.reason;
      return tidy(() => defaultCollate(items) as [Tensor, Tensor]);
    } finally {
      for (const [img] of items) img.dispose();
    }
  }
}
