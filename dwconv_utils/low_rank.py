"""A separable convolution is a standard one whose kernel has low rank (notebook 02).

``to_standard_conv`` (layers.py) goes from separable to standard. This module
goes the other way: for each input channel c, the standard kernel's slice
W[:, c] is an (N, Dk*Dk) matrix; a separable layer with depth multiplier K can
only make matrices of rank <= K there (N pointwise weights times K depthwise
kernels). The truncated SVD gives the closest such matrix.
"""
from __future__ import annotations

import torch
from torch import nn

from . import _checks
from .layers import DepthwiseSeparableConv2d


def _per_channel_matrices(weight: torch.Tensor) -> torch.Tensor:
    """(N, M, kh, kw) kernel -> (M, N, kh*kw): one matrix per input channel."""
    n, m = weight.shape[:2]
    return weight.reshape(n, m, -1).transpose(0, 1)


def kernel_ranks(weight: torch.Tensor, rtol: float = 1e-5) -> list[int]:
    """The rank of W[:, c] (an N x Dk*Dk matrix) for every input channel c.

    A separable conv with depth multiplier K can compute a standard conv with
    this kernel exactly only if every rank is <= K. Singular values below
    ``rtol`` times the largest (of the whole kernel) count as zero, so rounding
    errors do not raise the rank. Notebook 02.
    """
    if weight.dim() != 4:
        raise ValueError(f"expected a conv kernel of shape (N, M, kh, kw), got {tuple(weight.shape)}")
    singular = torch.linalg.svdvals(_per_channel_matrices(weight.detach().double()))
    cutoff = rtol * singular.max().clamp(min=torch.finfo(torch.float64).tiny)
    return [int(n) for n in (singular > cutoff).sum(dim=1)]


@torch.no_grad()
def closest_separable(conv: nn.Conv2d, depth_multiplier: int = 1) -> DepthwiseSeparableConv2d:
    """The separable layer whose dense kernel is closest to ``conv``'s (least squares).

    For each input channel, the truncated SVD W[:, c] ~ U_K S_K V_K^T gives the
    pointwise weights (U_K) and the K depthwise kernels (S_K V_K^T); by the
    Eckart-Young theorem no rank-K matrix is closer. The bias is copied. So
    ``to_standard_conv(closest_separable(conv, K))`` equals ``conv`` exactly
    when all ``kernel_ranks`` are <= K, and shows what is lost otherwise. Notebook 02.
    """
    if not isinstance(conv, nn.Conv2d):
        raise TypeError(f"closest_separable expects an nn.Conv2d, got {type(conv).__name__}")
    if conv.groups != 1 or conv.dilation != (1, 1) or conv.padding_mode != "zeros":
        raise ValueError("closest_separable needs a standard conv: groups=1, dilation=1, "
                         f"zero padding; got groups={conv.groups}, dilation={conv.dilation}, "
                         f"padding_mode={conv.padding_mode!r}")
    k = _checks.positive_int("depth_multiplier", depth_multiplier)
    n, m, kh, kw = conv.weight.shape
    layer = DepthwiseSeparableConv2d(m, n, (kh, kw), conv.stride, conv.padding,
                                     bias=conv.bias is not None, depth_multiplier=k)
    layer.to(device=conv.weight.device, dtype=conv.weight.dtype)
    u, s, vh = torch.linalg.svd(_per_channel_matrices(conv.weight), full_matrices=False)
    rank = s.shape[1]  # min(N, kh*kw): more kernels than that would only add zeros
    used = min(k, rank)
    depthwise = torch.zeros(m, k, kh * kw, dtype=conv.weight.dtype, device=conv.weight.device)
    pointwise = torch.zeros(n, m, k, dtype=conv.weight.dtype, device=conv.weight.device)
    depthwise[:, :used] = s[:, :used, None] * vh[:, :used]
    pointwise[:, :, :used] = u[:, :, :used].permute(1, 0, 2)
    layer.depthwise_conv.weight.copy_(depthwise.reshape(m * k, 1, kh, kw))
    layer.pointwise_conv.weight.copy_(pointwise.reshape(n, m * k, 1, 1))
    if conv.bias is not None:
        layer.pointwise_conv.bias.copy_(conv.bias)
    return layer
