/** `--model` names of the command line. */
import { pad } from '../nn/functional';
import type { Module } from '../nn/module';
import { TorchError } from '../torch/errors';
import * as jit from '../torch/jit';
import type { Tensor } from '../torch/tensor';
import * as models from '../vision/models/index';

type Classifier = Module & { forward(x: Tensor): Tensor };

const CIFAR_DEPTHS: Record<string, number> = {
  resnet8: 8,
  resnet20: 20,
  resnet32: 32,
  resnet44: 44,
  resnet56: 56,
  resnet110: 110,
};
/** torchvision's builders (every one torchts has: `vision.models.listModels()`). */
const TORCHVISION = models.listModels();

/** Every name `--model` accepts. */
export const MODEL_NAMES = [...Object.keys(CIFAR_DEPTHS), ...TORCHVISION];

/**
 * Builds a model. CIFAR ResNets take any number of input channels; torchvision's take 3,
 * so their one-channel inputs are repeated to three (see `adaptInput`). GoogLeNet and
 * Inception v3 are built without their auxiliary classifiers, so that `forward` always
 * returns the logits.
 */
export function buildModel(name: string, numClasses: number, inChannels: number): Classifier {
  if (name in CIFAR_DEPTHS) return new models.CifarResNet(CIFAR_DEPTHS[name], { numClasses, inChannels });
  if (name === 'googlenet') return models.googlenet({ numClasses, auxLogits: false }) as Module as Classifier;
  if (name === 'inception_v3') return models.inception_v3({ numClasses, auxLogits: false }) as Module as Classifier;
  if (TORCHVISION.includes(name)) return models.getModel(name, { numClasses }) as Classifier;
  throw new TorchError(`unknown --model '${name}'; expected one of: ${MODEL_NAMES.join(', ')}`);
}

/**
 * The smallest input side `name` accepts (1 when any size works): torchvision's `min_size`
 * metadata of the builder's default weights.
 */
export function minInputSize(name: string): number {
  if (!TORCHVISION.includes(name)) return 1;
  return Math.max(...models.getModelWeights(name).DEFAULT.meta.min_size);
}

/**
 * A batch shaped for a torchvision model: grey images get their channel repeated three
 * times, and images smaller than the model's minimum size (MNIST's 28x28 for VGG, Inception
 * v3's 75x75) are zero-padded around, centred, up to it.
 */
export function adaptInput(name: string, x: Tensor): Tensor {
  if (name in CIFAR_DEPTHS) return x;
  let y = x.shape[1] === 1 ? x.expand(-1, 3, -1, -1) : x;
  const min = minInputSize(name);
  const [h, w] = [y.shape[2], y.shape[3]];
  if (h < min || w < min) {
    const [dh, dw] = [Math.max(0, min - h), Math.max(0, min - w)];
    y = pad(y, [dw >> 1, dw - (dw >> 1), dh >> 1, dh - (dh >> 1)]);
  }
  return y;
}

/**
 * The forward `predict` and `eval` run, on the model put in eval mode: its optimised graph
 * (`torch.jit.optimizeForInference`: batch norm folded, fused convolutions, prepacked
 * weights; made on the first batch of each shape) unless `optimize` is false
 * (`--no-optimize`), then the eager forward. A model the optimiser cannot take (its trace or
 * freeze fails) runs eager from then on, after a one-line warning on stderr.
 */
export function inferenceForward(model: Classifier, name: string, optimize: boolean): (x: Tensor) => Tensor {
  model.eval();
  if (!optimize) return (x) => model.forward(x);
  let fast: jit.InferenceModule<Classifier> | undefined = jit.optimizeForInference(model);
  return (x) => {
    if (fast !== undefined) {
      try {
        return fast.forward(x);
      } catch (e) {
        const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
        console.warn(`torchts: ${name} runs eager: torch.jit.optimizeForInference failed (${why})`);
        fast.dispose();
        fast = undefined;
      }
    }
    return model.forward(x);
  };
}
