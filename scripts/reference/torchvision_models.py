"""torchvision's model definitions on the PyTorch next to torchts.

pip's torchvision wheels here are CUDA builds that do not import next to the CPU torch, and
Debian's python3-torchvision is built for Debian's torch 1.13. The model *definitions* are
plain Python, though: this module executes torchvision's own models/<name>.py files (from
Debian's package, or from the folder named by TORCHVISION_MODELS_DIR) against the torch that
is imported, with do-nothing stand-ins for the few torchvision internals they import
(pretrained-weight metadata, API-usage logging). The classes and builders run unchanged, so
the reference and torchts use the same libtorch kernels.

    from torchvision_models import load
    vgg = load("vgg")            # torchvision.models.vgg
    model = vgg.vgg11_bn(num_classes=10)

Any of torchvision's classification model files loads this way (`load("efficientnet")`,
`load("regnet")`...); torchvision.ops' `misc.py` and `stochastic_depth.py`, which they import,
run from Debian's package too. `BUILDERS` collects what `@register_model()` registers (the
public builders, by name) as the files load. `resnet`, `vgg`, `densenet`, `googlenet` and
`inception` are loaded on first access.
"""
import enum
import importlib.util
import os
import sys
import types

MODELS_DIR = os.environ.get("TORCHVISION_MODELS_DIR", "/usr/lib/python3/dist-packages/torchvision/models")
OPS_DIR = os.path.join(os.path.dirname(MODELS_DIR), "ops")

# name -> builder function, filled by the `register_model` stand-in as model files load.
BUILDERS = {}


def _module(name, **attrs):
    m = types.ModuleType(name)
    m.__path__ = []
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


class _Weights:
    def __init__(self, url, transforms, meta):
        self.url, self.transforms, self.meta = url, transforms, meta


class _WeightsEnum(enum.Enum):
    @classmethod
    def verify(cls, obj):
        if obj is not None:
            raise SystemExit("pretrained weights are not available in the reference models")
        return None

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.value, name)


class InterpolationMode(enum.Enum):
    """torchvision.transforms.InterpolationMode's values."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def _register_model(name=None):
    def wrapper(fn):
        BUILDERS[name if name is not None else fn.__name__] = fn
        return fn

    return wrapper


def _make_divisible(v, divisor, min_value=None):
    # torchvision/models/_utils.py
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _make_ntuple(x, n):
    # torchvision/utils.py
    import collections.abc
    import itertools

    if isinstance(x, collections.abc.Iterable):
        return tuple(x)
    return tuple(itertools.repeat(x, n))


def _exec(full, path, package):
    spec = importlib.util.spec_from_file_location(full, path)
    mod = importlib.util.module_from_spec(spec)
    mod.__package__ = package
    sys.modules[full] = mod
    spec.loader.exec_module(mod)
    return mod


def _stub_torchvision():
    """Registers the stand-ins for the torchvision internals the model files import (once)."""
    if "torchvision.models._api" in sys.modules:
        return
    _module("torchvision")
    _module("torchvision.transforms", InterpolationMode=InterpolationMode)
    # `transforms` is a partial of this: its keywords (crop_size, resize_size, interpolation) are the metadata.
    _module("torchvision.transforms._presets", ImageClassification=lambda **kw: None, InterpolationMode=InterpolationMode)
    _module("torchvision.utils", _log_api_usage_once=lambda obj: None, _make_ntuple=_make_ntuple)
    _module("torchvision.models")
    _module(
        "torchvision.models._api",
        register_model=_register_model,
        Weights=_Weights,
        WeightsEnum=_WeightsEnum,
    )
    _module("torchvision.models._meta", _IMAGENET_CATEGORIES=[str(i) for i in range(1000)])

    def _ovewrite_named_param(kwargs, param, new_value):
        kwargs[param] = new_value

    _module(
        "torchvision.models._utils",
        _ovewrite_named_param=_ovewrite_named_param,
        handle_legacy_interface=lambda **kw: (lambda fn: fn),
        _ModelURLs=dict,
        _make_divisible=_make_divisible,
    )
    # torchvision.ops' layers, from torchvision's own files.
    ops = _module("torchvision.ops")
    for name in ("misc", "stochastic_depth"):
        setattr(ops, name, _exec(f"torchvision.ops.{name}", os.path.join(OPS_DIR, f"{name}.py"), "torchvision.ops"))
    ops.StochasticDepth = ops.stochastic_depth.StochasticDepth
    ops.stochastic_depth_fn = ops.stochastic_depth.stochastic_depth
    for name in ("Conv2dNormActivation", "SqueezeExcitation", "MLP", "Permute"):
        setattr(ops, name, getattr(ops.misc, name))


def load(name):
    """torchvision.models.<name>, executed from <MODELS_DIR>/<name>.py (cached)."""
    full = f"torchvision.models.{name}"
    if full in sys.modules:
        return sys.modules[full]
    path = os.path.join(MODELS_DIR, f"{name}.py")
    if not os.path.exists(path):
        raise SystemExit(
            f"torchvision's {name}.py not found at {path}: install it with "
            "`apt-get install python3-torchvision` or set TORCHVISION_MODELS_DIR"
        )
    _stub_torchvision()
    return _exec(full, path, "torchvision.models")


def randomise_batchnorm(model, g):
    """BatchNorm weights, biases and running statistics drawn from `g`, so that outputs and
    gradients depend on them (freshly built models have ones and zeros)."""
    import torch

    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)


_MODELS = ("resnet", "vgg", "densenet", "googlenet", "inception")


def __getattr__(name):
    # `from torchvision_models import resnet` loads resnet.py on first use.
    if name in _MODELS:
        return load(name)
    raise AttributeError(name)
