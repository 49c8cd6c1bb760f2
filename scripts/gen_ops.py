"""Generates torchts' op signatures and typings from libtorch's own schema.

Reads native_functions.yaml as the torch wheel ships it (torchgen/packaged), builds each op's
Python signatures with torchgen's own code (torchgen.api.python: the signatures PyTorch's
python_arg_parser parses), groups and orders overloads as PyTorch's binding generator does
(tools/autograd/gen_python_functions.py: an out= variant joins its functional form, Tensor
overloads before Scalar ones, int before int[], ...), and writes:

  lib/torch/generated/signatures.ts   compact signature strings per Python-level name, parsed
                                      and matched at run time by lib/torch/dispatch.ts
  lib/torch/generated/functions.ts    typed torch.* functions (and torch.linalg/special/_nn)
  lib/torch/generated/tensor_methods.ts  the TensorMethods interface (typings of the methods
                                      lib/torch/tensor_generated.ts installs on Tensor)

Hand-written TypeScript stays for names in HAND_WRITTEN below (more than one call is needed,
or a direct binding is measurably faster); those are left out of the generated files.

The output is committed: building torchts from source needs only a libtorch, which need not
come with Python. `npm run gen:ops` regenerates it; test/ops-generated.test.ts checks that the
committed files are what this script writes for the torch it finds.

usage: python3 scripts/gen_ops.py [--check]   (--check: exit 1 if the files would change)
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import defaultdict

import torch
import torchgen
from torchgen.api.python import PythonSignature, PythonSignatureGroup, signature, structseq_fieldnames
from torchgen.gen import parse_native_yaml
from torchgen.model import BaseTy, BaseType, ListType, NativeFunction, OptionalType, Type, Variant

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "lib", "torch", "generated")

# Names PyTorch binds by hand in Python (python_variable_methods.cpp, python_torch_functions_manual.cpp)
# or does not expose, from gen_python_functions.py's skip list. The ones with plain schema
# semantics (nonzero, arange, full, ...) are kept: the schema call does what Python's does.
SKIP = [
    r"alias", r"contiguous", r"is_cuda", r"is_sparse", r"is_sparse_csr", r"size", r"stride",
    r"sym_size", r"sym_stride", r"sym_storage_offset", r"sym_numel",
    r".*_backward", r".*_backward_(out|input|weight|bias)", r".*_forward", r".*_forward_out",
    r".*_jvp", r"_unsafe_view", r"tensor", r"_?sparse_(coo|csr|csc|bsr|bsc|compressed)_tensor.*",
    r"_arange.*", r"_range.*", r"_linspace.*", r"_logspace.*", r"_sparse_add_out", r"_sparse_div.*",
    r"_sparse_mul.*", r"_sparse_sub.*", r"_sparse_dense_add_out", r"index", r"index_out",
    r"unique_dim_consecutive", r"_cumsum.*", r"_cumprod.*", r"_sum.*", r"_prod.*", r"_th_.*",
    r"_thnn_.*", r"range.*", r"_solve.*", r"_inverse.*", r"_cholesky.*", r"_triangular_solve.*",
    r"_qr.*", r"_symeig.*", r"_svd.*", r"slice", r"item", r"_local_scalar_dense", r"to",
    r"_to_copy", r"_to_copy_out", r"_reshape_copy", r"_reshape_copy_out", r"copy_sparse_to_sparse_",
    r"copy_", r"_foreach_copy", r"numpy_T", r"matrix_H", r"mT", r"mH", r"nonzero_(numpy|static)",
    r"set_data", r".*_overrideable", r"data", r"is_leaf", r"output_nr", r"_version",
    r"requires_grad_", r"retains_grad", r"set_", r"_fw_primal", r"fake_quantize_per_tensor_affine_cachemask",
    r"fake_quantize_per_channel_affine_cachemask", r"_new_zeros_with_same_feature_meta",
    r"_has_same_storage_numel", r"_reshape_alias", r"replace_", r"copy", r"fill.Tensor",
    r"fill.Scalar", r"lift.*", r"normal_functional", r"nbytes", r"itemsize", r"_batch_norm_with_update",
    r"_batch_norm_with_update_out", r"_batch_norm_no_update",
]
SKIP_RE = [re.compile(f"^{p}$") for p in SKIP]
SKIP_SIGNATURES = {
    "add.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor",
    "add_.Scalar(Tensor(a!) self, Scalar other, Scalar alpha=1) -> Tensor(a!)",
    "sub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor",
    "sub_.Scalar(Tensor(a!) self, Scalar other, Scalar alpha=1) -> Tensor(a!)",
    "mul.Scalar(Tensor self, Scalar other) -> Tensor",
    "mul_.Scalar(Tensor(a!) self, Scalar other) -> Tensor(a!)",
    "div.Scalar(Tensor self, Scalar other) -> Tensor",
    "div_.Scalar(Tensor(a!) self, Scalar other) -> Tensor(a!)",
}

# Python-level names written by hand in TypeScript (camelCase, as torchts spells them): the
# typed exports leave them out (the signature tables keep them, for hand-written code that
# falls back on the generic path). Tensor methods: lib/torch/tensor.ts, tensor_reduction.ts,
# tensor_shape.ts. torch functions: lib/torch/creation.ts, functions.ts, generator.ts.
HAND_WRITTEN = {
    "methods": {
        "char", "short", "ndimension", "nelement", "elementSize",
        "handle", "_resetMeta", "isDisposed", "dispose", "shape", "size", "stride", "storageOffset", "dim",
        "ndim", "numel", "dtype", "device", "isCuda", "isContiguous", "isFloatingPoint", "requiresGrad",
        "requiresGrad_", "grad", "gradFn", "isLeaf", "retainGrad", "backward", "detach", "detach_", "item",
        "toTypedArray", "toBytes", "data", "toArray", "toString", "to", "cpu", "cuda", "pinMemory",
        "isPinned", "float", "double", "half", "bfloat16", "long", "int", "bool", "byte", "contiguous",
        "clone", "add", "add_", "sub", "sub_", "rsub", "maximum", "minimum", "atan2", "logicalAnd",
        "logicalOr", "logicalXor", "where", "clamp", "clamp_", "maskedFill", "maskedFill_", "addcmul_",
        "addcdiv_", "lerp_", "copy_", "fill_", "zero_", "normal_", "uniform_", "bernoulli_", "matmul", "mm",
        "bmm", "dot", "outer", "softmax", "logSoftmax", "mul", "mul_", "div", "div_", "pow", "pow_",
        "remainder", "remainder_", "fmod", "fmod_", "floorDivide", "floorDivide_", "eq", "eq_", "ne", "ne_",
        "lt", "lt_", "le", "le_", "gt", "gt_", "ge", "ge_", "neg", "abs", "exp", "log", "log2", "log10",
        "log1p", "expm1", "sqrt", "rsqrt", "square", "sin", "cos", "tan", "asin", "acos", "atan", "sinh",
        "cosh", "tanh", "sigmoid", "relu", "erf", "floor", "ceil", "round", "trunc", "frac", "sign",
        "reciprocal", "logicalNot", "isnan", "isinf", "isfinite", "neg_", "abs_", "exp_", "log_", "log2_",
        "log10_", "log1p_", "expm1_", "sqrt_", "rsqrt_", "square_", "sin_", "cos_", "tan_", "asin_", "acos_",
        "atan_", "sinh_", "cosh_", "tanh_", "sigmoid_", "relu_", "erf_", "floor_", "ceil_", "round_",
        "trunc_", "frac_", "sign_", "reciprocal_", "logicalNot_", "sum", "mean", "prod", "max", "min",
        "amax", "amin", "argmax", "argmin", "std", "var", "norm", "logsumexp", "all", "any", "topk", "sort",
        "cumsum", "view", "reshape", "viewAs", "expand", "expandAs", "repeat", "permute", "flip",
        "transpose", "t", "flatten", "squeeze", "unsqueeze", "split", "chunk", "unbind", "asStrided",
        "narrow", "select", "indexSelect", "gather", "index", "indexPut_",
    },
    "torch": {
        "Tensor", "TorchError", "Generator", "randperm", "getRngState", "setRngState", "noGrad",
        "enableGrad", "inferenceMode", "setGradEnabled", "isGradEnabled", "isInferenceModeEnabled", "tidy",
        "keep", "memory", "save", "load", "saveAsync", "loadAsync", "cuda", "backends", "amp", "autocast",
        "float32", "float", "float64", "double", "float16", "half", "bfloat16", "int64", "long", "int32",
        "int", "int16", "int8", "uint8", "bool", "contiguousFormat", "channelsLast", "preserveFormat",
        "version", "setNumThreads", "getNumThreads", "info", "zeros", "ones", "empty", "rand", "randn",
        "full", "arange", "linspace", "eye", "randint", "tensor", "frombuffer", "zerosLike", "onesLike",
        "emptyLike", "fullLike", "randLike", "randnLike", "randintLike", "manualSeed", "cat", "stack",
        "where", "matmul", "allclose", "equal", "isTensor",
    },
}

# Schema types torchts can pass. Overloads taking anything else (named-tensor Dimnames,
# Storage, Stream, QScheme, complex numbers, DispatchKeySet) are left out.
UNSUPPORTED = re.compile(r"Dimname|Storage|Stream|QScheme|complex|DispatchKeySet|DeviceIndex|GraphModule|Any|\bstr\[\]")


def camel(name: str) -> str:
    """index_select -> indexSelect; keeps leading underscores and a trailing in-place '_'."""
    lead = len(name) - len(name.lstrip("_"))
    trail = name.endswith("_") and not name.endswith("__")
    core = name[lead : len(name) - (1 if trail else 0)]
    parts = core.split("_")
    out = parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])
    return "_" * lead + out + ("_" if trail else "")


def should_bind(f: NativeFunction) -> bool:
    name = str(f.func.name.name) if not f.func.name.overload_name else str(f.func.name.name)
    cpp_name = f.func.name.unambiguous_name()
    base = str(f.func.name.name)
    for r in SKIP_RE:
        if r.match(base) or r.match(cpp_name) or r.match(str(f.func.name)):
            return False
    if str(f.func) in SKIP_SIGNATURES:
        return False
    del name
    return True


def type_code(t: Type) -> str | None:
    """A schema type as the runtime's type code (lib/torch/dispatch.ts), None if unsupported."""
    s = str(t)
    if UNSUPPORTED.search(s):
        return None
    opt = isinstance(t, OptionalType)
    if opt:
        t = t.elem
    q = "?" if opt else ""
    if isinstance(t, ListType):
        elem = str(t.elem)
        n = str(t.size) if t.size else ""
        codes = {"int": "I", "SymInt": "I", "float": "F", "bool": "B", "Tensor": "T", "Tensor?": "T?", "Scalar": "S"}
        if elem not in codes:
            return None
        return f"{codes[elem]}[{n}]{q}"
    if isinstance(t, BaseType):
        codes = {
            BaseTy.Tensor: "T",
            BaseTy.Scalar: "S",
            BaseTy.int: "I",
            BaseTy.SymInt: "I",
            BaseTy.float: "F",
            BaseTy.bool: "B",
            BaseTy.ScalarType: "D",
            BaseTy.Layout: "L",
            BaseTy.Device: "V",
            BaseTy.MemoryFormat: "M",
            BaseTy.str: "s",
            BaseTy.Generator: "G",
        }
        if t.name not in codes:
            return None
        return codes[t.name] + q
    return None


TS_TYPES = {
    "T": "Tensor",
    "S": "number | boolean",
    "I": "number",
    "F": "number",
    "B": "boolean",
    "D": "DType",
    "L": "Layout",
    "V": "Device | number",
    "M": "MemoryFormat",
    "s": "string",
    "G": "Generator",
}


def ts_type(code: str, numbers_as_tensors: bool) -> str:
    opt = code.endswith("?")
    c = code[:-1] if opt else code
    m = re.fullmatch(r"(T\??|[IFBS])\[(\d*)\]", c)
    if m:
        elem, n = m.group(1), m.group(2)
        inner = "Tensor | null" if elem == "T?" else TS_TYPES[elem]
        lst = f"readonly ({inner})[]" if "|" in inner else f"readonly {inner}[]"
        if n and elem == "I":
            lst = f"number | {lst}"
        out = lst
    else:
        out = TS_TYPES[c]
        if c == "T" and numbers_as_tensors:
            out = "Tensor | number | boolean"
        if c in ("I", "F", "S") and False:
            out += " | Tensor"
    return f"{out} | null" if opt else out


def ret_code(t: Type) -> str | None:
    s = str(t)
    if s in ("Tensor", "Tensor(a)", "Tensor(a!)"):
        return "T"
    if isinstance(t, BaseType):
        return {
            BaseTy.Tensor: "T",
            BaseTy.int: "I",
            BaseTy.SymInt: "I",
            BaseTy.float: "F",
            BaseTy.bool: "B",
            BaseTy.Scalar: "S",
            BaseTy.ScalarType: "D",
            BaseTy.Device: "V",
            BaseTy.str: "s",
            BaseTy.Layout: "L",
        }.get(t.name)
    if isinstance(t, ListType) and str(t.elem) in ("Tensor", "int", "SymInt", "float", "bool", "Tensor?"):
        return {"Tensor": "T", "int": "I", "SymInt": "I", "float": "F", "bool": "B", "Tensor?": "T?"}[str(t.elem)] + "[]"
    if isinstance(t, OptionalType) and str(t.elem) == "Tensor":
        return "T?"
    return None


TS_RETURNS = {
    "T": "Tensor",
    "T?": "Tensor | null",
    "I": "number",
    "F": "number",
    "B": "boolean",
    "S": "number | boolean",
    "D": "DType",
    "V": "Device",
    "s": "string",
    "L": "Layout",
    "T[]": "Tensor[]",
    "T?[]": "(Tensor | null)[]",
    "I[]": "number[]",
    "F[]": "number[]",
    "B[]": "boolean[]",
}


def group_overloads(pairs: list[tuple[PythonSignature, NativeFunction]]) -> list[PythonSignatureGroup]:
    """gen_python_functions.group_overloads: an out= form joins the functional form it extends."""
    bases: dict[str, tuple[PythonSignature, NativeFunction]] = {}
    outs: dict[str, tuple[PythonSignature, NativeFunction]] = {}
    for sig, f in pairs:
        key = sig.signature_str(skip_outputs=True)
        (outs if f.func.is_out_fn() else bases)[key] = (sig, f)
    groups = []
    for key, (sig, f) in bases.items():
        out = outs.get(key)
        if out is None:
            groups.append(PythonSignatureGroup(signature=sig, base=f, outplace=None))
        else:
            kw = out[0].__dict__.copy()
            kw["tensor_options_args"] = sig.tensor_options_args
            groups.append(PythonSignatureGroup(signature=type(out[0])(**kw), base=f, outplace=out[1]))
    return sort_overloads(groups)


def sort_overloads(groups: list[PythonSignatureGroup]) -> list[PythonSignatureGroup]:
    """gen_python_functions.sort_overloads: the partial order python_arg_parser relies on."""

    def arg_smaller(t1: Type, t2: Type) -> bool:
        s1, s2 = str(t1), str(t2)
        return (
            (s1 == "Scalar" and s2 == "Tensor")
            or (s1 == "Scalar?" and s2 == "Tensor?")
            or ("Dimname" in s1 and "Dimname" not in s2)
            or (s1 == "int[]" and s2 in ("int", "int?"))
            or (s1 == "Tensor[]" and "[]" in s2)
            or (s1 == "SymInt[]" and s2 == "int[]")
            or (s1 == "SymInt" and s2 == "int")
        )

    def smaller(a: PythonSignature, b: PythonSignature) -> bool:
        x, y = a.arguments(skip_outputs=True), b.arguments(skip_outputs=True)
        if len(x) != len(y):
            return False
        equal = all(p.type == q.type for p, q in zip(x, y))
        le = all(str(p.type) == str(q.type) or arg_smaller(p.type, q.type) for p, q in zip(x, y))
        return le and not equal

    groups = sorted(groups, key=lambda g: g.signature.signature_str())
    larger: dict[int, set[int]] = defaultdict(set)
    for i, a in enumerate(groups):
        for j, b in enumerate(groups):
            if smaller(a.signature, b.signature):
                larger[i].add(j)
    if not larger:
        return groups
    order = [i for i in range(len(groups)) if i not in larger]
    for idx in range(len(groups)):
        i = order[idx]
        for j in sorted(larger.keys()):
            s = larger[j]
            s.discard(i)
            if not s:
                del larger[j]
                order.append(j)
    return [groups[i] for i in order]


def op_name(f: NativeFunction) -> str:
    n = f.func.name
    return f"{n.name}.{n.overload_name}" if n.overload_name else str(n.name)


def encode(group: PythonSignatureGroup, numbers_as_tensors: bool) -> tuple[str, dict] | None:
    """One signature string for the runtime, and what the typings need; None if unsupported."""
    sig = group.signature
    params = []
    info = {"params": [], "returns": None, "names": [], "schema": str(group.base.func)}
    n_pos = len(sig.input_args)
    for i, a in enumerate(sig.arguments()):
        is_out = sig.output_args is not None and a is sig.output_args
        kw = i >= n_pos
        name = a.name
        if name == "self" and not sig.method:
            name = "input"
        if is_out:
            n = len(sig.output_args.outputs)
            code = "O" if n == 1 else f"O{n}"
        elif name == "requires_grad":
            code = "B?"
        elif name == "pin_memory":
            code = "B?"
        else:
            code = type_code(a.type)
            if code is None:
                return None
        optional = a.default is not None or is_out
        params.append(("*" if kw else "") + name + ":" + code + ("=" if optional else ""))
        info["params"].append((name, code, kw, optional, a.default))
    rets = []
    f = group.base
    for r in f.func.returns:
        c = ret_code(r.type)
        if c is None:
            return None
        rets.append(c)
    try:
        names = structseq_fieldnames(f.func.returns)
    except ValueError:  # some fields named, some not: Python returns a plain tuple
        names = []
    ret_s = " ".join((f"{names[i]}:" if names else "") + c for i, c in enumerate(rets))
    ops = op_name(group.base) + ("|" + op_name(group.outplace) if group.outplace else "")
    flags = "#" if numbers_as_tensors else ""
    info["returns"] = rets
    info["names"] = names
    info["inplace"] = bool(group.base.func.name.name.inplace)
    info["numbers"] = numbers_as_tensors
    return f"{flags}{ops} {' '.join(params)} > {ret_s}".replace("  ", " "), info


def first_doc_line(obj) -> str:
    """The first sentence of a PyTorch docstring, without its signature line and RST markup."""
    doc = getattr(obj, "__doc__", None) or ""
    lines = [l.strip() for l in doc.strip().splitlines()]
    # skip signature lines like `add(input, other, *, alpha=1, out=None) -> Tensor`
    body = []
    for l in lines:
        if not body and (not l or re.match(r"^[\w.]+\(.*\)( -> .*)?$", l) or l.startswith("See :")):
            if l.startswith("See :"):
                body.append(l)
                break
            continue
        if not l:
            if body:
                break
            continue
        body.append(l)
    text = " ".join(body)
    text = re.sub(r":(attr|func|meth|class|ref|math|mod|obj|data):`~?([^`<]*?)(?:\s*<[^>]*>)?`", r"`\2`", text)
    text = text.replace("``", "`").replace("*/", "* /")
    m = re.match(r"(.+?\.)(\s|$)", text)
    text = m.group(1) if m else text
    return text[:300]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 when the committed files differ")
    args = ap.parse_args()

    yaml_dir = os.path.join(os.path.dirname(torchgen.__file__), "packaged", "ATen", "native")
    parsed = parse_native_yaml(os.path.join(yaml_dir, "native_functions.yaml"), os.path.join(yaml_dir, "tags.yaml"))
    fns = [f for f in parsed.native_functions if should_bind(f)]

    namespaces = {
        "torch": lambda f: f.python_module is None and Variant.function in f.variants,
        "methods": lambda f: f.python_module is None and Variant.method in f.variants,
        "nn": lambda f: f.python_module == "nn",
        "linalg": lambda f: f.python_module == "linalg",
        "special": lambda f: f.python_module == "special",
        "fft": lambda f: f.python_module == "fft",
    }
    tables: dict[str, dict[str, list[str]]] = {}
    infos: dict[str, dict[str, list[dict]]] = {}
    skipped: dict[str, dict[str, str]] = {}
    for ns, pred in namespaces.items():
        method = ns == "methods"
        grouped: dict[str, list[tuple[PythonSignature, NativeFunction]]] = defaultdict(list)
        for f in fns:
            if not pred(f):
                continue
            sig = signature(f, method=method, pyi=False)
            grouped[str(f.func.name.name)].append((sig, f))
        table: dict[str, list[str]] = {}
        tinfo: dict[str, list[dict]] = {}
        for name in sorted(grouped):
            if name.startswith("__"):
                continue
            py = name
            if ns == "linalg":
                py = name[len("linalg_") :] if name.startswith("linalg_") else name
            elif ns == "special":
                py = name[len("special_") :] if name.startswith("special_") else name
            elif ns == "fft":
                py = name[len("fft_") :] if name.startswith("fft_") else name
            js = camel(py)
            allow = torch._C._should_allow_numbers_as_tensors(name)
            sigs, infs = [], []
            for g in group_overloads(grouped[name]):
                enc = encode(g, allow)
                if enc is None:
                    continue
                sigs.append(enc[0])
                infs.append(enc[1])
            if sigs:
                table[js] = sigs
                tinfo[js] = infs
                tinfo[js][0]["py"] = py
            else:
                skipped.setdefault(ns, {})[py] = "takes only schema types torchts cannot pass"
        tables[ns] = table
        infos[ns] = tinfo

    files = {
        "signatures.ts": render_signatures(tables),
        "functions.ts": render_functions(infos, tables),
        "tensor_methods.ts": render_methods(infos["methods"]),
    }
    changed = []
    os.makedirs(OUT, exist_ok=True)
    for name, text in files.items():
        path = os.path.join(OUT, name)
        old = open(path, encoding="utf8").read() if os.path.exists(path) else None
        if old != text:
            changed.append(name)
            if not args.check:
                with open(path, "w", encoding="utf8") as fh:
                    fh.write(text)
    if args.check:
        if changed:
            print(f"gen_ops: out of date: {', '.join(changed)} (run npm run gen:ops)", file=sys.stderr)
            return 1
        return 0
    counts = ", ".join(f"{ns} {len(t)}" for ns, t in tables.items())
    print(f"gen_ops: torch {torch.__version__}: {counts} names; wrote {', '.join(changed) or 'nothing new'}")
    return 0


HEADER = "// Generated by scripts/gen_ops.py from torch {ver}'s native_functions.yaml. Do not edit.\n"


def render_signatures(tables: dict[str, dict[str, list[str]]]) -> str:
    out = [HEADER.format(ver=torch.__version__.split("+")[0])]
    out.append(
        "// One string per Python-level overload, in python_arg_parser's order:\n"
        "//   [#]op[|outOp] [*]name:type[=] ... > [field:]ret ...\n"
        "// '#': numbers are accepted for Tensor arguments (wrapped numbers, as Python's add/mul/...);\n"
        "// '*': keyword-only; '=': may be omitted (the schema's default applies). Types: T Tensor,\n"
        "// S Scalar, I int/SymInt, F float, B bool, D dtype, L layout, V device, M memory format,\n"
        "// s str, G Generator, X[n] list, X? optional, O/On the out= tensor(s).\n"
    )
    out.append("/* eslint-disable */\n")
    for ns, table in tables.items():
        out.append(f"export const {ns.upper()}: Record<string, readonly string[]> = {{\n")
        for name, sigs in table.items():
            key = name if re.fullmatch(r"[A-Za-z_$][\w$]*", name) else repr(name)
            out.append(f"  {key}: [\n" + "".join(f"    {js_str(s)},\n" for s in sigs) + "  ],\n")
        out.append("};\n")
    return "".join(out)


def js_str(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def doc_comment(lines: list[str], indent: str) -> str:
    if not any(lines):
        return ""
    body = "".join(f"{indent} * {l}\n" for l in lines if l)
    return f"{indent}/**\n{body}{indent} */\n"


def ts_params(info: dict, numbers: bool, method: bool) -> list[str]:
    """TypeScript overloads for one signature: positional params, then an options object."""
    pos, opts = [], []
    for name, code, kw, optional, default in info["params"]:
        js = camel(name)
        if code.startswith("O"):
            t = "Tensor" if code == "O" else "readonly Tensor[]"
            opts.append(f"{js}?: {t}")
            continue
        t = ts_type(code, numbers)
        if kw or optional:
            opts.append(f"{js}?: {t}")
        if not kw:
            pos.append((js, t, optional))
    # Required params can't follow optional ones in TS; Python signatures never do that.
    params = [f"{n}{'_' if n in RESERVED else ''}{'?' if o else ''}: {t}" for n, t, o in pos]
    if opts:
        params.append(f"options?: {{ {'; '.join(opts)} }}")
    return params


def ts_return(info: dict, method: bool) -> str:
    rets = info["returns"]
    if method and info.get("inplace"):
        return "this"
    if not rets:
        return "void"
    ts = [TS_RETURNS[r] for r in rets]
    if len(ts) == 1:
        return ts[0]
    tup = f"[{', '.join(ts)}]"
    if info["names"]:
        fields = "; ".join(f"{camel(n)}: {t}" for n, t in zip(info["names"], ts))
        return f"{tup} & {{ {fields} }}"
    return tup


def docs_for(ns: str, py: str, method: bool):
    if py.endswith("_") and not py.endswith("__"):
        return f"In-place version of `{py[:-1]}`."
    mod = {"torch": torch, "methods": torch.Tensor, "nn": torch._C._nn, "linalg": torch.linalg, "special": torch.special, "fft": torch.fft}[ns]
    return first_doc_line(getattr(mod, py, None))


def overload_lines(ns: str, name: str, infos: list[dict], method: bool, prefix: str) -> str:
    py = infos[0]["py"]
    doc = docs_for(ns, py, method)
    out = []
    seen = set()
    for info in infos:
        numbers = info.get("numbers", False)
        params = ts_params(info, numbers, method)
        if not method and ns == "torch" and False:
            pass
        line = f"{prefix}{name_key(name)}({', '.join(params)}): {ts_return(info, method)};"
        if line in seen:
            continue
        seen.add(line)
        out.append(doc_comment([doc, f"`aten::{info['schema']}`"], "  " if method else "") + line)
    return "\n".join(out) + "\n"


def name_key(name: str) -> str:
    return name


def render_methods(infos: dict[str, list[dict]]) -> str:
    out = [HEADER.format(ver=torch.__version__.split("+")[0])]
    out.append(
        "import type { DType } from '../dtype';\n"
        "import type { Device } from '../device';\n"
        "import type { Generator } from '../generator';\n"
        "import type { Layout } from '../dispatch';\n"
        "import type { MemoryFormat, Tensor } from '../tensor';\n\n"
        "/** Tensor methods generated from libtorch's schema (installed by lib/torch/tensor_generated.ts). */\n"
        "export interface TensorMethods {\n"
    )
    for name, inf in infos.items():
        if name.startswith("_") or name in HAND_WRITTEN["methods"]:
            continue
        out.append(overload_lines("methods", name, inf, True, "  "))
    out.append("}\n")
    return "".join(out)


RESERVED = {"var", "new", "delete", "default", "in", "import", "export", "function", "class", "return", "with"}


def render_functions(infos: dict[str, dict[str, list[dict]]], tables) -> str:
    out = [HEADER.format(ver=torch.__version__.split("+")[0])]
    out.append(
        "import type { DType } from '../dtype';\n"
        "import type { Device } from '../device';\n"
        "import type { Generator } from '../generator';\n"
        "import { type Layout, namespace } from '../dispatch';\n"
        "import type { MemoryFormat, Tensor } from '../tensor';\n"
        "import { LINALG, NN, SPECIAL, TORCH } from './signatures';\n\n"
        "const T = namespace(TORCH, 'torch');\n\n"
    )
    exports = []
    for name, inf in infos["torch"].items():
        if name in HAND_WRITTEN["torch"]:
            continue
        ident = name + "_" if name in RESERVED else name
        doc = docs_for("torch", inf[0]["py"], False)
        out.append(doc_comment([doc], "") + f"export const {ident}: {{\n" + overload_lines("torch", "", inf, True, "  ").replace("): this;", "): Tensor;") + f"}} = T.functions.{name};\n")
        if ident != name:
            exports.append(f"export {{ {ident} as {name} }};\n")
    out.extend(exports)
    for ns in ("linalg", "special", "nn"):
        out.append(f"\nconst {ns.upper()}_ = namespace({ns.upper()}, '{'torch._C._nn' if ns == 'nn' else 'torch.' + ns}');\n")
        iface = f"{ns.capitalize()}Functions"
        out.append(f"/** torch.{'_C._nn' if ns == 'nn' else ns} functions generated from libtorch's schema. */\nexport interface {iface} {{\n")
        for name, inf in infos[ns].items():
            out.append(overload_lines(ns, name, inf, True, "  ").replace("): this;", "): Tensor;"))
        out.append("}\n")
        export = "_nn" if ns == "nn" else ns
        doc = "/** @internal torch._C._nn: the native forms torch.nn.functional builds on. */\n" if ns == "nn" else f"/** torch.{ns}. */\n"
        out.append(f"{doc}export const {export}: {iface} = {ns.upper()}_.functions as unknown as {iface};\n")
    return "".join(out)


if __name__ == "__main__":
    sys.exit(main())
