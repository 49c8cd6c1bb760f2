"""torchvision ResNet-18 with 1,000 classes, saved as PyTorch saves weights, and its top-5 on an input.

    python3 imagenet_predict.py IN_DIR OUT_DIR

Writes OUT_DIR/resnet18.pth (torch.save(model.state_dict()), seed 0, BatchNorm statistics
randomised so that outputs are not flat) and, for the input 'x' of IN_DIR (fixtures layout,
a preprocessed batch), OUT_DIR/top5.json: [[class index, probability], ...] per image.
"""
import json
import os
import sys

import torch

import tensors
from torchvision_models import randomise_batchnorm, resnet


def main(src, dst):
    torch.manual_seed(0)
    model = resnet.resnet18()
    randomise_batchnorm(model, torch.Generator().manual_seed(1))
    os.makedirs(dst, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(dst, "resnet18.pth"))
    x = tensors.load(src)["x"]
    with torch.no_grad():
        p = model.eval()(x).softmax(1)
    best = p.topk(5, 1)
    top5 = [[[int(i), float(v)] for v, i in zip(vs, ix)] for vs, ix in zip(best.values, best.indices)]
    with open(os.path.join(dst, "top5.json"), "w") as f:
        json.dump(top5, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
