// What a user gets from `npm install`: pack the package, install the tarball into an empty
// folder with no C/C++ compiler, cmake or make on the PATH, and use it there. That the tools
// really are out of reach is checked from inside the consumer's process, by trying to start
// each one (and, as a control, seeing the same probe find them on this machine's own PATH).
// The tarball holds a prebuilt binary per libtorch variant (CPU 2.13, and CUDA 13.0 2.14
// when this machine keeps the CUDA torch wheel); the loader picks one by the libtorch it
// finds and explains in one error when none fits.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../lib/libtorch';
import { vision } from '../lib/index';
import { nativeInfo } from '../lib/native';

const root = packageRoot();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-pack-'));
const consumer = path.join(work, 'app');
const bin = path.join(work, 'bin');
let packed: { filename: string; size: number; unpackedSize: number; files: { path: string }[] };
const here = `${process.platform}-${os.arch()}`;
const CPU = `prebuilds/torch-2.13-cpu/${here}/torchts.napi.glibc.node`;
const CUDA = `prebuilds/torch-2.14-cu130/${here}/torchts.napi.glibc.node`;
/** The CUDA libtorch unpacked from the wheel on this machine's disk (scripts/cuda-libtorch.sh), if any. */
let cudaLibtorch: string | null = null;

/** The consumer's environment: only node on the PATH, libtorch found via LIBTORCH. */
const consumerEnv = (libtorch = nativeInfo.libtorchDir as string): NodeJS.ProcessEnv => ({
  PATH: bin,
  HOME: work,
  LIBTORCH: libtorch,
  TORCHTS_PYTHON: '/nonexistent/python',
});

/** Runs node in the consumer folder with only node on the PATH and libtorch found via LIBTORCH. */
function runConsumer(
  file: string,
  env = consumerEnv(),
  args: string[] = [],
): { status: number | null; out: string; stdout: string; stderr: string } {
  const r = spawnSync(path.join(bin, 'node'), [file, ...args], { cwd: consumer, encoding: 'utf8', env });
  return { status: r.status, out: r.stdout + r.stderr, stdout: r.stdout, stderr: r.stderr };
}

/** `torchts info` run by the installed package: its rows, its exit status and its stderr. */
function info(libtorch?: string): { rows: Record<string, string>; status: number | null; stderr: string } {
  const r = runConsumer(path.join(consumer, 'node_modules', '.bin', 'torchts'), consumerEnv(libtorch), ['info']);
  const rows: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S.{17}) (.*)$/.exec(line);
    if (m) rows[m[1].trim()] = m[2];
  }
  return { rows, status: r.status, stderr: r.stderr };
}

/** A folder that looks like libtorch (this one's headers and libraries) but claims `version`. */
function fakeLibtorch(version: string, real = nativeInfo.libtorchDir as string): string {
  const dir = path.join(work, `libtorch-${version}`);
  fs.mkdirSync(dir, { recursive: true });
  for (const d of ['include', 'lib']) fs.symlinkSync(path.join(real, d), path.join(dir, d));
  fs.writeFileSync(path.join(dir, 'build-version'), `${version}\n`);
  return dir;
}

function readelf(file: string): string {
  return execFileSync('readelf', ['-d', file], { encoding: 'utf8' });
}

/** The build tools a source build would need; none may be startable where torchts is installed and used. */
const TOOLS = ['cc', 'gcc', 'g++', 'c++', 'clang', 'clang++', 'cmake', 'make', 'ninja'];
/** Tries to start each tool from the consumer, then uses torchts in the same process. */
const PROBE = `
const { spawnSync } = require('node:child_process');
const started = ${JSON.stringify(TOOLS)}.filter((t) => spawnSync(t, ['--version']).error?.code !== 'ENOENT');
const { torch } = require('torchts');
console.log(JSON.stringify({ started, sum: torch.ones([3]).sum().item() }));`;

beforeAll(() => {
  // prepack compiles the TypeScript and the portable prebuilt binary; run it on its own so
  // that its build output stays out of pack's JSON.
  execFileSync('npm', ['run', 'prepack'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  cudaLibtorch =
    execFileSync('bash', [path.join(root, 'scripts', 'cuda-libtorch.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim() || null;
  const json = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: root,
    encoding: 'utf8',
  });
  packed = JSON.parse(json)[0];
  console.log(
    `torchts tarball: ${packed.filename}, ${(packed.size / 1e6).toFixed(2)} MB packed, ${(packed.unpackedSize / 1e6).toFixed(2)} MB unpacked, ${packed.files.length} files`,
  );
  fs.mkdirSync(consumer);
  fs.writeFileSync(
    path.join(consumer, 'package.json'),
    JSON.stringify({ name: 'app', version: '1.0.0', private: true }),
  );
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.writeFileSync(path.join(consumer, 'probe.cjs'), PROBE);
  fs.copyFileSync(path.join(root, 'test', 'package', 'consumer.mjs'), path.join(consumer, 'consumer.mjs'));
  // npm itself runs from its own folder; the PATH holds node only, so nothing the install
  // runs could find a compiler.
  const npm = fs.realpathSync(execFileSync('/bin/sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
  execFileSync(
    path.join(bin, 'node'),
    [npm, 'install', '--no-audit', '--no-fund', '--omit=dev', path.join(work, packed.filename)],
    { cwd: consumer, stdio: 'ignore', env: { ...process.env, PATH: bin } },
  );
}, 1_200_000); // a clean clone builds the CUDA prebuild here (prepack)

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

// Each test runs npm, a compiler or a consumer process; under load they take minutes, not vitest's 60 s.
describe('npm package', { timeout: 600_000 }, () => {
  it('holds the built code and a prebuilt binary per variant, and no tests or build leftovers', () => {
    const files = packed.files.map((f) => f.path);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('esm/index.mjs');
    expect(files).toContain(CPU);
    expect(files).toContain('prebuilds/torch-2.13-cpu/variant.json');
    if (cudaLibtorch) expect(files).toContain(CUDA);
    else console.log('package test: no CUDA torch wheel on this machine, so no CUDA variant to check');
    expect(files.filter((f) => f.endsWith('.node')).length).toBe(cudaLibtorch ? 2 : 1);
    expect(files).toContain('CMakeLists.txt');
    const leftovers = files.filter(
      (f) =>
        /^(test|build[^/]*|\.deps|node_modules|bench|scripts|lib)\//.test(f) || /\.(tgz|map|tsbuildinfo|so)$/.test(f),
    );
    expect(leftovers).toEqual([]);
    expect(packed.size).toBeLessThan(20e6); // libtorch is never bundled
  });

  it('links the CUDA variant to libtorch_cuda directly, the CPU one to no CUDA library, neither by absolute path', () => {
    const installed = (f: string) => path.join(consumer, 'node_modules', 'torchts', f);
    const cpu = readelf(installed(CPU));
    expect(cpu).toMatch(/NEEDED.*\[libtorch_cpu\.so\]/);
    expect(cpu).not.toMatch(/NEEDED.*cuda/);
    expect(cpu).not.toMatch(/R(UN)?PATH.*\//);
    if (!cudaLibtorch) return;
    const cuda = readelf(installed(CUDA));
    expect(cuda).toMatch(/NEEDED.*\[libtorch_cuda\.so\]/);
    expect(cuda).toMatch(/NEEDED.*\[libc10_cuda\.so\]/);
    expect(cuda).not.toMatch(/R(UN)?PATH.*\//);
    expect(JSON.parse(fs.readFileSync(installed('prebuilds/torch-2.14-cu130/variant.json'), 'utf8'))).toEqual({
      torch: '2.14.1+cu130',
      cuda: '13.0',
    });
  });

  it('chooses the CPU variant for the CPU libtorch, and `torchts info` says so and why CUDA is unusable', () => {
    const r = info();
    expect(r.status, r.stderr).toBe(0);
    expect(r.rows['binary kind']).toBe('prebuilt torch-2.13-cpu');
    expect(r.rows.binary).toBe(path.join(fs.realpathSync(consumer), 'node_modules', 'torchts', CPU));
    expect(r.rows.libtorch).toBe(nativeInfo.loaded);
    expect(r.rows['libtorch flavour']).toBe('CPU');
    expect(r.rows['libtorch dir']).toBe(nativeInfo.libtorchDir);
    expect(r.rows['cuda available']).toBe('false');
    expect(r.rows['cuda unavailable']).toMatch(/^libtorch 2\.13\.\d\+cpu is a CPU build \(no libtorch_cuda\.so\)/);
  });

  it.each(['2.99.0+cpu', '2.14.1+cpu', '2.14.1+cu128', '2.13.0+rocm6.4'])(
    'gives a libtorch claiming %s, which no variant fits, the one error with the fixes',
    (version) => {
      const fake = fakeLibtorch(version);
      const r = runConsumer('consumer.mjs', consumerEnv(fake));
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`torchts: no prebuilt binary for libtorch ${version} (`);
      expect(r.stderr).toContain(`found at ${fake} through LIBTORCH`);
      expect(r.stderr).toMatch(/prebuilt binaries exist for torch-2\.13-cpu \(libtorch 2\.13, CPU\)/);
      expect(r.stderr).toContain(
        'Fixes:\n  - for libtorch 2.13, CPU: pip install "torch==2.13.*" --index-url https://download.pytorch.org/whl/cpu',
      );
      expect(r.stderr).toContain('npx torchts build');
      expect(r.stderr.match(/^Error: /gm), r.stderr).toHaveLength(1); // one error, not a cascade
      const i = info(fake);
      expect(i.status).toBe(1);
      expect(i.rows.libtorch).toBe(version);
      expect(i.rows.binary).toBe('none fits');
      expect(i.rows['load error']).toContain(`no prebuilt binary for libtorch ${version}`);
    },
  );

  it('chooses the CUDA variant for the CUDA libtorch: it loads, or says which CUDA library is missing', (ctx) => {
    if (!cudaLibtorch) return ctx.skip();
    const lib = path.join(cudaLibtorch, 'lib', 'libtorch_cuda.so');
    const loadable = !/not found/.test(execFileSync('ldd', [lib], { encoding: 'utf8' }));
    const r = info(cudaLibtorch);
    expect(r.rows['binary kind']).toBe('prebuilt torch-2.14-cu130');
    expect(r.rows.binary).toBe(path.join(fs.realpathSync(consumer), 'node_modules', 'torchts', CUDA));
    expect(r.rows['libtorch flavour']).toBe('CUDA 13.0');
    if (!loadable) {
      // the CUDA torch's own libraries are there but NVIDIA's (cuBLAS, cuDNN, ...) are not
      expect(r.status).toBe(1);
      expect(r.rows['load error']).toMatch(/a CUDA library that libtorch needs is missing: lib\w+\.so/);
      return;
    }
    expect(r.status, r.stderr).toBe(0);
    expect(r.rows['built with CUDA']).toBe('true');
    expect(r.rows.libtorch).toBe('2.14.1+cu130');
    const driver = /libcuda\.so\.1\b/.test(execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' }));
    if (r.rows['cuda available'] === 'true') expect(Number(r.rows['cuda devices'])).toBeGreaterThan(0);
    else if (!driver)
      expect(r.rows['cuda unavailable']).toMatch(
        /^no NVIDIA driver: libcuda\.so\.1 is not installed .*; libtorch says: Found no NVIDIA driver on your system/,
      );
    else expect(r.rows['cuda unavailable']).toMatch(/no CUDA device|CUDA_VISIBLE_DEVICES|libtorch says/);
    // and it computes: the consumer's ES module script on the CUDA build of libtorch
    const run = runConsumer('consumer.mjs', consumerEnv(cudaLibtorch));
    expect(run.status, run.out).toBe(0);
    expect(JSON.parse(run.out.trim())).toEqual({ shape: [1, 2], same: true });
  });

  it('installed, loads and computes where no compiler, cmake or make can be started', () => {
    const r = runConsumer('probe.cjs');
    expect(r.status, r.out).toBe(0);
    expect(JSON.parse(r.out.trim())).toEqual({ started: [], sum: 3 });
    // The probe does find the tools that this machine has (CI installs g++ and cmake).
    const control = runConsumer('probe.cjs', { ...consumerEnv(), PATH: `${bin}:${process.env.PATH}` });
    expect(control.status, control.out).toBe(0);
    expect(JSON.parse(control.out.trim()).started).toEqual(expect.arrayContaining(['g++', 'cmake']));
  });

  it('type-checks a strict TypeScript consumer written from the README', () => {
    const src = path.join(consumer, 'consumer.cts');
    fs.copyFileSync(path.join(root, 'test', 'package', 'consumer.cts'), src);
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(
      process.execPath,
      [
        tsc,
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        '--skipLibCheck',
        'false',
        '--typeRoots',
        path.join(root, 'node_modules', '@types'),
        '--types',
        'node',
        '--outDir',
        consumer,
        src,
      ],
      { cwd: consumer, encoding: 'utf8' },
    );
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('runs the prebuilt binary from CommonJS: trains a small ResNet and predicts', () => {
    const r = runConsumer('consumer.cjs');
    expect(r.status, r.out).toBe(0);
    const res = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(res.ok).toBe(true);
    expect(res.losses).toHaveLength(5);
    expect(res.losses.every(Number.isFinite)).toBe(true);
    expect(res.losses[4]).toBeLessThan(res.losses[0]);
    expect(res.predicted).toHaveLength(8);
    expect(res.keys).toBe(
      vision.models.resnet20().namedParameters().length + vision.models.resnet20().namedBuffers().length,
    );
  });

  it('works as an ES module', () => {
    const r = runConsumer('consumer.mjs');
    expect(r.status, r.out).toBe(0);
    expect(JSON.parse(r.out.trim())).toEqual({ shape: [1, 2], same: true });
  });

  it('explains a missing libtorch with the fixes', () => {
    const r = spawnSync(path.join(bin, 'node'), ['consumer.mjs'], {
      cwd: consumer,
      encoding: 'utf8',
      env: { PATH: bin, HOME: work, TORCHTS_PYTHON: '/nonexistent/python' },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/libtorch not found[\s\S]*Fixes:[\s\S]*npx torchts setup[\s\S]*LIBTORCH/);
  });
});
