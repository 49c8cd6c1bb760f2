"""Checks the model examples/mnist/main.ts saved, with real PyTorch, for test/examples.test.ts.

usage: mnist_example.py <mnist_cnn.pt> <MNIST raw folder> <images> <batch size>

Loads the state dict with torch.load(weights_only=True) into pytorch/examples mnist/main.py's
Net (load_state_dict strict), then runs that script's test() over the first <images> images of
the MNIST test split (transforms.ToTensor then Normalize((0.1307,), (0.3081,)), as the
script's transform computes them) in batches of <batch size>. Prints JSON: {"keys": [...],
"loss": average loss, "correct": count, "total": images}.
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    """pytorch/examples mnist/main.py's Net, verbatim."""

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


def idx(path, header):
    with open(path, 'rb') as f:
        raw = f.read()
    return torch.frombuffer(bytearray(raw[header:]), dtype=torch.uint8)


def main():
    weights, raw, n, bs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    state = torch.load(weights, weights_only=True)
    model = Net()
    model.load_state_dict(state)  # strict: the keys and shapes must be the script's
    model.eval()
    images = idx(f'{raw}/t10k-images-idx3-ubyte', 16).view(-1, 1, 28, 28)[:n]
    labels = idx(f'{raw}/t10k-labels-idx1-ubyte', 8).to(torch.int64)[:n]
    # transforms.ToTensor() on a uint8 image, then transforms.Normalize((0.1307,), (0.3081,)).
    mean = torch.tensor([0.1307]).view(-1, 1, 1)
    std = torch.tensor([0.3081]).view(-1, 1, 1)
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for i in range(0, n, bs):
            data = images[i:i + bs].float().div(255).sub_(mean).div_(std)
            target = labels[i:i + bs]
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    print(json.dumps({'keys': list(state.keys()), 'loss': test_loss / n, 'correct': correct, 'total': n}))


if __name__ == '__main__':
    main()
