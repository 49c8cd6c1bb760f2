"""Reference optimizer trajectories for test/parity/optim.test.ts, computed by real PyTorch.

    python3 optim_steps.py IN_DIR OUT_DIR

IN_DIR (written by torchts, fixtures layout) holds the model's initial weights 'init/<key>'
(torchts-initialised), the batches 'x<t>'/'y<t>' and configs.json:
  {name: {"optimizer": "SGD" | "Adam" | ... | "LBFGS", "options": {camelCase keyword arguments},
          "groups": [{"modules": [child names], "options": {...}}]  (optional)}}
Options are passed as given: without "foreach" PyTorch picks its default (the per-parameter
loop on the CPU). For each config it trains a fresh copy of the model for one step per batch
(zero_grad, cross entropy, backward, step; LBFGS: step(closure) with those in the closure)
and writes, under '<name>/':
  loss<t>                       the loss of step t (LBFGS: the closure's first)
  step<t>/<param>               every parameter after step t
  state<t>/<param>/<key>        the optimizer state after step t: tensors as they are, numbers
                                as float64 scalars, lists as <key>/<i> (None entries left out)
Also writes OUT_DIR/pth/<name>.pth: torch.save(optimizer.state_dict()) after step 1.
"""
import json
import os
import re
import sys

import torch
from torch import nn

import tensors


class Net(nn.Module):
    """The torchts test's Net: 'unused' never takes part in forward, so it gets no gradient."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(8, 3)
        self.unused = nn.Linear(2, 2)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


TUPLES = {"betas", "etas", "step_sizes"}


def snake(options):
    out = {re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), k): v for k, v in options.items()}
    return {k: tuple(v) if k in TUPLES else v for k, v in out.items()}


def make_optimizer(cfg, model, **override):
    if "groups" in cfg:
        params = [
            {"params": [p for m in g["modules"] for p in getattr(model, m).parameters()], **snake(g.get("options", {}))}
            for g in cfg["groups"]
        ]
    else:
        params = model.parameters()
    return getattr(torch.optim, cfg["optimizer"])(params, **{**snake(cfg["options"]), **override})


def train_step(model, opt, x, y):
    """One step as the torchts test takes it; returns the loss."""
    if isinstance(opt, torch.optim.LBFGS):

        def closure():
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            return loss

        return opt.step(closure)
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


def flat_state(value, key):
    """A state value as fixtures: {key: tensor}, lists as key/i, numbers as float64 scalars."""
    if value is None:
        return {}
    if isinstance(value, (list, tuple)):
        out = {}
        for i, v in enumerate(value):
            out.update(flat_state(v, f"{key}/{i}"))
        return out
    if torch.is_tensor(value):
        return {key: value.detach().clone()}
    return {key: torch.tensor(float(value), dtype=torch.float64)}


def run(name, cfg, init, batches, pth_dir):
    model = Net()
    model.load_state_dict(init, strict=True)
    named = dict(model.named_parameters())
    opt = make_optimizer(cfg, model)
    out = {}
    for t, (x, y) in enumerate(batches):
        out[f"loss{t}"] = train_step(model, opt, x, y).detach().clone()
        out.update({f"step{t}/{k}": p.detach().clone() for k, p in named.items()})
        for k, p in named.items():
            for key, v in opt.state.get(p, {}).items():
                out.update(flat_state(v, f"state{t}/{k}/{key}"))
        if t == 1:
            # What a PyTorch user saves mid-training, for torchts to resume from.
            torch.save(opt.state_dict(), os.path.join(pth_dir, f"{name}.pth"))
    return out


def main(src, dst):
    torch.set_num_threads(1)  # tiny tensors; as the torchts side
    fx = tensors.load(src)
    with open(os.path.join(src, "configs.json")) as f:
        configs = json.load(f)
    init = {k[len("init/"):]: v for k, v in fx.items() if k.startswith("init/")}
    batches = [(fx[f"x{t}"], fx[f"y{t}"]) for t in range(sum(1 for k in fx if re.fullmatch(r"x\d+", k)))]
    result = {}
    pth_dir = os.path.join(dst, "pth")
    os.makedirs(pth_dir, exist_ok=True)
    for name, cfg in configs.items():
        result.update(tensors.prefixed(run(name, cfg, init, batches, pth_dir), f"{name}/"))
    tensors.save(dst, result)
    print(f"{len(configs)} optimizers, {len(batches)} steps")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
