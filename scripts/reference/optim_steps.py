"""Reference optimizer trajectories for test/parity/optim.test.ts, computed by real PyTorch.

    python3 optim_steps.py IN_DIR OUT_DIR

IN_DIR (written by torchts, fixtures layout) holds the model's initial weights 'init/<key>'
(torchts-initialised), the batches 'x<t>'/'y<t>' and configs.json:
  {name: {"optimizer": "SGD" | "Adam" | "AdamW", "options": {camelCase hyper-parameters},
          "groups": [{"modules": [child names], "options": {...}}]  (optional)}}
For each config it trains a fresh copy of the model for one step per batch (zero_grad,
cross entropy, backward, step) with PyTorch's single-tensor (foreach=False) algorithms and
writes, under '<name>/':  loss<t>;  step<t>/<param>  every parameter after step t;
state/<param>/<key>  the final optimizer state (tensors, and 'step' as a float64 scalar).
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


def snake(options):
    out = {re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), k): v for k, v in options.items()}
    if "betas" in out:
        out["betas"] = tuple(out["betas"])
    return out


def run(name, cfg, init, batches, pth_dir):
    model = Net()
    model.load_state_dict(init, strict=True)
    named = dict(model.named_parameters())
    if "groups" in cfg:
        params = [
            {"params": [p for m in g["modules"] for p in getattr(model, m).parameters()], **snake(g.get("options", {}))}
            for g in cfg["groups"]
        ]
    else:
        params = model.parameters()
    opt = getattr(torch.optim, cfg["optimizer"])(params, foreach=False, **snake(cfg["options"]))
    out = {}
    for t, (x, y) in enumerate(batches):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        out[f"loss{t}"] = loss
        out.update({f"step{t}/{k}": p.detach().clone() for k, p in named.items()})
        if t == 1:
            # What a PyTorch user saves mid-training, for torchts to resume from.
            torch.save(opt.state_dict(), os.path.join(pth_dir, f"{name}.pth"))
    for k, p in named.items():
        state = opt.state.get(p, {})
        if k.startswith("unused") and state:
            raise AssertionError(f"{name}: {k} has no gradient but has state {list(state)}")
        for key, v in state.items():
            out[f"state/{k}/{key}"] = torch.as_tensor(v, dtype=torch.float64) if key == "step" else v
    return out


def main(src, dst):
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
