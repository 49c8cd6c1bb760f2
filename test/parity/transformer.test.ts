// nn.MultiheadAttention and the Transformer layers against real PyTorch
// (scripts/reference/transformer_parity.py). Each module is built under the same seed on both
// sides: torchts's fresh state dict must equal PyTorch's (same keys, in the same order, same
// values: the same initialisation). The forward runs under the same seed again (dropout draws
// the same masks), then (out * proj).sum() is backpropagated; outputs, attention weights,
// input and parameter gradients are compared.
//
// Tolerance 0 (rtol = atol = 0, NaN fails): both sides run the same libtorch kernels in the
// same order (the slow path composes linear/bmm/baddbmm/softmax/SDPA exactly as
// torch/nn/functional.py does; the fast path is the same _native_multi_head_attention call).
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { nn, torch, type Tensor } from '../../lib/index';
import { expectClose, type Tolerance } from '../compare';
import { type Fixtures, readFixtures, runReference, tempDir, under } from './fixtures';

const EXACT: Tolerance = { rtol: 0, atol: 0 };
const E = 8;

type Wiring = 'self' | 'kv' | 'qkv';
type Mode = 'train' | 'eval' | 'fast';
interface MhaCase {
  make: () => nn.MultiheadAttention;
  wiring: Wiring;
  kwargs?: nn.MultiheadAttentionForwardOptions;
  mode: Mode;
}

/** The torchts side of each case of MHA in transformer_parity.py. */
const MHA: Record<string, MhaCase> = {
  mha_self: { make: () => new nn.MultiheadAttention(E, 2), wiring: 'self', mode: 'train' },
  mha_self_noweights: {
    make: () => new nn.MultiheadAttention(E, 2),
    wiring: 'self',
    kwargs: { needWeights: false },
    mode: 'train',
  },
  mha_unbatched: { make: () => new nn.MultiheadAttention(E, 4), wiring: 'self', mode: 'train' },
  mha_batch_first_eval: {
    make: () => new nn.MultiheadAttention(E, 2, { batchFirst: true }),
    wiring: 'self',
    kwargs: { needWeights: false },
    mode: 'eval',
  },
  mha_encdec: {
    make: () => new nn.MultiheadAttention(E, 2),
    wiring: 'kv',
    kwargs: { averageAttnWeights: false },
    mode: 'train',
  },
  mha_kdim_vdim_kpm: {
    make: () => new nn.MultiheadAttention(E, 2, { kdim: 6, vdim: 4 }),
    wiring: 'qkv',
    mode: 'train',
  },
  mha_bias_kv_zero_attn_mask: {
    make: () => new nn.MultiheadAttention(E, 2, 0.0, true, true, true),
    wiring: 'self',
    kwargs: { averageAttnWeights: false },
    mode: 'train',
  },
  mha_no_bias_causal: {
    make: () => new nn.MultiheadAttention(E, 2, { bias: false }),
    wiring: 'self',
    kwargs: { needWeights: false, isCausal: true },
    mode: 'train',
  },
  mha_3d_mask_weights: { make: () => new nn.MultiheadAttention(E, 2), wiring: 'self', mode: 'train' },
  mha_dropout: { make: () => new nn.MultiheadAttention(E, 2, { dropout: 0.3 }), wiring: 'self', mode: 'train' },
  mha_dropout_sdpa: {
    make: () => new nn.MultiheadAttention(E, 2, { dropout: 0.3 }),
    wiring: 'self',
    kwargs: { needWeights: false },
    mode: 'train',
  },
  mha_fast: { make: () => new nn.MultiheadAttention(E, 2, { batchFirst: true }), wiring: 'self', mode: 'fast' },
  mha_fast_kpm: {
    make: () => new nn.MultiheadAttention(E, 4, { batchFirst: true }),
    wiring: 'self',
    kwargs: { needWeights: false },
    mode: 'fast',
  },
};

let dir: string;
let ref: Fixtures;

beforeAll(() => {
  dir = tempDir('transformer-parity');
  runReference('transformer_parity.py', [dir]);
  ref = readFixtures(dir);
}, 300_000);
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

type Encoder = nn.Module & { forward(x: Tensor, options?: object): Tensor };
/** The torchts side of each case of ENCODER in transformer_parity.py. */
const ENCODER: Record<string, { make: () => Encoder; mode: Mode }> = {
  enc_layer_train_kpm: { make: () => new nn.TransformerEncoderLayer(E, 2, 16, 0.1), mode: 'train' },
  enc_layer_gelu_norm_first_causal: {
    make: () => new nn.TransformerEncoderLayer(E, 2, 16, 0.0, 'gelu', 1e-5, true, true),
    mode: 'eval',
  },
  enc_layer_fast_kpm: { make: () => new nn.TransformerEncoderLayer(E, 2, 16, { batchFirst: true }), mode: 'fast' },
  enc_layer_fast_gelu_norm_first: {
    make: () => new nn.TransformerEncoderLayer(E, 4, 16, { activation: 'gelu', batchFirst: true, normFirst: true }),
    mode: 'fast',
  },
  encoder_train_causal: {
    make: () => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(E, 2, 16, 0.1), 2, new nn.LayerNorm(E)),
    mode: 'train',
  },
  encoder_fast: {
    make: () => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(E, 2, 16, { batchFirst: true }), 3),
    mode: 'fast',
  },
};

it('covers every case of the reference script', () => {
  const cases = new Set(Object.keys(ref).map((k) => k.split('/')[0]));
  expect([...cases].sort()).toEqual([...Object.keys(MHA), ...Object.keys(ENCODER)].sort());
});

/** The fresh module's state equals PyTorch's under the same seed (keys, order, values). */
function expectSameInit(m: nn.Module, f: Fixtures): void {
  const state = under(f, 'state/');
  const mine = m.stateDict();
  expect(Object.keys(mine)).toEqual(Object.keys(state));
  for (const [k, t] of Object.entries(state)) {
    expect([...mine[k].shape], k).toEqual([...t.shape]);
    expectClose(mine[k], t, EXACT, `initial ${k}`);
  }
  expect(m.loadStateDict(state)).toEqual({ missingKeys: [], unexpectedKeys: [] });
}

/** The case's inputs: float ones requiring grad (unless fast), boolean masks as bool. */
function inputs(f: Fixtures, grad: boolean): { floats: Record<string, Tensor>; masks: Record<string, Tensor> } {
  const floats: Record<string, Tensor> = {};
  const masks: Record<string, Tensor> = {};
  const camel = (s: string): string => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  for (const [k, t] of Object.entries(under(f, 'in/'))) {
    if (k.startsWith('mask_bool/')) masks[camel(k.slice(10))] = torch.keep(t.to('bool'));
    else if (k === 'attn_mask') masks.attnMask = t;
    else if (k === 'src_mask' || k === 'mask') continue;
    else floats[k] = t.detach().requiresGrad_(grad);
  }
  return { floats, masks };
}

describe('MultiheadAttention', () => {
  it.each(Object.keys(MHA))('%s', (name) => {
    const f = under(ref, `${name}/`);
    const spec = MHA[name];
    const seed = Object.keys(MHA).indexOf(name);
    torch.manualSeed(seed);
    const m = spec.make();
    expectSameInit(m, f);
    const { floats, masks } = inputs(f, spec.mode !== 'fast');
    const [q, k, v] =
      spec.wiring === 'self'
        ? [floats.x, floats.x, floats.x]
        : spec.wiring === 'kv'
          ? [floats.q, floats.k, floats.k]
          : [floats.q, floats.k, floats.v];
    m.train(spec.mode === 'train');
    torch.manualSeed(seed + 1000);
    const run = () => m.forward(q, k, v, { ...masks, ...spec.kwargs });
    const [y, w] = spec.mode === 'fast' ? torch.noGrad(run) : run();
    expectClose(y, f.out, EXACT, 'output');
    if (f.weights) expectClose(w, f.weights, EXACT, 'attention weights');
    else expect(w).toBeNull();
    if (spec.mode === 'fast') return;
    y.mul(f.proj).sum().backward();
    for (const [n, t] of Object.entries(floats)) expectClose(t.grad, f[`grad_in/${n}`], EXACT, `gradient of ${n}`);
    const grads = under(f, 'grad/');
    expect(m.namedParameters().map(([n]) => n)).toEqual(Object.keys(grads));
    for (const [n, p] of m.namedParameters()) expectClose(p.grad, grads[n], EXACT, `gradient of ${n}`);
  });
});

describe('TransformerEncoderLayer, TransformerEncoder', () => {
  it.each(Object.keys(ENCODER))('%s', (name) => {
    const f = under(ref, `${name}/`);
    const spec = ENCODER[name];
    const seed = 100 + Object.keys(ENCODER).indexOf(name);
    torch.manualSeed(seed);
    const m = spec.make();
    expectSameInit(m, f);
    const { floats, masks } = inputs(f, spec.mode !== 'fast');
    for (const k of ['src_mask', 'mask']) {
      const t = under(f, 'in/')[k];
      if (t) masks[k === 'mask' ? 'mask' : 'srcMask'] = t;
    }
    m.train(spec.mode === 'train');
    torch.manualSeed(seed + 1000);
    const run = () => m.forward(floats.x, masks);
    const y = spec.mode === 'fast' ? torch.noGrad(run) : run();
    expectClose(y, f.out, EXACT, 'output');
    if (spec.mode === 'fast') return;
    y.mul(f.proj).sum().backward();
    expectClose(floats.x.grad, f['grad_in/x'], EXACT, 'input gradient');
    const grads = under(f, 'grad/');
    expect(m.namedParameters().map(([n]) => n)).toEqual(Object.keys(grads));
    for (const [n, p] of m.namedParameters()) expectClose(p.grad, grads[n], EXACT, `gradient of ${n}`);
  });
});

describe('MultiheadAttention arguments', () => {
  it('are checked as PyTorch checks them, options by name', () => {
    expect(() => new nn.MultiheadAttention(8, 3)).toThrow(RangeError);
    expect(() => new nn.MultiheadAttention(8, 2, { batch_first: true } as never)).toThrow(/batchFirst/);
    expect(() => new nn.MultiheadAttention(8, 2, 0.1, true, false, false, null, null, true, 1 as never)).toThrow(
      TypeError,
    );
    const m = new nn.MultiheadAttention(8, 2, 0.0, true, false, false, 6, 4, true);
    expect(Object.keys(m.stateDict())).toEqual([
      'q_proj_weight',
      'k_proj_weight',
      'v_proj_weight',
      'in_proj_bias',
      'out_proj.weight',
      'out_proj.bias',
    ]);
    const x = torch.randn([2, 3, 8]);
    expect(() => m.forward(x, x, x, { need_weight: false } as never)).toThrow(/needWeights/);
    expect(() => m.forward(x, torch.randn([2, 3, 5]), torch.randn([2, 3, 4]))).toThrow(RangeError);
    expect(String(m)).toBe(
      'MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)\n)',
    );
  });
});
