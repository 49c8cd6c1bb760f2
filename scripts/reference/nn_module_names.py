"""Module's name iterators and lookups run by real PyTorch, as JSON, for
test/nn_module_methods.test.ts (the same Net is built there)."""
import json

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        shared = nn.Linear(2, 2)
        self.a = nn.Sequential(shared, nn.BatchNorm1d(2))
        self.b = shared
        self.scale = nn.Parameter(torch.ones(1))
        self.register_buffer("step", torch.zeros(1))


def names(pairs):
    return [n for n, _ in pairs]


def error(fn):
    try:
        fn()
    except AttributeError as e:
        return str(e)
    return None


net = Net()
visited = []
net.apply(lambda m: visited.append(type(m).__name__))
print(json.dumps({
    "modules": names(net.named_modules()),
    "modules_prefix_dup": names(net.named_modules(prefix="net", remove_duplicate=False)),
    "children": names(net.named_children()),
    "params": names(net.named_parameters()),
    "params_prefix_no_recurse": names(net.named_parameters("p", False)),
    "params_dup": names(net.named_parameters(remove_duplicate=False)),
    "buffers": names(net.named_buffers()),
    "buffers_prefix_dup": names(net.named_buffers("x", True, False)),
    "submodule": type(net.get_submodule("a.1")).__name__,
    "parameter_shape": list(net.get_parameter("a.0.weight").shape),
    "buffer_shape": list(net.get_buffer("a.1.running_mean").shape),
    "apply": visited,
    "errors": [
        error(lambda: net.get_submodule("a.5")),
        error(lambda: net.get_parameter("a.1.running_mean")),
        error(lambda: net.get_buffer("a.0.weight")),
        error(lambda: net.get_parameter("a.0.nothing")),
    ],
}))
