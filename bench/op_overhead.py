"""Per-op overhead in PyTorch (Python eager): the Python side of bench/op_overhead.ts.

Times ops so small that what is measured is the cost of calling them, not their work:

  add:    a + b on 1-element float32 tensors
  conv2d: torch.nn.functional.conv2d(x, w, b, padding=1), x [1,3,8,8], w [4,3,3,3], b [4]

with torch.set_num_threads(1). Each case runs --warmup ops, then --rounds rounds of --reps
ops each; a round's time divided by --reps is its time per op, and the median over rounds
is reported. Each result is dropped when the next one replaces it, so Python frees it by
reference counting right away, as torchts' dispose() does.

A loop that does nothing is timed the same way ("loop" in the output), for reference: it is
not subtracted from the figures.

usage: op_overhead.py [--case add|conv2d ...] [--warmup W] [--rounds R] [--reps N]
Prints one JSON object on stdout.
"""
import argparse
import json
import platform
import statistics
import sys
import time

import torch
import torch.nn.functional as F

# name: default reps per round (conv2d costs more per op, so fewer reps keep rounds short)
CASES = {"add": 200_000, "conv2d": 20_000}


def make_case(name):
    """The op to time as a function running it `n` times."""
    if name == "add":
        a = torch.ones(1, dtype=torch.float32)
        b = torch.ones(1, dtype=torch.float32)

        def run(n):
            for _ in range(n):
                c = a + b  # noqa: F841  (replaced next iteration: freed by refcount)

        return run
    if name == "conv2d":
        g = torch.Generator().manual_seed(0)
        x = torch.randn(1, 3, 8, 8, generator=g)
        w = torch.randn(4, 3, 3, 3, generator=g)
        b = torch.randn(4, generator=g)

        def run(n):
            for _ in range(n):
                y = F.conv2d(x, w, b, padding=1)  # noqa: F841

        return run
    raise SystemExit(f"unknown case {name!r}; expected one of {', '.join(CASES)}")


def empty_loop(n):
    for _ in range(n):
        pass


def time_rounds(run, warmup, rounds, reps):
    """Per-op microseconds of each round, after `warmup` ops."""
    run(warmup)
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        run(reps)
        out.append((time.perf_counter_ns() - t0) / reps / 1e3)
    return out


def summary(us):
    return {
        "median_us": statistics.median(us),
        "min_us": min(us),
        "max_us": max(us),
        "rounds_us": us,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--case", action="append", choices=list(CASES))
    p.add_argument("--warmup", type=int, default=None, help="ops before timing (default: reps of one round)")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--reps", type=int, default=None, help="ops per round (default: per case)")
    args = p.parse_args()

    torch.set_num_threads(1)
    results = {}
    for name in args.case or list(CASES):
        reps = args.reps or CASES[name]
        warmup = reps if args.warmup is None else args.warmup
        r = summary(time_rounds(make_case(name), warmup, args.rounds, reps))
        r.update(reps=reps, warmup=warmup, rounds=args.rounds)
        results[name] = r
    loop_reps = args.reps or max(CASES.values())
    results["loop"] = summary(time_rounds(empty_loop, loop_reps, args.rounds, loop_reps))

    json.dump(
        {
            "runtime": "python",
            "python": sys.version.split()[0],
            "implementation": platform.python_implementation(),
            "torch": torch.__version__,
            "torch_file": torch.__file__,
            "threads": torch.get_num_threads(),
            "results": results,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
