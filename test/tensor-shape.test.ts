// Shape and indexing: views and copies, joining and splitting, gather/scatter, and
// Python-style indexing through index() / indexPut_(). Views must share memory with their
// base (write through one, read through the other); copies must not.
import { describe, expect, it } from 'vitest';

import { type Tensor, torch, TorchError } from '../lib/index';

/** [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]] */
const m34 = (): Tensor => torch.arange(12).reshape(3, 4);

describe('view / reshape', () => {
  it('view with explicit sizes, -1, and an array', () => {
    const t = torch.arange(6);
    expect(t.view(2, 3).toArray()).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(t.view(-1, 2).shape).toEqual([3, 2]);
    expect(t.view([3, -1]).shape).toEqual([3, 2]);
    expect(t.view(1, 2, 3).stride()).toEqual([6, 3, 1]);
    expect(t.view(2, 3).viewAs(torch.zeros(3, 2)).shape).toEqual([3, 2]);
  });

  it('view shares memory with its base', () => {
    const base = torch.zeros(6);
    const v = base.view(2, 3);
    v.fill_(1);
    expect(base.toArray()).toEqual([1, 1, 1, 1, 1, 1]);
    base.indexPut_([0], 9);
    expect(v.index(0, 0).item()).toBe(9);
  });

  it('view of a non-contiguous tensor throws; reshape copies', () => {
    const t = m34().t();
    expect(() => t.view(12)).toThrow(TorchError);
    expect(() => t.view(12)).toThrow(/view size is not compatible with input tensor's size and stride/);
    expect(t.reshape(-1).toArray()).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  });

  it('reshape with -1 and a wrong size', () => {
    expect(m34().reshape(2, -1, 2).shape).toEqual([2, 3, 2]);
    expect(() => m34().reshape(5, -1)).toThrow(/shape '\[5, -1\]' is invalid for input of size 12/);
  });
});

describe('permute / transpose / t / flatten / squeeze / unsqueeze', () => {
  it('permute moves dimensions and values', () => {
    const x = torch.arange(24).reshape(2, 3, 4);
    const p = x.permute(2, 0, 1);
    expect(p.shape).toEqual([4, 2, 3]);
    expect(p.index(3, 1, 2).item()).toBe(x.index(1, 2, 3).item());
    expect(x.permute([1, 2, 0]).shape).toEqual([3, 4, 2]);
    expect(p.isContiguous()).toBe(false);
  });

  it('transpose and t', () => {
    expect(m34().transpose(0, 1).shape).toEqual([4, 3]);
    expect(m34().t().toArray()).toEqual([
      [0, 4, 8],
      [1, 5, 9],
      [2, 6, 10],
      [3, 7, 11],
    ]);
    expect(torch.arange(24).reshape(2, 3, 4).transpose(-1, 0).shape).toEqual([4, 3, 2]);
    expect(torch.arange(3).t().shape).toEqual([3]);
    expect(() => torch.zeros(2, 2, 2).t()).toThrow(/expects a tensor with <= 2 dimensions/);
  });

  it('flatten all or a range of dims', () => {
    const x = torch.zeros(2, 3, 4, 5);
    expect(x.flatten().shape).toEqual([120]);
    expect(x.flatten(1).shape).toEqual([2, 60]);
    expect(x.flatten(1, 2).shape).toEqual([2, 12, 5]);
  });

  it('squeeze and unsqueeze', () => {
    const x = torch.zeros(1, 3, 1, 2);
    expect(x.squeeze().shape).toEqual([3, 2]);
    expect(x.squeeze(0).shape).toEqual([3, 1, 2]);
    expect(x.squeeze(1).shape).toEqual([1, 3, 1, 2]);
    expect(torch.zeros(3).unsqueeze(0).shape).toEqual([1, 3]);
    expect(torch.zeros(3).unsqueeze(-1).shape).toEqual([3, 1]);
    expect(torch.tensor([1, 2]).unsqueeze(1).toArray()).toEqual([[1], [2]]);
  });
});

describe('joining and splitting', () => {
  it('cat along dim 0 and 1', () => {
    const a = torch.tensor([[1, 2]]);
    const b = torch.tensor([
      [3, 4],
      [5, 6],
    ]);
    expect(torch.cat([a, b]).toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(torch.cat([b, b], 1).toArray()).toEqual([
      [3, 4, 3, 4],
      [5, 6, 5, 6],
    ]);
    expect(torch.cat([b, b], -1).shape).toEqual([2, 4]);
    expect(() => torch.cat([a, b], 1)).toThrow(/Sizes of tensors must match except in dimension 1/);
  });

  it('stack adds a dimension', () => {
    const a = torch.tensor([1, 2, 3]);
    const b = torch.tensor([4, 5, 6]);
    expect(torch.stack([a, b]).toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(torch.stack([a, b], 1).toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(() => torch.stack([a, torch.tensor([1])])).toThrow(/stack expects each tensor to be equal size/);
  });

  it('split by size and by sizes', () => {
    const parts = torch.arange(7).split(3);
    expect(parts.map((p) => p.toArray())).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    const uneven = m34().split([1, 3], 1);
    expect(uneven.map((p) => p.shape)).toEqual([
      [3, 1],
      [3, 3],
    ]);
    expect(uneven[1].toArray()).toEqual([
      [1, 2, 3],
      [5, 6, 7],
      [9, 10, 11],
    ]);
  });

  it('chunk and unbind', () => {
    expect(
      torch
        .arange(5)
        .chunk(3)
        .map((p) => p.toArray()),
    ).toEqual([[0, 1], [2, 3], [4]]);
    expect(
      torch
        .arange(10)
        .chunk(4)
        .map((p) => p.numel()),
    ).toEqual([3, 3, 3, 1]);
    const rows = m34().unbind();
    expect(rows.length).toBe(3);
    expect(rows[2].toArray()).toEqual([8, 9, 10, 11]);
    expect(
      m34()
        .unbind(1)
        .map((c) => c.toArray()),
    ).toEqual([
      [0, 4, 8],
      [1, 5, 9],
      [2, 6, 10],
      [3, 7, 11],
    ]);
  });

  it('split pieces are views of the input', () => {
    const t = torch.zeros(4);
    t.split(2)[1].fill_(3);
    expect(t.toArray()).toEqual([0, 0, 3, 3]);
  });
});

describe('narrow / select / indexSelect / gather / scatter', () => {
  it('narrow and select are views', () => {
    const t = m34();
    expect(t.narrow(1, 1, 2).toArray()).toEqual([
      [1, 2],
      [5, 6],
      [9, 10],
    ]);
    expect(t.narrow(0, -1, 1).toArray()).toEqual([[8, 9, 10, 11]]);
    expect(t.select(1, -1).toArray()).toEqual([3, 7, 11]);
    expect(t.select(0, 1).toArray()).toEqual([4, 5, 6, 7]);
    t.select(0, 0).zero_();
    expect(t.index(0).toArray()).toEqual([0, 0, 0, 0]);
    t.narrow(1, 3, 1).fill_(-1);
    expect(t.toArray()).toEqual([
      [0, 0, 0, -1],
      [4, 5, 6, -1],
      [8, 9, 10, -1],
    ]);
    expect(() => t.select(0, 3)).toThrow(/out of range/);
  });

  it('indexSelect copies the chosen rows / columns', () => {
    const idx = torch.tensor([2, 0, 2]);
    expect(m34().indexSelect(0, idx).toArray()).toEqual([
      [8, 9, 10, 11],
      [0, 1, 2, 3],
      [8, 9, 10, 11],
    ]);
    expect(
      m34()
        .indexSelect(1, torch.tensor([3, 1]))
        .toArray(),
    ).toEqual([
      [3, 1],
      [7, 5],
      [11, 9],
    ]);
  });

  it('gather picks one element per index', () => {
    const t = torch.tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(
      t
        .gather(
          1,
          torch.tensor([
            [0, 0],
            [1, 0],
          ]),
        )
        .toArray(),
    ).toEqual([
      [1, 1],
      [4, 3],
    ]);
    expect(t.gather(0, torch.tensor([[1, 0]])).toArray()).toEqual([[3, 2]]);
  });

  it('scatter writes src at the indices; scatter_ in place', () => {
    const src = torch.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { dtype: 'float32' },
    );
    const idx = torch.tensor([
      [0, 1, 2],
      [2, 0, 1],
    ]);
    const out = torch.zeros(3, 3).scatter(0, idx, src);
    expect(out.toArray()).toEqual([
      [1, 5, 0],
      [0, 2, 6],
      [4, 0, 3],
    ]);
    const z = torch.zeros(2, 4);
    expect(z.scatter_(1, torch.tensor([[3], [0]]), torch.tensor([[7], [8]], { dtype: 'float32' }))).toBe(z);
    expect(z.toArray()).toEqual([
      [0, 0, 0, 7],
      [8, 0, 0, 0],
    ]);
  });
});

describe('expand / repeat / flip', () => {
  it('expand broadcasts without copying', () => {
    const col = torch.tensor([[1], [2]]);
    const e = col.expand(2, 3);
    expect(e.toArray()).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    expect(e.stride()).toEqual([1, 0]);
    expect(col.expand([-1, 4]).shape).toEqual([2, 4]);
    expect(torch.tensor([5]).expandAs(torch.zeros(2, 2)).toArray()).toEqual([
      [5, 5],
      [5, 5],
    ]);
    col.indexPut_([1, 0], 9);
    expect(e.index(1).toArray()).toEqual([9, 9, 9]);
  });

  it('repeat tiles the data', () => {
    expect(torch.tensor([1, 2]).repeat(3).toArray()).toEqual([1, 2, 1, 2, 1, 2]);
    expect(torch.tensor([1, 2]).repeat(2, 2).toArray()).toEqual([
      [1, 2, 1, 2],
      [1, 2, 1, 2],
    ]);
    expect(
      torch
        .tensor([[1], [2]])
        .repeat([1, 3])
        .toArray(),
    ).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
  });

  it('flip reverses the given dims', () => {
    expect(torch.arange(4).flip(0).toArray()).toEqual([3, 2, 1, 0]);
    expect(m34().flip([0, 1]).index(0).toArray()).toEqual([11, 10, 9, 8]);
    expect(m34().flip(-1).index(0).toArray()).toEqual([3, 2, 1, 0]);
  });
});

describe('contiguity, clone, detach', () => {
  it('contiguous returns the same tensor if already contiguous, a copy otherwise', () => {
    const t = m34();
    expect(t.isContiguous()).toBe(true);
    expect(t.contiguous()).toBe(t);
    const tt = t.t();
    expect(tt.isContiguous()).toBe(false);
    const c = tt.contiguous();
    expect(c).not.toBe(tt);
    expect(c.isContiguous()).toBe(true);
    expect(c.stride()).toEqual([3, 1]);
    expect(c.toArray()).toEqual(tt.toArray());
    c.fill_(0);
    expect(t.index(0, 1).item()).toBe(1);
  });

  it('channelsLast memory format', () => {
    const x = torch.zeros(2, 3, 4, 5);
    const cl = x.contiguous('channelsLast');
    expect(cl.isContiguous('channelsLast')).toBe(true);
    expect(cl.isContiguous()).toBe(false);
    expect(cl.stride()).toEqual([60, 1, 15, 3]);
  });

  it('clone is independent, view is shared', () => {
    const base = torch.tensor([1, 2, 3], { dtype: 'float32' });
    const copy = base.clone();
    const view = base.view(3);
    base.mul_(10);
    expect(copy.toArray()).toEqual([1, 2, 3]);
    expect(view.toArray()).toEqual([10, 20, 30]);
    copy.fill_(0);
    expect(base.toArray()).toEqual([10, 20, 30]);
  });

  it('detach shares data but not the graph', () => {
    const x = torch.tensor([1, 2], { dtype: 'float32', requiresGrad: true });
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    d.add_(1);
    expect(x.toArray()).toEqual([2, 3]);
  });
});

describe('index()', () => {
  it('integers, negative integers and slices', () => {
    const y = torch.arange(10);
    expect(y.index(-1).item()).toBe(9);
    expect(y.index(-1).shape).toEqual([]);
    expect(y.index('-3:').toArray()).toEqual([7, 8, 9]);
    expect(y.index('::3').toArray()).toEqual([0, 3, 6, 9]);
    expect(y.index('1:-1:4').toArray()).toEqual([1, 5]);
    expect(y.index(':').toArray()).toEqual(y.toArray());
    expect(y.index('5:2').shape).toEqual([0]);
    expect(() => y.index(10)).toThrow(/index 10 is out of bounds for dimension 0 with size 10/);
  });

  it('several dims, ellipsis and new axes', () => {
    const m = m34();
    expect(m.index(1, 2).item()).toBe(6);
    expect(m.index(':', -1).toArray()).toEqual([3, 7, 11]);
    expect(m.index('...', 1).toArray()).toEqual([1, 5, 9]);
    expect(m.index(null).shape).toEqual([1, 3, 4]);
    expect(m.index(':', null).shape).toEqual([3, 1, 4]);
    expect(m.index('1:', '::2').toArray()).toEqual([
      [4, 6],
      [8, 10],
    ]);
  });

  it("index(0, '1:3', '...', null, tensorIdx) is x[0, 1:3, ..., None, idx]", () => {
    const x = torch.arange(120).reshape(2, 3, 4, 5);
    const r = x.index(0, '1:3', '...', null, torch.tensor([0, 2]));
    // torch.arange(120).reshape(2, 3, 4, 5)[0, 1:3, ..., None, torch.tensor([0, 2])]
    expect(r.shape).toEqual([2, 4, 1, 2]);
    expect(r.toArray()).toEqual([
      [[[20, 22]], [[25, 27]], [[30, 32]], [[35, 37]]],
      [[[40, 42]], [[45, 47]], [[50, 52]], [[55, 57]]],
    ]);
  });

  it('integer tensor indices (advanced indexing) copy', () => {
    const m = m34();
    expect(m.index(torch.tensor([2, 0])).toArray()).toEqual([
      [8, 9, 10, 11],
      [0, 1, 2, 3],
    ]);
    expect(m.index(torch.tensor([0, 2]), torch.tensor([1, 3])).toArray()).toEqual([1, 11]);
    expect(m.index(torch.tensor([-1])).toArray()).toEqual([[8, 9, 10, 11]]);
    m.index(torch.tensor([0])).fill_(100);
    expect(m.index(0, 0).item()).toBe(0);
  });

  it('boolean masks', () => {
    const m = m34();
    expect(m.index(m.gt(5)).toArray()).toEqual([6, 7, 8, 9, 10, 11]);
    expect(m.index(torch.tensor([true, false, true])).toArray()).toEqual([
      [0, 1, 2, 3],
      [8, 9, 10, 11],
    ]);
    expect(m.index(':', torch.tensor([false, true, false, true])).toArray()).toEqual([
      [1, 3],
      [5, 7],
      [9, 11],
    ]);
  });

  it('basic indexing returns views', () => {
    const m = m34();
    m.index('...', '1:3').fill_(0);
    expect(m.toArray()).toEqual([
      [0, 0, 0, 3],
      [4, 0, 0, 7],
      [8, 0, 0, 11],
    ]);
  });

  it('rejects malformed slices before calling libtorch', () => {
    expect(() => m34().index('1:2:0')).toThrow(RangeError);
    expect(() => m34().index('a:b')).toThrow(TypeError);
  });
});

describe('indexPut_()', () => {
  it('scalars through integers, slices and masks', () => {
    const z = torch.zeros([3, 4], { dtype: 'int64' });
    expect(z.indexPut_([0], 5)).toBe(z);
    z.indexPut_([':', 1], torch.tensor([7, 8, 9]));
    z.indexPut_([z.eq(0)], -1);
    z.indexPut_(
      ['1:', '2:'],
      torch.tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    // z = torch.zeros(3, 4, dtype=torch.int64); z[0] = 5; z[:, 1] = torch.tensor([7, 8, 9]);
    // z[z == 0] = -1; z[1:, 2:] = torch.tensor([[1, 2], [3, 4]])
    expect(z.toArray()).toEqual([
      [5, 7, 5, 5],
      [-1, 8, 1, 2],
      [-1, 9, 3, 4],
    ]);
  });

  it('tensor values at integer tensor indices', () => {
    const w = torch.zeros(5);
    w.indexPut_([torch.tensor([0, 3])], torch.tensor([1.5, 2.5]));
    expect(w.toArray()).toEqual([1.5, 0, 0, 2.5, 0]);
  });

  it('negative indices and broadcasting of the value', () => {
    const t = torch.zeros(2, 3);
    t.indexPut_([-1], torch.tensor([1, 2, 3], { dtype: 'float32' }));
    t.indexPut_(['...', -1], 9);
    expect(t.toArray()).toEqual([
      [0, 0, 9],
      [1, 2, 9],
    ]);
  });

  it('shape mismatch throws', () => {
    expect(() => torch.zeros(2, 3).indexPut_([0], torch.ones(2))).toThrow(TorchError);
  });
});
