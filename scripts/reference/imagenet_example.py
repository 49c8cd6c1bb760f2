"""Checks the checkpoint examples/imagenet/main.ts saved, with real PyTorch, for test/examples.test.ts.

usage: imagenet_example.py <checkpoint.pth.tar> <val images> <batch size>

Loads the checkpoint with torch.load(weights_only=True) as pytorch/examples imagenet/main.py's
--resume does: the state dict into torchvision's resnet18 (load_state_dict strict), the
optimizer state into torch.optim.SGD(lr, momentum, weight_decay as the example's defaults) and
the scheduler's into StepLR(step_size=30, gamma=0.1). Then runs main.py's validate() loss over
the first <val images> items of its --dummy validation set (torchvision's FakeData(50000,
(3, 224, 224), 1000, ToTensor()), drawn by fake_data.item) in batches of <batch size>.
Prints JSON: {"epoch", "arch", "best_acc1", "lr", "initial_lr", "loss": the Loss meter's average}.
"""
import json
import sys

import torch
import torch.nn as nn
from torch.optim.lr_scheduler import StepLR

from fake_data import item
from torchvision_models import resnet


def main():
    path, n, bs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    checkpoint = torch.load(path, weights_only=True)
    model = resnet.resnet18()
    model.load_state_dict(checkpoint['state_dict'])
    optimizer = torch.optim.SGD(model.parameters(), 0.1, momentum=0.9, weight_decay=1e-4)
    optimizer.load_state_dict(checkpoint['optimizer'])
    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    scheduler.load_state_dict(checkpoint['scheduler'])
    criterion = nn.CrossEntropyLoss()
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, n, bs):
            items = [item(j, 0, (3, 224, 224), 1000) for j in range(i, min(i + bs, n))]
            images = torch.stack([img.float().div(255) for img, _ in items])  # ToTensor()
            target = torch.tensor([t for _, t in items])
            loss = criterion(model(images), target)
            total += loss.item() * images.size(0)
            count += images.size(0)
    group = optimizer.param_groups[0]
    print(json.dumps({
        'epoch': checkpoint['epoch'],
        'arch': checkpoint['arch'],
        'best_acc1': checkpoint['best_acc1'],
        'lr': group['lr'],
        'initial_lr': group['initial_lr'],
        'loss': total / count,
    }))


if __name__ == '__main__':
    main()
