"""Reference outputs for test/parity/transformer.test.ts, computed by real PyTorch:
nn.MultiheadAttention (MHA), nn.TransformerEncoderLayer and nn.TransformerEncoder (ENCODER).

    python3 transformer_parity.py OUT_DIR

For each case (nn.MultiheadAttention or a Transformer layer built under torch.manual_seed(seed))
it writes, under '<case>/':
  state/<key>   the module's state_dict right after construction (torchts builds the same
                module under the same seed and must produce it; it then loads it anyway)
  in/<name>     the inputs (float; masks as int64 0/1 when boolean, named mask_bool/<name>)
  out           the first output;  weights  the attention weights when returned
  proj          a fixed random tensor shaped like out; backward runs on (out * proj).sum()
  grad_in/<n>   each float input's gradient;  grad/<name>  each parameter's gradient
The forward runs right after torch.manual_seed(seed + 1000), so dropout draws the same masks
on both sides.
"""
import sys

import torch
from torch import nn

import tensors

torch.use_deterministic_algorithms(True)
E = 8


def x(*shape):
    return torch.randn(*shape)


def causal(n):
    return torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)


# name: (factory, inputs factory -> dict, how q/k/v are wired, forward kwargs, mode)
# wiring: "self" (q = k = v = in/x, one tensor), "kv" (k = v = in/k), "qkv" (three tensors).
# mode: "train", "eval" (grad on: PyTorch's slow path), "fast" (eval under no_grad: fast path).
MHA = {
    "mha_self": (lambda: nn.MultiheadAttention(E, 2), lambda: {"x": x(5, 3, E)}, "self", {}, "train"),
    "mha_self_noweights": (lambda: nn.MultiheadAttention(E, 2), lambda: {"x": x(5, 3, E)}, "self", {"need_weights": False}, "train"),
    "mha_unbatched": (lambda: nn.MultiheadAttention(E, 4), lambda: {"x": x(6, E)}, "self", {}, "train"),
    "mha_batch_first_eval": (lambda: nn.MultiheadAttention(E, 2, batch_first=True), lambda: {"x": x(3, 5, E)}, "self", {"need_weights": False}, "eval"),
    "mha_encdec": (lambda: nn.MultiheadAttention(E, 2), lambda: {"q": x(4, 2, E), "k": x(6, 2, E)}, "kv", {"average_attn_weights": False}, "train"),
    "mha_kdim_vdim_kpm": (
        lambda: nn.MultiheadAttention(E, 2, kdim=6, vdim=4),
        lambda: {"q": x(4, 3, E), "k": x(5, 3, 6), "v": x(5, 3, 4),
                 "mask_bool/key_padding_mask": torch.tensor([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [0, 1, 0, 0, 1]], dtype=torch.bool)},
        "qkv", {}, "train"),
    "mha_bias_kv_zero_attn_mask": (
        lambda: nn.MultiheadAttention(E, 2, 0.0, True, True, True),
        lambda: {"x": x(5, 2, E), "attn_mask": x(5, 5)}, "self", {"average_attn_weights": False}, "train"),
    "mha_no_bias_causal": (
        lambda: nn.MultiheadAttention(E, 2, bias=False),
        lambda: {"x": x(5, 2, E), "mask_bool/attn_mask": causal(5)}, "self", {"need_weights": False, "is_causal": True}, "train"),
    "mha_3d_mask_weights": (
        lambda: nn.MultiheadAttention(E, 2),
        lambda: {"x": x(4, 2, E), "attn_mask": x(4, 4, 4)}, "self", {}, "train"),
    "mha_dropout": (lambda: nn.MultiheadAttention(E, 2, dropout=0.3), lambda: {"x": x(5, 3, E)}, "self", {}, "train"),
    "mha_dropout_sdpa": (lambda: nn.MultiheadAttention(E, 2, dropout=0.3), lambda: {"x": x(5, 3, E)}, "self", {"need_weights": False}, "train"),
    "mha_fast": (lambda: nn.MultiheadAttention(E, 2, batch_first=True), lambda: {"x": x(3, 5, E)}, "self", {}, "fast"),
    "mha_fast_kpm": (
        lambda: nn.MultiheadAttention(E, 4, batch_first=True),
        lambda: {"x": x(2, 5, E), "mask_bool/key_padding_mask": torch.tensor([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]], dtype=torch.bool)},
        "self", {"need_weights": False}, "fast"),
}


def run_mha(seed, make, inputs, wiring, kwargs, mode):
    torch.manual_seed(seed)
    m = make()
    out = tensors.prefixed({k: v.clone() for k, v in m.state_dict().items()}, "state/")
    ins = inputs()
    for k, v in ins.items():
        out[f"in/{k}"] = v.long() if v.dtype == torch.bool else v
    floats = {k: v.requires_grad_(mode != "fast") for k, v in ins.items() if "/" not in k and k not in ("attn_mask",)}
    masks = {k.split("/")[-1]: v for k, v in ins.items() if "/" in k or k == "attn_mask"}
    if wiring == "self":
        q = k = v = floats["x"]
    elif wiring == "kv":
        q, k, v = floats["q"], floats["k"], floats["k"]
    else:
        q, k, v = floats["q"], floats["k"], floats["v"]
    m.train(mode == "train")
    torch.manual_seed(seed + 1000)
    if mode == "fast":
        with torch.no_grad():
            y, w = m(q, k, v, **masks, **kwargs)
    else:
        y, w = m(q, k, v, **masks, **kwargs)
    out["out"] = y
    if w is not None:
        out["weights"] = w
    if mode != "fast":
        proj = torch.randn(y.shape)
        (y * proj).sum().backward()
        out["proj"] = proj
        out.update({f"grad_in/{n}": t.grad for n, t in floats.items()})
        out.update({f"grad/{n}": p.grad for n, p in m.named_parameters()})
    return out


PAD = torch.tensor([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [0, 0, 1, 1, 1]], dtype=torch.bool)


def encoder(layer, n, norm=None):
    return lambda: nn.TransformerEncoder(layer(), n, norm=norm() if norm else None)


# name: (factory, inputs factory -> dict, mode); the inputs other than x are passed by name
# (src_mask / src_key_padding_mask / mask / is_causal), boolean ones as mask_bool/<name>.
ENCODER = {
    "enc_layer_train_kpm": (
        lambda: nn.TransformerEncoderLayer(E, 2, 16, 0.1),
        lambda: {"x": x(5, 3, E), "mask_bool/src_key_padding_mask": PAD}, "train"),
    "enc_layer_gelu_norm_first_causal": (
        lambda: nn.TransformerEncoderLayer(E, 2, 16, 0.0, "gelu", 1e-5, True, True),
        lambda: {"x": x(3, 5, E), "src_mask": nn.Transformer.generate_square_subsequent_mask(5)}, "eval"),
    "enc_layer_fast_kpm": (
        lambda: nn.TransformerEncoderLayer(E, 2, 16, batch_first=True),
        lambda: {"x": x(3, 5, E), "mask_bool/src_key_padding_mask": PAD}, "fast"),
    "enc_layer_fast_gelu_norm_first": (
        lambda: nn.TransformerEncoderLayer(E, 4, 16, activation="gelu", batch_first=True, norm_first=True),
        lambda: {"x": x(3, 5, E)}, "fast"),
    "encoder_train_causal": (
        encoder(lambda: nn.TransformerEncoderLayer(E, 2, 16, 0.1), 2, lambda: nn.LayerNorm(E)),
        lambda: {"x": x(5, 3, E), "mask": nn.Transformer.generate_square_subsequent_mask(5)}, "train"),
    "encoder_fast": (
        encoder(lambda: nn.TransformerEncoderLayer(E, 2, 16, batch_first=True), 3),
        lambda: {"x": x(2, 6, E)}, "fast"),
}


def run_encoder(seed, make, inputs, mode):
    torch.manual_seed(seed)
    m = make()
    out = tensors.prefixed({k: v.clone() for k, v in m.state_dict().items()}, "state/")
    ins = inputs()
    for k, v in ins.items():
        out[f"in/{k}"] = v.long() if v.dtype == torch.bool else v
    src = ins["x"].requires_grad_(mode != "fast")
    kwargs = {k.split("/")[-1]: v for k, v in ins.items() if k != "x"}
    m.train(mode == "train")
    torch.manual_seed(seed + 1000)
    if mode == "fast":
        with torch.no_grad():
            y = m(src, **kwargs)
    else:
        y = m(src, **kwargs)
    out["out"] = y
    if mode != "fast":
        proj = torch.randn(y.shape)
        (y * proj).sum().backward()
        out["proj"] = proj
        out["grad_in/x"] = src.grad
        out.update({f"grad/{n}": p.grad for n, p in m.named_parameters()})
    return out


def main(folder):
    result = {}
    for seed, (name, args) in enumerate(MHA.items()):
        result.update(tensors.prefixed(run_mha(seed, *args), f"{name}/"))
    for seed, (name, args) in enumerate(ENCODER.items()):
        result.update(tensors.prefixed(run_encoder(100 + seed, *args), f"{name}/"))
    tensors.save(folder, result)
    print(f"{len(MHA) + len(ENCODER)} cases, {len(result)} tensors")


if __name__ == "__main__":
    main(sys.argv[1])
