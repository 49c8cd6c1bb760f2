"""The order PyTorch's DataLoader visits, for test/datasets.test.ts.

usage: data_loader_order.py <n> <seed> <epochs> <batch size>
DataLoader(TensorDataset(arange(n)), batch_size, shuffle=True, generator=Generator seeded with
`seed`): each epoch's iterator draws its base seed from the generator, then RandomSampler a
permutation from it. Prints one JSON line per epoch (the visited items), then torch.rand(3) from
the default generator after torch.manual_seed(seed) and the same epochs without a generator
(the base seeds and the sampler's seeds come from the default generator then).
"""
import json
import sys

import torch
from torch.utils.data import DataLoader, TensorDataset

n, seed, epochs, batch = (int(a) for a in sys.argv[1:5])
ds = TensorDataset(torch.arange(n))
loader = DataLoader(ds, batch, shuffle=True, generator=torch.Generator().manual_seed(seed))
for _ in range(epochs):
    print(json.dumps([v for (b,) in loader for v in b.tolist()]))
torch.manual_seed(seed)
loader = DataLoader(ds, batch, shuffle=True)
orders = [[v for (b,) in loader for v in b.tolist()] for _ in range(epochs)]
print(json.dumps({"orders": orders, "after": torch.rand(3).tolist()}))
