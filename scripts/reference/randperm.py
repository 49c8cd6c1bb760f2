"""Prints PyTorch's RandomSampler order: `epochs` draws of torch.randperm(n) from one
Generator seeded with `seed`, as JSON lists. usage: randperm.py n seed epochs"""
import json
import sys

import torch

n, seed, epochs = (int(a) for a in sys.argv[1:4])
g = torch.Generator().manual_seed(seed)
print(json.dumps([torch.randperm(n, generator=g).tolist() for _ in range(epochs)]))
