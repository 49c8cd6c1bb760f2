"""Prints, as JSON, the module classes torch.nn.modules exports (its __all__), for
test/nn_coverage.test.ts: {"version", "modules": [...], "lazy": [...], "other": [...]}.
'lazy' are the Lazy* classes (left out of the count: they infer shapes on first call);
'other' are exported names that are not Module classes."""
import inspect
import json

import torch
import torch.nn.modules as M

modules, lazy, other = [], [], []
for name in M.__all__:
    obj = getattr(M, name)
    if not (inspect.isclass(obj) and issubclass(obj, torch.nn.Module)):
        other.append(name)
    elif name.startswith("Lazy"):
        lazy.append(name)
    else:
        modules.append(name)
print(json.dumps({"version": torch.__version__, "modules": modules, "lazy": lazy, "other": other}))
