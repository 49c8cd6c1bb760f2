"""The first training batch of pytorch/examples' mnist (main.py), for test/data_seed.test.ts.

usage: mnist_dropout.py <folder with the MNIST idx files>
torch.manual_seed(1); the example's Net; DataLoader(train set, batch_size=64, shuffle=True);
model.train() and the loss of the first batch (dropout active). The images go through
ToTensor + Normalize((0.1307,), (0.3081,)) as torchvision computes them (torchvision does not
import next to this torch: uint8 [1, 28, 28] -> float().div(255), then sub_(mean).div_(std)).
Prints JSON: the loss, the first batch's labels, the parameter sums after init and
torch.rand(3) drawn afterwards (where the global generator was left).
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


class MNIST(Dataset):
    def __init__(self, folder):
        with open(os.path.join(folder, "train-images-idx3-ubyte"), "rb") as f:
            self.data = torch.frombuffer(bytearray(f.read()[16:]), dtype=torch.uint8).view(-1, 28, 28)
        with open(os.path.join(folder, "train-labels-idx1-ubyte"), "rb") as f:
            self.targets = torch.frombuffer(bytearray(f.read()[8:]), dtype=torch.uint8).long()
        self.mean = torch.tensor([0.1307]).view(-1, 1, 1)
        self.std = torch.tensor([0.3081]).view(-1, 1, 1)

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        img = self.data[i].unsqueeze(0).float().div(255)
        return img.sub_(self.mean).div_(self.std), int(self.targets[i])


torch.manual_seed(1)
model = Net()
init = [p.double().sum().item() for p in model.parameters()]
loader = DataLoader(MNIST(sys.argv[1]), batch_size=64, shuffle=True)
model.train()
x, y = next(iter(loader))
loss = F.nll_loss(model(x), y)
print(json.dumps({"loss": loss.item(), "labels": y.tolist(), "init": init, "after": torch.rand(3).tolist()}))
