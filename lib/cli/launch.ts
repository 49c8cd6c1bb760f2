/**
 * `torchts train --nproc N`: runs N local worker processes (this CLI again) with the
 * environment torchrun would give them — RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR,
 * MASTER_PORT — and waits for them. When one fails, the others are stopped and the
 * launcher exits non-zero.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as os from 'node:os';

/** A TCP port that was free a moment ago on 127.0.0.1 (for rank 0's TCPStore). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Forks `nproc` copies of `script` with `args`, one per rank, and resolves with 0 when all
 * exit cleanly, or 1 as soon as one fails (after stopping the rest).
 */
export async function launch(script: string, args: string[], nproc: number): Promise<number> {
  const port = await freePort();
  // As torchrun: without OMP_NUM_THREADS each worker would start one intra-op thread per
  // core and N workers would fight over them; give each its share of the cores.
  const threads = process.env.OMP_NUM_THREADS ?? String(Math.max(1, Math.floor(os.availableParallelism() / nproc)));
  const children: ChildProcess[] = [];
  return new Promise<number>((resolve) => {
    let running = nproc;
    let failed = false;
    const stopAll = (): void => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    };
    for (let rank = 0; rank < nproc; rank++) {
      const env = {
        ...process.env,
        RANK: String(rank),
        LOCAL_RANK: String(rank),
        WORLD_SIZE: String(nproc),
        LOCAL_WORLD_SIZE: String(nproc),
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: String(port),
        OMP_NUM_THREADS: threads,
      };
      const child = fork(script, args, { env, stdio: 'inherit' });
      children.push(child);
      child.on('exit', (code, signal) => {
        running--;
        if ((code !== 0 || signal !== null) && !failed) {
          failed = true;
          console.error(
            `torchts: worker ${rank} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}; stopping the other workers`,
          );
          stopAll();
        }
        if (running === 0) resolve(failed ? 1 : 0);
      });
    }
    // The launcher going away takes its workers with it.
    for (const sig of ['SIGINT', 'SIGTERM'] as const)
      process.once(sig, () => {
        stopAll();
        process.exit(130);
      });
  });
}
