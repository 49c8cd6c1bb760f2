// Bad calls: every one must throw the right class with a message naming the argument (JS-side
// checks) or carrying libtorch's own text (TorchError), and none may take the process down.
import { describe, expect, it } from 'vitest';

import { type Tensor, torch, TorchError } from '../lib/index';
import { checkOptions, nearestKey } from '../lib/torch/errors';

type ErrorClass = typeof TypeError | typeof RangeError | typeof TorchError;

interface Row {
  name: string;
  call: () => unknown;
  expect: ErrorClass;
  /** The argument a TypeError/RangeError must name: `Expected ... for <arg> but received`. */
  arg?: string;
  /** Extra check on the message (libtorch's text for a TorchError). */
  message?: RegExp;
}

// Untyped access for calls TypeScript would (rightly) reject at compile time.
const T = torch as any;
const ones23 = () => torch.ones(2, 3);
const disposed = (): Tensor => {
  const t = torch.ones(2, 3);
  t.dispose();
  return t;
};
const DISPOSED = /disposed/;
const DIM_RANGE = /Dimension out of range \(expected to be in range of \[-2, 1\], but got 5\)/;
const NO_CUDA = /CUDA|cuda/;

const rows: Row[] = [
  // ---- wrong JS types ----------------------------------------------------------------
  { name: 'zeros with a string as shape', call: () => T.zeros('2,3'), expect: TypeError, arg: 'size' },
  { name: 'ones with a string inside the shape array', call: () => T.ones(['2', 3]), expect: TypeError, arg: 'size' },
  { name: 'full with an object as fill value', call: () => T.full([2], {}), expect: TypeError, arg: 'fillValue' },
  {
    name: 'add with an object as scalar',
    call: () => ones23().add({} as any),
    expect: TypeError,
    arg: 'other',
    message: /^Expected a Tensor or a number for other/,
  },
  { name: 'mul with a string as scalar', call: () => (ones23() as any).mul('2'), expect: TypeError, arg: 'other' },
  { name: 'fill_ with a string', call: () => (ones23() as any).fill_('x'), expect: TypeError, arg: 'value' },
  // A Tensor is refused where only a number is taken, and the message does not offer one.
  {
    name: 'fill_ with a Tensor',
    call: () => ones23().fill_(torch.ones([]) as any),
    expect: TypeError,
    arg: 'value',
    message: /^Expected a number for value but received/,
  },
  {
    name: 'addcmul_ with a string value',
    call: () => ones23().addcmul_(ones23(), ones23(), { value: '2' as any }),
    expect: TypeError,
    arg: 'value',
    message: /^Expected a number for value but received "2"/,
  },
  {
    name: 'addcdiv_ with an object value',
    call: () => ones23().addcdiv_(ones23(), ones23(), { value: {} as any }),
    expect: TypeError,
    arg: 'value',
  },
  {
    name: 'addcmul_ with options that are not an object',
    call: () => ones23().addcmul_(ones23(), ones23(), 2 as any),
    expect: TypeError,
    arg: 'addcmul_ options',
  },
  { name: 'tensor() from a string', call: () => T.tensor('abc'), expect: TypeError, arg: 'data' },
  {
    name: 'tensor() from ragged nested arrays',
    call: () => T.tensor([[1, 2], [3]]),
    expect: TypeError,
    arg: 'data[1]',
  },
  {
    name: 'tensor() from rows of arrays and numbers',
    call: () => T.tensor([[1, 2], 3]),
    expect: TypeError,
    arg: 'data[1]',
  },
  { name: 'tensor() from mixed numbers and booleans', call: () => T.tensor([1, true]), expect: TypeError, arg: 'data' },
  { name: 'tensor() from a Uint32Array', call: () => T.tensor(new Uint32Array(2)), expect: TypeError, arg: 'data' },
  { name: 'matmul with undefined', call: () => ones23().matmul(undefined as any), expect: TypeError, arg: 'other' },
  { name: 'add with undefined', call: () => ones23().add(undefined as any), expect: TypeError, arg: 'other' },
  {
    name: 'cat with undefined in the list',
    call: () => T.cat([ones23(), undefined]),
    expect: TypeError,
    arg: 'tensors[1]',
  },
  { name: 'cat of an empty list', call: () => T.cat([]), expect: TypeError, arg: 'tensors' },
  {
    name: 'where with undefined condition',
    call: () => T.where(undefined, ones23(), ones23()),
    expect: TypeError,
    arg: 'condition',
  },
  {
    name: 'requiresGrad option not a boolean',
    call: () => T.ones(2, { requiresGrad: 'yes' }),
    expect: TypeError,
    arg: 'requiresGrad',
  },
  {
    name: 'backward with a number as gradient',
    call: () => ones23().backward(5 as any),
    expect: TypeError,
    arg: 'gradient',
  },
  {
    name: 'backward with a non-boolean createGraph',
    call: () =>
      torch
        .ones(2, { requiresGrad: true })
        .sum()
        .backward(null, { createGraph: 'yes' as any }),
    expect: TypeError,
    arg: 'createGraph',
  },
  { name: 'tidy of a non-function', call: () => T.tidy(5), expect: TypeError, arg: 'fn' },

  // ---- sizes: NaN, negative, non-integer ---------------------------------------------
  { name: 'zeros with NaN size', call: () => T.zeros([NaN]), expect: TypeError, arg: 'size' },
  { name: 'zeros with a negative size', call: () => T.zeros([2, -3]), expect: RangeError, arg: 'size' },
  { name: 'ones with varargs negative size', call: () => T.ones(2, -1), expect: RangeError, arg: 'size' },
  { name: 'zeros with a non-integer size', call: () => T.zeros([1.5]), expect: TypeError, arg: 'size' },
  { name: 'view with -2', call: () => ones23().view(-2, 3), expect: RangeError, arg: 'shape' },
  { name: 'linspace with negative steps', call: () => T.linspace(0, 1, -1), expect: RangeError, arg: 'steps' },
  { name: 'linspace with NaN start', call: () => T.linspace(NaN, 1, 3), expect: RangeError, arg: 'start' },
  { name: 'eye with a negative n', call: () => T.eye(-1), expect: RangeError, arg: 'n' },
  { name: 'squeeze with NaN dim', call: () => ones23().squeeze(NaN), expect: RangeError, arg: 'dim' },
  { name: 'narrow with a negative length', call: () => ones23().narrow(0, 0, -1), expect: RangeError, arg: 'length' },

  // ---- dtypes and devices ------------------------------------------------------------
  { name: 'bad dtype name', call: () => T.zeros([2], { dtype: 'float33' }), expect: RangeError, arg: 'dtype' },
  { name: 'dtype given as a number', call: () => T.zeros([2], { dtype: 6 }), expect: TypeError, arg: 'dtype' },
  { name: 'to() with a bad dtype name', call: () => ones23().to('float33' as any), expect: RangeError, arg: 'target' },
  {
    name: 'sum with a bad dtype option',
    call: () => ones23().sum(null, false, { dtype: 'foo' as any }),
    expect: RangeError,
    arg: 'dtype',
  },
  { name: 'rand with an integer dtype', call: () => T.rand([2], { dtype: 'int64' }), expect: TypeError, arg: 'dtype' },
  { name: "device 'gpu'", call: () => T.zeros([2], { device: 'gpu' }), expect: TypeError, arg: 'device' },
  { name: "device 'cuda:x'", call: () => T.zeros([2], { device: 'cuda:x' }), expect: TypeError, arg: 'device' },
  { name: "to({ device: 'tpu' })", call: () => ones23().to({ device: 'tpu' }), expect: TypeError, arg: 'device' },

  // ---- shape mismatches (libtorch) ---------------------------------------------------
  {
    name: 'add of [2,3] and [4]',
    call: () => ones23().add(torch.ones(4)),
    expect: TorchError,
    message: /size of tensor a \(3\) must match the size of tensor b \(4\)/,
  },
  {
    name: 'matmul of [2,3] and [2,3]',
    call: () => ones23().matmul(ones23()),
    expect: TorchError,
    message: /shapes cannot be multiplied \(2x3 and 2x3\)/,
  },
  {
    name: 'cat of [2,3] and [2,4]',
    call: () => T.cat([ones23(), torch.ones(2, 4)]),
    expect: TorchError,
    message: /Sizes of tensors must match except in dimension 0/,
  },
  {
    name: 'view [2,3] as [4,2]',
    call: () => ones23().view(4, 2),
    expect: TorchError,
    message: /shape '\[4, 2\]' is invalid for input of size 6/,
  },
  {
    name: 'view of a non-contiguous tensor',
    call: () => ones23().t().view(6),
    expect: TorchError,
    message: /view size is not compatible.*reshape/,
  },
  {
    name: 'stack of different sizes',
    call: () => T.stack([torch.ones(3), torch.ones(2)]),
    expect: TorchError,
    message: /stack expects each tensor to be equal size/,
  },
  {
    name: 'expand to an incompatible size',
    call: () => ones23().expand(3, 3),
    expect: TorchError,
    message: /expanded size of the tensor \(3\) must match the existing size \(2\)/,
  },
  {
    name: 'split sizes not summing up',
    call: () => ones23().split([1]),
    expect: TorchError,
    message: /split_with_sizes expects split_sizes to sum exactly to 2/,
  },
  {
    name: 'bmm of 2-d tensors',
    call: () => ones23().bmm(ones23()),
    expect: TorchError,
    message: /batch1 must be a 3D tensor/,
  },
  {
    name: 'reshape with two -1',
    call: () => ones23().reshape(-1, -1),
    expect: TorchError,
    message: /only one dimension can be inferred/,
  },

  // ---- dtype mismatches (libtorch) ---------------------------------------------------
  {
    name: 'index with a float tensor',
    call: () => ones23().index(torch.tensor([0.5])),
    expect: TorchError,
    message: /tensors used as indices must be long, int, byte or bool/,
  },
  {
    name: 'indexSelect with a float index',
    call: () => ones23().indexSelect(0, torch.tensor([0.5])),
    expect: TorchError,
    message: /index_select\(\): Expected dtype int32 or int64 for index/,
  },
  {
    name: 'gather with a float index',
    call: () => ones23().gather(1, torch.zeros(2, 1)),
    expect: TorchError,
    message: /gather\(\): Expected dtype int32\/int64 for index/,
  },
  {
    name: 'where with a float condition',
    call: () => T.where(torch.ones(3), torch.ones(3), torch.ones(3)),
    expect: TorchError,
    message: /where expected condition to be a boolean tensor/,
  },
  {
    name: 'maskedFill with a float mask',
    call: () => torch.ones(3).maskedFill(torch.ones(3), 0),
    expect: TorchError,
    message: /masked_fill_ only supports boolean masks/,
  },
  {
    name: 'mm of float32 and float64',
    call: () => ones23().mm(torch.ones(3, 2, { dtype: 'float64' })),
    expect: TorchError,
    message: /expected m1 and m2 to have the same dtype/,
  },
  {
    name: 'in-place add of float into int64',
    call: () => torch.ones(3, { dtype: 'int64' }).add_(torch.ones(3)),
    expect: TorchError,
    message: /result type Float can't be cast to the desired output type Long/,
  },
  {
    name: 'softmax of an int64 tensor',
    call: () => torch.ones(3, { dtype: 'int64' }).softmax(0),
    expect: TorchError,
    message: /not implemented for 'Long'/,
  },
  {
    name: 'requiresGrad = true on an int tensor',
    call: () => {
      torch.ones(2, { dtype: 'int64' }).requiresGrad = true;
    },
    expect: TorchError,
    message: /Only Tensors of floating point and complex dtype can require gradients/,
  },
  {
    name: 'requiresGrad option on an int tensor',
    call: () => T.ones(2, { dtype: 'int64', requiresGrad: true }),
    expect: TypeError,
    message: /floating point dtype/,
  },
  {
    name: 'fill_ NaN into int64',
    call: () => torch.ones(2, { dtype: 'int64' }).fill_(NaN),
    expect: TorchError,
    message: /cannot be converted to type int64_t without overflow/,
  },
  {
    name: 'integer floorDivide by zero',
    call: () => torch.ones(2, { dtype: 'int64' }).floorDivide(0),
    expect: TorchError,
    message: /ZeroDivisionError/,
  },

  // ---- CUDA on a machine without it --------------------------------------------------
  ...(torch.cuda.isAvailable()
    ? []
    : [
        {
          name: "zeros on 'cuda' without CUDA",
          call: () => T.zeros([2], { device: 'cuda' }),
          expect: TorchError,
          message: NO_CUDA,
        },
        { name: "to('cuda') without CUDA", call: () => ones23().to('cuda'), expect: TorchError, message: NO_CUDA },
        { name: 'cuda() without CUDA', call: () => ones23().cuda(), expect: TorchError, message: NO_CUDA },
      ]),

  // ---- use after dispose -------------------------------------------------------------
  { name: 'disposed: shape', call: () => disposed().shape, expect: TorchError, message: DISPOSED },
  { name: 'disposed: dtype', call: () => disposed().dtype, expect: TorchError, message: DISPOSED },
  { name: 'disposed: add', call: () => disposed().add(1), expect: TorchError, message: DISPOSED },
  { name: 'disposed: relu', call: () => disposed().relu(), expect: TorchError, message: DISPOSED },
  { name: 'disposed: in-place mul_', call: () => disposed().mul_(2), expect: TorchError, message: DISPOSED },
  { name: 'disposed: item', call: () => disposed().item(), expect: TorchError, message: DISPOSED },
  { name: 'disposed: toArray', call: () => disposed().toArray(), expect: TorchError, message: DISPOSED },
  { name: 'disposed: toTypedArray', call: () => disposed().toTypedArray(), expect: TorchError, message: DISPOSED },
  { name: 'disposed: requiresGrad', call: () => disposed().requiresGrad, expect: TorchError, message: DISPOSED },
  { name: 'disposed: backward', call: () => disposed().backward(), expect: TorchError, message: DISPOSED },
  {
    name: 'disposed: as the argument of add',
    call: () => ones23().add(disposed()),
    expect: TorchError,
    message: DISPOSED,
  },
  {
    name: 'disposed: as the argument of matmul',
    call: () => torch.ones(3, 2).matmul(disposed()),
    expect: TorchError,
    message: DISPOSED,
  },
  {
    name: 'disposed: inside the list of cat',
    call: () => T.cat([ones23(), disposed()]),
    expect: TorchError,
    message: DISPOSED,
  },
  {
    name: 'disposed: as an index tensor',
    call: () => ones23().index(disposed().long()),
    expect: TorchError,
    message: DISPOSED,
  },

  // ---- autograd ----------------------------------------------------------------------
  {
    name: 'backward twice without retainGraph',
    call: () => {
      const x = torch.ones(2, { requiresGrad: true });
      const y = x.mul(x).sum();
      y.backward();
      y.backward();
    },
    expect: TorchError,
    message: /Trying to backward through the graph a second time/,
  },
  {
    name: 'backward of a non-scalar without a gradient',
    call: () => torch.ones(2, { requiresGrad: true }).mul(2).backward(),
    expect: TorchError,
    message: /grad can be implicitly created only for scalar outputs/,
  },
  {
    name: 'backward of a tensor without grad',
    call: () => torch.ones(2).sum().backward(),
    expect: TorchError,
    message: /does not require grad and does not have a grad_fn/,
  },
  {
    name: 'backward with a gradient of the wrong shape',
    call: () => torch.ones(2, { requiresGrad: true }).mul(2).backward(torch.ones(3)),
    expect: TorchError,
    message: /invalid gradient at index 0/,
  },
  {
    // PyTorch: "you can only change requires_grad flags of leaf variables."
    name: 'requiresGrad = false on a non-leaf',
    call: () => {
      torch.ones(2, { requiresGrad: true }).mul(2).requiresGrad = false;
    },
    expect: TorchError,
    message: /only change requires_grad flags of leaf variables/,
  },
  {
    // PyTorch 2.13: "attempting to assign a gradient of size '[4]' to a tensor of size '[3]'. ..."
    name: '.grad assigned with a different shape',
    call: () => {
      torch.ones(3, { requiresGrad: true }).grad = torch.ones(4);
    },
    expect: TorchError,
    message: /assign a gradient of size '\[4\]' to a tensor of size '\[3\]'/,
  },
  {
    // PyTorch 2.13: "attempting to assign a gradient with dtype 'long int' to a tensor with grad_dtype 'Float'. ..."
    name: '.grad assigned with a different dtype',
    call: () => {
      torch.ones(3, { requiresGrad: true }).grad = torch.ones(3, { dtype: 'int64' });
    },
    expect: TorchError,
    message: /assign a gradient with dtype/,
  },
  {
    name: 'in-place op on a leaf that requires grad',
    call: () => torch.ones(2, { requiresGrad: true }).add_(1),
    expect: TorchError,
    message: /leaf Variable that requires grad is being used in an in-place operation/,
  },

  // ---- item, indexing, dims ----------------------------------------------------------
  {
    name: 'item() of a 6-element tensor',
    call: () => ones23().item(),
    expect: TorchError,
    message: /a Tensor with 6 elements cannot be converted to Scalar/,
  },
  {
    name: 'item() of an empty tensor',
    call: () => torch.zeros(0).item(),
    expect: TorchError,
    message: /a Tensor with 0 elements cannot be converted to Scalar/,
  },
  {
    name: 'index 5 of size 2',
    call: () => ones23().index(5),
    expect: TorchError,
    message: /index 5 is out of bounds for dimension 0 with size 2/,
  },
  {
    name: 'index tensor out of range',
    call: () => ones23().index(torch.tensor([-10])),
    expect: TorchError,
    message: /index -10 is out of bounds/,
  },
  {
    name: 'indexSelect out of range',
    call: () => ones23().indexSelect(0, torch.tensor([5])),
    expect: TorchError,
    message: /index out of range/,
  },
  {
    name: 'gather out of range',
    call: () => ones23().gather(1, torch.tensor([[5]])),
    expect: TorchError,
    message: /index 5 is out of bounds for dimension 1 with size 3/,
  },
  {
    name: 'select out of range',
    call: () => ones23().select(0, 5),
    expect: TorchError,
    message: /index 5 out of range/,
  },
  {
    name: 'too many indices',
    call: () => ones23().index(0, 0, 0),
    expect: TorchError,
    message: /too many indices for tensor of dimension 2/,
  },
  {
    name: 'bool mask of the wrong shape',
    call: () => ones23().index(torch.tensor([true, false, true])),
    expect: TorchError,
    message: /shape of the mask \[3\]/,
  },
  { name: "index string '1:2:0'", call: () => ones23().index('1:2:0'), expect: RangeError, arg: 'index 0' },
  { name: "index string 'abc'", call: () => ones23().index('abc'), expect: TypeError, arg: 'index 0' },
  { name: 'index 1.5', call: () => ones23().index(1.5), expect: RangeError, arg: 'index 0' },
  { name: 'index object', call: () => ones23().index({} as any), expect: TypeError, arg: 'index 0' },
  { name: 'squeeze(5) of a 2-d tensor', call: () => ones23().squeeze(5), expect: TorchError, message: DIM_RANGE },
  {
    name: 'transpose(0, 5) of a 2-d tensor',
    call: () => ones23().transpose(0, 5),
    expect: TorchError,
    message: DIM_RANGE,
  },
  { name: 'sum(5) of a 2-d tensor', call: () => ones23().sum(5), expect: TorchError, message: DIM_RANGE },
  {
    name: 'permute with duplicate dims',
    call: () => ones23().permute(0, 0),
    expect: TorchError,
    message: /duplicate dims/,
  },
  { name: 'size(5) of a 2-d tensor', call: () => ones23().size(5), expect: RangeError, arg: 'dim' },
  { name: 'split with size 0', call: () => ones23().split(0), expect: RangeError, arg: 'splitSize' },
  { name: 'chunk(0)', call: () => ones23().chunk(0), expect: RangeError, arg: 'chunks' },

  // ---- random and ranges -------------------------------------------------------------
  { name: 'randint with high == low', call: () => T.randint(5, 5, [2]), expect: RangeError, arg: 'high' },
  { name: 'randint with high < low', call: () => T.randint(5, 2, [2]), expect: RangeError, arg: 'high' },
  { name: 'randint with a float high', call: () => T.randint(0.5, [2]), expect: RangeError, arg: 'high' },
  { name: 'arange with step 0', call: () => T.arange(0, 5, 0), expect: RangeError, arg: 'step' },
  {
    name: 'arange with a step of the wrong sign',
    call: () => T.arange(0, 5, -1),
    expect: TorchError,
    message: /upper bound and lower bound inconsistent with step sign/,
  },
  {
    name: 'empty with an overflowing size',
    call: () => T.empty([2 ** 31, 2 ** 31, 2 ** 31]),
    expect: TorchError,
    message: /overflow/,
  },
  { name: 'setNumThreads(0)', call: () => T.setNumThreads(0), expect: RangeError, arg: 'n' },
  { name: 'manualSeed(-1)', call: () => T.manualSeed(-1), expect: RangeError, arg: 'seed' },
];

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('bad calls', () => {
  it('covers at least 40 rows, each with something to check in the message', () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
    for (const r of rows) {
      if (r.expect === TorchError) expect(r.message, r.name).toBeInstanceOf(RegExp);
      else expect(r.arg ?? r.message, r.name).toBeDefined();
    }
  });

  it.each(rows.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const live = torch.memory().liveTensors;
    let caught: unknown;
    torch.tidy(() => {
      try {
        row.call();
      } catch (e) {
        caught = e;
      }
    });
    expect(caught, 'the call did not throw').toBeDefined();
    const err = caught as Error;
    // Exact class: a TorchError must not pass as a TypeError and vice versa.
    expect(err.constructor, `${err.constructor.name}: ${err.message}`).toBe(row.expect);
    if (row.expect === TorchError) {
      expect(err).toBeInstanceOf(Error);
      expect(err.name).toBe('TorchError');
      // libtorch's message, not a C++ backtrace.
      expect(err.message).not.toMatch(/Exception raised from/);
    } else if (row.arg !== undefined) {
      expect(err.message).toMatch(new RegExp(`^Expected .* for ${escapeRegExp(row.arg)} but received`));
    }
    if (row.message) expect(err.message).toMatch(row.message);
    // A failed call leaves nothing behind once its scope is closed.
    expect(torch.memory().liveTensors).toBeLessThanOrEqual(live);
  });

  it.skipIf(!torch.cuda.isAvailable())('device mismatch (needs CUDA; this libtorch build is CPU-only)', () => {
    const a = torch.ones(2);
    const b = torch.ones(2, { device: 'cuda' });
    expect(() => a.add(b)).toThrow(TorchError);
    expect(() => a.add(b)).toThrow(/same device/);
  });
});

describe('TorchError', () => {
  it('is an Error and a TorchError named TorchError, with a stack', () => {
    let err: unknown;
    try {
      torch.ones(2, 3).add(torch.ones(4));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(TorchError);
    expect(err).not.toBeInstanceOf(TypeError);
    const te = err as TorchError;
    expect(te.name).toBe('TorchError');
    expect(te.stack).toMatch(/TorchError/);
    expect(String(te)).toMatch(/^TorchError: The size of tensor a \(3\) must match/);
  });

  it('can be constructed and caught like any Error', () => {
    const e = new TorchError('boom');
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe('boom');
    expect(() => {
      throw e;
    }).toThrow(TorchError);
  });

  it('a disposed tensor fails data() too, and still prints', async () => {
    const t = disposed();
    await expect(Promise.resolve().then(() => t.data())).rejects.toThrow(TorchError);
    expect(t.isDisposed).toBe(true);
    expect(String(t)).toBe('tensor(<disposed>)');
    expect(() => t.dispose()).not.toThrow();
  });
});

describe('checkOptions with the valid keys', () => {
  it('throws a TypeError naming the unknown key and the nearest valid one', () => {
    const keys = ['batchSize', 'shuffle', 'numWorkers', 'dropLast'];
    expect(() => checkOptions({ batch_size: 64 }, 'DataLoader options', keys)).toThrow(
      new TypeError(
        'Unknown option "batch_size" for DataLoader options: did you mean batchSize? (valid: batchSize, shuffle, numWorkers, dropLast)',
      ),
    );
    expect(checkOptions({ shuffle: true }, 'DataLoader options', keys)).toEqual({ shuffle: true });
    expect(checkOptions(undefined, 'options', keys)).toEqual({});
  });

  it('finds the nearest key by edit distance, ignoring case, _ and -', () => {
    expect(nearestKey('padd', ['stride', 'padding', 'dilation'])).toBe('padding');
    expect(nearestKey('num_workers', ['batchSize', 'numWorkers'])).toBe('numWorkers');
    expect(nearestKey('shufle', ['batchSize', 'shuffle'])).toBe('shuffle');
    expect(nearestKey('lr_decay', ['lr', 'lrDecay'])).toBe('lrDecay');
    expect(nearestKey('mometnum', ['momentum', 'dampening'])).toBe('momentum'); // a swap counts once
    expect(nearestKey('x', [])).toBeUndefined();
    expect(nearestKey('colour', ['batchSize', 'shuffle'])).toBeUndefined(); // nothing close: no guess
  });
});

describe('after all the errors', () => {
  it('the process is alive and tensor math still works', async () => {
    const a = torch
      .tensor([
        [1, 2],
        [3, 4],
      ])
      .float();
    const b = torch
      .tensor([
        [5, 6],
        [7, 8],
      ])
      .float();
    expect(a.matmul(b).toArray()).toEqual([
      [19, 22],
      [43, 50],
    ]);
    expect(a.add(b).sum().item()).toBe(36);
    expect(Array.from((await a.t().contiguous().data()) as Float32Array)).toEqual([1, 3, 2, 4]);
    const x = torch.tensor([1, 2, 3], { dtype: 'float32', requiresGrad: true });
    x.mul(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 4, 6]);
    expect(torch.isGradEnabled()).toBe(true);
    expect(process.pid).toBeGreaterThan(0);
  });
});
