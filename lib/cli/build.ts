/**
 * `torchts build`: compiles the native addon from source against the libtorch that
 * findLibtorch() picks (CPU or CUDA), with cmake-js, using every core.
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';

import { findLibtorch, isSupported, packageRoot, SUPPORTED_LIBTORCH } from '../libtorch';

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
  const debug = args.includes('--debug');
  const res = spawnSync(
    process.execPath,
    [cmakeJs, 'compile', '--directory', root, `--CDLIBTORCH_DIR=${lt.root}`, '--parallel', jobs, ...(debug ? ['--debug'] : [])],
    { stdio: 'inherit', cwd: root, env: { ...process.env, CMAKE_BUILD_PARALLEL_LEVEL: jobs } },
  );
  if (res.status !== 0) {
    console.error(`torchts build: the native build failed (exit ${res.status ?? res.signal})`);
    return res.status ?? 1;
  }
  const out = path.join(root, 'build', 'Release', 'torchts.node');
  console.log(`torchts build: ${out} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}
