/**
 * Finding libtorch, shared by the build (`torchts build`) and the loader.
 *
 * Order: `LIBTORCH` (any unpacked libtorch), then the torch package of a Python
 * (`TORCHTS_PYTHON`, default `python3`), then the project's set-up folder
 * (`.deps/python/torch`, filled by `npm run setup`).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The libtorch minor versions torchts accepts at build and load time: the range it is written
 * for (the GPU machines carry 2.11). CI builds and tests against 2.13 only, and builds the
 * CUDA prebuilt binary against 2.14 and loads it without a GPU (scripts/cuda-compile-check.sh,
 * test/package.test.ts); the others are not tested.
 */
export const SUPPORTED_LIBTORCH = ['2.11', '2.12', '2.13', '2.14'] as const;

export interface LibtorchLocation {
  /** Folder holding `include/` and `lib/`. */
  root: string;
  /** How it was found. */
  source: 'LIBTORCH' | 'python' | 'setup';
  /** Full version string (for example `2.13.0+cpu`), or null when none is recorded. */
  version: string | null;
}

/** The torchts package root (the folder with torchts's package.json). */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        if (JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'torchts') return dir;
      } catch {
        /* not ours: keep walking up */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`torchts: cannot find the package root above ${__dirname}`);
    dir = up;
  }
}

/** The project-local folder that `npm run setup` installs torch into. */
export function setupFolder(): string {
  return path.join(packageRoot(), '.deps', 'python');
}

function isLibtorch(root: string): boolean {
  return (
    fs.existsSync(path.join(root, 'include', 'ATen', 'ATen.h')) &&
    fs.existsSync(path.join(root, 'lib', 'libtorch_cpu.so'))
  );
}

/**
 * The version of the libtorch in `root`: `build-version` in a libtorch distribution,
 * `version.py` in a Python torch package.
 */
export function readLibtorchVersion(root: string): string | null {
  try {
    return fs.readFileSync(path.join(root, 'build-version'), 'utf8').trim();
  } catch {
    /* not a libtorch zip */
  }
  try {
    const py = fs.readFileSync(path.join(root, 'version.py'), 'utf8');
    const m = /__version__\s*=\s*['"]([^'"]+)['"]/.exec(py);
    if (m) return m[1];
  } catch {
    /* not a Python torch */
  }
  return null;
}

/** Which build of libtorch: CPU only, CUDA (with its version when recorded) or ROCm. */
export type LibtorchFlavour =
  | { kind: 'cpu' }
  | { kind: 'cuda'; version: string | null }
  | { kind: 'rocm'; version: string | null };

/**
 * The flavour of the libtorch in `root`: from `version.py`'s `cuda`/`hip` (a Python torch),
 * else the `+cpu`/`+cu130`/`+rocm6.2` suffix of its version, else whether
 * `lib/libtorch_cuda.so` (or `libtorch_hip.so`) is there.
 */
export function readLibtorchFlavour(root: string, version: string | null = readLibtorchVersion(root)): LibtorchFlavour {
  let py = '';
  try {
    py = fs.readFileSync(path.join(root, 'version.py'), 'utf8');
  } catch {
    /* not a Python torch */
  }
  const field = (name: string) => new RegExp(`^${name}\\b[^=]*=\\s*['"]([^'"]+)['"]`, 'm').exec(py)?.[1] ?? null;
  const hip = field('hip');
  if (hip) return { kind: 'rocm', version: hip };
  const cuda = field('cuda');
  if (cuda) return { kind: 'cuda', version: cuda };
  const suffix = /\+(cpu|cu(\d+)|rocm([\d.]+))$/.exec(version ?? '');
  if (suffix?.[1] === 'cpu') return { kind: 'cpu' };
  if (suffix?.[2]) return { kind: 'cuda', version: `${suffix[2].slice(0, -1)}.${suffix[2].slice(-1)}` };
  if (suffix?.[3]) return { kind: 'rocm', version: suffix[3] };
  if (fs.existsSync(path.join(root, 'lib', 'libtorch_hip.so'))) return { kind: 'rocm', version: null };
  if (fs.existsSync(path.join(root, 'lib', 'libtorch_cuda.so'))) return { kind: 'cuda', version: null };
  return { kind: 'cpu' };
}

/** `cpu`, `cu130` (CUDA 13.0), `cuda` (version unknown), `rocm6.2`: as PyTorch's wheel indexes name them. */
export function flavourTag(f: LibtorchFlavour): string {
  if (f.kind === 'cpu') return 'cpu';
  if (f.kind === 'rocm') return `rocm${f.version ?? ''}`;
  return f.version ? `cu${f.version.replace('.', '')}` : 'cuda';
}

/** For people: `CPU`, `CUDA 13.0`, `ROCm 6.2`. */
export function describeFlavour(f: LibtorchFlavour): string {
  if (f.kind === 'cpu') return 'CPU';
  return `${f.kind === 'cuda' ? 'CUDA' : 'ROCm'}${f.version ? ` ${f.version}` : ' (version unknown)'}`;
}

/** `2.13.0+cpu` -> `2.13` */
export function minorOf(version: string): string {
  const m = /^(\d+)\.(\d+)/.exec(version);
  return m ? `${m[1]}.${m[2]}` : version;
}

function pythonTorch(python: string): string | null {
  try {
    const out = execFileSync(python, ['-c', 'import os, torch; print(os.path.dirname(torch.__file__))'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 60_000,
    });
    const root = out.trim().split('\n').pop() ?? '';
    return root && isLibtorch(root) ? root : null;
  } catch {
    return null;
  }
}

/** Whether a libtorch version is one torchts supports. */
export function isSupported(version: string | null): boolean {
  return version !== null && (SUPPORTED_LIBTORCH as readonly string[]).includes(minorOf(version));
}

/** The fixes a user can apply when no usable libtorch is found. */
export const LIBTORCH_FIXES = [
  "run `npx torchts setup` (installs torch==2.13.0 into torchts's .deps/python folder), or",
  'set LIBTORCH to an unpacked libtorch distribution (the folder holding include/ and lib/), or',
  'install PyTorch for a Python (`pip install torch==2.13.0`) and set TORCHTS_PYTHON to it if it is not `python3`.',
];

/** The fix that always works: compile the addon for the libtorch at hand. */
export const SOURCE_BUILD_FIX =
  'build the addon for the libtorch you have: `npx torchts build` (needs cmake and a C++20 compiler)';

/** PyTorch's wheel index (`<index>/cpu`, `<index>/cu130`). */
export const PYTORCH_INDEX = 'https://download.pytorch.org/whl';

/** The loader's one error: what failed, the details, and the fixes. */
export function loaderError(summary: string, detail: string[], fixes: string[]): Error {
  return new Error(
    `torchts: ${summary}\n${detail.map((d) => `  ${d}`).join('\n')}\nFixes:\n${fixes.map((f) => `  - ${f}`).join('\n')}`,
  );
}

/** Finds libtorch or throws one error that lists what was tried and the fixes. */
export function findLibtorch(env: NodeJS.ProcessEnv = process.env, setupDir = setupFolder()): LibtorchLocation {
  const tried: string[] = [];
  const fromEnv = env.LIBTORCH;
  if (fromEnv) {
    if (isLibtorch(fromEnv)) return { root: fromEnv, source: 'LIBTORCH', version: readLibtorchVersion(fromEnv) };
    tried.push(`LIBTORCH=${fromEnv} has no include/ATen/ATen.h or lib/libtorch_cpu.so`);
  } else {
    tried.push('LIBTORCH is not set');
  }
  const python = env.TORCHTS_PYTHON || 'python3';
  const py = pythonTorch(python);
  const pyVersion = py ? readLibtorchVersion(py) : null;
  if (py && isSupported(pyVersion)) return { root: py, source: 'python', version: pyVersion };
  tried.push(
    py
      ? `\`${python}\` has torch ${pyVersion ?? '(unknown version)'} at ${py}, outside the supported ${SUPPORTED_LIBTORCH.join(', ')}`
      : `\`${python}\` has no importable torch`,
  );
  const local = path.join(setupDir, 'torch');
  if (isLibtorch(local)) return { root: local, source: 'setup', version: readLibtorchVersion(local) };
  tried.push(`the set-up folder ${local} is empty`);
  throw new Error(
    `torchts: libtorch not found.\nTried:\n${tried.map((t) => `  - ${t}`).join('\n')}\nFixes:\n${LIBTORCH_FIXES.map((f) => `  - ${f}`).join('\n')}`,
  );
}
