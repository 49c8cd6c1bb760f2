/**
 * What the inference server runs: a torchts model with its weights (`--model resnet50
 * --weights x.pth`) or a TorchScript file, with its preprocessing and class names.
 */
import { adaptInput, buildModel } from '../cli/models';
import { dataInfo } from '../cli/data';
import { noGrad } from '../torch/autograd';
import { tidy } from '../torch/memory';
import * as jit from '../torch/jit';
import { cat } from '../torch/functions';
import { zeros } from '../torch/creation';
import type { Device } from '../torch/device';
import { checkOptions, optionKeys, TorchError } from '../torch/errors';
import { load } from '../torch/serialization';
import type { Tensor } from '../torch/tensor';
import { CenterCrop, Compose, Normalize, Resize, ToTensor } from '../vision/transforms/index';

export interface ServedModel {
  /** The model's name (the `--model` name or the TorchScript file). */
  readonly name: string;
  readonly classes: readonly string[];
  /** 3 (RGB) or 1 (gray): how images are decoded. */
  readonly inChannels: number;
  /** Decoded uint8 [C, H, W] -> the model's float input [C, S, S] (resize, centre crop, normalize). */
  preprocess(image: Tensor): Tensor;
  /** A batch [B, C, S, S] -> logits [B, classes], computed on the inference thread (off the event loop). */
  forwardBatch(x: Tensor): Promise<Tensor>;
}

export interface LoadModelOptions {
  /** A `--model` name (resnet50, ...), with `weights`. */
  model?: string;
  /** A .pth / .safetensors state dict for `model`. */
  weights?: string;
  /** A TorchScript file (instead of `model` and `weights`). */
  torchscript?: string;
  /** The data set the model was trained for (class names, image size, normalisation); default 'imagenet'. */
  data?: string;
  imageSize?: number;
  device?: Device;
}
const LOAD_MODEL_KEYS = optionKeys<LoadModelOptions>({
  model: 1,
  weights: 1,
  torchscript: 1,
  data: 1,
  imageSize: 1,
  device: 1,
});

/** Loads the model the server will run. */
export function loadServedModel(options: LoadModelOptions): ServedModel {
  checkOptions<LoadModelOptions>(options, 'loadServedModel options', LOAD_MODEL_KEYS);
  const data = options.data ?? 'imagenet';
  const info = dataInfo(data, options.imageSize);
  const device = options.device ?? 'cpu';
  // Photos are resized to 256/224 of the crop first, as torchvision's evaluation presets do.
  const photos = data === 'imagenet' || data.startsWith('imagefolder:');
  const transform = new Compose([
    new Resize(photos ? Math.round((info.size * 256) / 224) : info.size),
    new CenterCrop(info.size),
    new ToTensor(),
    new Normalize(info.mean, info.std),
  ]);
  const common = {
    classes: info.classes,
    inChannels: info.inChannels,
    preprocess: (image: Tensor) => transform.forward(image),
  };
  const onDevice = (x: Tensor): Tensor => (device === 'cpu' ? x : x.to(device));
  if (options.torchscript !== undefined) {
    if (options.model !== undefined || options.weights !== undefined)
      throw new TorchError('a TorchScript file carries its weights: give either torchscript or model + weights');
    const m = jit.load(options.torchscript, { mapLocation: device }).eval();
    return {
      ...common,
      name: options.torchscript,
      forwardBatch: async (x) => {
        const input = onDevice(x);
        try {
          // Grad mode is captured when the forward is queued.
          return (await noGrad(() => m.forwardAsync(input))) as Tensor;
        } finally {
          if (input !== x) input.dispose();
        }
      },
    };
  }
  const name = options.model ?? 'resnet50';
  if (options.weights === undefined)
    throw new TorchError(`model ${name} needs its weights (weights: a .pth or .safetensors file)`);
  const model = buildModel(name, info.classes.length, info.inChannels);
  model.loadStateDict(load(options.weights) as Record<string, Tensor>);
  model.to(device);
  model.eval();
  // The model runs as its optimised TorchScript graph (jit.optimizeForInference), on the
  // inference thread. A graph is traced per input shape, on this thread, the first time that
  // shape comes: batches are padded to a power of two so that a few shapes serve every size.
  const fast = jit.optimizeForInference(model);
  return {
    ...common,
    name,
    forwardBatch: async (x) => {
      const b = x.shape[0];
      const padded = 2 ** Math.ceil(Math.log2(b));
      const input = tidy(() => {
        const y = adaptInput(name, onDevice(x));
        return padded === b ? y : cat([y, zeros([padded - b, ...y.shape.slice(1)], { device: y.device })]);
      });
      try {
        const out = (await noGrad(() => fast.forwardAsync(input))) as Tensor;
        if (padded === b) return out;
        const rows = out.narrow(0, 0, b).clone();
        out.dispose();
        return rows;
      } finally {
        if (input !== x) input.dispose();
      }
    },
  };
}
