/** `torchts serve`: an HTTP inference server for a classifier (lib/serve). */
import { parseArgs } from 'node:util';

import { TorchError } from '../torch/errors';
import type { Device } from '../torch/device';
import { createServer } from '../serve/server';
import { loadServedModel } from '../serve/model';
import { imageSizeOption } from './train';

export const SERVE_USAGE = `usage: torchts serve (--model resnet50 --weights <model.pth | model.safetensors> | --torchscript <model.pt>)
                     [--data imagenet] [--image-size 224] [--device cpu] [--port 8080] [--host 127.0.0.1]
                     [--max-batch 8] [--max-delay-ms 5] [--max-queue 64] [--max-body-mb 10] [--top 5]
Serves top-k classes of images over HTTP: POST /predict (the image bytes, or multipart/form-data
with the field 'image'; ?topk=N), GET /healthz, GET /metrics (Prometheus). Images are decoded by
sharp off the main thread and preprocessed as the model's evaluation preset (resize, centre crop,
normalize); requests are batched (up to --max-batch images, the first waiting at most
--max-delay-ms). The forward runs on torchts's inference thread, off the event loop: a
TorchScript file as it is, a --model as its optimised graph (torch.jit.optimizeForInference,
traced on the first batch of each power-of-two size). SIGTERM / SIGINT: stops accepting, answers every request already received, then exits.
--data names the data set the model was trained on (class names, image size, normalisation).`;

function intOption(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new TorchError(`--${name} expects an integer >= ${min} but received '${v}'`);
  return n;
}

export async function serve(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      weights: { type: 'string' },
      torchscript: { type: 'string' },
      data: { type: 'string', default: 'imagenet' },
      'image-size': { type: 'string' },
      device: { type: 'string', default: 'cpu' },
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'max-batch': { type: 'string', default: '8' },
      'max-delay-ms': { type: 'string', default: '5' },
      'max-queue': { type: 'string', default: '64' },
      'max-body-mb': { type: 'string', default: '10' },
      top: { type: 'string', default: '5' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (v.torchscript === undefined && v.model === undefined)
    throw new TorchError(`give --model <name> --weights <file> or --torchscript <file>\n${SERVE_USAGE}`);
  const model = loadServedModel({
    model: v.model,
    weights: v.weights,
    torchscript: v.torchscript,
    data: v.data,
    imageSize: imageSizeOption(v['image-size']),
    device: v.device as Device,
  });
  const server = createServer({
    model,
    maxBatch: intOption(v['max-batch'], 'max-batch', 1),
    maxDelayMs: intOption(v['max-delay-ms'], 'max-delay-ms', 0),
    maxQueue: intOption(v['max-queue'], 'max-queue', 1),
    maxBodyBytes: (intOption(v['max-body-mb'], 'max-body-mb', 1) as number) << 20,
    topK: intOption(v.top, 'top', 1),
  });
  const address = await server.listen(intOption(v.port, 'port', 0), v.host);
  console.log(
    `torchts serve: ${model.name} (forward on the inference thread) listening on http://${address.address}:${address.port}`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      console.log(`torchts serve: ${signal}: finishing the requests received, then exiting`);
      server.close().then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  console.log('torchts serve: stopped');
  return 0;
}
