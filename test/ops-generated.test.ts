// The committed generated op files (lib/torch/generated/) are what scripts/gen_ops.py writes
// for the torch wheel torchts builds against, and the typed exports cover what the stubs list.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { nn, torch } from '../lib/index';
import { packageRoot } from '../lib/libtorch';

function python(script: string, args: string[]): string {
  const root = packageRoot();
  const deps = path.join(root, '.deps', 'python');
  const env = { ...process.env };
  if (fs.existsSync(deps)) env.PYTHONPATH = env.PYTHONPATH ? `${deps}${path.delimiter}${env.PYTHONPATH}` : deps;
  return execFileSync(process.env.TORCHTS_PYTHON || 'python3', [path.join(root, script), ...args], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });
}

describe('generated ops', () => {
  it("are up to date with the wheel's native_functions.yaml", () => {
    expect(() => python('scripts/gen_ops.py', ['--check'])).not.toThrow();
  });

  it('cover at least 90% of torch.* and Tensor methods and 80% of nn.functional (scripts/ops_coverage.py)', () => {
    // The names this very build has (not dist/, which may be older than the sources).
    const proto: string[] = [];
    for (let p = torch.Tensor.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p))
      proto.push(...Object.getOwnPropertyNames(p));
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-cov-')), 'names.json');
    fs.writeFileSync(
      file,
      JSON.stringify({ torch: Object.keys(torch), methods: proto, functional: Object.keys(nn.functional) }),
    );
    const out = python('scripts/ops_coverage.py', ['--names', file]);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
    const pct = (label: string): number => {
      const m = new RegExp(`^${label.replace('.', '\\.')}\\s+(\\d+) /\\s+(\\d+)`, 'm').exec(out);
      expect(m, `${label} line in:\n${out.slice(0, 400)}`).not.toBeNull();
      return Number(m![1]) / Number(m![2]);
    };
    expect(pct('torch')).toBeGreaterThanOrEqual(0.9);
    expect(pct('Tensor')).toBeGreaterThanOrEqual(0.9);
    expect(pct('nn.functional')).toBeGreaterThanOrEqual(0.8);
  });

  it('install every generated method without shadowing a hand-written one', () => {
    const proto = torch.Tensor.prototype as unknown as Record<string, unknown>;
    for (const name of ['cumprod', 'addcmul', 'kthvalue', 'scatter_', 'unfold', 'tril_', 'indexAdd_']) {
      expect(typeof proto[name], name).toBe('function');
    }
    // hand-written methods keep their own implementation
    expect((proto.add as { name: string }).name).toBe('add');
    expect(typeof nn.functional.interpolate).toBe('function');
  });
});
