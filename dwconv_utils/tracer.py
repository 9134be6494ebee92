"""Follow one output value through a convolution: its input window, the weights, every product
and their sum, and how many multiplications the value, its map and the whole layer take.

``trace_conv(conv, x, row, col)`` traces one position of any ``nn.Conv2d`` (standard,
grouped, depthwise with any depth multiplier, pointwise; any stride and zero padding).
``trace_separable(layer, x, row, col, out_channel)`` traces the two steps of a
``DepthwiseSeparableConv2d`` and, beside them, the standard conv that computes the same value.
The counts are stated in the seed's symbols (Dk^2*M*DF^2 + M*N*DF^2) with the numbers put in,
from the formulas of ``cost``, so they are the numbers ``cost_table`` gives for the same layer.
Notebooks 01 (depthwise) and 02 (pointwise, the whole layer); the widgets of
``widgets.tracer`` draw them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import torch
import torch.nn.functional as F
from torch import nn

from . import checks
from .i18n import N_, _
from .cost import (conv_output_size, depthwise_conv_macs, grouped_conv_macs, kind_of,
                   pointwise_conv_macs, standard_conv_macs)
from .layers import DepthwiseSeparableConv2d, to_standard_conv

AGREEMENT_TOLERANCE = 1e-5  # float32 sums in another order than the conv's own


def padding_amounts(conv: nn.Conv2d) -> tuple[int, int, int, int]:
    """Zeros added (top, bottom, left, right) by ``conv``, as PyTorch adds them ("same" puts
    the odd one at the bottom and right)."""
    kh, kw = conv.kernel_size
    if conv.padding == "valid":
        return 0, 0, 0, 0
    if conv.padding == "same":
        top, left = (kh - 1) // 2, (kw - 1) // 2
        return top, kh - 1 - top, left, kw - 1 - left
    ph, pw = conv.padding
    return ph, ph, pw, pw


def _checked_conv(conv) -> nn.Conv2d:
    if not isinstance(conv, nn.Conv2d):
        raise TypeError(_("trace_conv traces an nn.Conv2d, got {type}").format(type=type(conv).__name__))
    if tuple(conv.dilation) != (1, 1):
        raise ValueError(_("trace_conv traces undilated convolutions (dilation 1), got "
                           "dilation={dilation}").format(dilation=tuple(conv.dilation)))
    if conv.padding_mode != "zeros":
        raise ValueError(_("trace_conv traces zero padding, got padding_mode={mode!r}").format(
            mode=conv.padding_mode))
    return conv


def _checked_input(x, in_channels: int) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(_("x must be a torch.Tensor of shape (channels, height, width), got "
                          "{type}").format(type=type(x).__name__))
    if x.dim() == 4 and x.shape[0] == 1:
        x = x[0]
    if x.dim() != 3:
        raise ValueError(_("x must be one image, (channels, height, width) or (1, channels, "
                           "height, width); got shape {shape}").format(shape=tuple(x.shape)))
    if x.shape[0] != in_channels:
        raise ValueError(_("the conv takes {expected} input channels, but x has {found} (shape "
                           "{shape})").format(expected=in_channels, found=x.shape[0],
                                              shape=tuple(x.shape)))
    return x.detach().float()


_KERNEL_TOO_HIGH = N_("a kernel {k} pixels high does not fit an input height of {size} with "
                      "{before} + {after} zeros of padding ({padded} in all); need at least {k}: "
                      "a smaller kernel or more padding")
_KERNEL_TOO_WIDE = N_("a kernel {k} pixels wide does not fit an input width of {size} with "
                      "{before} + {after} zeros of padding ({padded} in all); need at least {k}: "
                      "a smaller kernel or more padding")


def output_size(conv: nn.Conv2d, height: int, width: int) -> tuple[int, int]:
    """Rows and columns of ``conv``'s output map for an input of ``height`` x ``width``.

    A kernel larger than the padded input is refused with a ``ValueError`` that says so.
    """
    top, bottom, left, right = padding_amounts(_checked_conv(conv))
    sizes = []
    for axis, size, before, after, k, s, too_small in (
            ("height", height, top, bottom, conv.kernel_size[0], conv.stride[0], _KERNEL_TOO_HIGH),
            ("width", width, left, right, conv.kernel_size[1], conv.stride[1], _KERNEL_TOO_WIDE)):
        padded = checks.positive_int(axis, size) + before + after
        if padded < k:
            raise ValueError(_(too_small).format(k=k, size=size, before=before, after=after,
                                                 padded=padded))
        sizes.append(conv_output_size(padded, k, s))
    return sizes[0], sizes[1]


def number_text(value: float, digits: int, trim: bool = False) -> str:
    """A traced number for the screen: ``digits`` decimals (trailing zeros cut with ``trim``:
    0.0625, -1, 2), never "-0"."""
    text = f"{value:.{digits}f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if float(text) == 0 else text


def _square(rows: int, cols: int) -> str:
    """DF^2 in words with numbers: 14² for a square map, (16·14) otherwise."""
    return f"{rows}²" if rows == cols else f"({rows}·{cols})"


def _kernel_area(kh: int, kw: int) -> str:
    return f"{kh}²" if kh == kw else f"({kh}·{kw})"


@dataclass(frozen=True)
class OutputTerm:
    """One output value as a sum: the window of the input channels it sees, the weights,
    their products, and the bias (0 without one)."""

    channel: int
    input_channels: tuple[int, ...]
    inputs: torch.Tensor    # (channels it sees, kh, kw), zeros where the window covers padding
    weights: torch.Tensor   # the same shape
    bias: float

    @property
    def products(self) -> torch.Tensor:
        return self.inputs * self.weights

    @property
    def total(self) -> float:
        """The sum of the products (plus the bias): the output value, computed by hand."""
        return float(self.products.double().sum()) + self.bias

    @property
    def multiplications(self) -> int:
        return self.products.numel()


@dataclass(frozen=True)
class ConvTrace:
    """One position of a conv's output, traced: ``terms`` holds one ``OutputTerm`` per output
    channel; ``output`` is the conv's whole output map, computed by PyTorch, to check against.

    ``top``/``left`` place the window in ``padded_input`` (the input with its zero border).
    The ``multiplications_*`` properties count by hand; ``formula`` states the layer's
    count in the seed's symbols, computed by ``cost``'s formulas."""

    row: int
    col: int
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int, int, int]  # top, bottom, left, right
    groups: int
    padded_input: torch.Tensor          # (M, H + top + bottom, W + left + right)
    output: torch.Tensor                # (N, rows, cols)
    terms: tuple[OutputTerm, ...]

    @property
    def top(self) -> int:
        return self.row * self.stride[0]

    @property
    def left(self) -> int:
        return self.col * self.stride[1]

    @property
    def in_channels(self) -> int:
        return self.padded_input.shape[0]

    @property
    def out_channels(self) -> int:
        return self.output.shape[0]

    @property
    def output_size(self) -> tuple[int, int]:
        return tuple(self.output.shape[1:])

    @property
    def kind(self) -> str:
        """'standard', 'grouped', 'depthwise' or 'pointwise', as ``cost_table`` names it."""
        return kind_of(self.groups, self.in_channels, self.kernel_size)

    def value(self, channel: int) -> float:
        """Output channel ``channel`` at the traced position, as PyTorch computed it."""
        return float(self.output[channel, self.row, self.col])

    @property
    def agrees(self) -> bool:
        """Every hand-made sum equals the conv's own output at this position."""
        return all(math.isclose(term.total, self.value(term.channel), rel_tol=1e-4,
                                abs_tol=AGREEMENT_TOLERANCE) for term in self.terms)

    @property
    def multiplications_per_value(self) -> int:
        """Multiplications for one output value: Dk²·(M/groups)."""
        return self.terms[0].multiplications

    @property
    def multiplications_per_map(self) -> int:
        """For one whole output map: every position of it."""
        rows, cols = self.output_size
        return self.multiplications_per_value * rows * cols

    @property
    def multiplications(self) -> int:
        """For the whole layer: every output map."""
        return self.multiplications_per_map * self.out_channels

    @property
    def formula_macs(self) -> int:
        """The layer's mult-adds from ``cost``'s formula for its kind (equal to
        ``multiplications``: the tests and the notebooks check it)."""
        m, n, area, dk = self.in_channels, self.out_channels, self.output_size, self.kernel_size
        if self.kind == "depthwise":
            return depthwise_conv_macs(dk, m, area, depth_multiplier=n // m)
        if self.kind == "pointwise":
            return pointwise_conv_macs(m, n, area)
        if self.kind == "standard":
            return standard_conv_macs(dk, m, n, area)
        return grouped_conv_macs(dk, m, n, area, self.groups)

    @property
    def formula(self) -> str:
        """The layer's count in the seed's symbols, then with the numbers: Dk²·M·DF² = 3²·3·14² = 5,292."""
        m, n = self.in_channels, self.out_channels
        dk, df = _kernel_area(*self.kernel_size), _square(*self.output_size)
        if self.kind == "depthwise":
            k = n // m
            symbols, numbers = ("Dk²·M·DF²", f"{dk}·{m}·{df}") if k == 1 else \
                ("Dk²·M·K·DF²", f"{dk}·{m}·{k}·{df}")
        elif self.kind == "pointwise":
            symbols, numbers = "M·N·DF²", f"{m}·{n}·{df}"
        elif self.kind == "standard":
            symbols, numbers = "Dk²·M·N·DF²", f"{dk}·{m}·{n}·{df}"
        else:
            symbols, numbers = "Dk²·(M/g)·N·DF²", f"{dk}·({m}/{self.groups})·{n}·{df}"
        return f"{symbols} = {numbers} = {self.formula_macs:,}"


def trace_conv(conv: nn.Conv2d, x: torch.Tensor, row: int, col: int) -> ConvTrace:
    """Trace output position (``row``, ``col``) of ``conv`` on the image ``x`` (channels, height,
    width): for every output channel, the window it multiplies, the weights, the products.

    Positions outside the output map raise a ``ValueError`` that gives the map's size.
    Neither ``conv`` nor ``x`` is changed.
    """
    conv = _checked_conv(conv)
    x = _checked_input(x, conv.in_channels)
    rows, cols = output_size(conv, x.shape[1], x.shape[2])
    for name, value, size in (("row", row, rows), ("col", col, cols)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < size:
            raise ValueError(_("{name} must be an integer from 0 to {last}: the output map is "
                               "{rows} x {cols} here; got {value!r}").format(
                name=name, last=size - 1, rows=rows, cols=cols, value=value))
    top, bottom, left, right = padding_amounts(conv)
    weight = conv.weight.detach().float()
    bias = conv.bias.detach().float() if conv.bias is not None else None
    with torch.no_grad():
        padded = F.pad(x, (left, right, top, bottom))
        output = F.conv2d(padded[None], weight, bias, conv.stride, 0, 1, conv.groups)[0]
    kh, kw = conv.kernel_size
    r0, c0 = row * conv.stride[0], col * conv.stride[1]
    window = padded[:, r0:r0 + kh, c0:c0 + kw]
    per_group_in, per_group_out = conv.in_channels // conv.groups, conv.out_channels // conv.groups
    terms = []
    for o in range(conv.out_channels):
        first = (o // per_group_out) * per_group_in
        seen = tuple(range(first, first + per_group_in))
        terms.append(OutputTerm(o, seen, window[first:first + per_group_in].clone(), weight[o].clone(),
                                float(bias[o]) if bias is not None else 0.0))
    return ConvTrace(row, col, (kh, kw), tuple(conv.stride), (top, bottom, left, right), conv.groups,
                     padded, output, tuple(terms))


@dataclass(frozen=True)
class SeparableTrace:
    """One output value of a depthwise separable layer, step by step: ``depthwise`` (every
    channel's window and kernel at the position), ``pointwise`` (the M depthwise values times
    one output channel's M weights), and ``standard``, the standard conv with the same
    kernel (``to_standard_conv``) computing the same value from all M·Dk² products at once."""

    out_channel: int
    depthwise: ConvTrace
    pointwise: ConvTrace
    standard: ConvTrace

    @property
    def term(self) -> OutputTerm:
        """The pointwise sum that gives the traced output value."""
        return self.pointwise.terms[self.out_channel]

    @property
    def value(self) -> float:
        return self.pointwise.value(self.out_channel)

    @property
    def agrees(self) -> bool:
        """Every step's sums equal PyTorch's output, and the standard conv gives the same value."""
        return (self.depthwise.agrees and self.pointwise.agrees and self.standard.agrees
                and math.isclose(self.standard.value(self.out_channel), self.value, rel_tol=1e-4,
                                 abs_tol=AGREEMENT_TOLERANCE))

    @property
    def multiplications(self) -> int:
        """The whole separable layer: Dk²·M·DF² + M·N·DF²."""
        return self.depthwise.multiplications + self.pointwise.multiplications

    @property
    def ratio(self) -> Fraction:
        """Separable / standard multiplications, exactly (1/N + 1/Dk² for K = 1)."""
        return Fraction(self.multiplications, self.standard.multiplications)

    @property
    def formula(self) -> str:
        """Dk²·M·DF² + M·N·DF² with the numbers put in, and its total."""
        dw, pw = self.depthwise.formula.split(" = "), self.pointwise.formula.split(" = ")
        return (f"{dw[0]} + {pw[0]} = {dw[1]} + {pw[1]} = {dw[2]} + {pw[2]} = "
                f"{self.multiplications:,}")


def trace_separable(layer: DepthwiseSeparableConv2d, x: torch.Tensor, row: int, col: int,
                    out_channel: int = 0) -> SeparableTrace:
    """Trace output channel ``out_channel`` at (``row``, ``col``) through both steps of ``layer``
    (and through the equal standard conv). The layer is not changed."""
    if not isinstance(layer, DepthwiseSeparableConv2d):
        raise TypeError(_("trace_separable traces a DepthwiseSeparableConv2d, got {type}").format(
            type=type(layer).__name__))
    n = layer.out_channels
    if isinstance(out_channel, bool) or not isinstance(out_channel, int) or not 0 <= out_channel < n:
        raise ValueError(_("out_channel must be an integer from 0 to {last} (the layer has {n} "
                           "output channels); got {value!r}").format(last=n - 1, n=n, value=out_channel))
    depthwise = trace_conv(layer.depthwise_conv, x, row, col)
    pointwise = trace_conv(layer.pointwise_conv, depthwise.output, row, col)
    standard = trace_conv(to_standard_conv(layer), x, row, col)
    return SeparableTrace(out_channel, depthwise, pointwise, standard)
