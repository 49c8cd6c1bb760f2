/**
 * The model registry, after torchvision/models/_api.py: `listModels()`, `getModel(name,
 * options)`, `getModelBuilder(name)`, and the pretrained-weight metadata torchvision declares
 * for each builder (`getModelWeights(name)`, `getWeight('ResNet50_Weights.IMAGENET1K_V2')`):
 * checkpoint url, evaluation transforms (resize, centre crop, interpolation, mean and std) and
 * meta (`num_params`, `min_size`, `categories`, `_metrics`, ...). torchts downloads nothing:
 * the url says where torchvision's checkpoint is; `torch.load` reads it once fetched.
 */
import type { Module } from '../../nn/module';
import { checkOptions, nearestKey, TorchError, typeError } from '../../torch/errors';
import * as alexnet from './alexnet';
import * as convnext from './convnext';
import * as densenet from './densenet';
import * as efficientnet from './efficientnet';
import * as googlenet from './googlenet';
import * as inception from './inception';
import * as maxvit from './maxvit';
import * as swin_transformer from './swin_transformer';
import * as mnasnet from './mnasnet';
import * as mobilenetv2 from './mobilenetv2';
import * as mobilenetv3 from './mobilenetv3';
import * as regnet from './regnet';
import * as resnet from './resnet';
import * as shufflenetv2 from './shufflenetv2';
import * as squeezenet from './squeezenet';
import * as vgg from './vgg';
import * as vision_transformer from './vision_transformer';
import { MODEL_WEIGHTS } from './weights';

/**
 * The model files whose builders the registry finds (a builder is listed when a file here
 * exports a function of a torchvision builder's name). A new model file adds itself here.
 */
const MODEL_FILES: readonly object[] = [
  resnet,
  vgg,
  densenet,
  googlenet,
  inception,
  vision_transformer,
  swin_transformer,
  maxvit,
  alexnet,
  squeezenet,
  shufflenetv2,
  mnasnet,
  mobilenetv2,
  mobilenetv3,
  efficientnet,
  regnet,
  convnext,
];

/** torchvision's ImageClassification preset: resize, centre crop, rescale to [0, 1], normalise. */
export interface WeightsTransforms {
  /** Side of the centre crop. */
  readonly cropSize: number;
  /** The shorter side is resized to this first. */
  readonly resizeSize: number;
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /** torchvision's InterpolationMode value of the resize. */
  readonly interpolation: 'nearest' | 'bilinear' | 'bicubic';
}

/** A weight's `meta`, with torchvision's keys. */
export interface WeightsMeta {
  readonly num_params: number;
  readonly min_size: readonly [number, number];
  /** Class names in output order (null for feature-extractor weights). */
  readonly categories: readonly string[] | null;
  readonly recipe: string;
  /** Accuracy per evaluation data set (`{'ImageNet-1K': {'acc@1': ..., 'acc@5': ...}}`). */
  readonly _metrics: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly _docs: string;
  readonly license?: string;
}

/** One weight as the generated table (weights.ts) holds it. */
export interface WeightsData {
  readonly url: string;
  readonly transforms: WeightsTransforms;
  readonly meta: WeightsMeta;
}

/** One `<Model>_Weights` enum as the generated table holds it. */
export interface WeightsEnumData {
  readonly name: string;
  /** The member DEFAULT aliases. */
  readonly default: string;
  readonly weights: Readonly<Record<string, WeightsData>>;
}

/** One member of a weights enum (torchvision's `Weights` entry): `ResNet50_Weights.IMAGENET1K_V2`. */
export interface Weights extends WeightsData {
  /** The member name: `IMAGENET1K_V2`. */
  readonly name: string;
  /** The enum's name: `ResNet50_Weights`. */
  readonly enumName: string;
  /** `ResNet50_Weights.IMAGENET1K_V2`, as str() of torchvision's enum member. */
  toString(): string;
}

/** A builder's weights enum (torchvision's `<Model>_Weights`): members by name, DEFAULT, iteration in declaration order. */
export class WeightsEnum implements Iterable<Weights> {
  readonly name: string;
  /** The recommended weights (torchvision's `DEFAULT` alias). */
  readonly DEFAULT: Weights;
  private readonly members: ReadonlyMap<string, Weights>;

  /** @internal */
  constructor(data: WeightsEnumData) {
    this.name = data.name;
    const members = new Map<string, Weights>();
    for (const [member, w] of Object.entries(data.weights)) {
      const fullName = `${data.name}.${member}`;
      members.set(member, Object.freeze({ ...w, name: member, enumName: data.name, toString: () => fullName }));
    }
    this.members = members;
    const d = members.get(data.default);
    if (d === undefined) throw new TorchError(`${data.name}: DEFAULT names no member (${data.default})`);
    this.DEFAULT = d;
    Object.freeze(this);
  }

  /** The member called `name` (`'IMAGENET1K_V1'`, or `'DEFAULT'`); throws naming the nearest otherwise. */
  get(name: string): Weights {
    if (name === 'DEFAULT') return this.DEFAULT;
    const w = this.members.get(name);
    if (w === undefined) throw unknownName(name, `member of ${this.name}`, ['DEFAULT', ...this.members.keys()]);
    return w;
  }

  /** The member names, in torchvision's order (DEFAULT not included). */
  keys(): string[] {
    return [...this.members.keys()];
  }

  [Symbol.iterator](): Iterator<Weights> {
    return this.members.values();
  }
}

/** A model builder: options in, model out (`resnet50({ numClasses: 10 })`). */
export type ModelBuilder = (options?: object) => Module;

function unknownName(name: unknown, what: string, names: readonly string[]): TorchError {
  const near = typeof name === 'string' ? nearestKey(name, names) : undefined;
  return new TorchError(
    `Unknown ${what} ${JSON.stringify(name)}${near === undefined ? '' : `: did you mean ${near}?`}`,
  );
}

let builders: Map<string, ModelBuilder> | undefined;
function registry(): Map<string, ModelBuilder> {
  if (builders === undefined) {
    builders = new Map();
    for (const name of Object.keys(MODEL_WEIGHTS).sort()) {
      for (const file of MODEL_FILES) {
        const fn = (file as Record<string, unknown>)[name];
        if (typeof fn === 'function') builders.set(name, fn as ModelBuilder);
      }
    }
  }
  return builders;
}

/** The names of every builder torchts has, sorted (torchvision's `list_models()`). */
export function listModels(): string[] {
  return [...registry().keys()];
}

/** The builder called `name` (torchvision's `get_model_builder`); throws naming the nearest otherwise. */
export function getModelBuilder(name: string): ModelBuilder {
  const fn = registry().get(name);
  if (fn === undefined) throw unknownName(name, 'model', listModels());
  return fn;
}

/**
 * Builds the model called `name` with `options` (torchvision's `get_model(name, **config)`):
 * `getModel('resnet50', { numClasses: 10 })` is `resnet50({ numClasses: 10 })`.
 */
export function getModel(name: string, options: object = {}): Module {
  return getModelBuilder(name)(checkOptions(options));
}

const enums = new Map<string, WeightsEnum>();

/**
 * The weights enum of the builder called `name` (torchvision's `get_model_weights`): every
 * pretrained weight torchvision 0.14 declares for it, with url, transforms and meta.
 */
export function getModelWeights(name: string): WeightsEnum {
  if (typeof name !== 'string') throw typeError('a model name', 'name', name);
  const data = Object.hasOwn(MODEL_WEIGHTS, name) ? MODEL_WEIGHTS[name] : undefined;
  if (data === undefined) throw unknownName(name, 'model', Object.keys(MODEL_WEIGHTS));
  let e = enums.get(name);
  if (e === undefined) {
    e = new WeightsEnum(data);
    enums.set(name, e);
  }
  return e;
}

/** The weight `'<Enum>.<MEMBER>'` (torchvision's `get_weight('ResNet50_Weights.IMAGENET1K_V2')`). */
export function getWeight(name: string): Weights {
  if (typeof name !== 'string') throw typeError("a name such as 'ResNet50_Weights.DEFAULT'", 'name', name);
  const dot = name.indexOf('.');
  const enumName = dot < 0 ? name : name.slice(0, dot);
  const model = Object.keys(MODEL_WEIGHTS).find((m) => MODEL_WEIGHTS[m].name === enumName);
  if (model === undefined || dot < 0) {
    const names = [...new Set(Object.values(MODEL_WEIGHTS).map((d) => d.name))];
    if (model === undefined) throw unknownName(enumName, 'weights enum', names);
    throw new TorchError(
      `getWeight expects '<Enum>.<MEMBER>', such as '${enumName}.DEFAULT'; got ${JSON.stringify(name)}`,
    );
  }
  return getModelWeights(model).get(name.slice(dot + 1));
}
