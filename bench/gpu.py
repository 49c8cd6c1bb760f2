"""ResNet-50 on the GPU in PyTorch eager (and with CUDA graphs): the Python side of bench/gpu.ts.

    python3 gpu.py [--case NAME ...] [--quick]

Prints one JSON object: this side's versions and, per case, the median time of one step (ms)
over --iters steps after --warmup, each timed as a block of steps ended by
torch.cuda.synchronize(). bench/gpu.ts runs the same cases with the same settings in torchts
and prints the ratios. Settings shared by both sides:
  - synthetic data already on the GPU; torch.backends.cudnn.benchmark = True;
  - train: SGD(lr 0.1, momentum 0.9, weight_decay 1e-4, fused=True), CrossEntropyLoss;
  - amp: torch.autocast('cuda', dtype=bfloat16) around forward + loss (no GradScaler needed);
  - channels_last: model and input in torch.channels_last;
  - graph: the whole step (zero_grad, forward, loss, backward, optimizer step) captured once
    with torch.cuda.graph after 3 warm-up steps on a side stream, then replayed.
The model is torchvision's resnet50 (torchvision if it imports, else torchvision's resnet.py
file through scripts/reference/torchvision_models.py).
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn

# name: (mode, batch, amp, channels_last, graph)
CASES = {
    "train-b256-amp-cl": ("train", 256, True, True, False),
    "train-b32-amp-cl": ("train", 32, True, True, False),
    "train-b32-amp-cl-graph": ("train", 32, True, True, True),
    "train-b8-amp-cl": ("train", 8, True, True, False),
    "train-b8-amp-cl-graph": ("train", 8, True, True, True),
    "infer-b1-amp-cl": ("infer", 1, True, True, False),
    "infer-b256-amp-cl": ("infer", 256, True, True, False),
}


def resnet50():
    try:
        from torchvision.models import resnet50 as build
    except Exception:
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "reference"))
        from torchvision_models import resnet

        build = resnet.resnet50
    return build()


class Case:
    def __init__(self, mode, batch, amp, cl, graph):
        torch.manual_seed(0)
        fmt = torch.channels_last if cl else torch.contiguous_format
        self.model = resnet50().cuda().to(memory_format=fmt)
        self.x = torch.randn(batch, 3, 224, 224, device="cuda").to(memory_format=fmt)
        self.y = torch.randint(0, 1000, (batch,), device="cuda")
        self.amp = amp
        self.mode = mode
        if mode == "infer":
            self.model.eval()
            return
        self.model.train()
        self.criterion = nn.CrossEntropyLoss()
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4, fused=True)
        self.graph = None
        if graph:
            s = torch.cuda.Stream()
            s.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(s):
                for _ in range(3):
                    self.train_step(cache=False)
            torch.cuda.current_stream().wait_stream(s)
            self.graph = torch.cuda.CUDAGraph()
            self.opt.zero_grad(set_to_none=True)
            with torch.cuda.graph(self.graph):
                self.static_loss = self.train_step(cache=False)

    def train_step(self, cache=True):
        self.opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.amp, cache_enabled=cache):
            loss = self.criterion(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss

    def step(self):
        if self.mode == "infer":
            with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.amp):
                self.model(self.x)
        elif self.graph is not None:
            self.graph.replay()
        else:
            self.train_step()


def measure(case, warmup, iters, block):
    for _ in range(warmup):
        case.step()
    torch.cuda.synchronize()
    times = []
    for _ in range(max(1, iters // block)):
        t0 = time.perf_counter()
        for _ in range(block):
            case.step()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - t0) * 1e3 / block)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", action="append", choices=sorted(CASES))
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--iters", type=int, default=40)
    ap.add_argument("--block", type=int, default=5)
    args = ap.parse_args()
    torch.backends.cudnn.benchmark = True
    out = {
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
        "gpu": torch.cuda.get_device_name(),
        "cases": {},
    }
    for name in args.case or list(CASES):
        mode, batch, amp, cl, graph = CASES[name]
        case = Case(mode, batch, amp, cl, graph)
        times = measure(case, args.warmup, args.iters, args.block)
        med = statistics.median(times)
        out["cases"][name] = {"median_ms": med, "times_ms": times, "batch": batch, "images_per_s": batch * 1e3 / med}
        del case
        torch.cuda.empty_cache()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
