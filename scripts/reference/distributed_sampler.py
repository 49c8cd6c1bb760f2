"""Prints PyTorch's DistributedSampler indices as JSON: for each case given as
n:replicas:shuffle:seed:drop_last:epoch (shuffle and drop_last 0/1), one list per rank.
usage: distributed_sampler.py case..."""
import json
import sys

from torch.utils.data import DistributedSampler

out = []
for case in sys.argv[1:]:
    n, replicas, shuffle, seed, drop_last, epoch = (int(v) for v in case.split(':'))
    ranks = []
    for rank in range(replicas):
        s = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=bool(shuffle), seed=seed,
                               drop_last=bool(drop_last))
        s.set_epoch(epoch)
        ranks.append(list(s))
    out.append(ranks)
print(json.dumps(out))
