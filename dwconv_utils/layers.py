"""The depthwise separable convolution layer, as in the seed's code, and its relation to a
standard convolution: a standard conv whose kernel has low rank.

Taught in notebooks 01 (depthwise step) and 02 (pointwise step, and the
separable layer as a rank-constrained standard convolution).
``to_standard_conv`` goes from separable to standard. ``closest_separable``
goes the other way: for each input channel c, the standard kernel's slice
W[:, c] is an (N, Dk*Dk) matrix; a separable layer with depth multiplier K can
only make matrices of rank <= K there (N pointwise weights times K depthwise
kernels). The truncated SVD gives the closest such matrix.
"""
from __future__ import annotations

import torch
from torch import nn

from . import checks
from .i18n import _


def check_padding(padding, stride: tuple[int, int]):
    """Validate a Conv2d padding: an int, an (h, w) pair, "same" or "valid"."""
    if isinstance(padding, str):
        checks.choice("padding", padding, ("same", "valid"))
        if padding == "same" and stride != (1, 1):
            raise ValueError(_("padding='same' needs stride 1, got stride={stride}; use an integer "
                               "padding (e.g. kernel_size // 2) with stride > 1").format(stride=stride))
        return padding
    return checks.pair("padding", padding, check=checks.non_negative_int)


def check_conv_input(x, in_channels: int, layer_name: str) -> None:
    """Give a clear error for an input a 2-D convolution cannot take."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(_("{layer} expects a torch.Tensor, got {type}").format(
            layer=layer_name, type=type(x).__name__))
    if x.dim() not in (3, 4):
        raise ValueError(_("{layer} expects input of shape (batch, channels, height, width) or "
                           "(channels, height, width); got shape {shape}").format(
            layer=layer_name, shape=tuple(x.shape)))
    if x.shape[-3] != in_channels:
        raise ValueError(_("{layer} was built for in_channels={expected}, but the input has "
                           "{found} channels (shape {shape})").format(
            layer=layer_name, expected=in_channels, found=x.shape[-3], shape=tuple(x.shape)))


class DepthwiseSeparableConv2d(nn.Module):
    """A depthwise convolution followed by a 1x1 pointwise convolution.

    Step 1, ``depthwise_conv``: every input channel is convolved with its own
    ``depth_multiplier`` kernels (``groups=in_channels``); the results are *not*
    summed across channels. It has no bias, as in the seed.
    Step 2, ``pointwise_conv``: a 1x1 convolution mixes (sums) the channels
    into ``out_channels`` maps; it has the layer's bias.

    Drop-in for ``nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
    bias=bias)`` at roughly 1/N + 1/Dk^2 of its cost. Notebook 02 builds it from
    the two steps; notebook 03 counts its cost.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1,
                 padding=0, bias: bool = True, depth_multiplier: int = 1):
        super().__init__()
        in_channels = checks.positive_int("in_channels", in_channels)
        out_channels = checks.positive_int("out_channels", out_channels)
        kernel_size = checks.pair("kernel_size", kernel_size)
        stride = checks.pair("stride", stride)
        padding = check_padding(padding, stride)
        checks.boolean("bias", bias)
        depth_multiplier = checks.positive_int("depth_multiplier", depth_multiplier)

        self.in_channels = in_channels
        self.out_channels = out_channels
        self.depth_multiplier = depth_multiplier
        self.depthwise_conv = nn.Conv2d(in_channels, in_channels * depth_multiplier, kernel_size,
                                        stride, padding, groups=in_channels, bias=False)
        self.pointwise_conv = nn.Conv2d(in_channels * depth_multiplier, out_channels, 1, 1, 0,
                                        bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_conv_input(x, self.in_channels, type(self).__name__)
        x = self.depthwise_conv(x)
        x = self.pointwise_conv(x)
        return x

    def extra_repr(self) -> str:
        return (f"in_channels={self.in_channels}, out_channels={self.out_channels}, "
                f"depth_multiplier={self.depth_multiplier}")


# The seed's name for the same layer; kept so the seed's code runs unchanged.
DepthWiseConv2d = DepthwiseSeparableConv2d


@torch.no_grad()
def to_standard_conv(layer: DepthwiseSeparableConv2d) -> nn.Conv2d:
    """The plain ``nn.Conv2d`` that computes exactly what ``layer`` computes.

    Its dense kernel is W[o, c] = sum_j P[o, c*K + j] * D[c*K + j] (K = depth
    multiplier; for K = 1 simply P[o, c] * D[c]): every (output, input) kernel
    is a scaled copy of one of the input channel's K depthwise kernels. So a
    separable conv is a standard conv whose kernel is constrained to low rank,
    which is where its savings and its limits come from (notebook 02).
    """
    if not isinstance(layer, DepthwiseSeparableConv2d):
        raise TypeError(_("to_standard_conv expects a DepthwiseSeparableConv2d, got {type}").format(
            type=type(layer).__name__))
    dw, pw = layer.depthwise_conv, layer.pointwise_conv
    m, k = layer.in_channels, layer.depth_multiplier
    kh, kw = dw.kernel_size
    depthwise = dw.weight.reshape(m, k, kh, kw)              # D[c, j]
    pointwise = pw.weight.reshape(layer.out_channels, m, k)  # P[o, c, j]
    dense = torch.einsum("ocj,cjhw->ochw", pointwise, depthwise)

    conv = nn.Conv2d(m, layer.out_channels, (kh, kw), dw.stride, dw.padding,
                     dilation=dw.dilation, bias=pw.bias is not None,
                     device=dense.device, dtype=dense.dtype)
    conv.weight.copy_(dense)
    if pw.bias is not None:
        conv.bias.copy_(pw.bias)
    return conv


# --- from a standard conv to the closest separable one ------------------------

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
        raise ValueError(_("expected a conv kernel of shape (N, M, kh, kw), got {shape}").format(
            shape=tuple(weight.shape)))
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
        raise TypeError(_("closest_separable expects an nn.Conv2d, got {type}").format(
            type=type(conv).__name__))
    if conv.groups != 1 or conv.dilation != (1, 1) or conv.padding_mode != "zeros":
        raise ValueError(_("closest_separable needs a standard conv: groups=1, dilation=1, zero "
                           "padding; got groups={groups}, dilation={dilation}, padding_mode={mode!r}")
                         .format(groups=conv.groups, dilation=conv.dilation, mode=conv.padding_mode))
    k = checks.positive_int("depth_multiplier", depth_multiplier)
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
