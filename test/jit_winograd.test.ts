// optimizeForInference's Winograd convolutions (native/jit_winograd.cc): 3x3 stride-1
// float32 convolutions, with the residual add and ReLU after them, computed as F(4x4, 3x3) or
// F(2x2, 3x3) inside the oneDNN-fused plan. The oracle is PyTorch running the same model traced in
// float64 (the direct convolution, rounded 2^29 times finer); the bound is the 1e-4
// relative, and no worse than 20x the error of oneDNN's own direct float32 kernels on the same
// plan, so that a wrong transform (an error of order 1) or a lost tile edge cannot pass.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { nn, type Tensor, torch } from '../lib/index';
import { randomiseBatchNorm } from './batchnorm';
import { relError } from './compare';
import { runInPyTorch, tempDir } from './parity/fixtures';

const { jit } = torch;
torch.setNumThreads(1);

const dir = tempDir('jit-winograd');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `model` (float64) traced and run by PyTorch's torch.jit.load on `x`. */
function pytorchFloat64(model: nn.Module, x: Tensor, tag: string): Tensor {
  const file = path.join(dir, `${tag}.pt`);
  jit.trace(model, x).save(file);
  return runInPyTorch(file, [x], dir);
}

/** A residual block as a PyTorch user writes it: in-place add of the identity, then ReLU. */
class Block extends nn.Module {
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  relu = new nn.ReLU({ inplace: true });
  conv2: nn.Conv2d;
  bn2: nn.BatchNorm2d;
  constructor(c: number) {
    super();
    this.conv1 = new nn.Conv2d(c, c, 3, { padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(c);
    this.conv2 = new nn.Conv2d(c, c, 3, { padding: 1, bias: false });
    this.bn2 = new nn.BatchNorm2d(c);
  }
  forward(x: Tensor): Tensor {
    let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
    out = this.bn2.forward(this.conv2.forward(out));
    out.add_(x);
    return this.relu.forward(out);
  }
}

/**
 * Convolutions of every kind the rewrite meets: a stem with 3 input channels (direct: not a
 * multiple of 16), a block (conv + ReLU, conv + add + ReLU), a biased conv to 48 channels
 * with a ReLU, a conv whose sum with alpha 2 stays outside it, and one to 24 channels (direct).
 */
class Net extends nn.Module {
  stem = new nn.Conv2d(3, 32, 3, { padding: 1 });
  bn = new nn.BatchNorm2d(32);
  block = new Block(32);
  widen = new nn.Conv2d(32, 48, 3, { padding: 1 });
  mix = new nn.Conv2d(48, 48, 3, { padding: 1 });
  head = new nn.Conv2d(48, 24, 3, { padding: 1 });
  forward(x: Tensor): Tensor {
    const h = this.block.forward(this.bn.forward(this.stem.forward(x)).relu());
    const w = this.widen.forward(h).relu();
    return this.head.forward(w.add(this.mix.forward(w), { alpha: 2 }));
  }
}

const winogradNodes = (plan: string) => plan.match(/torchts::winograd_conv2d/g)?.length ?? 0;

describe('optimizeForInference: Winograd convolutions', () => {
  it('matches PyTorch in float64 on odd-sized maps, with the add and ReLU folded in', () => {
    torch.manualSeed(7);
    const model = new Net().eval();
    randomiseBatchNorm(model);
    // 30x26: tiles cut by both edges; 2 x 8 x 7 = 112 tiles per convolution.
    const x = torch.randn([2, 3, 30, 26]);
    const ref = pytorchFloat64(model.double(), x.double(), 'net');
    model.float();
    const fast = jit.optimizeForInference(model);
    const direct = jit.optimizeForInference(model, { winograd: false });
    const y = torch.noGrad(() => fast.forward(x));
    const plan = jit.lastExecutedOptimizedGraph() ?? '';
    // block.conv1 (+ ReLU), block.conv2 (+ add + ReLU), widen (+ ReLU), mix; not stem, head.
    expect(winogradNodes(plan)).toBe(4);
    expect(plan).toContain('prim::oneDNNFusionGroup');
    const yd = torch.noGrad(() => direct.forward(x));
    expect(winogradNodes(jit.lastExecutedOptimizedGraph() ?? '')).toBe(0);
    const err = relError(y, ref);
    const errDirect = relError(yd, ref);
    expect(err).toBeLessThan(1e-4);
    expect(err).toBeLessThan(20 * Math.max(errDirect, 1e-7));
    // Channels-last input: the partitions' guards fail and their fallbacks run; the Winograd
    // nodes take any layout.
    const ycl = torch.noGrad(() => fast.forward(x.contiguous('channelsLast')));
    expect(relError(ycl, ref)).toBeLessThan(1e-4);
    // An input that requires grad, with grad on: the plan (made under no_grad) runs the direct
    // convolutions instead, and the gradient is eager's.
    const xg = x.clone().requiresGrad_();
    fast.forward(xg).square().sum().backward();
    const xe = x.clone().requiresGrad_();
    model.forward(xe).square().sum().backward();
    expect(relError(xg.grad as Tensor, xe.grad as Tensor)).toBeLessThan(1e-4);
    fast.dispose();
    direct.dispose();
  }, 120_000);

  it('picks F(4x4) or F(2x2) by tile count; small maps, strides and dilations stay direct', () => {
    torch.manualSeed(8);
    const net = new nn.Sequential(
      new nn.Conv2d(16, 16, 3, { padding: 1 }),
      new nn.ReLU(),
      new nn.Conv2d(16, 32, 3, { padding: 2, dilation: 2 }),
      new nn.Conv2d(32, 32, 3, { padding: 1, stride: 2 }),
    ).eval();
    // 8x8 maps at batch 1: 4 tiles of 4x4 and 16 of 2x2, fewer than the 32 that make either
    // algorithm pay; at batch 2, 32 of 2x2 (F(2x2, 3x3)); at 4 x 24x24, 144 of 4x4 (F(4x4, 3x3)).
    const cases: [Tensor, number][] = [
      [torch.randn([1, 16, 8, 8]), 0],
      [torch.randn([2, 16, 8, 8]), 1],
      [torch.randn([4, 16, 24, 24]), 1],
    ];
    const fast = jit.optimizeForInference(net);
    for (const [x, nodes] of cases) {
      const ref = pytorchFloat64(net.double(), x.double(), `seq${x.shape.join('x')}`);
      net.float();
      const y = torch.noGrad(() => fast.forward(x));
      expect(winogradNodes(jit.lastExecutedOptimizedGraph() ?? '')).toBe(nodes);
      expect(relError(y, ref)).toBeLessThan(1e-4);
    }
    fast.dispose();
  }, 120_000);

  it('keeps eager semantics: views, summed convolutions, mutation, NaN, many threads', () => {
    torch.manualSeed(9);
    const conv = () => new nn.Conv2d(16, 16, 3, { padding: 1 });
    /** conv + ReLU then a view (needs the contiguous layout); relu(a(x) + b(x)). */
    class Shapes extends nn.Module {
      a = conv();
      b = conv();
      c = conv();
      forward(x: Tensor): Tensor {
        const h = this.a.forward(x).relu();
        const s = this.b.forward(h).add(this.c.forward(h)).relu();
        return s.view([s.shape[0], -1]);
      }
    }
    /** h is written between the convolution that reads it and the add that reads it again. */
    class Mutates extends nn.Module {
      a = conv();
      b = conv();
      forward(x: Tensor): Tensor {
        const h = this.a.forward(x);
        const y = this.b.forward(h);
        h.mul_(2);
        return y.add(h).relu();
      }
    }
    // 9x7 maps at batch 2: F(2x2, 3x3) with tiles cut by both edges (2 x 5 x 4 tiles).
    const x = torch.randn([2, 16, 9, 7]);
    for (const [model, tag, nodes] of [
      [new Shapes().eval(), 'shapes', 3],
      [new Mutates().eval(), 'mutates', 1],
    ] as const) {
      const ref = pytorchFloat64(model.double(), x.double(), tag);
      model.float();
      const fast = jit.optimizeForInference(model);
      const y = torch.noGrad(() => fast.forward(x));
      expect(winogradNodes(jit.lastExecutedOptimizedGraph() ?? ''), tag).toBe(nodes);
      expect(relError(y, ref), tag).toBeLessThan(1e-4);
      fast.dispose();
    }
    // A NaN in the input is never hidden (it spreads to its whole tile, wider than eager's 3x3).
    const seq = new nn.Sequential(conv(), new nn.ReLU()).eval();
    const xn = torch.randn([2, 16, 12, 12]);
    xn.indexPut_([1, 3, 5, 6], Number.NaN);
    const fastSeq = jit.optimizeForInference(seq);
    const yn = torch.noGrad(() => fastSeq.forward(xn));
    const en = torch.noGrad(() => seq.forward(xn));
    expect(en.isnan().sum().item()).toBeGreaterThan(0);
    expect(en.isnan().logicalAnd(yn.isnan().logicalNot()).sum().item()).toBe(0);
    fastSeq.dispose();
    // 2 threads, few tiles for large filters (128 channels, 12x12 at batch 1): the threads
    // split the products rather than the tiles.
    torch.setNumThreads(2);
    try {
      const wide = new nn.Sequential(new nn.Conv2d(128, 128, 3, { padding: 1 }), new nn.ReLU()).eval();
      const xw = torch.randn([1, 128, 12, 12]);
      const ref = pytorchFloat64(wide.double(), xw.double(), 'wide');
      wide.float();
      const fastWide = jit.optimizeForInference(wide);
      expect(
        relError(
          torch.noGrad(() => fastWide.forward(xw)),
          ref,
        ),
      ).toBeLessThan(1e-4);
      expect(winogradNodes(jit.lastExecutedOptimizedGraph() ?? '')).toBe(1);
      fastWide.dispose();
    } finally {
      torch.setNumThreads(1);
    }
  }, 120_000);

  it('takes winograd as a boolean option', () => {
    const net = new nn.Conv2d(16, 16, 3).eval();
    expect(() => jit.optimizeForInference(net, { winograd: 1 } as never)).toThrow(/winograd/);
    expect(() => jit.optimizeForInference(net, { winogard: false } as never)).toThrow(/did you mean winograd/);
  });
});
