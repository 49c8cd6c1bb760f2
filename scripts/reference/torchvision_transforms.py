"""torchvision's transforms on the PyTorch next to torchts, for test/transforms.test.ts.

pip's torchvision does not import next to the CPU torch here, and Debian's python3-torchvision
(0.14) is built for Debian's torch. Its transforms are plain Python on torch, though: this
module executes torchvision's own transforms/functional_tensor.py, functional.py and
transforms.py files (Debian's package, or the folder named by TORCHVISION_TRANSFORMS_DIR)
against the torch that is imported, with stand-ins for PIL (never used on tensors) and
torchvision's API-usage logging. The functions and classes run unchanged.

`python3 torchvision_transforms.py IN OUT` reads the images in fixture folder IN (uint8
images cross as float32 holding integers) and writes every case's output to OUT (uint8 results
as float32 again).
"""
import importlib.util
import os
import sys
import types

import torch

DIR = os.environ.get("TORCHVISION_TRANSFORMS_DIR", "/usr/lib/python3/dist-packages/torchvision/transforms")


def _module(name, **attrs):
    m = types.ModuleType(name)
    m.__path__ = []
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


def _exec(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(DIR, file))
    mod = importlib.util.module_from_spec(spec)
    mod.__package__ = name.rpartition(".")[0]
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def _load():
    tensor_file = next((f for f in ("_functional_tensor.py", "functional_tensor.py") if os.path.exists(os.path.join(DIR, f))), None)
    if tensor_file is None or not os.path.exists(os.path.join(DIR, "transforms.py")):
        raise SystemExit(
            f"torchvision's transforms not found in {DIR}: install them with "
            "`apt-get install python3-torchvision` or set TORCHVISION_TRANSFORMS_DIR"
        )
    pil = _module("PIL")
    pil.Image = _module("PIL.Image", Image=type("Image", (), {}))
    for sub in ("ImageColor", "ImageDraw", "ImageFont", "ImageEnhance", "ImageOps"):
        setattr(pil, sub, _module("PIL." + sub))
    _module("torchvision")
    _module("torchvision.utils", _log_api_usage_once=lambda obj: None)
    _module("torchvision.transforms")
    _module("torchvision.transforms.functional_pil", _is_pil_image=lambda img: False)
    sys.modules["torchvision.transforms._functional_pil"] = sys.modules["torchvision.transforms.functional_pil"]
    ft = _exec("torchvision.transforms." + tensor_file[:-3], tensor_file)
    sys.modules["torchvision.transforms.functional_tensor"] = ft
    sys.modules["torchvision.transforms._functional_tensor"] = ft
    f = _exec("torchvision.transforms.functional", "functional.py")
    t = _exec("torchvision.transforms.transforms", "transforms.py")
    return ft, f, t


F_t, F, T = _load()


def _seeded(seed, fn, times=1):
    """fn applied `times` times after torch.manual_seed(seed), results stacked."""
    torch.manual_seed(seed)
    return torch.stack([fn() for _ in range(times)])


def cases(img, fimg, batch):
    """name -> output; test/transforms.test.ts computes the same cases with torchts."""
    aa = dict(antialias=True)
    out = {}
    for tag, x in (("u8", img), ("f32", fimg), ("batch", batch)):
        out[f"{tag}/resize_20x25"] = F.resize(x, [20, 25], **aa)
        out[f"{tag}/resize_short_24"] = F.resize(x, [24], **aa)
        out[f"{tag}/resize_up_70x90"] = F.resize(x, [70, 90], **aa)
        out[f"{tag}/resize_noaa_20x25"] = F.resize(x, [20, 25], antialias=False)
        out[f"{tag}/resize_max"] = F.resize(x, [20], max_size=24, **aa)
        out[f"{tag}/center_crop_24"] = F.center_crop(x, [24])
        out[f"{tag}/center_crop_21x17"] = F.center_crop(x, [21, 17])
        out[f"{tag}/center_crop_pad_45x61"] = F.center_crop(x, [45, 61])
        out[f"{tag}/crop_outside"] = F.crop(x, -3, 5, 20, 60)
        out[f"{tag}/pad_constant"] = F.pad(x, [1, 2, 3, 4], fill=7)
        out[f"{tag}/pad_edge"] = F.pad(x, [3], padding_mode="edge")
        out[f"{tag}/pad_reflect"] = F.pad(x, [2, 3], padding_mode="reflect")
        out[f"{tag}/pad_symmetric"] = F.pad(x, [1, 2, 3, 4], padding_mode="symmetric")
        out[f"{tag}/hflip"] = F.hflip(x)
        out[f"{tag}/vflip"] = F.vflip(x)
        out[f"{tag}/grayscale"] = F.rgb_to_grayscale(x)
        for name, fn, factors in (
            ("brightness", F.adjust_brightness, (0.6, 1.7)),
            ("contrast", F.adjust_contrast, (0.3, 1.8)),
            ("saturation", F.adjust_saturation, (0.2, 2.5)),
            ("hue", F.adjust_hue, (-0.3, 0.17)),
        ):
            for k, factor in enumerate(factors):
                out[f"{tag}/{name}_{k}"] = fn(x, factor)
        # Random transforms: same seed, same draws, same outputs.
        rrc = T.RandomResizedCrop(24, **aa)
        out[f"{tag}/random_resized_crop"] = _seeded(1, lambda: rrc(x), 6)
        rrc2 = T.RandomResizedCrop([20, 30], scale=(0.5, 0.9), ratio=(0.5, 2.0), **aa)
        out[f"{tag}/random_resized_crop_20x30"] = _seeded(2, lambda: rrc2(x), 6)
        fallback = T.RandomResizedCrop(16, scale=(0.9, 1.0), ratio=(3.0, 4.0), **aa)
        out[f"{tag}/random_resized_crop_fallback"] = _seeded(3, lambda: fallback(x), 2)
        rc = T.RandomCrop(32, padding=4)
        out[f"{tag}/random_crop"] = _seeded(4, lambda: rc(x), 6)
        rc2 = T.RandomCrop([44, 56], pad_if_needed=True, fill=3, padding_mode="constant")
        out[f"{tag}/random_crop_pad_if_needed"] = _seeded(5, lambda: rc2(x), 4)
        rc3 = T.RandomCrop(30, padding=[2, 5], padding_mode="reflect")
        out[f"{tag}/random_crop_reflect"] = _seeded(6, lambda: rc3(x), 4)
        flip = T.RandomHorizontalFlip()
        out[f"{tag}/random_hflip"] = _seeded(7, lambda: flip(x), 8)
        jitter = T.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)
        out[f"{tag}/color_jitter"] = _seeded(8, lambda: jitter(x), 5)
        jitter2 = T.ColorJitter(brightness=(0.5, 0.9), hue=(-0.2, 0.0))
        out[f"{tag}/color_jitter_ranges"] = _seeded(9, lambda: jitter2(x), 4)
        pipeline = T.Compose([T.RandomResizedCrop(24, **aa), T.RandomHorizontalFlip(), jitter])
        out[f"{tag}/pipeline"] = _seeded(10, lambda: pipeline(x), 4)
    # Normalize takes float images only; float64 keeps mean and std in float64.
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    out["norm/f32"] = T.Normalize(mean, std)(fimg)
    out["norm/f64"] = T.Normalize(mean, std)(fimg.double())
    out["norm/batch_inplace"] = T.Normalize(mean, std, inplace=True)(batch.to(torch.float32) / 255)
    return out


if __name__ == "__main__":
    from tensors import load, save

    inputs = load(sys.argv[1])
    img = inputs["img"].to(torch.uint8)
    batch = inputs["batch"].to(torch.uint8)
    results = cases(img, inputs["fimg"], batch)
    save(sys.argv[2], {k: (v.to(torch.float32) if v.dtype == torch.uint8 else v) for k, v in results.items()})
