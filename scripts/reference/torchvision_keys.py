"""torchvision's state-dict layout of classification builders, for test/vision_models_*.test.ts.

usage: torchvision_keys.py <builder> [...]
       torchvision_keys.py --list

With --list, prints the sorted names torchvision's files register with `@register_model()`
(what torchvision.models.list_models(module=torchvision.models) returns).

Prints one JSON object: builder name -> {"keys": [[key, shape], ...] in state-dict order,
"params": number of parameters, "modules": [[name, class name], ...] of named_modules(),
"repr": repr(model)}, each builder called with its default arguments. Only names
and shapes are read, so torch.nn.init's functions do nothing here (building the largest
models then costs their memory but no time). (The meta device cannot be used: RegNet's
builders compute their widths with tensors.)
"""
import json
import sys

import torch

import torchvision_models as tm

FILES = (
    "alexnet", "convnext", "densenet", "efficientnet", "googlenet", "inception", "maxvit", "mnasnet",
    "mobilenetv2", "mobilenetv3", "regnet", "resnet", "shufflenetv2", "squeezenet", "swin_transformer",
    "vgg", "vision_transformer",
)

if __name__ == "__main__":
    for f in FILES:
        tm.load(f)
    if sys.argv[1:] == ["--list"]:
        json.dump(sorted(tm.BUILDERS), sys.stdout)
        sys.exit(0)
    for fn in dir(torch.nn.init):
        if fn.endswith("_") and not fn.startswith("_"):
            setattr(torch.nn.init, fn, lambda tensor, *args, **kwargs: tensor)
    out = {}
    for name in sys.argv[1:]:
        model = tm.BUILDERS[name]()
        out[name] = {
            "keys": [[k, list(v.shape)] for k, v in model.state_dict().items()],
            "params": sum(p.numel() for p in model.parameters()),
            "modules": [[k, type(m).__name__] for k, m in model.named_modules()],
            "repr": repr(model),
        }
        del model
    json.dump(out, sys.stdout)
