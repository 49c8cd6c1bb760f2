// What a user gets from `npm install`: pack the package, install the tarball into an empty
// folder with no C/C++ compiler, cmake or make on the PATH, and use it there. That the tools
// really are out of reach is checked from inside the consumer's process, by trying to start
// each one (and, as a control, seeing the same probe find them on this machine's own PATH).
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

/** The consumer's environment: only node on the PATH, libtorch found via LIBTORCH. */
const consumerEnv = (): NodeJS.ProcessEnv => ({
  PATH: bin,
  HOME: work,
  LIBTORCH: nativeInfo.libtorchDir!,
  TORCHTS_PYTHON: '/nonexistent/python',
});

/** Runs node in the consumer folder with only node on the PATH and libtorch found via LIBTORCH. */
function runConsumer(file: string, env = consumerEnv()): { status: number | null; out: string } {
  const r = spawnSync(path.join(bin, 'node'), [file], { cwd: consumer, encoding: 'utf8', env });
  return { status: r.status, out: r.stdout + r.stderr };
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
  // npm itself runs from its own folder; the PATH holds node only, so nothing the install
  // runs could find a compiler.
  const npm = fs.realpathSync(execFileSync('/bin/sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
  execFileSync(
    path.join(bin, 'node'),
    [npm, 'install', '--no-audit', '--no-fund', '--omit=dev', path.join(work, packed.filename)],
    { cwd: consumer, stdio: 'ignore', env: { ...process.env, PATH: bin } },
  );
}, 600_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('npm package', () => {
  it('holds the built code and the prebuilt binary, and no tests or build leftovers', () => {
    const files = packed.files.map((f) => f.path);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('esm/index.mjs');
    expect(files).toContain(`prebuilds/${process.platform}-${os.arch()}/torch-2.13/torchts.node`);
    expect(files).toContain('CMakeLists.txt');
    const leftovers = files.filter(
      (f) =>
        /^(test|build|build-prebuild|\.deps|node_modules|bench|scripts|lib)\//.test(f) ||
        /\.(tgz|map|tsbuildinfo)$/.test(f),
    );
    expect(leftovers).toEqual([]);
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
    fs.copyFileSync(path.join(root, 'test', 'package', 'consumer.mjs'), path.join(consumer, 'consumer.mjs'));
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
