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

/* eslint-disable @typescript-eslint/no-explicit-any */
/** The raw native functions. Internal: arguments are validated by the TypeScript layer. */
export interface Native {
  readonly torchVersion: string;
  readonly builtWithCuda: boolean;
  libtorchPath(): string | null;
  [op: string]: any;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Where the addon came from and what it runs on. */
export interface NativeInfo {
  binary: string;
  /** libtorch version the binary was compiled against. */
  compiledWith: string;
  /** libtorch version actually loaded, when it could be read. */
  loaded: string | null;
  libtorchDir: string | null;
}

const SOURCE_BUILD_FIX = 'build the addon for the libtorch you have: `npx torchts build` (needs cmake and a C++20 compiler)';

function candidates(root: string): string[] {
  if (process.env.TORCHTS_BINARY) return [process.env.TORCHTS_BINARY].filter((p) => fs.existsSync(p));
  const out = [path.join(root, 'build', 'Release', 'torchts.node')];
  const prebuilds = path.join(root, 'prebuilds', `${process.platform}-${os.arch()}`);
  if (fs.existsSync(prebuilds)) {
    for (const dir of fs.readdirSync(prebuilds).sort().reverse()) out.push(path.join(prebuilds, dir, 'torchts.node'));
  }
  return out.filter((p) => fs.existsSync(p));
}

/** Loads libtorch's libraries globally, so a prebuilt binary finds them by soname. */
function preloadLibtorch(libDir: string): void {
  for (const lib of ['libc10.so', 'libtorch_cpu.so', 'libc10_cuda.so', 'libtorch_cuda.so', 'libtorch.so']) {
    const file = path.join(libDir, lib);
    if (!fs.existsSync(file)) continue;
    try {
      // process.dlopen loads any shared object; for a non-addon it then complains that the
      // module did not self-register, but the library stays loaded, which is all we need.
      process.dlopen({ exports: {} } as NodeJS.Module, file, os.constants.dlopen.RTLD_NOW | os.constants.dlopen.RTLD_GLOBAL);
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

function load(): { native: Native; info: NativeInfo } {
  const root = packageRoot();
  const bins = candidates(root);
  if (bins.length === 0) {
    throw failure(
      'no compiled addon found',
      [
        process.env.TORCHTS_BINARY
          ? `TORCHTS_BINARY=${process.env.TORCHTS_BINARY} does not exist`
          : `looked for build/Release/torchts.node and prebuilds/${process.platform}-${os.arch()}/*/torchts.node in ${root}`,
      ],
      [...LIBTORCH_FIXES.slice(0, 1), SOURCE_BUILD_FIX],
    );
  }
  const errors: string[] = [];
  for (const binary of bins) {
    let native: Native;
    try {
      native = require(binary) as Native;
    } catch (first) {
      // The binary's RPATH points at the libtorch it was built with; when that is gone,
      // load the libtorch we can find and retry.
      try {
        const lt = findLibtorch();
        preloadLibtorch(path.join(lt.root, 'lib'));
        native = require(binary) as Native;
      } catch (second) {
        errors.push(`${binary}: ${(first as Error).message.split('\n')[0]}`);
        if (second !== first) errors.push(`  then: ${(second as Error).message.split('\n')[0]}`);
        continue;
      }
    }
    const so = native.libtorchPath();
    const libtorchDir = so ? path.dirname(path.dirname(so)) : null;
    const loaded = libtorchDir ? readLibtorchVersion(libtorchDir) : null;
    if (loaded && minorOf(loaded) !== minorOf(native.torchVersion)) {
      throw failure(
        `libtorch version mismatch: this torchts binary was compiled against libtorch ${native.torchVersion} but libtorch ${loaded} was loaded`,
        [`binary: ${binary}`, `libtorch: ${libtorchDir}`],
        [`install the matching torch (pip install torch==${native.torchVersion}) or point LIBTORCH at libtorch ${minorOf(native.torchVersion)}`, SOURCE_BUILD_FIX],
      );
    }
    native.setErrorClass(TorchError);
    return { native, info: { binary, compiledWith: native.torchVersion, loaded, libtorchDir } };
  }
  throw failure('the addon could not be loaded', errors, [...LIBTORCH_FIXES, SOURCE_BUILD_FIX]);
}

const loaded = load();

/** The native binding. */
export const N: Native = loaded.native;
/** How the binding was loaded. */
export const nativeInfo: NativeInfo = loaded.info;
