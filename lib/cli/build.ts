/**
 * `torchts build`: compiles the native addon from source against the libtorch that
 * findLibtorch() picks (CPU or CUDA), with cmake-js, using every core. The build folder
 * (`build/`, or `--out <dir>`) gets two binaries from the same objects: torchts.node, which
 * finds its libtorch through its RPATH, and torchts-portable.node, with no absolute path.
 *
 * `torchts build --prebuild` makes the prebuilt binary of the libtorch's variant that ships
 * in the npm package, with prebuildify (N-API and libc tags, stripped), cmake-js standing in
 * for node-gyp (prebuild_backend.ts):
 *   prebuilds/torch-<major.minor>-<cpu|cuXYZ>/<platform>-<arch>/torchts.napi.glibc.node
 * and records what it was built against in the variant's variant.json.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  describeFlavour,
  findLibtorch,
  isSupported,
  type LibtorchLocation,
  packageRoot,
  readLibtorchFlavour,
  SUPPORTED_LIBTORCH,
} from '../libtorch';
import { variantName } from '../prebuilds';

/** The LIBTORCH_DIR a build folder was configured with, if any. */
function configuredLibtorch(outDir: string): string | null {
  try {
    const cache = fs.readFileSync(path.join(outDir, 'CMakeCache.txt'), 'utf8');
    return /^LIBTORCH_DIR:[A-Z]+=(.*)$/m.exec(cache)?.[1] ?? null;
  } catch {
    return null;
  }
}

/**
 * Compiles both binaries against the libtorch in `libtorch` into `outDir` (relative to the
 * package root). cmake-js configures a folder only once, so a folder configured for
 * another libtorch loses its CMake cache first (its objects are rebuilt as needed).
 */
export function compile(libtorch: string, outDir: string, debug = false): number {
  const root = packageRoot();
  let cmakeJs: string;
  try {
    cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  } catch {
    console.error('torchts build: cmake-js is missing; run `npm install` in the torchts folder first');
    return 1;
  }
  const dir = path.resolve(root, outDir);
  const configured = configuredLibtorch(dir);
  if (configured !== null && path.resolve(configured) !== path.resolve(libtorch)) {
    console.log(`torchts build: ${outDir} was configured for ${configured}; configuring it again`);
    fs.rmSync(path.join(dir, 'CMakeCache.txt'), { force: true });
  }
  const jobs = String(Math.max(1, os.availableParallelism()));
  const cmakeArgs = [
    cmakeJs,
    'compile',
    '--directory',
    root,
    '--out',
    dir,
    `--CDLIBTORCH_DIR=${libtorch}`,
    '--parallel',
    jobs,
  ];
  if (debug) cmakeArgs.push('--debug');
  const res = spawnSync(process.execPath, cmakeArgs, {
    stdio: 'inherit',
    cwd: root,
    env: { ...process.env, CMAKE_BUILD_PARALLEL_LEVEL: jobs },
  });
  if (res.status !== 0) {
    console.error(`torchts build: the native build failed (exit ${res.status ?? res.signal})`);
    return res.status ?? 1;
  }
  return 0;
}

function argValue(args: string[], flag: string): string | undefined | null {
  const at = args.indexOf(flag);
  if (at < 0) return undefined;
  const v = args[at + 1];
  return v && !v.startsWith('--') ? v : null;
}

export async function build(args: string[] = []): Promise<number> {
  const started = Date.now();
  const known = ['--debug', '--prebuild', '--out'];
  const unknown = args.filter((a, i) => a.startsWith('--') && !known.includes(a) && args[i - 1] !== '--out');
  if (unknown.length) {
    console.error(`torchts build: unknown option ${unknown[0]} (options: ${known.join(', ')})`);
    return 2;
  }
  const out = argValue(args, '--out');
  if (out === null) {
    console.error('torchts build: --out needs a folder name');
    return 2;
  }
  const lt = findLibtorch();
  const flavour = readLibtorchFlavour(lt.root, lt.version);
  console.log(
    `torchts build: libtorch ${lt.version ?? '(unknown version)'} (${describeFlavour(flavour)}) from ${lt.source}: ${lt.root}`,
  );
  if (!isSupported(lt.version)) {
    console.warn(`torchts build: warning: supported libtorch versions are ${SUPPORTED_LIBTORCH.join(', ')}`);
  }
  const debug = args.includes('--debug');
  if (!args.includes('--prebuild')) {
    const outDir = out ?? 'build';
    const status = compile(lt.root, outDir, debug);
    if (status === 0) {
      const file = path.join(packageRoot(), outDir, debug ? 'Debug' : 'Release', 'torchts.node');
      console.log(`torchts build: ${file} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    return status;
  }
  return prebuild(lt, out, debug, started);
}

/** `--prebuild`: the variant's binary through prebuildify. */
async function prebuild(
  lt: LibtorchLocation,
  out: string | undefined,
  debug: boolean,
  started: number,
): Promise<number> {
  const root = packageRoot();
  const flavour = readLibtorchFlavour(lt.root, lt.version);
  if (!lt.version || flavour.kind === 'rocm' || (flavour.kind === 'cuda' && !flavour.version)) {
    console.error(
      `torchts build: cannot name a prebuilt variant for libtorch ${lt.version ?? '(unknown version)'} (${describeFlavour(flavour)}): prebuilt variants are CPU or CUDA x.y builds of a known version`,
    );
    return 1;
  }
  let prebuildify: (opts: Record<string, unknown>, cb: (err?: Error) => void) => void;
  try {
    prebuildify = require(require.resolve('prebuildify', { paths: [root] }));
  } catch {
    console.error(
      'torchts build: --prebuild needs prebuildify (a dev dependency): run `npm install` in the torchts folder',
    );
    return 1;
  }
  const variant = variantName(lt.version, flavour);
  // The CPU prebuild shares its objects with the source build when build/ was made for this libtorch.
  const outDir =
    out ??
    (path.resolve(configuredLibtorch(path.join(root, 'build')) ?? '') === path.resolve(lt.root)
      ? 'build'
      : `build-${variant}`);
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-prebuild-'));
  const backend = path.join(__dirname, 'prebuild_backend.js');
  fs.chmodSync(backend, 0o755); // prebuildify runs it as a program, as it would run node-gyp
  Object.assign(process.env, {
    TORCHTS_PREBUILD_LIBTORCH: lt.root,
    TORCHTS_PREBUILD_OUT: path.resolve(root, outDir),
  });
  try {
    await new Promise<void>((resolve, reject) =>
      prebuildify(
        {
          cwd: staging,
          out: staging,
          // prebuildify 6 leaves N-API builds untagged; the napi tag is node-gyp-build's marker for them
          name: 'torchts.napi',
          napi: true,
          tagLibc: true,
          strip: !debug,
          debug,
          nodeGyp: backend,
          targets: [{ runtime: 'node', target: process.versions.node }],
        },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
    const tuple = `${os.platform()}-${os.arch()}`;
    const dest = path.join(root, 'prebuilds', variant, tuple);
    fs.rmSync(dest, { recursive: true, force: true });
    fs.mkdirSync(dest, { recursive: true });
    const made = fs.readdirSync(path.join(staging, 'prebuilds', tuple));
    for (const f of made) fs.copyFileSync(path.join(staging, 'prebuilds', tuple, f), path.join(dest, f));
    fs.writeFileSync(
      path.join(root, 'prebuilds', variant, 'variant.json'),
      `${JSON.stringify({ torch: lt.version, cuda: flavour.kind === 'cuda' ? flavour.version : null })}\n`,
    );
    console.log(
      `torchts build: ${made.map((f) => path.join(dest, f)).join(', ')} built in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    return 0;
  } catch (e) {
    console.error(`torchts build: prebuildify failed: ${(e as Error).message}`);
    return 1;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
