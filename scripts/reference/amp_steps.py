"""Reference mixed-precision results for test/amp.test.ts, computed by real PyTorch.

    python3 amp_steps.py IN_DIR OUT_DIR

IN_DIR (fixtures layout, written by torchts) holds the model's weights 'init/<key>' for
Sequential(Conv2d(3, 4, 3), BatchNorm2d(4), ReLU(), Flatten(), Linear(4*6*6, 5)) and the
batches 'x<t>' / 'y<t>'. OUT_DIR receives:
  autocast/eval_out, autocast/train_out, autocast/loss   forward under torch.autocast('cpu',
      bfloat16) (outputs cast to float32 for the exchange; their dtypes are checked by name
      in dtypes.json), then the gradients of the float32 weights: autocast/grad/<param>;
  scaler/scale<t>, scaler/stepped<t>, scaler/tracker<t>, scaler/step<t>/<param>   a
      GradScaler('cpu', init_scale=1024, growth_interval=2) loop with SGD (momentum) and
      autocast, one step per batch (a batch with inf in it makes a step that is skipped).
"""
import json
import os
import sys

import torch
from torch import nn

import tensors


def model(init):
    m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 5))
    m.load_state_dict(init, strict=True)
    return m


def main(src, dst):
    fx = tensors.load(src)
    init = {k[len("init/"):]: v for k, v in fx.items() if k.startswith("init/")}
    steps = sum(1 for k in fx if k.startswith("x"))
    out, dtypes = {}, {}

    m = model(init).eval()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = m(fx["x0"])
    dtypes["eval_out"] = str(y.dtype)
    out["autocast/eval_out"] = y.float()
    m.train()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = m(fx["x0"])
        loss = nn.functional.cross_entropy(y, fx["y0"])
    dtypes["train_out"], dtypes["loss"] = str(y.dtype), str(loss.dtype)
    out["autocast/train_out"] = y.float()
    out["autocast/loss"] = loss
    loss.backward()
    for k, p in m.named_parameters():
        dtypes[f"grad/{k}"] = str(p.grad.dtype)
        out[f"autocast/grad/{k}"] = p.grad

    m = model(init).train()
    opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9, foreach=False)
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=2)
    for t in range(steps):
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = nn.functional.cross_entropy(m(fx[f"x{t}"]), fx[f"y{t}"])
        scaler.scale(loss).backward()
        before = [p.detach().clone() for p in m.parameters()]
        scaler.step(opt)
        stepped = any(not torch.equal(b, p) for b, p in zip(before, m.parameters()))
        scaler.update()
        out[f"scaler/scale{t}"] = torch.tensor(scaler.get_scale(), dtype=torch.float64)
        out[f"scaler/tracker{t}"] = torch.tensor(scaler.state_dict()["_growth_tracker"], dtype=torch.int64)
        out[f"scaler/stepped{t}"] = torch.tensor(int(stepped), dtype=torch.int64)
        out.update({f"scaler/step{t}/{k}": p.detach().clone() for k, p in m.named_parameters()})
    tensors.save(dst, out)
    with open(os.path.join(dst, "dtypes.json"), "w") as f:
        json.dump(dtypes, f)
    print(f"autocast forward/backward, {steps} GradScaler steps")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
