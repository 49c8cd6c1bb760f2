/**
 * Inference latency and throughput: torchts eager, torchts optimised
 * (`torch.jit.optimizeForInference`: its oneDNN fusion with Winograd 3x3 convolutions; with
 * `{ winograd: false }` oneDNN's direct convolutions only; with `{ oneDNN: false }` libtorch's
 * own optimize_for_inference passes), torchts running an AOTInductor package that Python
 * compiled (`torch._inductor.aotiLoadPackage`), onnxruntime-node, and PyTorch (eager,
 * `torch.jit.freeze` + `optimize_for_inference`, `torch.compile` with Inductor freezing), for
 * torchvision's ResNet-18, ResNet-50 and MobileNetV2 at 224x224, batch 1 and 16, on 1 and 2
 * threads, all with the same weights.
 *
 *     npm run bench:inference -- [--quick] [--no-python] [--no-compile] [--no-aoti] [--case mobilenet_v2:1:2 ...]
 *
 * The AOTInductor packages (one per case: Inductor specialises its C++ kernels to the shapes
 * and the thread count, as torch.compile does) take a minute or more each to compile;
 * --no-aoti skips them.
 *
 * onnxruntime-node is not a dependency: install it where this program can find it, with its
 * install script off (it downloads CUDA parts and fails offline), e.g.
 * `npm install --no-save --ignore-scripts onnxruntime-node` in some folder and
 * ORT_NODE_DIR=<that folder>/node_modules/onnxruntime-node. The ONNX files are exported by
 * bench/inference.py with the wheel's torch.onnx (needs the `onnx` package on PYTHONPATH).
 *
 * Timing: every engine warms up, then the engines of one case take turns in blocks of
 * iterations (never alternating single calls: onnxruntime's thread pool spins after a run
 * and slows whatever runs right after it); medians over all blocks. The torchts and
 * onnxruntime blocks interleave in this process; PyTorch's run in a child process after
 * them, in blocks among themselves. Ratios are onnxruntime's median / the engine's median
 * (>= 1.0: at least as fast as onnxruntime). Writes bench/results/inference-<host>.json.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { torch, vision } from '../lib/index';

const root = path.resolve(__dirname, '..', '..');
const ARCHS = ['resnet18', 'resnet50', 'mobilenet_v2'] as const;
type Arch = (typeof ARCHS)[number];
type Case = [Arch, number, number]; // arch, batch, threads

interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: Float32Array }>>;
}
interface Ort {
  InferenceSession: { create(path: string, o: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: string, data: Float32Array, dims: number[]) => unknown;
}

function loadOrt(): { ort: Ort; version: string } | { error: string } {
  const candidates = [process.env.ORT_NODE_DIR, 'onnxruntime-node'].filter(Boolean) as string[];
  for (const c of candidates) {
    try {
      const dir = path.dirname(require.resolve(path.join(c, 'package.json'), { paths: [root] }));
      const version = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string })
        .version;
      return { ort: require(dir) as Ort, version };
    } catch {
      // try the next
    }
  }
  return { error: 'onnxruntime-node not found (set ORT_NODE_DIR; see the top of bench/inference.ts)' };
}

function python(args: string[]): string {
  const deps = path.join(root, '.deps', 'python');
  const dirs = [fs.existsSync(deps) ? deps : '', process.env.PYTHONPATH ?? ''].filter(Boolean);
  const r = spawnSync(process.env.TORCHTS_PYTHON || 'python3', [path.join(root, 'bench', 'inference.py'), ...args], {
    env: { ...process.env, PYTHONPATH: dirs.join(path.delimiter) },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`bench/inference.py ${args[0]} failed (${r.status ?? r.error})`);
  return r.stdout.trim().split('\n').pop() ?? '';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

interface Engine {
  name: string;
  block(n: number): Promise<number[]>;
}

async function timeBlock(n: number, fn: () => unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

function parseArgs(): { quick: boolean; python: boolean; compile: boolean; aoti: boolean; cases: Case[] } {
  const argv = process.argv.slice(2);
  const o = { quick: false, python: true, compile: true, aoti: true, cases: [] as Case[] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--no-python') o.python = false;
    else if (a === '--no-compile') o.compile = false;
    else if (a === '--no-aoti') o.aoti = false;
    else if (a === '--case') {
      const [arch, b, t] = (argv[++i] ?? '').split(':');
      if (!ARCHS.includes(arch as Arch) || !(Number(b) > 0) || !(Number(t) > 0))
        throw new RangeError(`Expected <${ARCHS.join('|')}>:<batch>:<threads> for --case but received ${argv[i]}`);
      o.cases.push([arch as Arch, Number(b), Number(t)]);
    } else throw new RangeError(`Unknown argument ${a}`);
  }
  if (o.cases.length === 0)
    for (const arch of ARCHS) for (const b of [1, 16]) for (const t of [1, 2]) o.cases.push([arch, b, t]);
  return o;
}

async function main(): Promise<void> {
  const o = parseArgs();
  const loadStart = os.loadavg();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-inference-'));
  const archs = [...new Set(o.cases.map(([a]) => a))];
  const models = {} as Record<Arch, vision.models.ResNet | vision.models.MobileNetV2>;
  for (const arch of archs) {
    torch.manualSeed(0);
    models[arch] = vision.models[arch]().eval();
    torch.save(models[arch].stateDict(), path.join(dir, `${arch}.pth`));
  }
  const ortLoad = loadOrt();
  let onnx: { onnx: string | null; error?: string } = { onnx: null, error: 'not tried' };
  if ('ort' in ortLoad) onnx = JSON.parse(python(['export', dir, ...archs]));
  const ortError = 'error' in ortLoad ? ortLoad.error : onnx.onnx === null ? onnx.error : null;
  if (ortError) console.log(`onnxruntime-node: skipped (${ortError})`);

  // AOTInductor packages, compiled by the wheel's Python: <dir>/<arch>-b<batch>-t<threads>.pt2.
  let aoti: { aoti: Record<string, number> | null; error?: string } = { aoti: null, error: 'not tried (--no-aoti)' };
  if (o.aoti && o.python) {
    const specs = o.cases.map((c) => c.join(':'));
    aoti = JSON.parse(python(['aoti', dir, ...specs]));
    if (aoti.aoti === null) console.log(`AOTInductor: skipped (${aoti.error})`);
  }

  const rounds = o.quick ? 3 : 6;
  const blockOf = (batch: number): number => (batch === 1 ? (o.quick ? 5 : 10) : o.quick ? 1 : 3);
  const rows: Record<string, unknown>[] = [];
  for (const [arch, batch, threads] of o.cases) {
    torch.setNumThreads(threads);
    const model = models[arch];
    const x = torch.keep(torch.randn([batch, 3, 224, 224]));
    const fast = torch.jit.optimizeForInference(model);
    const direct = torch.jit.optimizeForInference(model, { winograd: false });
    const plain = torch.jit.optimizeForInference(model, { oneDNN: false });
    const engines: Engine[] = [
      {
        name: 'torchts_eager',
        block: (n) => timeBlock(n, () => torch.noGrad(() => torch.tidy(() => void model.forward(x)))),
      },
      {
        name: 'torchts_optimized',
        block: (n) => timeBlock(n, () => torch.noGrad(() => torch.tidy(() => void fast.forward(x)))),
      },
      {
        name: 'torchts_optimized_direct',
        block: (n) => timeBlock(n, () => torch.noGrad(() => torch.tidy(() => void direct.forward(x)))),
      },
      {
        name: 'torchts_jit_passes',
        block: (n) => timeBlock(n, () => torch.noGrad(() => torch.tidy(() => void plain.forward(x)))),
      },
    ];
    let aotiCheck: number | null = null;
    let pkg: ReturnType<typeof torch._inductor.aotiLoadPackage> | null = null;
    if (aoti.aoti !== null) {
      const p = torch._inductor.aotiLoadPackage(path.join(dir, `${arch}-b${batch}-t${threads}.pt2`));
      pkg = p;
      aotiCheck = torch.noGrad(() =>
        torch.tidy(() => (p.forward(x) as torch.Tensor).sub(model.forward(x)).abs().max().item() as number),
      );
      engines.push({
        name: 'torchts_aoti',
        block: (n) => timeBlock(n, () => torch.noGrad(() => torch.tidy(() => void p.forward(x)))),
      });
    }
    let check: number | null = null;
    if (!ortError && 'ort' in ortLoad) {
      const { ort } = ortLoad;
      const session = await ort.InferenceSession.create(path.join(dir, `${arch}.onnx`), {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      const data = x.contiguous().toTypedArray() as Float32Array;
      const feeds = { input: new ort.Tensor('float32', data, [batch, 3, 224, 224]) };
      const ref = torch.noGrad(() => torch.tidy(() => model.forward(x).toTypedArray() as Float32Array));
      const got = (await session.run(feeds)).output.data;
      check = 0;
      for (let i = 0; i < ref.length; i++) check = Math.max(check, Math.abs(ref[i] - got[i]));
      engines.push({ name: 'onnxruntime', block: (n) => timeBlock(n, () => session.run(feeds)) });
    }
    const optCheck = torch.noGrad(() =>
      torch.tidy(() => fast.forward(x).sub(model.forward(x)).abs().max().item() as number),
    );
    const times: Record<string, number[]> = {};
    for (const e of engines) {
      await e.block(2);
      times[e.name] = [];
    }
    for (let r = 0; r < rounds; r++) {
      const order = [...engines.slice(r % engines.length), ...engines.slice(0, r % engines.length)];
      for (const e of order) times[e.name].push(...(await e.block(blockOf(batch))));
    }
    fast.dispose();
    direct.dispose();
    plain.dispose();
    pkg?.dispose();
    x.dispose();
    const row: Record<string, unknown> = {
      arch,
      batch,
      threads,
      max_abs_diff_optimized_vs_eager: optCheck,
      max_abs_diff_aoti_vs_eager: aotiCheck,
      max_abs_diff_onnxruntime_vs_eager: check,
      torchts_ms: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])),
      times_ms: times,
    };
    rows.push(row);
    console.log(`${arch} batch ${batch} threads ${threads}: ${JSON.stringify(row.torchts_ms)}`);
  }

  let py: { describe: Record<string, unknown>; cases: Record<string, unknown>[] } | null = null;
  if (o.python) {
    const cases = JSON.stringify(o.cases);
    py = JSON.parse(
      python(['time', dir, cases, String(rounds), String(o.quick ? 3 : 5), ...(o.compile ? [] : ['--no-compile'])]),
    );
  }
  console.log('\nmedian ms (ratio = onnxruntime ms / engine ms; >= 1.0: as fast as onnxruntime or faster)');
  const table: Record<string, unknown>[] = [];
  rows.forEach((row, k) => {
    const ms: Record<string, number> = { ...(row.torchts_ms as Record<string, number>) };
    const p = py?.cases[k];
    if (p)
      for (const e of ['eager', 'jit', 'compile'])
        if (Array.isArray(p[e])) ms[`pytorch_${e}`] = median(p[e] as number[]);
    const ortMs = ms.onnxruntime;
    const entry: Record<string, unknown> = { case: `${row.arch} b${row.batch} t${row.threads}` };
    for (const [k2, v] of Object.entries(ms)) {
      entry[k2] = Number(v.toFixed(2));
      if (ortMs !== undefined && k2 !== 'onnxruntime') entry[`${k2}_ratio`] = Number((ortMs / v).toFixed(3));
    }
    row.median_ms = ms;
    if (p) row.pytorch_times_ms = p;
    table.push(entry);
  });
  console.table(table);

  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1].trim() ?? cpuModel;
  } catch {
    // not Linux
  }
  const out = {
    machine: {
      host: os.hostname(),
      cpu: cpuModel,
      cores: os.cpus().length,
      memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      libtorch: torch.version,
      onnxruntime_node: 'version' in ortLoad ? ortLoad.version : null,
      onnx: onnx.onnx,
      aoti_compile_seconds: aoti.aoti,
      python: py?.describe ?? null,
      loadavg_at_start: loadStart,
      loadavg_at_end: os.loadavg(),
      quick: o.quick,
      date: new Date().toISOString(),
    },
    summary: table,
    cases: rows,
  };
  const file = path.join(root, 'bench', 'results', `inference-${os.hostname()}.json`);
  fs.writeFileSync(file, `${JSON.stringify(out, null, 1)}\n`);
  console.log(`wrote ${path.relative(root, file)}`);
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
