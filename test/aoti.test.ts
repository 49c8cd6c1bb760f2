// torch._inductor.aotiLoadPackage: a tiny MLP exported and compiled by PyTorch's
// aoti_compile_and_package (scripts/reference/jit_files.py aoti, g++ on this machine) runs in
// torchts with the output PyTorch's own aoti_load_package gave (tolerance 0: the same
// compiled library runs on both sides). The compile takes minutes (13 on a loaded 2-core
// machine), so the package is kept in a temporary folder named after the script's content
// and reused by later runs. Damaged packages and packages for another device fail clearly.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { type Tensor, torch } from '../lib/index';
import { expectRel } from './compare';
import { type Fixtures, readFixtures, runReference, tempDir } from './parity/fixtures';

const { _inductor } = torch;
torch.setNumThreads(1);

// Bump when jit_files.py's `aoti` case changes, so that the cached package is remade.
const FIXTURE_VERSION = 1;
const cache = path.join(os.tmpdir(), `torchts-aoti-${torch.version}-v${FIXTURE_VERSION}`);
const pkg = path.join(cache, 'model.pt2');
let fx: Fixtures;

beforeAll(() => {
  if (!fs.existsSync(path.join(cache, 'fixtures', 'manifest.json'))) {
    const tmp = `${cache}.${process.pid}`;
    runReference('jit_files.py', ['aoti', tmp], 1_400_000);
    fs.rmSync(cache, { recursive: true, force: true });
    fs.renameSync(tmp, cache);
  }
  fx = readFixtures(path.join(cache, 'fixtures'));
}, 1_500_000); // compiling the package with Inductor: ~3 min quiet, 13 min on a loaded 2-core machine

describe('aotiLoadPackage', () => {
  it("runs a compiled package with PyTorch's output", () => {
    const m = _inductor.aotiLoadPackage(pkg);
    expect(m.metadata().AOTI_DEVICE_KEY).toBe('cpu');
    torch.tidy(() => {
      expectRel(m.forward(fx.x) as Tensor, fx.y, 0, 'forward');
      expectRel(m.run([fx.x])[0], fx.eager, 1e-5, 'against eager PyTorch');
    });
    m.dispose();
    expect(() => m.forward(fx.x)).toThrow(/disposed/);
  });

  it('checks inputs: a wrong shape, dtype or count throws a TorchError', () => {
    const m = _inductor.aotiLoadPackage(pkg);
    expect(() => m.forward(torch.zeros([4, 9]))).toThrow(torch.TorchError);
    expect(() => m.forward(torch.zeros([4, 8], { dtype: 'float64' }))).toThrow(torch.TorchError);
    expect(() => m.forward()).toThrow(torch.TorchError);
    expect(() => m.forward(fx.x, fx.x)).toThrow(torch.TorchError);
    expect(() => m.run('x' as never)).toThrow(TypeError);
    m.dispose();
  });

  it('fails clearly on missing or damaged packages and on a package for another device', () => {
    const dir = tempDir('aoti');
    try {
      expect(() => _inductor.aotiLoadPackage(path.join(dir, 'missing.pt2'))).toThrow(/no such file/);
      const bytes = fs.readFileSync(pkg);
      fs.writeFileSync(path.join(dir, 'cut.pt2'), bytes.subarray(0, bytes.length >> 1));
      expect(() => _inductor.aotiLoadPackage(path.join(dir, 'cut.pt2'))).toThrow(
        /cannot load .*cut.pt2 as an AOTInductor package/,
      );
      fs.writeFileSync(path.join(dir, 'text.pt2'), 'not a package');
      expect(() => _inductor.aotiLoadPackage(path.join(dir, 'text.pt2'))).toThrow(torch.TorchError);
      expect(() => _inductor.aotiLoadPackage(pkg, { modelName: 'other' })).toThrow(torch.TorchError);
      expect(() => _inductor.aotiLoadPackage(pkg, { model_name: 'x' } as never)).toThrow(/did you mean modelName/);
      // The same package, its metadata saying it was compiled for CUDA.
      runReference('jit_files.py', ['retarget', pkg, path.join(dir, 'cuda.pt2'), 'cuda']);
      expect(() => _inductor.aotiLoadPackage(path.join(dir, 'cuda.pt2'))).toThrow(/cuda/i);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
