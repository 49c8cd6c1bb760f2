"""TorchScript and AOTInductor files for test/jit.test.ts, made by the PyTorch next to torchts.

usage: jit_files.py make <out-folder>
         scripted.pt  torch.jit.script of a small module: forward(x, scale: float = 2.0) and an
                      exported method encode(x) -> (Tensor, Dict[str, Tensor]), with a
                      BatchNorm (randomised running statistics) and a Linear
         traced.pt    torch.jit.trace of a small CNN (conv, batch norm, ReLU, pooling, linear)
         state.pt     torch.save of a state dict (a zip archive that is no TorchScript file)
         corrupt.pt   scripted.pt cut in half
         fixtures/    (tensors.py format) x, img, the outputs of each method, every parameter
                      and buffer under param/<name> and buffer/<name>
       jit_files.py run <module.pt> <fixtures-in> <fixtures-out>
         loads a TorchScript file (one torchts wrote) with torch.jit.load and writes
         forward(*inputs) for the fixture inputs named in0, in1, ... as `out`
       jit_files.py aoti <out-folder>
         model.pt2    torch._inductor.aoti_compile_and_package of torch.export.export of a tiny
                      MLP (Linear, ReLU, Linear) for a [4, 8] float32 input; fixtures/ x, y
                      (aoti_load_package's output) and eager
       jit_files.py retarget <in.pt2> <out.pt2> <device>
         copies a package, its metadata saying it was compiled for <device>
"""
import json
import zipfile
import os
import sys
from typing import Dict, Tuple

import torch
from torch import nn

from tensors import load as load_fixtures
from tensors import save as save_fixtures


class Scripted(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(6)
        self.fc = nn.Linear(6, 3)

    def forward(self, x: torch.Tensor, scale: float = 2.0) -> torch.Tensor:
        return self.fc(torch.relu(self.bn(x))) * scale

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
        h = self.bn(x)
        return h, {"sum": h.sum(1), "max": h.amax(1)}


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(torch.relu(self.bn(self.conv(x)))), 1))


def randomise(model, g):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)


def make(out):
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    fx = {}
    scripted = Scripted()
    randomise(scripted, g)
    scripted.eval()
    sm = torch.jit.script(scripted)
    sm.save(os.path.join(out, "scripted.pt"))
    x = torch.randn(4, 6, generator=g)
    fx["x"] = x
    with torch.no_grad():
        fx["forward"] = sm(x)
        fx["forward_scale3"] = sm(x, 3.0)
        h, d = sm.encode(x)
        fx["encode/h"], fx["encode/sum"], fx["encode/max"] = h, d["sum"], d["max"]
    for k, v in sm.named_parameters():
        fx[f"param/{k}"] = v
    for k, v in sm.named_buffers():
        fx[f"buffer/{k}"] = v

    cnn = SmallCNN()
    randomise(cnn, g)
    cnn.eval()
    img = torch.randn(2, 3, 10, 10, generator=g)
    tm = torch.jit.trace(cnn, img)
    tm.save(os.path.join(out, "traced.pt"))
    fx["img"] = img
    with torch.no_grad():
        fx["traced"] = tm(img)
        fx["traced_eager"] = cnn(img)
    save_fixtures(os.path.join(out, "fixtures"), fx)

    torch.save(cnn.state_dict(), os.path.join(out, "state.pt"))
    with open(os.path.join(out, "scripted.pt"), "rb") as f:
        data = f.read()
    with open(os.path.join(out, "corrupt.pt"), "wb") as f:
        f.write(data[: len(data) // 2])


def run(module, fixtures_in, fixtures_out):
    m = torch.jit.load(module)
    fx = load_fixtures(fixtures_in)
    inputs = [fx[f"in{k}"] for k in range(len(fx)) if f"in{k}" in fx]
    with torch.no_grad():
        out = m(*inputs)
    save_fixtures(fixtures_out, {"out": out})


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def aoti(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = MLP().eval()
    x = torch.randn(4, 8)
    with torch.no_grad():
        ep = torch.export.export(model, (x,))
        path = torch._inductor.aoti_compile_and_package(ep, package_path=os.path.join(out, "model.pt2"))
        y = torch._inductor.aoti_load_package(path)(x)
    save_fixtures(os.path.join(out, "fixtures"), {"x": x, "y": y, "eager": model(x)})


def retarget(src, dst, device):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith("_metadata.json"):
                meta = json.loads(data)
                meta["AOTI_DEVICE_KEY"] = device
                data = json.dumps(meta).encode()
            zout.writestr(info, data)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "make":
        make(sys.argv[2])
    elif cmd == "run":
        run(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "aoti":
        aoti(sys.argv[2])
    elif cmd == "retarget":
        retarget(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        raise SystemExit(__doc__)
