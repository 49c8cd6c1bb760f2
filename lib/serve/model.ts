/**
 * What the inference server runs: a torchts model with its weights (`--model resnet50
 * --weights x.pth`) or a TorchScript file, with its preprocessing and class names.
 */
import { adaptInput, buildModel } from '../cli/models';
import { dataInfo } from '../cli/data';
import { noGrad } from '../torch/autograd';
import { tidy } from '../torch/memory';
import type { Device } from '../torch/device';
import { TorchError } from '../torch/errors';
import { load } from '../torch/serialization';
import type { Tensor } from '../torch/tensor';
import { CenterCrop, Compose, Normalize, Resize, ToTensor } from '../vision/transforms/index';
import { TorchScriptModel } from './torchscript';

export interface ServedModel {
  /** The model's name (the `--model` name or the TorchScript file). */
  readonly name: string;
  readonly classes: readonly string[];
  /** 3 (RGB) or 1 (gray): how images are decoded. */
  readonly inChannels: number;
  /** Decoded uint8 [C, H, W] -> the model's float input [C, S, S] (resize, centre crop, normalize). */
  preprocess(image: Tensor): Tensor;
  /** A batch [B, C, S, S] -> logits [B, classes]. */
  forwardBatch(x: Tensor): Promise<Tensor>;
  /** Whether forwardBatch runs off the event loop (on the inference thread). */
  readonly offThread: boolean;
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

/** Loads the model the server will run. */
export function loadServedModel(options: LoadModelOptions): ServedModel {
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
    const m = TorchScriptModel.load(options.torchscript, { device });
    return {
      ...common,
      name: options.torchscript,
      offThread: true,
      forwardBatch: async (x) => {
        const input = onDevice(x);
        try {
          // Grad mode is captured when the forward is queued.
          const out = (await noGrad(() => m.forwardAsync(input))) as Tensor;
          return out;
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
  return {
    ...common,
    name,
    offThread: false,
    forwardBatch: async (x) => tidy(() => noGrad(() => model.forward(adaptInput(name, onDevice(x))))),
  };
}
