"""How much of PyTorch's public API torchts has, measured against the torch wheel's own stubs.

  torch.*               the public names in torch/_C/_VariableFunctions.pyi
  Tensor methods        the public names of class TensorBase in torch/_C/__init__.pyi
  torch.nn.functional   the public functions defined in torch/nn/functional.pyi (plus, listed
                        apart, the native ops it re-exports from torch and torch._C._nn)

A name counts as covered when torchts has it under its camelCase spelling (index_select ->
indexSelect; in-place `_` kept): torch.<name>, Tensor.prototype.<name> (methods, getters and
properties alike) or nn.functional.<name>. Every name left out is listed with the reason,
worked out from libtorch's schema (native_functions.yaml) as scripts/gen_ops.py reads it.

usage: python3 scripts/ops_coverage.py [--json FILE] [--names FILE]
(without --names it loads the compiled torchts from dist/: npm run build:ts first)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys

import torch
import torchgen
from torchgen.gen import parse_native_yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_ops  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TORCH_DIR = os.path.dirname(torch.__file__)

# Python attributes torchts spells differently, on purpose.
RENAMED = {
    "requires_grad": "requiresGrad",
    "is_leaf": "isLeaf",
    "grad_fn": "gradFn",
    "storage_offset": "storageOffset",
    "data_ptr": None,
    "tolist": "toArray",
    "numpy": "toTypedArray",
}

# Names that cannot mean anything in torchts, with the reason.
NOT_APPLICABLE = {
    "from_numpy": "NumPy arrays do not exist in JS (torch.tensor takes typed arrays)",
    "numpy": "NumPy arrays do not exist in JS (toTypedArray() is the equivalent)",
    "share_memory_": "multiprocessing shared memory is Python's",
    "is_shared": "multiprocessing shared memory is Python's",
    "pin_memory": None,
    "storage": "typed storages are Python objects",
    "untyped_storage": "typed storages are Python objects",
    "storage_type": "typed storages are Python objects",
    "_typed_storage": "typed storages are Python objects",
    "set_": "storage replacement works on Python storages",
    "register_hook": "tensor hooks run Python callbacks inside autograd",
    "register_post_accumulate_grad_hook": "tensor hooks run Python callbacks inside autograd",
    "apply_": "runs a Python callable per element",
    "map_": "runs a Python callable per element",
    "map2_": "runs a Python callable per element",
    "dim_order": "Python-level helper over strides",
    "align_to": "named tensors (Dimname) are not supported",
    "align_as": "named tensors (Dimname) are not supported",
    "refine_names": "named tensors (Dimname) are not supported",
    "rename": "named tensors (Dimname) are not supported",
    "rename_": "named tensors (Dimname) are not supported",
    "has_names": "named tensors (Dimname) are not supported",
    "names": "named tensors (Dimname) are not supported",
    "unflatten": None,
}


def stub_names(path: str, cls: str | None = None) -> list[str]:
    src = open(path, encoding="utf8").read()
    if cls:
        m = re.search(rf"^class {cls}\b.*?:\n(.*?)(?=^class |\Z)", src, re.S | re.M)
        src = m.group(1) if m else ""
        names = re.findall(r"^    def (\w+)", src, re.M)
    else:
        names = re.findall(r"^def (\w+)", src, re.M)
    return sorted({n for n in names if not n.startswith("_")})


def torchts_names() -> dict[str, list[str]]:
    script = r"""
const { torch, nn } = require(process.argv[1]);
const proto = [];
for (let p = torch.Tensor.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) proto.push(...Object.getOwnPropertyNames(p));
console.log(JSON.stringify({ torch: Object.keys(torch), methods: proto, functional: Object.keys(nn.functional) }));
"""
    out = subprocess.run(
        ["node", "-e", script, os.path.join(ROOT, "dist", "index.js")], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def reasons_from_schema() -> dict[str, str]:
    """Why the generator has no binding for a name: Python-manual, unsupported types, ..."""
    yaml_dir = os.path.join(os.path.dirname(torchgen.__file__), "packaged", "ATen", "native")
    parsed = parse_native_yaml(os.path.join(yaml_dir, "native_functions.yaml"), os.path.join(yaml_dir, "tags.yaml"))
    why: dict[str, str] = {}
    by_name: dict[str, list] = {}
    for f in parsed.native_functions:
        by_name.setdefault(str(f.func.name.name), []).append(f)
    for name, fs in by_name.items():
        if not any(gen_ops.should_bind(f) for f in fs):
            why[name] = "bound by hand in PyTorch's Python layer (gen_python_functions skip list); not generated"
        elif all(gen_ops.UNSUPPORTED.search(str(f.func)) for f in fs):
            types = sorted({m.group(0) for f in fs for m in [gen_ops.UNSUPPORTED.search(str(f.func))] if m})
            why[name] = f"every overload takes a schema type torchts cannot pass ({', '.join(types)})"
    return why


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="also write the report as JSON to this file")
    ap.add_argument("--names", help="torchts' names as JSON {torch, methods, functional} instead of loading dist/")
    args = ap.parse_args()

    have = json.load(open(args.names, encoding="utf8")) if args.names else torchts_names()
    why = reasons_from_schema()
    sets = {
        "torch": (stub_names(os.path.join(TORCH_DIR, "_C", "_VariableFunctions.pyi")), set(have["torch"])),
        "Tensor": (stub_names(os.path.join(TORCH_DIR, "_C", "__init__.pyi"), "TensorBase"), set(have["methods"])),
        "nn.functional": (stub_names(os.path.join(TORCH_DIR, "nn", "functional.pyi")), set(have["functional"])),
    }
    report = {}
    for label, (names, got) in sets.items():
        covered, missing = [], {}
        for n in names:
            js = RENAMED.get(n, gen_ops.camel(n)) if n in RENAMED else gen_ops.camel(n)
            if js is not None and js in got:
                covered.append(n)
                continue
            reason = NOT_APPLICABLE.get(n) or why.get(n) or why.get(n.rstrip("_"))
            if reason is None:
                reason = "not a native op (a Python-level function) and not written in torchts yet"
            missing[n] = reason
        report[label] = {"total": len(names), "covered": len(covered), "missing": missing}
        pct = 100 * len(covered) / max(1, len(names))
        print(f"{label:15s} {len(covered):4d} / {len(names):4d}  ({pct:5.1f}%)")
    for label, r in report.items():
        if not r["missing"]:
            continue
        print(f"\n{label}: left out ({len(r['missing'])})")
        for n, reason in sorted(r["missing"].items(), key=lambda kv: (kv[1], kv[0])):
            print(f"  {n:40s} {reason}")
    if args.json:
        with open(args.json, "w", encoding="utf8") as fh:
            json.dump({"torch": torch.__version__, **report}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
