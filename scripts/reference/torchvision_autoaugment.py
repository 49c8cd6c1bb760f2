"""torchvision's augmentation code on the PyTorch next to torchts, for test/autoaugment.test.ts.

Runs torchvision 0.14's own transforms/autoaugment.py (AutoAugment, RandAugment,
TrivialAugmentWide, AugMix), functional.py / functional_tensor.py (affine, rotate, invert,
posterize, solarize, adjust_sharpness, autocontrast, equalize, erase) and transforms.py
(RandomErasing), loaded as torchvision_transforms.py loads them. RandomMixup and RandomCutmix
live in torchvision's references/classification/transforms.py, which no package installs: they
run when TORCHVISION_REFERENCES_DIR names a folder holding that file (a checkout's
references/classification), and their cases are left out otherwise.

`python3 torchvision_autoaugment.py IN OUT`: IN holds img, low (uint8 as float32), fimg,
batch (uint8 as float32), labels (int64); OUT gets every case (uint8 results as float32).
"""
import importlib.util
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchvision_transforms import DIR, F, T, _exec  # noqa: E402

tv = sys.modules["torchvision.transforms"]
tv.functional = F
tv.InterpolationMode = F.InterpolationMode
A = _exec("torchvision.transforms.autoaugment", "autoaugment.py")
I = F.InterpolationMode

REFS = os.environ.get("TORCHVISION_REFERENCES_DIR")
R = None
if REFS and os.path.exists(os.path.join(REFS, "transforms.py")):
    spec = importlib.util.spec_from_file_location("reference_transforms", os.path.join(REFS, "transforms.py"))
    R = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(R)


def _seeded(seed, fn, times=1):
    torch.manual_seed(seed)
    return torch.stack([fn() for _ in range(times)])


OPS = [
    ("ShearX", (0.3, -0.2)),
    ("ShearY", (0.25, -0.3)),
    ("TranslateX", (7.6, -12.3)),
    ("TranslateY", (5.2, -9.9)),
    ("Rotate", (17.0, -30.0)),
    ("Brightness", (0.5, -0.4)),
    ("Color", (0.7, -0.8)),
    ("Contrast", (0.6, -0.5)),
    ("Sharpness", (0.9, -0.9)),
    ("Posterize", (4.0, 6.0)),
    ("Solarize", (128.0, 229.5)),
    ("AutoContrast", (0.0,)),
    ("Equalize", (0.0,)),
    ("Invert", (0.0,)),
]


def cases(img, low, fimg, batch, labels):
    out = {}
    for tag, x in (("u8", img), ("low", low), ("f32", fimg), ("batch", batch)):
        u8 = x.dtype == torch.uint8
        out[f"{tag}/affine"] = F.affine(x, 12.5, [3, -2], 0.9, [5.0, -7.0])
        out[f"{tag}/affine_bilinear_fill"] = F.affine(
            x, -33.0, [-4, 6], 1.2, [-10.0, 3.0], interpolation=I.BILINEAR, fill=[10.0, 20.0, 30.0] if u8 else [0.1, 0.2, 0.3]
        )
        out[f"{tag}/affine_nearest_fill_center"] = F.affine(x, 45.0, [0, 0], 1.0, [0.0, 0.0], fill=[7.0], center=[5, 9])
        out[f"{tag}/rotate"] = F.rotate(x, 30.0)
        out[f"{tag}/rotate_bilinear"] = F.rotate(x, -71.0, interpolation=I.BILINEAR, fill=[3.0])
        out[f"{tag}/invert"] = F.invert(x)
        out[f"{tag}/solarize"] = F.solarize(x, 100.0 if u8 else 0.4)
        out[f"{tag}/sharpness_0"] = F.adjust_sharpness(x, 0.3)
        out[f"{tag}/sharpness_1"] = F.adjust_sharpness(x, 2.5)
        out[f"{tag}/autocontrast"] = F.autocontrast(x)
        out[f"{tag}/erase"] = F.erase(x, 3, 7, 11, 13, torch.tensor([1.0, 2.0, 3.0])[:, None, None])
        if u8:
            out[f"{tag}/posterize_3"] = F.posterize(x, 3)
            out[f"{tag}/equalize"] = F.equalize(x)
            for op, mags in OPS:
                for k, m in enumerate(mags):
                    out[f"{tag}/op_{op}_{k}"] = A._apply_op(x, op, m, interpolation=I.NEAREST, fill=None)
                    out[f"{tag}/op_{op}_{k}_bilinear_fill"] = A._apply_op(
                        x, op, m, interpolation=I.BILINEAR, fill=[11.0, 22.0, 33.0]
                    )
            for s, policy in enumerate(A.AutoAugmentPolicy):
                aa = A.AutoAugment(policy)
                out[f"{tag}/autoaugment_{policy.value}"] = _seeded(20 + s, lambda: aa(x), 12)
            aa = A.AutoAugment(A.AutoAugmentPolicy.CIFAR10, interpolation=I.BILINEAR, fill=[40, 50, 60])
            out[f"{tag}/autoaugment_cifar10_bilinear_fill"] = _seeded(24, lambda: aa(x), 8)
            ra = A.RandAugment()
            out[f"{tag}/randaugment"] = _seeded(25, lambda: ra(x), 12)
            ra2 = A.RandAugment(num_ops=3, magnitude=5, num_magnitude_bins=11, fill=9)
            out[f"{tag}/randaugment_3_5_11"] = _seeded(26, lambda: ra2(x), 8)
            ta = A.TrivialAugmentWide()
            out[f"{tag}/trivialaugment"] = _seeded(27, lambda: ta(x), 16)
            ta2 = A.TrivialAugmentWide(num_magnitude_bins=8, interpolation=I.BILINEAR)
            out[f"{tag}/trivialaugment_8_bilinear"] = _seeded(28, lambda: ta2(x), 8)
            am = A.AugMix()
            out[f"{tag}/augmix"] = _seeded(29, lambda: am(x), 4)
            am2 = A.AugMix(severity=5, mixture_width=2, chain_depth=2, alpha=0.5, all_ops=False)
            out[f"{tag}/augmix_5_2_2"] = _seeded(30, lambda: am2(x), 4)
        re = T.RandomErasing(p=0.7)
        out[f"{tag}/random_erasing"] = _seeded(31, lambda: re(x), 8)
        re2 = T.RandomErasing(p=1.0, scale=(0.1, 0.5), ratio=(0.5, 2.0), value=[5, 6, 7])
        out[f"{tag}/random_erasing_values"] = _seeded(32, lambda: re2(x), 4)
        if not u8:
            re3 = T.RandomErasing(p=1.0, value="random")
            out[f"{tag}/random_erasing_random"] = _seeded(33, lambda: re3(x), 4)
        re4 = T.RandomErasing(p=1.0, scale=(0.9, 1.0), ratio=(5.0, 6.0))
        out[f"{tag}/random_erasing_fallback"] = _seeded(34, lambda: re4(x), 2)
    if R is not None:
        fb = batch.to(torch.float32) / 255
        for name, cls in (("mixup", R.RandomMixup), ("cutmix", R.RandomCutmix)):
            for k, kw in enumerate((dict(p=1.0, alpha=1.0), dict(p=0.5, alpha=0.2))):
                t = cls(num_classes=10, **kw)
                torch.manual_seed(40 + k)
                for step in range(4):
                    b, y = t(fb, labels)
                    out[f"mix/{name}_{k}_{step}_batch"] = b
                    out[f"mix/{name}_{k}_{step}_target"] = y
    return out


if __name__ == "__main__":
    from tensors import load, save

    inputs = load(sys.argv[1])
    u8 = {k: inputs[k].to(torch.uint8) for k in ("img", "low", "batch")}
    results = cases(u8["img"], u8["low"], inputs["fimg"], u8["batch"], inputs["labels"])
    save(sys.argv[2], {k: (v.to(torch.float32) if v.dtype == torch.uint8 else v) for k, v in results.items()})
