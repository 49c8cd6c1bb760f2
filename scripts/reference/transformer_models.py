"""Reference values for the transformer models of torchvision 0.14 (vision_transformer.py,
swin_transformer.py, maxvit.py), executed from Debian's torchvision sources on the PyTorch
next to torchts (see torchvision_models.py, which runs torchvision.ops' files too).

usage: transformer_models.py keys                  JSON {builder: {state: [[key, shape], ...],
                                                   modules: [[name, class name], ...]}} on stdout
       transformer_models.py parity OUT CASE [...]  fixtures for test/parity/transformer_models.test.ts

`keys` builds every builder (torch.device('meta'): no memory, no init) and lists its
state-dict keys and shapes, and the class name of every submodule. `parity` builds each case
under torch.manual_seed(0) and writes: init/<key> (the state right after construction: torchts must build the same values under the
same seed), x, y, eval_out (eval, no_grad), train_out and loss (train mode, cross entropy),
grad/<name>, and sgd/<key> after 3 SGD steps (momentum 0.9, weight decay 1e-4, nesterov) from
the initial state. Each train forward runs right after torch.manual_seed(100 + step), so
dropout and stochastic depth draw the same masks on both sides (the eval forward after
torch.manual_seed(99): Swin's attention dropout applies in eval mode too, as torchvision has it).
"""
import json
import sys

import torch

import torchvision_models
from tensors import save, set_threads


def load(name):
    return torchvision_models.load(name)


BUILDERS = {
    "vision_transformer": ["vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32", "vit_h_14"],
    "swin_transformer": ["swin_t", "swin_s", "swin_b", "swin_v2_t", "swin_v2_s", "swin_v2_b"],
    "maxvit": ["maxvit_t"],
}


def keys():
    out = {}
    for module, names in BUILDERS.items():
        mod = load(module)
        for name in names:
            with torch.device("meta"):
                m = getattr(mod, name)()
            out[name] = {
                "state": [[k, list(v.shape)] for k, v in m.state_dict().items()],
                "modules": [[k, type(v).__name__] for k, v in m.named_modules()],
            }
    json.dump(out, sys.stdout)


def small_vit(mod, **kw):
    return mod.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=16, mlp_dim=24, num_classes=10, **kw)


def small_swin(mod, **kw):
    return mod.SwinTransformer(
        [4, 4], 16, [2, 2], [2, 4], [4, 4], dropout=0.1, attention_dropout=0.1, stochastic_depth_prob=0.2, num_classes=10, **kw
    )


# case: (module, factory(mod), input shape)
CASES = {
    "vit_small": ("vision_transformer", lambda m: small_vit(m, dropout=0.1, attention_dropout=0.1), (2, 3, 32, 32)),
    "vit_small_repr": ("vision_transformer", lambda m: small_vit(m, representation_size=12), (2, 3, 32, 32)),

    "swin_small": ("swin_transformer", lambda m: small_swin(m), (2, 3, 36, 36)),
    "swin_v2_small": ("swin_transformer", lambda m: small_swin(m, block=m.SwinTransformerBlockV2, downsample_layer=m.PatchMergingV2), (2, 3, 36, 36)),
    "maxvit_small": (
        "maxvit",
        lambda m: m.MaxVit(
            input_size=(32, 32), stem_channels=8, partition_size=2, block_channels=[8, 16], block_layers=[1, 2], head_dim=4,
            stochastic_depth_prob=0.2, mlp_dropout=0.1, attention_dropout=0.1, num_classes=10,
        ),
        (2, 3, 32, 32),
    ),
    "swin_t": ("swin_transformer", lambda m: m.swin_t(num_classes=10), (1, 3, 32, 32)),
}


def reference(case, out):
    module, make, shape = CASES[case]
    torch.manual_seed(0)
    model = make(load(module))
    init = {k: v.clone() for k, v in model.state_dict().items()}
    g = torch.Generator().manual_seed(1)
    x = torch.randn(*shape, generator=g)
    y = torch.randint(0, 10, (shape[0],), generator=g)
    t = {f"init/{k}": v for k, v in init.items()}
    t["x"], t["y"] = x, y
    model.eval()
    torch.manual_seed(99)
    with torch.no_grad():
        t["eval_out"] = model(x)
    model.train()
    torch.manual_seed(100)
    logits = model(x)
    loss = torch.nn.functional.cross_entropy(logits, y)
    loss.backward()
    t["train_out"], t["loss"] = logits.detach(), loss.detach()
    for k, p in model.named_parameters():
        t[f"grad/{k}"] = p.grad.clone()
    model.load_state_dict(init)
    sgd = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4, nesterov=True)
    for step in range(3):
        sgd.zero_grad()
        torch.manual_seed(101 + step)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        sgd.step()
    for k, v in model.state_dict().items():
        t[f"sgd/{k}"] = v
    save(f"{out}/{case}", t)


if __name__ == "__main__":
    set_threads(2)
    if sys.argv[1] == "keys":
        keys()
    else:
        for name in sys.argv[3:]:
            if name not in CASES:
                raise SystemExit(f"unknown case {name}; expected one of {', '.join(CASES)}")
            reference(name, sys.argv[2])
