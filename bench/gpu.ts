/**
 * ResNet-50 on the GPU: torchts against PyTorch eager on the same GPU, in one run.
 *
 *     node dist-scripts/bench/gpu.js [--case NAME ...] [--out FILE] [--quick]
 *
 * The PyTorch side is bench/gpu.py (same cases, same settings; its docstring lists them),
 * run after the torchts side in a child process ($TORCHTS_PYTHON or python3). Each case's
 * figure is the median time of one step over blocks of steps ended by a synchronize.
 * Prints a table with images/s and ratio = PyTorch eager ms / torchts ms (>= 1 means torchts is
 * at least as fast); graph cases are compared with PyTorch *eager* at the same batch (the
 * issue's target) and also with PyTorch's own CUDA-graph replay. Writes the JSON report to
 * --out (default bench/results/gpu-<gpu name>.json).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { nn, optim, torch, vision } from '../lib/index';
import type { Tensor } from '../lib/torch/tensor';

const root = path.resolve(__dirname, '..', '..');

// name: [mode, batch, amp, channelsLast, graph] (bench/gpu.py's CASES)
const CASES: Record<string, ['train' | 'infer', number, boolean, boolean, boolean]> = {
  'train-b256-amp-cl': ['train', 256, true, true, false],
  'train-b32-amp-cl': ['train', 32, true, true, false],
  'train-b32-amp-cl-graph': ['train', 32, true, true, true],
  'train-b8-amp-cl': ['train', 8, true, true, false],
  'train-b8-amp-cl-graph': ['train', 8, true, true, true],
  'infer-b1-amp-cl': ['infer', 1, true, true, false],
  'infer-b256-amp-cl': ['infer', 256, true, true, false],
};

class Case {
  readonly model: vision.models.ResNet;
  readonly x: Tensor;
  readonly y: Tensor;
  criterion = new nn.CrossEntropyLoss();
  opt?: optim.SGD;
  replay?: () => Tensor;

  constructor(
    readonly mode: 'train' | 'infer',
    batch: number,
    readonly amp: boolean,
    cl: boolean,
    graph: boolean,
  ) {
    torch.manualSeed(0);
    this.model = vision.models.resnet50().to('cuda');
    if (cl) this.model.to('channelsLast');
    this.x = torch.keep(
      torch
        .randn([batch, 3, 224, 224], { device: 'cuda' })
        .to({ memoryFormat: cl ? 'channelsLast' : 'contiguousFormat' }),
    );
    this.y = torch.keep(torch.randint(0, 1000, [batch], { device: 'cuda' }));
    if (mode === 'infer') {
      this.model.eval();
      return;
    }
    this.model.train();
    this.opt = new optim.SGD(this.model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-4, fused: true });
    if (graph) this.replay = torch.cuda.captureStep(() => this.trainStep(false), { warmup: 3 });
  }

  trainStep(cache = true): Tensor {
    this.opt!.zeroGrad();
    const loss = torch.autocast('cuda', { dtype: 'bfloat16', enabled: this.amp, cacheEnabled: cache }, () =>
      this.criterion.forward(this.model.forward(this.x), this.y),
    );
    loss.backward();
    this.opt!.step();
    return loss;
  }

  step(): void {
    if (this.mode === 'infer') {
      torch.noGrad(() =>
        torch.tidy(
          () => void torch.autocast('cuda', { dtype: 'bfloat16', enabled: this.amp }, () => this.model.forward(this.x)),
        ),
      );
    } else if (this.replay) {
      this.replay();
    } else {
      torch.tidy(() => void this.trainStep());
    }
  }

  dispose(): void {
    this.replay && (this.replay as unknown as { graph: { dispose(): void } }).graph.dispose();
    this.opt?.zeroGrad();
    if (this.opt)
      for (const s of this.opt.state.values())
        for (const v of Object.values(s)) if (v instanceof torch.Tensor) v.dispose();
    this.x.dispose();
    this.y.dispose();
    this.model.dispose();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function measure(c: Case, warmup: number, iters: number, block: number): number[] {
  for (let i = 0; i < warmup; i++) c.step();
  torch.cuda.synchronize();
  const times: number[] = [];
  for (let b = 0; b < Math.max(1, Math.floor(iters / block)); b++) {
    const t0 = performance.now();
    for (let i = 0; i < block; i++) c.step();
    torch.cuda.synchronize();
    times.push((performance.now() - t0) / block);
  }
  return times;
}

interface Side {
  cases: Record<string, { median_ms: number; times_ms: number[]; batch: number; images_per_s: number }>;
  [k: string]: unknown;
}

function main(): void {
  const argv = process.argv.slice(2);
  const names = argv.flatMap((a, i) => (a === '--case' ? [argv[i + 1]] : []));
  const quick = argv.includes('--quick');
  const outAt = argv.indexOf('--out');
  for (const n of names)
    if (!(n in CASES)) throw new Error(`unknown --case ${n}; one of ${Object.keys(CASES).join(', ')}`);
  const selected = names.length ? names : Object.keys(CASES);
  const [warmup, iters, block] = quick ? [3, 10, 5] : [10, 40, 5];
  if (!torch.cuda.isAvailable()) throw new Error('CUDA is not available');
  torch.backends.cudnn.benchmark = true;

  const ours: Side = {
    torchts: require(path.join(root, 'package.json')).version,
    libtorch: torch.version,
    gpu: torch.cuda.getDeviceName(),
    cases: {},
  };
  for (const name of selected) {
    const [mode, batch, amp, cl, graph] = CASES[name];
    const c = new Case(mode, batch, amp, cl, graph);
    const times = measure(c, warmup, iters, block);
    c.dispose();
    torch.cuda.emptyCache();
    const med = median(times);
    ours.cases[name] = { median_ms: med, times_ms: times, batch, images_per_s: (batch * 1e3) / med };
    console.error(`torchts ${name}: ${med.toFixed(2)} ms`);
  }

  const py = spawnSync(
    process.env.TORCHTS_PYTHON || 'python3',
    [
      path.join(root, 'bench', 'gpu.py'),
      ...selected.flatMap((n) => ['--case', n]),
      '--warmup',
      String(warmup),
      '--iters',
      String(iters),
      '--block',
      String(block),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (py.status !== 0) throw new Error(`bench/gpu.py failed (exit ${py.status})`);
  const theirs = JSON.parse(py.stdout.trim().split('\n').pop()!) as Side;

  const rows = selected.map((name) => {
    const eagerName = name.replace(/-graph$/, '');
    const t = ours.cases[name].median_ms;
    const pyEager = theirs.cases[eagerName]?.median_ms ?? theirs.cases[name].median_ms;
    return {
      case: name,
      batch: CASES[name][1],
      torchts_ms: t,
      pytorch_ms: theirs.cases[name].median_ms,
      torchts_images_per_s: ours.cases[name].images_per_s,
      pytorch_images_per_s: theirs.cases[name].images_per_s,
      ratio_vs_pytorch_same_mode: theirs.cases[name].median_ms / t,
      ratio_vs_pytorch_eager: pyEager / t,
    };
  });
  console.log(
    `ResNet-50 on ${ours.gpu}: torchts (libtorch ${torch.version}) vs PyTorch ${String(theirs.torch)} (cuDNN ${String(theirs.cudnn)})`,
  );
  console.log('case                      torchts ms  img/s     PyTorch ms  img/s     ratio(same)  ratio(vs eager)');
  for (const r of rows) {
    console.log(
      `${r.case.padEnd(25)} ${r.torchts_ms.toFixed(2).padStart(9)}  ${r.torchts_images_per_s.toFixed(0).padStart(8)}  ${r.pytorch_ms.toFixed(2).padStart(9)}  ${r.pytorch_images_per_s.toFixed(0).padStart(8)}  ${r.ratio_vs_pytorch_same_mode.toFixed(2).padStart(11)}  ${r.ratio_vs_pytorch_eager.toFixed(2).padStart(15)}`,
    );
  }
  const report = {
    date: new Date().toISOString(),
    gpu: ours.gpu,
    torchts: ours,
    pytorch: theirs,
    rows,
    settings: { warmup, iters, block },
  };
  const out =
    outAt >= 0
      ? argv[outAt + 1]
      : path.join(root, 'bench', 'results', `gpu-${String(ours.gpu).replace(/[^A-Za-z0-9]+/g, '-')}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report, null, 1));
  console.log(`report: ${out}`);
}

try {
  main();
} catch (e) {
  console.error(`bench/gpu: ${(e as Error).message}`);
  process.exit(1);
}
