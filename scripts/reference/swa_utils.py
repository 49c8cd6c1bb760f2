"""torch.optim.swa_utils.AveragedModel on the same weight sequence as test/swa_utils.test.ts.

IN holds the model's state after each of STEPS steps (step{k}/<state key>); the model is
Conv2d(3, 4, 3) -> BatchNorm2d(4) -> Flatten -> Linear(4 * 6 * 6, 5). For each averaging
variant, the averaged model folds in every step's state and OUT gets its state dict after
each step (<variant>/step{k}/<key>), n_averaged included. `ema_tv` is torchvision's
ExponentialMovingAverage (references/classification/utils.py): AveragedModel with
`decay * avg + (1 - decay) * param` and use_buffers=True, which is all that class does.
"""
import sys

import torch
from torch import nn
from torch.optim import swa_utils

from tensors import load, save


def model():
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4 * 6 * 6, 5))


def main(src, dst):
    inputs = load(src)
    steps = sorted({k.split("/")[0] for k in inputs})
    states = [{k.split("/", 1)[1]: v for k, v in inputs.items() if k.startswith(s + "/")} for s in steps]
    decay = 0.9
    variants = {
        "swa": lambda m: swa_utils.AveragedModel(m),
        "swa_buffers": lambda m: swa_utils.AveragedModel(m, use_buffers=True),
        "ema_fn": lambda m: swa_utils.AveragedModel(m, avg_fn=swa_utils.get_ema_avg_fn(decay)),
        "ema_multi": lambda m: swa_utils.AveragedModel(m, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(decay), use_buffers=True),
        "ema_tv": lambda m: swa_utils.AveragedModel(
            m, "cpu", lambda avg, p, n: decay * avg + (1 - decay) * p, use_buffers=True
        ),
    }
    out = {}
    for name, make in variants.items():
        m = model()
        m.load_state_dict(states[0])
        avg = make(m)
        for k, state in enumerate(states):
            m.load_state_dict(state)
            avg.update_parameters(m)
            for key, v in avg.state_dict().items():
                out[f"{name}/step{k}/{key}"] = v.clone()
    save(dst, out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
