"""Parity-fixture exchange between PyTorch reference scripts and torchts tests.

A fixture folder holds manifest.json, {name: {"dtype", "shape", "file"}}, and one raw
little-endian, row-major binary file per tensor. dtypes: float32, float64, int64.
test/parity/fixtures.ts reads and writes the same layout, so fixtures flow both ways:
PyTorch -> torchts (reference outputs) and torchts -> PyTorch (e.g. torchts-initialised
weights).
"""
import json
import os
import sys

import numpy as np
import torch

DTYPES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}
NUMPY = {"float32": "<f4", "float64": "<f8", "int64": "<i8"}


def save(folder, tensors):
    """Writes {name: tensor} into folder (created if needed); names may contain '/' and '.'."""
    os.makedirs(folder, exist_ok=True)
    manifest = {}
    for i, (name, t) in enumerate(tensors.items()):
        t = torch.as_tensor(t).detach().cpu().contiguous()
        if t.dtype not in DTYPES:
            raise TypeError(f"{name}: unsupported dtype {t.dtype} (use float32, float64 or int64)")
        dtype = DTYPES[t.dtype]
        file = f"{i:05d}.bin"
        with open(os.path.join(folder, file), "wb") as f:
            f.write(t.numpy().astype(NUMPY[dtype], copy=False).tobytes())
        manifest[name] = {"dtype": dtype, "shape": list(t.shape), "file": file}
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


def load(folder):
    """Reads a folder written by save() or by fixtures.ts into {name: tensor}, in manifest order."""
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    out = {}
    for name, m in manifest.items():
        if m["dtype"] not in NUMPY:
            raise TypeError(f"{name}: unsupported dtype {m['dtype']}")
        raw = np.fromfile(os.path.join(folder, m["file"]), dtype=NUMPY[m["dtype"]])
        expected = int(np.prod(m["shape"], dtype=np.int64))
        if raw.size != expected:
            raise ValueError(f"{name}: {raw.size} elements in {m['file']}, shape {m['shape']} needs {expected}")
        out[name] = torch.from_numpy(raw.astype(raw.dtype.newbyteorder("="))).reshape(m["shape"])
    return out


def prefixed(tensors, prefix):
    """{prefix + name: tensor} for merging several groups into one folder."""
    return {prefix + k: v for k, v in tensors.items()}


if __name__ == "__main__":
    # `python3 tensors.py IN OUT`: copies a fixture folder through load/save (a round-trip check).
    save(sys.argv[2], load(sys.argv[1]))
