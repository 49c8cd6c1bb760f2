"""Parity-fixture exchange between PyTorch reference scripts and torchts tests.

A fixture folder holds manifest.json, {name: {"dtype", "shape", "file"}}, and one raw
little-endian, row-major binary file per tensor. dtypes: float32, float64, int64.
test/parity/fixtures.ts reads and writes the same layout, so fixtures flow both ways:
PyTorch -> torchts (reference outputs) and torchts -> PyTorch (e.g. torchts-initialised
weights).
"""
import json
import os
import struct
import sys

import numpy as np
import torch

DTYPES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}
NUMPY = {"float32": "<f4", "float64": "<f8", "int64": "<i8"}


def set_threads(n):
    """torch.set_num_threads(n), then one threaded call into MKL's vector math, as torchts makes
    at load and in setNumThreads (native/runtime.cc says why): the first such call in a process
    could come out less accurate on one thread."""
    torch.set_num_threads(n)
    torch.full((4096 * n,), 2.0).sqrt_()


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


SAFETENSORS_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}
SPECIAL_NUMBERS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf"), "-0": -0.0}


def load_checkpoint(path):
    """Rebuilds what torchts's torch.save wrote to a .safetensors file (lib/torch/serialization.ts):
    the tensors from the safetensors body, the structure from the JSON under
    __metadata__["torchts.structure"] ({"$tensor": name}, {"$number": "NaN"}, {"$object": {...}}).
    Read with the standard library and torch only (no safetensors package)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        body = f.read()
    meta = header.pop("__metadata__", {})
    found = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        dtype = SAFETENSORS_DTYPES[e["dtype"]]
        if end == begin:
            found[name] = torch.empty(e["shape"], dtype=dtype)
        else:
            found[name] = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype).reshape(e["shape"]).clone()
    if "torchts.structure" not in meta:
        return found

    def decode(node):
        if isinstance(node, list):
            return [decode(x) for x in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1 and next(iter(node)).startswith("$"):
            tag, value = next(iter(node.items()))
            if tag == "$tensor":
                return found[value]
            if tag == "$number":
                return SPECIAL_NUMBERS[value]
            return {k: decode(v) for k, v in value.items()}  # "$object"
        return {k: decode(v) for k, v in node.items()}

    return decode(json.loads(meta["torchts.structure"]))


def prefixed(tensors, prefix):
    """{prefix + name: tensor} for merging several groups into one folder."""
    return {prefix + k: v for k, v in tensors.items()}


if __name__ == "__main__":
    # `python3 tensors.py IN OUT`: copies a fixture folder through load/save (a round-trip check).
    save(sys.argv[2], load(sys.argv[1]))
