/**
 * `torchts serve` under HTTP load on loopback (autocannon), bounded in time: requests/s and
 * p50/p99 latency of a TorchScript ResNet-18 (torchvision's, scripted by PyTorch; ImageNet
 * preprocessing of a 500x375 JPEG, 224x224 crop), with dynamic batching on (--max-batch 8)
 * and off (--max-batch 1) under 16 concurrent connections, against one request at a time
 * (1 connection), and against the same model run in-process one image at a time without HTTP
 * (forward only, the upper bound of "one at a time").
 *
 *     npm run bench:serve -- [--seconds 10] [--connections 16] [--model resnet18]
 *
 * The server runs in its own process (the CLI); autocannon runs in this one. Writes
 * bench/results/serve-<host>.json with the machine's description.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import autocannon from 'autocannon';
import sharp from 'sharp';

import { serve, torch, vision } from '../lib/index';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli', 'main.js');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function machine(): Record<string, unknown> {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch {
    // not Linux
  }
  return {
    host: os.hostname(),
    cpu,
    cores: os.cpus().length,
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    libtorch: torch.version,
    omp_num_threads: process.env.OMP_NUM_THREADS ?? null,
    loadavg_at_start: os.loadavg(),
    date: new Date().toISOString(),
  };
}

/** A photo-like 500x375 JPEG (smooth waves plus noise). */
async function photo(): Promise<Buffer> {
  const [w, h] = [500, 375];
  const px = Buffer.alloc(w * h * 3);
  let seed = 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const v = 128 + 90 * Math.sin((x / w) * (5 + 3 * c) + (y / h) * (7 - 2 * c)) + ((seed % 25) - 12);
        px[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return sharp(px, { raw: { width: w, height: h, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

async function startServer(model: string, extra: string[]): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [cli, 'serve', '--torchscript', model, '--port', '0', ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

interface Run {
  config: string;
  connections: number;
  requests_per_s: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number };
  ok: number;
  errors: number;
  non_2xx: number;
  mean_batch?: number;
}

async function load(url: string, body: Buffer, connections: number, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/predict`,
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body,
    connections,
    duration: seconds,
  });
}

async function meanBatch(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = Number(/^torchts_batch_size_sum (\S+)$/m.exec(text)?.[1]);
  const count = Number(/^torchts_batch_size_count (\S+)$/m.exec(text)?.[1]);
  return count > 0 ? sum / count : 0;
}

async function main(): Promise<void> {
  const seconds = Number(arg('seconds', '10'));
  const connections = Number(arg('connections', '16'));
  const name = arg('model', 'resnet18');
  const m = machine();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-bench-serve-'));
  const model = path.join(dir, `${name}.pt`);
  execFileSync(
    process.execPath,
    [path.join(root, 'scripts', 'python.mjs'), 'scripts/reference/script_model.py', name, '1000', model],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  const body = await photo();
  const runs: Run[] = [];
  const configs: [string, string[], number][] = [
    ['batching on (--max-batch 8 --max-delay-ms 10)', ['--max-batch', '8', '--max-delay-ms', '10'], connections],
    ['batching off (--max-batch 1)', ['--max-batch', '1'], connections],
    ['one request at a time (1 connection, --max-batch 1)', ['--max-batch', '1'], 1],
  ];
  for (const [config, flags, conns] of configs) {
    const server = await startServer(model, [...flags, '--max-queue', '256']);
    try {
      await load(server.url, body, conns, Math.min(2, seconds)); // warm-up
      const r = await load(server.url, body, conns, seconds);
      const run: Run = {
        config,
        connections: conns,
        requests_per_s: Math.round(r.requests.average * 10) / 10,
        latency_ms: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
        ok: r['2xx'],
        errors: r.errors,
        non_2xx: r.non2xx,
        mean_batch: Math.round((await meanBatch(server.url)) * 100) / 100,
      };
      runs.push(run);
      console.log(JSON.stringify(run));
    } finally {
      await server.stop();
    }
  }
  // The same model in this process, one image at a time, no HTTP: forward only.
  const direct = serve.loadServedModel({ torchscript: model });
  const x = direct.preprocess(await vision.io.decodeImage(body, { mode: 'RGB' })).unsqueeze(0);
  const times: number[] = [];
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until || times.length < 3) {
    const t0 = performance.now();
    (await direct.forwardBatch(x)).dispose();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const directRun = {
    config: 'in-process forward, one image at a time (no HTTP, no decode)',
    images_per_s: Math.round((times.length / (times.reduce((a, b) => a + b, 0) / 1000)) * 10) / 10,
    latency_ms: { p50: times[Math.floor(times.length / 2)], p99: times[Math.floor(times.length * 0.99)] },
  };
  console.log(JSON.stringify(directRun));
  const on = runs[0].requests_per_s;
  const result = {
    machine: m,
    model: `${name} (TorchScript, torchvision's definition, random weights), 1000 classes, 224x224 crop of a 500x375 JPEG`,
    seconds_per_run: seconds,
    runs,
    direct: directRun,
    ratios: {
      batching_on_vs_off: Math.round((on / runs[1].requests_per_s) * 100) / 100,
      batching_on_vs_one_at_a_time: Math.round((on / runs[2].requests_per_s) * 100) / 100,
      batching_on_vs_direct_forward: Math.round((on / directRun.images_per_s) * 100) / 100,
    },
  };
  const out = path.join(root, 'bench', 'results', `serve-${os.hostname()}.json`);
  fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${out}`);
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
