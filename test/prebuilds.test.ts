// Choosing a prebuilt binary: a libtorch's flavour from its files, the variant that fits a
// libtorch version and flavour, and node-gyp-build's platform/arch/libc/N-API matching
// inside a variant folder. (test/package.test.ts loads the real binaries from a tarball.)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { type LibtorchFlavour, readLibtorchFlavour } from '../lib/libtorch';
import { chooseVariant, listVariants, resolveInVariant, variantName } from '../lib/prebuilds';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-prebuilds-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function touch(file: string, text = ''): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

describe('the flavour of a libtorch', () => {
  const at = (name: string, files: Record<string, string>) => {
    const root = path.join(work, 'lt', name);
    for (const [f, text] of Object.entries(files)) touch(path.join(root, f), text);
    return readLibtorchFlavour(root);
  };

  it('reads a Python torch’s version.py, a libtorch zip’s build-version, or its libraries', () => {
    const py = (cuda: string, hip = 'None') =>
      `__version__ = '2.14.1'\ncuda: Optional[str] = ${cuda}\nhip: Optional[str] = ${hip}\n`;
    expect(at('pip-cuda', { 'version.py': py("'13.0'") })).toEqual({ kind: 'cuda', version: '13.0' });
    expect(at('pip-cpu', { 'version.py': py('None').replace("'2.14.1'", "'2.13.0+cpu'") })).toEqual({ kind: 'cpu' });
    expect(at('pip-rocm', { 'version.py': py('None', "'6.2.41133'") })).toEqual({ kind: 'rocm', version: '6.2.41133' });
    expect(at('zip-cpu', { 'build-version': '2.13.0+cpu\n' })).toEqual({ kind: 'cpu' });
    expect(at('zip-cu128', { 'build-version': '2.14.0+cu128\n' })).toEqual({ kind: 'cuda', version: '12.8' });
    expect(at('zip-cu130', { 'build-version': '2.14.0+cu130\n' })).toEqual({ kind: 'cuda', version: '13.0' });
    expect(at('zip-rocm', { 'build-version': '2.14.0+rocm6.4\n' })).toEqual({ kind: 'rocm', version: '6.4' });
    expect(at('bare-cuda', { 'build-version': '2.14.0\n', 'lib/libtorch_cuda.so': '' })).toEqual({
      kind: 'cuda',
      version: null,
    });
    expect(at('bare-cpu', { 'build-version': '2.14.0\n', 'lib/libtorch_cpu.so': '' })).toEqual({ kind: 'cpu' });
  });

  it('names variants as PyTorch’s wheel indexes name builds', () => {
    expect(variantName('2.13.0+cpu', { kind: 'cpu' })).toBe('torch-2.13-cpu');
    expect(variantName('2.14.1+cu130', { kind: 'cuda', version: '13.0' })).toBe('torch-2.14-cu130');
    expect(variantName('2.12.0', { kind: 'cuda', version: '12.6' })).toBe('torch-2.12-cu126');
  });
});

describe('the variant for a libtorch', () => {
  const root = path.join(work, 'pkg');
  for (const v of ['torch-2.13-cpu', 'torch-2.14-cu130', 'torch-2.14-cu126', 'torch-2.14-cu128', 'not-a-variant'])
    touch(path.join(root, 'prebuilds', v, 'linux-x64', 'torchts.napi.glibc.node'));
  const variants = listVariants(root);
  const pick = (version: string | null, flavour: LibtorchFlavour) => chooseVariant(variants, version, flavour)?.name;

  it('lists the variant folders only', () => {
    expect(variants.map((v) => v.name)).toEqual([
      'torch-2.13-cpu',
      'torch-2.14-cu126',
      'torch-2.14-cu128',
      'torch-2.14-cu130',
    ]);
    expect(variants[1].flavour).toEqual({ kind: 'cuda', version: '12.6' });
  });

  it('takes the same minor version and flavour; for CUDA the same major, nearest minor at or below', () => {
    expect(pick('2.13.0+cpu', { kind: 'cpu' })).toBe('torch-2.13-cpu');
    expect(pick('2.13.1', { kind: 'cpu' })).toBe('torch-2.13-cpu');
    expect(pick('2.14.1+cu130', { kind: 'cuda', version: '13.0' })).toBe('torch-2.14-cu130');
    expect(pick('2.14.1', { kind: 'cuda', version: '13.2' })).toBe('torch-2.14-cu130');
    expect(pick('2.14.0+cu128', { kind: 'cuda', version: '12.8' })).toBe('torch-2.14-cu128');
    expect(pick('2.14.0+cu129', { kind: 'cuda', version: '12.9' })).toBe('torch-2.14-cu128');
    expect(pick('2.14.0+cu127', { kind: 'cuda', version: '12.7' })).toBe('torch-2.14-cu126');
  });

  it('finds none for another version, flavour, CUDA major, an older CUDA minor or an unknown version', () => {
    expect(pick('2.14.1+cpu', { kind: 'cpu' })).toBeUndefined(); // no CPU build of 2.14
    expect(pick('2.13.0+cu130', { kind: 'cuda', version: '13.0' })).toBeUndefined(); // no CUDA build of 2.13
    expect(pick('2.99.0+cpu', { kind: 'cpu' })).toBeUndefined();
    expect(pick('2.14.0+cu124', { kind: 'cuda', version: '12.4' })).toBeUndefined();
    expect(pick('2.14.0', { kind: 'cuda', version: '11.8' })).toBeUndefined();
    expect(pick('2.14.0', { kind: 'cuda', version: null })).toBeUndefined();
    expect(pick('2.14.0+rocm6.4', { kind: 'rocm', version: '6.4' })).toBeUndefined();
    expect(pick(null, { kind: 'cpu' })).toBeUndefined();
  });
});

describe('the file inside a variant (node-gyp-build’s matching)', () => {
  it('takes this platform and architecture, this libc, and N-API over ABI-specific builds of other Node versions', () => {
    const dir = path.join(work, 'variant');
    const here = `${os.platform()}-${os.arch()}`;
    for (const f of [
      `${here}/torchts.napi.musl.node`,
      `${here}/torchts.napi.glibc.node`,
      `${here}/torchts.abi1.node`,
      `${here}/README.txt`,
      `${os.platform() === 'linux' ? 'darwin' : 'linux'}-${os.arch()}/torchts.napi.node`,
      `${os.platform()}-${os.arch() === 'arm64' ? 'x64' : 'arm64'}/torchts.napi.node`,
    ])
      touch(path.join(dir, f));
    const libc = fs.existsSync('/etc/alpine-release') ? 'musl' : 'glibc';
    expect(resolveInVariant(dir)).toBe(path.join(dir, here, `torchts.napi.${libc}.node`));
    fs.rmSync(path.join(dir, here, `torchts.napi.${libc}.node`));
    fs.rmSync(path.join(dir, here, `torchts.napi.${libc === 'musl' ? 'glibc' : 'musl'}.node`));
    expect(resolveInVariant(dir)).toBeNull(); // only an ABI build for another Node is left
    expect(resolveInVariant(path.join(work, 'no-such-variant'))).toBeNull();
  });
});
