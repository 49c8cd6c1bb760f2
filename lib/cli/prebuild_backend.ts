#!/usr/bin/env node
/**
 * The build backend that prebuildify runs in place of node-gyp (its `nodeGyp` option) for
 * `torchts build --prebuild`. prebuildify calls it as `<this> rebuild --target=<node>
 * --devdir=<dir> --arch=<arch> --release|--debug` in its working folder and then takes the
 * single .node in ./build/Release (it tags, strips and files it). This compiles with cmake-js
 * against TORCHTS_PREBUILD_LIBTORCH into TORCHTS_PREBUILD_OUT and hands over the portable
 * binary (no absolute RPATH). N-API binaries need no Node headers per target, so --target
 * and --devdir are not used.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { compile } from './build';

function main(argv: string[]): number {
  const libtorch = process.env.TORCHTS_PREBUILD_LIBTORCH;
  const out = process.env.TORCHTS_PREBUILD_OUT;
  if (!libtorch || !out) {
    console.error('prebuild_backend: run through `torchts build --prebuild`');
    return 2;
  }
  const arch = argv.find((a) => a.startsWith('--arch='))?.slice('--arch='.length) ?? os.arch();
  if (arch !== os.arch()) {
    console.error(`prebuild_backend: cross-compiling (${os.arch()} -> ${arch}) is not supported`);
    return 2;
  }
  const debug = argv.includes('--debug');
  const status = compile(libtorch, out, debug);
  if (status !== 0) return status;
  const config = debug ? 'Debug' : 'Release';
  const handover = path.join(process.cwd(), 'build', config);
  fs.mkdirSync(handover, { recursive: true });
  fs.copyFileSync(path.join(out, config, 'torchts-portable.node'), path.join(handover, 'torchts.node'));
  return 0;
}

process.exitCode = main(process.argv.slice(2));
