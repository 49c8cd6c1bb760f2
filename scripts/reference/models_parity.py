"""Reference values for test/parity/models.test.ts: torchvision's VGG, DenseNet, GoogLeNet and
Inception v3 (torchvision's own model code, see torchvision_models.py) on the PyTorch next to
torchts.

usage: models_parity.py <out-folder> <case> [...]     cases: the keys of CASES below

For each case it writes a sub-folder with: the initial state dict (BatchNorm affine
parameters and running statistics randomised so that they matter), a batch, the eval-mode
output, the train-mode output (and auxiliary outputs), the loss, every parameter's gradient
and the buffers after that train step, and every parameter and buffer after 3 SGD steps
(momentum 0.9, weight decay 1e-4, nesterov) from the initial state.

Dropout is set to p=0 through the builders' own arguments (`dropout`, `dropout_aux`; DenseNet's
`drop_rate` is 0 by default): the two sides draw from different random streams, so with p>0
the train-mode results could not agree.

The loss in training mode is torchvision's reference recipe: cross entropy of the logits plus
0.4 x that of Inception's auxiliary logits, or 0.3 x each of GoogLeNet's two.
"""
import sys

import torch

from tensors import save
from torchvision_models import load, randomise_batchnorm

# case: (torchvision module, builder, builder kwargs, input shape, auxiliary loss weights)
CASES = {
    "vgg11_bn": ("vgg", "vgg11_bn", dict(num_classes=10, dropout=0.0), (2, 3, 32, 32), ()),
    "densenet121": ("densenet", "densenet121", dict(num_classes=10), (2, 3, 32, 32), ()),
    # The auxiliary head pools 5x5/3 then convolves 5x5 on the 17x17 grid: 299x299 is the
    # smallest input it accepts (75x75 works without it).
    "inception_v3": ("inception", "inception_v3", dict(num_classes=10, dropout=0.0, init_weights=True), (2, 3, 299, 299), (0.4,)),
    "googlenet": (
        "googlenet",
        "googlenet",
        dict(num_classes=10, dropout=0.0, dropout_aux=0.0, init_weights=True),
        (2, 3, 64, 64),
        (0.3, 0.3),
    ),
}


def outputs(out):
    """(logits, [aux...]) from a tensor or a GoogLeNetOutputs/InceptionOutputs named tuple."""
    if isinstance(out, torch.Tensor):
        return out, []
    return out[0], list(out[1:])


def loss_of(out, y, aux_weights):
    logits, aux = outputs(out)
    loss = torch.nn.functional.cross_entropy(logits, y)
    for w, a in zip(aux_weights, aux):
        loss = loss + w * torch.nn.functional.cross_entropy(a, y)
    return loss


def reference(case, out):
    module, builder, kwargs, shape, aux_weights = CASES[case]
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    model = getattr(load(module), builder)(**kwargs)
    randomise_batchnorm(model, g)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(*shape, generator=g)
    y = torch.randint(0, 10, (shape[0],), generator=g)
    t = {f"init/{k}": v for k, v in init.items()}
    t["x"], t["y"] = x, y

    model.eval()
    with torch.no_grad():
        t["eval_out"] = model(x)

    model.train()
    res = model(x)
    logits, aux = outputs(res)
    if len(aux) != len(aux_weights):
        raise SystemExit(f"{case}: {len(aux)} auxiliary outputs, expected {len(aux_weights)}")
    loss = loss_of(res, y, aux_weights)
    loss.backward()
    t["train_out"], t["loss"] = logits.detach(), loss.detach()
    for i, a in enumerate(aux):
        t[f"train_aux{i}"] = a.detach()
    for k, p in model.named_parameters():
        t[f"grad/{k}"] = p.grad.clone()
    for k, b in model.named_buffers():
        t[f"after_train/{k}"] = b.clone()

    model.load_state_dict(init)
    sgd = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4, nesterov=True)
    for _ in range(3):
        sgd.zero_grad()
        loss_of(model(x), y, aux_weights).backward()
        sgd.step()
    for k, v in model.state_dict().items():
        t[f"sgd/{k}"] = v
    save(f"{out}/{case}", t)


if __name__ == "__main__":
    torch.set_num_threads(2)
    print(f"reference: torch {torch.__version__}, torchvision models from {load('vgg').__file__}", file=sys.stderr)
    for name in sys.argv[2:]:
        if name not in CASES:
            raise SystemExit(f"unknown case {name}; expected one of {', '.join(CASES)}")
        reference(name, sys.argv[1])
