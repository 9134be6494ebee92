"""The depthwise separable convolution layer, as in the seed's code.

Taught in notebooks 01 (depthwise step) and 02 (pointwise step, and the
separable layer as a rank-constrained standard convolution).
"""
from __future__ import annotations

import torch
from torch import nn

from . import _checks


def check_padding(padding, stride: tuple[int, int]):
    """Validate a Conv2d padding: an int, an (h, w) pair, "same" or "valid"."""
    if isinstance(padding, str):
        _checks.choice("padding", padding, ("same", "valid"))
        if padding == "same" and stride != (1, 1):
            raise ValueError(f"padding='same' needs stride 1, got stride={stride}; "
                             "use an integer padding (e.g. kernel_size // 2) with stride > 1")
        return padding
    return _checks.pair("padding", padding, check=_checks.non_negative_int)


def check_conv_input(x, in_channels: int, layer_name: str) -> None:
    """Give a clear error for an input a 2-D convolution cannot take."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{layer_name} expects a torch.Tensor, got {type(x).__name__}")
    if x.dim() not in (3, 4):
        raise ValueError(f"{layer_name} expects input of shape (batch, channels, height, width) "
                         f"or (channels, height, width); got shape {tuple(x.shape)}")
    if x.shape[-3] != in_channels:
        raise ValueError(f"{layer_name} was built for in_channels={in_channels}, but the input "
                         f"has {x.shape[-3]} channels (shape {tuple(x.shape)})")


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
        in_channels = _checks.positive_int("in_channels", in_channels)
        out_channels = _checks.positive_int("out_channels", out_channels)
        kernel_size = _checks.pair("kernel_size", kernel_size)
        stride = _checks.pair("stride", stride)
        padding = check_padding(padding, stride)
        _checks.boolean("bias", bias)
        depth_multiplier = _checks.positive_int("depth_multiplier", depth_multiplier)

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
        raise TypeError("to_standard_conv expects a DepthwiseSeparableConv2d, "
                        f"got {type(layer).__name__}")
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
