"""Optimizer step times in PyTorch: the Python side of bench/optim.ts.

    python3 optim.py CONFIG_JSON

CONFIG_JSON: {"shapes": [[...], ...], "cases": {name: {"optimizer": "SGD", "options":
{camelCase keyword arguments}}}, "warmup": W, "iters": N, "threads": T, "seed": S}. The
parameters have the given shapes, random values and fixed random gradients; each case times
N calls of optimizer.step() after W untimed ones (the parameters move, the gradients stay)
and prints {name: [milliseconds per step, ...]} as one JSON line.
"""
import json
import re
import sys
import time

import torch

TUPLES = {"betas", "etas", "step_sizes"}


def snake(options):
    out = {re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), k): v for k, v in options.items()}
    return {k: tuple(v) if k in TUPLES else v for k, v in out.items()}


def main(cfg):
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(cfg["seed"])
    out = {}
    for name, case in cfg["cases"].items():
        params = [torch.nn.Parameter(torch.randn(s)) for s in cfg["shapes"]]
        for p in params:
            p.grad = torch.randn_like(p)
        opt = getattr(torch.optim, case["optimizer"])(params, **snake(case["options"]))
        for _ in range(cfg["warmup"]):
            opt.step()
        times = []
        for _ in range(cfg["iters"]):
            t0 = time.perf_counter()
            opt.step()
            times.append((time.perf_counter() - t0) * 1e3)
        out[name] = times
    print(json.dumps(out))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
