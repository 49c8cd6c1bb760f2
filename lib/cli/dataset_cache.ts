/**
 * `torchts train --cache-dataset`: torchvision's reference keeps the scanned image folders in
 * ~/.torch/vision/datasets/imagefolder/<sha1 of the folder>, so that a run on ImageNet does
 * not walk 1.3 million files again. Here the file holds the folder's classes and samples
 * (JSON); the transforms are the run's own. Delete the file after changing the folder.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Transform } from '../vision/transforms/index';
import { ImageFolder } from '../vision/datasets/folder';

interface CachedFolder {
  root: string;
  classes: string[];
  samples: [string, number][];
}

/** Where the scan of `root` is cached (torchvision's folder and naming, `.json`). */
export function datasetCachePath(root: string): string {
  const h = createHash('sha1').update(path.resolve(root)).digest('hex');
  return path.join(os.homedir(), '.torch', 'vision', 'datasets', 'imagefolder', `${h.slice(0, 10)}.json`);
}

function readCache(file: string, root: string): CachedFolder | null {
  let cached: CachedFolder;
  try {
    cached = JSON.parse(fs.readFileSync(file, 'utf8')) as CachedFolder;
  } catch {
    return null; // none yet, or unreadable: scan again and rewrite it
  }
  const valid =
    cached !== null &&
    cached.root === path.resolve(root) &&
    Array.isArray(cached.classes) &&
    Array.isArray(cached.samples) &&
    cached.samples.every((s) => Array.isArray(s) && typeof s[0] === 'string' && Number.isInteger(s[1]));
  return valid ? cached : null;
}

/**
 * An ImageFolder over `root` with `transform`; with `cache`, its classes and samples come
 * from the cache file when there is one for this folder, and are saved there when not.
 * `log` says which (the reference prints "Loading ... from" / "Saving ... to").
 */
export function openImageFolder(
  root: string,
  transform: Transform,
  cache: boolean,
  log: (line: string) => void,
): ImageFolder {
  if (!cache) return new ImageFolder(root, { transform });
  const file = datasetCachePath(root);
  const cached = readCache(file, root);
  if (cached === null) {
    const ds = new ImageFolder(root, { transform });
    const data: CachedFolder = { root: path.resolve(root), classes: ds.classes, samples: ds.samples };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Written whole, then renamed: a concurrent reader sees the old file or the new one.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(data));
    fs.renameSync(tmp, file);
    log(`Saving ${root} (${ds.length} images) to ${file}`);
    return ds;
  }
  log(`Loading ${root} (${cached.samples.length} images) from ${file}`);
  const { classes, samples } = cached;
  const Cached = class extends ImageFolder {
    override findClasses(): { classes: string[]; classToIdx: Record<string, number> } {
      return { classes, classToIdx: Object.fromEntries(classes.map((c, i) => [c, i])) };
    }
    override makeDataset(): [string, number][] {
      return samples;
    }
  };
  return new Cached(root, { transform });
}
