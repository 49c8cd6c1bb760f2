"""PyTorch resuming from torchts's optimizer state dicts, for test/parity/optim.test.ts.

    python3 optim_resume.py IN_DIR OUT_DIR

IN_DIR holds the fixtures and configs.json of optim_steps.py (the batches x<t>/y<t>), and
ckpt/<name>.safetensors: torchts's torch.save({model: net.stateDict(), optimizer:
optimizer.stateDict(), after: t}) taken after step t. For each config this builds the model
and the optimizer as optim_steps.py does but with another learning rate (lr=0.5, which the
state dict must replace), loads the weights with load_state_dict and torchts's optimizer
state with PyTorch's own Optimizer.load_state_dict, and takes the remaining steps. Writes,
under '<name>/': step<t>/<param> after each step t > after, and state<last>/... as
optim_steps.py does.

The checkpoint is read with tensors.load_checkpoint (safetensors + the structure as JSON);
JSON object keys are strings, so the integer parameter ids of `state` are turned back into
ints, as torch.load of a .pth file would give them.
"""
import json
import os
import re
import sys

import torch

import tensors
from optim_steps import Net, flat_state, make_optimizer, train_step


def main(src, dst):
    torch.set_num_threads(1)  # tiny tensors; as the torchts side
    fx = tensors.load(src)
    with open(os.path.join(src, "configs.json")) as f:
        configs = json.load(f)
    batches = [(fx[f"x{t}"], fx[f"y{t}"]) for t in range(sum(1 for k in fx if re.fullmatch(r"x\d+", k)))]
    result = {}
    for name, cfg in configs.items():
        ck = tensors.load_checkpoint(os.path.join(src, "ckpt", f"{name}.safetensors"))
        model = Net()
        model.load_state_dict(ck["model"], strict=True)
        opt = make_optimizer(cfg, model, lr=0.5)
        sd = ck["optimizer"]
        opt.load_state_dict({"state": {int(k): v for k, v in sd["state"].items()}, "param_groups": sd["param_groups"]})
        named = dict(model.named_parameters())
        last = len(batches) - 1
        for t in range(int(ck["after"]) + 1, len(batches)):
            train_step(model, opt, *batches[t])
            result.update({f"{name}/step{t}/{k}": p.detach().clone() for k, p in named.items()})
        for k, p in named.items():
            for key, v in opt.state.get(p, {}).items():
                result.update(tensors.prefixed(flat_state(v, f"state{last}/{k}/{key}"), f"{name}/"))
        result[f"{name}/lr"] = torch.tensor([float(g["lr"]) for g in opt.param_groups], dtype=torch.float64)
    tensors.save(dst, result)
    print(f"{len(configs)} optimizers resumed")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
