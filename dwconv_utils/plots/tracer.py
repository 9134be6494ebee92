"""Static pictures of the pixel tracers and the groups slider (notebooks 01-02): what the widgets
show, for slides and for readers on GitHub, where widgets do not run."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Rectangle

from ..cost import group_choices
from ..groups import grouped_conv
from ..images import CHANNEL_NAMES
from ..style import CHANNEL_CMAPS, CHANNEL_COLORS, DIVERGING_CMAP, color_for
from ..tracer import number_text, trace_conv
from .drawing import as_array, bare_axes, show_signed, symmetric_limit

PADDING_GREY = "#bebebe"
UNFILLED_GREY = "#e8e8e8"


def _show_input(ax, trace, channel: int, title: str = "") -> None:
    """The padded input channel, the padding in grey, the window outlined."""
    values = as_array(trace.padded_input[channel])
    ax.imshow(values, cmap=CHANNEL_CMAPS[channel % 3], vmin=0, vmax=1, interpolation="nearest")
    top, bottom, left, right = trace.padding
    rows, cols = values.shape
    for r0, r1, c0, c1 in ((0, top, 0, cols), (rows - bottom, rows, 0, cols),
                           (0, rows, 0, left), (0, rows, cols - right, cols)):
        if r1 > r0 and c1 > c0:
            ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0, color=PADDING_GREY, lw=0))
    kh, kw = trace.kernel_size
    # Yellow: the window must show on channels drawn from black to their colour.
    ax.add_patch(Rectangle((trace.left - 0.5, trace.top - 0.5), kw, kh, fill=False, lw=2.5, color="#ffd700"))
    bare_axes(ax, title, CHANNEL_COLORS[channel % 3])


def _show_output(ax, output, row: int, col: int, title: str = "", color: str = "black",
                 filled_up_to: int | None = None, limit: float | None = None,
                 colour_bar: bool = False) -> None:
    """An output map with the traced cell outlined; cells after ``filled_up_to`` (row-major) grey;
    with ``colour_bar``, the scale beside it (the text reads values off these maps)."""
    values = as_array(output).astype(float)
    limit = symmetric_limit(values) if limit is None else limit
    image = show_signed(ax, values, title, color, limit)
    if colour_bar:
        ax.figure.colorbar(image, ax=ax, shrink=0.8, aspect=12)
    if filled_up_to is not None:  # grey over the cells the sweep has not reached
        hidden = (np.arange(values.size) > filled_up_to).reshape(values.shape)
        ax.imshow(np.ma.masked_where(~hidden, np.ones_like(values)),
                  cmap=ListedColormap([UNFILLED_GREY]), interpolation="nearest")
    ax.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False, lw=2.5, color="black"))


def _show_numbers(ax, values, digits: int, title: str = "", color: str = "black",
                  trim: bool = False) -> None:
    """A small matrix of numbers written in a grid (a window, a kernel, its products)."""
    values = as_array(values)
    ax.imshow(np.zeros_like(values), cmap="Greys", vmin=0, vmax=1)
    for (r, c), v in np.ndenumerate(values):
        ax.text(c, r, number_text(v, digits, trim), ha="center", va="center",
                fontsize=12, color=color)
    _cell_lines(ax, values.shape, "#999999")
    bare_axes(ax, title, color)


def _cell_lines(ax, shape, color: str) -> None:
    """Thin lines between the cells of a small matrix drawn with imshow."""
    ax.set_xticks(np.arange(shape[1] + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(shape[0] + 1) - 0.5, minor=True)
    ax.grid(which="minor", color=color, lw=1)
    ax.tick_params(which="both", length=0)


def plot_pixel_trace(trace, kernel_names=None, title: str = "") -> plt.Figure:
    """One output position of a depthwise conv (a ``tracer.ConvTrace``), one row per channel:
    the input with its window, the window's numbers, the kernel, the products and their sum,
    and the output map with the value they make (notebook 01's tracer, as a picture)."""
    channels = len(trace.terms)
    names = list(kernel_names) if kernel_names is not None else [f"kernel {c}" for c in range(channels)]
    fig = plt.figure(figsize=(13, 2.3 * channels + 0.7), layout="constrained")
    grid = fig.add_gridspec(channels, 6, width_ratios=[1.2, 1, 1, 1.1, 0.7, 1.2])
    for c, term in enumerate(trace.terms):
        source = term.input_channels[0]
        color = CHANNEL_COLORS[source % 3]
        _show_input(fig.add_subplot(grid[c, 0]), trace, source, f"input {CHANNEL_NAMES[source % 3]}")
        _show_numbers(fig.add_subplot(grid[c, 1]), term.inputs[0], 2, "window", color)
        _show_numbers(fig.add_subplot(grid[c, 2]), term.weights[0], 4, f"\u2299 {names[c]}", trim=True)
        _show_numbers(fig.add_subplot(grid[c, 3]), term.products[0], 3, "= products")
        text = fig.add_subplot(grid[c, 4])
        text.set_axis_off()
        text.text(0.5, 0.5, f"\u03a3 =\n{term.total:.3f}", ha="center", va="center", fontsize=16,
                  color=color, fontweight="bold")
        _show_output(fig.add_subplot(grid[c, 5]), trace.output[c], trace.row, trace.col,
                     f"map {c}: ({trace.row}, {trace.col}) = {trace.value(c):.3f}", color, colour_bar=True)
    fig.suptitle(title, fontsize=16, color=color_for(trace.kind))
    return fig


def sweep_positions(rows: int, cols: int, frames: int = 4) -> list[int]:
    """Row-major positions spread over a sweep, first and last included."""
    return sorted({round(i * (rows * cols - 1) / (frames - 1)) for i in range(frames)})


def plot_sliding_window(depthwise, standard, image, frames: int = 4, title: str = "") -> plt.Figure:
    """The sweep as a strip of frames (one row each): the window on every input channel, the
    depthwise maps filled so far (each channel alone) and the standard conv's map (all channels
    summed). The static view of notebook 01's play control."""
    first = trace_conv(depthwise, image, 0, 0)
    rows, cols = first.output_size
    positions = sweep_positions(rows, cols, frames)
    m = first.in_channels
    limits = [symmetric_limit(first.output[c]) for c in range(m)]
    standard_first = trace_conv(standard, image, 0, 0)
    fig, axes = plt.subplots(len(positions), 2 * m + 1, figsize=(1.55 * (2 * m + 1), 1.75 * len(positions) + 0.6),
                             layout="constrained")
    for i, position in enumerate(positions):
        row, col = divmod(position, cols)
        trace = trace_conv(depthwise, image, row, col)
        for c in range(m):
            _show_input(axes[i, c], trace, c, f"input {CHANNEL_NAMES[c % 3]}" if i == 0 else "")
            _show_output(axes[i, m + c], trace.output[c], row, col,
                         f"depthwise {CHANNEL_NAMES[c % 3]}" if i == 0 else "", CHANNEL_COLORS[c % 3],
                         position, limits[c])
        _show_output(axes[i, 2 * m], standard_first.output[0], row, col,
                     "standard: sum" if i == 0 else "", color_for("standard"), position)
        axes[i, 0].set_ylabel(f"step {position + 1}\nof {rows * cols}", fontsize=12)
        axes[i, 0].yaxis.set_visible(True)
    fig.suptitle(title, fontsize=15, color=color_for("depthwise"))
    return fig


def _show_connections(ax, connections, color: str, title: str) -> None:
    values = as_array(connections).astype(float)
    ax.imshow(values, cmap=ListedColormap(["white", color]), vmin=0, vmax=1)
    _cell_lines(ax, values.shape, "#aaaaaa")
    bare_axes(ax, title, color)
    ax.title.set_fontsize(13)


def plot_groups(M: int = 8, N: int = 8, Dk: int = 3, DF: int = 14, groups=None) -> plt.Figure:
    """Which inputs (columns) each output (rows) sees, for every ``groups`` a conv from M to N
    can have, with its weight shape and cost; last, the depthwise step followed by a 1x1
    pointwise step (the static view of notebook 01's groups slider)."""
    layers = [grouped_conv(M, N, Dk, DF, g) for g in (groups or group_choices(M, N))]
    standard = grouped_conv(M, N, Dk, DF, 1)
    fig, axes = plt.subplots(1, len(layers) + 1, figsize=(2.6 * (len(layers) + 1), 3.9), layout="constrained")
    for ax, layer in zip(axes, layers):
        _show_connections(ax, layer.connections, color_for(layer.kind),
                          f"groups={layer.groups} ({layer.kind})\nweight {layer.weight_shape}")
        ax.set_xlabel(f"{layer.params:,} weights\n{layer.mult_adds / standard.mult_adds:.3g} x standard's "
                      "mult-adds", fontsize=12)
    depthwise = layers[-1]
    both = (depthwise.mult_adds + depthwise.pointwise_mult_adds) / standard.mult_adds
    _show_connections(axes[-1], depthwise.connections_with_pointwise, color_for("pointwise"),
                      f"groups={depthwise.groups}, then 1x1\nevery input again")
    axes[-1].set_xlabel(f"{depthwise.params + depthwise.pointwise_params:,} weights\n{both:.3g} x "
                        "standard's mult-adds", fontsize=12)
    axes[0].set_ylabel(f"{N} outputs", fontsize=12)
    fig.suptitle(f"A {Dk}x{Dk} conv {M} \u2192 {N}: rows = outputs, columns = the {M} inputs, "
                 "coloured = connected", fontsize=14)
    return fig


def plot_separable_trace(trace, kernel_names=None, title: str = "") -> plt.Figure:
    """One output value of a separable layer (a ``tracer.SeparableTrace``): each channel's window
    and depthwise value (rows), then the pointwise sum of those values and the output map
    (notebook 02's tracer, as a picture)."""
    dw, pw, term = trace.depthwise, trace.pointwise, trace.term
    channels = len(dw.terms)
    names = list(kernel_names) if kernel_names is not None else [f"kernel {c}" for c in range(channels)]
    fig = plt.figure(figsize=(13, 2.2 * channels + 0.7), layout="constrained")
    grid = fig.add_gridspec(channels, 5, width_ratios=[1.1, 1, 1.1, 1.5, 1.2])
    for c, dterm in enumerate(dw.terms):
        source = dterm.input_channels[0]
        color = CHANNEL_COLORS[source % 3]
        _show_input(fig.add_subplot(grid[c, 0]), dw, source, f"input {CHANNEL_NAMES[source % 3]}")
        _show_numbers(fig.add_subplot(grid[c, 1]), dterm.weights[0], 4, f"\u2299 {names[c]}", trim=True)
        _show_output(fig.add_subplot(grid[c, 2]), dw.output[c], dw.row, dw.col,
                     f"d{c} = {dterm.total:.3f}", color)
    table = fig.add_subplot(grid[:, 3])
    table.set_axis_off()
    lines = [f"d{c}  {v:7.3f} \u00d7 {w:6.3f} = {v * w:7.3f}"
             for c, (v, w) in enumerate(zip(term.inputs.flatten().tolist(), term.weights.flatten().tolist()))]
    lines += ["", f"\u03a3 = {trace.value:.3f}", "",
              f"{pw.multiplications_per_value} multiplications here,",
              f"standard conv: {trace.standard.multiplications_per_value}"]
    table.text(0.0, 0.5, f"output {trace.out_channel} = P[{trace.out_channel}, :] \u00b7 d\n\n" + "\n".join(lines),
               family="monospace", fontsize=13, va="center", color=color_for("pointwise"))
    _show_output(fig.add_subplot(grid[channels // 2, 4]), pw.output[trace.out_channel], pw.row, pw.col,
                 f"output {trace.out_channel}: {trace.value:.3f}", color_for("pointwise"), colour_bar=True)
    fig.suptitle(title, fontsize=16, color=color_for("separable"))
    return fig
