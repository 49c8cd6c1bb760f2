"""The PyTorch side of bench/inference.ts: ONNX export, and PyTorch's own inference paths, timed.

The models are torchvision's own code (scripts/reference/torchvision_models.py), with the
weights bench/inference.ts wrote (<dir>/<arch>.pth, torchts's state dict: the same keys).

usage: inference.py export <dir> <arch>...
         writes <dir>/<arch>.onnx (torch.onnx.export, batch axis dynamic) for onnxruntime-node;
         prints {"onnx": version} or {"onnx": null, "error": why} when onnx is not importable
       inference.py aoti <dir> <arch>:<batch>:<threads>...
         writes <dir>/<arch>-b<batch>-t<threads>.pt2: torch.export at that batch size compiled
         by torch._inductor.aoti_compile_and_package with freezing (weights folded and
         prepacked as Inductor's freezing does) for that thread count (Inductor specialises
         its kernels to shapes and thread count, as torch.compile does in the "time" cases),
         for torchts's torch._inductor.aotiLoadPackage; prints {"aoti": {spec: seconds to
         compile}} or {"aoti": null, "error": why}
       inference.py time <dir> <cases-json> <rounds> <block> [--no-compile]
         cases: [[arch, batch, threads], ...]. For each case, PyTorch eager, jit (trace + freeze +
         optimize_for_inference) and compile (torch.compile, Inductor with freezing) warm up,
         then take turns in blocks of <block> iterations for <rounds> rounds. Prints one JSON
         object: {"describe": {...}, "cases": [{arch, batch, threads, eager: [...ms], jit: [...],
         compile: [...] | null, compile_error?}]}.
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "reference"))
import torchvision_models  # noqa: E402


def model_for(folder, arch):
    torch.manual_seed(0)
    family = torchvision_models.load("resnet" if arch.startswith("resnet") else "mobilenetv2")
    model = getattr(family, arch)()
    model.load_state_dict(torch.load(os.path.join(folder, f"{arch}.pth")))
    return model.eval()


def export(folder, archs):
    try:
        import onnx
    except ImportError as e:
        print(json.dumps({"onnx": None, "error": f"onnx is not importable: {e}"}))
        return
    for arch in archs:
        model = model_for(folder, arch)
        x = torch.randn(1, 3, 224, 224)
        torch.onnx.export(
            model,
            (x,),
            os.path.join(folder, f"{arch}.onnx"),
            input_names=["input"],
            output_names=["output"],
            dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    print(json.dumps({"onnx": onnx.__version__}))


def aoti(folder, specs):
    seconds = {}
    try:
        for spec in specs:
            arch, batch, threads = spec.split(":")
            torch.set_num_threads(int(threads))
            t0 = time.perf_counter()
            model = model_for(folder, arch)
            x = torch.randn(int(batch), 3, 224, 224)
            with torch.no_grad():
                ep = torch.export.export(model, (x,))
                torch._inductor.aoti_compile_and_package(
                    ep,
                    package_path=os.path.join(folder, f"{arch}-b{batch}-t{threads}.pt2"),
                    inductor_configs={"freezing": True},
                )
            seconds[spec] = round(time.perf_counter() - t0, 1)
    except Exception as e:  # noqa: BLE001 (reported, not fatal)
        print(json.dumps({"aoti": None, "error": f"{type(e).__name__}: {e}"[:300]}))
        return
    print(json.dumps({"aoti": seconds}))


def block(fn, x, n):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        with torch.no_grad():
            y = fn(x)
            del y
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def time_cases(folder, cases, rounds, n, compile_too):
    result = {
        "describe": {
            "torch": torch.__version__,
            "python": sys.version.split()[0],
            "mkldnn": torch.backends.mkldnn.is_available(),
            "resnet_source": torchvision_models.load("resnet").__file__,
        },
        "cases": [],
    }
    for arch, batch, threads in cases:
        torch.set_num_threads(threads)
        model = model_for(folder, arch)
        x = torch.randn(batch, 3, 224, 224)
        engines = {"eager": model}
        with torch.no_grad():
            engines["jit"] = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, x)))
        row = {"arch": arch, "batch": batch, "threads": threads, "compile": None}
        if compile_too:
            try:
                import torch._inductor.config as inductor_config

                inductor_config.freezing = True
                torch._dynamo.reset()
                engines["compile"] = torch.compile(model)
                with torch.no_grad():
                    engines["compile"](x)
            except Exception as e:  # noqa: BLE001 (reported, not fatal)
                row["compile_error"] = f"{type(e).__name__}: {e}"[:300]
                engines.pop("compile", None)
        times = {k: [] for k in engines}
        for fn in engines.values():
            block(fn, x, 2)
        for r in range(rounds):
            names = list(engines)
            names = names[r % len(names) :] + names[: r % len(names)]
            for k in names:
                times[k] += block(engines[k], x, n)
        row.update(times)
        result["cases"].append(row)
    print(json.dumps(result))


if __name__ == "__main__":
    if sys.argv[1] == "export":
        export(sys.argv[2], sys.argv[3:])
    elif sys.argv[1] == "aoti":
        aoti(sys.argv[2], sys.argv[3:])
    elif sys.argv[1] == "time":
        time_cases(sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), "--no-compile" not in sys.argv)
    else:
        raise SystemExit(__doc__)
