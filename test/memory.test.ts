// Tensor lifetime: dispose / `using`, tidy scopes (sync, nested, async, concurrent), keep,
// exact return to baseline after a long loop, storage-aware byte counts, and the finalizer.
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';

import { type Tensor, torch } from '../lib/index';
import { collect } from '../lib/torch/memory';

const live = () => torch.memory().liveTensors;
const cpuBytes = () => torch.memory().bytes.cpu ?? 0;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Collects garbage and lets pending finalizers run, so that counts taken next are stable. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await tick();
  }
}

// vitest forks have no --expose-gc; switching the flag on at run time and fetching `gc` from a
// fresh context works on Node 20.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

describe('dispose and using', () => {
  it('dispose() frees the native tensor and its bytes, and sets isDisposed', () => {
    const n = live();
    const bytes = cpuBytes();
    const t = torch.ones(1000); // 4000 bytes of float32
    expect(live()).toBe(n + 1);
    expect(cpuBytes()).toBe(bytes + 4000);
    expect(t.isDisposed).toBe(false);
    t.dispose();
    expect(t.isDisposed).toBe(true);
    expect(live()).toBe(n);
    expect(cpuBytes()).toBe(bytes);
  });

  it('dispose() is idempotent and never frees a tensor that reused the slot', () => {
    const n = live();
    const a = torch.ones(3);
    a.dispose();
    const b = torch.full([3], 2); // very likely reuses a's native slot
    a.dispose();
    a[Symbol.dispose]();
    expect(live()).toBe(n + 1);
    expect(b.isDisposed).toBe(false);
    expect(b.toArray()).toEqual([2, 2, 2]);
    b.dispose();
    expect(live()).toBe(n);
  });

  it('`using` disposes at the end of the block (the vitest/oxc transform lowers it)', () => {
    const n = live();
    let seen: Tensor | undefined;
    {
      using t = torch.ones(3);
      seen = t;
      expect(live()).toBe(n + 1);
      using s = t.sum();
      expect(s.item()).toBe(3);
      expect(live()).toBe(n + 2);
    }
    expect(seen.isDisposed).toBe(true);
    expect(live()).toBe(n);
  });

  it('`using` disposes when the block throws, and [Symbol.dispose]() works directly', () => {
    const n = live();
    let seen: Tensor | undefined;
    expect(() => {
      using t = torch.ones(3);
      seen = t;
      throw new Error('inside');
    }).toThrow('inside');
    expect(seen!.isDisposed).toBe(true);
    const u = torch.zeros(2);
    u[Symbol.dispose]();
    expect(u.isDisposed).toBe(true);
    expect(live()).toBe(n);
  });
});

describe('tidy', () => {
  it('returns the value and frees every temporary not returned', () => {
    const a = torch.ones(4);
    const n = live();
    const bytes = cpuBytes();
    const temps: Tensor[] = [];
    const out = torch.tidy(() => {
      const x = a.mul(2);
      const y = x.add(1);
      temps.push(x, y);
      return y.sum();
    });
    expect(out.item()).toBe(12);
    expect(temps.every((t) => t.isDisposed)).toBe(true);
    expect(a.isDisposed).toBe(false); // created outside: not the scope's to free
    expect(live()).toBe(n + 1);
    out.dispose();
    expect(live()).toBe(n);
    expect(cpuBytes()).toBe(bytes);
    expect(torch.tidy(() => a.sum().item())).toBe(4); // non-tensor results pass through
    expect(live()).toBe(n);
    a.dispose();
  });

  it('keeps tensors returned inside arrays, plain objects and Maps', () => {
    const n = live();
    const out = torch.tidy(() => {
      const t = torch.ones(2);
      const dropped = t.add(1);
      return {
        list: [t.mul(2), [t.mul(3)]],
        obj: { deep: { t: t.mul(4) } },
        map: new Map([['m', t.mul(5)]]),
        dropped: dropped.isDisposed,
      };
    });
    expect(out.dropped).toBe(false);
    expect(live()).toBe(n + 4);
    expect((out.list[0] as Tensor).toArray()).toEqual([2, 2]);
    expect((out.list[1] as Tensor[])[0].toArray()).toEqual([3, 3]);
    expect(out.obj.deep.t.toArray()).toEqual([4, 4]);
    expect(out.map.get('m')!.toArray()).toEqual([5, 5]);
    for (const t of [out.list[0] as Tensor, (out.list[1] as Tensor[])[0], out.obj.deep.t, out.map.get('m')!])
      t.dispose();
    expect(live()).toBe(n);
  });

  it('nested tidy moves returned tensors to the outer scope', () => {
    const n = live();
    let inner: Tensor | undefined;
    let innerTemp: Tensor | undefined;
    const out = torch.tidy(() => {
      inner = torch.tidy(() => {
        innerTemp = torch.ones(3);
        return innerTemp.mul(2);
      });
      expect(innerTemp!.isDisposed).toBe(true);
      expect(inner.isDisposed).toBe(false);
      return inner.sum();
    });
    // Not returned by the outer scope, so the outer scope freed it.
    expect(inner!.isDisposed).toBe(true);
    expect(out.item()).toBe(6);
    expect(live()).toBe(n + 1);
    out.dispose();
    // Returned through both scopes: survives.
    const both = torch.tidy(() => torch.tidy(() => torch.ones(2).add(1)));
    expect(both.toArray()).toEqual([2, 2]);
    expect(live()).toBe(n + 1);
    both.dispose();
  });

  it('torch.keep() survives its scope and the enclosing ones', () => {
    const n = live();
    let kept: Tensor | undefined;
    torch.tidy(() => {
      torch.tidy(() => {
        kept = torch.keep(torch.ones(3).mul(7));
      });
    });
    expect(kept!.isDisposed).toBe(false);
    expect(kept!.kept).toBe(true);
    expect(kept!.toArray()).toEqual([7, 7, 7]);
    expect(live()).toBe(n + 1);
    kept!.dispose();
    expect(live()).toBe(n);
  });

  it('frees temporaries when fn throws, and rethrows', () => {
    const n = live();
    const bytes = cpuBytes();
    let temp: Tensor | undefined;
    expect(() =>
      torch.tidy(() => {
        temp = torch.ones(100).mul(3);
        torch.ones(2, 3).add(torch.ones(4)); // TorchError
      }),
    ).toThrow(/must match the size/);
    expect(temp!.isDisposed).toBe(true);
    expect(live()).toBe(n);
    expect(cpuBytes()).toBe(bytes);
  });

  it('async tidy frees temporaries created after awaits and keeps the result', async () => {
    await settle();
    const n = live();
    const temps: Tensor[] = [];
    const out = await torch.tidy(async () => {
      temps.push(torch.ones(3));
      await tick();
      temps.push(temps[0].mul(2));
      await sleep(5);
      const nested = torch.tidy(() => temps[1].add(1)); // a sync scope nested after an await
      temps.push(nested);
      await tick();
      return nested.sum();
    });
    expect(out.item()).toBe(9);
    expect(temps.map((t) => t.isDisposed)).toEqual([true, true, true]);
    expect(live()).toBe(n + 1);
    out.dispose();
    await expect(
      torch.tidy(async () => {
        temps.push(torch.ones(2));
        await tick();
        temps.push(torch.ones(2));
        throw new Error('async boom');
      }),
    ).rejects.toThrow('async boom');
    expect(temps.slice(3).every((t) => t.isDisposed)).toBe(true);
    expect(live()).toBe(n);
  });

  it("two concurrent async tidies don't free each other's tensors", async () => {
    await settle();
    const n = live();
    const aTemps: Tensor[] = [];
    const bTemps: Tensor[] = [];
    let bClosed = false;
    const a = torch.tidy(async () => {
      const x = torch.ones(3);
      aTemps.push(x);
      await tick();
      aTemps.push(torch.ones(1)); // made while B's scope is open too
      await sleep(10); // B runs and closes its scope meanwhile
      expect(bClosed).toBe(true);
      expect(x.isDisposed).toBe(false);
      const y = x.mul(2);
      aTemps.push(y);
      await tick();
      return y.sum();
    });
    const b = torch
      .tidy(async () => {
        const x = torch.full([3], 5);
        bTemps.push(x);
        await tick();
        bTemps.push(x.add(1));
        await tick();
        return x.sum();
      })
      .then((v) => {
        bClosed = true;
        // B's scope is closed; A's tensor is alive.
        expect(aTemps[0].isDisposed).toBe(false);
        return v;
      });
    // Made by the caller while both scopes are open: it belongs to neither.
    const outside = torch.ones(2);
    const [ra, rb] = await Promise.all([a, b]);
    expect(outside.isDisposed).toBe(false);
    outside.dispose();
    expect(ra.item()).toBe(6);
    expect(rb.item()).toBe(15);
    expect(aTemps.every((t) => t.isDisposed)).toBe(true);
    expect(bTemps.every((t) => t.isDisposed)).toBe(true);
    expect(live()).toBe(n + 2);
    ra.dispose();
    rb.dispose();
    expect(live()).toBe(n);
  });
});

describe('10,000 iterations', () => {
  it('leave liveTensors and cpu bytes exactly at their baseline', () => {
    const a = torch.randn(256);
    const b = torch.randn(256);
    const w = torch.randn([256, 8], { requiresGrad: true });
    const expected = torch.tidy(() => a.mul(b).add(1).relu().sum().item() as number);
    const base = torch.memory();
    const baseCpu = base.bytes.cpu;
    let checked = 0;
    for (let i = 0; i < 10_000; i++) {
      const v = torch.tidy(() => {
        const x = a.mul(b).add(1).relu().sum();
        const y = a.view(1, 256).matmul(w).tanh().mean(); // an autograd graph each time
        y.backward();
        return x.item() as number;
      });
      if (i % 1000 === 0) {
        expect(v).toBeCloseTo(expected, 3);
        checked++;
      }
    }
    expect(checked).toBe(10);
    // Everything made inside the scopes is gone: .grad lives on w, not in the table.
    const after = torch.memory();
    expect(after.liveTensors).toBeLessThanOrEqual(base.liveTensors);
    expect(after.bytes.cpu).toBe(baseCpu);
    const g = w.grad!;
    expect(g.shape).toEqual([256, 8]);
    g.dispose();
    w.grad = null;
    // A loop that returns tensors and disposes them by hand ends at the baseline too.
    for (let i = 0; i < 1000; i++) torch.tidy(() => a.add(i).relu()).dispose();
    expect(torch.memory().liveTensors).toBeLessThanOrEqual(base.liveTensors);
    expect(torch.memory().bytes.cpu).toBe(baseCpu);
    for (const t of [a, b, w]) t.dispose();
  });
});

describe('memory().bytes', () => {
  it('counts a storage once, however many tensors view it', () => {
    const n = live();
    const bytes = cpuBytes();
    const t = torch.zeros(1000); // 4000 bytes
    expect(cpuBytes()).toBe(bytes + 4000);
    const t10 = t.view(100, 10);
    const views = [t.view(10, 100), t.index('0:10'), t.reshape(-1), t.detach(), t10, t10.t()];
    expect(live()).toBe(n + 7);
    expect(cpuBytes()).toBe(bytes + 4000);
    const copy = t.clone();
    expect(cpuBytes()).toBe(bytes + 8000);
    t.dispose();
    // The views still hold the storage.
    expect(cpuBytes()).toBe(bytes + 8000);
    for (const v of views) v.dispose();
    expect(cpuBytes()).toBe(bytes + 4000);
    copy.dispose();
    expect(cpuBytes()).toBe(bytes);
    expect(live()).toBe(n);
  });

  it('reports the whole storage of a slice, and int64/float64 sizes', () => {
    const bytes = cpuBytes();
    const big = torch.zeros(100, { dtype: 'float64' }); // 800
    const slice = big.index('10:20');
    big.dispose();
    expect(cpuBytes()).toBe(bytes + 800); // the slice keeps the whole storage alive
    slice.dispose();
    const l = torch.arange(10); // int64
    expect(l.dtype).toBe('int64');
    expect(cpuBytes()).toBe(bytes + 80);
    l.dispose();
    expect(cpuBytes()).toBe(bytes);
  });
});

describe('the collector', () => {
  // Not inlined into the tests, so no stack slot keeps the tensors reachable.
  function leak(count: number): void {
    for (let i = 0; i < count; i++) {
      const t = torch.ones(256);
      t.add(1).relu(); // two more undisposed tensors per iteration
    }
  }

  it('frees tensors a synchronous loop drops, without an event-loop turn', async () => {
    await settle();
    const n = live();
    let most = 0;
    for (let round = 0; round < 50; round++) {
      leak(200); // 600 dropped tensors a round, 30,000 in all
      most = Math.max(most, live() - n);
    }
    // Without collections inside the loop every one of them would still be live here.
    expect(most).toBeLessThan(3000);
    collect(); // a full collection and sweep: what is left is what is referenced
    expect(live()).toBe(n);
  });

  it('frees what an idle program dropped once a collection has run', async () => {
    await settle();
    const n = live();
    const bytes = cpuBytes();
    leak(50); // too few to ask for a collection
    expect(live()).toBe(n + 150);
    expect(cpuBytes()).toBe(bytes + 150 * 1024);
    for (let i = 0; i < 20 && live() > n; i++) {
      gc();
      await tick();
    }
    expect(live()).toBe(n);
    expect(cpuBytes()).toBe(bytes);
  });

  it('does not free tensors that are still referenced', async () => {
    const held = torch.tidy(() => torch.ones(3).mul(2));
    const loose = torch.ones(4); // made outside any scope, still referenced
    leak(3000); // asks for collections meanwhile
    await settle();
    expect(held.isDisposed).toBe(false);
    expect(held.toArray()).toEqual([2, 2, 2]);
    expect(loose.sum().item()).toBe(4);
    const n = live();
    held.dispose();
    loose.dispose();
    expect(live()).toBe(n - 2);
  });
});

describe('freed tensor memory', () => {
  // native/cpu_allocator.cc: blocks of 32 MB and more, which glibc maps and unmaps on every
  // allocation, are kept on free for the next block of their size.
  const mb64 = () => torch.ones([16 << 20]);
  it('is reused: 64 MB tensors freed and made again fault in no new pages', () => {
    const step = () => torch.tidy(() => mb64().add(1).sum().item());
    step();
    const before = process.resourceUsage().minorPageFault;
    for (let i = 0; i < 5; i++) step();
    // Without the cache: 5 iterations × 2 tensors × 16,384 pages.
    expect(process.resourceUsage().minorPageFault - before).toBeLessThan(2000);
  });

  it('stays bounded: 60 rounds of three 64 MB tensors hold no more than they need', () => {
    const step = () => torch.tidy(() => mb64().add(1).mul(2).sum().item());
    step();
    const rss = process.memoryUsage.rss();
    for (let i = 0; i < 60; i++) step();
    expect((process.memoryUsage.rss() - rss) / 2 ** 20).toBeLessThan(64);
  });
});
