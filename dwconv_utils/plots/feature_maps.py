"""Figures of notebooks 01-02: an image's channels, depthwise maps row by row, pointwise mixing,
kernel grids, map grids, and the closest separable layer's error against its cost."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..images import CHANNEL_NAMES
from ..style import CHANNEL_CMAPS, CHANNEL_COLORS, CHANNEL_LEGEND, DIVERGING_CMAP, color_for
from .drawing import (MAP_INCHES, arrow, as_array, bare_axes, show_kernel, show_signed,
                      symmetric_limit, write_weights)


def _show_channel(ax, channel, index: int, title: str = "") -> None:
    """An input channel in its own colour, black to full colour (bright = bright), on a fixed 0..1 scale."""
    ax.imshow(as_array(channel), cmap=CHANNEL_CMAPS[index % 3], vmin=0, vmax=1,
              interpolation="nearest")
    bare_axes(ax, title, CHANNEL_COLORS[index % 3])


def plot_channels(image) -> plt.Figure:
    """The colour image and its R, G, B channels as separate maps (notebook 01).

    Each channel is drawn from black to its own colour on the same 0..1 scale, so a
    brighter pixel is a brighter value in that channel (the figure says so).
    """
    pixels = as_array(image)
    fig, axes = plt.subplots(1, 4, figsize=(4 * MAP_INCHES * 1.15, MAP_INCHES * 1.5),
                             layout="constrained")
    axes[0].imshow(pixels.transpose(1, 2, 0).clip(0, 1), interpolation="nearest")
    bare_axes(axes[0], "colour image")
    for c, ax in enumerate(axes[1:]):
        _show_channel(ax, pixels[c], c, f"channel {CHANNEL_NAMES[c]}")
    fig.suptitle("One image = three channels: the input of every conv layer", fontsize=16)
    fig.supxlabel(CHANNEL_LEGEND, fontsize=12)
    return fig


def plot_channel_rows(image, kernels, maps, kernel_names=None, sum_map=None, title: str = "",
                      kind: str = "depthwise") -> plt.Figure:
    """One row per input channel: the channel, its kernel(s), the map(s) they make (notebook 01).

    ``kernels`` holds M*K kernels and ``maps`` M*K maps, in channel order (K
    per channel: the depth multiplier), as a depthwise conv lays them out.
    With ``sum_map`` the per-channel maps are the parts of a standard conv and
    arrows lead into their sum; without it (depthwise) nothing is summed.
    """
    pixels, maps = as_array(image), as_array(maps)
    m = pixels.shape[0]
    kernel_size = kernels.shape[-1]
    kernels = as_array(kernels).reshape(m, -1, kernel_size, kernel_size)
    per_channel = kernels.shape[1]
    maps = maps.reshape(m, per_channel, *maps.shape[-2:])
    names = list(kernel_names) if kernel_names is not None else [None] * (m * per_channel)

    ratios = [1] + [0.55, 1] * per_channel + ([0.35, 1.1] if sum_map is not None else [])
    width = max(sum(ratios) * MAP_INCHES * 1.05, 9.5)  # room for a one-line title
    fig = plt.figure(figsize=(width, m * MAP_INCHES * 1.1 + 0.8),
                     layout="constrained")
    grid = fig.add_gridspec(m, len(ratios), width_ratios=ratios)
    part_axes = []
    for c in range(m):
        _show_channel(fig.add_subplot(grid[c, 0]), pixels[c], c, f"input {CHANNEL_NAMES[c]}")
        for j in range(per_channel):
            name = names[c * per_channel + j]
            label = name or f"kernel {c * per_channel + j}"
            show_kernel(fig.add_subplot(grid[c, 1 + 2 * j]), kernels[c, j], label)
            ax = fig.add_subplot(grid[c, 2 + 2 * j])
            show_signed(ax, maps[c, j], f"{CHANNEL_NAMES[c]} \u22c6 {label}", CHANNEL_COLORS[c])
            part_axes.append(ax)
    if sum_map is not None:
        ax_sum = fig.add_subplot(grid[m // 2, -1])
        show_signed(ax_sum, sum_map, "sum of the parts", color_for("standard"))
        for ax in part_axes:
            arrow(fig, ax, ax_sum, color_for("standard"))
    fig.suptitle(title, fontsize=16, color=color_for(kind))
    return fig


def plot_pointwise_mixing(maps, weights, outputs, input_titles=None,
                          title: str = "") -> plt.Figure:
    """Input maps, the N x M weight matrix of a 1x1 conv, and the N maps it makes (notebook 02).

    Laid out as the matrix multiply it is: input map c stands above column c
    of the weights, output n beside row n, and output n = sum_c weights[n, c]
    * map c at every pixel.
    """
    maps, weights, outputs = as_array(maps), as_array(weights), as_array(outputs)
    m, n = maps.shape[0], outputs.shape[0]
    titles = list(input_titles) if input_titles is not None else [f"map {c}" for c in range(m)]
    pointwise = color_for("pointwise")
    # Sized for a 1280 x 720 projector: four rows of maps must fit its height.
    side = MAP_INCHES * 0.7
    fig = plt.figure(figsize=((m + 1) * side * 1.2, (n + 1) * side * 1.2 + 0.6), layout="constrained")
    grid = fig.add_gridspec(n + 1, m + 1)
    ax_w = fig.add_subplot(grid[1:, :m])
    _show_weight_matrix(ax_w, weights)
    for c in range(m):
        ax = fig.add_subplot(grid[0, c])
        show_signed(ax, maps[c], titles[c], CHANNEL_COLORS[c % 3])
        column = ax_w.inset_axes([c / m, 1, 1 / m, 0.01])
        column.set_axis_off()
        arrow(fig, ax, column, CHANNEL_COLORS[c % 3], downwards=True)
    for o in range(n):
        ax = fig.add_subplot(grid[1 + o, m])
        show_signed(ax, outputs[o], f"output {o}", pointwise)
        row = ax_w.inset_axes([1, 1 - (o + 1) / n, 0.01, 1 / n])
        row.set_axis_off()
        arrow(fig, row, ax, pointwise)
    fig.suptitle(title, fontsize=16, color=pointwise)
    return fig


def _show_weight_matrix(ax, weights) -> None:
    """The 1x1 conv's weights as a table of coloured cells, stretched to line up with the maps."""
    n, m = weights.shape
    limit = symmetric_limit(weights)
    ax.imshow(weights, cmap=DIVERGING_CMAP, vmin=-limit, vmax=limit, aspect="auto")
    write_weights(ax, weights, limit, fontsize=18)
    ax.set_xticks([])
    ax.set_xlabel(f"pointwise weights P ({n} x {m}): row n makes output n",
                  color=color_for("pointwise"), fontsize=14)
    ax.set_yticks(range(n), [f"P[{o}, :]" for o in range(n)])
    ax.tick_params(length=0, labelsize=14)
    for spine in ax.spines.values():
        spine.set_visible(False)


def plot_kernel_grids(kernels_by_title: dict, title: str = "") -> plt.Figure:
    """Dense (N, M, k, k) kernels as N x M grids of small kernels, side by side (notebook 02).

    One colour scale for all, so equal colours are equal weights across grids.
    Row o, column c is the kernel from input channel c to output o.
    """
    blocks = {name: as_array(w) for name, w in kernels_by_title.items()}
    n, m = next(iter(blocks.values())).shape[:2]
    limit = max(symmetric_limit(w) for w in blocks.values())
    inches = 1.9 if len(blocks) == 1 else 1.5  # one grid alone gets bigger cells
    fig = plt.figure(figsize=(max(len(blocks) * (m * inches + 0.6), 6.5), n * inches + 1.3),
                     layout="constrained")
    panels = fig.subfigures(1, len(blocks))
    for panel, (name, weight) in zip(np.atleast_1d(panels), blocks.items()):
        axes = panel.subplots(n, m, squeeze=False)
        for (o, c), ax in np.ndenumerate(axes):
            show_kernel(ax, weight[o, c], limit=limit)
            if o == 0:
                ax.set_title(f"from {CHANNEL_NAMES[c] if m <= 3 else c}",
                             color=CHANNEL_COLORS[c % 3] if m <= 3 else "black", fontsize=12)
            if c == 0:
                ax.set_ylabel(f"to out {o}", fontsize=12)
        panel.suptitle(name, fontsize=14)
    fig.suptitle(title, fontsize=16)
    return fig


def plot_map_grid(maps, row_titles, column_titles, title: str = "",
                  row_kinds=None) -> plt.Figure:
    """A grid of signed maps, rows = layers, columns = output channels (notebook 02).

    Each column has one colour scale, so a near-zero map looks blank next to
    a strong one instead of being stretched to full contrast.
    """
    maps = as_array(maps)
    rows, cols = maps.shape[:2]
    kinds = list(row_kinds) if row_kinds is not None else ["other"] * rows
    # At most 13 inches (about 1,040 pixels) wide, so that the grid fits a 1280 x 720 projector.
    side = min(MAP_INCHES * 1.2, 11.8 / cols)
    fig, axes = plt.subplots(rows, cols, squeeze=False, layout="constrained",
                             figsize=(max(cols * side + 1.2, 7.5), rows * side * 0.95 + 0.8))
    limits = [symmetric_limit(maps[:, c]) for c in range(cols)]
    for (r, c), ax in np.ndenumerate(axes):
        show_signed(ax, maps[r, c], column_titles[c] if r == 0 else "", limit=limits[c])
        if c == 0:
            ax.set_ylabel(row_titles[r], color=color_for(kinds[r]), fontsize=14)
    fig.suptitle(title, fontsize=16)
    return fig


def plot_rank_tradeoff(depth_multipliers, kernel_errors, separable_weights,
                       standard_weights: int, title: str = "") -> plt.Figure:
    """Closest-separable error and weight count against the depth multiplier K (notebook 02).

    Left: how far the best separable layer's dense kernel is from the standard
    one (0 = exact). Right: what that layer costs in weights, next to the
    standard conv's.
    """
    fig, (ax_err, ax_w) = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
    separable = color_for("separable")
    ax_err.plot(depth_multipliers, kernel_errors, "o-", color=separable, lw=2.5, ms=8)
    ax_err.set_xlabel("depth multiplier K")
    ax_err.set_ylabel("relative kernel error")
    ax_err.set_ylim(bottom=0)
    ax_err.set_title("closest separable kernel: error", color=separable)
    ax_w.plot(depth_multipliers, separable_weights, "o-", color=separable, lw=2.5, ms=8,
              label="separable")
    ax_w.axhline(standard_weights, color=color_for("standard"), lw=2.5, ls="--", label="standard")
    ax_w.set_xlabel("depth multiplier K")
    ax_w.set_ylabel("weights")
    ax_w.set_ylim(bottom=0)
    ax_w.set_title("what it costs: weights", color=separable)
    ax_w.legend(loc="upper left")
    for ax in (ax_err, ax_w):
        ax.set_xticks(list(depth_multipliers))
    fig.suptitle(title, fontsize=16)
    return fig
