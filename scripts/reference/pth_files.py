"""PyTorch .pth files for test/pth.test.ts, written by torch.save on the PyTorch next to torchts.

usage: pth_files.py <out-folder>

Writes <name>.pth files and expected.json: for each file, the saved object as a JSON tree
in which every tensor is {"$tensor": {dtype, shape, stride, offset, requires_grad, sha256}}
(sha256 of its values' raw little-endian bytes, row-major) and every dict key a string, as
torchts returns them. Also writes:
- resnet18.pth (torchvision's ResNet-18, 10 classes, BatchNorm statistics randomised) and a
  fixture folder resnet18/ (tensors.py format) with an input `x` and the eval output `y`;
- damaged or hostile archives, rebuilt from real torch.save files with zipfile: a pickle
  that calls os.system (whose marker file must never appear), missing records, a storage
  record shorter than its tensor, a view beyond its storage, a big-endian archive and a
  deflated one.
"""
import collections
import hashlib
import io
import json
import os
import pickle
import sys
import warnings
import zipfile

import torch

from tensors import save as save_fixtures
from torchvision_models import randomise_batchnorm, resnet

warnings.filterwarnings("ignore", message="TypedStorage is deprecated")


def sha(t):
    return hashlib.sha256(t.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()).hexdigest()


def describe(obj):
    if isinstance(obj, torch.Tensor):
        return {"$tensor": {
            "dtype": str(obj.dtype).replace("torch.", ""),
            "shape": list(obj.shape),
            "stride": list(obj.stride()),
            "offset": obj.storage_offset(),
            "requires_grad": obj.requires_grad,
            "sha256": sha(obj),
        }}
    if isinstance(obj, dict):
        return {str(k): describe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [describe(v) for v in obj]
    return obj


def rewrite(src, dst, change, compression=zipfile.ZIP_STORED):
    """Copies a zip, passing each record through change(name, data) -> bytes or None (dropped)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", compression) as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def conv_bn():
    torch.manual_seed(0)
    m = torch.nn.Sequential(collections.OrderedDict(conv=torch.nn.Conv2d(3, 4, 3), bn=torch.nn.BatchNorm2d(4)))
    m.train()
    m(torch.randn(2, 3, 6, 6))  # running statistics and num_batches_tracked move
    return m.state_dict()


def dtypes():
    g = torch.Generator().manual_seed(1)
    f = torch.randn(3, 5, generator=g) * 100
    return {
        "float32": f, "float64": f.double() / 7, "float16": f.half(), "bfloat16": f.bfloat16(),
        "int64": torch.tensor([2**62 + 1, -(2**63), 2**63 - 1, 0, -5]),
        "int32": torch.randint(-2**31, 2**31 - 1, (4, 2), generator=g, dtype=torch.int32),
        "int16": torch.randint(-2**15, 2**15 - 1, (7,), generator=g, dtype=torch.int16),
        "int8": torch.randint(-128, 127, (2, 3), generator=g, dtype=torch.int8),
        "uint8": torch.randint(0, 255, (9,), generator=g, dtype=torch.uint8),
        "bool": torch.rand(3, 3, generator=g) > 0.5,
    }


def views():
    a = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    return {
        "base": a, "tail": a[1:], "transposed": a.t(), "every_other": a[:, ::2], "column": a[:, 3],
        "scalar": torch.tensor(3.5), "scalar_int": torch.tensor(-7), "empty": torch.zeros(0, 4),
        "empty_int": torch.zeros(2, 0, dtype=torch.int64),
    }


def main(out):
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)
    objs = {
        "conv_bn": conv_bn(),
        "dtypes": dtypes(),
        "views": views(),
        "checkpoint": {
            "model": conv_bn(), "epoch": 3, "best_acc": 0.91, "arch": "conv_bn", "milestones": [30, 60],
            "betas": (0.9, 0.999), "done": False, "note": None, "big": 2**70,
            "optimizer": {"state": {0: {"step": torch.tensor(2.0)}}, "param_groups": [{"lr": 0.1, "params": [0, 1]}]},
        },
        "parameters": {
            "weight": torch.nn.Parameter(torch.arange(6.0).reshape(2, 3)),
            "frozen": torch.nn.Parameter(torch.ones(3), requires_grad=False),
        },
    }
    expected = {}
    for name, obj in objs.items():
        torch.save(obj, p(f"{name}.pth"))
        expected[name] = describe(obj)
    for proto in (4, 5):  # torch.save's default is protocol 2; other protocols use other opcodes
        torch.save(objs["views"], p(f"views_p{proto}.pth"), pickle_protocol=proto)
        expected[f"views_p{proto}"] = expected["views"]

    # A hostile pickle in torch's layout: os.system must never run.
    marker = p("pwned")
    rewrite(p("conv_bn.pth"), p("evil.pth"), lambda n, d: pickle.dumps(Evil(marker), protocol=2) if n.endswith("/data.pkl") else d)
    rewrite(p("conv_bn.pth"), p("evil_p4.pth"), lambda n, d: pickle.dumps(Evil(marker), protocol=4) if n.endswith("/data.pkl") else d)
    expected["evil_global"] = f"{os.system.__module__}.{os.system.__name__}"
    expected["evil_marker"] = marker

    # Damaged archives.
    rewrite(p("conv_bn.pth"), p("no_pickle.pth"), lambda n, d: None if n.endswith("/data.pkl") else d)
    rewrite(p("conv_bn.pth"), p("no_storage.pth"), lambda n, d: None if n.endswith("/data/0") else d)
    rewrite(p("conv_bn.pth"), p("short_storage.pth"), lambda n, d: d[:-4] if n.endswith("/data/0") else d)
    torch.save({"a": torch.arange(6.0).reshape(2, 3)}, p("small.pth"))
    # size (2, 3) -> (2, 4) with strides (3, 1): the view would need 7 elements of the 6 stored
    rewrite(p("small.pth"), p("view_oob.pth"), lambda n, d: d.replace(b"K\x02K\x03\x86", b"K\x02K\x04\x86", 1) if n.endswith("/data.pkl") else d)

    # A big-endian archive (as torch.save writes on such machines) and a deflated one.
    sizes = {}
    with zipfile.ZipFile(p("dtypes.pth")) as z:
        prefix = z.namelist()[0].split("/")[0]
        pkl = z.read(f"{prefix}/data.pkl")
    class Peek(pickle.Unpickler):
        def persistent_load(self, pid):
            sizes[pid[2]] = pid[1].dtype.itemsize
            return None
        def find_class(self, module, name):
            if name.startswith("_rebuild"):
                return lambda *a: None
            return super().find_class(module, name)
    Peek(io.BytesIO(pkl)).load()
    def swap(name, data):
        if name.endswith("/byteorder"):
            return b"big"
        key = name.rsplit("/", 1)[1]
        if f"{prefix}/data/{key}" == name and sizes.get(key, 1) > 1:
            n = sizes[key]
            return b"".join(data[i:i + n][::-1] for i in range(0, len(data), n))
        return data
    rewrite(p("dtypes.pth"), p("big_endian.pth"), swap)
    expected["big_endian"] = expected["dtypes"]
    rewrite(p("checkpoint.pth"), p("deflated.pth"), lambda n, d: d, compression=zipfile.ZIP_DEFLATED)
    expected["deflated"] = expected["checkpoint"]
    # PyTorch itself reads the rewritten files the same way.
    for name in ("big_endian", "deflated"):
        assert describe(torch.load(p(f"{name}.pth"))) == expected[name], name

    # ResNet-18 from torchvision's code.
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(2)
    model = resnet.resnet18(num_classes=10)
    randomise_batchnorm(model, g)
    torch.save(model.state_dict(), p("resnet18.pth"))
    x = torch.randn(2, 3, 64, 64, generator=g)
    model.eval()
    with torch.no_grad():
        y = model(x)
    save_fixtures(p("resnet18"), {"x": x, "y": y})

    with open(p("expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
