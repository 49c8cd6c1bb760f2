"""Reference outputs and gradients for the op parity sweep (test/parity/ops.test.ts).

Takes PyTorch's own OpInfo database (torch.testing._internal.common_methods_invocations):
for each op, the first --per-op sample inputs its sample_inputs function makes on CPU in
float32 (float64 where the op has no float32; integer and bool ops in their own dtypes),
runs the op with real PyTorch, and, where the op supports autograd and gives floating
outputs, backpropagates sum(out_i * w_i) with seeded weights w_i. Written to --out:

  manifest.json  {"cases": [...], "tensors": [{dtype, shape, offset, nbytes}], "skipped": {...}}
  tensors.bin    every tensor's raw little-endian row-major bytes, back to back

A case: {op, call: "torch" | "method" | "functional" | "linalg" | "special", name (Python),
args, kwargs, out, grad_weights, grads}; tensors are {"t": index}, tuples/lists are JSON
arrays, dtypes {"dtype": name}, other values as JSON. Ops whose samples hold values JS has no
form for (complex numbers, slices, Python callables, ...) are skipped and listed with why.

Random ops are skipped (the OpInfo flag or two runs that differ). Threads: 1, as the test.

usage: python3 op_samples.py --out DIR [--per-op N] [--only name,name]
"""

import argparse
import itertools
import json
import math
import os
import sys
import types
import unittest

# common_utils imports expecttest for its TestCase base; the sample generators do not use it.
if "expecttest" not in sys.modules:
    _m = types.ModuleType("expecttest")
    _m.TestCase = unittest.TestCase
    sys.modules["expecttest"] = _m

import torch  # noqa: E402
from torch.testing._internal.common_methods_invocations import op_db  # noqa: E402

DTYPES = {
    torch.float32: "float32",
    torch.float64: "float64",
    torch.float16: "float16",
    torch.bfloat16: "bfloat16",
    torch.int64: "int64",
    torch.int32: "int32",
    torch.int16: "int16",
    torch.int8: "int8",
    torch.uint8: "uint8",
    torch.bool: "bool",
}

# Random or stateful ops: their outputs cannot be compared across two runs.
RANDOM = {
    "bernoulli", "normal", "uniform", "multinomial", "randint_like", "rand_like", "randn_like",
    "nn.functional.dropout", "nn.functional.dropout2d", "nn.functional.dropout3d", "nn.functional.alpha_dropout",
    "nn.functional.feature_alpha_dropout", "nn.functional.rrelu", "nn.functional.gumbel_softmax",
    "nn.functional.fractional_max_pool2d", "nn.functional.fractional_max_pool3d", "cauchy", "exponential",
    "geometric", "log_normal", "random_", "empty", "empty_like", "empty_strided", "new_empty",
    "new_empty_strided", "empty_permuted", "nn.functional.multi_head_attention_forward", "randn", "rand",
    "torch.empty", "nn.functional.dropout1d",
}


class Skip(Exception):
    pass


class Writer:
    def __init__(self):
        self.tensors = []
        self.chunks = []
        self.offset = 0

    def tensor(self, t):
        t = t.detach()
        if t.dtype not in DTYPES:
            raise Skip(f"dtype {t.dtype}")
        if t.is_sparse or t.layout != torch.strided:
            raise Skip("non-strided layout")
        c = t.contiguous().cpu()
        if c.dtype in (torch.float16, torch.bfloat16):
            data = c.view(torch.int16).numpy().tobytes()
        else:
            data = c.numpy().tobytes()
        self.tensors.append({"dtype": DTYPES[t.dtype], "shape": list(t.shape), "offset": self.offset, "nbytes": len(data)})
        self.chunks.append(data)
        self.offset += len(data)
        pad = (-self.offset) % 8
        if pad:
            self.chunks.append(b"\0" * pad)
            self.offset += pad
        return {"t": len(self.tensors) - 1, **({"grad": True} if t.requires_grad else {})}


def encode(v, w: Writer, leaf_grad: list):
    if isinstance(v, torch.Tensor):
        e = w.tensor(v)
        if v.requires_grad and v.is_leaf:
            leaf_grad.append(v)
            e["leaf"] = len(leaf_grad) - 1
        return e
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        if abs(v) > 2**53:
            raise Skip("integer beyond 2**53")
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return {"float": "nan"}
        if math.isinf(v):
            return {"float": "inf" if v > 0 else "-inf"}
        return v
    if isinstance(v, torch.dtype):
        if v not in DTYPES:
            raise Skip(f"dtype {v}")
        return {"dtype": DTYPES[v]}
    if isinstance(v, torch.Size):
        return list(v)
    if isinstance(v, (list, tuple)):
        return [encode(x, w, leaf_grad) for x in v]
    if isinstance(v, torch.memory_format):
        names = {torch.contiguous_format: "contiguousFormat", torch.channels_last: "channelsLast", torch.preserve_format: "preserveFormat"}
        if v not in names:
            raise Skip(f"memory format {v}")
        return {"memoryFormat": names[v]}
    if isinstance(v, torch.device):
        return {"device": str(v)}
    raise Skip(f"argument of type {type(v).__name__}")


def encode_out(v, w: Writer):
    if isinstance(v, torch.Tensor):
        return w.tensor(v)
    if isinstance(v, (list, tuple)):
        return [encode_out(x, w) for x in v]
    if isinstance(v, (bool, int, float)) or v is None:
        if isinstance(v, float) and not math.isfinite(v):
            return {"float": str(v)}
        return v
    if isinstance(v, torch.dtype):
        return {"dtype": DTYPES.get(v, str(v))}
    raise Skip(f"result of type {type(v).__name__}")


def flat_tensors(v):
    if isinstance(v, torch.Tensor):
        return [v]
    if isinstance(v, (list, tuple)):
        return [t for x in v for t in flat_tensors(x)]
    return []


def same(a, b):
    ta, tb = flat_tensors(a), flat_tensors(b)
    if len(ta) != len(tb):
        return False
    return all(x.shape == y.shape and torch.equal(x.detach(), y.detach()) for x, y in zip(ta, tb))


def call_kind(op):
    """Which torchts namespace runs the op; None where OpInfo calls it through a wrapper of its own."""
    n = op.name
    for prefix, kind, mod in (
        ("nn.functional.", "functional", torch.nn.functional),
        ("linalg.", "linalg", torch.linalg),
        ("special.", "special", torch.special),
    ):
        if n.startswith(prefix):
            name = n[len(prefix) :]
            # OpInfo wraps some ops in lambdas that reorder or pick arguments (embedding, lstsq, ...)
            return (kind if op.op is getattr(mod, name, None) else None), name
    if "." in n:
        return None, n
    if op.op is getattr(torch, n, None):
        return "torch", n
    if op.method_variant is not None:
        return "method", n
    return None, n


def pick_dtype(op):
    dts = op.supported_dtypes("cpu")
    for d in (torch.float32, torch.float64, torch.int64, torch.bool, torch.int32, torch.uint8):
        if d in dts:
            return d
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--per-op", type=int, default=2)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    torch.set_num_threads(1)
    only = set(filter(None, args.only.split(",")))
    w = Writer()
    cases, skipped = [], {}
    for op in op_db:
        key = op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")
        if only and op.name not in only:
            continue
        if op.name in RANDOM or op.name.startswith("_"):
            skipped[key] = "random or private"
            continue
        kind, name = call_kind(op)
        if kind is None:
            skipped[key] = "a namespace torchts does not have (fft, sparse, ...) or an OpInfo wrapper around the op"
            continue
        dtype = pick_dtype(op)
        if dtype is None:
            skipped[key] = "no real dtype on CPU"
            continue
        grad = bool(op.supports_autograd) and dtype.is_floating_point
        try:
            samples = list(itertools.islice(op.sample_inputs("cpu", dtype, requires_grad=grad), args.per_op))
        except Exception as e:  # noqa: BLE001 - a sample generator that fails here is skipped, and said why
            skipped[key] = f"sample_inputs failed: {type(e).__name__}"
            continue
        fn = op.op if kind != "method" else None
        made = 0
        for i, s in enumerate(samples):
            mark = (len(w.tensors), w.offset, len(w.chunks))
            try:
                torch.manual_seed(0)
                if kind == "method":
                    out = getattr(s.input, name)(*s.args, **s.kwargs)
                else:
                    out = fn(s.input, *s.args, **s.kwargs)
                again = getattr(s.input, name)(*s.args, **s.kwargs) if kind == "method" else fn(s.input, *s.args, **s.kwargs)
                if not same(out, again):
                    raise Skip("two runs differ")
                leaves = []
                case = {
                    "op": key,
                    "call": kind,
                    "name": name,
                    "input": encode(s.input, w, leaves),
                    "args": encode(list(s.args), w, leaves),
                    "kwargs": {k: encode(v, w, leaves) for k, v in s.kwargs.items()},
                    "out": encode_out(out, w),
                }
                outs = [t for t in flat_tensors(out) if t.requires_grad and t.dtype.is_floating_point]
                if grad and outs and leaves:
                    g = torch.Generator().manual_seed(1000 + i)
                    weights = [torch.randn(t.shape, dtype=t.dtype, generator=g) for t in outs]
                    loss = sum((t * wt).sum() for t, wt in zip(outs, weights))
                    grads = torch.autograd.grad(loss, leaves, allow_unused=True)
                    case["grad_weights"] = [w.tensor(x) for x in weights]
                    case["grads"] = [None if x is None else w.tensor(x) for x in grads]
                cases.append(case)
                made += 1
            except Skip as e:
                w.tensors, w.offset, w.chunks = w.tensors[: mark[0]], mark[1], w.chunks[: mark[2]]
                skipped[f"{key}#{i}"] = str(e)
            except Exception as e:  # noqa: BLE001 - PyTorch itself rejects some samples on CPU
                w.tensors, w.offset, w.chunks = w.tensors[: mark[0]], mark[1], w.chunks[: mark[2]]
                skipped[f"{key}#{i}"] = f"PyTorch raised {type(e).__name__}"
        if not made and key not in skipped:
            skipped[key] = "no usable sample"
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "tensors.bin"), "wb") as f:
        for c in w.chunks:
            f.write(c)
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf8") as f:
        json.dump({"torch": torch.__version__, "cases": cases, "tensors": w.tensors, "skipped": skipped}, f)
    print(json.dumps({"cases": len(cases), "ops": len({c["op"] for c in cases}), "skipped": len(skipped)}))


if __name__ == "__main__":
    main()
