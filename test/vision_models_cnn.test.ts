// vision.models' convolutional families after AlexNet (AlexNet, SqueezeNet, ShuffleNet V2,
// MNASNet, MobileNet V2/V3, EfficientNet, RegNet, ConvNeXt): every builder, with its default
// arguments, has torchvision's state-dict keys in torchvision's order, the same shapes, the same
// class at every submodule name, the same repr(), and
// torchvision's parameter count (which also equals the registry's `num_params`). torchvision's
// side is its own code (scripts/reference/torchvision_keys.py, one Python call for all).
// Numerical agreement is test/parity/models.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';

import { adaptInput, MODEL_NAMES, minInputSize } from '../lib/cli/models';
import { type nn, type Tensor, torch, vision } from '../lib/index';
import { randomiseBatchNorm } from './batchnorm';
import { relError } from './compare';
import { runReference } from './parity/fixtures';

const M = vision.models;

const FAMILIES = /^(alexnet|squeezenet|shufflenet|mnasnet|mobilenet|efficientnet|regnet|convnext)/;
const NAMES = M.listModels().filter((n) => FAMILIES.test(n));

type Ref = Record<string, { keys: [string, number[]][]; params: number; modules: [string, string][]; repr: string }>;
let ref: Ref;

beforeAll(() => {
  ref = JSON.parse(runReference('torchvision_keys.py', NAMES)) as Ref;
}, 300_000);

describe('builders', () => {
  // regnet_y_128gf has 645M parameters: building (and initialising) it takes ~12 s alone.
  it.each(NAMES)(
    "%s has torchvision's state-dict keys, shapes, module classes, repr and parameter count",
    (name) => {
      const m = M.getModel(name);
      const sd = m.stateDict();
      expect(Object.entries(sd).map(([k, v]) => [k, v.shape])).toEqual(ref[name].keys);
      expect(m.namedModules().map(([k, c]) => [k, c.constructor.name])).toEqual(ref[name].modules);
      expect(String(m)).toBe(ref[name].repr);
      const params = m.parameters().reduce((n, p) => n + p.numel(), 0);
      expect(params).toBe(ref[name].params);
      expect(params).toBe(M.getModelWeights(name).DEFAULT.meta.num_params);
      m.dispose();
    },
    300_000,
  );
});

describe('forward', () => {
  it.each([
    ['alexnet', 63],
    ['squeezenet1_0', 32],
    ['squeezenet1_1', 32],
    ['shufflenet_v2_x0_5', 16],
    ['mnasnet0_5', 16],
    ['mobilenet_v2', 16],
  ] as const)('%s gives [N, numClasses] logits from %ipx inputs, in train and eval mode', (name, size) => {
    torch.manualSeed(0);
    const m = M.getModel(name, { numClasses: 5 }) as nn.Module & { forward(x: Tensor): Tensor };
    const x = torch.randn([2, 3, size, size]);
    expect(m.forward(x).shape).toEqual([2, 5]);
    expect(torch.noGrad(() => m.eval().forward(x)).shape).toEqual([2, 5]);
    m.dispose();
  });
});

describe('argument checks', () => {
  it.each([
    [() => M.alexnet({ dropout: 2 }), /for dropout but received 2/],
    [() => M.alexnet({ num_classes: 3 } as object), /did you mean numClasses\?/],
    [() => new M.SqueezeNet('1_2' as '1_0'), /'1_0' or '1_1' for version/],
    [() => M.squeezenet1_1({ numClasses: 0 }), /for numClasses but received 0/],
    [() => new M.ShuffleNetV2([4, 8], [24, 48, 96, 192, 1024]), /list of 3 positive ints for stagesRepeats/],
    [() => new M.ShuffleNetInvertedResidual(24, 48, 1), /Invalid combination of stride 1, inp 24 and oup 48/],
    [() => new M.MNASNet(0), /alpha greater than 0.0/],
    [() => M.mnasnet1_0({ dropout: -1 }), /for dropout but received -1/],
    [() => new M.MobileNetV2({ invertedResidualSetting: [[1, 16, 1]] as never }), /4-element lists/],
    [() => new M.MobileNetV2InvertedResidual(16, 16, 3, 6), /a stride of 1 or 2 for stride/],
    [() => M.mobilenet_v2({ widthMul: 0.5 } as object), /did you mean widthMult\?/],
  ])('%#', (call, message) => {
    expect(call).toThrow(message);
  });
});

describe('positional arguments', () => {
  // The model classes take torchvision's arguments positionally, in its order, then options.
  const count = (m: nn.Module) => m.parameters().reduce((n, p) => n + p.numel(), 0);
  it("take torchvision's optional arguments in its order, as Python does", () => {
    const a = new M.AlexNet(10, 0);
    expect(a.classifier.at(6)).toMatchObject({ outFeatures: 10 });
    expect(count(new M.MobileNetV2(10, 0.5))).toBe(count(M.mobilenet_v2({ numClasses: 10, widthMult: 0.5 })));
    expect(count(new M.SqueezeNet('1_1', 7))).toBe(count(M.squeezenet1_1({ numClasses: 7 })));
    expect(count(new M.MNASNet(0.5, 10, 0.1))).toBe(count(M.mnasnet0_5({ numClasses: 10 })));
    expect(count(new M.ShuffleNetV2([4, 8, 4], [24, 48, 96, 192, 1024], 10))).toBe(
      count(M.shufflenet_v2_x0_5({ numClasses: 10 })),
    );
    const [setting, last] = M.mobilenetV3Conf('mobilenet_v3_small');
    expect(count(new M.MobileNetV3(setting, last, 10))).toBe(count(M.mobilenet_v3_small({ numClasses: 10 })));
    const [eff] = M.efficientnetConf('efficientnet_b0', { widthMult: 1, depthMult: 1 });
    expect(count(new M.EfficientNet(eff, 0.2, 0.2, 10))).toBe(count(M.efficientnet_b0({ numClasses: 10 })));
    const cn = [new M.CNBlockConfig(96, 192, 3), new M.CNBlockConfig(192, 384, 3)];
    cn.push(new M.CNBlockConfig(384, 768, 9), new M.CNBlockConfig(768, null, 3));
    expect(count(new M.ConvNeXt(cn, 0.1, 1e-6, 10))).toBe(count(M.convnext_tiny({ numClasses: 10 })));
  });
  it.each([
    [() => new M.AlexNet(10, 0.5, 3 as never), /AlexNet takes at most 2 optional positional arguments/],
    [() => new M.AlexNet(10, { numClasses: 10 }), /AlexNet got multiple values for argument numClasses/],
    [() => new M.MobileNetV2(10, { widht_mult: 1 } as object), /did you mean widthMult\?/],
  ])('%#: checked as Python checks them', (call, message) => {
    expect(call).toThrow(message);
  });
});

describe('builder options', () => {
  it.each(NAMES)("%s refuses Python's num_classes, naming numClasses, before building", (name) => {
    const builder = M.getModelBuilder(name) as (o: object) => nn.Module;
    expect(() => builder({ num_classes: 10 })).toThrow(/did you mean '?numClasses'?\?/);
  });
});

describe('inference graph', () => {
  // What predict and serve run: torch.jit.optimizeForInference (batch norm folded into the
  // convolutions, so the logits move by rounding only).
  it.each([
    'alexnet',
    'squeezenet1_0',
    'shufflenet_v2_x0_5',
    'mnasnet0_5',
    'mobilenet_v2',
    'mobilenet_v3_small',
    'efficientnet_b0',
    'efficientnet_v2_s',
    'regnet_y_400mf',
    'regnet_x_400mf',
    'convnext_tiny',
  ])('%s traces, freezes and optimises, with the eager logits', (name) => {
    torch.manualSeed(0);
    const m = M.getModel(name, { numClasses: 10 }) as nn.Module & { forward(x: Tensor): Tensor };
    m.eval();
    randomiseBatchNorm(m);
    const x = torch.randn([2, 3, 64, 64]);
    const eager = torch.noGrad(() => m.forward(x));
    const fast = torch.jit.optimizeForInference(m);
    const y = torch.noGrad(() => fast.forward(x));
    expect(relError(y, eager)).toBeLessThan(1e-4);
    m.dispose();
  });
});

describe('command line', () => {
  it("takes the new names, padded to torchvision's min_size", () => {
    for (const n of NAMES) expect(MODEL_NAMES).toContain(n);
    expect(minInputSize('alexnet')).toBe(63);
    expect(adaptInput('alexnet', torch.zeros([1, 1, 28, 28])).shape).toEqual([1, 3, 63, 63]);
    expect(minInputSize('mobilenet_v2')).toBe(1);
  });
});
