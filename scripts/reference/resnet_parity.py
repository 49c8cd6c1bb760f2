"""Reference values for test/parity/resnet.test.ts, computed by torchvision's ResNets
(torchvision's own model code, see torchvision_models.py) on the PyTorch next to torchts.

usage: resnet_parity.py <out-folder> <model-name> [...]

For each model (torchvision builder name, 10 classes) it writes a sub-folder with: the
initial state dict (BatchNorm affine parameters and running statistics randomised so that
they matter), a batch, the eval-mode output, the train-mode output, the loss, every
parameter's gradient and the running statistics after that train step, and every
parameter and buffer after 3 SGD steps (momentum, weight decay, nesterov) and after 3
AdamW steps from the initial state.
"""
import sys

import torch

from tensors import save, set_threads
from torchvision_models import randomise_batchnorm, resnet

BATCH, SIZE = 4, 64


def steps(model, init, x, y, optimizer, n=3):
    model.load_state_dict(init)
    model.train()
    criterion = torch.nn.CrossEntropyLoss()
    for _ in range(n):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
    return {k: v.clone() for k, v in model.state_dict().items()}


def reference(name, out):
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    model = getattr(resnet, name)(num_classes=10)
    randomise_batchnorm(model, g)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(BATCH, 3, SIZE, SIZE, generator=g)
    y = torch.randint(0, 10, (BATCH,), generator=g)
    t = {f"init/{k}": v for k, v in init.items()}
    t["x"], t["y"] = x, y

    model.eval()
    with torch.no_grad():
        t["eval_out"] = model(x)

    model.train()
    out_train = model(x)
    loss = torch.nn.functional.cross_entropy(out_train, y)
    loss.backward()
    t["train_out"], t["loss"] = out_train.detach(), loss.detach()
    # Clones: zero_grad and load_state_dict below overwrite these tensors in place.
    for k, p in model.named_parameters():
        t[f"grad/{k}"] = p.grad.clone()
    for k, b in model.named_buffers():
        t[f"after_train/{k}"] = b.clone()

    sgd = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4, nesterov=True)
    for k, v in steps(model, init, x, y, sgd).items():
        t[f"sgd/{k}"] = v
    adamw = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    for k, v in steps(model, init, x, y, adamw).items():
        t[f"adamw/{k}"] = v
    save(f"{out}/{name}", t)


if __name__ == "__main__":
    set_threads(2)
    print(f"reference: torch {torch.__version__}, torchvision models from {resnet.__file__}", file=sys.stderr)
    for name in sys.argv[2:]:
        reference(name, sys.argv[1])
