/**
 * Per-op overhead of torchts against PyTorch (Python eager) on the same libtorch, measured
 * in one run: a 1-element add and a small conv2d, with one intra-op thread.
 *
 *   add:    a.add(b) on 1-element float32 tensors              (Python: a + b)
 *   conv2d: nn.functional.conv2d(x, w, b, 1, 1), x [1,3,8,8],
 *           w [4,3,3,3], b [4]                                 (Python: F.conv2d(x, w, b, padding=1))
 *
 * Python frees each result by reference counting as soon as the next one replaces it; the
 * torchts pattern that matches is an explicit `dispose()` of each result, and the ratio is
 * computed on that row. The other ways a torchts result can be freed are extra rows:
 *   tidy (100 ops/scope)  a `torch.tidy` around every 100 ops frees them when it closes
 *   tidy (1 op/scope)     a `torch.tidy` around each op: the fixed cost of a scope
 *   finalizer only        results are dropped; the FinalizationRegistry frees them. The
 *                         round's time includes a full GC and the finalizer callbacks at its
 *                         end, so the cost of collecting is counted
 *   raw native            the binding alone: `N.add(h, h, 1)` / conv2d's `N.opCall(...)` then `N.free`,
 *                         no Tensor object (the floor the Tensor class adds to)
 *   generic               the same op through the generic path every other op takes
 *                         (`torch.add(a, b)` / `torch.conv2d(x, w, b, 1, 1)`: overload choice
 *                         in lib/torch/dispatch.ts, boxed dispatcher call in native/ops/dispatch.cc),
 *                         each result disposed: compare with `dispose`, the hand-bound row
 *   generic raw           `N.opCall(id, ...)` then `N.free`: the generic native entry alone
 *
 * Python and torchts alternate (--passes times each, default 2), so a change in the
 * machine's load hits both; each side's figure is the median over all its rounds. Every
 * round starts after a full GC (not timed) so that rounds start alike.
 *
 * usage: npm run bench:ops -- [--passes P] [--rounds R] [--reps N] [--warmup W]
 *                             [--case add|conv2d ...] [--out FILE] [--no-python]
 * Environment: TORCHTS_PYTHON (default python3); PYTHONPATH gets the project's .deps/python
 * when it exists, so Python loads the same libtorch. Writes the report, machine included,
 * to bench/results/op_overhead-<hostname or 'cpu'>.json.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

import { nn, torch, type Tensor } from '../lib/index';
import { packageRoot } from '../lib/libtorch';
import { N, nativeInfo } from '../lib/native';

const F = nn.functional;

// A full GC between rounds, without asking for --expose-gc on the command line.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

type CaseName = 'add' | 'conv2d';
const CASES: Record<CaseName, number> = { add: 200_000, conv2d: 20_000 }; // default reps per round, as op_overhead.py

type Pattern =
  | 'dispose'
  | 'tidy (100 ops/scope)'
  | 'tidy (1 op/scope)'
  | 'finalizer only'
  | 'raw native'
  | 'generic'
  | 'generic raw';
const PATTERNS: Pattern[] = [
  'dispose',
  'tidy (100 ops/scope)',
  'tidy (1 op/scope)',
  'finalizer only',
  'raw native',
  'generic',
  'generic raw',
];
/** The row compared with Python: each result freed at once, as refcounting does. */
const FAIR: Pattern = 'dispose';

interface Args {
  passes: number;
  rounds: number;
  reps: number | null;
  warmup: number | null;
  cases: CaseName[];
  out: string | null;
  python: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { passes: 2, rounds: 5, reps: null, warmup: null, cases: [], out: null, python: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = (): number => {
      const v = Number(value());
      if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${flag} needs an integer >= 1`);
      return v;
    };
    if (flag === '--passes') a.passes = int();
    else if (flag === '--rounds') a.rounds = int();
    else if (flag === '--reps') a.reps = int();
    else if (flag === '--warmup') a.warmup = int();
    else if (flag === '--case') {
      const c = value();
      if (!(c in CASES)) throw new Error(`unknown case ${c}; expected one of ${Object.keys(CASES).join(', ')}`);
      a.cases.push(c as CaseName);
    } else if (flag === '--out') a.out = value();
    else if (flag === '--no-python') a.python = false;
    else if (flag === '--help' || flag === '-h') {
      console.log(
        'usage: op_overhead [--passes P] [--rounds R] [--reps N] [--warmup W] [--case add|conv2d ...] [--out FILE] [--no-python]',
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${flag}`);
  }
  if (a.cases.length === 0) a.cases = Object.keys(CASES) as CaseName[];
  return a;
}

// ---- the torchts side ----------------------------------------------------------------

/** Runs the op `n` times in one pattern. Async only where the pattern needs the event loop. */
type Runner = (n: number) => void | Promise<void>;

/** Yields to the event loop until the finalizers have freed what they will (at most 20 turns). */
async function settle(): Promise<void> {
  let live = N.liveCount() as number;
  for (let turn = 0; turn < 20; turn++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const now = N.liveCount() as number;
    if (now === live && turn > 0) break;
    live = now;
  }
}

function makeRunners(name: CaseName): { runners: Record<Pattern, Runner>; inputs: Tensor[] } {
  // One op: returns the result Tensor. `raw` is the same op on handles, returning a handle.
  let op: () => Tensor;
  let raw: () => number;
  let generic: () => Tensor;
  let genericRaw: () => number;
  let inputs: Tensor[];
  if (name === 'add') {
    const a = torch.ones([1], { dtype: 'float32' });
    const b = torch.ones([1], { dtype: 'float32' });
    const ha = a.handle;
    const hb = b.handle;
    op = () => a.add(b);
    raw = () => N.add(ha, hb, 1) as number;
    generic = () => torch.add(a, b);
    const id = N.opResolve('aten::add', 'Tensor');
    genericRaw = () => N.opCall(id, ha, hb) as number;
    inputs = [a, b];
  } else {
    torch.manualSeed(0);
    const x = torch.randn([1, 3, 8, 8]);
    const w = torch.randn([4, 3, 3, 3]);
    const b = torch.randn([4]);
    const [hx, hw, hb] = [x.handle, w.handle, b.handle];
    // conv2d has no hand binding any more: F.conv2d validates in TS and calls the generic path.
    op = () => F.conv2d(x, w, b, 1, 1);
    const id = N.opResolve('aten::conv2d', '');
    raw = () => N.opCall(id, hx, hw, hb, [1, 1], [1, 1], [1, 1], 1) as number;
    generic = () => torch.conv2d(x, w, b, 1, 1);
    genericRaw = raw;
    inputs = [x, w, b];
  }
  const runners: Record<Pattern, Runner> = {
    dispose: (n) => {
      for (let i = 0; i < n; i++) {
        const c = op();
        c.dispose();
      }
    },
    'tidy (100 ops/scope)': (n) => {
      for (let i = 0; i < n; i += 100) {
        const m = Math.min(100, n - i);
        torch.tidy(() => {
          for (let k = 0; k < m; k++) op();
        });
      }
    },
    'tidy (1 op/scope)': (n) => {
      for (let i = 0; i < n; i++) torch.tidy(() => void op());
    },
    'finalizer only': async (n) => {
      for (let i = 0; i < n; i++) op();
      gc();
      await settle();
    },
    'raw native': (n) => {
      for (let i = 0; i < n; i++) N.free(raw());
    },
    generic: (n) => {
      for (let i = 0; i < n; i++) {
        const c = generic();
        c.dispose();
      }
    },
    'generic raw': (n) => {
      for (let i = 0; i < n; i++) N.free(genericRaw());
    },
  };
  return { runners, inputs };
}

interface Summary {
  median_us: number;
  min_us: number;
  max_us: number;
  rounds_us: number[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function summary(us: number[]): Summary {
  return { median_us: median(us), min_us: Math.min(...us), max_us: Math.max(...us), rounds_us: us };
}

/** Per-op microseconds of each round, after `warmup` ops; every round starts after a full GC. */
async function timeRounds(run: Runner, warmup: number, rounds: number, reps: number): Promise<number[]> {
  await run(warmup);
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) {
    gc();
    await settle();
    const t0 = process.hrtime.bigint();
    await run(reps);
    out.push(Number(process.hrtime.bigint() - t0) / reps / 1e3);
  }
  return out;
}

async function torchtsPass(args: Args): Promise<Record<string, Record<string, number[]>>> {
  torch.setNumThreads(1);
  const out: Record<string, Record<string, number[]>> = {};
  for (const name of args.cases) {
    const reps = args.reps ?? CASES[name];
    const warmup = args.warmup ?? reps;
    const { runners, inputs } = makeRunners(name);
    out[name] = {};
    for (const p of PATTERNS) out[name][p] = await timeRounds(runners[p], warmup, args.rounds, reps);
    for (const t of inputs) t.dispose();
  }
  const loopReps = args.reps ?? Math.max(...Object.values(CASES));
  const loop: Runner = (n) => {
    for (let i = 0; i < n; i++);
  };
  out.loop = { 'empty loop': await timeRounds(loop, loopReps, args.rounds, loopReps) };
  return out;
}

// ---- the Python side -----------------------------------------------------------------

interface PythonReport {
  runtime: string;
  python: string;
  torch: string;
  torch_file: string;
  threads: number;
  results: Record<string, Summary & { reps: number; warmup: number; rounds: number }>;
}

function pythonCommand(): { exe: string; env: NodeJS.ProcessEnv } {
  const exe = process.env.TORCHTS_PYTHON || 'python3';
  const env = { ...process.env };
  const deps = path.join(packageRoot(), '.deps', 'python');
  if (fs.existsSync(deps)) env.PYTHONPATH = env.PYTHONPATH ? `${deps}${path.delimiter}${env.PYTHONPATH}` : deps;
  return { exe, env };
}

function pythonPass(args: Args): PythonReport {
  const script = path.join(packageRoot(), 'bench', 'op_overhead.py');
  const { exe, env } = pythonCommand();
  const argv = [script, '--rounds', String(args.rounds)];
  for (const c of args.cases) argv.push('--case', c);
  if (args.reps !== null) argv.push('--reps', String(args.reps));
  if (args.warmup !== null) argv.push('--warmup', String(args.warmup));
  const r = spawnSync(exe, argv, { env, encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.error) throw new Error(`could not run ${exe}: ${r.error.message} (set TORCHTS_PYTHON to a Python with torch)`);
  if (r.status !== 0) throw new Error(`${exe} ${argv.join(' ')} failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as PythonReport;
}

// ---- machine and report --------------------------------------------------------------

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    /* not Linux */
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function machine(): Record<string, unknown> {
  return {
    hostname: os.hostname(),
    cpu: cpuModel(),
    cores: os.cpus().length,
    availableParallelism: os.availableParallelism(),
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    platform: `${process.platform}-${os.arch()}`,
    kernel: os.release(),
    node: process.version,
    v8: process.versions.v8,
    napi: process.versions.napi,
    libtorch: nativeInfo.loaded ?? N.torchVersion,
    libtorchCompiledAgainst: N.torchVersion,
    libtorchDir: nativeInfo.libtorchDir,
    binary: nativeInfo.binary,
    loadAverageAtStart: os.loadavg(),
  };
}

function reportPath(args: Args): string {
  if (args.out) return path.resolve(args.out);
  const host =
    os
      .hostname()
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '') || 'cpu';
  return path.join(packageRoot(), 'bench', 'results', `op_overhead-${host}.json`);
}

function fmt(x: number | undefined, digits = 2): string {
  return x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const host = machine();
  const ts: Record<string, Record<string, number[]>> = {};
  const py: Record<string, number[]> = {};
  const pyPasses: PythonReport[] = [];
  const add = (into: Record<string, number[]>, key: string, us: number[]): void => {
    into[key] ??= [];
    into[key].push(...us);
  };
  for (let pass = 0; pass < args.passes; pass++) {
    if (args.python) {
      process.stderr.write(`pass ${pass + 1}/${args.passes}: PyTorch...\n`);
      const p = pythonPass(args);
      pyPasses.push({ ...p, results: p.results });
      for (const [name, s] of Object.entries(p.results)) add(py, name, s.rounds_us);
    }
    process.stderr.write(`pass ${pass + 1}/${args.passes}: torchts...\n`);
    const t = await torchtsPass(args);
    for (const [name, byPattern] of Object.entries(t))
      for (const [p, us] of Object.entries(byPattern)) {
        ts[name] ??= {};
        add(ts[name], p, us);
      }
  }
  host.loadAverageAtEnd = os.loadavg();

  const pyInfo = pyPasses[0];
  if (pyInfo && !pyInfo.torch.startsWith(String(host.libtorch))) {
    process.stderr.write(
      `warning: Python runs torch ${pyInfo.torch}, torchts libtorch ${host.libtorch}: not the same libtorch\n`,
    );
  }

  // Rows: every torchts pattern of every case, against Python's figure for the case.
  interface Row {
    op: string;
    pattern: string;
    torchts: Summary;
    pytorch: Summary | null;
    ratio: number | null;
    ratioOfMins: number | null;
  }
  const rows: Row[] = [];
  for (const name of args.cases) {
    const pyS = py[name] ? summary(py[name]) : null;
    for (const p of PATTERNS) {
      const s = summary(ts[name][p]);
      rows.push({
        op: name,
        pattern: p,
        torchts: s,
        pytorch: pyS,
        ratio: pyS ? pyS.median_us / s.median_us : null,
        ratioOfMins: pyS ? pyS.min_us / s.min_us : null,
      });
    }
  }
  const loopTs = summary(ts.loop['empty loop']);
  const loopPy = py.loop ? summary(py.loop) : null;

  const opLabel: Record<string, string> = { add: 'add 1-elem', conv2d: 'conv2d 1x3x8x8' };
  const text = table(
    ['op', 'torchts pattern', 'torchts µs', 'PyTorch µs', 'ratio', 'torchts min', 'PyTorch min', 'ratio of mins'],
    rows.map((r) => [
      opLabel[r.op] ?? r.op,
      r.pattern + (r.pattern === FAIR ? ' *' : ''),
      fmt(r.torchts.median_us, 3),
      fmt(r.pytorch?.median_us, 3),
      r.ratio === null ? '-' : fmt(r.ratio),
      fmt(r.torchts.min_us, 3),
      fmt(r.pytorch?.min_us, 3),
      r.pytorch ? fmt(r.pytorch.min_us / r.torchts.min_us) : '-',
    ]),
  );
  console.log(
    `\nPer-op time, median of ${args.passes} x ${args.rounds} rounds, 1 thread. ratio = PyTorch / torchts (>= 1: torchts at least as fast)`,
  );
  console.log(text);
  console.log(
    `* the pattern that frees each result at once, as Python's refcounting does: the one the target is about`,
  );
  console.log(`min: the fastest round, less disturbed by other load on the machine`);
  for (const name of args.cases) {
    const hand = rows.find((r) => r.op === name && r.pattern === 'dispose');
    const gen = rows.find((r) => r.op === name && r.pattern === 'generic');
    if (hand && gen) {
      console.log(
        `${opLabel[name] ?? name}: generic path ${fmt(gen.torchts.median_us, 3)} µs vs hand-bound ${fmt(hand.torchts.median_us, 3)} µs ` +
          `(x${fmt(gen.torchts.median_us / hand.torchts.median_us)}; mins x${fmt(gen.torchts.min_us / hand.torchts.min_us)})`,
      );
    }
  }
  console.log(
    `empty loop per iteration: torchts ${fmt(loopTs.median_us, 4)} µs, Python ${fmt(loopPy?.median_us, 4)} µs (included in the figures above)`,
  );
  console.log(
    `\nmachine: ${host.cpu}, ${host.cores} cores, ${host.platform}, node ${host.node}, libtorch ${host.libtorch}` +
      (pyInfo ? `, Python ${pyInfo.python} torch ${pyInfo.torch}` : '') +
      `, load average ${(host.loadAverageAtStart as number[]).map((x) => x.toFixed(2)).join(' ')} -> ${(host.loadAverageAtEnd as number[]).map((x) => x.toFixed(2)).join(' ')}`,
  );

  const report = {
    benchmark: 'op_overhead',
    date: new Date().toISOString(),
    settings: {
      passes: args.passes,
      rounds: args.rounds,
      reps: args.reps,
      warmup: args.warmup,
      cases: args.cases,
      threads: 1,
      defaultReps: CASES,
    },
    machine: host,
    python: pyInfo
      ? { python: pyInfo.python, torch: pyInfo.torch, torch_file: pyInfo.torch_file, threads: pyInfo.threads }
      : null,
    fairPattern: FAIR,
    rows,
    loop: { torchts: loopTs, python: loopPy },
    pythonPasses: pyPasses.map((p) => p.results),
  };
  const file = reportPath(args);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`report: ${path.relative(process.cwd(), file) || file}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
