"""What SyncBatchNorm over R ranks must equal: PyTorch's BatchNorm on the whole batch.
Builds a seeded float64 model (conv, BatchNorm2d, linear, BatchNorm1d), a batch and targets,
saves them to <out.pth> (initial state dict, x, y) and prints as JSON what 3 SGD steps on
the whole batch give: losses, the first step's gradients, the final parameters and buffers.
usage: sync_batchnorm.py <out.pth>"""
import json
import sys

import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
    nn.Linear(4 * 6 * 6, 6), nn.BatchNorm1d(6, momentum=None), nn.ReLU(), nn.Linear(6, 3),
).double()
x = torch.randn(3, 8, 2, 8, 8, dtype=torch.float64)  # one batch of 8 per step
y = torch.randint(0, 3, (3, 8))
torch.save({"state": model.state_dict(), "x": x, "y": y}, sys.argv[1])

opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
crit = nn.CrossEntropyLoss()
losses, grads = [], None
for step in range(3):
    opt.zero_grad()
    loss = crit(model(x[step]), y[step])
    loss.backward()
    if grads is None:
        grads = [p.grad.flatten().tolist() for p in model.parameters()]
    opt.step()
    losses.append(loss.item())
state = {k: v.double().flatten().tolist() for k, v in model.state_dict().items()}
print(json.dumps({"losses": losses, "grads": grads, "state": state}))
