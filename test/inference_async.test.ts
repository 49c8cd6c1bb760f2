// ScriptModule.forwardAsync (torch.jit.load / optimizeForInference): the whole forward on torchts's inference thread. The event
// loop stays free (a 10 ms timer keeps its schedule), results equal the synchronous forward's,
// an AbortSignal cancels queued work, and concurrent calls on one model are safe.
//
// The models are torchvision's own (Debian's torchvision model code on the .deps PyTorch),
// scripted by Python (scripts/reference/script_model.py).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { serve, torch, vision } from '../lib/index';
import { expectClose } from './compare';
import { runReference, tempDir } from './parity/fixtures';

const dir = tempDir('async');
const resnet50 = path.join(dir, 'resnet50.pt');
const resnet18 = path.join(dir, 'resnet18.pt');

beforeAll(() => {
  runReference('script_model.py', ['resnet50', '1000', resnet50]);
  runReference('script_model.py', ['resnet18', '10', resnet18]);
}, 240_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Lags of a 10 ms interval timer (ms past each due time) while `work` runs. */
async function timerLags(work: () => Promise<unknown>): Promise<number[]> {
  const lags: number[] = [];
  let due = performance.now() + 10;
  const timer = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - due));
    due = now + 10;
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return lags;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

describe('forwardAsync', () => {
  it('ResNet-50: the event loop stays free (10 ms timer p99 lag <= 5 ms); result equals forward()', async () => {
    const model = torch.jit.load(resnet50);
    torch.manualSeed(0);
    const x = torch.randn([1, 3, 224, 224]);
    const sync = torch.noGrad(() => model.forward(x)) as torch.Tensor;
    // The same forward on the JS thread blocks the timer for its whole length: the measure works.
    const blocked = await timerLags(async () => {
      await new Promise((r) => setTimeout(r, 15));
      (torch.noGrad(() => model.forward(x)) as torch.Tensor).dispose();
      await new Promise((r) => setTimeout(r, 15));
    });
    const forwardMs = Math.max(...blocked);
    expect(forwardMs).toBeGreaterThan(20);
    // Timer lag on a shared machine is one-sided noise (another process, a GC pause, a test file
    // running alongside): a forward that blocked the event loop would delay a tick by its whole
    // length in every attempt, so the best of three attempts is judged.
    let out: torch.Tensor | undefined;
    let verdict = { ok: false, detail: '', oversubscribed: false };
    for (let attempt = 0; attempt < 3 && !verdict.ok; attempt++) {
      out?.dispose();
      const t0 = performance.now();
      const lags = await timerLags(async () => {
        // Two forwards back to back, so that the timer fires often enough to measure a p99.
        ((await torch.noGrad(() => model.forwardAsync(x))) as torch.Tensor).dispose();
        out = (await torch.noGrad(() => model.forwardAsync(x))) as torch.Tensor;
      });
      const asyncMs = performance.now() - t0;
      // The control: the same timer while another process spins one core for as long. On a
      // machine with a free core this costs nothing and the bar is the 5 ms; on one shared with
      // other work the OS does not run the event loop on time either, whoever computes.
      const spinner = spawn(process.execPath, [
        '-e',
        `const end = Date.now() + ${Math.ceil(asyncMs)}; while (Date.now() < end);`,
      ]);
      const control = await timerLags(() => new Promise((r) => spinner.once('exit', r)));
      expect(lags.length).toBeGreaterThanOrEqual(10);
      const p99 = quantile(lags, 0.99);
      const controlP99 = quantile(control, 0.99);
      const oversubscribed = controlP99 > 2;
      // On an oversubscribed machine only check that the forward did not block the timer (a
      // forward on the JS thread delays one tick by its whole length); otherwise the bar.
      const bar = oversubscribed ? forwardMs / 4 : 5;
      verdict = {
        ok: p99 <= bar,
        oversubscribed,
        detail: `attempt ${attempt + 1}: timer lag p99 ${p99.toFixed(1)} ms (bar ${bar.toFixed(1)}) during ${asyncMs.toFixed(0)} ms of forwardAsync (control: ${controlP99.toFixed(1)} ms next to a process spinning a core; forward() blocked it ${forwardMs.toFixed(0)} ms); lags ${lags.map((l) => l.toFixed(1)).join(' ')}`,
      };
      if (!verdict.ok) console.warn(verdict.detail.slice(0, 200));
    }
    if (verdict.oversubscribed)
      console.warn(`oversubscribed machine, 5 ms bar not checked: ${verdict.detail.slice(0, 160)}`);
    expect(verdict.ok, verdict.detail).toBe(true);
    // Same kernels, same thread count: identical.
    expectClose(out, sync, { atol: 0, rtol: 0 }, 'async vs sync');
    out?.dispose();
    sync.dispose();
  }, 120_000);

  it('concurrent calls on one model each get their own input’s result', async () => {
    const model = torch.jit.load(resnet18);
    torch.manualSeed(1);
    const xs = Array.from({ length: 4 }, () => torch.randn([2, 3, 32, 32]));
    const expected = xs.map((x) => torch.noGrad(() => model.forward(x)) as torch.Tensor);
    const outs = (await Promise.all(xs.map((x) => torch.noGrad(() => model.forwardAsync(x))))) as torch.Tensor[];
    outs.forEach((o, i) => {
      expectClose(o, expected[i], { atol: 0, rtol: 0 }, `call ${i}`);
    });
    for (const t of [...outs, ...expected, ...xs]) t.dispose();
  });

  it('an AbortSignal takes queued work off the queue; running work finishes and is freed', async () => {
    const model = torch.jit.load(resnet50);
    const x = torch.randn([1, 3, 224, 224]);
    const before = torch.memory().liveTensors;
    const first = torch.noGrad(() => model.forwardAsync(x));
    const queued = new AbortController();
    const second = torch.noGrad(() => model.forwardAsync(x, { signal: queued.signal }));
    const waiting = serve.inferenceQueue().queued; // the second, and the first unless it started
    expect(waiting).toBeGreaterThanOrEqual(1);
    queued.abort();
    await expect(second).rejects.toMatchObject({ name: 'AbortError' });
    expect(serve.inferenceQueue().queued).toBeLessThan(waiting); // taken off before it started
    const out = (await first) as torch.Tensor;
    expect(out.shape).toEqual([1, 1000]);
    out.dispose();
    // Already aborted: rejects at once with the signal's reason.
    const reason = new Error('gone');
    await expect(model.forwardAsync(x, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    // Aborted while running: the promise rejects now; the result is freed when it arrives.
    const running = new AbortController();
    const third = model.forwardAsync(x, { signal: running.signal });
    await new Promise((r) => setTimeout(r, 5));
    running.abort();
    await expect(third).rejects.toMatchObject({ name: 'AbortError' });
    ((await torch.noGrad(() => model.forwardAsync(x))) as torch.Tensor).dispose(); // runs after it
    // At most as many: the collector may free earlier garbage meanwhile; more would be a leak.
    expect(torch.memory().liveTensors).toBeLessThanOrEqual(before);
    x.dispose();
  }, 120_000);

  it('a torchts model through jit.optimizeForInference runs there too, with the same result', async () => {
    torch.manualSeed(2);
    const model = vision.models.resnet18({ numClasses: 10 }).eval();
    const fast = torch.jit.optimizeForInference(model);
    const x = torch.randn([2, 3, 32, 32]);
    const sync = torch.noGrad(() => fast.forward(x));
    const out = (await torch.noGrad(() => fast.forwardAsync(x))) as torch.Tensor;
    expectClose(out, sync, { atol: 0, rtol: 0 }, 'optimised graph, async vs sync');
    fast.dispose();
  });

  it('errors come back as TorchError rejections; bad arguments throw', async () => {
    const model = torch.jit.load(resnet18);
    await expect(model.forwardAsync(torch.randn([2, 5]))).rejects.toThrow(/Expected|expected|size|dimension/);
    expect(() => model.forwardAsync(torch.randn([1, 3, 8, 8]), { signal: 3 } as never)).toThrow(/AbortSignal/);
    expect(() => model.forwardAsync(torch.randn([1, 3, 8, 8]), { sigal: 3 } as never)).toThrow(/signal/);
    expect(() => model.forwardAsync(3 as never)).toThrow(/Tensor/);
    expect(() => torch.jit.load(path.join(dir, 'missing.pt'))).toThrow(/no such file/);
    // Still serving after the errors.
    const out = (await torch.noGrad(() => model.forwardAsync(torch.zeros([1, 3, 32, 32])))) as torch.Tensor;
    expect(out.shape).toEqual([1, 10]);
  });
});
