// Every transformer builder of torchvision 0.14 (vit_*, swin_*, swin_v2_*, maxvit_t) is built
// at its full size and compared with torchvision's own (scripts/reference/transformer_models.py
// keys, built there on the meta device): the same state-dict keys in the same order, the same
// shapes, and the same class at every submodule name (what repr() prints). Forward parity of
// the same classes is test/parity/transformer_models.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';

import { type nn, vision } from '../lib/index';
import { runReference } from './parity/fixtures';

interface Listing {
  state: [string, number[]][];
  modules: [string, string][];
}
type Builder = (o?: object) => nn.Module;

const BUILDERS = [
  'vit_b_16',
  'vit_b_32',
  'vit_l_16',
  'vit_l_32',
  'vit_h_14',
  'swin_t',
  'swin_s',
  'swin_b',
  'swin_v2_t',
  'swin_v2_s',
  'swin_v2_b',
  'maxvit_t',
];
const models = vision.models as unknown as Record<string, Builder>;
let ref: Record<string, Listing>;

beforeAll(() => {
  ref = JSON.parse(runReference('transformer_models.py', ['keys']));
}, 300_000);

describe('transformer builders', () => {
  it.each(BUILDERS)('%s has torchvision state-dict keys, shapes and module classes', { timeout: 300_000 }, (name) => {
    const m = models[name]();
    try {
      const state = Object.entries(m.stateDict()).map(([k, t]) => [k, [...t.shape]]);
      expect(state).toEqual(ref[name].state);
      expect(m.namedModules().map(([k, c]) => [k, c.constructor.name])).toEqual(ref[name].modules);
      // torchvision's num_params of its weights; for ViT, of those made for the builder's
      // default 224x224 input (vit_h_14's DEFAULT is the 518x518 SWAG one: a longer position
      // embedding). Swin's and MaxViT's parameters do not depend on the input size.
      const n = m.parameters().reduce((a, p) => a + p.numel(), 0);
      const weights = [...vision.models.getModelWeights(name)];
      const matching = name.startsWith('vit') ? weights.filter((w) => w.meta.min_size[0] === 224) : weights;
      expect(matching.map((w) => w.meta.num_params)).toContain(n);
    } finally {
      m.dispose();
    }
  });

  it('are in the registry', () => {
    const names = vision.models.listModels();
    for (const n of BUILDERS) expect(names).toContain(n);
    expect(vision.models.getModelBuilder('swin_v2_t')).toBe(vision.models.swin_v2_t);
  });

  it('checks builder options by name', () => {
    expect(() => models.vit_b_16({ image_size: 32 })).toThrow(/imageSize/);
    expect(() => models.vit_b_16({ imageSize: 33 })).toThrow(RangeError);
    expect(() => models.swin_t({ stochastic_depth_prob: 0 })).toThrow(/stochasticDepthProb/);
    expect(() => models.swin_t({ block: null })).toThrow(/block/);
  });
});
