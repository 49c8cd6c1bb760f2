"""Tensor exchange between PyTorch reference scripts and torchts tests.

A folder holds manifest.json ({name: {"dtype", "shape", "file"}}) and one raw
little-endian file per tensor (row-major). test/parity/exchange.ts reads and writes the
same layout.
"""
import json
import os

import torch

_DTYPES = {
    torch.float32: "float32",
    torch.float64: "float64",
    torch.int64: "int64",
    torch.int32: "int32",
    torch.uint8: "uint8",
    torch.bool: "bool",
}


def save(folder, tensors):
    """Writes {name: tensor} into folder (created if needed)."""
    os.makedirs(folder, exist_ok=True)
    manifest = {}
    for i, (name, t) in enumerate(tensors.items()):
        t = t.detach().cpu().contiguous()
        if t.dtype not in _DTYPES:
            raise TypeError(f"{name}: unsupported dtype {t.dtype}")
        file = f"{i:05d}.bin"
        with open(os.path.join(folder, file), "wb") as f:
            f.write(t.numpy().tobytes())
        manifest[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "file": file}
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f)


def load(folder):
    """Reads a folder written by save() or by torchts into {name: tensor}."""
    import numpy as np

    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    out = {}
    for name, m in manifest.items():
        raw = np.fromfile(os.path.join(folder, m["file"]), dtype=m["dtype"])
        out[name] = torch.from_numpy(raw.copy()).reshape(m["shape"])
    return out
