"""torchvision's classification recipe (references/classification/train.py) for a few steps,
for test/train_recipe.test.ts.

`python3 train_recipe.py IN OUT CONFIGS.json`: IN holds the model's initial state (init/<key>)
and the fixed batches (x<k>, y<k>); each config of CONFIGS_JSON (torchts train's flag names)
is run the way the reference runs it: the optimizer and its normalisation-layer weight-decay
groups (torchvision's own ops/_utils.py split_normalization_params), the warm-up + main LR
schedule stepped per epoch, CrossEntropyLoss(label_smoothing), clip_grad_norm_ over the
optimizer's parameters, RandomMixup / RandomCutmix (references/classification/transforms.py,
from TORCHVISION_REFERENCES_DIR) in the collate step, and torchvision's EMA
(AveragedModel(model, device, ema_avg, use_buffers=True), which is all of
ExponentialMovingAverage) with the reference's decay adjustment and warm-up reset. This is the
body of train_one_epoch and main() without the data loading and logging.
OUT gets <config>/loss (per step), <config>/lr (per step), <config>/model/<key>, <config>/ema/<key>.
"""
import importlib.util
import json
import os
import sys

import torch
from torch import nn

from tensors import load, save

torch.set_num_threads(1)
TV = "/usr/lib/python3/dist-packages/torchvision"


def _file(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


ops_utils = _file("tv_ops_utils", os.path.join(TV, "ops", "_utils.py"))
REFS = os.environ.get("TORCHVISION_REFERENCES_DIR")
R = None
if REFS and os.path.exists(os.path.join(REFS, "transforms.py")):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import torchvision_transforms  # noqa: F401  (torchvision.transforms.functional stand-ins)

    R = _file("reference_transforms", os.path.join(REFS, "transforms.py"))


def model():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10)
    )


def run(cfg, init, batches, epochs, batch_size):
    m = model()
    m.load_state_dict(init)
    wd = float(cfg.get("wd", 5e-4))
    momentum = float(cfg.get("momentum", 0.9))
    lr = float(cfg["lr"])
    if cfg.get("norm-weight-decay") is None:
        parameters = m.parameters()
    else:
        groups = ops_utils.split_normalization_params(m)
        wds = [float(cfg["norm-weight-decay"]), wd]
        parameters = [{"params": p, "weight_decay": w} for p, w in zip(groups, wds) if p]
    opt = cfg.get("opt", "sgd-nesterov")
    if opt.startswith("sgd"):
        optimizer = torch.optim.SGD(parameters, lr=lr, momentum=momentum, weight_decay=wd, nesterov="nesterov" in opt)
    elif opt == "rmsprop":
        optimizer = torch.optim.RMSprop(parameters, lr=lr, momentum=momentum, weight_decay=wd, eps=0.0316, alpha=0.9)
    else:
        optimizer = torch.optim.AdamW(parameters, lr=lr, weight_decay=wd)
    warm = int(cfg.get("lr-warmup-epochs", 0))
    sched = cfg["lr-scheduler"]
    gamma = float(cfg.get("lr-gamma", 0.1))
    if sched == "step":
        main = torch.optim.lr_scheduler.StepLR(optimizer, step_size=int(cfg.get("lr-step-size", 30)), gamma=gamma)
    elif sched == "cosine":
        main = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs - warm)
    else:
        main = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=gamma)
    if warm > 0:
        decay = float(cfg.get("lr-warmup-decay", 0.01))
        if cfg.get("lr-warmup-method", "constant") == "linear":
            w = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=decay, total_iters=warm)
        else:
            w = torch.optim.lr_scheduler.ConstantLR(optimizer, factor=decay, total_iters=warm)
        lr_scheduler = torch.optim.lr_scheduler.SequentialLR(optimizer, schedulers=[w, main], milestones=[warm])
    else:
        lr_scheduler = main
    criterion = nn.CrossEntropyLoss(label_smoothing=float(cfg.get("label-smoothing", 0)))
    mix = None
    if float(cfg.get("mixup-alpha", 0)) > 0:
        mix = R.RandomMixup(10, p=1.0, alpha=float(cfg["mixup-alpha"]))
    if float(cfg.get("cutmix-alpha", 0)) > 0:
        mix = R.RandomCutmix(10, p=1.0, alpha=float(cfg["cutmix-alpha"]))
    ema = None
    ema_steps = int(cfg.get("model-ema-steps", 32))
    if cfg.get("model-ema"):
        adjust = 1 * batch_size * ema_steps / epochs
        alpha = min(1.0, (1.0 - float(cfg.get("model-ema-decay", 0.99998))) * adjust)
        d = 1.0 - alpha
        ema = torch.optim.swa_utils.AveragedModel(m, "cpu", lambda a, p, n: d * a + (1 - d) * p, use_buffers=True)
    clip = cfg.get("clip-grad-norm")
    losses, lrs = [], []
    torch.manual_seed(int(cfg.get("seed", 0)))
    for epoch in range(epochs):
        m.train()
        for i, (image, target) in enumerate(batches):
            if mix is not None:
                image, target = mix(image, target)
            lrs.append(optimizer.param_groups[0]["lr"])
            output = m(image)
            optimizer.zero_grad()
            loss = criterion(output, target)
            loss.backward()
            if clip is not None:
                params = [p for g in optimizer.param_groups for p in g["params"]]
                nn.utils.clip_grad_norm_(params, float(clip))
            optimizer.step()
            if ema and i % ema_steps == 0:
                ema.update_parameters(m)
                if epoch < warm:
                    ema.n_averaged.fill_(0)
            losses.append(loss.item())
        lr_scheduler.step()
    out = {"loss": torch.tensor(losses, dtype=torch.float64), "lr": torch.tensor(lrs, dtype=torch.float64)}
    for k, v in m.state_dict().items():
        out[f"model/{k}"] = v
    if ema:
        for k, v in ema.module.state_dict().items():
            out[f"ema/{k}"] = v
    return out


if __name__ == "__main__":
    inputs = load(sys.argv[1])
    with open(sys.argv[3]) as f:
        configs = json.load(f)
    init = {k[5:]: v for k, v in inputs.items() if k.startswith("init/")}
    n = len([k for k in inputs if k.startswith("x")])
    batches = [(inputs[f"x{k}"], inputs[f"y{k}"]) for k in range(n)]
    epochs = int(configs.pop("_epochs"))
    batch_size = batches[0][0].shape[0]
    result = {}
    for name, cfg in configs.items():
        for k, v in run(cfg, init, batches, epochs, batch_size).items():
            result[f"{name}/{k}"] = v
    save(sys.argv[2], result)
