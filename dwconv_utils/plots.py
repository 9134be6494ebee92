"""Figures for the notebooks, in the collection's style (``style.py``).

Each function draws one kind of figure and returns the matplotlib Figure.
"""
from __future__ import annotations

import matplotlib.pyplot as plt

from .style import COLORS, apply_style, color_for  # noqa: F401  (shared by every section)


# --- Notebooks 01-02: channels, depthwise maps, pointwise mixing ---------------





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
    kind = history.settings.get("model", "")
    for key in ("separable", "standard"):
        if f"'{key}'" in kind or history.name.startswith(key):
            return COLORS[key]
    return f"C{index}"


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


# Notebook 05: time against FLOPs.
from .speed import (BETWEEN_LAYERS, COUNTED_KINDS, CONV_PARTS, OTHER_LAYERS,  # noqa: E402
                     SHARE_ORDER, kind_group)
_KIND_LABELS = {"standard": "standard conv", "depthwise": "depthwise", "pointwise": "pointwise 1x1",
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
    fig, ax = plt.subplots(figsize=(12, 1.0 + 1.35 * len(labels)))
    ticks = []
    for i, label in enumerate(labels):
        shares = results[label].shares()
        for j, what in enumerate(("mult-adds", "time")):
            y = 3 * i + j
            ticks.append((y, f"{label}: {what}"))
            left = 0.0
            for kind in SHARE_ORDER:
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
    _kind_legend(fig, SHARE_ORDER, 3)
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
    kinds = COUNTED_KINDS + (OTHER_LAYERS,)
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
