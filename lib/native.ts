/**
 * The loader: finds the compiled addon and the libtorch it needs, checks that the loaded
 * libtorch is the version the addon was compiled against, and explains every failure with
 * the fixes in one error.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  LIBTORCH_FIXES,
  type LibtorchFlavour,
  loaderError as failure,
  minorOf,
  packageRoot,
  PYTORCH_INDEX,
  readLibtorchFlavour,
  readLibtorchVersion,
  SOURCE_BUILD_FIX,
} from './libtorch';
import { type BinaryChoice, chooseBinary } from './prebuilds';
import { TorchError } from './torch/errors';

import type { NativeApi } from './native_api';

/** The raw native functions (typed in native_api.ts). Internal: arguments are validated by the TypeScript layer. */
export type Native = NativeApi;

/** Where the addon came from and what it runs on. */
export interface NativeInfo {
  binary: string;
  /** How the binary was chosen: a prebuilt variant, a source build, or TORCHTS_BINARY. */
  kind: BinaryChoice['kind'];
  /** The prebuilt variant (`torch-2.13-cpu`), for a prebuilt binary. */
  variant: string | null;
  /** How libtorch was found: LIBTORCH, a Python's torch, the set-up folder, or the binary's RPATH. */
  libtorchSource: NonNullable<BinaryChoice['libtorchSource']> | 'RPATH';
  /** The libtorch's flavour (CPU, CUDA x.y), when it could be read. */
  flavour: LibtorchFlavour | null;
  /** libtorch version the binary was compiled against. */
  compiledWith: string;
  /** libtorch version actually loaded, when it could be read. */
  loaded: string | null;
  libtorchDir: string | null;
}

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

/** The library a dlopen error names as missing (`libcudnn.so.9`), if any. */
function missingLibrary(message: string): string | null {
  return /([\w.+-]+\.so[\w.]*): cannot open shared object file/.exec(message)?.[1] ?? null;
}

function load(): { native: Native; info: NativeInfo } {
  const root = packageRoot();
  const choice = chooseBinary(root);
  const { binary, preload } = choice;
  let native: Native;
  try {
    if (preload) preloadLibtorch(preload);
    native = require(binary) as Native;
  } catch (e) {
    const message = (e as Error).message.split('\n')[0];
    const missing = missingLibrary(message);
    const own = missing && preload && fs.existsSync(path.join(preload, missing));
    // NVIDIA's libraries (cuBLAS, cuDNN, NCCL, ...) come from outside libtorch's own lib/.
    if (missing && !own && (choice.variant?.includes('-cu') || /^lib(cu|nccl|nvrtc|nvshmem|nvjitlink)/.test(missing))) {
      throw failure(
        `a CUDA library that libtorch needs is missing: ${missing}`,
        [`binary: ${binary}`, `libtorch: ${preload ? path.dirname(preload) : '(from the binary)'}`, message],
        [
          'install the NVIDIA libraries this torch was built with (pip installs them with a CUDA torch as nvidia-* packages next to it), or add their folder to LD_LIBRARY_PATH, or',
          `use a CPU build of torch (pip install torch --index-url ${PYTORCH_INDEX}/cpu) or point LIBTORCH at one`,
        ],
      );
    }
    throw failure('the addon could not be loaded', [`${binary}: ${message}`], [...LIBTORCH_FIXES, SOURCE_BUILD_FIX]);
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
  return {
    native,
    info: {
      binary,
      kind: choice.kind,
      variant: choice.variant,
      libtorchSource: choice.libtorchSource ?? 'RPATH',
      flavour: libtorchDir ? readLibtorchFlavour(libtorchDir, loaded) : null,
      compiledWith: native.torchVersion,
      loaded,
      libtorchDir,
    },
  };
}

const loaded = load();

/** The native binding. */
export const N: Native = loaded.native;
/** How the binding was loaded. */
export const nativeInfo: NativeInfo = loaded.info;
