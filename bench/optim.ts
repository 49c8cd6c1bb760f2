/**
 * Optimizer step time of torchts against PyTorch (Python eager) on the same libtorch, in one
 * run: every optimizer with random gradients, in its per-parameter form (foreach: false,
 * PyTorch's CPU default), its multi-tensor form (foreach: true) and, where libtorch has them,
 * fused kernels, over two parameter sets: ResNet-18's (62 tensors, 11.7 M values: the kernels
 * dominate) and 200 small tensors of 64 values (the per-call overhead dominates). Each
 * torchts step is one native call per parameter group; PyTorch loops in Python over the same
 * kernels.
 *
 * Python and torchts alternate (--passes times each, default 2), so a change in the
 * machine's load hits both; each figure is the median over all rounds of that side.
 *
 * usage: npm run bench:optim -- [--passes P] [--iters N] [--warmup W] [--threads T] [--out FILE]
 * Environment: TORCHTS_PYTHON (default python3); PYTHONPATH gets the project's .deps/python
 * when it exists. Writes the report, machine included, to bench/results/optim-<host>.json.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import { optim, nn, torch, vision } from '../lib/index';
import { packageRoot } from '../lib/libtorch';
import { N, nativeInfo } from '../lib/native';

interface Case {
  optimizer: string;
  options: Record<string, unknown>;
}

const OPTIMIZERS = [
  'SGD',
  'Adam',
  'AdamW',
  'RMSprop',
  'Adadelta',
  'Adagrad',
  'Adamax',
  'NAdam',
  'RAdam',
  'ASGD',
  'Rprop',
];
const FUSED = new Set(['SGD', 'Adam', 'AdamW', 'Adagrad']);
const EXTRA: Record<string, Record<string, unknown>> = { SGD: { momentum: 0.9 }, RMSprop: { momentum: 0.9 } };

function cases(): Record<string, Case> {
  const out: Record<string, Case> = {};
  for (const name of OPTIMIZERS) {
    const base = { lr: 0.01, ...(EXTRA[name] ?? {}) };
    out[`${name} foreach=false`] = { optimizer: name, options: { ...base, foreach: false } };
    out[`${name} foreach=true`] = { optimizer: name, options: { ...base, foreach: true } };
    if (FUSED.has(name)) out[`${name} fused`] = { optimizer: name, options: { ...base, fused: true } };
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

type Ctor = new (p: nn.Parameter[], o: object) => optim.Optimizer;

/** torchts's side of optim.py: the same parameters, gradients and timing. */
function runTorchts(shapes: number[][], all: Record<string, Case>, warmup: number, iters: number, seed: number) {
  torch.manualSeed(seed);
  const out: Record<string, number[]> = {};
  for (const [name, c] of Object.entries(all)) {
    const params = shapes.map((s) => new nn.Parameter(torch.randn(s)));
    torch.tidy(() => {
      // A loss whose gradient with respect to each parameter is a fixed random tensor.
      let loss = torch.zeros([]);
      for (const p of params) loss = loss.add(p.mul(torch.randnLike(p)).sum());
      loss.backward();
    });
    const opt = new (optim[c.optimizer as keyof typeof optim] as unknown as Ctor)(params, c.options);
    for (let i = 0; i < warmup; i++) opt.step();
    const times: number[] = [];
    for (let i = 0; i < iters; i++) {
      const t0 = performance.now();
      opt.step();
      times.push(performance.now() - t0);
    }
    out[name] = times;
    for (const s of opt.state.values()) for (const v of Object.values(s)) if (v instanceof torch.Tensor) v.dispose();
    for (const p of params) p.dispose();
  }
  return out;
}

function runPython(config: object): Record<string, number[]> {
  const root = packageRoot();
  const deps = path.join(root, '.deps', 'python');
  const env = { ...process.env };
  if (fs.existsSync(deps)) env.PYTHONPATH = [deps, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter);
  const r = spawnSync(
    process.env.TORCHTS_PYTHON || 'python3',
    [path.join(root, 'bench', 'optim.py'), JSON.stringify(config)],
    {
      env,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    },
  );
  if (r.status !== 0) throw new Error(`bench/optim.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, number[]>;
}

function main(): void {
  const { values: v } = parseArgs({
    options: {
      passes: { type: 'string', default: '2' },
      iters: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      threads: { type: 'string', default: '1' },
      out: { type: 'string' },
    },
  });
  const [passes, iters, warmup, threads] = [v.passes, v.iters, v.warmup, v.threads].map(Number);
  torch.setNumThreads(threads);
  const model = vision.models.resnet18();
  const sets: Record<string, number[][]> = {
    resnet18: model.parameters().map((p) => [...p.shape]),
    'small (200 x 64)': Array.from({ length: 200 }, () => [8, 8]),
  };
  model.dispose();
  const all = cases();
  const loadAverageAtStart = os.loadavg();
  const rows: { set: string; case: string; torchtsMs: number; pytorchMs: number; ratio: number }[] = [];
  for (const [set, shapes] of Object.entries(sets)) {
    // The small set is fast: more iterations for a stable median.
    const n = set === 'resnet18' ? iters : iters * 20;
    const config = { shapes, cases: all, warmup, iters: n, threads, seed: 0 };
    const ts: Record<string, number[]> = {};
    const py: Record<string, number[]> = {};
    for (let pass = 0; pass < passes; pass++) {
      for (const [k, t] of Object.entries(runPython(config))) py[k] = [...(py[k] ?? []), ...t];
      for (const [k, t] of Object.entries(runTorchts(shapes, all, warmup, n, 0))) ts[k] = [...(ts[k] ?? []), ...t];
    }
    for (const name of Object.keys(all)) {
      const [a, b] = [median(ts[name]), median(py[name])];
      rows.push({ set, case: name, torchtsMs: +a.toFixed(4), pytorchMs: +b.toFixed(4), ratio: +(a / b).toFixed(3) });
    }
  }
  const w = Math.max(...rows.map((r) => r.set.length + r.case.length + 2));
  console.log(`${'parameters: case'.padEnd(w)}  torchts ms  PyTorch ms  torchts/PyTorch`);
  for (const r of rows) {
    console.log(
      `${`${r.set}: ${r.case}`.padEnd(w)}  ${r.torchtsMs.toFixed(3).padStart(10)}  ${r.pytorchMs.toFixed(3).padStart(10)}  ${r.ratio.toFixed(2).padStart(15)}`,
    );
  }
  const host =
    os
      .hostname()
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '') || 'cpu';
  const file = v.out ? path.resolve(v.out) : path.join(packageRoot(), 'bench', 'results', `optim-${host}.json`);
  const report = {
    benchmark: 'optim',
    date: new Date().toISOString(),
    settings: { passes, iters, warmup, threads, parameterSets: Object.keys(sets) },
    machine: {
      hostname: os.hostname(),
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
      node: process.version,
      libtorch: nativeInfo.loaded ?? N.torchVersion,
      loadAverageAtStart,
      loadAverageAtEnd: os.loadavg(),
    },
    rows,
  };
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`report: ${path.relative(process.cwd(), file)}`);
}

main();
