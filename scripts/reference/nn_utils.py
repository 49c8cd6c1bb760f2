"""Reference results for test/parity/nn_utils.test.ts: torch.nn.utils run by real PyTorch.

    python3 nn_utils.py OUT_DIR

For each case: 'grad_in/<i>' the gradients set on the parameters (a missing i had none),
'grad_out/<i>' the gradients afterwards, 'total' the returned total norm (clip_grad_norm_).
'p2v/...' holds parameters_to_vector's parameters and result.
"""
import math
import sys

import torch
from torch import nn

import tensors

SHAPES = [(3, 4), (5,), (2, 3, 2), (1,)]

# name: (function of params, dtype, parameter indices without a gradient)
CASES = {
    "norm_2": (lambda ps: nn.utils.clip_grad_norm_(ps, 1.0), torch.float32, ()),
    "norm_1_no_foreach": (lambda ps: nn.utils.clip_grad_norm_(ps, 0.5, 1.0, foreach=False), torch.float32, ()),
    "norm_inf": (lambda ps: nn.utils.clip_grad_norm_(ps, 0.3, math.inf), torch.float32, ()),
    "norm_3_5_no_clip": (lambda ps: nn.utils.clip_grad_norm_(ps, 100.0, 3.5), torch.float32, ()),
    "norm_missing_grad": (lambda ps: nn.utils.clip_grad_norm_(ps, 0.7), torch.float32, (1,)),
    "norm_f64": (lambda ps: nn.utils.clip_grad_norm_(ps, 1.0, 2.0, True), torch.float64, ()),
    "value": (lambda ps: nn.utils.clip_grad_value_(ps, 0.2), torch.float32, ()),
    "value_no_foreach": (lambda ps: nn.utils.clip_grad_value_(ps, 0.5, foreach=False), torch.float32, (2,)),
}


def main(folder):
    out = {}
    for seed, (name, (fn, dtype, no_grad)) in enumerate(CASES.items()):
        torch.manual_seed(seed)
        ps = [nn.Parameter(torch.randn(s, dtype=dtype)) for s in SHAPES]
        for i, p in enumerate(ps):
            if i not in no_grad:
                p.grad = torch.randn(p.shape, dtype=dtype)
                out[f"{name}/grad_in/{i}"] = p.grad.clone()
        r = fn(ps)
        if r is not None:
            out[f"{name}/total"] = r
        for i, p in enumerate(ps):
            if p.grad is not None:
                out[f"{name}/grad_out/{i}"] = p.grad
    torch.manual_seed(100)
    ps = [torch.randn(s) for s in SHAPES]
    out.update({f"p2v/param/{i}": p for i, p in enumerate(ps)})
    out["p2v/vector"] = nn.utils.parameters_to_vector(ps)
    tensors.save(folder, out)
    print(f"{len(CASES)} cases, {len(out)} tensors")


if __name__ == "__main__":
    main(sys.argv[1])
