// torchts in worker_threads: each JS environment loads the addon with its own native state
// (native/state.h), runs models on its own tensors, and exits cleanly; tensors cross threads
// only as explicit copies (tensor.toTransferable() / torch.fromTransferable()).
//
// Workers load the compiled package (dist/, which `npm test`'s pretest builds), since a
// worker_thread cannot load the TypeScript sources vitest runs here.
import * as path from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

import { torch, vision } from '../lib/index';
import { packageRoot } from '../lib/libtorch';
import { expectClose } from './compare';

const dist = path.join(packageRoot(), 'dist', 'index.js');

// A worker that builds the same resnet18, loads the weights it is sent and returns its output.
const INFER = `
const { parentPort, workerData } = require('node:worker_threads');
const { torch, vision } = require(workerData.dist);
parentPort.once('message', ({ weights, x }) => {
  const model = vision.models.resnet18({ numClasses: 10 });
  const state = {};
  for (const [k, v] of Object.entries(weights)) state[k] = torch.fromTransferable(v);
  model.loadStateDict(state);
  model.eval();
  const input = torch.fromTransferable(x);
  const before = torch.memory().liveTensors;
  let out;
  for (let i = 0; i < 3; i++) {
    if (out) out.dispose();
    out = torch.noGrad(() => model.forward(input));
  }
  const t = out.toTransferable();
  parentPort.postMessage({ out: t, live: torch.memory().liveTensors - before }, torch.transferList(t));
});
`;

function runWorker(code: string, data: object, message?: unknown, transfer: ArrayBuffer[] = []): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { dist, ...data } });
    let result: unknown;
    w.once('message', (m) => {
      result = m;
    });
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 ? resolve(result) : reject(new Error(`worker exited with code ${code}`))));
    if (message !== undefined) w.postMessage(message, transfer);
  });
}

describe('worker_threads', () => {
  it('runs a resnet18 in two workers at once, with the main thread’s results', async () => {
    torch.manualSeed(0);
    const model = vision.models.resnet18({ numClasses: 10 });
    model.eval();
    const x = torch.randn([2, 3, 64, 64]);
    const ref = torch.noGrad(() => model.forward(x));
    const message = () => {
      const weights: Record<string, torch.TransferableTensor> = {};
      for (const [k, v] of Object.entries(model.stateDict())) weights[k] = (v as torch.Tensor).toTransferable();
      return { weights, x: x.toTransferable() };
    };
    const m1 = message();
    const m2 = message();
    const results = (await Promise.all([
      runWorker(INFER, {}, m1, torch.transferList(...Object.values(m1.weights), m1.x)),
      runWorker(INFER, {}, m2, torch.transferList(...Object.values(m2.weights), m2.x)),
    ])) as { out: torch.TransferableTensor; live: number }[];
    for (const r of results) {
      const out = torch.fromTransferable(r.out);
      // Same kernels on the same data with one intra-op thread: identical.
      expectClose(out, ref, { atol: 0, rtol: 0 }, 'worker output');
      expect(r.live).toBe(1); // the worker's own table: only its last output is left
      out.dispose();
    }
    expect(torch.noGrad(() => model.forward(x).sub(ref).abs().max().item())).toBe(0);
  });

  it('a terminated worker ends its environment; others and the main thread go on', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { torch } = require(workerData.dist);
      const keep = torch.ones([1000, 1000]);
      parentPort.postMessage(keep.sum().item());
      setInterval(() => keep.add(1).dispose(), 1);
    `;
    const w = new Worker(code, { eval: true, workerData: { dist } });
    const sum = await new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    expect(sum).toBe(1e6);
    expect(await w.terminate()).toBe(1);
    const again = (await runWorker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const { torch } = require(workerData.dist);
       parentPort.postMessage(torch.arange(5).sum().item());`,
      {},
    )) as number;
    expect(again).toBe(10);
    expect(torch.ones([3]).sum().item()).toBe(3);
  });

  it('a Tensor cannot be posted to another thread by accident', () => {
    const { port1, port2 } = new MessageChannel();
    try {
      const t = torch.ones([2]);
      expect(() => port1.postMessage({ t })).toThrow(/cannot be posted to another.*toTransferable\(\)/);
      expect(() => structuredClone(t)).toThrow(/toTransferable/);
      // A clone that got through some other way is refused with the same advice.
      const clone = JSON.parse(JSON.stringify(t));
      expect(() => torch.fromTransferable(clone)).toThrow(/a Tensor cannot cross threads/);
      expect(() => torch.fromTransferable({ dtype: 'float32' } as never)).toThrow(
        /Expected the result of tensor.toTransferable\(\) for value/,
      );
    } finally {
      port1.close();
      port2.close();
    }
  });

  it('toTransferable / fromTransferable copy every dtype exactly, through ArrayBuffer or SharedArrayBuffer', async () => {
    const cases = [
      torch.randn([3, 4]),
      torch.randn([2, 3], { dtype: 'float64' }),
      torch.randn([5]).to('float16'),
      torch.randn([5]).to('bfloat16'),
      torch.tensor([-(2 ** 40), 3, 7], { dtype: 'int64' }),
      torch.tensor([true, false, true]),
      torch.arange(12).reshape(3, 4).t(), // not contiguous
      torch.zeros([0, 3]),
    ];
    for (const t of cases) {
      for (const shared of [false, true]) {
        const x = t.toTransferable({ shared });
        expect(x.buffer instanceof SharedArrayBuffer).toBe(shared);
        const back = torch.fromTransferable(x);
        expect(back.dtype).toBe(t.dtype);
        expect(back.shape).toEqual(t.shape);
        expect(back.equal(t)).toBe(true);
      }
    }
    const g = torch.ones([2]).requiresGrad_();
    expect(torch.fromTransferable(g.toTransferable()).requiresGrad).toBe(true);
    expect(() => g.toTransferable({ share: true } as never)).toThrow(/shared/);
    // Through a worker and back: a SharedArrayBuffer is seen by both threads; the tensor made
    // from it is a copy.
    const src = torch.arange(6, { dtype: 'float32' }).toTransferable({ shared: true });
    const back = (await runWorker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const { torch } = require(workerData.dist);
       parentPort.once('message', (x) => {
         const t = torch.fromTransferable(x);
         new Float32Array(x.buffer)[0] = 100; // the sender sees this; t does not
         const y = t.mul(2).toTransferable();
         parentPort.postMessage(y, torch.transferList(y));
       });`,
      {},
      src,
    )) as torch.TransferableTensor;
    expect(new Float32Array(src.buffer)[0]).toBe(100);
    expect(torch.fromTransferable(back).toArray()).toEqual([0, 2, 4, 6, 8, 10]);
  });
});
