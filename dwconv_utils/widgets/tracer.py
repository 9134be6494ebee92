"""The pixel tracers of notebooks 01-02 and the groups explorer of notebook 01.

- ``DepthwiseTracer``: pick an output position (row, column, or press play to sweep the
  window over the map); every channel shows its window, its kernel, the k² products and
  their sum, and a standard conv beside it adds all channels' products into one value.
- ``SeparableTracer``: the same position through both steps of a separable layer, one output
  channel at a time, beside the standard conv that computes the same value.
- ``GroupsExplorer``: ``groups`` from 1 to M: which inputs each output sees, the weight shape,
  parameters and mult-adds, and what a 1x1 pointwise step after it restores.

The numbers come from ``tracer`` and ``groups``; the counters state the seed's formulas with
the numbers put in. Maps are PNG tiles (no figure), drawn on one thread: a redraw takes a few
milliseconds. All words the widgets show are in this module.
"""
from __future__ import annotations

import contextlib

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.colors import to_rgb
from PIL import Image as PILImage
from torch import nn

from ..cost import cost_ratio, group_choices
from ..groups import grouped_conv
from ..images import CHANNEL_NAMES, EXAMPLE_KERNELS, depthwise_weight, sample_image
from ..layers import DepthwiseSeparableConv2d
from ..style import CHANNEL_CMAPS, CHANNEL_COLORS, COLORS, DIVERGING_CMAP
from ..tracer import number_text, trace_conv, trace_separable
from .base import Explorer, colormap, png_bytes, styled

# The tracers work on the portrait shrunk to 18 x 16 pixels: every pixel is a visible cell,
# and a sweep over the whole map takes seconds, not minutes.
TRACER_DOWNSAMPLE = 32
CELL_PIXELS = 10          # one input or output pixel on screen
PLAY_INTERVAL_MS = 150    # one window position per step of the play control
UNFILLED = (232, 232, 232)   # output cells the sweep has not reached yet
PADDING_CELL = (190, 190, 190)  # the zeros of the padding
WINDOW_COLOR = (255, 215, 0)     # on the input: yellow shows on black-to-colour ramps and grid lines
VALUE_COLOR = (0, 0, 0)          # on the output: black shows on white-is-zero maps
STRIDES = (1, 2)


def tracer_image() -> torch.Tensor:
    """The small portrait both tracers use, (3, 18, 16)."""
    return sample_image(TRACER_DOWNSAMPLE)


def grid_png(values, cmap: str, vmin: float, vmax: float, box=None, hidden=None,
             padding=(0, 0, 0, 0), cell: int = CELL_PIXELS, box_color=VALUE_COLOR) -> bytes:
    """A small map as PNG with every pixel a square cell and thin white lines between cells.

    ``box`` = (top, left, height, width) in cells is outlined in ``box_color`` (the window, or
    the output cell being computed); ``hidden`` (booleans) greys out cells not computed yet;
    ``padding`` (top, bottom, left, right) cells are drawn as the grey zeros of the border.
    """
    values = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
    scaled = (values - vmin) / (vmax - vmin) if vmax > vmin else np.full(values.shape, 0.5)
    rgb = colormap(cmap)(scaled, bytes=True)[..., :3].copy()
    if hidden is not None:
        rgb[np.asarray(hidden)] = UNFILLED
    top, bottom, left, right = padding
    rows, cols = values.shape
    rgb[:top], rgb[rows - bottom:], rgb[:, :left], rgb[:, cols - right:] = (PADDING_CELL,) * 4
    big = rgb.repeat(cell, 0).repeat(cell, 1)
    big[::cell], big[:, ::cell] = 255, 255
    if box is not None:
        r, c, h, w = (v * cell for v in box)
        r1, c1 = min(r + h, big.shape[0]) - 1, min(c + w, big.shape[1]) - 1
        for thick in range(2):
            big[r + thick, c:c1 + 1] = big[r1 - thick, c:c1 + 1] = box_color
            big[r:r1 + 1, c + thick] = big[r:r1 + 1, c1 - thick] = box_color
    return png_bytes(PILImage.fromarray(np.ascontiguousarray(big)))


_ROW = {"align_items": "center", "flex_flow": "row nowrap"}  # never squeeze or wrap a traced row


def _tile(width: int) -> widgets.Image:
    return widgets.Image(format="png", layout=widgets.Layout(width=f"{width}px", flex="0 0 auto"))


def _unwrapped(html: str) -> str:
    """One line: tables and sums side by side however narrow the notebook is."""
    return f'<div style="white-space:nowrap">{html}</div>'


def _wide_html(min_width: str = "0") -> widgets.HTML:
    """An HTML widget as wide as its content (ipywidgets would cut it at a fixed width); at least
    ``min_width``, so that the maps after it line up from row to row."""
    return widgets.HTML(layout=widgets.Layout(width="auto", min_width=min_width, flex="0 0 auto"))


def _number(value: float, digits: int, trim: bool = False) -> str:
    return number_text(value, digits, trim).replace("-", "&minus;")


def number_grid(values, digits: int = 2, color: str = "black", trim: bool = False) -> str:
    """A small matrix of numbers as an HTML table (a window, a kernel, its products)."""
    values = np.atleast_2d(values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else values)
    cell = ('<td style="border:1px solid #bbb; padding:0 4px; text-align:right; '
            f'font-family:monospace; font-size:13px; color:{color}">')
    rows = "".join("<tr>" + "".join(f"{cell}{_number(v, digits, trim)}</td>" for v in row) + "</tr>"
                   for row in values)
    return f'<table style="border-collapse:collapse; display:inline-table">{rows}</table>'


def _count(value: int) -> str:
    return f"{value:,}"


def _map_size(rows: int, cols: int) -> str:
    return f"{rows} x {cols}"


class _PositionControls:
    """Row and column sliders and a play control for one output map, kept in step: the play
    control walks the positions row by row; moving a slider moves the play control."""

    def __init__(self, rows: int, cols: int, on_move):
        self.row = widgets.IntSlider(0, 0, rows - 1, description="row", continuous_update=True)
        self.col = widgets.IntSlider(0, 0, cols - 1, description="column", continuous_update=True)
        self.play = widgets.Play(value=0, min=0, max=rows * cols - 1, step=1, interval=PLAY_INTERVAL_MS,
                                 description="sweep")
        self._on_move, self._holding = on_move, False
        self.row.observe(lambda _c: self._slider_moved(), names="value")
        self.col.observe(lambda _c: self._slider_moved(), names="value")
        self.play.observe(lambda _c: self._play_moved(), names="value")

    @contextlib.contextmanager
    def holding(self):
        """Change several controls with one redraw at the end (by the caller)."""
        self._holding = True
        try:
            yield
        finally:
            self._holding = False

    @property
    def cols(self) -> int:
        return self.col.max + 1

    @property
    def index(self) -> int:
        """Where the sweep is: positions in row-major order."""
        return self.row.value * self.cols + self.col.value

    def _slider_moved(self) -> None:
        if self._holding:
            return
        with self.holding():
            self.play.value = self.index
        self._on_move()

    def _play_moved(self) -> None:
        if self._holding:
            return
        with self.holding():
            self.row.value, self.col.value = divmod(self.play.value, self.cols)
        self._on_move()

    def resize(self, rows: int, cols: int) -> None:
        """A new output size (stride or padding changed): keep the position where it still fits."""
        with self.holding():
            row, col = min(self.row.value, rows - 1), min(self.col.value, cols - 1)
            self.row.max, self.col.max = rows - 1, cols - 1
            self.row.value, self.col.value = row, col
            self.play.max = rows * cols - 1
            self.play.value = self.index

    def widget(self) -> widgets.HBox:
        return widgets.HBox([self.row, self.col, self.play])


def _unreached(rows: int, cols: int, index: int) -> np.ndarray:
    """Booleans of the output cells the sweep has not reached yet (after ``index``)."""
    return (np.arange(rows * cols) > index).reshape(rows, cols)


class DepthwiseTracer(Explorer):
    """Follow one output value of the depthwise step, channel by channel, beside a standard conv.

    Controls: ``position.row``, ``position.col`` and ``position.play`` (the sweep),
    ``stride_buttons`` and ``padding_buttons``. ``trace`` (depthwise, all channels) and
    ``standard_trace`` (the standard conv 3 -> 1 whose slices are the same kernels) hold what is
    shown. The output maps fill in as the window sweeps: cells after the position are grey.
    Notebook 01.
    """

    draws_on_one_thread = True

    def __init__(self, image: torch.Tensor | None = None, kernel_names=EXAMPLE_KERNELS,
                 kernel_size: int = 3):
        self.image = (tracer_image() if image is None else image).detach().float().cpu()
        m = self.image.shape[0]
        self.weight = depthwise_weight(kernel_names, kernel_size)
        self.kernel_names = tuple(kernel_names)
        self.kernel_size = kernel_size
        self.stride_buttons = widgets.ToggleButtons(options=list(STRIDES), value=1, description="stride")
        self.padding_buttons = widgets.ToggleButtons(
            options=[("0 (valid)", 0), (f"{kernel_size // 2} (same)", kernel_size // 2)], value=0,
            description="padding")
        self._build_convs()
        rows, cols = self.trace_size
        self.position = _PositionControls(rows, cols, self.redraw)
        width = (self.image.shape[2] + 2 * (kernel_size // 2)) * CELL_PIXELS
        self.input_tiles = [_tile(width) for _ in range(m)]
        self.output_tiles = [_tile(width) for _ in range(m)]
        self.sums = [_wide_html("580px") for _ in range(m)]
        self.standard_tile = _tile(width)
        self.standard_sum = widgets.HTML()
        self.counter = widgets.HTML()
        depthwise, standard = COLORS["depthwise"], COLORS["standard"]
        rows_box = widgets.VBox([self._channel_row(c) for c in range(m)])
        self.standard_sum.layout = widgets.Layout(width=f"{width + 40}px", flex="0 0 auto")
        standard_row = widgets.HBox(
            [widgets.HTML(styled("standard conv 3 &rarr; 1 (section 2): the same windows and kernels, "
                                  "but every channel's products go into one sum", standard, bold=True),
                          layout=widgets.Layout(width=f"{width + 40}px", flex="0 0 auto")),
             self.standard_sum, self.standard_tile], layout=_ROW)
        header = widgets.HTML(styled("Depthwise step, one output value at a time: each channel's "
                                      "window &odot; its own kernel, summed within the channel",
                                      depthwise, 18, True))
        legend = widgets.HTML(styled(
            "yellow square = the window on the input, black square = the value it makes; grey border = "
            "the zeros of the padding; light grey output = not computed yet; numbers rounded, "
            "sums exact", size=13))
        super().__init__([header, legend, self.position.widget(),
                          widgets.HBox([self.stride_buttons, self.padding_buttons]),
                          rows_box, standard_row, self.counter])
        self.redraw_on_change([self.stride_buttons, self.padding_buttons])
        self.redraw()

    def _channel_row(self, c: int) -> widgets.HBox:
        color = CHANNEL_COLORS[c % 3]
        return widgets.HBox([widgets.HTML(styled(CHANNEL_NAMES[c % 3], color, 22, True),
                                          layout=widgets.Layout(width="28px", flex="0 0 auto")),
                             self.input_tiles[c], self.sums[c], self.output_tiles[c]], layout=_ROW)

    def _build_convs(self) -> None:
        m, k = self.image.shape[0], self.kernel_size
        stride, padding = self.stride_buttons.value, self.padding_buttons.value
        self.depthwise = nn.Conv2d(m, m, k, stride, padding, groups=m, bias=False)
        self.standard = nn.Conv2d(m, 1, k, stride, padding, bias=False)
        with torch.no_grad():
            self.depthwise.weight.copy_(self.weight)
            self.standard.weight.copy_(self.weight.reshape(1, m, k, k))
        self._settings = (stride, padding)
        trace = trace_conv(self.depthwise, self.image, 0, 0)
        self.trace_size = trace.output_size
        self._limits = [float(trace.output[c].abs().max()) or 1.0 for c in range(m)]
        self._standard_limit = float(trace_conv(self.standard, self.image, 0, 0).output.abs().max()) or 1.0

    def _draw(self) -> None:
        if (self.stride_buttons.value, self.padding_buttons.value) != self._settings:
            self._build_convs()
            self.position.resize(*self.trace_size)
        row, col = self.position.row.value, self.position.col.value
        self.trace = trace = trace_conv(self.depthwise, self.image, row, col)
        self.standard_trace = trace_conv(self.standard, self.image, row, col)
        k, (rows, cols) = self.kernel_size, trace.output_size
        hidden = _unreached(rows, cols, self.position.index)
        for c, term in enumerate(trace.terms):
            channel, color = CHANNEL_NAMES[c % 3], CHANNEL_COLORS[c % 3]
            self.input_tiles[c].value = grid_png(trace.padded_input[c], CHANNEL_CMAPS[c % 3], 0.0, 1.0,
                                                 (trace.top, trace.left, k, k), padding=trace.padding,
                                                 box_color=WINDOW_COLOR)
            self.output_tiles[c].value = grid_png(trace.output[c], DIVERGING_CMAP, -self._limits[c],
                                                  self._limits[c], (row, col, 1, 1), hidden)
            self.sums[c].value = _unwrapped(
                f"{number_grid(term.inputs[0], 2, color)} &odot; {number_grid(term.weights[0], 4, trim=True)} = "
                f"{number_grid(term.products[0], 3)} "
                + styled(f"&Sigma; = {_number(term.total, 3)}", color, 16, True) + " &rarr;")
        standard_term = self.standard_trace.terms[0]
        self.standard_tile.value = grid_png(self.standard_trace.output[0], DIVERGING_CMAP,
                                            -self._standard_limit, self._standard_limit,
                                            (row, col, 1, 1), hidden)
        parts = " + ".join(f"({_number(t.total, 3)})" if t.total < 0 else _number(t.total, 3)
                           for t in trace.terms)
        self.standard_sum.value = styled(
            f"{parts}<br>= <b>{_number(standard_term.total, 3)}</b> "
            f"({standard_term.multiplications} products) &rarr;", COLORS["standard"], 16)
        self.counter.value = self.counter_text()

    def counter_text(self) -> str:
        """The multiplications counted so far and in all, as the seed's formulas with numbers."""
        trace, standard = self.trace, self.standard_trace
        rows, cols = trace.output_size
        done = self.position.index + 1
        m, k2 = trace.in_channels, trace.multiplications_per_value
        lines = [
            f"Output map {_map_size(rows, cols)} (stride {trace.stride[0]}, padding "
            f"{trace.padding[0]}); position ({trace.row}, {trace.col}) is number {done} of {rows * cols}.",
            f"<b>Depthwise:</b> this value takes Dk² = {k2} multiplications in each channel, "
            f"{m * k2} for the {m} values at this position; one channel's whole map "
            f"{k2} &middot; {rows * cols} = {_count(trace.multiplications_per_map)}; "
            f"the whole step <b>{trace.formula}</b>. Done so far: {_count(done * m * k2)}.",
            f"<b>Standard conv beside it:</b> Dk²&middot;M = {standard.multiplications_per_value} for "
            f"its one value; <b>{standard.formula}</b>: as many as the depthwise step's {m} maps, "
            f"for one map. N output maps cost N times that; the pointwise step of notebook 02 "
            f"makes them far more cheaply.",
        ]
        return "<br>".join(styled(line, size=15) for line in lines)

    def __repr__(self) -> str:  # the widget's text form: short, and the same on every run
        return (f"DepthwiseTracer(position=({self.position.row.value}, {self.position.col.value}), "
                f"stride={self.stride_buttons.value}, padding={self.padding_buttons.value})")


def depthwise_tracer(image: torch.Tensor | None = None, kernel_names=EXAMPLE_KERNELS,
                     kernel_size: int = 3) -> DepthwiseTracer:
    """The notebook 01 tracer: one output value of the depthwise step, per channel, with a sweep."""
    return DepthwiseTracer(image, kernel_names, kernel_size)


class SeparableTracer(Explorer):
    """Follow one output value of a depthwise separable layer through both steps.

    ``position`` (row, column, sweep) and ``channel_buttons`` (which output channel) are the
    controls; ``trace`` (a ``tracer.SeparableTrace``) holds what is shown. The layer's
    depthwise kernels and pointwise weights are the caller's; the layer is not changed.
    Notebook 02.
    """

    draws_on_one_thread = True

    def __init__(self, layer: DepthwiseSeparableConv2d, image: torch.Tensor | None = None):
        if not isinstance(layer, DepthwiseSeparableConv2d):
            raise TypeError(f"SeparableTracer traces a DepthwiseSeparableConv2d, got {type(layer).__name__}")
        self.layer = layer
        self.image = (tracer_image() if image is None else image).detach().float().cpu()
        self.channel_buttons = widgets.ToggleButtons(options=list(range(layer.out_channels)), value=0,
                                                     description="output")
        first = trace_separable(layer, self.image, 0, 0, 0)
        rows, cols = first.pointwise.output_size
        self._limits = {"depthwise": [float(first.depthwise.output[c].abs().max()) or 1.0
                                      for c in range(layer.in_channels * layer.depth_multiplier)],
                        "output": float(first.pointwise.output.abs().max()) or 1.0}
        self.position = _PositionControls(rows, cols, self.redraw)
        top, bottom, left, right = first.depthwise.padding
        width = (self.image.shape[2] + left + right) * CELL_PIXELS
        channels = layer.in_channels * layer.depth_multiplier
        self.input_tiles = [_tile(width) for _ in range(layer.in_channels)]
        self.depthwise_tiles = [_tile(width) for _ in range(channels)]
        self.depthwise_sums = [_wide_html("200px") for _ in range(channels)]
        self.pointwise_sum = widgets.HTML()
        self.output_tile = _tile(width)
        self.counter = widgets.HTML()
        depthwise, pointwise = COLORS["depthwise"], COLORS["pointwise"]
        step_1 = widgets.VBox([widgets.HTML(styled("Step 1, depthwise: each channel alone", depthwise,
                                                    16, True))]
                              + [self._depthwise_row(c) for c in range(channels)])
        step_2 = widgets.VBox([widgets.HTML(styled("Step 2, pointwise: mix the channels at this pixel",
                                                    pointwise, 16, True)),
                               self.pointwise_sum, self.output_tile],
                              layout=widgets.Layout(margin="0 0 0 24px"))
        header = widgets.HTML(styled("One output value of the separable layer, through both steps",
                                      COLORS["separable"], 18, True))
        super().__init__([header, self.position.widget(), self.channel_buttons,
                          widgets.HBox([step_1, step_2]), self.counter])
        self.redraw_on_change([self.channel_buttons])
        self.redraw()

    def _depthwise_row(self, c: int) -> widgets.HBox:
        source = c // self.layer.depth_multiplier
        color = CHANNEL_COLORS[source % 3]
        tiles = [self.input_tiles[source]] if c % self.layer.depth_multiplier == 0 else []
        return widgets.HBox([widgets.HTML(styled(CHANNEL_NAMES[source % 3], color, 20, True)), *tiles,
                             self.depthwise_sums[c], self.depthwise_tiles[c]],
                            layout=_ROW)

    def _draw(self) -> None:
        row, col = self.position.row.value, self.position.col.value
        self.trace = trace = trace_separable(self.layer, self.image, row, col, self.channel_buttons.value)
        dw, pw = trace.depthwise, trace.pointwise
        (kh, kw), (rows, cols) = dw.kernel_size, pw.output_size
        hidden = _unreached(rows, cols, self.position.index)
        for c in range(self.layer.in_channels):
            self.input_tiles[c].value = grid_png(dw.padded_input[c], CHANNEL_CMAPS[c % 3], 0.0, 1.0,
                                                 (dw.top, dw.left, kh, kw), padding=dw.padding,
                                                 box_color=WINDOW_COLOR)
        for c, term in enumerate(dw.terms):
            color = CHANNEL_COLORS[term.input_channels[0] % 3]
            self.depthwise_tiles[c].value = grid_png(dw.output[c], DIVERGING_CMAP, -self._limits["depthwise"][c],
                                                     self._limits["depthwise"][c], (row, col, 1, 1), hidden)
            self.depthwise_sums[c].value = _unwrapped(styled(
                f"&Sigma; {term.multiplications} products = <b>{_number(term.total, 3)}</b> &rarr;", color))
        term = trace.term
        table = "".join(
            f"<tr><td>{styled(f'd{c}', CHANNEL_COLORS[(c // self.layer.depth_multiplier) % 3], 15, True)}"
            f"</td><td>{_number(v, 3)}</td><td>&times; {_number(w, 4, trim=True)}</td><td>= {_number(v * w, 3)}</td></tr>"
            for c, (v, w) in enumerate(zip(term.inputs.flatten().tolist(), term.weights.flatten().tolist())))
        bias = f" + bias {_number(term.bias, 3)}" if self.layer.pointwise_conv.bias is not None else ""
        self.pointwise_sum.value = (
            styled(f"output {trace.out_channel} = P[{trace.out_channel}, :] &middot; (d0 ... "
                    f"d{len(dw.terms) - 1}):", COLORS["pointwise"])
            + f'<table style="font-family:monospace; font-size:14px">{table}</table>'
            + styled(f"&Sigma;{bias} = <b>{_number(trace.value, 3)}</b>; the standard conv gets "
                      f"{_number(trace.standard.value(trace.out_channel), 3)} from "
                      f"{trace.standard.multiplications_per_value} products", COLORS["pointwise"]))
        self.output_tile.value = grid_png(pw.output[trace.out_channel], DIVERGING_CMAP, -self._limits["output"],
                                          self._limits["output"], (row, col, 1, 1), hidden)
        self.counter.value = self.counter_text()

    def counter_text(self) -> str:
        """Multiplications for this value, at this pixel and in the whole layer, against the
        standard conv: the count becomes notebook 03's 1/N + 1/Dk²."""
        trace = self.trace
        dw, pw, standard = trace.depthwise, trace.pointwise, trace.standard
        m, n = pw.in_channels, pw.out_channels
        lines = [
            f"<b>This value:</b> {pw.multiplications_per_value} multiplications in the pointwise step, "
            f"on {m} depthwise values that took Dk²&middot;M = {dw.multiplications_per_value * m} "
            f"and serve all N = {n} outputs at this pixel. The standard conv: "
            f"Dk²&middot;M = {standard.multiplications_per_value} for this value alone.",
            f"<b>Separable layer:</b> {trace.formula}.",
            f"<b>Standard conv:</b> {standard.formula}.",
        ]
        k = self.layer.depth_multiplier
        if k == 1:
            dk = dw.kernel_size[0]
            ratio = cost_ratio(n, dk) if dw.kernel_size[0] == dw.kernel_size[1] else trace.ratio
            lines.append(f"<b>Ratio:</b> {_count(trace.multiplications)} / {_count(standard.multiplications)} "
                         f"= {trace.ratio} = 1/N + 1/Dk² = 1/{n} + 1/{dk ** 2} = {ratio} (notebook 03).")
        return "<br>".join(styled(line, size=15) for line in lines)

    def __repr__(self) -> str:
        return (f"SeparableTracer(position=({self.position.row.value}, {self.position.col.value}), "
                f"output={self.channel_buttons.value})")


def separable_tracer(layer: DepthwiseSeparableConv2d, image: torch.Tensor | None = None) -> SeparableTracer:
    """The notebook 02 tracer: one output value of ``layer`` through both steps, with a sweep."""
    return SeparableTracer(layer, image)


class GroupsExplorer(Explorer):
    """``groups`` from 1 (standard) to M (depthwise) for a Dk x Dk conv from M to N channels:
    the connection matrix (which inputs each output sees), the weight shape, parameters and
    mult-adds; with ``pointwise_box`` ticked, a 1x1 step after it and what it restores.
    ``groups_slider`` offers only the divisors of M and N; ``layer`` holds what is shown.
    Notebook 01.
    """

    draws_on_one_thread = True

    def __init__(self, M: int = 8, N: int = 8, Dk: int = 3, DF: int = 14, groups: int = 1):
        self.sizes = (M, N, Dk, DF)
        grouped_conv(M, N, Dk, DF, groups)  # refuses bad sizes before any widget is built
        self.groups_slider = widgets.SelectionSlider(options=list(group_choices(M, N)), value=groups,
                                                     description="groups")
        self.pointwise_box = widgets.Checkbox(value=False, description="then a 1x1 pointwise step")
        self.matrix_tile = _tile(max(M, N) * 2 * CELL_PIXELS)
        self.pointwise_tile = _tile(max(M, N) * 2 * CELL_PIXELS)
        self.text = widgets.HTML()
        self.pointwise_text = widgets.HTML()
        super().__init__([
            widgets.HTML(styled(f"From standard to depthwise: one conv {M} &rarr; {N} channels, "
                                 f"{Dk}x{Dk} kernel, {DF} x {DF} output map", size=18, bold=True)),
            widgets.HBox([self.groups_slider, self.pointwise_box]),
            widgets.HBox([widgets.VBox([self.text, self.matrix_tile]),
                          widgets.VBox([self.pointwise_text, self.pointwise_tile],
                                       layout=widgets.Layout(margin="0 0 0 30px"))]),
        ])
        self.redraw_on_change([self.groups_slider, self.pointwise_box])
        self.redraw()

    @staticmethod
    def _matrix_png(connections: torch.Tensor, color: str) -> bytes:
        rgb = np.array([round(255 * v) for v in to_rgb(color)], dtype=np.uint8)
        values = connections.numpy()
        pixels = np.where(values[..., None], rgb, np.uint8(255)).astype(np.uint8)
        cell = 2 * CELL_PIXELS
        big = pixels.repeat(cell, 0).repeat(cell, 1)
        big[::cell], big[:, ::cell] = 170, 170
        big[-1], big[:, -1] = 170, 170
        return png_bytes(PILImage.fromarray(np.ascontiguousarray(big)))

    def _draw(self) -> None:
        M, N, Dk, DF = self.sizes
        self.layer = layer = grouped_conv(M, N, Dk, DF, self.groups_slider.value)
        standard = grouped_conv(M, N, Dk, DF, 1)
        color = COLORS[layer.kind]
        examples = {"standard": "a standard conv", "pointwise": "a 1x1 conv", "grouped": "a grouped conv (as in AlexNet and ResNeXt)",
                    "depthwise": "the depthwise step"}
        share = "" if layer.groups == 1 else f", 1/{layer.groups} of the standard conv's"
        self.text.value = "<br>".join([
            styled(f"groups = {layer.groups}: {examples[layer.kind]}", color, 17, True),
            styled(f"weight shape (N, M/groups, Dk, Dk) = {layer.weight_shape}"),
            styled(f"each output sees {layer.inputs_per_output} of the {M} inputs"),
            styled(f"{_count(layer.params)} weights, {_count(layer.mult_adds)} mult-adds{share}"),
            styled(f"rows: {N} outputs; columns: {M} inputs; coloured = connected", size=13),
        ])
        self.matrix_tile.value = self._matrix_png(layer.connections, color)
        if self.pointwise_box.value:
            total_macs = layer.mult_adds + layer.pointwise_mult_adds
            mixed = bool(layer.connections_with_pointwise.all())
            self.pointwise_text.value = "<br>".join([
                styled(f"then 1x1 pointwise, {N} &rarr; {N}", COLORS["pointwise"], 17, True),
                styled(f"+ {_count(layer.pointwise_params)} weights, "
                        f"+ {_count(layer.pointwise_mult_adds)} mult-adds"),
                styled("every output sees every input again" if mixed else "some inputs stay unseen"),
                styled(f"together {_count(layer.params + layer.pointwise_params)} weights, "
                        f"{_count(total_macs)} mult-adds (standard: {_count(standard.mult_adds)})"),
                styled("who reaches whom after both steps", size=13),
            ])
            self.pointwise_tile.value = self._matrix_png(layer.connections_with_pointwise, COLORS["pointwise"])
            self.pointwise_tile.layout.visibility = "visible"
        else:
            self.pointwise_text.value = ""
            self.pointwise_tile.layout.visibility = "hidden"

    def __repr__(self) -> str:
        return f"GroupsExplorer(groups={self.groups_slider.value}, pointwise={self.pointwise_box.value})"


def groups_explorer(M: int = 8, N: int = 8, Dk: int = 3, DF: int = 14, groups: int = 1) -> GroupsExplorer:
    """The notebook 01 groups slider: standard, grouped and depthwise as points on one axis."""
    return GroupsExplorer(M, N, Dk, DF, groups)
