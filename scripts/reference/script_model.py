"""Saves a torchvision classification model as TorchScript (torch.jit.script), for tests of
TorchScript loading and async inference.

    python script_model.py <resnet18 | resnet50 | ...> <num_classes> <out.pt> [seed]
"""
import sys

import torch

from torchvision_models import load


def main():
    name, num_classes, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    torch.manual_seed(seed)
    family = "resnet" if name.startswith(("resnet", "resnext", "wide_resnet")) else name.rstrip("0123456789_bn")
    model = getattr(load(family), name)(num_classes=num_classes).eval()
    torch.jit.script(model).save(out)


if __name__ == "__main__":
    main()
