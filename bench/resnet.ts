/**
 * ResNet-18/50 inference (batch 1) and training step (batch 16) at 224x224: torchts against
 * PyTorch in Python on the same libtorch and machine, in one run.
 *
 *     npm run bench:resnet -- [--case resnet50-train ...] [--warmup W] [--rounds R] [--block B]
 *         [--torchts-first] [--no-python|--python-only] [--malloc-tuned]
 *
 * The Python side is bench/resnet.py (torchvision's own ResNet code) in a child process; this
 * file mirrors it line by line. For each case both sides warm up, then take turns for R
 * rounds (PyTorch first in even rounds, torchts first in odd ones; --torchts-first swaps),
 * so other work on the machine falls on both alike. Each turn is one unmeasured re-warm
 * iteration and B measured ones: the first iteration after the other process ran finds the
 * caches holding the other side's weights and activations (ResNet-18 inference: ~23 ms
 * against ~16 ms on a 2-core EPYC), an artefact of taking turns that steady use never sees.
 * Prints a table (ratio = PyTorch ms / torchts ms: >= 1.0 means torchts is at least as fast)
 * and writes bench/results/resnet-cpu.json with the machine's description.
 *
 * Training steps allocate and free ~2 GB (ResNet-50, batch 16) in buffers larger than glibc's
 * mmap threshold, so every step of PyTorch's page-faults that memory in again (~0.5 million
 * faults; torchts keeps those blocks, native/cpu_allocator.cc); on a
 * VM that reports freed pages to its host each fault is dear, and how many a process takes
 * depends on its heap's history, which differs from process to process by +-20%. That, not
 * either framework, is most of the run-to-run spread of the training rows: see the page
 * faults printed per case. --malloc-tuned reruns the whole benchmark, both sides, with
 * GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=17179869184 (no mmap
 * for large blocks, no trimming: freed memory is reused), which removes most faults (and
 * ~25% of a training step, on both sides); it writes bench/results/resnet-cpu-malloc-tuned.json.
 *
 * Python is $TORCHTS_PYTHON or python3; <repo>/.deps/python goes on PYTHONPATH where it exists.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

import { nn, optim, torch, vision } from '../lib/index';
import { nativeInfo } from '../lib/native';
import type { Tensor } from '../lib/torch/tensor';

const root = path.resolve(__dirname, '..', '..');
const MALLOC_TUNED = 'glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=17179869184';

type Arch = 'resnet18' | 'resnet50';
// name: [model, mode, batch, warm-up, rounds, measured iterations per side per round]
const CASES: Record<string, [Arch, 'infer' | 'train', number, number, number, number]> = {
  'resnet18-infer': ['resnet18', 'infer', 1, 5, 6, 5],
  'resnet50-infer': ['resnet50', 'infer', 1, 5, 4, 5],
  'resnet18-train': ['resnet18', 'train', 16, 1, 3, 2],
  'resnet50-train': ['resnet50', 'train', 16, 1, 2, 2],
};

interface CaseResult {
  median_ms: number;
  min_ms: number;
  max_ms: number;
  times_ms: number[];
  warmup: number;
  iters: number;
  batch: number;
  /** Process CPU time of each measured iteration (all threads), ms. */
  cpu_ms: number[];
  median_cpu_ms: number;
  /** Minor page faults of each measured iteration. */
  faults: number[];
  /** The unmeasured first iteration of each turn. */
  rewarm_ms?: number[];
  /** torchts only: torch.memory().liveTensors after each measured iteration. */
  live_tensors?: number[];
}

/** What bench/resnet.py --serve says about its side first. */
interface PythonSide {
  torch: string;
  libtorch_dir: string;
  python: string;
  threads: number;
  mkldnn: boolean;
  parallel_backend: string;
  resnet_source: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function summary(times: number[], cpu: number[], faults: number[], warmup: number, batch: number): CaseResult {
  return {
    median_ms: median(times),
    min_ms: Math.min(...times),
    max_ms: Math.max(...times),
    times_ms: times,
    cpu_ms: cpu,
    median_cpu_ms: median(cpu),
    faults,
    warmup,
    iters: times.length,
    batch,
  };
}

// ---- torchts side: bench/resnet.py line by line ------------------------------------------

interface Case {
  step(): void;
  dispose(): void;
}

class Infer implements Case {
  readonly images: Tensor;
  constructor(
    readonly model: vision.models.ResNet,
    batch: number,
  ) {
    model.eval(); //                                                model.eval()
    this.images = torch.randn([batch, 3, 224, 224]); //             torch.randn(batch, 3, 224, 224)
  }

  step(): void {
    torch.noGrad(
      () =>
        //                                           with torch.no_grad():
        torch.tidy(() => {
          this.model.forward(this.images); //                         outputs = self.model(self.images)
        }), //                                                        del outputs
    );
  }

  dispose(): void {
    this.images.dispose();
    this.model.dispose();
  }
}

class Train implements Case {
  readonly criterion: nn.CrossEntropyLoss;
  readonly optimizer: optim.SGD;
  readonly images: Tensor;
  readonly labels: Tensor;
  constructor(
    readonly model: vision.models.ResNet,
    batch: number,
  ) {
    model.train(); //                                               model.train()
    this.criterion = new nn.CrossEntropyLoss(); //                  nn.CrossEntropyLoss()
    this.optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 }); // optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    this.images = torch.randn([batch, 3, 224, 224]); //             torch.randn(batch, 3, 224, 224)
    this.labels = torch.randint(0, 1000, [batch]); //               torch.randint(0, 1000, (batch,))
  }

  step(): void {
    torch.tidy(() => {
      this.optimizer.zeroGrad(); //                                 self.optimizer.zero_grad()
      const outputs = this.model.forward(this.images); //           outputs = self.model(self.images)
      const loss = this.criterion.forward(outputs, this.labels); // loss = self.criterion(outputs, self.labels)
      loss.backward(); //                                           loss.backward()
      this.optimizer.step(); //                                     self.optimizer.step()
    }); //                                                          del outputs, loss
  }

  dispose(): void {
    this.optimizer.zeroGrad();
    for (const s of this.optimizer.state.values())
      for (const v of Object.values(s)) if (v instanceof torch.Tensor) v.dispose();
    this.images.dispose();
    this.labels.dispose();
    this.model.dispose();
  }
}

function makeCase(name: string): Case {
  const [arch, mode, batch] = CASES[name];
  torch.manualSeed(0); //                                           torch.manual_seed(0)
  const model = vision.models[arch](); //                           model = getattr(resnet, arch)()
  return mode === 'infer' ? new Infer(model, batch) : new Train(model, batch);
}

/** Wall-clock ms of n steps; with `m`, also each step's process CPU ms, minor page faults and liveTensors after it. */
function timed(c: Case, n: number, m?: { cpu: number[]; faults: number[]; live: number[] }): number[] {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const f0 = process.resourceUsage().minorPageFault;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    c.step();
    times.push(performance.now() - t0);
    if (m) {
      const dc = process.cpuUsage(c0);
      m.cpu.push((dc.user + dc.system) / 1e3);
      m.faults.push(process.resourceUsage().minorPageFault - f0);
      m.live.push(torch.memory().liveTensors);
    }
  }
  return times;
}

// ---- Python side: bench/resnet.py --serve in a child process ------------------------------

class PythonWorker {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: { resolve(line: string): void; reject(e: Error): void }[] = [];
  private exited: Error | null = null;

  constructor(threads: number) {
    const deps = path.join(root, '.deps', 'python');
    const dirs = [fs.existsSync(deps) ? deps : '', process.env.PYTHONPATH ?? ''].filter(Boolean);
    const exe = process.env.TORCHTS_PYTHON || 'python3';
    this.child = spawn(exe, [path.join(root, 'bench', 'resnet.py'), '--threads', String(threads), '--serve'], {
      env: { ...process.env, PYTHONPATH: dirs.join(path.delimiter), PYTHONUNBUFFERED: '1' },
    });
    this.child.stderr.pipe(process.stderr);
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.resolve(line));
    const fail = (e: Error): void => {
      this.exited = e;
      for (const w of this.waiting.splice(0)) w.reject(e);
    };
    this.child.on('error', (e) => fail(new Error(`could not run ${exe}: ${e.message}`)));
    this.child.on('exit', (code, signal) =>
      fail(new Error(`${exe} bench/resnet.py --serve exited with ${code ?? signal}`)),
    );
  }

  private next<T>(): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise<string>((resolve, reject) => this.waiting.push({ resolve, reject })).then(
      (l) => JSON.parse(l) as T,
    );
  }

  /** The side's description, which the worker prints first. */
  hello(): Promise<PythonSide> {
    return this.next<PythonSide>();
  }

  request<T>(req: Record<string, unknown>): Promise<T> {
    const reply = this.next<T>();
    this.child.stdin.write(`${JSON.stringify(req)}\n`);
    return reply;
  }

  /** n timed steps of a case: wall ms, CPU ms and minor page faults per step. */
  times(name: string, n: number): Promise<{ times_ms: number[]; cpu_ms: number[]; faults: number[] }> {
    return this.request({ case: name, n });
  }

  close(): void {
    this.child.stdin.end();
  }
}

/** torchts's state dict layout must be torchvision's: same keys in the same order, same shapes. */
function checkLayout(layout: Record<Arch, [string, number[]][]>): Record<Arch, number> {
  const entries = {} as Record<Arch, number>;
  for (const arch of ['resnet18', 'resnet50'] as const) {
    const model = vision.models[arch]();
    const sd = model.stateDict();
    const ours = Object.entries(sd).map(([k, t]) => [k, [...t.shape]] as [string, number[]]);
    for (const t of Object.values(sd)) t.dispose();
    model.dispose();
    const theirs = layout[arch];
    if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
      const have = new Set(ours.map(([k]) => k));
      const want = new Set(theirs.map(([k]) => k));
      const missing = [...want].filter((k) => !have.has(k));
      const extra = [...have].filter((k) => !want.has(k));
      throw new Error(
        `${arch}: stateDict differs from torchvision's (missing: ${missing.join(', ') || '-'}; extra: ${extra.join(', ') || '-'}; otherwise order or shapes)`,
      );
    }
    console.log(`${arch}: stateDict keys and shapes equal torchvision's (${ours.length} entries)`);
    entries[arch] = ours.length;
  }
  return entries;
}

// ---- the run ---------------------------------------------------------------------------

function args(): {
  cases: string[];
  warmup?: number;
  rounds?: number;
  block?: number;
  torchtsFirst: boolean;
  python: boolean;
  torchts: boolean;
} {
  const argv = process.argv.slice(2);
  const cases: string[] = [];
  let warmup: number | undefined;
  let rounds: number | undefined;
  let torchtsFirst = false;
  let block: number | undefined;
  let py = true;
  let ts = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0)
        throw new RangeError(`Expected an integer >= 0 for ${a} but received ${argv[i]}`);
      return v;
    };
    if (a === '--case') {
      const c = argv[++i];
      if (!(c in CASES))
        throw new RangeError(`Expected one of ${Object.keys(CASES).join(', ')} for --case but received ${c}`);
      cases.push(c);
    } else if (a === '--warmup') warmup = num();
    else if (a === '--rounds') rounds = Math.max(1, num());
    else if (a === '--block') block = Math.max(1, num());
    else if (a === '--torchts-first') torchtsFirst = true;
    else if (a === '--malloc-tuned')
      continue; // handled in main()
    else if (a === '--no-python') py = false;
    else if (a === '--python-only') ts = false;
    else throw new RangeError(`Unknown argument ${a}`);
  }
  return {
    cases: cases.length ? cases : Object.keys(CASES),
    warmup,
    rounds,
    block,
    torchtsFirst,
    python: py,
    torchts: ts,
  };
}

function machine(py: PythonSide | null, loadStart: number[]): Record<string, unknown> {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  return {
    cpu: cpuModel,
    cores: os.cpus().length,
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    libtorch: torch.version,
    libtorch_dir: nativeInfo.libtorchDir ?? null,
    threads: torch.getNumThreads(),
    python: py?.python ?? null,
    python_torch: py?.torch ?? null,
    python_libtorch_dir: py?.libtorch_dir ?? null,
    python_threads: py?.threads ?? null,
    python_parallel_backend: py?.parallel_backend ?? null,
    resnet_source: py?.resnet_source ?? null,
    glibc_tunables: process.env.GLIBC_TUNABLES ?? null,
    loadavg_at_start: loadStart,
    date: new Date().toISOString(),
  };
}

interface Row {
  case: string;
  torchts: CaseResult | null;
  pytorch: CaseResult | null;
  /** PyTorch median / torchts median. */
  ratio: number | null;
  /** Per round, PyTorch's median / torchts's median over their adjacent turns. */
  round_ratios: number[] | null;
  /** Median of round_ratios: immune to the machine drifting over the run. */
  ratio_paired: number | null;
  /** PyTorch min / torchts min. */
  ratio_min: number | null;
  /** PyTorch median CPU time / torchts median CPU time. */
  ratio_cpu: number | null;
}

/** Measured iterations of one side, per round. */
class Samples {
  readonly rounds: number[][] = [];
  readonly cpu: number[] = [];
  readonly faults: number[] = [];
  readonly live: number[] = [];
  readonly rewarm: number[] = [];
  get times(): number[] {
    return this.rounds.flat();
  }
}

/**
 * One case: both sides warm up, then take turns (see the top of this file): each turn is a
 * re-warm iteration, not measured, and `block` measured ones.
 */
async function runCase(
  name: string,
  py: PythonWorker | null,
  runTorchts: boolean,
  o: { warmup?: number; rounds?: number; block?: number; torchtsFirst?: boolean },
): Promise<Row> {
  const [, , batch, w, r, b] = CASES[name];
  const warmup = o.warmup ?? w;
  const rounds = o.rounds ?? r;
  const block = o.block ?? b;
  const before = torch.memory().liveTensors;
  const c = runTorchts ? makeCase(name) : null;
  const P = new Samples();
  const T = new Samples();
  const pyTurn = async (): Promise<void> => {
    const t = await py!.times(name, 1 + block);
    P.rewarm.push(t.times_ms[0]);
    P.rounds.push(t.times_ms.slice(1));
    P.cpu.push(...t.cpu_ms.slice(1));
    P.faults.push(...t.faults.slice(1));
  };
  const tsTurn = (): void => {
    T.rewarm.push(...timed(c!, 1));
    T.rounds.push(timed(c!, block, T));
  };
  if (py) await py.times(name, warmup);
  if (c) timed(c, warmup);
  for (let i = 0; i < rounds; i++) {
    const pyFirst = (i % 2 === 0) !== (o.torchtsFirst ?? false);
    if (py && pyFirst) await pyTurn();
    if (c) tsTurn();
    if (py && !pyFirst) await pyTurn();
  }
  if (py) await py.request({ drop: true });
  if (c) {
    c.dispose();
    const after = torch.memory().liveTensors;
    if (new Set(T.live).size !== 1 || after !== before) {
      throw new Error(
        `${name}: live tensors not stable: ${before} before, ${T.live.join(', ')} after each step, ${after} at the end`,
      );
    }
  }
  const ts = c
    ? { ...summary(T.times, T.cpu, T.faults, warmup, batch), rewarm_ms: T.rewarm, live_tensors: T.live }
    : null;
  const pt = py ? { ...summary(P.times, P.cpu, P.faults, warmup, batch), rewarm_ms: P.rewarm } : null;
  const roundRatios = ts && pt ? P.rounds.map((p, i) => median(p) / median(T.rounds[i])) : null;
  return {
    case: name,
    torchts: ts,
    pytorch: pt,
    ratio: ts && pt ? pt.median_ms / ts.median_ms : null,
    round_ratios: roundRatios,
    ratio_paired: roundRatios ? median(roundRatios) : null,
    ratio_min: ts && pt ? pt.min_ms / ts.min_ms : null,
    ratio_cpu: ts && pt ? pt.median_cpu_ms / ts.median_cpu_ms : null,
  };
}

async function main(): Promise<void> {
  const a = args();
  if (process.argv.includes('--malloc-tuned') && process.env.GLIBC_TUNABLES !== MALLOC_TUNED) {
    // glibc reads its tunables at process start: run again with them set (the Python child inherits them).
    const argv = process.argv.slice(1).filter((x) => x !== '--malloc-tuned');
    const r = spawnSync(process.execPath, [...process.execArgv, ...argv], {
      stdio: 'inherit',
      env: { ...process.env, GLIBC_TUNABLES: MALLOC_TUNED },
    });
    process.exit(r.status ?? 1);
  }
  const started = performance.now();
  const loadStart = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const load = loadStart[0];
  if (load > os.cpus().length * 0.5) {
    console.warn(
      `warning: load average ${load.toFixed(2)} on ${os.cpus().length} cores: other work on the machine makes both sides noisy`,
    );
  }
  const py = a.python ? new PythonWorker(torch.getNumThreads()) : null;
  let side: PythonSide | null = null;
  let layoutChecked: Record<Arch, number> | null = null;
  try {
    if (py) {
      side = await py.hello();
      layoutChecked = checkLayout(
        (await py.request<{ layout: Record<Arch, [string, number[]][]> }>({ layout: true })).layout,
      );
      const ours = nativeInfo.libtorchDir ? fs.realpathSync(nativeInfo.libtorchDir) : null;
      const theirs = fs.realpathSync(side.libtorch_dir);
      if (ours && theirs !== ours && path.dirname(theirs) !== ours) {
        console.warn(`warning: torchts runs the libtorch in ${ours}, Python the one in ${theirs}`);
      }
      if (side.threads !== torch.getNumThreads())
        console.warn(`warning: Python runs ${side.threads} threads, torchts ${torch.getNumThreads()}`);
    }
    const rows: Row[] = [];
    const f = (r: CaseResult | null): string =>
      r ? `${r.median_ms.toFixed(1)} ms (${r.min_ms.toFixed(1)}-${r.max_ms.toFixed(1)})` : '-';
    for (const name of a.cases) {
      const row = await runCase(name, py, a.torchts, a);
      rows.push(row);
      const faults = (r: CaseResult | null): string => (r ? `, ${median(r.faults)} page faults/iteration` : '');
      console.log(
        `${name}: torchts ${f(row.torchts)}${faults(row.torchts)}; PyTorch ${f(row.pytorch)}${faults(row.pytorch)}`,
      );
      if (row.round_ratios) console.log(`  ratio per round: ${row.round_ratios.map((x) => x.toFixed(3)).join(', ')}`);
    }

    const m = machine(side, loadStart);
    console.log(
      `\n${m.cpu}, ${m.cores} cores, ${m.threads} threads, ${m.memory_gib} GiB; node ${m.node}, libtorch ${m.libtorch}; Python ${m.python ?? '-'}, torch ${m.python_torch ?? '-'}`,
    );
    const header = [
      'case',
      'torchts ms',
      'PyTorch ms',
      'ratio',
      'paired ratio',
      'ratio of minima',
      'ratio of CPU time',
    ];
    const fx = (x: number | null, d: number): string => (x === null ? '-' : x.toFixed(d));
    const table = rows.map((r) => [
      r.case,
      fx(r.torchts?.median_ms ?? null, 1),
      fx(r.pytorch?.median_ms ?? null, 1),
      fx(r.ratio, 3),
      fx(r.ratio_paired, 3),
      fx(r.ratio_min, 3),
      fx(r.ratio_cpu, 3),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
    const line = (cells: string[]): string =>
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    console.log(line(header));
    for (const row of table) console.log(line(row));
    console.log(
      'ratio = PyTorch ms / torchts ms (medians of wall-clock time, the sides taking turns); >= 1.0 means torchts is at least as fast.',
    );
    console.log(
      'paired ratio: the median over rounds of PyTorch/torchts within a round (adjacent turns), which the machine drifting over the run does not bias;',
    );
    console.log(
      'ratio of minima: fastest iterations; ratio of CPU time: median process CPU time per iteration, all threads.',
    );

    const result = {
      benchmark: 'resnet',
      description:
        'ResNet-18/50 at 224x224: inference batch 1 (eval, no_grad) and SGD training step batch 16 (lr 0.1, momentum 0.9, weight decay 1e-4), torchts vs PyTorch running torchvision resnet.py on the same libtorch, the two processes taking turns (one unmeasured re-warm iteration per turn); ms',
      machine: {
        ...m,
        loadavg_at_end: os.loadavg().map((x) => Math.round(x * 100) / 100),
        total_s: Math.round((performance.now() - started) / 100) / 10,
      },
      state_dict_equal_to_torchvision: layoutChecked,
      cases: Object.fromEntries(rows.map(({ case: name, ...r }) => [name, r])),
    };
    const outDir = path.join(root, 'bench', 'results');
    fs.mkdirSync(outDir, { recursive: true });
    const file = path.join(
      outDir,
      process.env.GLIBC_TUNABLES === MALLOC_TUNED ? 'resnet-cpu-malloc-tuned.json' : 'resnet-cpu.json',
    );
    fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${path.relative(process.cwd(), file)} (${result.machine.total_s} s)`);
  } finally {
    py?.close();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
