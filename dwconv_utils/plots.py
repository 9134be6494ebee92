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
# Imports live in each section, so that the sections merge without conflicts.
from fractions import Fraction  # noqa: E402

import numpy as np  # noqa: E402

from .cost import totals_by_top_layer  # noqa: E402
from .paper import SEPARABLE_3X3_SAVING  # noqa: E402


def plot_cost_ratio_vs_channels(kernel_sizes=(3, 5, 7), max_channels: int = 2048,
                                mobilenet_channels=(64, 1024)):
    """Separable / standard mult-adds, 1/N + 1/Dk^2, against N for a few kernel sizes (notebook 03).

    Each curve falls towards its asymptote 1/Dk^2 (dashed); the band between
    1/8 and 1/9 is the paper's "8 to 9 times less computation" for 3x3
    kernels, and the shaded span the output channels MobileNet's separable
    layers use. Log-log axes; the right axis reads the same curves as
    "times fewer mult-adds".
    """
    channels = np.unique(np.round(np.logspace(0, np.log2(max_channels), 400, base=2)))
    # The headline 3x3 curve in the separable colour; larger kernels in the next colours of the cycle.
    colours = (COLORS["separable"], "#d62728", "#8c564b")
    fig, ax = plt.subplots(figsize=(10, 5.6))
    if mobilenet_channels:
        low, high = mobilenet_channels
        ax.axvspan(low, high, color="#eeeeee", zorder=0)
        ax.text((low * high) ** 0.5, 0.9, "MobileNet's N", ha="center", va="bottom", color="#555555")
    low_saving, high_saving = SEPARABLE_3X3_SAVING
    ax.axhspan(1 / high_saving, 1 / low_saving, color=COLORS["separable"], alpha=0.18, lw=0)
    ax.text(1.15, 1 / low_saving, f'"{low_saving} to {high_saving} times less" (3x3)', va="bottom",
            fontsize=12)
    # Where the 3x3 curve enters the band: 1/N + 1/9 = 1/8 at N = 72.
    n_low = 1 / (Fraction(1, low_saving) - Fraction(1, 9))
    ax.plot([float(n_low)], [1 / low_saving], "o", color=COLORS["separable"], ms=8)
    ax.annotate(f"N = {n_low}: {low_saving}x", (float(n_low), 1 / low_saving), xytext=(0, 10),
                textcoords="offset points", ha="center", va="bottom", fontsize=12)
    for i, dk in enumerate(kernel_sizes):
        colour = colours[i % len(colours)]
        ax.plot(channels, 1 / channels + 1 / dk ** 2, color=colour, lw=2.5,
                label=f"Dk = {dk}: 1/N + 1/{dk * dk}")
        ax.axhline(1 / dk ** 2, color=colour, lw=1.2, ls="--")
        ax.text(max_channels / 1.1, 1 / dk ** 2 / 1.04, f"1/{dk * dk}", ha="right", va="top",
                color=colour)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlim(1, max_channels)
    ax.set_ylim(0.8 / max(kernel_sizes) ** 2, 1.2)
    x_ticks = [2 ** e for e in range(0, int(np.log2(max_channels)) + 1, 2)]
    ax.set_xticks(x_ticks, [str(t) for t in x_ticks])
    ax.set_yticks([1, 0.5, 0.2, 0.1, 0.05, 0.02], ["1", "0.5", "0.2", "0.1", "0.05", "0.02"])
    ax.minorticks_off()

    def inverse(values):  # ratio <-> times fewer; clipped so matplotlib's probe at 0 stays finite
        return 1 / np.clip(values, 1e-12, None)

    right = ax.secondary_yaxis("right", functions=(inverse, inverse))
    right.set_yticks([1, 2, 5, 10, 20, 50], ["1x", "2x", "5x", "10x", "20x", "50x"])
    right.set_ylabel("times fewer mult-adds")
    ax.set_xlabel("N, output channels (log scale)")
    ax.set_ylabel("separable / standard mult-adds")
    ax.set_title("The saving grows with N, but never beyond Dk² (dashed: 1/Dk²)")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 0.07), frameon=False)
    fig.tight_layout()
    return fig


def _stacked_bars(ax, parts: dict[str, list[int]], scale: float) -> None:
    """Horizontal bars of several parts stacked end to end, each part in its kind's colour."""
    left = None
    for kind, values in parts.items():
        values = np.asarray(values, dtype=float) / scale
        left = np.zeros_like(values) if left is None else left
        ax.barh(np.arange(len(values)), values, left=left, color=color_for(kind), label=kind)
        left = left + values


def plot_cost_by_layer_pair(comparison):
    """Parameters and mult-adds per layer, standard vs separable, side by side (notebook 03).

    ``comparison`` is a ``compare_costs`` table. The separable model's bars
    are labelled with their share of its total, which shows where its
    parameters now live.
    """
    layers = [r["layer"] for r in comparison.rows]
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.4), sharey=True)
    y = np.arange(len(layers))
    for ax, what, label in zip(axes, ("params", "mult-adds"), ("parameters", "mult-adds")):
        standard = np.array([r[f"{what}: standard"] for r in comparison.rows], dtype=float)
        separable = np.array([r[f"{what}: separable"] for r in comparison.rows], dtype=float)
        scale = 1e3 if what == "params" else 1e6
        ax.barh(y - 0.2, standard / scale, height=0.4, color=COLORS["standard"], label="standard")
        ax.barh(y + 0.2, separable / scale, height=0.4, color=COLORS["separable"], label="separable")
        for yi, value in zip(y, separable):
            ax.text(value / scale, yi + 0.2, f" {100 * value / separable.sum():.0f}%", va="center",
                    fontsize=11, color=COLORS["separable"])
        ax.set_xlabel(f"{label} ({'thousands' if scale == 1e3 else 'millions'})")
        ax.set_xlim(0, 1.18 * max(standard.max(), separable.max()) / scale)
    axes[0].set_yticks(y, layers)
    axes[0].invert_yaxis()
    biggest = max(comparison.rows, key=lambda r: r["params: separable"])
    share = biggest["params: separable"] / comparison.separable.total_params
    axes[0].set_title(f"Parameters: {biggest['layer']} now holds {100 * share:.0f}%")
    fewer = comparison.standard.total_macs / comparison.separable.total_macs
    axes[1].set_title(f"Mult-adds: {fewer:.1f}x fewer in total")
    axes[1].legend(loc="lower right", frameon=False, title="% = share of the separable model")
    fig.tight_layout()
    return fig


def plot_cost_by_block(table, title: str):
    """Mult-adds and parameters of each block of a network, split by layer kind (notebook 03).

    ``table`` is a ``cost_table``; rows are grouped by the first part of their
    names (``block2.depthwise_conv`` -> ``block2``) and stacked by kind, so the
    pointwise (1x1) share of a MobileNet is visible block by block.
    """
    kinds = ("standard", "depthwise", "pointwise", "linear")
    counted = [r for r in table.rows if r["kind"] in kinds]  # BatchNorm is left out
    labels = list(totals_by_top_layer(counted))
    per_kind = {kind: totals_by_top_layer([r for r in counted if r["kind"] == kind]) for kind in kinds}
    fig, axes = plt.subplots(1, 2, figsize=(12, 6.2), sharey=True)
    for ax, what, unit in zip(axes, ("mult_adds", "params"),
                              ("mult-adds (millions)", "parameters (millions)")):
        parts = {kind: [per_kind[kind].get(b, {}).get(what, 0) for b in labels] for kind in kinds}
        _stacked_bars(ax, parts, 1e6)
        ax.set_xlabel(unit)
    axes[0].set_yticks(range(len(labels)), labels)
    axes[0].invert_yaxis()
    axes[0].set_title("Mult-adds per block")
    axes[1].set_title("Parameters per block")
    names = {"standard": "standard 3x3 conv", "depthwise": "depthwise 3x3",
             "pointwise": "pointwise 1x1", "linear": "fully connected"}
    handles = [plt.Rectangle((0, 0), 1, 1, color=color_for(k)) for k in kinds]
    fig.legend(handles, [names[k] for k in kinds], loc="lower center", ncol=len(kinds),
               frameon=False)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig






# --- Notebooks 04-05: training curves, timings --------------------------------

def _history_color(history, index: int) -> str:
    return COLORS.get(history.settings.get("conv"), f"C{index}")


def plot_histories(histories, x: str = "epoch", figure=None):
    """Training loss and test accuracy of one or more ``History`` objects (notebook 04).

    ``x="epoch"`` or ``x="seconds"`` (cumulative wall-clock training time). Pass
    ``figure`` to redraw an existing figure in place (live plots during ``fit``).
    """
    from matplotlib.figure import Figure

    if x not in ("epoch", "seconds"):
        raise ValueError(f"x must be 'epoch' or 'seconds', got {x!r}")
    if figure is None:
        figure = Figure(figsize=(11, 4.2), layout="constrained")
    figure.clear()
    apply_style()
    loss_ax, acc_ax = figure.subplots(1, 2)
    for i, h in enumerate(histories):
        color = _history_color(h, i)
        if h.step_losses:
            steps_per_epoch = h.settings.get("train_size", 1) / h.settings.get("batch_size", 1)
            if x == "epoch":
                xs = [(s + 1) / steps_per_epoch for s in range(len(h.step_losses))]
            else:  # spread each epoch's steps evenly over its seconds
                xs, done = [], 0.0
                for e in h.epochs:
                    xs += [done + e.seconds * (s + 1) / steps_per_epoch
                           for s in range(int(round(steps_per_epoch)))]
                    done += e.seconds
                running = len(h.step_losses) - len(xs)
                xs = (xs + [done + k for k in range(running)])[:len(h.step_losses)]
            loss_ax.plot(xs, h.step_losses, color=color, alpha=0.25, linewidth=0.8)
        xs = h.column("epoch") if x == "epoch" else h.wall_seconds
        if h.epochs:
            loss_ax.plot(xs, h.column("train_loss"), "o-", color=color, label=f"{h.name} train")
            if h.epochs[0].test_loss is not None:
                loss_ax.plot(xs, h.column("test_loss"), "s--", color=color, label=f"{h.name} test")
                acc_ax.plot(xs, [100 * a for a in h.column("test_accuracy")], "o-", color=color,
                            label=h.name)
    label = "epoch" if x == "epoch" else "training time (s)"
    loss_ax.set(title="Loss (faint: every step)", xlabel=label, ylabel="cross-entropy")
    acc_ax.set(title="Test accuracy", xlabel=label, ylabel="accuracy (%)")
    for ax in (loss_ax, acc_ax):
        if ax.lines and any(line.get_label()[0] != "_" for line in ax.lines):
            ax.legend()
        ax.grid(alpha=0.3)
    return figure



# Notebook 04: the data, results over seeds, mistakes.
# Variants of one conv kind share its colour and differ by line style.


def _variant_style(runs) -> tuple[str, str]:
    model = runs[0].record["model"]
    style = ("--" if model.get("batch_norm") else ":" if model.get("activation") == "selu" else "-")
    return color_for(model["conv"]), style


def plot_class_examples(images, labels, classes, per_class: int = 8):
    """A grid with one row per class: the first ``per_class`` images of it (notebook 04)."""
    images, labels = _array(images), _array(labels)
    if images.ndim == 4:
        images = images[:, 0]
    fig, axes = plt.subplots(len(classes), per_class, figsize=(per_class * 0.9 + 2.2, len(classes) * 0.9),
                             squeeze=False, layout="constrained")
    for c, row in enumerate(axes):
        found = np.flatnonzero(labels == c)[:per_class]
        for ax, index in zip(row, list(found) + [None] * (per_class - len(found))):
            if index is not None:
                ax.imshow(images[index], cmap="gray_r", interpolation="nearest")
            _bare(ax)
        row[0].set_ylabel(f"{c} {classes[c]}", rotation=0, ha="right", va="center", fontsize=12)
        row[0].axis("on")
        row[0].set_xticks([])
        row[0].set_yticks([])
        for side in row[0].spines.values():
            side.set_visible(False)
    fig.suptitle("Fashion-MNIST: 28x28 grey images, 10 classes", fontsize=16)
    return fig


def plot_seed_bands(results, variants=("standard", "separable"), x: str = "epoch", title: str = ""):
    """Training loss and test accuracy per epoch: the mean over seeds and a band from the
    lowest to the highest seed, for each variant in ``variants`` (notebook 04)."""
    from .experiments import band

    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
    for name in variants:
        runs = results[name]
        color, style = _variant_style(runs)
        for ax, key, scale in ((loss_ax, "train_loss", 1), (acc_ax, "test_accuracy", 100)):
            b = band(runs, key, x)
            ax.plot(b.x, [v * scale for v in b.mean], style, marker="o", markersize=4, color=color,
                    label=f"{name} ({b.seeds} seeds)")
            ax.fill_between(b.x, [v * scale for v in b.low], [v * scale for v in b.high],
                            color=color, alpha=0.18, linewidth=0)
    label = "epoch" if x == "epoch" else "training seconds (at each run's median epoch time)"
    loss_ax.set(title="Training loss (mean of the epoch)", xlabel=label, ylabel="cross-entropy")
    acc_ax.set(title="Test accuracy", xlabel=label, ylabel="accuracy (%)")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
    acc_ax.legend(loc="lower right")
    fig.suptitle(title or "Mean over seeds; the band spans the lowest to the highest seed", fontsize=15)
    return fig


def plot_first_steps(results, variants=("standard", "separable"), steps: int = 300, smooth: int = 10):
    """The loss of the first ``steps`` training steps of every seed (moving average of ``smooth``)."""
    fig, ax = plt.subplots(figsize=(11, 4.4), layout="constrained")
    for name in variants:
        for i, run in enumerate(results[name]):
            color, style = _variant_style(results[name])
            losses = np.asarray(run.history.step_losses[:steps])
            kernel = np.ones(smooth) / smooth
            averaged = np.convolve(losses, kernel, mode="valid")
            ax.plot(np.arange(smooth, len(losses) + 1), averaged, style, color=color, linewidth=1.4,
                    alpha=0.85, label=name if i == 0 else None)
    ax.axhline(np.log(10), color="black", linewidth=0.8, linestyle="--")
    ax.annotate("ln 10 = 2.303: guessing uniformly among 10 classes", (steps * 0.98, np.log(10)),
                ha="right", va="bottom", fontsize=11)
    ax.set(title=f"The first {steps} training steps, every seed (moving average of {smooth} steps)",
           xlabel="step (batch of 128 images)", ylabel="training loss")
    ax.grid(alpha=0.3)
    ax.legend()
    return fig


def plot_confusion_matrix(matrix, classes, title: str = "Confusion matrix"):
    """Counts[true, predicted] with the count written in each cell (notebook 04)."""
    counts = _array(matrix).astype(int)
    fig, ax = plt.subplots(figsize=(8.5, 7.5), layout="constrained")
    shown = np.log1p(counts)
    ax.imshow(shown, cmap="Oranges", interpolation="nearest")
    for (t, p), value in np.ndenumerate(counts):
        if value:
            ax.text(p, t, str(value), ha="center", va="center", fontsize=10,
                    color="white" if shown[t, p] > 0.6 * shown.max() else "black")
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    return fig


def plot_confident_mistakes(images, labels, predictions, confidence, classes, count: int = 12,
                            title: str = "The most confident mistakes"):
    """The ``count`` wrong predictions with the highest softmax confidence (notebook 04)."""
    images, labels = _array(images), _array(labels)
    predictions, confidence = _array(predictions), _array(confidence)
    if images.ndim == 4:
        images = images[:, 0]
    wrong = np.flatnonzero(predictions != labels)
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][:count]
    columns = min(6, max(1, len(order)))
    rows = max(1, -(-len(order) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 2.1, rows * 2.5),
                             squeeze=False, layout="constrained")
    for ax in axes.flat:
        _bare(ax)
    for ax, index in zip(axes.flat, order):
        ax.imshow(images[index], cmap="gray_r", interpolation="nearest")
        ax.set_title(f"said {classes[predictions[index]]}\n{100 * confidence[index]:.1f}% sure\n"
                     f"is {classes[labels[index]]}", fontsize=11)
    fig.suptitle(title, fontsize=15)
    return fig, order


# Notebook 05: time against FLOPs.
from .cost import COUNTED_KINDS, OTHER_LAYERS, kind_group  # noqa: E402
from .speed import BETWEEN_LAYERS, CONV_PARTS, SHARE_ORDER  # noqa: E402
_KIND_LABELS = {"standard": "standard conv", "grouped": "grouped conv", "depthwise": "depthwise",
                "pointwise": "pointwise 1x1",
                "linear": "fully connected", OTHER_LAYERS: "BatchNorm, ReLU, pooling",
                BETWEEN_LAYERS: "between layers"}


def _share_color(kind: str) -> str:
    return "#d0d0d0" if kind == BETWEEN_LAYERS else color_for(kind)  # OTHER_LAYERS: "other"


def _kind_legend(fig, kinds, ncol: int) -> None:
    """One legend for the figure: a colour patch and a name per layer kind, below the axes."""
    handles = [plt.Rectangle((0, 0), 1, 1, color=_share_color(k)) for k in kinds]
    fig.legend(handles, [_KIND_LABELS[k] for k in kinds], loc="lower center", ncol=ncol, frameon=False)


def plot_time_shares(results, title: str = "Share of the mult-adds vs share of the time"):
    """For each model, its mult-adds and its forward time as 100% bars split by layer kind
    (notebook 05). ``results`` maps a label to a ``time_layers`` result."""
    labels = list(results)
    all_shares = {label: results[label].shares() for label in labels}
    kinds = [k for k in SHARE_ORDER if any(k in shares for shares in all_shares.values())]
    fig, ax = plt.subplots(figsize=(12, 1.0 + 1.35 * len(labels)))
    ticks = []
    for i, label in enumerate(labels):
        shares = all_shares[label]
        for j, what in enumerate(("mult-adds", "time")):
            y = 3 * i + j
            ticks.append((y, f"{label}: {what}"))
            left = 0.0
            for kind in kinds:
                width = 100 * shares.get(kind, (0.0, 0.0))[j]
                ax.barh(y, width, left=left, height=0.8, color=_share_color(kind))
                if width >= 6:
                    ax.text(left + width / 2, y, f"{width:.0f}%", ha="center", va="center",
                            color="black" if kind in (BETWEEN_LAYERS, OTHER_LAYERS) else "white",
                            fontweight="bold")
                left += width
    ax.set_yticks([t for t, _ in ticks], [name for _, name in ticks])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of the model's total (%)")
    ax.set_title(title)
    _kind_legend(fig, kinds, 3)
    fig.tight_layout(rect=(0, 0.16 if len(labels) > 1 else 0.25, 1, 1))
    return fig


def _per_block(rows, what: str) -> dict[str, dict[str, float]]:
    """block -> kind -> summed ``what`` ("mult_adds" or "seconds"), blocks in call order."""
    blocks: dict[str, dict[str, float]] = {}
    for r in rows:
        kind = kind_group(r["kind"])
        slot = blocks.setdefault(r["name"].split(".")[0], {})
        slot[kind] = slot.get(kind, 0) + r[what]
    return blocks


def plot_time_by_block(times, title: str):
    """Mult-adds and forward time of each block of a network, stacked by layer kind (notebook 05).

    ``times`` is a ``time_layers`` result; the time panel shows where a forward
    pass really goes, next to where its mult-adds go.
    """
    present = {kind_group(r["kind"]) for r in times.rows}
    kinds = [k for k in COUNTED_KINDS + (OTHER_LAYERS,) if k in present]
    fig, axes = plt.subplots(1, 2, figsize=(12, 6.2), sharey=True)
    for ax, what, scale, unit in zip(axes, ("mult_adds", "seconds"), (1e6, 1e-3),
                                     ("mult-adds (millions)", "time (ms)")):
        blocks = _per_block(times.rows, what)
        _stacked_bars(ax, {kind: [blocks[b].get(kind, 0) for b in blocks] for kind in kinds}, scale)
        ax.set_xlabel(unit)
    for ax, name in zip(axes, ("Mult-adds per block", "Time per block (median of the passes)")):
        ax.set_title(name)
    axes[0].set_yticks(range(len(blocks)), list(blocks))
    axes[0].invert_yaxis()
    _kind_legend(fig, kinds, len(kinds))
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def plot_roofline(results, peak_gflops: float, bandwidth_gbs: float, title: str | None = None):
    """Achieved GFLOP/s of every layer against its arithmetic intensity, under this
    machine's two roofs (notebook 05).

    ``results`` maps a label to a ``time_layers`` result (one marker shape per
    label, one colour per layer kind). The roof is min(peak, bandwidth x intensity):
    the matrix multiply's GFLOP/s and the copy bandwidth, both measured here.
    """
    from matplotlib.lines import Line2D

    markers = "osD^v"
    fig, ax = plt.subplots(figsize=(11, 6.4))
    counted = [r for t in results.values() for r in t.rows if r["mult_adds"]]
    xs = np.logspace(np.log10(min(r["intensity"] for r in counted) / 2),
                     np.log10(max(r["intensity"] for r in counted) * 3), 200)
    ax.plot(xs, np.minimum(peak_gflops, bandwidth_gbs * xs), color="black", lw=2.5)
    ridge = peak_gflops / bandwidth_gbs
    ax.axvline(ridge, color="black", lw=1, ls=":")
    for marker, times in zip(markers, results.values()):
        for kind in COUNTED_KINDS:
            rows = [r for r in times.rows if r["kind"] == kind and r["mult_adds"]]
            if rows:
                ax.scatter([r["intensity"] for r in rows], [r["gflops"] for r in rows], s=70,
                           marker=marker, color=color_for(kind), edgecolor="white", zorder=3)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(min(min(r["gflops"] for r in counted), bandwidth_gbs * xs[0]) / 2, peak_gflops * 4)
    ax.text(ridge * 1.15, peak_gflops * 1.15, f"compute roof: matmul {peak_gflops:.0f} GFLOP/s",
            va="bottom")
    ax.text(ridge * 1.08, ax.get_ylim()[0] * 1.3, f"ridge {ridge:.1f} FLOP/byte", rotation=90,
            va="bottom")
    # The memory roof's label, written along its slope.
    x_label = xs[0] * 1.3
    p0, p1 = ax.transData.transform([(x_label, bandwidth_gbs * x_label),
                                     (x_label * 2, bandwidth_gbs * x_label * 2)])
    angle = np.degrees(np.arctan2(p1[1] - p0[1], p1[0] - p0[0]))
    ax.text(x_label, bandwidth_gbs * x_label * 1.35, f"memory roof: {bandwidth_gbs:.0f} GB/s x intensity",
            rotation=angle, rotation_mode="anchor", va="bottom")
    handles = [Line2D([], [], ls="", marker=m, ms=9, color="#555555", label=label)
               for m, label in zip(markers, results)]
    handles += [plt.Rectangle((0, 0), 1, 1, color=color_for(k), label=_KIND_LABELS[k])
                for k in COUNTED_KINDS if any(r["kind"] == k for r in counted)]
    ax.legend(handles=handles, loc="lower right", frameon=False, ncol=2)
    ax.set_xlabel("arithmetic intensity (FLOPs per byte moved, from the shapes)")
    ax.set_ylabel("achieved GFLOP/s")
    ax.set_title(title or "Roofline: depthwise layers do too few FLOPs per byte to run fast")
    fig.tight_layout()
    return fig


def plot_speed_settings(speeds):
    """GFLOP/s of each conv part, and standard / separable time, against the batch size, in
    NCHW (solid) and channels_last (dashed) (notebook 05). ``speeds`` is a list of
    ``LayerSpeed`` for one layer shape."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.2))
    for channels_last, style in ((False, "-"), (True, "--")):
        chosen = sorted((s for s in speeds if s.channels_last == channels_last), key=lambda s: s.batch)
        batches = [s.batch for s in chosen]
        name = "channels_last" if channels_last else "NCHW"
        for part in CONV_PARTS:
            left.plot(batches, [s.gflops(part) for s in chosen], style, marker="o", lw=2.5,
                      color=color_for(part), label=f"{part}, {name}")
        right.plot(batches, [s.time_ratio for s in chosen], style, marker="o", lw=2.5,
                   color=color_for("separable"), label=f"measured, {name}")
    first = speeds[0]
    right.axhline(float(first.flop_ratio), color="black", lw=1.5, ls=":",
                  label=f"FLOP ratio {float(first.flop_ratio):.2f}x")
    batches = sorted({s.batch for s in speeds})
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xticks(batches, [str(b) for b in batches])
        ax.minorticks_off()
        ax.set_xlabel("batch size")
        ax.grid(alpha=0.3)
    left.set_yscale("log")
    left.set_ylabel("achieved GFLOP/s")
    left.set_title(f"Each part, {first.Dk}x{first.Dk} conv {first.M}->{first.N} on {first.DF}x{first.DF}")
    left.legend(fontsize=10, frameon=False, ncol=2)
    right.set_ylim(bottom=0)
    right.set_ylabel("standard time / separable time")
    right.set_title("How many times faster separable runs")
    right.legend(frameon=False)
    fig.tight_layout()
    return fig
