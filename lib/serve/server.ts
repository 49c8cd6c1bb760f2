/**
 * The inference server (`torchts serve`): node:http, images decoded by sharp off the main
 * thread, the model's preprocessing, dynamic batching into one forward (on the inference
 * thread for TorchScript models), top-k classes as JSON.
 *
 *   POST /predict[?topk=5]  body: the image bytes (image/*, application/octet-stream), or
 *                           multipart/form-data with the image in the field `image`
 *   GET  /healthz           200 {"status":"ok"}, 503 while shutting down
 *   GET  /metrics           Prometheus text format
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import Busboy from 'busboy';

import { memory } from '../torch/memory';
import { checkOptions, optionKeys, TorchError } from '../torch/errors';
import type { Tensor } from '../torch/tensor';
import { decodeImage } from '../vision/io';
import { DynamicBatcher, QueueFullError } from './batcher';
import { ServerMetrics } from './metrics';
import type { ServedModel } from './model';

export interface ServerOptions {
  model: ServedModel;
  /** Most images per forward (1: no batching). Default 8. */
  maxBatch?: number;
  /** How long the first image of a batch waits for others, in ms. Default 5. */
  maxDelayMs?: number;
  /** Most images waiting for a batch; beyond it requests get 503. Default 64. */
  maxQueue?: number;
  /** Largest request body accepted, in bytes (413 beyond). Default 10 MiB. */
  maxBodyBytes?: number;
  /** Classes returned when the request does not say (?topk=). Default 5. */
  topK?: number;
}

/** One class of a prediction. */
export interface Prediction {
  index: number;
  label: string;
  probability: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const OPTION_KEYS = optionKeys<ServerOptions>({
  model: 1,
  maxBatch: 1,
  maxDelayMs: 1,
  maxQueue: 1,
  maxBodyBytes: 1,
  topK: 1,
});

function positiveInt(v: unknown, name: string, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
    throw new TorchError(`Expected an integer >= ${min} for ${name} but received ${String(v)}`);
  return v;
}

/** Reads the request body, up to `limit` bytes. */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new HttpError(413, `the request body is ${declared} bytes; the limit is ${limit}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, `the request body is larger than the limit of ${limit} bytes`));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The image of a multipart/form-data request: the file in field `image`. */
function readMultipart(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let bb: Busboy.Busboy;
    try {
      bb = Busboy({ headers: req.headers, limits: { fileSize: limit, files: 1, fields: 16 } });
    } catch (e) {
      reject(new HttpError(400, `malformed multipart request: ${(e as Error).message}`));
      return;
    }
    let image: Buffer | undefined;
    const seen: string[] = [];
    let failed = false;
    const fail = (e: HttpError) => {
      if (failed) return;
      failed = true;
      reject(e);
      req.unpipe(bb);
      req.resume();
    };
    bb.on('file', (field, stream) => {
      seen.push(field);
      if (field !== 'image') {
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => fail(new HttpError(413, `the image is larger than the limit of ${limit} bytes`)));
      stream.on('end', () => {
        image = Buffer.concat(chunks);
      });
    });
    bb.on('field', (field) => {
      seen.push(field);
    });
    bb.on('error', (e) => fail(new HttpError(400, `malformed multipart request: ${(e as Error).message}`)));
    bb.on('close', () => {
      if (failed) return;
      if (image === undefined) {
        const got = seen.length ? `fields ${seen.map((f) => `'${f}'`).join(', ')}` : 'no fields';
        reject(new HttpError(400, `expected the image file in the form field 'image' but received ${got}`));
      } else {
        resolve(image);
      }
    });
    req.pipe(bb);
  });
}

/** An HTTP inference server around one model. */
export class InferenceServer {
  readonly metrics: ServerMetrics;
  private readonly http: http.Server;
  private readonly batcher: DynamicBatcher<Prediction[]>;
  private readonly model: ServedModel;
  private readonly maxBodyBytes: number;
  private readonly topK: number;
  private active = 0;
  private draining = false;
  private closing: Promise<void> | undefined;

  constructor(options: ServerOptions) {
    checkOptions<ServerOptions>(options, 'InferenceServer options', OPTION_KEYS);
    this.model = options.model;
    this.maxBodyBytes = positiveInt(options.maxBodyBytes, 'maxBodyBytes', 10 << 20);
    this.topK = Math.min(positiveInt(options.topK, 'topK', 5), this.model.classes.length);
    const maxBatch = positiveInt(options.maxBatch, 'maxBatch', 8);
    this.batcher = new DynamicBatcher<Prediction[]>({
      maxBatch,
      maxDelayMs: positiveInt(options.maxDelayMs, 'maxDelayMs', 5, 0),
      maxQueue: positiveInt(options.maxQueue, 'maxQueue', 64),
      run: (batch) => this.runBatch(batch),
      onBatch: (size, seconds) => {
        this.metrics.batchSize.observe(size);
        this.metrics.forward.observe(seconds);
      },
    });
    this.metrics = new ServerMetrics(() => ({
      queueDepth: this.batcher.depth,
      inFlight: this.active,
      liveTensors: memory().liveTensors,
    }));
    this.http = http.createServer((req, res) => {
      void this.handle(req, res);
    });
    this.http.keepAliveTimeout = 5000;
  }

  /** Prediction requests received and not yet answered. */
  get inFlight(): number {
    return this.active;
  }
  /** Images waiting for a batch. */
  get queueDepth(): number {
    return this.batcher.depth;
  }

  /** Starts listening (port 0: an ephemeral port); resolves with the address. */
  listen(port = 8080, host = '127.0.0.1'): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.http.off('error', reject);
        resolve(this.http.address() as AddressInfo);
      });
    });
  }

  /**
   * Graceful shutdown: stops accepting connections, answers 503 to new requests on open ones,
   * finishes every request already received (queued images included), then closes.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.draining = true;
      const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
      this.http.closeIdleConnections();
      while (this.active > 0) {
        await this.batcher.drain();
        if (this.active > 0) await new Promise((r) => setTimeout(r, 5));
      }
      this.http.closeAllConnections();
      await closed;
    })();
    return this.closing;
  }

  private async runBatch(batch: Tensor): Promise<Prediction[][]> {
    const logits = await this.model.forwardBatch(batch);
    try {
      const probs = logits.softmax(1);
      const best = probs.topk(this.topK, 1);
      const p = best.values.toArray() as number[][];
      const idx = best.indices.toArray() as number[][];
      for (const t of [probs, best.values, best.indices]) t.dispose();
      return p.map((row, b) =>
        row.map((probability, k) => ({ index: idx[b][k], label: this.model.classes[idx[b][k]], probability })),
      );
    } finally {
      logits.dispose();
    }
  }

  private send(res: http.ServerResponse, status: number, body: unknown, started?: number): void {
    const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
    if (started !== undefined) {
      this.metrics.countRequest(status);
      this.metrics.latency.observe((performance.now() - started) / 1000);
    }
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/plain; version=0.0.4; charset=utf-8' : 'application/json',
      'content-length': Buffer.byteLength(text),
      ...(status === 503 ? { 'retry-after': '1' } : {}),
      ...(this.draining ? { connection: 'close' } : {}),
    });
    res.end(text);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz' && req.method === 'GET') {
      this.send(res, this.draining ? 503 : 200, { status: this.draining ? 'shutting down' : 'ok' });
      return;
    }
    if (url.pathname === '/metrics' && req.method === 'GET') {
      this.send(res, 200, this.metrics.render());
      return;
    }
    if (url.pathname !== '/predict') {
      req.resume();
      this.send(res, 404, { error: `no route ${url.pathname}: use POST /predict, GET /healthz or GET /metrics` });
      return;
    }
    const started = performance.now();
    if (req.method !== 'POST') {
      req.resume();
      this.send(res, 405, { error: `/predict takes POST, not ${req.method}` }, started);
      return;
    }
    if (this.draining) {
      req.resume();
      this.send(res, 503, { error: 'the server is shutting down' }, started);
      return;
    }
    this.active += 1;
    try {
      const top = this.topParam(url);
      const image = await this.readImage(req);
      let decoded: Tensor;
      try {
        decoded = await decodeImage(image, { mode: this.model.inChannels === 1 ? 'GRAY' : 'RGB' });
      } catch (e) {
        throw new HttpError(
          400,
          `the body is not an image that can be decoded (JPEG, PNG, ...): ${(e as Error).message}`,
        );
      }
      let input: Tensor;
      try {
        input = this.model.preprocess(decoded);
      } finally {
        decoded.dispose();
      }
      const predictions = await this.batcher.submit(input);
      this.send(res, 200, { model: this.model.name, predictions: predictions.slice(0, top) }, started);
    } catch (e) {
      if (e instanceof HttpError) this.send(res, e.status, { error: e.message }, started);
      else if (e instanceof QueueFullError) this.send(res, 503, { error: e.message }, started);
      else this.send(res, 500, { error: `inference failed: ${(e as Error).message}` }, started);
      // What is left of a body we stopped reading is not worth reading.
      if (!req.complete) req.socket.destroySoon();
    } finally {
      this.active -= 1;
    }
  }

  private topParam(url: URL): number {
    const v = url.searchParams.get('topk');
    if (v === null) return this.topK;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > this.topK)
      throw new HttpError(400, `expected an integer from 1 to ${this.topK} for topk but received '${v}'`);
    return n;
  }

  private readImage(req: http.IncomingMessage): Promise<Buffer> {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const body =
      type === 'multipart/form-data'
        ? readMultipart(req, this.maxBodyBytes)
        : type === '' || type.startsWith('image/') || type === 'application/octet-stream'
          ? readBody(req, this.maxBodyBytes)
          : Promise.reject(
              new HttpError(
                415,
                `unsupported content type '${type}': send the image bytes (image/jpeg, image/png, application/octet-stream) or multipart/form-data with the field 'image'`,
              ),
            );
    return body.then((b) => {
      if (b.length === 0) throw new HttpError(400, 'the request has no image: the body is empty');
      return b;
    });
  }
}

/** Makes an inference server (call `listen`). */
export function createServer(options: ServerOptions): InferenceServer {
  return new InferenceServer(options);
}
