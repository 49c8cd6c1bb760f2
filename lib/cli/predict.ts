/** `torchts predict <image...>`: top-5 classes of images for a trained model. */
import { parseArgs } from 'node:util';

import { load, noGrad, stack, tidy, type Tensor } from '../torch/index';
import { TorchError } from '../torch/errors';
import { readImage } from '../vision/io';
import { CenterCrop, Compose, Normalize, Resize, ToTensor } from '../vision/transforms/index';
import { dataInfo } from './data';
import { imageSizeOption } from './train';
import { adaptInput, buildModel, inferenceForward } from './models';

export const PREDICT_USAGE = `usage: torchts predict <image...> --weights <model.safetensors | model.pth> [--model resnet20] [--data mnist | fashion-mnist | cifar10 | cifar100 | imagefolder:<dir> | fake | imagenet] [--top 5] [--image-size <pixels>] [--no-optimize]
Prints the most likely classes of each JPEG/PNG image with their probabilities. --data names
the data set the model was trained on (for the image size, normalisation and class names);
--data imagenet with a torchvision --model runs torchvision's ImageNet weights saved by
torch.save(model.state_dict(), 'model.pth'). The model runs as its optimised graph
(torch.jit.optimizeForInference: batch norm folded, convolutions fused with their activations);
--no-optimize runs the eager forward instead.`;

export async function predict(argv: string[]): Promise<number> {
  const { values: v, positionals: images } = parseArgs({
    args: argv,
    options: {
      weights: { type: 'string' },
      model: { type: 'string', default: 'resnet20' },
      data: { type: 'string', default: 'mnist' },
      top: { type: 'string', default: '5' },
      'image-size': { type: 'string' },
      'no-optimize': { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (!v.weights) throw new TorchError(`--weights is required\n${PREDICT_USAGE}`);
  if (images.length === 0) throw new TorchError(`no images given\n${PREDICT_USAGE}`);
  const info = dataInfo(v.data, imageSizeOption(v['image-size']));
  const top = Number(v.top);
  if (!Number.isInteger(top) || top < 1)
    throw new TorchError(`--top expects a positive integer but received '${v.top}'`);
  const model = buildModel(v.model, info.classes.length, info.inChannels);
  model.loadStateDict(load(v.weights) as Record<string, Tensor>);
  const forward = inferenceForward(model, v.model, !v['no-optimize']);
  // Photos are resized to 256/224 of the crop first, as torchvision's evaluation presets do.
  const photos = v.data === 'imagenet' || v.data.startsWith('imagefolder:');
  const resize = photos ? Math.round((info.size * 256) / 224) : info.size;
  const transform = new Compose([
    new Resize(resize),
    new CenterCrop(info.size),
    new ToTensor(),
    new Normalize(info.mean, info.std),
  ]);
  // Decoding runs on libuv threads, all images at once.
  const decoded = await Promise.all(
    images.map((file) => readImage(file, { mode: info.inChannels === 1 ? 'GRAY' : 'RGB' })),
  );
  const results = tidy(() => {
    const batch = stack(decoded.map((img) => transform.forward(img)));
    const probs = noGrad(() => forward(adaptInput(v.model, batch)).softmax(1));
    const best = probs.topk(Math.min(top, info.classes.length), 1);
    return { p: best.values.toArray() as number[][], i: best.indices.toArray() as number[][] };
  });
  decoded.forEach((t) => {
    t.dispose();
  });
  images.forEach((file, n) => {
    console.log(file);
    results.i[n].forEach((c, k) => {
      console.log(`  ${(100 * results.p[n][k]).toFixed(2).padStart(6)}%  ${info.classes[c]}`);
    });
  });
  return 0;
}
