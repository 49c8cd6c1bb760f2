/**
 * The loader: finds the compiled addon and the libtorch it needs, checks that the loaded
 * libtorch is the version the addon was compiled against, and explains every failure with
 * the fixes in one error.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { findLibtorch, LIBTORCH_FIXES, minorOf, packageRoot, readLibtorchVersion } from './libtorch';
import { TorchError } from './torch/errors';

import type { NativeApi } from './native_api';

/** The raw native functions (typed in native_api.ts). Internal: arguments are validated by the TypeScript layer. */
export type Native = NativeApi;

/** Where the addon came from and what it runs on. */
export interface NativeInfo {
  binary: string;
  /** libtorch version the binary was compiled against. */
  compiledWith: string;
  /** libtorch version actually loaded, when it could be read. */
  loaded: string | null;
  libtorchDir: string | null;
}

const SOURCE_BUILD_FIX =
  'build the addon for the libtorch you have: `npx torchts build` (needs cmake and a C++20 compiler)';

/** glibc's RTLD_NODELETE, which os.constants.dlopen does not list. */
const RTLD_NODELETE = 0x1000;

/** Loads libtorch's libraries globally, so a prebuilt binary finds them by soname. */
function preloadLibtorch(libDir: string): void {
  for (const lib of ['libc10.so', 'libtorch_cpu.so', 'libc10_cuda.so', 'libtorch_cuda.so', 'libtorch.so']) {
    const file = path.join(libDir, lib);
    if (!fs.existsSync(file)) continue;
    try {
      // process.dlopen loads any shared object; for a non-addon it then complains that the
      // module did not self-register and dlclose()s it, so RTLD_NODELETE keeps it loaded.
      process.dlopen(
        { exports: {} } as NodeJS.Module,
        file,
        os.constants.dlopen.RTLD_NOW | os.constants.dlopen.RTLD_GLOBAL | RTLD_NODELETE,
      );
    } catch (e) {
      if (!/self-register/.test(String((e as Error).message))) throw e;
    }
  }
}

function failure(summary: string, detail: string[], fixes: string[]): Error {
  return new Error(
    `torchts: ${summary}\n${detail.map((d) => `  ${d}`).join('\n')}\nFixes:\n${fixes.map((f) => `  - ${f}`).join('\n')}`,
  );
}

function platformDir(root: string): string {
  return path.join(root, 'prebuilds', `${process.platform}-${os.arch()}`);
}

/** The binary to load: TORCHTS_BINARY, a source build, or the prebuilt one for the libtorch found. */
function chooseBinary(root: string): { binary: string; preload: string | null } {
  const fromEnv = process.env.TORCHTS_BINARY;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv))
      throw failure('no compiled addon found', [`TORCHTS_BINARY=${fromEnv} does not exist`], [SOURCE_BUILD_FIX]);
    return { binary: fromEnv, preload: null };
  }
  // A source build records its libtorch in its RUNPATH and needs no search.
  const local = path.join(root, 'build', 'Release', 'torchts.node');
  if (fs.existsSync(local)) return { binary: local, preload: null };
  const dir = platformDir(root);
  const available = fs.existsSync(dir)
    ? fs.readdirSync(dir).filter((d) => fs.existsSync(path.join(dir, d, 'torchts.node')))
    : [];
  if (available.length === 0) {
    throw failure(
      'no compiled addon found',
      [
        `looked for build/Release/torchts.node and prebuilds/${process.platform}-${os.arch()}/torch-*/torchts.node in ${root}`,
      ],
      [SOURCE_BUILD_FIX],
    );
  }
  // A prebuilt binary records no path: find libtorch, pick the binary for its version, load libtorch first.
  let lt: ReturnType<typeof findLibtorch>;
  try {
    lt = findLibtorch();
  } catch (e) {
    throw new Error(`${(e as Error).message}
(torchts has prebuilt binaries for libtorch ${available.map((d) => d.replace('torch-', '')).join(', ')})`);
  }
  const want = `torch-${lt.version ? minorOf(lt.version) : 'unknown'}`;
  if (!available.includes(want)) {
    throw failure(
      `no prebuilt binary for libtorch ${lt.version ?? '(unknown version)'} (found at ${lt.root} through ${lt.source})`,
      [`prebuilt binaries exist for libtorch ${available.map((d) => d.replace('torch-', '')).join(', ')}`],
      [
        `install a matching torch (for example pip install torch==${available[available.length - 1].replace('torch-', '')}.*) or point LIBTORCH at one`,
        SOURCE_BUILD_FIX,
      ],
    );
  }
  return { binary: path.join(dir, want, 'torchts.node'), preload: path.join(lt.root, 'lib') };
}

function load(): { native: Native; info: NativeInfo } {
  const root = packageRoot();
  const { binary, preload } = chooseBinary(root);
  let native: Native;
  try {
    if (preload) preloadLibtorch(preload);
    native = require(binary) as Native;
  } catch (e) {
    throw failure(
      'the addon could not be loaded',
      [`${binary}: ${(e as Error).message.split('\n')[0]}`],
      [...LIBTORCH_FIXES, SOURCE_BUILD_FIX],
    );
  }
  const so = native.libtorchPath();
  const libtorchDir = so ? path.dirname(path.dirname(so)) : null;
  const loaded = libtorchDir ? readLibtorchVersion(libtorchDir) : null;
  if (loaded && minorOf(loaded) !== minorOf(native.torchVersion)) {
    throw failure(
      `libtorch version mismatch: this torchts binary was compiled against libtorch ${native.torchVersion} but libtorch ${loaded} was loaded`,
      [`binary: ${binary}`, `libtorch: ${libtorchDir}`],
      [
        `install the matching torch (pip install torch==${native.torchVersion}) or point LIBTORCH at libtorch ${minorOf(native.torchVersion)}`,
        SOURCE_BUILD_FIX,
      ],
    );
  }
  native.setErrorClass(TorchError);
  return { native, info: { binary, compiledWith: native.torchVersion, loaded, libtorchDir } };
}

const loaded = load();

/** The native binding. */
export const N: Native = loaded.native;
/** How the binding was loaded. */
export const nativeInfo: NativeInfo = loaded.info;
