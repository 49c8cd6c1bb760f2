/**
 * `torchts build`: compiles the native addon from source against the libtorch that
 * findLibtorch() picks (CPU or CUDA), with cmake-js, using every core.
 * `torchts build --prebuild` makes the portable binary that ships in the npm package:
 * prebuilds/<platform>-<arch>/torch-<major.minor>/torchts.node, with no absolute RPATH.
 * `--out <dir>` builds into another folder than build/ (a second libtorch, e.g. CUDA, side by side).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { findLibtorch, isSupported, minorOf, packageRoot, SUPPORTED_LIBTORCH } from '../libtorch';

/** Where the loader looks for the prebuilt binary for a libtorch version. */
export function prebuildPath(root: string, torchVersion: string): string {
  return path.join(
    root,
    'prebuilds',
    `${process.platform}-${os.arch()}`,
    `torch-${minorOf(torchVersion)}`,
    'torchts.node',
  );
}

export function build(args: string[] = []): number {
  const started = Date.now();
  const lt = findLibtorch();
  console.log(`torchts build: libtorch ${lt.version ?? '(unknown version)'} from ${lt.source}: ${lt.root}`);
  if (!isSupported(lt.version)) {
    console.warn(`torchts build: warning: supported libtorch versions are ${SUPPORTED_LIBTORCH.join(', ')}`);
  }
  const root = packageRoot();
  let cmakeJs: string;
  try {
    cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  } catch {
    console.error('torchts build: cmake-js is missing; run `npm install` in the torchts folder first');
    return 1;
  }
  const jobs = String(Math.max(1, os.availableParallelism()));
  const prebuild = args.includes('--prebuild');
  const outAt = args.indexOf('--out');
  if (outAt >= 0 && (!args[outAt + 1] || args[outAt + 1].startsWith('--'))) {
    console.error('torchts build: --out needs a folder name');
    return 2;
  }
  const outDir = outAt >= 0 ? args[outAt + 1] : prebuild ? 'build-prebuild' : 'build';
  const cmakeArgs = [
    cmakeJs,
    'compile',
    '--directory',
    root,
    '--out',
    outDir,
    `--CDLIBTORCH_DIR=${lt.root}`,
    '--parallel',
    jobs,
  ];
  if (prebuild) cmakeArgs.push('--CDTORCHTS_PORTABLE=ON');
  if (args.includes('--debug')) cmakeArgs.push('--debug');
  const res = spawnSync(process.execPath, cmakeArgs, {
    stdio: 'inherit',
    cwd: root,
    env: { ...process.env, CMAKE_BUILD_PARALLEL_LEVEL: jobs },
  });
  if (res.status !== 0) {
    console.error(`torchts build: the native build failed (exit ${res.status ?? res.signal})`);
    return res.status ?? 1;
  }
  let out = path.join(root, outDir, 'Release', 'torchts.node');
  if (prebuild) {
    if (!lt.version) {
      console.error('torchts build: cannot name the prebuilt binary: the libtorch version is unknown');
      return 1;
    }
    const dest = prebuildPath(root, lt.version);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(out, dest);
    out = dest;
  }
  console.log(`torchts build: ${out} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}
