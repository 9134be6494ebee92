"""Initialising conv and linear weights: the seed's Xavier, and Xavier with fans per group.

``nn.init.xavier_uniform_`` computes fan_in = weight.size(1) * k * k and
fan_out = weight.size(0) * k * k. For a depthwise weight of shape
(M, 1, k, k) that is fan_in = k^2 but fan_out = M k^2, although each output
of a depthwise conv reads k^2 inputs and each input feeds only its own
channel's k^2 outputs. Its variance 2 / (k^2 (1 + M)) then scales the
signal's variance by about 2 / (1 + M) per depthwise step (notebook 04).
"xavier-per-group" counts the fans of one group, as Glorot and Bengio
defined them (the connections a unit really has): fan_in = (C_in / groups) k^2,
fan_out = (C_out / groups) k^2. For an ungrouped conv or a Linear layer the
two schemes are the same, weight for weight.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from . import checks

INITS = ("xavier", "xavier-per-group")


def per_group_fans(conv: nn.Conv2d) -> tuple[int, int]:
    """(fan_in, fan_out) of one group of ``conv``: the inputs each output reads, and the
    outputs each input feeds."""
    receptive = math.prod(conv.kernel_size)
    return (conv.in_channels // conv.groups * receptive,
            conv.out_channels // conv.groups * receptive)


@torch.no_grad()
def xavier_uniform_per_group_(conv: nn.Conv2d) -> torch.Tensor:
    """Fill ``conv.weight`` from U(-a, a), a = sqrt(6 / (fan_in + fan_out)) with the fans of
    one group. It draws the same random numbers as ``nn.init.xavier_uniform_``, so with the
    same torch seed the two differ only by a factor per layer (1 for an ungrouped conv)."""
    fan_in, fan_out = per_group_fans(conv)
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return conv.weight.uniform_(-bound, bound)


def init_weights(model: nn.Module, scheme: str = "xavier") -> nn.Module:
    """Initialise every Conv2d and Linear of ``model`` in place: weights by ``scheme``, biases
    zero. "xavier" is the seed's ``nn.init.xavier_uniform_``; "xavier-per-group" counts a
    grouped conv's fans per group (the same as "xavier" for every other layer)."""
    checks.choice("init", scheme, INITS)
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            if scheme == "xavier-per-group" and isinstance(m, nn.Conv2d):
                xavier_uniform_per_group_(m)
            else:
                nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return model
