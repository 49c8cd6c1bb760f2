// vision.models' registry: listModels, getModel, getModelBuilder, getModelWeights, getWeight.
// The weights table is generated from torchvision's files (scripts/gen_model_weights.py); the
// num_params it holds is checked against the builders in test/vision_models*.test.ts.
import { describe, expect, it } from 'vitest';

import { type nn, type Tensor, torch, vision } from '../lib/index';
import { runReference } from './parity/fixtures';

const M = vision.models;

describe('registry', () => {
  it('lists the builders torchts has, sorted, each one a torchvision builder with weights metadata', () => {
    const names = M.listModels();
    expect(names).toEqual([...names].sort());
    for (const n of ['resnet50', 'vgg11_bn', 'densenet121', 'googlenet', 'inception_v3']) expect(names).toContain(n);
    for (const n of names) expect(M.getModelWeights(n).DEFAULT.meta.num_params).toBeGreaterThan(0);
    expect(names).not.toContain('resnet20'); // CIFAR ResNets are torchts's own, not torchvision's
  });

  it('getModel builds with options; an unknown name throws naming the nearest', () => {
    torch.manualSeed(0);
    const m = M.getModel('resnet18', { numClasses: 7 }) as nn.Module & { forward(x: Tensor): Tensor };
    expect(m).toBeInstanceOf(M.ResNet);
    expect(torch.noGrad(() => m.eval().forward(torch.randn([1, 3, 32, 32]))).shape).toEqual([1, 7]);
    expect(M.getModelBuilder('vgg11')).toBe(M.vgg11);
    expect(() => M.getModel('resnet_50')).toThrow(/Unknown model "resnet_50": did you mean resnet50\?/);
  });

  it("holds torchvision's weights metadata: url, transforms, meta", () => {
    const e = M.getModelWeights('resnet50');
    expect(e.name).toBe('ResNet50_Weights');
    expect(e.keys()).toEqual(['IMAGENET1K_V1', 'IMAGENET1K_V2']);
    expect(e.DEFAULT).toBe(e.get('IMAGENET1K_V2'));
    expect(String(e.DEFAULT)).toBe('ResNet50_Weights.IMAGENET1K_V2');
    expect(e.DEFAULT.url).toBe('https://download.pytorch.org/models/resnet50-11ad3fa6.pth');
    expect(e.DEFAULT.transforms).toEqual({
      cropSize: 224,
      resizeSize: 232,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      interpolation: 'bilinear',
    });
    expect(e.DEFAULT.meta.num_params).toBe(25557032);
    expect(e.DEFAULT.meta.min_size).toEqual([1, 1]);
    expect(e.DEFAULT.meta._metrics['ImageNet-1K']['acc@1']).toBe(80.858);
    expect(e.DEFAULT.meta.categories).toBe(M.IMAGENET_CATEGORIES);
    expect([...e].map((w) => w.name)).toEqual(['IMAGENET1K_V1', 'IMAGENET1K_V2']);
    expect(M.getWeight('ResNet50_Weights.IMAGENET1K_V1').url).toBe(
      'https://download.pytorch.org/models/resnet50-0676ba61.pth',
    );
    expect(M.getWeight('Inception_V3_Weights.DEFAULT').transforms.cropSize).toBe(299);
    expect(M.getWeight('VGG16_Weights.IMAGENET1K_FEATURES').meta.categories).toBeNull();
    expect(() => M.getWeight('ResNet50_Weights.IMAGENET1K_V3')).toThrow(/did you mean IMAGENET1K_V1\?/);
    expect(() => M.getWeight('ResNet5_Weights.DEFAULT')).toThrow(/did you mean ResNet50_Weights\?/);
    expect(() => M.getWeight('ResNet50_Weights')).toThrow(/'ResNet50_Weights.DEFAULT'/);
    expect(() => M.getModelWeights(3 as unknown as string)).toThrow(TypeError);
  });

  it("lists every builder torchvision's files register (list_models: 80 names in 0.14)", () => {
    const ref = JSON.parse(runReference('torchvision_keys.py', ['--list'])) as string[];
    expect(ref.length).toBe(80);
    expect(M.listModels()).toEqual(ref);
    for (const n of ref) expect(typeof M.getModelBuilder(n)).toBe('function');
  }, 120_000);

  it('has metadata for all 80 of torchvision 0.14 classification builders', () => {
    // torchvision.models.list_models(module=torchvision.models) in 0.14: 80 names.
    const all = Object.keys(M.MODEL_WEIGHTS);
    expect(all.length).toBe(80);
    expect(all).toContain('regnet_y_128gf');
    expect(M.getModelWeights('efficientnet_b3').DEFAULT.transforms).toMatchObject({
      cropSize: 300,
      resizeSize: 320,
      interpolation: 'bicubic',
    });
    expect(M.getModelWeights('vit_h_14').DEFAULT.transforms.cropSize).toBe(518);
  });
});
