"""Reads the .pth files torchts's torch.save wrote, with real PyTorch, for test/pth_save.test.ts.

usage: pth_roundtrip.py <folder>

<folder>/cases.json lists {name: {"file", "same": [[path, path], ...], "check": kind?}}. For
each case this script:
- loads the file with torch.load(weights_only=True), and again with mmap=True;
- describes what it got as a JSON tree (<name>.described.json; the encoding of
  describe() below, which the test also computes from the object it saved), and whether
  the objects at each pair of paths in "same" are one Python object;
- compares the archive with what torch.save writes for the loaded object: record names and
  order (the top folder aside), the small records' contents, data/ records aligned to 64
  bytes, CRCs (zipfile.testzip), and whether the data.pkl bytes are the same;
- saves the loaded object again with torch.save as <name>.py.pth, for torchts to read back;
- runs the case's check with PyTorch's own code: "resnet18" loads the state dict into
  torchvision's ResNet-18 (strict) and runs the saved input through it in eval mode;
  "sgd" loads a model and an SGD optimizer state (PyTorch's layout, int keys) and reports
  what the optimizer holds per parameter; "param_list" loads a state dict with digit keys
  ('0', '1') into an nn.ParameterList.
Writes results.json: {name: {"layout": [problems], "pickle_equal": bool, "same": [bools],
"mmap_equal": bool, ...}}.
"""
import hashlib
import io
import json
import os
import struct
import sys
import zipfile

import torch

from torchvision_models import resnet


def sha(t):
    return hashlib.sha256(t.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()).hexdigest()


def describe(obj, storages):
    """The JSON tree: Python types spelled out, tensors by metadata, bytes hash and storage."""
    if isinstance(obj, torch.Tensor):
        st = obj.untyped_storage()
        group = storages.setdefault(st._cdata, len(storages))
        return {"$tensor": {
            "dtype": str(obj.dtype).replace("torch.", ""),
            "shape": list(obj.shape),
            "stride": list(obj.stride()),
            "offset": obj.storage_offset(),
            "requires_grad": obj.requires_grad,
            "device": str(obj.device),
            "sha256": sha(obj),
            "storage": group,
            "storage_nbytes": st.nbytes(),
        }}
    if obj is None or isinstance(obj, bool):
        return obj
    if isinstance(obj, int):
        return {"$int": str(obj)}
    if isinstance(obj, float):
        return {"$float": struct.pack(">d", obj).hex()}
    if isinstance(obj, str):
        return {"$str": obj}
    if isinstance(obj, bytes):
        return {"$bytes": obj.hex()}
    if isinstance(obj, list):
        return {"$list": [describe(v, storages) for v in obj]}
    if isinstance(obj, dict):
        return {"$dict": [[describe(k, storages), describe(v, storages)] for k, v in obj.items()]}
    return {"$unexpected": type(obj).__module__ + "." + type(obj).__qualname__}


def at(obj, path):
    """obj[p0][p1]...: list indices and int dict keys are given as strings."""
    for p in path:
        obj = obj[int(p)] if isinstance(obj, list) else obj[p] if p in obj else obj[int(p)]
    return obj


def layout(ours_file, obj):
    """Differences between our archive and what torch.save writes for the same object."""
    problems = []
    buf = io.BytesIO()
    torch.save(obj, buf)
    theirs = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    raw = open(ours_file, "rb").read()
    ours = zipfile.ZipFile(ours_file)
    bad = ours.testzip()
    if bad is not None:
        problems.append(f"CRC mismatch in {bad}")
    strip = lambda names: [n.split("/", 1)[1] for n in names]
    if strip(ours.namelist()) != strip(theirs.namelist()):
        problems.append(f"records {strip(ours.namelist())} != torch's {strip(theirs.namelist())}")
    prefix_o = ours.namelist()[0].split("/")[0]
    prefix_t = theirs.namelist()[0].split("/")[0]
    for name in (".format_version", ".storage_alignment", "byteorder", "version"):
        a, b = ours.read(f"{prefix_o}/{name}"), theirs.read(f"{prefix_t}/{name}")
        if a != b:
            problems.append(f"{name}: {a!r} != torch's {b!r}")
    sid = ours.read(f"{prefix_o}/.data/serialization_id")
    if len(sid) != 40 or not sid.isdigit():
        problems.append(f"serialization_id {sid!r} is not 40 digits")
    for info in ours.infolist():
        name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
        start = info.header_offset + 30 + name_len + extra_len
        if start % 64:
            problems.append(f"{info.filename} data starts at {start}, not a multiple of 64")
        if info.compress_type != zipfile.ZIP_STORED:
            problems.append(f"{info.filename} is compressed")
    return problems, ours.read(f"{prefix_o}/data.pkl") == theirs.read(f"{prefix_t}/data.pkl")


def equal_trees(a, b):
    sa, sb = {}, {}
    return describe(a, sa) == describe(b, sb)


def check_resnet18(obj, folder):
    io_obj = torch.load(os.path.join(folder, "resnet18_io.pth"), weights_only=True)
    model = resnet.resnet18(num_classes=10)
    result = model.load_state_dict(obj, strict=True)
    model.eval()
    with torch.no_grad():
        y = model(io_obj["x"])
    err = (y.double() - io_obj["y"].double()).abs().max().item()
    return {"missing": list(result.missing_keys), "unexpected": list(result.unexpected_keys),
            "max_abs_diff": err, "scale": io_obj["y"].abs().max().item()}


def check_sgd(obj):
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    model.load_state_dict(obj["model"], strict=True)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    opt.load_state_dict(obj["optimizer"])
    params = list(model.parameters())
    saved = obj["optimizer"]["state"]
    group = opt.param_groups[0]
    return {
        "state_per_param": [p in opt.state for p in params],
        "buffers_equal": [torch.equal(opt.state[p]["momentum_buffer"], saved[i]["momentum_buffer"])
                          for i, p in enumerate(params) if p in opt.state],
        "lr": group["lr"], "momentum": group["momentum"], "nesterov": group["nesterov"],
        "weights_equal": torch.equal(params[0].detach(), obj["model"]["0.weight"]),
    }


def check_param_list(obj):
    model = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros_like(t)) for t in obj.values()])
    result = model.load_state_dict(obj, strict=True)
    return {"missing": list(result.missing_keys), "unexpected": list(result.unexpected_keys),
            "equal": [torch.equal(p.detach(), obj[k]) for k, p in zip(obj, model)]}


def main(folder):
    with open(os.path.join(folder, "cases.json")) as f:
        cases = json.load(f)
    results = {}
    for name, case in cases.items():
        file = os.path.join(folder, case["file"])
        obj = torch.load(file, weights_only=True)
        storages = {}
        with open(os.path.join(folder, f"{name}.described.json"), "w") as f:
            json.dump(describe(obj, storages), f)
        problems, pickle_equal = layout(file, obj)
        r = {
            "layout": problems,
            "pickle_equal": pickle_equal,
            "same": [at(obj, a) is at(obj, b) for a, b in case.get("same", [])],
            "mmap_equal": equal_trees(obj, torch.load(file, weights_only=True, mmap=True)),
        }
        if case.get("check") == "resnet18":
            r["resnet18"] = check_resnet18(obj, folder)
        elif case.get("check") == "sgd":
            r["sgd"] = check_sgd(obj)
        elif case.get("check") == "param_list":
            r["param_list"] = check_param_list(obj)
        torch.save(obj, os.path.join(folder, f"{name}.py.pth"))
        results[name] = r
    with open(os.path.join(folder, "results.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
