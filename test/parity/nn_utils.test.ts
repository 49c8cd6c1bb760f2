// nn.utils against real PyTorch (scripts/reference/nn_utils.py): clipGradNorm_ (total norm and
// clipped gradients), clipGradValue_ and parametersToVector. Tolerance 0: the port runs the
// same ops in the same order as torch/nn/utils/clip_grad.py (per-tensor norms through
// _foreach_norm or linalg.vector_norm, their stacked norm, reciprocal() * max_norm, clamp,
// _foreach_mul_), so the results are the same bits.
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { nn, type Tensor, torch } from '../../lib/index';
import { expectClose, type Tolerance } from '../compare';
import { type Fixtures, readFixtures, runReference, tempDir, under } from './fixtures';

const EXACT: Tolerance = { rtol: 0, atol: 0 };
const SHAPES = [[3, 4], [5], [2, 3, 2], [1]];

/** The torchts side of each case of nn_utils.py. */
const CASES: Record<string, (ps: nn.Parameter[]) => Tensor | undefined> = {
  norm_2: (ps) => nn.utils.clipGradNorm_(ps, 1.0),
  norm_1_no_foreach: (ps) => nn.utils.clipGradNorm_(ps, 0.5, 1.0, { foreach: false }),
  norm_inf: (ps) => nn.utils.clipGradNorm_(ps, 0.3, Number.POSITIVE_INFINITY),
  norm_3_5_no_clip: (ps) => nn.utils.clipGradNorm_(ps, 100.0, 3.5),
  norm_missing_grad: (ps) => nn.utils.clipGradNorm_(ps, 0.7),
  norm_f64: (ps) => nn.utils.clipGradNorm_(ps, 1.0, 2.0, true),
  value: (ps) => {
    nn.utils.clipGradValue_(ps, 0.2);
    return undefined;
  },
  value_no_foreach: (ps) => {
    nn.utils.clipGradValue_(ps, 0.5, { foreach: false });
    return undefined;
  },
};

let dir: string;
let ref: Fixtures;

beforeAll(() => {
  dir = tempDir('nn-utils');
  runReference('nn_utils.py', [dir]);
  ref = readFixtures(dir);
}, 120_000);
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('gradient clipping', () => {
  it.each(Object.keys(CASES))('%s', (name) => {
    const f = under(ref, `${name}/`);
    const gradIn = under(f, 'grad_in/');
    const dtype = Object.values(gradIn)[0].dtype;
    const ps = SHAPES.map((s) => new nn.Parameter(torch.zeros(s, { dtype })));
    ps.forEach((p, i) => {
      if (gradIn[i]) p.grad = gradIn[i].clone();
    });
    const total = CASES[name](ps);
    if (f.total) {
      expectClose(total ?? null, f.total, EXACT, 'total norm');
    } else {
      expect(total).toBeUndefined();
    }
    const gradOut = under(f, 'grad_out/');
    let changed = false;
    ps.forEach((p, i) => {
      expect(p.grad === null, `grad ${i} present`).toBe(gradOut[i] === undefined);
      if (gradOut[i]) {
        expectClose(p.grad, gradOut[i], EXACT, `grad ${i}`);
        changed ||= !torch.equal(gradOut[i], gradIn[i]);
      }
    });
    // Not vacuous: every case but the one under its max norm changes the gradients.
    expect(changed).toBe(name !== 'norm_3_5_no_clip');
  });

  it('errorIfNonfinite throws on a NaN or infinite total norm, and scales by it otherwise', () => {
    const p = new nn.Parameter(torch.ones([3]));
    p.grad = torch.tensor([1, Number.NaN, 2]);
    expect(() => nn.utils.clipGradNorm_([p], 1, 2, true)).toThrow(/total norm of order 2.0 .* is non-finite/);
    expect(Number.isNaN(nn.utils.clipGradNorm_([p], 1).item() as number)).toBe(true);
  });

  it('accepts one tensor, an empty list, and rejects bad arguments', () => {
    const p = new nn.Parameter(torch.ones([4]));
    p.grad = torch.full([4], 2, { dtype: 'float32' });
    expect(nn.utils.clipGradNorm_(p, 1).item()).toBe(4);
    expect(nn.utils.clipGradNorm_([], 1).item()).toBe(0);
    expect(() => nn.utils.clipGradNorm_([p], 1, { norm_type: 2 } as never)).toThrow(/did you mean normType\?/);
    expect(() => nn.utils.clipGradNorm_([p], 'x' as never)).toThrow(TypeError);
    expect(() => nn.utils.clipGradValue_([1] as never, 1)).toThrow(TypeError);
  });
});

describe('parameters and vectors', () => {
  it('parametersToVector concatenates as PyTorch does; vectorToParameters is its inverse, sharing storage', () => {
    const f = under(ref, 'p2v/');
    const params = SHAPES.map((_, i) => f[`param/${i}`]);
    const v = nn.utils.parametersToVector(params);
    expectClose(v, f.vector, EXACT, 'vector');
    const ps = SHAPES.map((s) => new nn.Parameter(torch.zeros(s)));
    nn.utils.vectorToParameters(v, ps);
    ps.forEach((p, i) => {
      expect(torch.equal(p, params[i])).toBe(true);
    });
    // As in PyTorch (param.data = vec[...].view_as(param).data), the parameters view vec.
    v.fill_(3);
    expect(ps.every((p) => (p.min().item() as number) === 3)).toBe(true);
    expect(() => nn.utils.vectorToParameters(torch.zeros([2]), ps)).toThrow(/at least 30 elements/);
  });
});
