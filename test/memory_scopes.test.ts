// Memory that follows the user's code: Module.forward scopes, nn.Sequential, DataLoader loans,
// hooks, concurrency, and the collector freeing dropped temporaries inside a scope.
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';

import { data, nn, optim, type Tensor, torch } from '../lib/index';

const F = nn.functional;
const live = () => torch.memory().liveTensors;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await tick();
  }
}

/** A forward written the way PyTorch code is: rebinding `x`, nothing freed by hand. */
class Net extends nn.Module {
  fc1 = new nn.Linear(8, 16);
  fc2 = new nn.Linear(16, 4);
  forward(x: Tensor): Tensor {
    x = this.fc1.forward(x);
    x = F.relu(x);
    x = x.mul(2).add(1);
    x = this.fc2.forward(x);
    return F.logSoftmax(x, 1);
  }
}

describe('Module.forward is a scope', () => {
  it('frees the temporaries of a plain forward and hands back only the result', async () => {
    const net = new Net();
    const x = torch.randn([3, 8]);
    await settle();
    const n = live();
    const y = net.forward(x);
    expect(live()).toBe(n + 1);
    expect(y.shape).toEqual([3, 4]);
    expect(x.isDisposed).toBe(false);
    y.dispose();
    expect(live()).toBe(n);
  });

  it('gives the same values as the same computation done by hand', () => {
    const net = new Net();
    const x = torch.randn([5, 8]);
    const y = net.forward(x);
    const manual = torch.tidy(() => {
      const h = F.relu(F.linear(x, net.fc1.weight, net.fc1.bias))
        .mul(2)
        .add(1);
      return F.logSoftmax(F.linear(h, net.fc2.weight, net.fc2.bias), 1);
    });
    expect(torch.equal(y, manual)).toBe(true);
  });

  it('keeps tensors returned in arrays, objects, Maps and class instances', () => {
    class Pair {
      constructor(
        readonly a: Tensor,
        readonly b: Tensor,
      ) {}
    }
    class Multi extends nn.Module {
      forward(x: Tensor): unknown {
        const t = x.add(1);
        return { list: [t.mul(2)], map: new Map([['m', t.mul(3)]]), pair: new Pair(t.mul(4), t.mul(5)), t };
      }
    }
    const out = new Multi().forward(torch.ones(2)) as {
      list: Tensor[];
      map: Map<string, Tensor>;
      pair: Pair;
      t: Tensor;
    };
    expect(out.list[0].toArray()).toEqual([4, 4]);
    expect(out.map.get('m')?.toArray()).toEqual([6, 6]);
    expect(out.pair.a.toArray()).toEqual([8, 8]);
    expect(out.pair.b.toArray()).toEqual([10, 10]);
    expect(out.t.toArray()).toEqual([2, 2]);
  });

  it('keeps what a forward stores on its module, and what it writes into an argument', () => {
    class Caching extends nn.Module {
      last: Tensor | null = null;
      history: Tensor[] = [];
      forward(x: Tensor, state: { h?: Tensor }): Tensor {
        const h = x.mul(3);
        this.last = h.add(1);
        this.history.push(h.sub(1));
        state.h = h.neg();
        return x.add(100);
      }
    }
    const m = new Caching();
    const state: { h?: Tensor } = {};
    const y = m.forward(torch.ones(2), state);
    expect(y.toArray()).toEqual([101, 101]);
    expect(m.last?.toArray()).toEqual([4, 4]);
    expect(m.history[0].toArray()).toEqual([2, 2]);
    expect(state.h?.toArray()).toEqual([-3, -3]);
  });

  it('a tensor that escaped by another way throws a TorchError naming the forward and the fix', () => {
    const escaped: Tensor[] = [];
    class Leaky extends nn.Module {
      forward(x: Tensor): Tensor {
        escaped.push(x.mul(2)); // a closure the scope cannot see
        return x.add(1);
      }
    }
    new Leaky().forward(torch.ones(2));
    expect(escaped[0].isDisposed).toBe(true);
    expect(() => escaped[0].toArray()).toThrow(torch.TorchError);
    expect(() => escaped[0].toArray()).toThrow(/Leaky\.forward\(\).*torch\.keep/);
  });

  it('torch.keep() inside a forward keeps a tensor, and nested modules hand results up', () => {
    const kept: Tensor[] = [];
    class Inner extends nn.Module {
      forward(x: Tensor): Tensor {
        kept.push(torch.keep(x.mul(10)));
        return x.add(1);
      }
    }
    class Outer extends nn.Module {
      inner = new Inner();
      forward(x: Tensor): Tensor {
        const a = this.inner.forward(x);
        const b = this.inner.forward(a);
        return b.mul(2);
      }
    }
    const n = live();
    const y = new Outer().forward(torch.ones(1));
    expect(y.item()).toBe(6);
    expect(kept.map((t) => t.item())).toEqual([10, 20]);
    expect(live()).toBe(n + 4); // the input, y and the two kept tensors
  });

  it('frees the temporaries when forward throws', () => {
    const seen: Tensor[] = [];
    class Throws extends nn.Module {
      forward(x: Tensor): Tensor {
        seen.push(x.mul(2));
        throw new Error('inside forward');
      }
    }
    expect(() => new Throws().forward(torch.ones(2))).toThrow('inside forward');
    expect(seen[0].isDisposed).toBe(true);
  });

  it('an async forward is a scope that follows its own async context', async () => {
    class AsyncNet extends nn.Module {
      async forward(x: Tensor): Promise<Tensor> {
        const a = x.mul(2);
        await tick();
        const b = a.add(1);
        await tick();
        return b.mul(3);
      }
    }
    const m = new AsyncNet();
    const x = torch.ones(2);
    const n = live();
    const [y1, y2] = await Promise.all([m.forward(x), m.forward(x)]);
    expect(y1.toArray()).toEqual([9, 9]);
    expect(y2.toArray()).toEqual([9, 9]);
    expect(live()).toBe(n + 2);
  });

  it("two concurrent loops never free each other's tensors", async () => {
    const net = new Net();
    const loop = async (seed: number): Promise<number[]> => {
      const own = torch.full([2, 8], seed, { dtype: 'float32' }); // made outside any scope by this loop
      const sums: number[] = [];
      for (let i = 0; i < 20; i++) {
        const y = net.forward(own);
        sums.push(y.sum().item() as number);
        await tick();
      }
      expect(own.isDisposed).toBe(false);
      return sums;
    };
    const [a, b] = await Promise.all([loop(1), loop(2)]);
    expect(new Set(a).size).toBe(1);
    expect(new Set(b).size).toBe(1);
  });
});

describe('nn.Sequential', () => {
  it('frees each intermediate once the next module consumed it', () => {
    const seen: Tensor[] = [];
    class Spy extends nn.Module {
      forward(x: Tensor): Tensor {
        seen.push(x);
        return x.add(1);
      }
    }
    const seq = new nn.Sequential(new Spy(), new Spy(), new Spy(), new Spy());
    const x = torch.zeros(3);
    const y = seq.forward(x);
    expect(y.toArray()).toEqual([4, 4, 4]);
    expect(seen[0]).toBe(x);
    expect(x.isDisposed).toBe(false);
    // The outputs of the first three modules were inputs of the next ones: each is freed as soon
    // as its consumer returned, not when the Sequential returns.
    expect(seen.slice(1).map((t) => t.isDisposed)).toEqual([true, true, true]);
  });

  it('leaves an intermediate alone when the consumer stored it, or it is in-place', () => {
    class Stores extends nn.Module {
      input: Tensor | null = null;
      forward(x: Tensor): Tensor {
        this.input = x;
        return x.mul(2);
      }
    }
    const stores = new Stores();
    const seq = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU({ inplace: true }), stores);
    const y = seq.forward(torch.ones([1, 2]));
    expect(stores.input?.isDisposed).toBe(false);
    expect(torch.equal(stores.input!.mul(2), y)).toBe(true);
  });
});

describe('hooks', () => {
  it('a forward hook can store the outputs it sees (feature extraction)', () => {
    const net = new Net();
    const features: Record<string, Tensor> = {};
    const handle = net.fc1.registerForwardHook((_m, _args, output) => {
      features.fc1 = output as Tensor; // no detach, no clone
    });
    net.registerForwardHook((_m, _args, output) => {
      features.detached = (output as Tensor).detach();
    });
    const y = net.forward(torch.randn([2, 8]));
    expect(features.fc1.shape).toEqual([2, 16]);
    expect(features.fc1.isDisposed).toBe(false);
    expect(torch.equal(features.detached, y)).toBe(true);
    handle.remove();
    const before = features.fc1;
    net.forward(torch.randn([2, 8]));
    expect(features.fc1).toBe(before);
  });

  it('pre-hooks replace the arguments and forward hooks the output; prepend orders them', () => {
    const lin = new nn.Identity();
    const order: string[] = [];
    lin.registerForwardPreHook((_m, args) => {
      order.push('pre1');
      return (args[0] as Tensor).add(1);
    });
    lin.registerForwardPreHook(
      () => {
        order.push('pre0');
      },
      { prepend: true },
    );
    lin.registerForwardHook((_m, _args, out) => (out as Tensor).mul(10));
    const y = lin.forward(torch.zeros(2)) as Tensor;
    expect(order).toEqual(['pre0', 'pre1']);
    expect(y.toArray()).toEqual([10, 10]);
    expect(() => lin.registerForwardHook(42 as never)).toThrow(TypeError);
  });
});

describe('the collector inside a scope', () => {
  it('frees temporaries a forward dropped before the forward returns', () => {
    // 80 temporaries of 4 MB each, rebinding `x`: without the collector all 320 MB would be
    // live when the forward ends; with it, at most a few collections' worth.
    let peak = 0;
    class Big extends nn.Module {
      forward(x: Tensor): Tensor {
        for (let i = 0; i < 80; i++) {
          x = x.add(1);
          peak = Math.max(peak, torch.memory().bytes.cpu ?? 0);
        }
        return x;
      }
    }
    const base = torch.memory().bytes.cpu ?? 0;
    const y = new Big().forward(torch.zeros([1024, 1024]));
    expect(y.max().item()).toBe(80);
    expect(peak - base).toBeLessThan(200 * 2 ** 20);
    y.dispose();
  });
});

describe('DataLoader owns its batches', () => {
  const ds = new data.TensorDataset(torch.arange(40).view(20, 2).float(), torch.arange(20));

  it('frees each batch when the loop asks for the next, and the last when it ends', async () => {
    const batches: Tensor[][] = [];
    for await (const batch of new data.DataLoader(ds, { batchSize: 4 })) {
      const [x] = batch as Tensor[];
      expect(x.isDisposed).toBe(false);
      batches.push(batch as Tensor[]);
    }
    expect(batches).toHaveLength(5);
    expect(batches.flat().every((t) => t.isDisposed)).toBe(true);
    expect(() => batches[0][0].sum()).toThrow(/DataLoader batch.*torch\.keep/);
  });

  it('keeps batches the loop kept, and frees the prefetched ones on break', async () => {
    await settle();
    const n = live();
    const kept: unknown[] = [];
    let i = 0;
    for await (const batch of new data.DataLoader(ds, { batchSize: 2, prefetch: 3 })) {
      if (i++ === 1) kept.push(torch.keep(batch));
      if (i === 3) break;
    }
    expect(kept).toHaveLength(1);
    const [x, y] = kept[0] as Tensor[];
    expect(x.toArray()).toEqual([
      [4, 5],
      [6, 7],
    ]);
    expect(live()).toBe(n + 2);
    x.dispose();
    y.dispose();
  });

  it('a training loop written without tidy or dispose keeps the live-tensor count flat', async () => {
    torch.manualSeed(0);
    const net = new Net();
    const optimizer = new optim.SGD(net.parameters(), { lr: 0.01, momentum: 0.9 });
    const big = new data.TensorDataset(torch.randn([640, 8]), torch.randint(0, 4, [640]));
    const counts: number[] = [];
    for (let epoch = 0; epoch < 5; epoch++) {
      for await (const [x, y] of new data.DataLoader(big, { batchSize: 8, shuffle: true }) as AsyncIterable<Tensor[]>) {
        optimizer.zeroGrad();
        const output = net.forward(x);
        const loss = F.nllLoss(output, y);
        loss.backward();
        optimizer.step();
        counts.push(live());
      }
    }
    // 400 steps. Tensors made at the loop's top level (output, loss) are freed by collections a
    // few hundred tensors apart: the count saw-tooths within a bound and does not grow with the
    // number of steps.
    const first = Math.max(...counts.slice(0, 200));
    const later = Math.max(...counts.slice(200));
    expect(later).toBeLessThanOrEqual(first + 64);
    expect(first - counts[0]).toBeLessThan(600);
  });
});
