"""Figures for the notebooks, in the collection's style (``style.py``).

Each function draws one kind of figure and returns the matplotlib Figure.
"""
from __future__ import annotations

import matplotlib.pyplot as plt

from .style import COLORS, apply_style, color_for  # noqa: F401  (shared by every section)


# --- Notebooks 01-02: channels, depthwise maps, pointwise mixing ---------------
# (imports kept in this section so each section merges on its own)
import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib.patches import ConnectionPatch  # noqa: E402

from .images import CHANNEL_NAMES  # noqa: E402
from .style import CHANNEL_CMAPS, CHANNEL_COLORS, DIVERGING_CMAP  # noqa: E402

MAP_INCHES = 2.4  # height of one feature map: three rows fill a slide


def _array(values) -> np.ndarray:
    return values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)


def symmetric_limit(values) -> float:
    """The colour limit that puts zero at the centre of the diverging colour map (notebooks 01-02)."""
    limit = float(np.abs(_array(values)).max())
    return limit if limit > 0 else 1.0


def _bare(ax, title: str = "", color: str = "black") -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, color=color)


def _show_channel(ax, channel, index: int, title: str = "") -> None:
    """An input channel in its own colour (dark = bright pixel), on a fixed 0..1 scale."""
    ax.imshow(_array(channel), cmap=CHANNEL_CMAPS[index % 3], vmin=0, vmax=1,
              interpolation="nearest")
    _bare(ax, title, CHANNEL_COLORS[index % 3])


def _show_signed(ax, values, title: str = "", color: str = "black", limit: float | None = None):
    """A signed map: white is zero, red positive, blue negative."""
    limit = symmetric_limit(values) if limit is None else limit
    # Nearest: pixels stay pixels, and the saved figure compresses to half the size.
    image = ax.imshow(_array(values), cmap=DIVERGING_CMAP, vmin=-limit, vmax=limit,
                      interpolation="nearest")
    _bare(ax, title, color)
    return image


def _weight_text(weight: float) -> str:
    """A weight short enough to fit its cell: 2, -0.5, .06 (no "-0")."""
    weight = round(float(weight), 2) + 0.0
    if weight.is_integer():
        return str(int(weight))
    return f"{weight:.2f}".rstrip("0").replace("0.", ".", 1)


def _write_weights(ax, values, limit: float, fontsize: float) -> None:
    """Write each weight in its cell, white on the dark cells so it stays readable."""
    for (row, col), weight in np.ndenumerate(values):
        ax.text(col, row, _weight_text(weight), ha="center", va="center", fontsize=fontsize,
                color="white" if abs(weight) > 0.6 * limit else "black")


def _show_kernel(ax, kernel, title: str = "", color: str = "black", limit: float | None = None):
    """A small kernel with its weights written in, when they fit (up to 5 x 5)."""
    values = _array(kernel)
    limit = symmetric_limit(values) if limit is None else limit
    _show_signed(ax, values, title, color, limit)
    if values.shape[0] <= 5:
        _write_weights(ax, values, limit, fontsize=12 if values.shape[0] <= 3 else 8)


def _arrow(fig, ax_from, ax_to, color: str, downwards: bool = False) -> None:
    """An arrow from one axes to the next: right edge to left edge, or bottom to top."""
    start, end = ((0.5, -0.02), (0.5, 1.02)) if downwards else ((1.02, 0.5), (-0.02, 0.5))
    fig.add_artist(ConnectionPatch(xyA=start, coordsA=ax_from.transAxes,
                                   xyB=end, coordsB=ax_to.transAxes,
                                   arrowstyle="-|>", mutation_scale=22, lw=2, color=color))


def plot_channels(image) -> plt.Figure:
    """The colour image and its R, G, B channels as separate maps (notebook 01).

    Each channel is drawn in its own colour on the same 0..1 scale, so a
    darker pixel is a brighter value in that channel.
    """
    pixels = _array(image)
    fig, axes = plt.subplots(1, 4, figsize=(4 * MAP_INCHES * 1.15, MAP_INCHES * 1.5),
                             layout="constrained")
    axes[0].imshow(pixels.transpose(1, 2, 0).clip(0, 1), interpolation="nearest")
    _bare(axes[0], "colour image")
    for c, ax in enumerate(axes[1:]):
        _show_channel(ax, pixels[c], c, f"channel {CHANNEL_NAMES[c]}")
    fig.suptitle("One image = three channels: the input of every conv layer", fontsize=16)
    return fig


def plot_channel_rows(image, kernels, maps, kernel_names=None, sum_map=None, title: str = "",
                      kind: str = "depthwise") -> plt.Figure:
    """One row per input channel: the channel, its kernel(s), the map(s) they make (notebook 01).

    ``kernels`` holds M*K kernels and ``maps`` M*K maps, in channel order (K
    per channel: the depth multiplier), as a depthwise conv lays them out.
    With ``sum_map`` the per-channel maps are the parts of a standard conv and
    arrows lead into their sum; without it (depthwise) nothing is summed.
    """
    pixels, maps = _array(image), _array(maps)
    m = pixels.shape[0]
    kernel_size = kernels.shape[-1]
    kernels = _array(kernels).reshape(m, -1, kernel_size, kernel_size)
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
            _show_kernel(fig.add_subplot(grid[c, 1 + 2 * j]), kernels[c, j], label)
            ax = fig.add_subplot(grid[c, 2 + 2 * j])
            _show_signed(ax, maps[c, j], f"{CHANNEL_NAMES[c]} \u22c6 {label}", CHANNEL_COLORS[c])
            part_axes.append(ax)
    if sum_map is not None:
        ax_sum = fig.add_subplot(grid[m // 2, -1])
        _show_signed(ax_sum, sum_map, "sum of the parts", color_for("standard"))
        for ax in part_axes:
            _arrow(fig, ax, ax_sum, color_for("standard"))
    fig.suptitle(title, fontsize=16, color=color_for(kind))
    return fig


def plot_pointwise_mixing(maps, weights, outputs, input_titles=None,
                          title: str = "") -> plt.Figure:
    """Input maps, the N x M weight matrix of a 1x1 conv, and the N maps it makes (notebook 02).

    Laid out as the matrix multiply it is: input map c stands above column c
    of the weights, output n beside row n, and output n = sum_c weights[n, c]
    * map c at every pixel.
    """
    maps, weights, outputs = _array(maps), _array(weights), _array(outputs)
    m, n = maps.shape[0], outputs.shape[0]
    titles = list(input_titles) if input_titles is not None else [f"map {c}" for c in range(m)]
    pointwise = color_for("pointwise")
    fig = plt.figure(figsize=((m + 1) * MAP_INCHES * 1.15, (n + 1) * MAP_INCHES * 1.2 + 0.6),
                     layout="constrained")
    grid = fig.add_gridspec(n + 1, m + 1)
    ax_w = fig.add_subplot(grid[1:, :m])
    _show_weight_matrix(ax_w, weights)
    for c in range(m):
        ax = fig.add_subplot(grid[0, c])
        _show_signed(ax, maps[c], titles[c], CHANNEL_COLORS[c % 3])
        column = ax_w.inset_axes([c / m, 1, 1 / m, 0.01])
        column.set_axis_off()
        _arrow(fig, ax, column, CHANNEL_COLORS[c % 3], downwards=True)
    for o in range(n):
        ax = fig.add_subplot(grid[1 + o, m])
        _show_signed(ax, outputs[o], f"output {o}", pointwise)
        row = ax_w.inset_axes([1, 1 - (o + 1) / n, 0.01, 1 / n])
        row.set_axis_off()
        _arrow(fig, row, ax, pointwise)
    fig.suptitle(title, fontsize=16, color=pointwise)
    return fig


def _show_weight_matrix(ax, weights) -> None:
    """The 1x1 conv's weights as a table of coloured cells, stretched to line up with the maps."""
    n, m = weights.shape
    limit = symmetric_limit(weights)
    ax.imshow(weights, cmap=DIVERGING_CMAP, vmin=-limit, vmax=limit, aspect="auto")
    _write_weights(ax, weights, limit, fontsize=22)
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
    blocks = {name: _array(w) for name, w in kernels_by_title.items()}
    n, m = next(iter(blocks.values())).shape[:2]
    limit = max(symmetric_limit(w) for w in blocks.values())
    inches = 1.9 if len(blocks) == 1 else 1.5  # one grid alone gets bigger cells
    fig = plt.figure(figsize=(max(len(blocks) * (m * inches + 0.6), 6.5), n * inches + 1.3),
                     layout="constrained")
    panels = fig.subfigures(1, len(blocks))
    for panel, (name, weight) in zip(np.atleast_1d(panels), blocks.items()):
        axes = panel.subplots(n, m, squeeze=False)
        for (o, c), ax in np.ndenumerate(axes):
            _show_kernel(ax, weight[o, c], limit=limit)
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
    maps = _array(maps)
    rows, cols = maps.shape[:2]
    kinds = list(row_kinds) if row_kinds is not None else ["other"] * rows
    fig, axes = plt.subplots(rows, cols, squeeze=False, layout="constrained",
                             figsize=(max(cols * MAP_INCHES * 1.2 + 1.2, 7.5),
                                      rows * MAP_INCHES * 1.1 + 0.8))
    limits = [symmetric_limit(maps[:, c]) for c in range(cols)]
    for (r, c), ax in np.ndenumerate(axes):
        _show_signed(ax, maps[r, c], column_titles[c] if r == 0 else "", limit=limits[c])
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


# --- Notebook 03: cost ratio and where the cost goes ---------------------------





# --- Notebooks 04-05: training curves, timings --------------------------------
