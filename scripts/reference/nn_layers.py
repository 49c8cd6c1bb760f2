"""Reference outputs for test/parity/nn_layers.test.ts, computed by real PyTorch.

    python3 nn_layers.py OUT_DIR

For each case (a layer or a loss built with seeded weights) it writes, under '<case>/':
  state/<key>   the module's state_dict before the first forward (torchts loads it)
  x<i>          the input of forward pass i (several passes for BatchNorm running stats)
  out<i>        the output of pass i
  proj          a fixed random tensor shaped like the last output; backward runs on
                (out * proj).sum()
  grad_x        the input's gradient;   grad/<name>  each parameter's gradient
  after/<name>  every buffer after all passes (running statistics, num_batches_tracked)
Losses also write 'target' and, when used, 'weight'. MULTI cases write their inputs
'in/<i>' and the gradients 'grad_in/<i>' of the floating point ones. reprs.json maps each layer case to repr(module).
"""
import json
import os
import sys

import torch
from torch import nn
import torch.nn.functional as F

import tensors

torch.use_deterministic_algorithms(True)


def randomize_bn(m, batches=0):
    """Non-trivial affine parameters and running statistics for a BatchNorm."""
    with torch.no_grad():
        if m.affine:
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.5, 0.5)
        if m.track_running_stats:
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.num_batches_tracked.fill_(batches)
    return m


def seq():
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, bias=False),
        randomize_bn(nn.BatchNorm2d(8)),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 4, 3),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4, 5),
    )


def randomized(m):
    """Non-trivial values for every parameter (PyTorch's inits are often ones and zeros)."""
    with torch.no_grad():
        for p in m.parameters():
            p.uniform_(-1.5, 1.5)
    return m


class Heads(nn.Module):
    """ModuleDict, ParameterList and ParameterDict inside a module (container.ts)."""

    def __init__(self):
        super().__init__()
        self.heads = nn.ModuleDict({"a": nn.Linear(7, 3), "b": nn.Conv2d(3, 2, 1)})
        self.scales = nn.ParameterList([nn.Parameter(torch.randn(3)), torch.randn(1)])
        self.extra = nn.ParameterDict({"shift": nn.Parameter(torch.randn(7)), "gain": torch.randn(1)})

    def forward(self, x):
        y = self.heads["a"](x + self.extra["shift"]) * self.scales[0]
        return y * self.extra["gain"] + self.scales[1] + self.heads["b"](x).mean()


# name: (module factory, input shape, passes, training, dtype)
IMG = (2, 3, 7, 7)
LAYERS = {
    "conv_basic": (lambda: nn.Conv2d(3, 4, 3), IMG, 1, True, torch.float32),
    "conv_stride_pad": (lambda: nn.Conv2d(3, 6, (3, 5), stride=(2, 1), padding=(1, 2)), IMG, 1, True, torch.float32),
    "conv_same_even": (lambda: nn.Conv2d(4, 4, (3, 4), padding="same", dilation=(2, 1)), (2, 4, 6, 7), 1, True, torch.float32),
    "conv_valid": (lambda: nn.Conv2d(3, 2, 2, padding="valid"), IMG, 1, True, torch.float32),
    "conv_dilation": (lambda: nn.Conv2d(3, 4, 3, stride=2, padding=2, dilation=2), (2, 3, 9, 8), 1, True, torch.float32),
    "conv_groups_nobias": (lambda: nn.Conv2d(4, 8, 3, padding=1, groups=2, bias=False), (2, 4, 5, 5), 1, True, torch.float32),
    "conv_depthwise": (lambda: nn.Conv2d(4, 4, 3, groups=4), (2, 4, 6, 6), 1, True, torch.float32),
    "conv_f64": (lambda: nn.Conv2d(3, 4, 3, padding=1, dtype=torch.float64), IMG, 1, True, torch.float64),
    "bn_train": (lambda: randomize_bn(nn.BatchNorm2d(3)), IMG, 3, True, torch.float32),
    "bn_momentum": (lambda: randomize_bn(nn.BatchNorm2d(3, momentum=0.3)), IMG, 3, True, torch.float32),
    "bn_momentum_none": (lambda: randomize_bn(nn.BatchNorm2d(3, momentum=None), batches=2), IMG, 3, True, torch.float32),
    "bn_eval": (lambda: randomize_bn(nn.BatchNorm2d(3, eps=1e-3), batches=7), IMG, 2, False, torch.float32),
    "bn_no_affine": (lambda: randomize_bn(nn.BatchNorm2d(3, affine=False)), IMG, 2, True, torch.float32),
    "bn_no_stats_train": (lambda: randomize_bn(nn.BatchNorm2d(3, track_running_stats=False)), IMG, 2, True, torch.float32),
    "bn_no_stats_eval": (lambda: randomize_bn(nn.BatchNorm2d(3, track_running_stats=False)), IMG, 1, False, torch.float32),
    "bn_f64": (lambda: randomize_bn(nn.BatchNorm2d(3, dtype=torch.float64)), IMG, 2, True, torch.float64),
    "relu": (lambda: nn.ReLU(), IMG, 1, True, torch.float32),
    "maxpool": (lambda: nn.MaxPool2d(2), IMG, 1, True, torch.float32),
    "maxpool_ceil": (lambda: nn.MaxPool2d(3, stride=2, ceil_mode=True), (2, 3, 8, 8), 1, True, torch.float32),
    "maxpool_padding": (lambda: nn.MaxPool2d(3, stride=2, padding=1), IMG, 1, True, torch.float32),
    "maxpool_dilation": (lambda: nn.MaxPool2d((2, 3), stride=1, dilation=2), IMG, 1, True, torch.float32),
    "maxpool_tuples": (lambda: nn.MaxPool2d((3, 3), stride=(2, 2), padding=(1, 1)), IMG, 1, True, torch.float32),
    "avgpool": (lambda: nn.AvgPool2d(2), IMG, 1, True, torch.float32),
    "avgpool_ceil": (lambda: nn.AvgPool2d(3, stride=2, ceil_mode=True), (2, 3, 8, 8), 1, True, torch.float32),
    "avgpool_pad_include": (lambda: nn.AvgPool2d(3, stride=2, padding=1), IMG, 1, True, torch.float32),
    "avgpool_pad_exclude": (lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), IMG, 1, True, torch.float32),
    "avgpool_tuples": (lambda: nn.AvgPool2d((2, 2), stride=(1, 2)), IMG, 1, True, torch.float32),
    "avgpool_ceil_pad_exclude": (lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), (2, 3, 8, 8), 1, True, torch.float32),
    "avgpool_divisor": (lambda: nn.AvgPool2d(2, divisor_override=3), IMG, 1, True, torch.float32),
    "adaptive_avg": (lambda: nn.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 5), 1, True, torch.float32),
    "adaptive_avg_1": (lambda: nn.AdaptiveAvgPool2d(1), IMG, 1, True, torch.float32),
    "linear": (lambda: nn.Linear(5, 3), (4, 5), 1, True, torch.float32),
    "linear_no_bias_3d": (lambda: nn.Linear(5, 3, bias=False), (2, 4, 5), 1, True, torch.float32),
    "flatten": (lambda: nn.Flatten(), (2, 3, 4, 5), 1, True, torch.float32),
    "flatten_dims": (lambda: nn.Flatten(0, 2), (2, 3, 4, 5), 1, True, torch.float32),
    "dropout_eval": (lambda: nn.Dropout(0.4), IMG, 1, False, torch.float32),
    "sequential_train": (seq, (2, 3, 8, 8), 2, True, torch.float32),
    "sequential_eval": (seq, (2, 3, 8, 8), 1, False, torch.float32),
    # activations (activation.ts)
    "threshold": (lambda: nn.Threshold(0.1, 20.0), IMG, 1, True, torch.float32),
    "rrelu_eval": (lambda: nn.RReLU(0.1, 0.3), IMG, 1, False, torch.float32),
    "hardtanh": (lambda: nn.Hardtanh(-0.5, 0.7), IMG, 1, True, torch.float32),
    "relu6": (lambda: nn.ReLU6(), (2, 3, 5), 1, True, torch.float32),
    "hardsigmoid": (lambda: nn.Hardsigmoid(), IMG, 1, True, torch.float32),
    "silu": (lambda: nn.SiLU(), IMG, 1, True, torch.float32),
    "mish": (lambda: nn.Mish(), IMG, 1, True, torch.float32),
    "hardswish": (lambda: nn.Hardswish(), IMG, 1, True, torch.float32),
    "selu": (lambda: nn.SELU(), IMG, 1, True, torch.float32),
    "elu": (lambda: nn.ELU(0.7), IMG, 1, True, torch.float32),
    "celu": (lambda: nn.CELU(1.3), IMG, 1, True, torch.float32),
    "glu": (lambda: nn.GLU(1), (2, 4, 5), 1, True, torch.float32),
    "gelu": (lambda: nn.GELU(), IMG, 1, True, torch.float32),
    "gelu_tanh": (lambda: nn.GELU(approximate="tanh"), IMG, 1, True, torch.float32),
    "hardshrink": (lambda: nn.Hardshrink(0.3), IMG, 1, True, torch.float32),
    "softshrink": (lambda: nn.Softshrink(), IMG, 1, True, torch.float32),
    "leaky_relu": (lambda: nn.LeakyReLU(0.2), IMG, 1, True, torch.float32),
    "logsigmoid": (lambda: nn.LogSigmoid(), IMG, 1, True, torch.float32),
    "softplus": (lambda: nn.Softplus(2.0, 1.5), IMG, 1, True, torch.float32),
    "prelu": (lambda: nn.PReLU(), IMG, 1, True, torch.float32),
    "prelu_channels": (lambda: randomized(nn.PReLU(3)), IMG, 1, True, torch.float32),
    "softsign": (lambda: nn.Softsign(), IMG, 1, True, torch.float32),
    "tanhshrink": (lambda: nn.Tanhshrink(), IMG, 1, True, torch.float32),
    "softmin": (lambda: nn.Softmin(2), IMG, 1, True, torch.float32),
    "softmin_implicit": (lambda: nn.Softmin(), (3, 5), 1, True, torch.float32),
    "softmax2d": (lambda: nn.Softmax2d(), IMG, 1, True, torch.float32),
    "gelu_f64": (lambda: nn.GELU(), IMG, 1, True, torch.float64),
    # dropout.ts, eval mode (the identity); training mode is tested statistically
    "dropout1d_eval": (lambda: nn.Dropout1d(0.3), (2, 3, 5), 1, False, torch.float32),
    "dropout2d_eval": (lambda: nn.Dropout2d(0.3), IMG, 1, False, torch.float32),
    "dropout3d_eval": (lambda: nn.Dropout3d(0.3), (2, 3, 2, 3, 3), 1, False, torch.float32),
    "alpha_dropout_eval": (lambda: nn.AlphaDropout(0.3), IMG, 1, False, torch.float32),
    "feature_alpha_dropout_eval": (lambda: nn.FeatureAlphaDropout(0.3), IMG, 1, False, torch.float32),
    # normalization.ts
    "layer_norm": (lambda: randomized(nn.LayerNorm([7, 7])), IMG, 1, True, torch.float32),
    "layer_norm_eps_no_bias": (lambda: randomized(nn.LayerNorm(7, 1e-3, bias=False)), IMG, 1, True, torch.float32),
    "layer_norm_no_affine": (lambda: nn.LayerNorm(7, elementwise_affine=False), IMG, 1, True, torch.float32),
    "layer_norm_f64": (lambda: randomized(nn.LayerNorm(7, dtype=torch.float64)), IMG, 1, True, torch.float64),
    "group_norm": (lambda: randomized(nn.GroupNorm(2, 4)), (2, 4, 5, 5), 1, True, torch.float32),
    "group_norm_no_affine": (lambda: nn.GroupNorm(3, 6, 1e-3, False), (2, 6, 4), 1, True, torch.float32),
    "group_norm_no_bias": (lambda: randomized(nn.GroupNorm(1, 4, bias=False)), (2, 4, 3, 3), 1, True, torch.float32),
    "rms_norm": (lambda: randomized(nn.RMSNorm([7])), IMG, 1, True, torch.float32),
    "rms_norm_eps": (lambda: nn.RMSNorm(7, 1e-3, False), IMG, 1, True, torch.float32),
    "lrn": (lambda: nn.LocalResponseNorm(3), (2, 6, 4, 4), 1, True, torch.float32),
    "lrn_3d_args": (lambda: nn.LocalResponseNorm(2, 1e-2, 0.5, 2.0), (2, 5, 6), 1, True, torch.float32),
    "unflatten": (lambda: nn.Unflatten(1, (7, 1, 7)), (2, 49), 1, True, torch.float32),
    # padding.ts
    "constant_pad1d": (lambda: nn.ConstantPad1d((1, 2), 1.5), (2, 3, 5), 1, True, torch.float32),
    "constant_pad2d": (lambda: nn.ConstantPad2d(1, -0.5), IMG, 1, True, torch.float32),
    "constant_pad3d": (lambda: nn.ConstantPad3d((1, 0, 2, 1, 0, 1), 2.0), (1, 2, 3, 3, 3), 1, True, torch.float32),
    "zero_pad1d": (lambda: nn.ZeroPad1d(2), (2, 3, 5), 1, True, torch.float32),
    "zero_pad2d": (lambda: nn.ZeroPad2d((1, 2, 0, 1)), IMG, 1, True, torch.float32),
    "zero_pad3d": (lambda: nn.ZeroPad3d(1), (1, 2, 2, 3, 3), 1, True, torch.float32),
    "reflection_pad1d": (lambda: nn.ReflectionPad1d((2, 1)), (2, 3, 5), 1, True, torch.float32),
    "reflection_pad2d": (lambda: nn.ReflectionPad2d((1, 2, 2, 0)), IMG, 1, True, torch.float32),
    "reflection_pad3d": (lambda: nn.ReflectionPad3d(1), (1, 2, 3, 3, 3), 1, True, torch.float32),
    "replication_pad1d": (lambda: nn.ReplicationPad1d((0, 3)), (2, 3, 5), 1, True, torch.float32),
    "replication_pad2d": (lambda: nn.ReplicationPad2d(2), IMG, 1, True, torch.float32),
    "replication_pad3d": (lambda: nn.ReplicationPad3d((1, 2, 0, 1, 1, 0)), (1, 2, 3, 3, 3), 1, True, torch.float32),
    "circular_pad1d": (lambda: nn.CircularPad1d((1, 2)), (2, 3, 5), 1, True, torch.float32),
    "circular_pad2d": (lambda: nn.CircularPad2d(1), IMG, 1, True, torch.float32),
    "circular_pad3d": (lambda: nn.CircularPad3d((1, 0, 1, 2, 0, 1)), (1, 2, 3, 3, 3), 1, True, torch.float32),
    # pooling_more.ts
    "maxpool1d": (lambda: nn.MaxPool1d(3, 2, 1), (2, 3, 9), 1, True, torch.float32),
    "maxpool1d_ceil_dilation": (lambda: nn.MaxPool1d(2, dilation=2, ceil_mode=True), (2, 3, 9), 1, True, torch.float32),
    "maxpool3d": (lambda: nn.MaxPool3d((2, 2, 3), stride=1, padding=(0, 1, 1)), (1, 2, 4, 5, 5), 1, True, torch.float32),
    "avgpool1d": (lambda: nn.AvgPool1d(3, 2, 1, count_include_pad=False), (2, 3, 9), 1, True, torch.float32),
    "avgpool3d_divisor": (lambda: nn.AvgPool3d(2, divisor_override=3), (1, 2, 4, 4, 4), 1, True, torch.float32),
    "avgpool3d_ceil": (lambda: nn.AvgPool3d((2, 3, 2), (1, 2, 2), 1, True), (1, 2, 4, 5, 5), 1, True, torch.float32),
    "adaptive_avg1d": (lambda: nn.AdaptiveAvgPool1d(4), (2, 3, 9), 1, True, torch.float32),
    "adaptive_avg3d": (lambda: nn.AdaptiveAvgPool3d((2, None, 3)), (1, 2, 4, 5, 5), 1, True, torch.float32),
    "adaptive_max1d": (lambda: nn.AdaptiveMaxPool1d(4), (2, 3, 9), 1, True, torch.float32),
    "adaptive_max3d": (lambda: nn.AdaptiveMaxPool3d((2, 3, 2)), (1, 2, 4, 5, 5), 1, True, torch.float32),
    "lppool1d": (lambda: nn.LPPool1d(2, 3, 2), (2, 3, 9), 1, True, torch.float32),
    "lppool2d": (lambda: nn.LPPool2d(2, (2, 3), (1, 2), True), IMG, 1, True, torch.float32),
    "lppool3d": (lambda: nn.LPPool3d(1, 2), (1, 2, 4, 4, 4), 1, True, torch.float32),
    "fractional_maxpool2d": (lambda: nn.FractionalMaxPool2d(2, (4, 3), _random_samples=torch.rand(2, 3, 2)), IMG, 1, True, torch.float32),
    "fractional_maxpool3d": (lambda: nn.FractionalMaxPool3d(2, output_ratio=0.5, _random_samples=torch.rand(1, 2, 3)), (1, 2, 4, 6, 6), 1, True, torch.float32),
    # conv.ts: Conv1d/3d, transposed convolutions
    "conv1d": (lambda: nn.Conv1d(3, 4, 3, 2, 1), (2, 3, 9), 1, True, torch.float32),
    "conv1d_same_reflect": (lambda: nn.Conv1d(3, 4, 4, padding="same", dilation=2, padding_mode="reflect"), (2, 3, 11), 1, True, torch.float32),
    "conv1d_circular_groups": (lambda: nn.Conv1d(4, 6, 3, padding=2, groups=2, bias=False, padding_mode="circular"), (2, 4, 7), 1, True, torch.float32),
    "conv3d": (lambda: nn.Conv3d(2, 3, (2, 3, 3), stride=(1, 2, 1), padding=1), (1, 2, 4, 5, 5), 1, True, torch.float32),
    "conv3d_replicate": (lambda: nn.Conv3d(2, 2, 3, padding=1, padding_mode="replicate"), (1, 2, 3, 4, 4), 1, True, torch.float32),
    "conv_transpose1d": (lambda: nn.ConvTranspose1d(3, 4, 3, 2, 1, 1), (2, 3, 5), 1, True, torch.float32),
    "conv_transpose2d": (lambda: nn.ConvTranspose2d(4, 6, (3, 2), stride=2, padding=(1, 0), output_padding=(1, 0), groups=2, dilation=(1, 2)), (2, 4, 4, 4), 1, True, torch.float32),
    "conv_transpose2d_no_bias": (lambda: nn.ConvTranspose2d(3, 2, 3, bias=False), IMG, 1, True, torch.float32),
    "conv_transpose3d": (lambda: nn.ConvTranspose3d(2, 3, 2, stride=2), (1, 2, 2, 3, 3), 1, True, torch.float32),
    # batchnorm.ts, instancenorm.ts
    "bn1d_train": (lambda: randomize_bn(nn.BatchNorm1d(3)), (4, 3), 2, True, torch.float32),
    "bn1d_3d_eval": (lambda: randomize_bn(nn.BatchNorm1d(3), batches=3), (2, 3, 5), 1, False, torch.float32),
    "bn3d_train": (lambda: randomize_bn(nn.BatchNorm3d(2, momentum=0.2)), (2, 2, 3, 3, 3), 2, True, torch.float32),
    "instance_norm1d": (lambda: nn.InstanceNorm1d(3), (2, 3, 6), 1, True, torch.float32),
    "instance_norm2d_track": (lambda: randomize_bn(nn.InstanceNorm2d(3, affine=True, track_running_stats=True)), IMG, 2, True, torch.float32),
    "instance_norm2d_eval": (lambda: randomize_bn(nn.InstanceNorm2d(3, 1e-3, track_running_stats=True), batches=4), IMG, 1, False, torch.float32),
    "instance_norm3d_unbatched": (lambda: randomize_bn(nn.InstanceNorm3d(2, affine=True)), (2, 3, 3, 3), 1, True, torch.float32),
    # pixelshuffle.ts, upsampling.ts, fold.ts
    "pixel_shuffle": (lambda: nn.PixelShuffle(2), (2, 8, 3, 3), 1, True, torch.float32),
    "pixel_unshuffle": (lambda: nn.PixelUnshuffle(2), (2, 3, 4, 6), 1, True, torch.float32),
    "channel_shuffle": (lambda: nn.ChannelShuffle(2), (2, 4, 3, 3), 1, True, torch.float32),
    "upsample_nearest": (lambda: nn.Upsample(scale_factor=2), IMG, 1, True, torch.float32),
    "upsample_bilinear_size": (lambda: nn.Upsample(size=(5, 9), mode="bilinear", align_corners=False), IMG, 1, True, torch.float32),
    "upsample_bicubic_align": (lambda: nn.Upsample(scale_factor=1.5, mode="bicubic", align_corners=True), IMG, 1, True, torch.float32),
    "upsample_linear": (lambda: nn.Upsample(size=7, mode="linear"), (2, 3, 5), 1, True, torch.float32),
    "upsample_trilinear": (lambda: nn.Upsample(scale_factor=(1.0, 2.0, 1.5), mode="trilinear"), (1, 2, 2, 3, 4), 1, True, torch.float32),
    "upsampling_nearest2d": (lambda: nn.UpsamplingNearest2d(scale_factor=2), IMG, 1, True, torch.float32),
    "upsampling_bilinear2d": (lambda: nn.UpsamplingBilinear2d((4, 6)), IMG, 1, True, torch.float32),
    "unfold": (lambda: nn.Unfold((2, 3), padding=1, stride=2), IMG, 1, True, torch.float32),
    "fold": (lambda: nn.Fold((4, 5), 2), (2, 12, 12), 1, True, torch.float32),
    "containers": (Heads, IMG, 1, True, torch.float32),
}


def probs(*shape):
    return torch.randn(*shape).softmax(1)


def labels(n, c, ignore=None):
    t = torch.randint(0, c, (n,))
    if ignore is not None:
        t[::3] = ignore
    return t


# name: (module factory given the class weight, logits shape, target factory, uses weight)
LOSSES = {
    "ce_mean": (lambda w: nn.CrossEntropyLoss(), (6, 5), lambda: labels(6, 5), False),
    "ce_sum": (lambda w: nn.CrossEntropyLoss(reduction="sum"), (6, 5), lambda: labels(6, 5), False),
    "ce_none": (lambda w: nn.CrossEntropyLoss(reduction="none"), (6, 5), lambda: labels(6, 5), False),
    "ce_weight": (lambda w: nn.CrossEntropyLoss(weight=w), (6, 5), lambda: labels(6, 5), True),
    "ce_ignore_index": (lambda w: nn.CrossEntropyLoss(ignore_index=2), (6, 5), lambda: labels(6, 5, ignore=2), False),
    "ce_ignore_default": (lambda w: nn.CrossEntropyLoss(reduction="none"), (6, 5), lambda: labels(6, 5, ignore=-100), False),
    "ce_smoothing": (lambda w: nn.CrossEntropyLoss(label_smoothing=0.2), (6, 5), lambda: labels(6, 5), False),
    "ce_smoothing_weight_ignore": (
        lambda w: nn.CrossEntropyLoss(weight=w, ignore_index=0, label_smoothing=0.1, reduction="sum"),
        (7, 5), lambda: labels(7, 5, ignore=0), True),
    "ce_probs": (lambda w: nn.CrossEntropyLoss(), (6, 5), lambda: probs(6, 5), False),
    "ce_probs_smoothing_none": (lambda w: nn.CrossEntropyLoss(label_smoothing=0.3, reduction="none"), (6, 5), lambda: probs(6, 5), False),
    "ce_probs_weight": (lambda w: nn.CrossEntropyLoss(weight=w), (6, 5), lambda: probs(6, 5), True),
    "ce_spatial": (lambda w: nn.CrossEntropyLoss(weight=w), (2, 5, 3, 4), lambda: torch.randint(0, 5, (2, 3, 4)), True),
    "ce_f64": (lambda w: nn.CrossEntropyLoss(), (6, 5), lambda: labels(6, 5), False),
    "nll_mean": (lambda w: nn.NLLLoss(), (6, 5), lambda: labels(6, 5), False),
    "nll_weight_ignore_sum": (lambda w: nn.NLLLoss(weight=w, ignore_index=1, reduction="sum"), (6, 5), lambda: labels(6, 5, ignore=1), True),
    "nll_weight_mean": (lambda w: nn.NLLLoss(weight=w), (6, 5), lambda: labels(6, 5), True),
    "nll_none": (lambda w: nn.NLLLoss(reduction="none"), (6, 5), lambda: labels(6, 5), False),
    "mse_mean": (lambda w: nn.MSELoss(), (4, 3), lambda: torch.randn(4, 3), False),
    "mse_sum": (lambda w: nn.MSELoss(reduction="sum"), (4, 3), lambda: torch.randn(4, 3), False),
    "mse_none": (lambda w: nn.MSELoss(reduction="none"), (2, 3, 2), lambda: torch.randn(2, 3, 2), False),
}


REPRS = {}


def run_layer(seed, name, make, shape, passes, training, dtype):
    torch.manual_seed(seed)
    m = make().to(dtype)
    REPRS[name] = repr(m)
    m.train(training)
    # Cloned: state_dict() shares storage with the buffers that the passes then update.
    out = tensors.prefixed({k: v.clone() for k, v in m.state_dict().items()}, "state/")
    xs = [torch.randn(shape, dtype=dtype, requires_grad=True) for _ in range(passes)]
    for i, x in enumerate(xs):
        y = m(x)
        out[f"x{i}"] = x
        out[f"out{i}"] = y
    proj = torch.randn(y.shape, dtype=dtype)
    (y * proj).sum().backward()
    out["proj"] = proj
    out["grad_x"] = xs[-1].grad
    out.update({f"grad/{k}": p.grad for k, p in m.named_parameters()})
    out.update({f"after/{k}": b for k, b in m.named_buffers()})
    return out


def run_loss(seed, name, make, shape, target):
    torch.manual_seed(seed)
    dtype = torch.float64 if name.endswith("f64") else torch.float32
    weight = torch.rand(shape[1], dtype=dtype) + 0.5
    m = make(weight)
    x = torch.randn(shape, dtype=dtype, requires_grad=True)
    t = target()
    t = t.to(dtype) if t.is_floating_point() else t
    if name.startswith("nll"):
        x = x.log_softmax(1).detach().requires_grad_()
    y = m(x, t)
    proj = torch.randn(y.shape, dtype=dtype)
    (y * proj).sum().backward()
    out = tensors.prefixed(m.state_dict(), "state/")
    out.update({"x0": x, "target": t, "weight": weight, "out0": y, "proj": proj, "grad_x": x.grad})
    return out


def sign(*shape):
    return torch.randint(0, 2, shape).float() * 2 - 1


def ctc_inputs():
    return [torch.randn(6, 2, 4).log_softmax(2), torch.randint(1, 4, (2, 3)), torch.tensor([6, 5]), torch.tensor([3, 2])]


# Modules of several inputs (loss.ts, distance.ts): name: (module factory, inputs factory).
# The inputs at the given indices get gradients (not targets or lengths).
MULTI = {
    "l1": (lambda: nn.L1Loss(), lambda: [torch.randn(4, 3), torch.randn(4, 3)], (0, 1)),
    "l1_legacy_sum": (lambda: nn.L1Loss(size_average=False), lambda: [torch.randn(4, 3), torch.randn(4, 3)], (0,)),
    "bce_weight": (lambda: nn.BCELoss(torch.rand(4, 3)), lambda: [torch.rand(4, 3) * 0.9 + 0.05, torch.rand(4, 3)], (0,)),
    "bce_logits_pos_weight": (lambda: nn.BCEWithLogitsLoss(reduction="sum", pos_weight=torch.rand(3) + 0.5), lambda: [torch.randn(4, 3), torch.rand(4, 3)], (0,)),
    "bce_logits_weight_none": (lambda: nn.BCEWithLogitsLoss(torch.rand(3), reduction="none"), lambda: [torch.randn(4, 3), torch.rand(4, 3)], (0,)),
    "smooth_l1_beta": (lambda: nn.SmoothL1Loss(beta=0.5), lambda: [torch.randn(4, 3), torch.randn(4, 3)], (0,)),
    "huber": (lambda: nn.HuberLoss("sum", 0.7), lambda: [torch.randn(4, 3), torch.randn(4, 3)], (0, 1)),
    "kl_batchmean": (lambda: nn.KLDivLoss(reduction="batchmean"), lambda: [torch.randn(4, 5).log_softmax(1), torch.randn(4, 5).softmax(1)], (0, 1)),
    "kl_log_target": (lambda: nn.KLDivLoss(reduction="sum", log_target=True), lambda: [torch.randn(4, 5).log_softmax(1), torch.randn(4, 5).log_softmax(1)], (0, 1)),
    "poisson": (lambda: nn.PoissonNLLLoss(), lambda: [torch.randn(4, 3), torch.poisson(torch.rand(4, 3) * 3)], (0,)),
    "poisson_full": (lambda: nn.PoissonNLLLoss(False, True), lambda: [torch.rand(4, 3) + 0.1, torch.poisson(torch.rand(4, 3) * 3)], (0,)),
    "gaussian": (lambda: nn.GaussianNLLLoss(), lambda: [torch.randn(4, 3), torch.randn(4, 3), torch.rand(4, 3) + 0.1], (0, 2)),
    "gaussian_full": (lambda: nn.GaussianNLLLoss(full=True, reduction="sum"), lambda: [torch.randn(4, 3), torch.randn(4, 3), torch.rand(4, 1) + 0.1], (0, 2)),
    "hinge": (lambda: nn.HingeEmbeddingLoss(0.5), lambda: [torch.randn(4, 3), sign(4, 3)], (0,)),
    "margin_ranking": (lambda: nn.MarginRankingLoss(0.2), lambda: [torch.randn(5), torch.randn(5), sign(5)], (0, 1)),
    "cosine_embedding": (lambda: nn.CosineEmbeddingLoss(0.1), lambda: [torch.randn(4, 5), torch.randn(4, 5), sign(4)], (0, 1)),
    "multilabel_margin": (lambda: nn.MultiLabelMarginLoss(), lambda: [torch.randn(3, 4), torch.tensor([[3, 0, -1, 1], [1, 2, 3, -1], [0, -1, 2, 2]])], (0,)),
    "soft_margin": (lambda: nn.SoftMarginLoss(), lambda: [torch.randn(4, 3), sign(4, 3)], (0,)),
    "multilabel_soft_margin": (lambda: nn.MultiLabelSoftMarginLoss(torch.rand(3)), lambda: [torch.randn(4, 3), torch.randint(0, 2, (4, 3)).float()], (0,)),
    "multi_margin": (lambda: nn.MultiMarginLoss(2, 0.5, torch.rand(5)), lambda: [torch.randn(4, 5), torch.randint(0, 5, (4,))], (0,)),
    "triplet": (lambda: nn.TripletMarginLoss(0.5, 1.0, swap=True), lambda: [torch.randn(4, 6), torch.randn(4, 6), torch.randn(4, 6)], (0, 1, 2)),
    "triplet_distance": (lambda: nn.TripletMarginWithDistanceLoss(swap=True), lambda: [torch.randn(4, 6), torch.randn(4, 6), torch.randn(4, 6)], (0, 1, 2)),
    "ctc": (lambda: nn.CTCLoss(), ctc_inputs, (0,)),
    "ctc_sum_zero_inf": (lambda: nn.CTCLoss(0, "sum", True), ctc_inputs, (0,)),
    "nll2d": (lambda: nn.NLLLoss2d(), lambda: [torch.randn(2, 3, 4, 4).log_softmax(1), torch.randint(0, 3, (2, 4, 4))], (0,)),
    "pairwise_distance": (lambda: nn.PairwiseDistance(1.0, keepdim=True), lambda: [torch.randn(4, 5), torch.randn(4, 5)], (0, 1)),
    "cosine_similarity": (lambda: nn.CosineSimilarity(0), lambda: [torch.randn(4, 5), torch.randn(4, 5)], (0, 1)),
    "maxunpool1d": (lambda: nn.MaxUnpool1d(2), lambda: list(F.max_pool1d(torch.randn(2, 3, 8), 2, return_indices=True)), (0,)),
    "maxunpool2d": (lambda: nn.MaxUnpool2d(2, 2), lambda: list(F.max_pool2d(torch.randn(1, 2, 4, 6), 2, return_indices=True)), (0,)),
    "maxunpool3d": (lambda: nn.MaxUnpool3d(2, 1, 0), lambda: list(F.max_pool3d(torch.randn(1, 2, 3, 4, 4), 2, 1, return_indices=True)), (0,)),
    "embedding": (lambda: nn.Embedding(10, 3, padding_idx=2), lambda: [torch.randint(0, 10, (2, 4))], ()),
    "embedding_max_norm": (lambda: nn.Embedding(10, 3, max_norm=1.0, scale_grad_by_freq=True), lambda: [torch.randint(0, 10, (2, 4))], ()),
    "embedding_bag_sum": (lambda: nn.EmbeddingBag(10, 3, mode="sum"), lambda: [torch.randint(0, 10, (6,)), torch.tensor([0, 2, 5])], ()),
    "embedding_bag_max_2d": (lambda: nn.EmbeddingBag(10, 3, mode="max"), lambda: [torch.randint(0, 10, (2, 4))], ()),
    "embedding_bag_weights": (lambda: nn.EmbeddingBag(10, 3, mode="sum", padding_idx=1), lambda: [torch.randint(0, 10, (6,)), torch.tensor([0, 3]), torch.rand(6)], (2,)),
    "bilinear": (lambda: nn.Bilinear(3, 4, 2), lambda: [torch.randn(5, 3), torch.randn(5, 4)], (0, 1)),
    "rnn_tanh": (lambda: nn.RNN(4, 5), lambda: [torch.randn(6, 2, 4)], (0,)),
    "rnn_relu_2layer_bi": (lambda: nn.RNN(4, 5, 2, "relu", bidirectional=True), lambda: [torch.randn(6, 2, 4), torch.randn(4, 2, 5)], (0, 1)),
    "gru_batch_first": (lambda: nn.GRU(4, 5, 2, batch_first=True), lambda: [torch.randn(2, 6, 4)], (0,)),
    "gru_unbatched_no_bias": (lambda: nn.GRU(4, 3, bias=False), lambda: [torch.randn(6, 4), torch.randn(1, 3)], (0, 1)),
    "lstm": (lambda: nn.LSTM(4, 5), lambda: [torch.randn(6, 2, 4)], (0,)),
    "lstm_proj_bi": (lambda: nn.LSTM(4, 6, 2, bidirectional=True, proj_size=3), lambda: [torch.randn(5, 2, 4)], (0,)),
    "lstm_unbatched_batch_first": (lambda: nn.LSTM(3, 4, batch_first=True), lambda: [torch.randn(5, 3)], (0,)),
    "rnn_cell": (lambda: nn.RNNCell(4, 5), lambda: [torch.randn(3, 4), torch.randn(3, 5)], (0, 1)),
    "rnn_cell_relu_unbatched": (lambda: nn.RNNCell(4, 5, False, "relu"), lambda: [torch.randn(4)], (0,)),
    "lstm_cell": (lambda: nn.LSTMCell(4, 5), lambda: [torch.randn(3, 4)], (0,)),
    "gru_cell": (lambda: nn.GRUCell(4, 5), lambda: [torch.randn(3, 4), torch.randn(3, 5)], (0, 1)),
}


def flat(y):
    """A tuple of outputs (RNNs: output and hidden states) as one vector, in order."""
    if isinstance(y, torch.Tensor):
        return y
    parts = []
    for t in y:
        parts.extend([flat(t).reshape(-1)])
    return torch.cat(parts)


def run_multi(seed, name, make, inputs, grads):
    torch.manual_seed(seed)
    m = make()
    REPRS[name] = repr(m)
    out = tensors.prefixed({k: v.clone() for k, v in m.state_dict().items()}, "state/")
    xs = [x.detach().requires_grad_(i in grads) for i, x in enumerate(inputs())]
    # max_unpool has no deterministic flag; where two windows share an index they write the same value.
    torch.use_deterministic_algorithms(not name.startswith("maxunpool"))
    y = flat(m(*xs))
    torch.use_deterministic_algorithms(True)
    proj = torch.randn(y.shape)
    (y * proj).sum().backward()
    for i, x in enumerate(xs):
        out[f"in/{i}"] = x
        if x.grad is not None:
            out[f"grad_in/{i}"] = x.grad
    out.update({f"grad/{k}": p.grad for k, p in m.named_parameters()})
    out.update({"out0": y, "proj": proj})
    return out


def main(folder):
    result = {}
    for seed, (name, args) in enumerate(LAYERS.items()):
        result.update(tensors.prefixed(run_layer(seed, name, *args), f"{name}/"))
    for seed, (name, (make, shape, target, _)) in enumerate(LOSSES.items()):
        result.update(tensors.prefixed(run_loss(1000 + seed, name, make, shape, target), f"{name}/"))
    for seed, (name, args) in enumerate(MULTI.items()):
        result.update(tensors.prefixed(run_multi(2000 + seed, name, *args), f"{name}/"))
    tensors.save(folder, result)
    with open(os.path.join(folder, "reprs.json"), "w") as f:
        json.dump(REPRS, f)
    print(f"{len(LAYERS) + len(LOSSES) + len(MULTI)} cases, {len(result)} tensors")


if __name__ == "__main__":
    main(sys.argv[1])
