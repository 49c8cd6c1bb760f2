"""Reference values for test/parity/models.test.ts: torchvision's VGG, DenseNet, GoogLeNet,
Inception v3 and one or two models of each convolutional family after them (torchvision's own
model code, see torchvision_models.py) on the PyTorch next to torchts.

usage: models_parity.py <out-folder> <case> [...]     cases: the keys of CASES below

For each case it writes a sub-folder with: the initial state dict (BatchNorm affine
parameters and running statistics randomised so that they matter), a batch, the eval-mode
output, the train-mode output (and auxiliary outputs), the loss, every parameter's gradient
and the buffers after that train step, and every parameter and buffer after 3 SGD steps
(momentum 0.9, weight decay 1e-4, nesterov) from the initial state.

The model is built right after torch.manual_seed(0) (its initialisation is compared too), and
the data come from a generator of their own. VGG, Inception and GoogLeNet run with dropout
p=0 (their builders' `dropout`, `dropout_aux`); AlexNet, SqueezeNet, MNASNet and MobileNet V2 too. MobileNet
V3, EfficientNet and ConvNeXt keep their dropout and stochastic depth: torchts draws them from the same
default CPU generator, seeded alike, with the same kernels in the same order, so the masks agree.

The loss in training mode is torchvision's reference recipe: cross entropy of the logits plus
0.4 x that of Inception's auxiliary logits, or 0.3 x each of GoogLeNet's two.
"""
import collections
import sys

import torch

from tensors import save, set_threads
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
    "squeezenet1_1": ("squeezenet", "squeezenet1_1", dict(num_classes=10, dropout=0.0), (2, 3, 64, 64), ()),
    "shufflenet_v2_x0_5": ("shufflenetv2", "shufflenet_v2_x0_5", dict(num_classes=10), (2, 3, 32, 32), ()),
    "mnasnet0_5": ("mnasnet", "mnasnet0_5", dict(num_classes=10, dropout=0.0), (2, 3, 32, 32), ()),
    "mobilenet_v2": ("mobilenetv2", "mobilenet_v2", dict(num_classes=10, dropout=0.0), (2, 3, 64, 64), ()),
    # Dropout 0.2 and stochastic depth 0.2 as built (see the note above).
    "mobilenet_v3_small": ("mobilenetv3", "mobilenet_v3_small", dict(num_classes=10), (2, 3, 64, 64), ()),
    "efficientnet_b0": ("efficientnet", "efficientnet_b0", dict(num_classes=10), (2, 3, 64, 64), ()),
    "regnet_y_400mf": ("regnet", "regnet_y_400mf", dict(num_classes=10), (2, 3, 64, 64), ()),
    "convnext_tiny": ("convnext", "convnext_tiny", dict(num_classes=10), (2, 3, 32, 32), ()),
    # The variants the cases above leave out: SqueezeNet 1.0's fire modules, MobileNet V3 Large,
    # EfficientNetV2's Fused-MBConv blocks (and BatchNorm eps 1e-3), RegNet X (no SE).
    "alexnet": ("alexnet", "alexnet", dict(num_classes=10, dropout=0.0), (2, 3, 63, 63), ()),
    "squeezenet1_0": ("squeezenet", "squeezenet1_0", dict(num_classes=10, dropout=0.0), (2, 3, 64, 64), ()),
    "mobilenet_v3_large": ("mobilenetv3", "mobilenet_v3_large", dict(num_classes=10), (2, 3, 64, 64), ()),
    "efficientnet_v2_s": ("efficientnet", "efficientnet_v2_s", dict(num_classes=10), (2, 3, 32, 32), ()),
    "regnet_x_400mf": ("regnet", "regnet_x_400mf", dict(num_classes=10), (2, 3, 64, 64), ()),
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
    sd = model.state_dict()
    init = collections.OrderedDict((k, v.clone()) for k, v in sd.items())
    init._metadata = sd._metadata  # MNASNet's _load_from_state_dict reads the version recorded there
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
    set_threads(2)
    print(f"reference: torch {torch.__version__}, torchvision models from {load('vgg').__file__}", file=sys.stderr)
    for name in sys.argv[2:]:
        if name not in CASES:
            raise SystemExit(f"unknown case {name}; expected one of {', '.join(CASES)}")
        reference(name, sys.argv[1])
