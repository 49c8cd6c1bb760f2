// The inference server over real HTTP on loopback (ephemeral ports): predictions equal the
// model run directly, dynamic batching, the bounded queue (503), 4xx for bad input, metrics,
// graceful shutdown, and `torchts serve` answering SIGTERM.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { serve, torch, vision } from '../lib/index';
import { packageRoot } from '../lib/libtorch';
import { runReference, tempDir } from './parity/fixtures';

const dir = tempDir('serve');
const scripted = path.join(dir, 'resnet18.pt');
const cli = path.join(packageRoot(), 'dist', 'cli', 'main.js');
let jpeg: Buffer;
let png: Buffer;

beforeAll(async () => {
  runReference('script_model.py', ['resnet18', '10', scripted]);
  const pixels = Buffer.alloc(48 * 40 * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) % 251;
  const raw = { raw: { width: 48, height: 40, channels: 3 as const } };
  jpeg = await sharp(pixels, raw).jpeg().toBuffer();
  png = await sharp(pixels, raw).png().toBuffer();
}, 240_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function start(options: Partial<serve.ServerOptions> = {}) {
  const model = serve.loadServedModel({ torchscript: scripted, data: 'cifar10' });
  const server = serve.createServer({ model, ...options });
  const { port } = (await server.listen(0)) as AddressInfo;
  return { server, model, url: `http://127.0.0.1:${port}` };
}

function post(url: string, body: Buffer | string, type = 'image/jpeg') {
  return fetch(`${url}/predict`, { method: 'POST', body, headers: type ? { 'content-type': type } : {} });
}

describe('serve', () => {
  it('answers top-k classes equal to running the model on the preprocessed image', async () => {
    const { server, model, url } = await start({ maxBatch: 1 });
    try {
      for (const [img, type] of [
        [jpeg, 'image/jpeg'],
        [png, 'image/png'],
      ] as const) {
        const res = await post(url, img, type);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { predictions: serve.Prediction[] };
        expect(body.predictions).toHaveLength(5);
        // The reference: decode, preprocess and forward by hand, one image.
        const x = model.preprocess(await vision.io.decodeImage(img, { mode: 'RGB' }));
        const logits = await model.forwardBatch(x.unsqueeze(0));
        const probs = logits.softmax(1).squeeze(0).toArray() as number[];
        const order = probs.map((p, i) => [p, i]).sort((a, b) => b[0] - a[0]);
        body.predictions.forEach((p, k) => {
          expect(p.index).toBe(order[k][1]);
          expect(p.label).toBe(model.classes[order[k][1]]);
          expect(p.probability).toBeCloseTo(order[k][0], 6);
        });
      }
      const form = new FormData();
      form.append('image', new Blob([jpeg], { type: 'image/jpeg' }), 'cat.jpg');
      const multi = await fetch(`${url}/predict?topk=2`, { method: 'POST', body: form });
      expect(multi.status).toBe(200);
      expect(((await multi.json()) as { predictions: unknown[] }).predictions).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it('serves a torchts model (--model, --weights) as its optimised graph, as the eager model answers', async () => {
    const eager = vision.models.resnet18({ numClasses: 10 });
    const weights = path.join(dir, 'resnet18.pth');
    torch.save(eager.stateDict(), weights);
    eager.eval();
    const model = serve.loadServedModel({ model: 'resnet18', weights, data: 'cifar10' });
    const server = serve.createServer({ model, maxBatch: 4, maxDelayMs: 20 });
    const { port } = (await server.listen(0)) as AddressInfo;
    try {
      // Three at once: a batch of 3, padded to 4 for the traced graph.
      const all = await Promise.all([0, 1, 2].map(() => post(`http://127.0.0.1:${port}`, jpeg)));
      const x = model.preprocess(await vision.io.decodeImage(jpeg, { mode: 'RGB' }));
      const probs = torch
        .noGrad(() => eager.forward(x.unsqueeze(0)))
        .softmax(1)
        .squeeze(0)
        .toArray() as number[];
      for (const r of all) {
        expect(r.status).toBe(200);
        const { predictions } = (await r.json()) as { predictions: serve.Prediction[] };
        // BN folded into the convolutions (optimize_for_inference) rounds differently: 1e-4.
        for (const p of predictions) expect(Math.abs(p.probability - probs[p.index])).toBeLessThan(1e-4);
        expect(predictions[0].probability).toBe(Math.max(...predictions.map((p) => p.probability)));
      }
    } finally {
      await server.close();
    }
  }, 120_000);

  it('bad input gets a 4xx with a message, and the server stays up', async () => {
    const { server, url } = await start({ maxBodyBytes: 64 << 10 });
    try {
      const cases: [Promise<Response>, number, RegExp][] = [
        [post(url, Buffer.from('this is not an image')), 400, /not an image/],
        [post(url, Buffer.alloc(0)), 400, /empty/],
        [post(url, Buffer.alloc(200 << 10, 1)), 413, /limit/],
        [post(url, jpeg, 'text/plain'), 415, /content type/],
        [fetch(`${url}/predict?topk=99`, { method: 'POST', body: jpeg }), 400, /topk/],
        [fetch(`${url}/predict`), 405, /POST/],
        [fetch(`${url}/nope`), 404, /no route/],
        [
          (() => {
            const form = new FormData();
            form.append('file', new Blob([jpeg]), 'cat.jpg');
            return fetch(`${url}/predict`, { method: 'POST', body: form });
          })(),
          400,
          /field 'image' but received fields 'file'/,
        ],
        [post(url, 'x', 'multipart/form-data'), 400, /multipart/],
      ];
      for (const [res, status, message] of cases) {
        const r = await res;
        expect(r.status).toBe(status);
        expect(((await r.json()) as { error: string }).error).toMatch(message);
      }
      expect((await post(url, jpeg)).status).toBe(200);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/torchts_requests_total\{code="400"\} 5/);
      expect(metrics).toMatch(/torchts_requests_total\{code="200"\} 1/);
      expect(metrics).toMatch(/# TYPE torchts_request_duration_seconds histogram/);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('batches concurrent requests; a full queue answers 503', async () => {
    const batched = await start({ maxBatch: 8, maxDelayMs: 50 });
    try {
      const all = await Promise.all(Array.from({ length: 16 }, () => post(batched.url, jpeg)));
      expect(all.map((r) => r.status)).toEqual(Array(16).fill(200));
      const bodies = (await Promise.all(all.map((r) => r.json()))) as { predictions: serve.Prediction[] }[];
      // Same image: the same answer whatever batch it was in (batched kernels may round differently).
      for (const b of bodies) {
        expect(b.predictions[0].index).toBe(bodies[0].predictions[0].index);
        expect(b.predictions[0].probability).toBeCloseTo(bodies[0].predictions[0].probability, 5);
      }
      const { batchSize } = batched.server.metrics;
      expect(batchSize.total).toBeLessThan(16); // fewer forwards than requests
      expect(batchSize.quantile(1)).toBeGreaterThan(1);
      const metrics = await (await fetch(`${batched.url}/metrics`)).text();
      expect(metrics).toMatch(/torchts_batch_size_count \d+/);
      expect(metrics).toMatch(/torchts_queue_depth 0/);
    } finally {
      await batched.server.close();
    }
    // Two images wait for a batch of 4 (for up to a second); the rest find the queue full.
    const small = await start({ maxBatch: 4, maxDelayMs: 1000, maxQueue: 2 });
    try {
      const all = await Promise.all(Array.from({ length: 12 }, () => post(small.url, jpeg)));
      const codes = all.map((r) => r.status);
      expect(codes.filter((c) => c === 200).length).toBe(2);
      expect(codes.filter((c) => c === 503).length).toBe(10);
      const full = all.find((r) => r.status === 503) as Response;
      expect(full.headers.get('retry-after')).toBe('1');
      expect(((await full.json()) as { error: string }).error).toMatch(/queue is full/);
      expect((await post(small.url, jpeg)).status).toBe(200);
    } finally {
      await small.server.close();
    }
  });

  it('close() finishes the requests already received, then refuses connections', async () => {
    // The batch would wait 60 s for more images: closing sends it at once.
    const { server, url } = await start({ maxBatch: 8, maxDelayMs: 60_000 });
    const pending = Array.from({ length: 6 }, () => post(url, jpeg));
    while (server.queueDepth < 6) await new Promise((r) => setTimeout(r, 10)); // received and queued
    await server.close();
    expect((await Promise.all(pending)).map((r) => r.status)).toEqual(Array(6).fill(200));
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('torchts serve exits 0 on SIGTERM after answering what it received', async () => {
    const child = spawn(
      process.execPath,
      [cli, 'serve', '--torchscript', scripted, '--data', 'cifar10', '--port', '0', '--max-delay-ms', '60000'],
      { env: { ...process.env, OMP_NUM_THREADS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stderr.on('data', (d) => {
      out += d;
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once('exit', () => reject(new Error(out)));
    });
    expect(out).toMatch(/forward on the inference thread/);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const pending = Array.from({ length: 4 }, () => post(url, jpeg));
    // Wait until the four are queued (their batch would wait 60 s for more images).
    for (;;) {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      if (/^torchts_queue_depth 4$/m.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGTERM');
    expect((await Promise.all(pending)).map((r) => r.status)).toEqual(Array(4).fill(200));
    expect(await exited).toBe(0);
    expect(out).toMatch(/SIGTERM: finishing/);
  }, 120_000);
});
