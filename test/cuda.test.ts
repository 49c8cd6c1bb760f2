// torch.cuda, torch.backends, pinned memory and CUDA graphs.
// On a CPU-only build (CI): every CUDA call fails with a TorchError that says why, never a
// crash, and the backend switches work. On a GPU (scripts/gpu-check.sh): device transfer,
// CUDA vs CPU forward/backward, allocator statistics back to baseline, pinned copies,
// autocast float16 + GradScaler, channels_last, fused optimizers, and a training step
// captured as a CUDA graph replaying exactly the eager steps.
import { describe, expect, it } from 'vitest';

import { nn, optim, torch, TorchError, type Tensor } from '../lib/index';
import { vision } from '../lib/index';
import { maxAbsDiff } from './compare';

const hasCuda = torch.cuda.isAvailable();

describe('torch.backends switches', () => {
  it('read and set cuDNN / cuBLAS flags on any build', () => {
    const b = torch.backends;
    const was = b.cudnn.benchmark;
    b.cudnn.benchmark = !was;
    expect(b.cudnn.benchmark).toBe(!was);
    b.cudnn.benchmark = was;
    const tf32 = b.cuda.matmul.allowTF32;
    b.cuda.matmul.allowTF32 = true;
    expect(b.cuda.matmul.allowTF32).toBe(true);
    b.cuda.matmul.allowTF32 = tf32;
    expect(typeof b.cudnn.allowTF32).toBe('boolean');
    expect(typeof b.cudnn.deterministic).toBe('boolean');
    expect(() => {
      b.cudnn.benchmark = 1 as unknown as boolean;
    }).toThrow('Expected a boolean for torch.backends.cudnn.benchmark but received 1');
  });
});

describe.runIf(!hasCuda)('CUDA on a machine without it', () => {
  it('reports no devices; seeds and emptyCache are no-ops, as in PyTorch', () => {
    expect(torch.cuda.isAvailable()).toBe(false);
    expect(torch.cuda.deviceCount()).toBe(0);
    torch.cuda.manualSeed(1);
    torch.cuda.manualSeedAll(1);
    torch.cuda.emptyCache();
    expect(() => torch.cuda.manualSeed(-1)).toThrow(/seed/);
  });

  it('every CUDA-only call throws a TorchError naming what needs CUDA', () => {
    const calls: [string, () => unknown][] = [
      ['cuda.synchronize', () => torch.cuda.synchronize()],
      ['cuda.memoryStats', () => torch.cuda.memoryAllocated()],
      ['cuda.memoryStats', () => torch.cuda.maxMemoryAllocated(0)],
      ['cuda.resetPeakMemoryStats', () => torch.cuda.resetPeakMemoryStats()],
      ['cuda.getDeviceName', () => torch.cuda.getDeviceName()],
      ['cuda.currentDevice', () => torch.cuda.currentDevice()],
      ['cuda.setDevice', () => torch.cuda.setDevice(0)],
      ['CUDAGraph', () => new torch.cuda.CUDAGraph()],
      ['cuda.captureStep', () => torch.cuda.captureStep(() => undefined)],
      ['cuda.onSideStream', () => torch.cuda.onSideStream(() => undefined)],
      ['pinMemory', () => torch.ones([2]).pinMemory()],
    ];
    for (const [what, call] of calls) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err, what).toBeInstanceOf(TorchError);
      expect((err as Error).message, what).toContain(what);
      expect((err as Error).message, what).toMatch(/CUDA/);
    }
    expect(torch.ones([2]).isPinned()).toBe(false);
    expect(() => torch.ones([2]).to('cuda')).toThrow(TorchError);
    expect(() => new nn.Linear(2, 2).to('cuda')).toThrow(TorchError);
  });
});

describe.runIf(hasCuda)('CUDA', () => {
  const close = (a: Tensor, b: Tensor, tol: number, what: string): void => {
    const err = maxAbsDiff(a, b);
    expect(err, `${what}: max |diff| ${err}`).toBeLessThanOrEqual(tol);
  };

  it('names its devices and moves tensors both ways', () => {
    expect(torch.cuda.deviceCount()).toBeGreaterThan(0);
    expect(torch.cuda.getDeviceName().length).toBeGreaterThan(0);
    const x = torch.arange(12).reshape([3, 4]).float();
    const y = x.to('cuda');
    expect(y.device).toBe('cuda:0');
    expect(y.isCuda).toBe(true);
    expect(torch.equal(y.mul(2).cpu(), x.mul(2))).toBe(true);
  });

  it('ResNet-18 forward and backward on CUDA match the CPU (TF32 off)', () => {
    const tf32 = torch.backends.cudnn.allowTF32;
    torch.backends.cudnn.allowTF32 = false;
    try {
      torch.manualSeed(0);
      const cpu = vision.models.resnet18({ numClasses: 10 });
      const gpu = vision.models.resnet18({ numClasses: 10 });
      gpu.loadStateDict(cpu.stateDict());
      gpu.to('cuda');
      const x = torch.randn([2, 3, 64, 64]);
      const outCpu = cpu.forward(x);
      const outGpu = gpu.forward(x.to('cuda'));
      close(outGpu, outCpu, 1e-3, 'output');
      outCpu.sum().backward();
      outGpu.sum().backward();
      close(gpu.conv1.weight.grad!, cpu.conv1.weight.grad!, 1e-2, 'conv1 grad');
      close(gpu.fc.weight.grad!, cpu.fc.weight.grad!, 1e-3, 'fc grad');
    } finally {
      torch.backends.cudnn.allowTF32 = tf32;
    }
  });

  it('allocator statistics follow allocations and training returns to its baseline', () => {
    torch.cuda.synchronize();
    const base = torch.cuda.memoryAllocated();
    const t = torch.empty([1 << 20], { device: 'cuda' });
    expect(torch.cuda.memoryAllocated() - base).toBeGreaterThanOrEqual(4 << 20);
    t.dispose();
    expect(torch.cuda.memoryAllocated()).toBe(base);
    torch.cuda.resetPeakMemoryStats();
    expect(torch.cuda.maxMemoryAllocated()).toBe(torch.cuda.memoryAllocated());
    const m = new nn.Sequential(new nn.Linear(64, 64), new nn.ReLU(), new nn.Linear(64, 4)).to('cuda');
    const opt = new optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 });
    const step = (): void =>
      torch.tidy(() => {
        opt.zeroGrad();
        m.forward(torch.randn([32, 64], { device: 'cuda' }))
          .pow(2)
          .mean()
          .backward();
        opt.step();
      });
    step(); // creates the momentum buffers
    opt.zeroGrad();
    torch.cuda.synchronize();
    const before = torch.memory().bytes['cuda:0'];
    const live = torch.memory().liveTensors;
    for (let i = 0; i < 5; i++) step();
    opt.zeroGrad();
    expect(torch.memory().liveTensors).toBeLessThanOrEqual(live);
    expect(torch.memory().bytes['cuda:0']).toBe(before);
    expect(torch.cuda.memoryStats().num_ooms).toBe(0);
  });

  it('pinned host memory and non-blocking copies', () => {
    const x = torch.randn([256, 256]);
    const pinned = x.pinMemory();
    expect(pinned.isPinned()).toBe(true);
    expect(x.isPinned()).toBe(false);
    const y = pinned.to({ device: 'cuda', nonBlocking: true });
    torch.cuda.synchronize();
    expect(torch.equal(y.cpu(), x)).toBe(true);
  });

  it('autocast float16 and GradScaler train a model on CUDA', () => {
    const m = new nn.Sequential(new nn.Linear(16, 32), new nn.ReLU(), new nn.Linear(32, 4)).to('cuda');
    const opt = new optim.SGD(m.parameters(), { lr: 0.05 });
    const scaler = new torch.amp.GradScaler('cuda');
    const x = torch.randn([8, 16], { device: 'cuda' });
    const y = torch.randint(0, 4, [8], { device: 'cuda' });
    let first = 0;
    let last = 0;
    for (let i = 0; i < 20; i++) {
      torch.tidy(() => {
        opt.zeroGrad();
        const [out, loss] = torch.autocast('cuda', () => {
          const o = m.forward(x);
          return [o, new nn.CrossEntropyLoss().forward(o, y)];
        });
        expect(out.dtype).toBe('float16');
        expect(loss.dtype).toBe('float32');
        scaler.scale(loss).backward();
        expect(m.parameters()[0].grad!.dtype).toBe('float32');
        scaler.step(opt);
        scaler.update();
        if (i === 0) first = loss.item() as number;
        last = loss.item() as number;
      });
    }
    expect(last).toBeLessThan(first);
    expect(scaler.getScale()).toBeGreaterThan(0);
  });

  it('channels_last modules and tensors give the same results as contiguous ones', () => {
    torch.manualSeed(1);
    const m = vision.models.resnet18({ numClasses: 10 }).to('cuda').eval();
    const x = torch.randn([2, 3, 64, 64], { device: 'cuda' });
    const ref = torch.noGrad(() => m.forward(x));
    m.to('channelsLast');
    expect(m.conv1.weight.isContiguous('channelsLast')).toBe(true);
    const xl = x.to({ memoryFormat: 'channelsLast' });
    expect(xl.isContiguous('channelsLast')).toBe(true);
    close(
      torch.noGrad(() => m.forward(xl)),
      ref,
      1e-2,
      'channels_last output',
    );
  });

  it('fused SGD and AdamW on CUDA match the same optimizers on the CPU', () => {
    for (const make of [
      (p: nn.Parameter[]) =>
        new optim.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4, fused: true }),
      (p: nn.Parameter[]) => new optim.AdamW(p, { lr: 1e-2, fused: true }),
    ]) {
      torch.manualSeed(2);
      const cpu = new nn.Linear(8, 4);
      const gpu = new nn.Linear(8, 4);
      gpu.loadStateDict(cpu.stateDict());
      gpu.to('cuda');
      const [oc, og] = [make(cpu.parameters()), make(gpu.parameters())];
      for (let i = 0; i < 3; i++) {
        const x = torch.randn([5, 8]);
        for (const [m, o, xx] of [
          [cpu, oc, x],
          [gpu, og, x.to('cuda')],
        ] as const) {
          torch.tidy(() => {
            o.zeroGrad();
            m.forward(xx).pow(2).sum().backward();
            o.step();
          });
        }
      }
      close(gpu.weight, cpu.weight, 1e-5, 'weight after 3 fused steps');
    }
  });

  it.each([
    ['SGD with momentum', (p: nn.Parameter[]) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 })],
    ['fused AdamW (step counts on the GPU)', (p: nn.Parameter[]) => new optim.AdamW(p, { lr: 1e-2, fused: true })],
  ] as const)('captureStep replays a training step exactly like eager steps: %s', (_, makeOptimizer) => {
    const build = (): nn.Sequential => {
      torch.manualSeed(5);
      return new nn.Sequential(new nn.Linear(32, 64), new nn.ReLU(), new nn.Linear(64, 10)).to('cuda');
    };
    const batches = Array.from({ length: 6 }, () => [
      torch.keep(torch.randn([16, 32], { device: 'cuda' })),
      torch.keep(torch.randint(0, 10, [16], { device: 'cuda' })),
    ]);
    const criterion = new nn.CrossEntropyLoss();

    // Eager: 3 warm-up steps on the first batch (what captureStep runs), then one per batch.
    const eager = build();
    const eagerOpt = makeOptimizer(eager.parameters());
    const eagerStep = (x: Tensor, y: Tensor): number =>
      torch.tidy(() => {
        eagerOpt.zeroGrad();
        const loss = criterion.forward(eager.forward(x), y);
        loss.backward();
        eagerOpt.step();
        return loss.item() as number;
      });
    for (let i = 0; i < 3; i++) eagerStep(batches[0][0], batches[0][1]);
    const eagerLosses = batches.map(([x, y]) => eagerStep(x, y));

    const model = build();
    const opt = makeOptimizer(model.parameters());
    const staticX = torch.keep(batches[0][0].clone());
    const staticY = torch.keep(batches[0][1].clone());
    const step = torch.cuda.captureStep(() => {
      opt.zeroGrad();
      const loss = criterion.forward(model.forward(staticX), staticY);
      loss.backward();
      opt.step();
      return loss;
    });
    const graphLosses = batches.map(([x, y]) => {
      staticX.copy_(x);
      staticY.copy_(y);
      return step().item() as number;
    });
    for (let i = 0; i < batches.length; i++)
      expect(Math.abs(graphLosses[i] - eagerLosses[i]), `loss ${i}`).toBeLessThan(1e-5);
    const pe = eager.parameters();
    model.parameters().forEach((p, i) => {
      close(p, pe[i], 1e-5, `parameter ${i}`);
    });
    step.graph.dispose();
    expect(() => step()).toThrow(/disposed/);
  });

  it('refuses to capture a non-fused Adam step (its step count lives on the host)', () => {
    const m = new nn.Linear(4, 2).to('cuda');
    const opt = new optim.Adam(m.parameters());
    const x = torch.keep(torch.randn([3, 4], { device: 'cuda' }));
    expect(() =>
      torch.cuda.captureStep(() => {
        opt.zeroGrad();
        m.forward(x).sum().backward();
        opt.step();
      }),
    ).toThrow(/use \{ fused: true \}/);
  });
});
