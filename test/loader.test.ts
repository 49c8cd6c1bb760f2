// The loader and libtorch discovery: what a user sees when something is missing or mismatched.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { findLibtorch, minorOf, packageRoot, readLibtorchVersion } from '../lib/libtorch';
import { nativeInfo } from '../lib/native';

const root = packageRoot();
const loadScript = "require('./dist').torch.zeros(1); console.log('loaded')";

function nodeWith(env: Record<string, string>): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['-e', loadScript], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('findLibtorch', () => {
  it('lists what it tried and the fixes when nothing is found', () => {
    const env = { LIBTORCH: '/nonexistent/libtorch', TORCHTS_PYTHON: '/bin/false' };
    expect(() => findLibtorch(env, '/nonexistent/setup')).toThrow(
      /libtorch not found[\s\S]*LIBTORCH=\/nonexistent\/libtorch has no[\s\S]*\/bin\/false[\s\S]*set-up folder[\s\S]*Fixes:[\s\S]*npx torchts setup[\s\S]*LIBTORCH[\s\S]*TORCHTS_PYTHON/,
    );
  });

  it('takes LIBTORCH first and reads its version', () => {
    const lt = findLibtorch({ LIBTORCH: nativeInfo.libtorchDir!, TORCHTS_PYTHON: '/bin/false' }, '/nonexistent');
    expect(lt.source).toBe('LIBTORCH');
    expect(lt.root).toBe(nativeInfo.libtorchDir);
    expect(minorOf(lt.version!)).toBe(minorOf(nativeInfo.compiledWith));
  });

  it('reads versions from a Python torch (version.py) and a libtorch zip (build-version)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-ver-'));
    fs.writeFileSync(path.join(dir, 'version.py'), "__version__ = '2.12.1+cu130'\n");
    expect(readLibtorchVersion(dir)).toBe('2.12.1+cu130');
    fs.writeFileSync(path.join(dir, 'build-version'), '2.13.0+cpu\n');
    expect(readLibtorchVersion(dir)).toBe('2.13.0+cpu');
    fs.rmSync(dir, { recursive: true });
  });
});

describe('loader', () => {
  it('loads the addon and records the libtorch it runs on', () => {
    expect(fs.existsSync(nativeInfo.binary)).toBe(true);
    expect(minorOf(nativeInfo.loaded!)).toBe(minorOf(nativeInfo.compiledWith));
  });

  it('explains a missing binary with the fixes', () => {
    const r = nodeWith({ TORCHTS_BINARY: '/nonexistent/torchts.node' });
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/no compiled addon found[\s\S]*Fixes:[\s\S]*torchts build/);
  });

  it('refuses a libtorch of another version, naming both versions', () => {
    // A copy of the real libtorch that claims to be 2.12.0, put first on the search path:
    // the addon loads it instead of the one in its RUNPATH, and the loader must notice.
    const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-fake-'));
    fs.mkdirSync(path.join(fake, 'lib'));
    const realLib = path.join(nativeInfo.libtorchDir!, 'lib');
    for (const f of fs.readdirSync(realLib)) fs.symlinkSync(path.join(realLib, f), path.join(fake, 'lib', f));
    fs.writeFileSync(path.join(fake, 'version.py'), "__version__ = '2.12.0'\n");
    try {
      const r = nodeWith({ LD_LIBRARY_PATH: path.join(fake, 'lib') });
      expect(r.status).not.toBe(0);
      expect(r.out).toMatch(
        /version mismatch: .* compiled against libtorch 2\.13\.\d+ but libtorch 2\.12\.0 was loaded/,
      );
      expect(r.out).toMatch(/Fixes:[\s\S]*pip install torch==2\.13[\s\S]*torchts build/);
    } finally {
      fs.rmSync(fake, { recursive: true });
    }
  });
});
