"""torch.utils.data.random_split on the torch next to torchts, for test/data_split.test.ts.

usage: data_split.py '<cases as JSON>'
Each case is {"n": int, "seed": int | "global:<int>", "lengths": [...]}: range(n) is split with a
torch.Generator seeded with `seed` (or, for "global:<s>", the default generator after
torch.manual_seed(s)). Prints one JSON list: per case {"splits": the subsets' indices,
"after": torch.rand(3) drawn from the default generator afterwards}.
"""
import json
import sys
import warnings

import torch
from torch.utils.data import random_split

warnings.simplefilter("ignore")
out = []
for case in json.loads(sys.argv[1]):
    n, seed, lengths = case["n"], case["seed"], case["lengths"]
    if isinstance(seed, str) and seed.startswith("global:"):
        torch.manual_seed(int(seed[len("global:"):]))
        splits = random_split(range(n), lengths)
    else:
        splits = random_split(range(n), lengths, generator=torch.Generator().manual_seed(int(seed)))
    out.append({"splits": [list(s.indices) for s in splits], "after": torch.rand(3).tolist()})
print(json.dumps(out))
