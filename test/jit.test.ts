// torch.jit: TorchScript files PyTorch scripted and traced (scripts/reference/jit_files.py)
// run with PyTorch's outputs; torchts models traced into TorchScript that PyTorch's
// torch.jit.load runs; optimizeForInference (freeze + optimize_for_inference) matching eager.
// Tolerance 0 where both sides run the same graph on the same kernels (libtorch 2.13 CPU on
// both sides); 1e-4 relative for the optimised graphs, whose folded batch norm and oneDNN
// kernels round differently from eager (the bound the issue sets).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { nn, type Tensor, torch, vision } from '../lib/index';
import { randomiseBatchNorm } from './batchnorm';
import { expectRel, relError } from './compare';
import { type Fixtures, readFixtures, runInPyTorch, runReference, tempDir } from './parity/fixtures';

const { jit } = torch;
torch.setNumThreads(1);

const dir = tempDir('jit');
const file = (name: string) => path.join(dir, name);
let fx: Fixtures;

beforeAll(() => {
  runReference('jit_files.py', ['make', dir]);
  fx = readFixtures(file('fixtures'));
}, 300_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A user-written residual network: conv + BN + ReLU, a block with an identity add, pooling, linear. */
class Block extends nn.Module {
  conv1 = new nn.Conv2d(8, 8, 3, { padding: 1, bias: false });
  bn1 = new nn.BatchNorm2d(8);
  conv2 = new nn.Conv2d(8, 8, 3, { padding: 1, bias: false });
  bn2 = new nn.BatchNorm2d(8);
  forward(x: Tensor): Tensor {
    const out = this.bn2.forward(this.conv2.forward(this.bn1.forward(this.conv1.forward(x)).relu()));
    return out.add(x).relu();
  }
}
class UserNet extends nn.Module {
  stem = new nn.Conv2d(3, 8, 3, { padding: 1 });
  bn = new nn.BatchNorm2d(8);
  act = new nn.ReLU({ inplace: true });
  block = new Block();
  pool = new nn.AdaptiveAvgPool2d(1);
  fc = new nn.Linear(8, 4);
  forward(x: Tensor): Tensor {
    const h = this.block.forward(this.act.forward(this.bn.forward(this.stem.forward(x))));
    return this.fc.forward(torch.flatten(this.pool.forward(h), 1));
  }
}
/** Linear layers with ReLUs between them (linear + activation fusion). */
class MLP extends nn.Module {
  fc1 = new nn.Linear(16, 32);
  fc2 = new nn.Linear(32, 32);
  fc3 = new nn.Linear(32, 5);
  forward(x: Tensor): Tensor {
    return this.fc3.forward(this.fc2.forward(this.fc1.forward(x).relu()).relu());
  }
}

describe('jit.load: files PyTorch wrote', () => {
  it('runs a scripted module: forward with its default and given arguments, an exported method', () => {
    const m = jit.load(file('scripted.pt'));
    expect(m.methods().sort()).toEqual(['encode', 'forward']);
    expect(m.hasMethod('encode')).toBe(true);
    torch.tidy(() => {
      expectRel(m.forward(fx.x) as Tensor, fx.forward, 0, 'forward(x)');
      expectRel(m.forward(fx.x, 3) as Tensor, fx.forward_scale3, 0, 'forward(x, 3.0)');
      const [h, d] = m.callMethod('encode', fx.x) as [Tensor, Record<string, Tensor>];
      expectRel(h, fx['encode/h'], 0, 'encode: h');
      expect(Object.keys(d).sort()).toEqual(['max', 'sum']);
      expectRel(d.sum, fx['encode/sum'], 0, 'encode: sum');
      expectRel(d.max, fx['encode/max'], 0, 'encode: max');
    });
    m.dispose();
  });

  it("reads parameters and buffers under PyTorch's names, sharing the module's memory", () => {
    const m = jit.load(file('scripted.pt'));
    const params = m.namedParameters();
    expect(params.map(([k]) => k)).toEqual(['bn.weight', 'bn.bias', 'fc.weight', 'fc.bias']);
    for (const [k, t] of params) expectRel(t, fx[`param/${k}`], 0, k);
    const buffers = Object.fromEntries(m.namedBuffers());
    expect(Object.keys(buffers)).toEqual(['bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
    expectRel(buffers['bn.running_mean'], fx['buffer/bn.running_mean'], 0, 'running_mean');
    expect(m.parameters(false)).toEqual([]);
    expect(Object.keys(m.stateDict())).toHaveLength(7);
    // Shared memory: zeroing the fc weight through the tensor changes what forward computes.
    torch.noGrad(() => params[3][1].zero_());
    torch.noGrad(() => params[2][1].zero_());
    expectRel(m.forward(fx.x) as Tensor, torch.zeros([4, 3]), 0, 'forward after zeroing fc');
    m.dispose();
  });

  it('switches train/eval mode and moves or casts its tensors with to()', () => {
    const m = jit.load(file('scripted.pt'));
    expect(m.training).toBe(false);
    expect(m.train().training).toBe(true);
    expect(m.eval().training).toBe(false);
    m.to('float64');
    expect(m.parameters()[0].dtype).toBe('float64');
    expectRel(m.forward(fx.x.double()) as Tensor, fx.forward.double(), 1e-6, 'float64 forward');
    m.to({ dtype: 'float32', device: 'cpu' });
    expect(m.parameters()[0].dtype).toBe('float32');
    expect(() => m.to({ dtype: 'float32', devcie: 'cpu' } as never)).toThrow(/did you mean device/);
    m.dispose();
  });

  it('runs a traced module as PyTorch does', () => {
    const m = jit.load(file('traced.pt'));
    torch.tidy(() => expectRel(m.forward(fx.img) as Tensor, fx.traced, 0, 'traced forward'));
    expect(m.graph()).toContain('aten::flatten');
    m.dispose();
  });

  it('rejects wrong arguments with a TorchError naming them, and a disposed module', () => {
    const m = jit.load(file('scripted.pt'));
    expect(() => m.forward('x')).toThrow(/Tensor for argument 'x' of forward\(\) but received 'x'/);
    expect(() => m.forward(fx.x, fx.x)).toThrow(/float for argument 'scale'/);
    expect(() => m.forward(fx.x, 1, 2)).toThrow(torch.TorchError);
    expect(() => m.forward()).toThrow(/missing argument 'x'/);
    expect(() => m.callMethod('decode', fx.x)).toThrow(/no method 'decode'/);
    expect(() => m.forward(new Map() as never)).toThrow(TypeError);
    expect(() => m.forward(torch.zeros([4, 5]))).toThrow(torch.TorchError);
    m.dispose();
    expect(() => m.forward(fx.x)).toThrow(/disposed/);
  });

  it('fails with a clear TorchError on missing, damaged or non-TorchScript files', () => {
    expect(() => jit.load(file('missing.pt'))).toThrow(/no such file/);
    expect(() => jit.load(file('corrupt.pt'))).toThrow(/corrupt.pt is not a TorchScript file/);
    expect(() => jit.load(file('state.pt'))).toThrow(/state.pt is not a TorchScript file/);
    fs.writeFileSync(file('noise.pt'), Buffer.from(Array.from({ length: 4096 }, (_, k) => (k * 7919) % 256)));
    expect(() => jit.load(file('noise.pt'))).toThrow(torch.TorchError);
    expect(() => jit.load(file('scripted.pt'), { map_location: 'cpu' } as never)).toThrow(/did you mean mapLocation/);
  });
});

describe('jit.trace: torchts models as TorchScript', () => {
  it('records a user-written model that PyTorch loads and runs with the same result', () => {
    torch.manualSeed(1);
    const model = new UserNet().eval();
    randomiseBatchNorm(model);
    const x = torch.randn([2, 3, 12, 12]);
    const traced = jit.trace(model, x);
    expect(traced.namedParameters().map(([k]) => k)).toEqual(model.namedParameters().map(([k]) => k));
    expect(traced.namedBuffers().map(([k]) => k)).toEqual(model.namedBuffers().map(([k]) => k));
    const eager = torch.noGrad(() => model.forward(x));
    torch.tidy(() => expectRel(traced.forward(x) as Tensor, eager, 0, 'traced in torchts'));
    traced.save(file('user_traced.pt'));
    expectRel(runInPyTorch(file('user_traced.pt'), [x], dir), eager, 0, 'traced, run by PyTorch');
    // Loaded back by torchts, too; another batch size runs through the same graph.
    const back = jit.load(file('user_traced.pt'));
    const x5 = torch.randn([5, 3, 12, 12]);
    torch.tidy(() =>
      expectRel(
        back.forward(x5) as Tensor,
        torch.noGrad(() => model.forward(x5)),
        0,
        'batch 5',
      ),
    );
    back.dispose();
    traced.dispose();
  });

  it('rejects what it cannot trace', () => {
    const model = new MLP().eval();
    expect(() => jit.trace(model, 3 as never)).toThrow(/Tensor or an array of Tensors for exampleInputs\[0\]/);
    class Scalar extends nn.Module {
      forward(x: Tensor): number {
        return x.sum().item() as number;
      }
    }
    expect(() => jit.trace(new Scalar(), torch.ones([2]))).toThrow(/must return a Tensor/);
    expect(() => jit.trace({} as never, torch.ones([2]))).toThrow(/nn.Module/);
  });
});

describe('jit.optimizeForInference', () => {
  it('runs ResNet-18 through a frozen oneDNN graph within 1e-4 of eager', () => {
    torch.manualSeed(2);
    const model = vision.models.resnet18({ numClasses: 10 }).eval();
    randomiseBatchNorm(model);
    const fast = jit.optimizeForInference(model);
    const x = torch.randn([2, 3, 64, 64]);
    const eager = torch.noGrad(() => model.forward(x));
    const y = torch.noGrad(() => fast.forward(x));
    const err = relError(y, eager);
    expect(err).toBeLessThan(1e-4);
    // Fused: the executor's plan for this input runs everything but the global pooling and the
    // flatten in oneDNN Graph partitions (the stem conv + ReLU, the max pool, each block's
    // conv + ReLU and conv + add + ReLU, the 3 downsampling convs and the linear layer), each
    // behind a guard that falls back to the frozen graph for other inputs, except the 3x3
    // stride-1 convolutions of layer1 (16x16 maps: 4) and layer2 (8x8: 3), which are
    // Winograd's (test/jit_winograd.test.ts).
    expect(fast.scriptFor(x).graph()).not.toContain('batch_norm');
    torch.noGrad(() => fast.forward(x));
    const plan = (jit.lastExecutedOptimizedGraph() ?? '').split('\nwith ')[0]; // without the groups' bodies
    expect(new Set(plan.match(/prim::oneDNNFusionGroup_\d+/g)).size).toBe(22 - 7);
    expect(plan.match(/torchts::winograd_conv2d/g)).toHaveLength(7);
    // (The guards' fallbacks, which run only when a guard fails, make the Winograd outputs
    // they read contiguous.)
    const aten = (plan.match(/aten::\w+/g) ?? []).filter((op) => op !== 'aten::contiguous');
    expect(aten).toEqual(['aten::adaptive_avg_pool2d', 'aten::flatten']);
    // libtorch's own optimize_for_inference passes, on request: also within 1e-4.
    const plain = jit.optimizeForInference(model, { oneDNN: false });
    expect(relError(plain.forward(x), eager)).toBeLessThan(1e-4);
    expect(plain.scriptFor(x).graph()).toContain('prim::mkldnn_convolution');
    expect(() => jit.optimizeForInference(model, { onednn: false } as never)).toThrow(/did you mean oneDNN/);
    plain.dispose();
    // A new batch size gets its own graph, still equal to eager.
    const x1 = torch.randn([1, 3, 64, 64]);
    expect(
      relError(
        fast.forward(x1),
        torch.noGrad(() => model.forward(x1)),
      ),
    ).toBeLessThan(1e-4);
    fast.dispose();
  }, 120_000);

  it('optimises a user-written model and a linear + ReLU model', () => {
    torch.manualSeed(3);
    const user = new UserNet().eval();
    randomiseBatchNorm(user);
    const x = torch.randn([3, 3, 16, 16]);
    const fastUser = jit.optimizeForInference(user);
    expect(
      relError(
        fastUser.forward(x),
        torch.noGrad(() => user.forward(x)),
      ),
    ).toBeLessThan(1e-4);
    expect(fastUser.scriptFor(x).graph()).not.toContain('batch_norm');
    const mlp = new MLP().eval();
    const v = torch.randn([7, 16]);
    const fastMlp = jit.optimizeForInference(mlp);
    expect(
      relError(
        fastMlp.forward(v),
        torch.noGrad(() => mlp.forward(v)),
      ),
    ).toBeLessThan(1e-4);
    fastUser.dispose();
    fastMlp.dispose();
  }, 60_000);

  it("takes ReLU6 through libtorch's passes: hardtanh bounds given as JS integers", () => {
    // libtorch's oneDNN conversion asserts that hardtanh's bounds are doubles, as Python's
    // nn.ReLU6 (Hardtanh(0.0, 6.0)) traces them; torchts's 0 and 6 reach the tracer as integers.
    torch.manualSeed(4);
    const net = new nn.Sequential(new nn.Conv2d(3, 8, 3), new nn.BatchNorm2d(8), new nn.ReLU6(true)).eval();
    const x = torch.randn([2, 3, 12, 12]);
    const eager = torch.noGrad(() => net.forward(x));
    const plain = jit.optimizeForInference(net, { oneDNN: false });
    expect(relError(plain.forward(x), eager)).toBeLessThan(1e-4);
    const scripted = jit.optimizeForInference(jit.trace(net, x));
    expect(relError(scripted.forward(x) as Tensor, eager)).toBeLessThan(1e-4);
    plain.dispose();
    scripted.dispose();
  });

  it('optimises a ScriptModule loaded from PyTorch, and refuses a model in training mode', () => {
    const m = jit.load(file('traced.pt'));
    const fast = jit.optimizeForInference(m);
    expect(fast).toBeInstanceOf(jit.ScriptModule);
    expect(relError(fast.forward(fx.img) as Tensor, fx.traced_eager)).toBeLessThan(1e-4);
    expect(fast.graph()).not.toContain('batch_norm');
    const mlp = new MLP();
    expect(() => jit.optimizeForInference(mlp)).toThrow(/eval mode/);
    expect(() => jit.freeze(m.train())).toThrow(/eval mode/);
    fast.dispose();
    m.dispose();
  });
});
