/**
 * Prebuilt binaries, one per libtorch variant:
 *
 *   prebuilds/torch-<major.minor>-<flavour>/<platform>-<arch>/torchts.napi.glibc.node
 *   prebuilds/torch-<major.minor>-<flavour>/variant.json   ({"torch": "2.14.1+cu130", "cuda": "13.0"})
 *
 * The variant (libtorch minor version × CPU/CUDA flavour: `torch-2.13-cpu`,
 * `torch-2.14-cu130`) is what node-gyp-build's tags cannot express; inside a variant,
 * node-gyp-build's own matching picks the file for this platform, architecture, libc and
 * N-API (prebuildify names the files, see lib/cli/build.ts).
 *
 * A variant fits a libtorch of the same minor version and flavour; a CUDA variant fits the
 * CUDA builds of the same CUDA major version from its own minor version up (the binary
 * calls CUDA only through libtorch's libraries and uses CUDA's types, which keep their
 * layout within a major version).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  describeFlavour,
  findLibtorch,
  flavourTag,
  type LibtorchFlavour,
  type LibtorchLocation,
  loaderError,
  minorOf,
  PYTORCH_INDEX,
  readLibtorchFlavour,
  SOURCE_BUILD_FIX,
} from './libtorch';

/** A prebuilt variant found in the package. */
export interface Variant {
  /** Folder name: `torch-2.13-cpu`. */
  name: string;
  /** libtorch minor version it was built against. */
  minor: string;
  flavour: LibtorchFlavour;
  /** The variant's folder. */
  dir: string;
}

const NAME = /^torch-(\d+\.\d+)-(cpu|cu(\d+))$/;

/** The variant folder name for a libtorch version and flavour. */
export function variantName(version: string, flavour: LibtorchFlavour): string {
  return `torch-${minorOf(version)}-${flavourTag(flavour)}`;
}

/** `libtorch 2.14, CUDA 13.x` */
export function describeVariant(v: Variant): string {
  const f = v.flavour;
  if (f.kind === 'cuda' && f.version) return `libtorch ${v.minor}, CUDA ${f.version.split('.')[0]}.x`;
  return `libtorch ${v.minor}, ${describeFlavour(f)}`;
}

/** The variants under `<root>/prebuilds` (any platform). */
export function listVariants(root: string): Variant[] {
  const base = path.join(root, 'prebuilds');
  let names: string[] = [];
  try {
    names = fs.readdirSync(base);
  } catch {
    return [];
  }
  const out: Variant[] = [];
  for (const name of names.sort()) {
    const m = NAME.exec(name);
    if (!m) continue;
    const flavour: LibtorchFlavour = m[3]
      ? { kind: 'cuda', version: `${m[3].slice(0, -1)}.${m[3].slice(-1)}` }
      : { kind: 'cpu' };
    out.push({ name, minor: m[1], flavour, dir: path.join(base, name) });
  }
  return out;
}

interface NodeGypBuild {
  parseTuple(name: string): { name: string; platform: string; architectures: string[] } | undefined;
  matchTuple(platform: string, arch: string): (t: unknown) => boolean;
  compareTuples(a: unknown, b: unknown): number;
  parseTags(file: string): { file: string } | undefined;
  matchTags(runtime: string, abi: string): (t: unknown) => boolean;
  compareTags(runtime: string): (a: unknown, b: unknown) => number;
}

/**
 * The binary in `variantDir` for this process, chosen by node-gyp-build's matching
 * (platform and architecture folders, then the runtime/N-API/libc tags of the file names),
 * or null when none fits.
 */
export function resolveInVariant(variantDir: string): string | null {
  const ngb = require('node-gyp-build') as NodeGypBuild;
  const entries = (dir: string) => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  };
  const tuple = entries(variantDir)
    .map((n) => ngb.parseTuple(n))
    .filter(ngb.matchTuple(os.platform(), os.arch()))
    .sort(ngb.compareTuples)[0] as { name: string } | undefined;
  if (!tuple) return null;
  // node-gyp-build's own notion of the runtime and ABI (it keeps them private).
  const runtime = process.versions.electron ? 'electron' : 'node';
  const folder = path.join(variantDir, tuple.name);
  const winner = entries(folder)
    .map((f) => ngb.parseTags(f))
    .filter(ngb.matchTags(runtime, process.versions.modules))
    .sort(ngb.compareTags(runtime))[0] as { file: string } | undefined;
  return winner ? path.join(folder, winner.file) : null;
}

/**
 * The variant that fits a libtorch, or null: the same minor version and flavour; for CUDA
 * the same major version and a minor version at most the libtorch's (the nearest first).
 */
export function chooseVariant(variants: Variant[], version: string | null, flavour: LibtorchFlavour): Variant | null {
  if (version === null) return null;
  const minor = minorOf(version);
  const same = variants.filter((v) => v.minor === minor && v.flavour.kind === flavour.kind);
  if (flavour.kind === 'cpu') return same[0] ?? null;
  if (flavour.kind !== 'cuda' || !flavour.version) return null;
  const cuda = (f: LibtorchFlavour) => ((f as { version: string | null }).version ?? '').split('.').map(Number);
  const [major, sub] = cuda(flavour);
  return (
    same
      .map((v) => ({ v, at: cuda(v.flavour) }))
      .filter(({ at }) => at[0] === major && at[1] <= sub)
      .sort((a, b) => b.at[1] - a.at[1])[0]?.v ?? null
  );
}

/** The `variant.json` of a variant (what it was built against), when present. */
export function variantBuild(v: Variant): { torch?: string; cuda?: string | null } {
  try {
    return JSON.parse(fs.readFileSync(path.join(v.dir, 'variant.json'), 'utf8'));
  } catch {
    return {};
  }
}

/** The fix that makes a variant fit: install its torch. */
function installHint(v: Variant): string {
  const f = v.flavour;
  const index = f.kind === 'cuda' && f.version ? `cu${f.version.replace('.', '')}` : 'cpu';
  return `for ${describeVariant(v)}: pip install "torch==${v.minor}.*" --index-url ${PYTORCH_INDEX}/${index} (or point LIBTORCH at such a libtorch)`;
}

/** The binary the loader picked, and how. */
export interface BinaryChoice {
  binary: string;
  preload: string | null;
  kind: 'prebuilt' | 'source build' | 'TORCHTS_BINARY';
  variant: string | null;
  /** How libtorch was found (for a prebuilt binary; the others record it in their RPATH). */
  libtorchSource: LibtorchLocation['source'] | null;
}

/**
 * The binary to load: TORCHTS_BINARY, a source build, or the prebuilt variant that fits
 * the libtorch found (its folder by libtorch version and flavour, the file in it by
 * node-gyp-build's platform/arch/libc/N-API matching).
 */
export function chooseBinary(root: string): BinaryChoice {
  const fromEnv = process.env.TORCHTS_BINARY;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv))
      throw loaderError('no compiled addon found', [`TORCHTS_BINARY=${fromEnv} does not exist`], [SOURCE_BUILD_FIX]);
    return { binary: fromEnv, preload: null, kind: 'TORCHTS_BINARY', variant: null, libtorchSource: null };
  }
  // A source build records its libtorch in its RUNPATH and needs no search.
  const local = path.join(root, 'build', 'Release', 'torchts.node');
  if (fs.existsSync(local))
    return { binary: local, preload: null, kind: 'source build', variant: null, libtorchSource: null };
  const here = `${process.platform}-${os.arch()}`;
  const variants = listVariants(root).filter((v) => resolveInVariant(v.dir) !== null);
  const list = variants.map((v) => `${v.name} (${describeVariant(v)})`).join(', ');
  if (variants.length === 0) {
    throw loaderError(
      'no compiled addon found',
      [
        `looked for build/Release/torchts.node and prebuilds/torch-*/${here}/*.node (N-API, ${process.platform}) in ${root}`,
      ],
      [SOURCE_BUILD_FIX],
    );
  }
  // A prebuilt binary records no path: find libtorch, pick the variant for it, load libtorch first.
  let lt: ReturnType<typeof findLibtorch>;
  try {
    lt = findLibtorch();
  } catch (e) {
    throw new Error(`${(e as Error).message}\n(torchts has prebuilt binaries for ${list})`);
  }
  const flavour = readLibtorchFlavour(lt.root, lt.version);
  const chosen = chooseVariant(variants, lt.version, flavour);
  if (!chosen) {
    throw loaderError(
      `no prebuilt binary for libtorch ${lt.version ?? '(unknown version)'} (${describeFlavour(flavour)}), found at ${lt.root} through ${lt.source}`,
      [`prebuilt binaries exist for ${list}`],
      [...variants.map(installHint), SOURCE_BUILD_FIX],
    );
  }
  return {
    binary: resolveInVariant(chosen.dir) as string,
    preload: path.join(lt.root, 'lib'),
    kind: 'prebuilt',
    variant: chosen.name,
    libtorchSource: lt.source,
  };
}
