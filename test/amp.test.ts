// Mixed precision: torch.autocast and torch.amp.GradScaler against real PyTorch
// (scripts/reference/amp_steps.py) on the CPU, where both run the same libtorch kernels:
// bfloat16 autocast forward/backward, and a GradScaler + SGD loop in which one batch
// overflows (its step is skipped and the scale backs off) and the scale grows every 2
// clean steps. Tolerance 0, as the README's "exactly" says: the same kernels in the same
// order give the same bits.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { nn, optim, torch, TorchError, type Tensor } from '../lib/index';
import { expectRel as expectRelTo } from './compare';
import { type Fixtures, readFixtures, runReference, tempDir, under, writeFixtures } from './parity/fixtures';

const REL = 0;
const STEPS = 6;
const INF_STEP = 2;

const makeModel = (): nn.Sequential =>
  new nn.Sequential(
    new nn.Conv2d(3, 4, 3),
    new nn.BatchNorm2d(4),
    new nn.ReLU(),
    new nn.Flatten(),
    new nn.Linear(4 * 6 * 6, 5),
  );

let dir: string;
let init: Fixtures;
let data: Fixtures;
let ref: Fixtures;
let dtypes: Record<string, string>;

function freshModel(): nn.Sequential {
  const m = makeModel();
  m.loadStateDict(init);
  return m;
}

const expectRel = (actual: Tensor, expected: Tensor, what: string): void => expectRelTo(actual, expected, REL, what);

beforeAll(() => {
  dir = tempDir('amp');
  torch.manualSeed(3);
  init = Object.fromEntries(Object.entries(makeModel().stateDict()).map(([k, v]) => [k, torch.keep(v.clone())]));
  data = {};
  for (let t = 0; t < STEPS; t++) {
    const x = torch.randn([4, 3, 8, 8]);
    if (t === INF_STEP) x.indexPut_([0, 0, 0, 0], Infinity);
    data[`x${t}`] = torch.keep(x);
    data[`y${t}`] = torch.keep(torch.randint(0, 5, [4]));
  }
  writeFixtures(path.join(dir, 'in'), {
    ...Object.fromEntries(Object.entries(init).map(([k, v]) => [`init/${k}`, v])),
    ...data,
  });
  runReference('amp_steps.py', [path.join(dir, 'in'), path.join(dir, 'out')]);
  ref = readFixtures(path.join(dir, 'out'));
  dtypes = JSON.parse(fs.readFileSync(path.join(dir, 'out', 'dtypes.json'), 'utf8')) as Record<string, string>;
}, 300_000);
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("torch.autocast('cpu', bfloat16) against PyTorch", () => {
  it('eval forward: same values and dtype', () => {
    const m = freshModel().eval();
    const y = torch.tidy(() =>
      torch.noGrad(() => torch.autocast('cpu', { dtype: 'bfloat16' }, () => m.forward(data.x0))),
    );
    expect(`torch.${y.dtype}`).toBe(dtypes.eval_out);
    expectRel(y.float(), ref['autocast/eval_out'], 'eval output');
  });

  it('train forward, loss (float32 under autocast) and float32 gradients', () => {
    const m = freshModel().train();
    const [y, loss] = torch.autocast('cpu', () => {
      const out = m.forward(data.x0);
      return [out, new nn.CrossEntropyLoss().forward(out, data.y0)];
    });
    expect(`torch.${y.dtype}`).toBe(dtypes.train_out);
    expect(`torch.${loss.dtype}`).toBe(dtypes.loss);
    expectRel(y.float(), ref['autocast/train_out'], 'train output');
    expectRel(loss, ref['autocast/loss'], 'loss');
    loss.backward(); // outside the region, as PyTorch recommends
    const grads = under(ref, 'autocast/grad/');
    for (const [k, p] of m.namedParameters()) {
      expect(`torch.${p.grad!.dtype}`, k).toBe(dtypes[`grad/${k}`]);
      expectRel(p.grad!, grads[k], `grad ${k}`);
    }
  });
});

describe('torch.amp.GradScaler against PyTorch', () => {
  it(`a ${STEPS}-step loop: scale, growth tracker, skipped step and parameters after each step`, () => {
    const m = freshModel().train();
    const opt = new optim.SGD(m.parameters(), { lr: 0.05, momentum: 0.9 });
    const scaler = new torch.amp.GradScaler('cpu', { initScale: 1024, growthInterval: 2 });
    const base = torch.memory().liveTensors;
    for (let t = 0; t < STEPS; t++) {
      const stepped = torch.tidy(() => {
        opt.zeroGrad();
        const loss = torch.autocast('cpu', () =>
          new nn.CrossEntropyLoss().forward(m.forward(data[`x${t}`]), data[`y${t}`]),
        );
        scaler.scale(loss).backward();
        const ran = scaler.step(opt);
        scaler.update();
        return ran;
      });
      expect(stepped, `step ${t} ran`).toBe(ref[`scaler/stepped${t}`].item() === 1);
      expect(scaler.getScale(), `scale after step ${t}`).toBe(ref[`scaler/scale${t}`].item());
      expect(scaler.stateDict()._growth_tracker, `growth tracker after step ${t}`).toBe(
        ref[`scaler/tracker${t}`].item(),
      );
      const expected = under(ref, `scaler/step${t}/`);
      for (const [k, p] of m.namedParameters()) expectRel(p, expected[k], `step ${t}: ${k}`);
    }
    expect(ref[`scaler/stepped${INF_STEP}`].item()).toBe(0); // the reference did skip the overflowing step
    // Per-step flags and temporaries are freed; what remains is new state: the momentum
    // buffers and the scaler's scale and growth tracker.
    expect(torch.memory().liveTensors - base).toBe(m.parameters().length + 2);
  });
});

describe('autocast regions', () => {
  const x = torch.keep(torch.randn([2, 4]));
  const lin = new nn.Linear(4, 3);

  it('restore the previous state on return and on throw, and nest', () => {
    expect(torch.amp.isAutocastEnabled('cpu')).toBe(false);
    torch.autocast('cpu', () => {
      expect(torch.amp.isAutocastEnabled('cpu')).toBe(true);
      torch.autocast('cpu', { enabled: false }, () => {
        expect(torch.amp.isAutocastEnabled('cpu')).toBe(false);
        expect(lin.forward(x).dtype).toBe('float32');
      });
      expect(lin.forward(x).dtype).toBe('bfloat16');
    });
    expect(() =>
      torch.autocast('cpu', () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(torch.amp.isAutocastEnabled('cpu')).toBe(false);
    expect(lin.forward(x).dtype).toBe('float32');
  });

  it('float16 on the CPU when asked', () => {
    expect(torch.autocast('cpu', { dtype: 'float16' }, () => lin.forward(x)).dtype).toBe('float16');
    expect(torch.autocast('cpu', { dtype: 'half' as 'float16' }, () => lin.forward(x)).dtype).toBe('float16');
  });

  it('refuse async functions, bad devices, dtypes and options with clear errors', () => {
    expect(() => torch.autocast('cpu', async () => 1)).toThrow(/fn must be synchronous/);
    expect(torch.amp.isAutocastEnabled('cpu')).toBe(false);
    expect(() => torch.autocast('tpu' as 'cpu', () => 1)).toThrow(/Expected 'cpu' or 'cuda' for deviceType/);
    expect(() => torch.autocast('cpu', { dtype: 'int64' }, () => 1)).toThrow(
      /Expected one of bfloat16, float16 \(autocast on cpu\) for dtype/,
    );
    expect(() => torch.autocast('cpu', { dtype: 'float8' as 'float16' }, () => 1)).toThrow(/for dtype/);
    expect(() => torch.autocast('cpu', { enabled: 1 as unknown as boolean }, () => 1)).toThrow(
      /Expected a boolean for enabled/,
    );
    expect(() => torch.autocast('cpu', {}, undefined as unknown as () => void)).toThrow(/Expected a function for fn/);
  });

  it.runIf(!torch.cuda.isAvailable())("autocast('cuda') without CUDA warns once and runs in float32", () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(torch.autocast('cuda', () => lin.forward(x)).dtype).toBe('float32');
    torch.autocast('cuda', () => undefined);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
  });
});

describe('GradScaler misuse', () => {
  function setup(): { m: nn.Linear; opt: optim.SGD; scaler: InstanceType<typeof torch.amp.GradScaler> } {
    const m = new nn.Linear(3, 2);
    return { m, opt: new optim.SGD(m.parameters(), { lr: 0.1 }), scaler: new torch.amp.GradScaler('cpu') };
  }
  const backward = (m: nn.Linear, s: InstanceType<typeof torch.amp.GradScaler>): void =>
    torch.tidy(() => s.scale(m.forward(torch.ones([1, 3])).sum()).backward());

  it('follows PyTorch state machine errors', () => {
    const { m, opt, scaler } = setup();
    expect(() => scaler.step(opt)).toThrow(TorchError);
    expect(() => scaler.update()).toThrow(/no scale yet/);
    backward(m, scaler);
    scaler.unscale_(opt);
    expect(() => scaler.unscale_(opt)).toThrow(
      'unscale_() has already been called on this optimizer since the last update().',
    );
    expect(scaler.step(opt)).toBe(true);
    expect(() => scaler.step(opt)).toThrow('step() has already been called since the last update().');
    expect(() => scaler.unscale_(opt)).toThrow('unscale_() is being called after step().');
    scaler.update();
    opt.zeroGrad();
    torch.tidy(() =>
      scaler
        .scale(
          m
            .forward(torch.ones([1, 3]))
            .sum()
            .mul(0),
        )
        .backward(),
    );
    expect(scaler.step(opt)).toBe(true);
  });

  it('unscales gradients exactly (divides by the scale)', () => {
    const { m, opt, scaler } = setup();
    backward(m, scaler);
    const scaled = m.weight.grad!.clone();
    scaler.unscale_(opt);
    expect(torch.allclose(m.weight.grad!.mul(65536), scaled)).toBe(true);
  });

  it('refuses float16 gradients, bad options and bad state dicts', () => {
    const m = new nn.Linear(3, 2).to('float16');
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    const scaler = new torch.amp.GradScaler('cpu');
    torch.tidy(() => scaler.scale(m.forward(torch.ones([1, 3], { dtype: 'float16' })).sum()).backward());
    expect(() => scaler.unscale_(opt)).toThrow('Attempting to unscale FP16 gradients.');
    expect(() => new torch.amp.GradScaler('tpu')).toThrow(/Expected 'cuda' or 'cpu' for device/);
    expect(() => new torch.amp.GradScaler('cpu', { growthFactor: 0.5 })).toThrow(
      /Expected a number > 1 for growthFactor/,
    );
    expect(() => new torch.amp.GradScaler('cpu', { backoffFactor: 2 })).toThrow(/backoffFactor/);
    expect(() => new torch.amp.GradScaler('cpu', { growthInterval: 0 })).toThrow(/growthInterval/);
    expect(() => new torch.amp.GradScaler('cpu').loadStateDict({})).toThrow(/source state dict is empty/);
    expect(() => new torch.amp.GradScaler('cpu').loadStateDict({ scale: 'x' as unknown as number })).toThrow(
      /state.scale/,
    );
  });

  it('round-trips its state dict (PyTorch keys)', () => {
    const { m, opt, scaler } = setup();
    backward(m, scaler);
    scaler.step(opt);
    scaler.update(512);
    const other = new torch.amp.GradScaler('cpu');
    other.loadStateDict(scaler.stateDict());
    expect(other.stateDict()).toEqual({
      scale: 512,
      growth_factor: 2,
      backoff_factor: 0.5,
      growth_interval: 2000,
      _growth_tracker: 0,
    });
  });

  it.runIf(!torch.cuda.isAvailable())("GradScaler('cuda') without CUDA warns and passes everything through", () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const scaler = new torch.amp.GradScaler();
    warn.mockRestore();
    expect(scaler.isEnabled()).toBe(false);
    const t = torch.ones([2]);
    expect(scaler.scale(t)).toBe(t);
    expect(scaler.getScale()).toBe(1);
    expect(scaler.stateDict()).toEqual({});
  });
});
