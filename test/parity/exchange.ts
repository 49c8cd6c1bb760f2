// Tensor exchange with the PyTorch reference scripts (scripts/reference/exchange.py):
// manifest.json plus one raw little-endian file per tensor.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { torch, type Tensor } from '../../lib/index';
import { packageRoot } from '../../lib/libtorch';

type Entry = { dtype: torch.DType; shape: number[]; file: string };

/** Reads every tensor of a folder written by exchange.py; the tensors are kept (not tidied). */
export function loadTensors(folder: string): Record<string, Tensor> {
  const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as Record<string, Entry>;
  const out: Record<string, Tensor> = {};
  for (const [name, m] of Object.entries(manifest)) {
    const bytes = fs.readFileSync(path.join(folder, m.file));
    out[name] = torch.keep(torch.frombuffer(bytes, { dtype: m.dtype, shape: m.shape }));
  }
  return out;
}

/** Writes tensors for a reference script to read. */
export function saveTensors(folder: string, tensors: Record<string, Tensor>): void {
  fs.mkdirSync(folder, { recursive: true });
  const manifest: Record<string, Entry> = {};
  Object.entries(tensors).forEach(([name, t], i) => {
    const file = `${String(i).padStart(5, '0')}.bin`;
    fs.writeFileSync(path.join(folder, file), t.toBytes());
    manifest[name] = { dtype: t.dtype, shape: [...t.shape], file };
  });
  fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(manifest));
}

/**
 * Runs a reference script with the PyTorch next to torchts: TORCHTS_PYTHON (default
 * python3) with torchts's set-up folder on PYTHONPATH when it exists.
 */
export function runReference(script: string, args: string[]): string {
  const root = packageRoot();
  const deps = path.join(root, '.deps', 'python');
  const pythonPath = [path.join(root, 'scripts', 'reference'), ...(fs.existsSync(deps) ? [deps] : [])];
  const env = { ...process.env, PYTHONPATH: pythonPath.join(':') };
  const python = process.env.TORCHTS_PYTHON || 'python3';
  return execFileSync(python, [path.join(root, 'scripts', 'reference', script), ...args], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
  });
}

/** max |actual - expected| / max |expected|: the error relative to the tensor's scale. */
export function relError(actual: Tensor, expected: Tensor): number {
  return torch.tidy(() => {
    const scale = expected.abs().max().item() as number;
    const err = actual.to('float64').sub(expected.to('float64')).abs().max().item() as number;
    return scale === 0 ? err : err / scale;
  });
}
