"""ResNet-18/50 inference and training step in PyTorch, timed: the Python side of bench/resnet.ts.

The models are torchvision's own code (torchvision/models/resnet.py, loaded by
scripts/reference/torchvision_models.py). bench/resnet.ts mirrors this file line by line.

  inference: batch 1 at 224x224, model.eval(), each forward under torch.no_grad();
  train:     batch 16 at 224x224: zero_grad, forward, CrossEntropyLoss, backward,
             SGD(lr 0.1, momentum 0.9, weight_decay 1e-4) step.
Each timed iteration ends when its results are freed (torchts frees them in a tidy scope).
Medians of --iters iterations after --warmup.

usage: resnet.py [--threads N] [--case resnet50-train ...] [--warmup W] [--iters N] [--layout]
       resnet.py [--threads N] --serve
  --case    one of resnet18-infer, resnet50-infer, resnet18-train, resnet50-train; may repeat
            (default: all four, each with its default warm-up and iterations)
  --layout  print each model's state_dict keys and shapes (and run only the --case cases)
  --serve   for bench/resnet.ts, which interleaves the two sides iteration by iteration:
            prints a JSON line describing this side, then answers one JSON line per request
            line: {"case": name, "n": k} runs k timed iterations of that case (built on
            first use, seed 0) and answers {"times_ms": [...], "cpu_ms": [...], "faults": [...]}; {"drop": true} frees the
            current case; {"layout": true} answers the state_dict layouts.
Otherwise prints one JSON object.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.optim as optim

# torchvision's own resnet.py on this torch: the loader the parity tests use.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "reference"))
from torchvision_models import resnet as _resnet  # noqa: E402


def load_resnet_module():
    return _resnet


def state_dict_layout(model):
    """[[key, shape], ...] in state_dict order."""
    return [[k, list(v.shape)] for k, v in model.state_dict().items()]

# name: (model, mode, batch, default warm-up, default iterations)
CASES = {
    "resnet18-infer": ("resnet18", "infer", 1, 5, 30),
    "resnet50-infer": ("resnet50", "infer", 1, 5, 20),
    "resnet18-train": ("resnet18", "train", 16, 1, 6),
    "resnet50-train": ("resnet50", "train", 16, 1, 4),
}


def now_ms():
    return time.perf_counter() * 1e3


class Infer:
    def __init__(self, model, batch):
        model.eval()  #                                                model.eval()
        self.model = model
        self.images = torch.randn(batch, 3, 224, 224)  #               torch.randn([batch, 3, 224, 224])

    def step(self):
        with torch.no_grad():  #                                       torch.noGrad(() =>
            outputs = self.model(self.images)  #                       torch.tidy(() => { model.forward(images); }))
            del outputs


class Train:
    def __init__(self, model, batch):
        model.train()  #                                               model.train()
        self.model = model
        self.criterion = nn.CrossEntropyLoss()  #                      new nn.CrossEntropyLoss()
        self.optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
        self.images = torch.randn(batch, 3, 224, 224)  #               torch.randn([batch, 3, 224, 224])
        self.labels = torch.randint(0, 1000, (batch,))  #              torch.randint(0, 1000, [batch])

    def step(self):
        self.optimizer.zero_grad()  #                                  optimizer.zeroGrad()
        outputs = self.model(self.images)  #                           model.forward(images)
        loss = self.criterion(outputs, self.labels)  #                 criterion.forward(outputs, labels)
        loss.backward()  #                                             loss.backward()
        self.optimizer.step()  #                                       optimizer.step()
        del outputs, loss  #                                           (the tidy scope frees them)


def make_case(resnet, name):
    arch, mode, batch, _, _ = CASES[name]
    torch.manual_seed(0)  #                                            torch.manualSeed(0)
    model = getattr(resnet, arch)()  #                                 vision.models[arch]()
    return (Infer if mode == "infer" else Train)(model, batch)


def timed(case, n, cpu=None, faults=None):
    """Wall-clock ms of n steps; with lists, also each step's process CPU ms and minor page faults."""
    times = []
    for _ in range(n):
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        c0 = time.process_time()
        t0 = now_ms()
        case.step()
        times.append(now_ms() - t0)
        if cpu is not None:
            cpu.append((time.process_time() - c0) * 1e3)
        if faults is not None:
            faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
    return times


def describe(resnet):
    return {
        "torch": torch.__version__,
        "libtorch_dir": os.path.join(os.path.dirname(os.path.realpath(torch.__file__)), "lib"),
        "python": sys.version.split()[0],
        "threads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "parallel_backend": torch.__config__.parallel_info().splitlines()[-1].strip(),
        "resnet_source": resnet.__file__,
    }


def layouts(resnet):
    return {arch: state_dict_layout(getattr(resnet, arch)()) for arch in ("resnet18", "resnet50")}


def serve(resnet):
    print(json.dumps(describe(resnet)), flush=True)
    name, case = None, None
    for line in sys.stdin:
        if not line.strip():
            break
        req = json.loads(line)
        if req.get("layout"):
            reply = {"layout": layouts(resnet)}
        elif req.get("drop"):
            name, case = None, None
            reply = {}
        else:
            if req["case"] != name:
                name, case = None, None
                name, case = req["case"], make_case(resnet, req["case"])
            cpu, faults = [], []
            reply = {"times_ms": timed(case, int(req["n"]), cpu, faults), "cpu_ms": cpu, "faults": faults}
        print(json.dumps(reply), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: leave as is)")
    ap.add_argument("--case", action="append", choices=sorted(CASES), help="cases to run (default: all)")
    ap.add_argument("--warmup", type=int, default=None, help="warm-up iterations (default: per case)")
    ap.add_argument("--iters", type=int, default=None, help="measured iterations (default: per case)")
    ap.add_argument("--layout", action="store_true", help="print state_dict keys and shapes; run only the --case cases")
    ap.add_argument("--serve", action="store_true", help="answer requests from bench/resnet.ts on stdin")
    args = ap.parse_args()

    try:
        resnet = load_resnet_module()
    except FileNotFoundError:
        sys.exit(2)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if args.serve:
        serve(resnet)
        return
    out = {**describe(resnet), "cases": {}}
    for name in args.case or ([] if args.layout else list(CASES)):
        _, _, batch, warmup, iters = CASES[name]
        warmup = args.warmup if args.warmup is not None else warmup
        iters = max(1, args.iters if args.iters is not None else iters)
        case = make_case(resnet, name)
        timed(case, warmup)
        times = timed(case, iters)
        del case
        out["cases"][name] = {
            "median_ms": statistics.median(times),
            "min_ms": min(times),
            "max_ms": max(times),
            "times_ms": times,
            "warmup": warmup,
            "iters": iters,
            "batch": batch,
        }
    if args.layout:
        out["layout"] = layouts(resnet)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
