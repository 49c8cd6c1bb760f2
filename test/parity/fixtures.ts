// Parity fixtures: tensors exchanged with PyTorch reference scripts (scripts/reference/).
// A fixture folder holds manifest.json, {name: {dtype, shape, file}}, and one raw
// little-endian, row-major file per tensor (float32, float64 or int64). The Python side
// is scripts/reference/tensors.py; both sides read and write the same layout.
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { torch, type Tensor } from '../../lib/index';
import { packageRoot } from '../../lib/libtorch';

export type FixtureDType = 'float32' | 'float64' | 'int64';
export interface ManifestEntry {
  dtype: FixtureDType;
  shape: number[];
  file: string;
}
export type Fixtures = Record<string, Tensor>;

const ARRAYS = { float32: Float32Array, float64: Float64Array, int64: BigInt64Array } as const;

if (os.endianness() !== 'LE') throw new Error('parity fixtures assume a little-endian machine');

/** Reads a fixture folder into torchts tensors (kept: no tidy scope frees them). */
export function readFixtures(folder: string): Fixtures {
  const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'manifest.json'), 'utf8')) as Record<
    string,
    ManifestEntry
  >;
  const out: Fixtures = {};
  for (const [name, m] of Object.entries(manifest)) {
    const Ctor = ARRAYS[m.dtype];
    if (!Ctor) throw new Error(`${name}: unsupported fixture dtype ${m.dtype}`);
    const bytes = fs.readFileSync(path.join(folder, m.file));
    // Copy into a fresh (aligned) buffer: readFileSync may return a view at any offset.
    const data = new Ctor(bytes.byteLength / Ctor.BYTES_PER_ELEMENT);
    new Uint8Array(data.buffer).set(bytes);
    const numel = m.shape.reduce((a, b) => a * b, 1);
    if (data.length !== numel)
      throw new Error(`${name}: ${data.length} elements in ${m.file}, shape [${m.shape}] needs ${numel}`);
    const flat = torch.tensor(data);
    out[name] = torch.keep(flat.reshape(m.shape));
    if (out[name] !== flat) flat.dispose();
  }
  return out;
}

/** Writes torchts tensors as a fixture folder (for a reference script to read). */
export function writeFixtures(folder: string, tensors: Fixtures): void {
  fs.mkdirSync(folder, { recursive: true });
  const manifest: Record<string, ManifestEntry> = {};
  Object.entries(tensors).forEach(([name, t], i) => {
    const dtype = t.dtype as FixtureDType;
    if (!(dtype in ARRAYS)) throw new Error(`${name}: unsupported fixture dtype ${t.dtype}`);
    const data = t.detach().contiguous().toTypedArray() as Float32Array | Float64Array | BigInt64Array;
    const file = `${String(i).padStart(5, '0')}.bin`;
    fs.writeFileSync(path.join(folder, file), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    manifest[name] = { dtype, shape: [...t.shape], file };
  });
  fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify(manifest, null, 1));
}

/** The entries under `prefix` ('case/'), with the prefix taken off. */
export function under(fixtures: Fixtures, prefix: string): Fixtures {
  return Object.fromEntries(
    Object.entries(fixtures)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  );
}

/** A new temporary folder for fixtures (remove it with `fs.rmSync(dir, { recursive: true })`). */
export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `torchts-${tag}-`));
}

/** The python and environment runReference uses: $TORCHTS_PYTHON or 'python3', with <repo>/.deps/python and scripts/reference on PYTHONPATH. */
function referenceCommand(script: string, args: string[]): [string, string[], NodeJS.ProcessEnv] {
  const root = packageRoot();
  const dirs = [path.join(root, 'scripts', 'reference')];
  const deps = path.join(root, '.deps', 'python');
  if (fs.existsSync(deps)) dirs.push(deps);
  if (process.env.PYTHONPATH) dirs.push(process.env.PYTHONPATH);
  return [
    process.env.TORCHTS_PYTHON || 'python3',
    [path.join(root, 'scripts', 'reference', script), ...args],
    { ...process.env, PYTHONPATH: dirs.join(path.delimiter) },
  ];
}

/**
 * Runs scripts/reference/<script> with real PyTorch: python is $TORCHTS_PYTHON or
 * 'python3'; <repo>/.deps/python (where it exists) and scripts/reference go on PYTHONPATH.
 */
export function runReference(script: string, args: string[], timeoutMs = 300_000): string {
  const [python, argv, env] = referenceCommand(script, args);
  return execFileSync(python, argv, {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
    maxBuffer: 1 << 28,
  });
}

/**
 * Runs a TorchScript file in PyTorch (torch.jit.load, scripts/reference/jit_files.py) on
 * `inputs`; its output. The exchanged fixtures go into `dir`.
 */
export function runInPyTorch(module: string, inputs: Tensor[], dir: string): Tensor {
  const tag = path.basename(module, '.pt');
  writeFixtures(path.join(dir, `${tag}-in`), Object.fromEntries(inputs.map((t, k) => [`in${k}`, t])));
  runReference('jit_files.py', ['run', module, path.join(dir, `${tag}-in`), path.join(dir, `${tag}-out`)]);
  return readFixtures(path.join(dir, `${tag}-out`)).out;
}

/** `runReference` without blocking: references and child processes can run side by side. */
export function runReferenceAsync(script: string, args: string[]): Promise<string> {
  const [python, argv, env] = referenceCommand(script, args);
  return new Promise((resolve, reject) => {
    execFile(python, argv, { env, encoding: 'utf8', timeout: 300_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${script}: ${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}
