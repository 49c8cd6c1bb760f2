// Autograd: requiresGrad, backward (scalar and with a gradient), accumulation, retainGraph,
// the grad property, gradFn names (PyTorch's, e.g. `(x * 2).grad_fn` is MulBackward0),
// leaves, retainGrad, detach, and the grad-mode scopes noGrad / enableGrad / inferenceMode.
import { afterEach, describe, expect, it } from 'vitest';

import { type Tensor, torch, TorchError } from '../lib/index';

const leaf = (values: number[]): Tensor => torch.tensor(values, { dtype: 'float32', requiresGrad: true });
const gradOf = (t: Tensor): number[] | null => {
  const g = t.grad;
  return g === null ? null : (g.toArray() as number[]);
};

afterEach(() => {
  // A failing test must not leave grad mode off for the next one.
  torch.setGradEnabled(true);
});

describe('requiresGrad', () => {
  it('is false by default and propagates through ops', () => {
    const a = torch.ones(2);
    expect(a.requiresGrad).toBe(false);
    const x = leaf([1, 2]);
    expect(x.requiresGrad).toBe(true);
    expect(x.mul(a).requiresGrad).toBe(true);
    expect(a.mul(a).requiresGrad).toBe(false);
  });

  it('setter and requiresGrad_()', () => {
    const a = torch.ones(2);
    a.requiresGrad = true;
    expect(a.requiresGrad).toBe(true);
    const b = torch.zeros(2);
    expect(b.requiresGrad_()).toBe(b);
    expect(b.requiresGrad).toBe(true);
    b.requiresGrad_(false);
    expect(b.requiresGrad).toBe(false);
  });

  it('only floating point tensors can require grad', () => {
    expect(() => {
      torch.tensor([1, 2]).requiresGrad = true;
    }).toThrow(/Only Tensors of floating point and complex dtype can require gradients/);
  });

  it('a non-leaf cannot stop requiring grad', () => {
    const y = leaf([1]).mul(torch.tensor([2.5]));
    expect(() => {
      y.requiresGrad = false;
    }).toThrow(/you can only change requires_grad flags of leaf variables/);
  });
});

describe('backward', () => {
  it('of a scalar fills .grad of the leaves', () => {
    const x = leaf([1, 2, 3]);
    expect(x.grad).toBeNull();
    const y = x.mul(x).sum(); // d/dx sum(x^2) = 2x
    expect(y.shape).toEqual([]);
    y.backward();
    expect(gradOf(x)).toEqual([2, 4, 6]);
  });

  it('chains through several ops and two leaves', () => {
    const x = leaf([1, 2]);
    const w = leaf([3, -1]);
    // L = mean((x * w + 1)^2); dL/dx = (x*w + 1) * w, dL/dw = (x*w + 1) * x
    x.mul(w).add(1).pow(2).mean().backward();
    expect(gradOf(x)).toEqual([12, 1]);
    expect(gradOf(w)).toEqual([4, -2]);
  });

  it('of a non-scalar needs a gradient', () => {
    const x = leaf([1, 2, 3]);
    const y = x.mul(torch.tensor([2, 2, 2]));
    expect(() => y.backward()).toThrow(/grad can be implicitly created only for scalar outputs/);
    y.backward(torch.tensor([1, 0.5, -2]));
    expect(gradOf(x)).toEqual([2, 1, -4]);
  });

  it('of a tensor that does not require grad throws', () => {
    expect(() => torch.ones(2).sum().backward()).toThrow(/does not require grad and does not have a grad_fn/);
  });

  it('accumulates gradients across two backwards', () => {
    const x = leaf([1, 2]);
    x.mul(torch.tensor([3, 3]))
      .sum()
      .backward();
    expect(gradOf(x)).toEqual([3, 3]);
    x.mul(x).sum().backward();
    expect(gradOf(x)).toEqual([5, 7]);
  });

  it('retainGraph allows a second backward through the same graph', () => {
    const x = leaf([1, 2]);
    const y = x.exp().sum();
    y.backward(null, { retainGraph: true });
    y.backward();
    const g = gradOf(x)!; // exp(x), twice
    expect(g[0]).toBeCloseTo(2 * Math.E, 5);
    expect(g[1]).toBeCloseTo(2 * Math.exp(2), 5);
  });

  it('without retainGraph a second backward is a TorchError', () => {
    const x = leaf([1, 2]);
    const y = x.exp().sum();
    y.backward();
    expect(() => y.backward()).toThrow(TorchError);
    expect(() => y.backward()).toThrow(/Trying to backward through the graph a second time/);
  });

  it('createGraph makes the gradient differentiable', () => {
    const x = leaf([2]);
    x.pow(3).sum().backward(null, { createGraph: true });
    const g = x.grad!; // 3x^2 = 12
    expect(g.toArray()).toEqual([12]);
    expect(g.requiresGrad).toBe(true);
    const x2 = leaf([2]);
    x2.pow(3).sum().backward(null, { createGraph: true });
    const first = x2.grad!;
    x2.grad = null;
    first.sum().backward(); // d/dx 3x^2 = 6x = 12
    expect(gradOf(x2)).toEqual([12]);
  });
});

describe('the grad property', () => {
  it('can be set and reset to null', () => {
    const x = leaf([1, 2]);
    x.grad = torch.tensor([0.5, 0.5]);
    expect(gradOf(x)).toEqual([0.5, 0.5]);
    x.sum().backward();
    expect(gradOf(x)).toEqual([1.5, 1.5]);
    x.grad = null;
    expect(x.grad).toBeNull();
    x.sum().backward();
    expect(gradOf(x)).toEqual([1, 1]);
  });

  it('a grad of the wrong shape is rejected', () => {
    const x = leaf([1, 2]);
    expect(() => {
      x.grad = torch.ones(3);
    }).toThrow(/attempting to assign a gradient of size '\[3\]' to a tensor of size '\[2\]'/);
  });

  it('reads share memory with the stored gradient', () => {
    const x = leaf([1, 2]);
    x.sum().backward();
    torch.noGrad(() => x.grad!.zero_());
    expect(gradOf(x)).toEqual([0, 0]);
  });
});

describe('gradFn, isLeaf, retainGrad, detach', () => {
  it("gradFn names are PyTorch's", () => {
    const x = leaf([1, 2]);
    const y = leaf([3, 4]);
    const m = torch.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: 'float32', requiresGrad: true },
    );
    const names: [Tensor, string][] = [
      // (x * y).grad_fn.name(), (x * 2).grad_fn.name(), ... in PyTorch 2.13
      [x.mul(y), 'MulBackward0'],
      [x.mul(2), 'MulBackward0'],
      [x.add(y), 'AddBackward0'],
      [x.add(1), 'AddBackward0'],
      [x.sub(1), 'SubBackward0'],
      [x.div(2), 'DivBackward0'],
      [x.pow(2), 'PowBackward0'],
      [x.pow(y), 'PowBackward1'],
      [x.rsub(2), 'RsubBackward1'],
      [x.exp(), 'ExpBackward0'],
      [x.relu(), 'ReluBackward0'],
      [x.sum(), 'SumBackward0'],
      [x.mean(), 'MeanBackward0'],
      [x.max(), 'MaxBackward1'],
      [x.view(2, 1), 'ViewBackward0'],
      [x.index(0), 'SelectBackward0'],
      [x.index('0:1'), 'SliceBackward0'],
      [m.mm(m), 'MmBackward0'],
      [x.clone(), 'CloneBackward0'],
      [torch.where(x.gt(1), x, y), 'WhereBackward0'],
    ];
    // One comparison for all, so a failure lists every name that differs.
    const got = Object.fromEntries(names.map(([t, name], i) => [`${i}:${name}`, t.gradFn]));
    const expected = Object.fromEntries(names.map(([, name], i) => [`${i}:${name}`, name]));
    expect(got).toEqual(expected);
    expect(x.gradFn).toBeNull();
  });

  it('isLeaf', () => {
    const x = leaf([1, 2]);
    expect(x.isLeaf).toBe(true);
    expect(torch.ones(2).isLeaf).toBe(true);
    const y = x.mul(torch.tensor([2, 2]));
    expect(y.isLeaf).toBe(false);
    expect(y.detach().isLeaf).toBe(true);
  });

  it('retainGrad keeps .grad of a non-leaf', () => {
    const x = leaf([1, 2]);
    const kept = x.mul(torch.tensor([3, 3]));
    const notKept = x.mul(torch.tensor([3, 3]));
    expect(kept.retainGrad()).toBe(kept);
    kept.mul(kept).sum().add(notKept.sum()).backward();
    expect(gradOf(kept)).toEqual([6, 12]); // d/dk sum(k^2) = 2k
    expect(notKept.grad).toBeNull();
    expect(gradOf(x)).toEqual([21, 39]); // 2k*3 + 3
  });

  it('detach cuts the graph', () => {
    const x = leaf([1, 2]);
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.gradFn).toBeNull();
    expect(() => d.mul(2).sum().backward()).toThrow(TorchError);
    x.mul(x.detach()).sum().backward(); // only the first factor is differentiated
    expect(gradOf(x)).toEqual([1, 2]);
  });

  it('detach_ makes a non-leaf a leaf in place', () => {
    const y = leaf([1]).mul(torch.tensor([2]));
    expect(y.detach_()).toBe(y);
    expect(y.requiresGrad).toBe(false);
    expect(y.isLeaf).toBe(true);
  });

  it('in-place ops on a leaf that requires grad are refused outside noGrad', () => {
    const x = leaf([1, 2]);
    expect(() => x.add_(1)).toThrow(/a leaf Variable that requires grad is being used in an in-place operation/);
    torch.noGrad(() => x.sub_(torch.tensor([0.5, 0.5])));
    expect(x.toArray()).toEqual([0.5, 1.5]);
    expect(x.requiresGrad).toBe(true);
  });
});

describe('grad modes', () => {
  it('noGrad: results do not require grad, the value is returned, the mode is restored', () => {
    const x = leaf([1, 2]);
    const y = torch.noGrad(() => {
      expect(torch.isGradEnabled()).toBe(false);
      return x.mul(2);
    });
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(y.toArray()).toEqual([2, 4]);
    expect(torch.isGradEnabled()).toBe(true);
  });

  it('enableGrad inside noGrad, and nesting restores each level', () => {
    const x = leaf([1]);
    torch.noGrad(() => {
      const inner = torch.enableGrad(() => {
        expect(torch.isGradEnabled()).toBe(true);
        return x.mul(2);
      });
      expect(inner.requiresGrad).toBe(true);
      expect(torch.isGradEnabled()).toBe(false);
      torch.noGrad(() => expect(torch.isGradEnabled()).toBe(false));
      expect(torch.isGradEnabled()).toBe(false);
      expect(x.mul(2).requiresGrad).toBe(false);
    });
    expect(torch.isGradEnabled()).toBe(true);
  });

  it('the mode is restored when fn throws', () => {
    expect(() =>
      torch.noGrad(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(torch.isGradEnabled()).toBe(true);
    expect(() =>
      torch.inferenceMode(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(torch.isInferenceModeEnabled()).toBe(false);
    expect(torch.isGradEnabled()).toBe(true);
  });

  it('async fns: the mode holds until the promise settles, then is restored', async () => {
    const x = leaf([1]);
    const p = torch.noGrad(async () => {
      await new Promise((r) => setTimeout(r, 5));
      expect(torch.isGradEnabled()).toBe(false);
      return x.mul(2);
    });
    expect(torch.isGradEnabled()).toBe(false);
    const y = await p;
    expect(y.requiresGrad).toBe(false);
    expect(torch.isGradEnabled()).toBe(true);
  });

  it('async fns that reject restore the mode too', async () => {
    await expect(
      torch.noGrad(async () => {
        await new Promise((r) => setTimeout(r, 1));
        throw new Error('async boom');
      }),
    ).rejects.toThrow('async boom');
    expect(torch.isGradEnabled()).toBe(true);
    await expect(torch.inferenceMode(async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(torch.isInferenceModeEnabled()).toBe(false);
  });

  it('inferenceMode: no grad, inference tensors, restored after', () => {
    const x = leaf([1, 2]);
    const t = torch.inferenceMode(() => {
      expect(torch.isInferenceModeEnabled()).toBe(true);
      expect(torch.isGradEnabled()).toBe(false);
      return x.mul(3);
    });
    expect(t.requiresGrad).toBe(false);
    expect(t.toArray()).toEqual([3, 6]);
    expect(torch.isInferenceModeEnabled()).toBe(false);
    expect(torch.isGradEnabled()).toBe(true);
    // inference tensors cannot take part in autograd afterwards
    expect(() => x.mul(t).sum().backward()).toThrow(/Inference tensors cannot be saved for backward/);
  });

  it('inferenceMode(fn, false) leaves grad mode on', () => {
    const x = leaf([1]);
    const y = torch.inferenceMode(() => x.mul(2), false);
    expect(y.requiresGrad).toBe(true);
  });

  it('setGradEnabled returns the previous value', () => {
    expect(torch.setGradEnabled(false)).toBe(true);
    expect(torch.isGradEnabled()).toBe(false);
    expect(leaf([1]).mul(2).requiresGrad).toBe(false);
    expect(torch.setGradEnabled(false)).toBe(false);
    expect(torch.setGradEnabled(true)).toBe(false);
    expect(torch.isGradEnabled()).toBe(true);
    expect(torch.setGradEnabled(true)).toBe(true);
  });
});
