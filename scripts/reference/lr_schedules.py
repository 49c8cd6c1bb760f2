"""Reference learning-rate schedules for test/lr_scheduler.test.ts, computed by real PyTorch.

    python3 lr_schedules.py CONFIGS_JSON

CONFIGS_JSON (a JSON string, written by the test) maps a case name to
  {"optimizer": "SGD" | "Adam" | "AdamW",
   "options": {camelCase optimizer options},
   "groups": [{camelCase options of group i}, ...]   (optional; one parameter per group),
   "scheduler": SPEC, "steps": N, "resumeAt": K (optional)}
where SPEC is {"type": the lr_scheduler class, "args": [positional arguments after the
optimizer], "options": {camelCase keyword arguments}}, or {"type": "SequentialLR",
"schedulers": [SPEC, ...], "milestones": [...], "options": {...}}, or {"type":
"ChainedScheduler", "schedulers": [SPEC, ...]}. Functions (LambdaLR's and MultiplicativeLR's
lr_lambda, CyclicLR's scale_fn) are given as FN specs, in "args" or under "options": {"fn":
"pow", "base": b} is b ** x, {"fn": "warmup", "steps": n} is min(1, (x + 1) / n), {"fn":
"every", "steps": k, "factor": f} is f when x % k == 0 else 1; a list of FN specs is one per
group. A case may give "stepArgs": [[arguments of step t], ...] (ReduceLROnPlateau's metric,
CosineAnnealingWarmRestarts' fractional epoch).

For each case it builds the optimizer and scheduler, records the groups' learning rates, the
scheduler's get_last_lr() and the groups' momentum (SGD's momentum, Adam's betas[0]) after
construction and after each of N scheduler steps, and prints JSON
  {name: {"lr": [[per group] * (N + 1)], "lastLr": [...], "momentum": [...],
          "groups": [{camelCase name: value of initial_lr, max_lr, min_lr, max_momentum,
                      base_momentum where present}]}}  (groups at the end).
With resumeAt K, after K steps the optimizer's and scheduler's state dicts go into a fresh
optimizer and scheduler (built the same way; optimizer loaded first) that take the rest.
"""
import copy
import json
import re
import sys
import warnings

import torch
from torch.optim import lr_scheduler

RENAME = {"tMax": "T_max", "t0": "T_0", "tMult": "T_mult"}
GROUP_KEYS = ["initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"]


def fn(spec):
    """A function from an FN spec (see above), or a list of them."""
    if isinstance(spec, list):
        return [fn(s) for s in spec]
    if not isinstance(spec, dict) or "fn" not in spec:
        return spec
    if spec["fn"] == "pow":
        return lambda x: spec["base"] ** x
    if spec["fn"] == "warmup":
        return lambda x: min(1.0, (x + 1) / spec["steps"])
    if spec["fn"] == "every":
        return lambda x: spec["factor"] if x % spec["steps"] == 0 else 1.0
    raise ValueError(f"unknown fn {spec['fn']}")


def snake(options):
    out = {}
    for k, v in options.items():
        key = RENAME.get(k) or re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), k)
        out[key] = tuple(v) if key == "betas" else fn(v)
    return out


def camel(key):
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key)


def make_optimizer(cfg):
    groups = cfg.get("groups")
    if groups:
        params = [{"params": [torch.nn.Parameter(torch.zeros(2))], **snake(g)} for g in groups]
    else:
        params = [torch.nn.Parameter(torch.zeros(2))]
    return getattr(torch.optim, cfg["optimizer"])(params, **snake(cfg.get("options", {})))


def make_scheduler(opt, spec):
    if spec["type"] == "SequentialLR":
        subs = [make_scheduler(opt, s) for s in spec["schedulers"]]
        return lr_scheduler.SequentialLR(opt, subs, spec["milestones"], **snake(spec.get("options", {})))
    if spec["type"] == "ChainedScheduler":
        return lr_scheduler.ChainedScheduler([make_scheduler(opt, s) for s in spec["schedulers"]])
    args = [fn(a) for a in spec.get("args", [])]
    return getattr(lr_scheduler, spec["type"])(opt, *args, **snake(spec.get("options", {})))


def momentum(group):
    return group["betas"][0] if "betas" in group else group["momentum"]


def run(cfg):
    out = {"lr": [], "lastLr": [], "momentum": []}

    def record(opt, sched):
        out["lr"].append([float(g["lr"]) for g in opt.param_groups])
        out["lastLr"].append([float(v) for v in sched.get_last_lr()])
        out["momentum"].append([float(momentum(g)) for g in opt.param_groups])

    opt = make_optimizer(cfg)
    sched = make_scheduler(opt, cfg["scheduler"])
    record(opt, sched)
    for t in range(1, cfg["steps"] + 1):
        if t - 1 == cfg.get("resumeAt"):
            osd, ssd = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())
            opt = make_optimizer(cfg)
            sched = make_scheduler(opt, cfg["scheduler"])
            opt.load_state_dict(osd)
            sched.load_state_dict(ssd)
        sched.step(*cfg.get("stepArgs", [[]] * cfg["steps"])[t - 1])
        record(opt, sched)
    out["groups"] = [{camel(k): float(g[k]) for k in GROUP_KEYS if k in g} for g in opt.param_groups]
    return out


def main(configs):
    # The schedulers are stepped without optimizer steps; PyTorch warns about that.
    warnings.simplefilter("ignore")
    print(json.dumps({name: run(cfg) for name, cfg in configs.items()}))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
