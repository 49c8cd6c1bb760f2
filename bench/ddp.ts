/**
 * Data-parallel training throughput on this machine: CIFAR ResNet-20 on synthetic 32x32
 * images, one process against 2 (or --nproc N) processes with DistributedDataParallel over
 * Gloo on loopback, at the same global batch (so both do the same arithmetic per step).
 *
 *     npm run bench:ddp -- [--nproc 2] [--batch 128] [--steps 20] [--warmup 3]
 *
 * The single process gets every core as intra-op threads; each of the N workers gets
 * cores/N (as torchrun's OMP_NUM_THREADS); a 1-process, 1-thread run separates the cost
 * of intra-op threading from the gain of data parallelism. Prints images/s and ratios, and
 * writes bench/results/ddp-cpu.json with the machine's description.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import { freePort } from '../lib/cli/launch';
import type { Tensor } from '../lib/torch/tensor';

const { values: v } = parseArgs({
  options: {
    nproc: { type: 'string', default: '2' },
    batch: { type: 'string', default: '128' },
    steps: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
  },
});
const nproc = Number(v.nproc);
const globalBatch = Number(v.batch);
const steps = Number(v.steps);
const warmup = Number(v.warmup);
const root = path.resolve(__dirname, '..', '..');

/** One worker: trains `steps` steps after `warmup` and (rank 0) prints the timing. */
async function worker(): Promise<void> {
  const { distributed, nn, optim, torch, vision } = await import('../lib/index');
  const world = Number(process.env.WORLD_SIZE ?? 1);
  if (world > 1) distributed.initProcessGroup({ backend: 'gloo' });
  const rank = world > 1 ? distributed.getRank() : 0;
  const batch = globalBatch / world;
  torch.manualSeed(0);
  const model = vision.models.resnet20({ numClasses: 10 });
  const net = world > 1 ? new nn.parallel.DistributedDataParallel(model) : model;
  const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const crit = new nn.CrossEntropyLoss();
  torch.manualSeed(1 + rank);
  const x = torch.keep(torch.randn([batch, 3, 32, 32]));
  const y = torch.keep(torch.randint(0, 10, [batch]));
  const step = (): void =>
    torch.tidy(() => {
      opt.zeroGrad();
      crit.forward(net.forward(x) as Tensor, y).backward();
      opt.step();
    });
  for (let i = 0; i < warmup; i++) step();
  if (world > 1) distributed.barrier();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) step();
  if (world > 1) distributed.barrier();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (rank === 0)
    console.log(
      `RESULT ${JSON.stringify({ world, secs, imgPerSec: (steps * globalBatch) / secs, threads: torch.getNumThreads() })}`,
    );
  if (world > 1) distributed.destroyProcessGroup();
}

/** Runs `n` workers of this script and returns rank 0's result. */
async function run(n: number, threadsPerProcess?: number): Promise<{ world: number; secs: number; imgPerSec: number }> {
  const port = await freePort();
  const threads = String(threadsPerProcess ?? Math.max(1, Math.floor(os.availableParallelism() / n)));
  const outs = await Promise.all(
    Array.from({ length: n }, (_, rank) => {
      const env = {
        ...process.env,
        BENCH_WORKER: '1',
        OMP_NUM_THREADS: threads,
        RANK: String(rank),
        LOCAL_RANK: String(rank),
        WORLD_SIZE: String(n),
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: String(port),
      };
      const child = spawn(process.execPath, [__filename, ...process.argv.slice(2)], {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      return new Promise<string>((resolve, reject) =>
        child.on('close', (code) =>
          code === 0 ? resolve(out) : reject(new Error(`worker ${rank} exited with ${code}`)),
        ),
      );
    }),
  );
  const line = outs[0].split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no result from rank 0:\n${outs[0]}`);
  return JSON.parse(line.slice(7));
}

async function main(): Promise<void> {
  if (process.env.BENCH_WORKER) return worker();
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `machine: ${cpu}, ${os.availableParallelism()} cores, node ${process.version}, load average ${os.loadavg()[0].toFixed(2)}`,
  );
  console.log(`CIFAR ResNet-20, synthetic 32x32, global batch ${globalBatch}, ${steps} steps after ${warmup} warm-up`);
  const single = await run(1);
  console.log(`1 process  (${os.availableParallelism()} threads): ${single.imgPerSec.toFixed(1)} img/s`);
  // Intra-op threading on this machine can cost more than it gains: the 1-thread figure
  // tells that apart from what data parallelism brings.
  const single1 = await run(1, 1);
  console.log(`1 process  (1 thread):  ${single1.imgPerSec.toFixed(1)} img/s`);
  const multi = await run(nproc);
  console.log(
    `${nproc} processes (DDP, Gloo, ${Math.max(1, Math.floor(os.availableParallelism() / nproc))} thread(s) each): ${multi.imgPerSec.toFixed(1)} img/s`,
  );
  console.log(
    `ratio ${nproc}-process / 1-process: ${(multi.imgPerSec / single.imgPerSec).toFixed(2)} (against 1 thread: ${(multi.imgPerSec / single1.imgPerSec).toFixed(2)})`,
  );
  const file = path.join(root, 'bench', 'results', 'ddp-cpu.json');
  fs.writeFileSync(
    file,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cpu, cores: os.availableParallelism(), node: process.version, loadAverageAtEnd: os.loadavg()[0] },
        model: 'resnet20 (CIFAR)',
        globalBatch,
        steps,
        single: { processes: 1, threads: os.availableParallelism(), imgPerSec: single.imgPerSec },
        singleOneThread: { processes: 1, threads: 1, imgPerSec: single1.imgPerSec },
        ddp: { processes: nproc, backend: 'gloo', imgPerSec: multi.imgPerSec },
        ratio: multi.imgPerSec / single.imgPerSec,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote ${path.relative(root, file)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
