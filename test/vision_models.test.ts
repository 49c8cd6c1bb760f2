// vision.models VGG, DenseNet, GoogLeNet and Inception v3: builders, state-dict layout,
// training-mode outputs, initialisation and argument checks. Numerical agreement with
// torchvision is test/parity/models.test.ts.
import { describe, expect, it } from 'vitest';

import { adaptInput, buildModel, MODEL_NAMES } from '../lib/cli/models';
import { type nn, Tensor, torch, vision } from '../lib/index';
import { runReference } from './parity/fixtures';

const M = vision.models;

/** torchvision 0.14 (default arguments, aux heads included): [state-dict entries, parameters, last key]. */
const TORCHVISION: Record<string, [number, number, string]> = {
  vgg11: [22, 132863336, 'classifier.6.bias'],
  vgg11_bn: [62, 132868840, 'classifier.6.bias'],
  vgg13: [26, 133047848, 'classifier.6.bias'],
  vgg13_bn: [76, 133053736, 'classifier.6.bias'],
  vgg16: [32, 138357544, 'classifier.6.bias'],
  vgg16_bn: [97, 138365992, 'classifier.6.bias'],
  vgg19: [38, 143667240, 'classifier.6.bias'],
  vgg19_bn: [118, 143678248, 'classifier.6.bias'],
  densenet121: [727, 7978856, 'classifier.bias'],
  densenet161: [967, 28681000, 'classifier.bias'],
  densenet169: [1015, 14149480, 'classifier.bias'],
  densenet201: [1207, 20013928, 'classifier.bias'],
  googlenet: [364, 13004888, 'fc.bias'],
  inception_v3: [580, 27161264, 'fc.bias'],
};

const stats = (t: Tensor) => ({
  mean: t.mean().item() as number,
  std: t.std().item() as number,
  min: t.min().item() as number,
  max: t.max().item() as number,
});

describe('builders', () => {
  it.each(Object.entries(TORCHVISION))(
    "%s has torchvision's state-dict size, parameter count and last key",
    (name, [entries, params, last]) => {
      const build = (M as unknown as Record<string, (o?: object) => nn.Module>)[name];
      const m = name.startsWith('vgg') ? build({ initWeights: false }) : build();
      const keys = Object.keys(m.stateDict());
      expect(keys.length).toBe(entries);
      expect(keys.at(-1)).toBe(last);
      expect(m.parameters().reduce((n, p) => n + p.numel(), 0)).toBe(params);
      m.dispose();
    },
  );

  it("uses torchvision's key names", () => {
    const d = M.densenet121({ numClasses: 3 });
    const dk = Object.keys(d.stateDict());
    expect(dk.slice(0, 6)).toEqual([
      'features.conv0.weight',
      'features.norm0.weight',
      'features.norm0.bias',
      'features.norm0.running_mean',
      'features.norm0.running_var',
      'features.norm0.num_batches_tracked',
    ]);
    expect(dk).toContain('features.denseblock1.denselayer1.norm1.weight');
    expect(dk).toContain('features.denseblock4.denselayer16.conv2.weight');
    expect(dk).toContain('features.transition3.conv.weight');
    expect(dk).toContain('features.norm5.running_var');
    const i = Object.keys(M.inception_v3({ numClasses: 3, initWeights: false }).stateDict());
    expect(i[0]).toBe('Conv2d_1a_3x3.conv.weight');
    expect(i).toContain('Mixed_5b.branch1x1.conv.weight');
    expect(i).toContain('Mixed_7c.branch3x3dbl_3b.bn.running_mean');
    expect(i).toContain('AuxLogits.fc.weight');
    // AuxLogits sits between Mixed_6e and Mixed_7a, as in torchvision.
    expect(i.findIndex((k) => k.startsWith('AuxLogits'))).toBeGreaterThan(
      i.findLastIndex((k) => k.startsWith('Mixed_6e')),
    );
    expect(i.findLastIndex((k) => k.startsWith('AuxLogits'))).toBeLessThan(
      i.findIndex((k) => k.startsWith('Mixed_7a')),
    );
    const g = Object.keys(M.googlenet({ numClasses: 3, initWeights: false }).stateDict());
    expect(g).toContain('inception3a.branch2.1.conv.weight');
    expect(g).toContain('inception3a.branch4.1.bn.weight');
    expect(g).toContain('aux1.fc2.bias');
    expect(Object.keys(M.vgg11({ numClasses: 3, initWeights: false }).stateDict()).slice(0, 4)).toEqual([
      'features.0.weight',
      'features.0.bias',
      'features.3.weight',
      'features.3.bias',
    ]);
    expect(
      Object.keys(M.googlenet({ auxLogits: false, initWeights: false }).stateDict()).some((k) => k.startsWith('aux')),
    ).toBe(false);
    expect(
      Object.keys(M.inception_v3({ auxLogits: false, initWeights: false }).stateDict()).some((k) =>
        k.startsWith('AuxLogits'),
      ),
    ).toBe(false);
  });

  it("prints torchvision's module names", () => {
    const s = M.densenet121().toString();
    expect(s).toMatch(
      /^DenseNet\(\n {2}\(features\): Sequential\(\n {4}\(conv0\): Conv2d\(3, 64, kernel_size=\(7, 7\)/,
    );
    expect(s).toContain('(denseblock1): _DenseBlock(');
    expect(s).toContain('(transition1): _Transition(');
    expect(M.googlenet({ initWeights: false }).toString()).toContain('(aux1): InceptionAux(');
    const i = M.inception_v3({ initWeights: false }).toString();
    expect(i).toContain('(Mixed_6a): InceptionB(');
    expect(i).toContain('eps=0.001');
  });
});

describe('forward', () => {
  it('VGG and DenseNet give [N, numClasses] logits from 32x32 inputs', () => {
    torch.manualSeed(0);
    const x = torch.randn([2, 3, 32, 32]);
    for (const m of [
      M.vgg11_bn({ numClasses: 7, initWeights: false }),
      M.densenet121({ numClasses: 7, dropRate: 0.2, memoryEfficient: true }),
    ]) {
      expect(m.forward(x).shape).toEqual([2, 7]);
      expect(torch.noGrad(() => m.eval().forward(x)).shape).toEqual([2, 7]);
      m.dispose();
    }
  });

  it('GoogLeNet returns GoogLeNetOutputs in training mode with aux heads, else logits', () => {
    torch.manualSeed(0);
    const x = torch.randn([2, 3, 32, 32]);
    const g = M.googlenet({ numClasses: 5 });
    const out = g.forward(x);
    expect(out).toBeInstanceOf(M.GoogLeNetOutputs);
    const o = out as InstanceType<typeof M.GoogLeNetOutputs>;
    const [logits, aux2, aux1] = o;
    expect(logits).toBe(o.logits);
    expect(aux2).toBe(o.auxLogits2);
    expect(aux1).toBe(o.auxLogits1);
    for (const t of [logits, aux2, aux1]) expect(t!.shape).toEqual([2, 5]);
    const y = torch.noGrad(() => g.eval().forward(x));
    expect(y).toBeInstanceOf(Tensor);
    expect((y as Tensor).shape).toEqual([2, 5]);
    expect(M.googlenet({ numClasses: 5, auxLogits: false }).forward(x)).toBeInstanceOf(Tensor);
  });

  it('Inception v3 returns logits in eval mode and without the aux head; 75x75 is its smallest input', () => {
    torch.manualSeed(0);
    const x = torch.randn([2, 3, 75, 75]);
    const m = M.inception_v3({ numClasses: 4, auxLogits: false });
    const y = m.forward(x);
    expect(y).toBeInstanceOf(Tensor);
    expect((y as Tensor).shape).toEqual([2, 4]);
    const e = M.inception_v3({ numClasses: 4 }).eval();
    expect((torch.noGrad(() => e.forward(x)) as Tensor).shape).toEqual([2, 4]);
    expect(() => torch.noGrad(() => e.forward(torch.randn([1, 3, 70, 70])))).toThrow(torch.TorchError);
  });

  it('InceptionOutputs destructures as (logits, auxLogits)', () => {
    const [a, b] = new M.InceptionOutputs(torch.ones([1]), null);
    expect((a as Tensor).item()).toBe(1);
    expect(b).toBeNull();
  });

  it("transformInput rescales ImageNet-normalised channels to the original weights' [-1, 1] scale", () => {
    torch.manualSeed(0);
    const plain = M.googlenet({ numClasses: 3, auxLogits: false }).eval();
    const transformed = M.googlenet({ numClasses: 3, auxLogits: false, transformInput: true }).eval();
    transformed.loadStateDict(plain.stateDict());
    const x = torch.randn([1, 3, 32, 32]);
    const by = (c: number, std: number, mean: number): Tensor =>
      x
        .select(1, c)
        .unsqueeze(1)
        .mul(std / 0.5)
        .add((mean - 0.5) / 0.5);
    const manual = torch.cat([by(0, 0.229, 0.485), by(1, 0.224, 0.456), by(2, 0.225, 0.406)], 1);
    expect(
      torch.equal(
        torch.noGrad(() => transformed.forward(x)) as Tensor,
        torch.noGrad(() => plain.forward(manual)) as Tensor,
      ),
    ).toBe(true);
  });
});

describe('initialisation', () => {
  it("follows torchvision's schemes", () => {
    torch.manualSeed(0);
    const v = M.vgg11({ numClasses: 10 });
    const conv = (v.features as nn.Sequential).at(0) as nn.Conv2d; // 64 x 3 x 3 x 3, fan_out 576
    expect(stats(conv.weight).std / Math.sqrt(2 / 576)).toBeCloseTo(1, 1);
    expect(stats(conv.bias!).max).toBe(0);
    const fc = v.classifier.at(0) as nn.Linear;
    expect(stats(fc.weight).std).toBeCloseTo(0.01, 4);
    expect(stats(fc.bias!).min).toBe(0);
    v.dispose();

    const i = M.inception_v3();
    const w = stats(i.Mixed_7c.branch_pool.conv.weight);
    expect(w.std / 0.1).toBeCloseTo(1, 1);
    expect(w.max).toBeLessThanOrEqual(2);
    // Only AuxLogits.fc's `stddev` is read by torchvision's init loop (0.001).
    expect(stats(i.AuxLogits!.fc.weight).std / 0.001).toBeCloseTo(1, 1);
    expect(stats(i.AuxLogits!.conv1.conv.weight).std / 0.1).toBeCloseTo(1, 1);
    expect(stats(i.Mixed_5b.branch1x1.bn.weight!).min).toBe(1);

    const g = M.googlenet();
    expect(stats(g.inception4e.branch1.conv.weight).std / 0.01).toBeCloseTo(1, 1);
    expect(stats(g.fc.weight).std / 0.01).toBeCloseTo(1, 1);

    const d = M.densenet121();
    const c = d.features.at(0) as nn.Conv2d; // fan_in 3 * 49
    expect(stats(c.weight).std / Math.sqrt(2 / 147)).toBeCloseTo(1, 1);
    expect(stats(d.classifier.bias!).max).toBe(0);
  });
});

describe('argument checks', () => {
  it.each([
    [() => M.vgg11({ numClasses: 0 }), /Expected .* for numClasses but received 0/],
    [() => M.vgg16({ dropout: 2 }), /Expected a probability between 0 and 1 for dropout but received 2/],
    [() => M.googlenet({ dropoutAux: -0.1 }), /for dropoutAux but received -0.1/],
    [() => M.inception_v3({ dropout: 1.5 }), /for dropout but received 1.5/],
    [() => M.vgg11({ initWeights: 'yes' as unknown as boolean }), /for initWeights/],
    [() => M.densenet121({ dropRate: -1 }), /for dropRate but received -1/],
    [() => new M.DenseNet({ blockConfig: [6, 0] }), /for blockConfig\[1\] but received 0/],
    [() => M.googlenet({ auxLogits: 1 as unknown as boolean }), /for auxLogits/],
    [() => M.inception_v3({ numClasses: 1.5 }), /for numClasses but received 1.5/],
    [() => M.makeLayers([64, 'X' as 'M']), /for cfg\[1\]/],
    [() => new M.VGG({} as ConstructorParameters<typeof M.VGG>[0]), /Expected a Module for features/],
  ])('%#', (call, message) => {
    expect(call).toThrow(message);
  });
});

describe('command line', () => {
  it('lists and builds the new models; small grey images are repeated to 3 channels and padded to the minimum size', () => {
    for (const n of ['vgg11_bn', 'densenet121', 'googlenet', 'inception_v3']) expect(MODEL_NAMES).toContain(n);
    const x = torch.zeros([2, 1, 28, 28]);
    expect(adaptInput('vgg11', x).shape).toEqual([2, 3, 32, 32]);
    expect(adaptInput('densenet121', x).shape).toEqual([2, 3, 29, 29]);
    expect(adaptInput('inception_v3', x).shape).toEqual([2, 3, 75, 75]);
    expect(adaptInput('googlenet', x).shape).toEqual([2, 3, 28, 28]);
    expect(adaptInput('resnet8', x).shape).toEqual([2, 1, 28, 28]);
    const g = buildModel('googlenet', 10, 1);
    expect(g.forward(adaptInput('googlenet', x)).shape).toEqual([2, 10]); // no aux outputs in training
    const i = buildModel('inception_v3', 10, 1);
    expect(torch.noGrad(() => i.eval().forward(adaptInput('inception_v3', x))).shape).toEqual([2, 10]);
  });
});

describe('repr', () => {
  const NAMES = ['resnet18', 'vgg11', 'densenet121', 'googlenet', 'inception_v3'];
  it("prints as torchvision's model prints (repr)", { timeout: 300_000 }, () => {
    const ref = JSON.parse(runReference('torchvision_keys.py', NAMES)) as Record<string, { repr: string }>;
    for (const n of NAMES) {
      const m = M.getModel(n);
      expect(String(m)).toBe(ref[n].repr);
      m.dispose();
    }
  });
});
