"""torchvision's model definitions on the PyTorch next to torchts.

pip's torchvision wheels here are CUDA builds that do not import next to the CPU torch, and
Debian's python3-torchvision is built for Debian's torch 1.13. The model *definitions* are
plain Python, though: this module executes torchvision's own models/resnet.py file (Debian
package, or the file named by TORCHVISION_RESNET_PY) against the torch that is imported, with
do-nothing stand-ins for the few torchvision internals it imports (pretrained-weight
metadata, API-usage logging). The classes and builders run unchanged, so the reference and
torchts use the same libtorch kernels.
"""
import enum
import importlib.util
import os
import sys
import types

RESNET_PY = os.environ.get("TORCHVISION_RESNET_PY", "/usr/lib/python3/dist-packages/torchvision/models/resnet.py")


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


def _load():
    if not os.path.exists(RESNET_PY):
        raise SystemExit(
            f"torchvision's resnet.py not found at {RESNET_PY}: install it with "
            "`apt-get install python3-torchvision` or set TORCHVISION_RESNET_PY"
        )
    _module("torchvision")
    _module("torchvision.transforms")
    _module("torchvision.transforms._presets", ImageClassification=lambda **kw: None)
    _module("torchvision.utils", _log_api_usage_once=lambda obj: None)
    _module("torchvision.models")
    _module(
        "torchvision.models._api",
        register_model=lambda *a, **kw: (lambda fn: fn),
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
    )
    spec = importlib.util.spec_from_file_location("torchvision.models.resnet", RESNET_PY)
    mod = importlib.util.module_from_spec(spec)
    mod.__package__ = "torchvision.models"
    sys.modules["torchvision.models.resnet"] = mod
    spec.loader.exec_module(mod)
    return mod


resnet = _load()
