"""Figures of notebook 03: the cost ratio against the channels, and where the cost of a
model goes, layer pair by layer pair and block by block."""
from __future__ import annotations

from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np

from ..cost import totals_by_top_layer
from ..paper import SEPARABLE_3X3_SAVING
from ..style import COLORS, color_for
from .drawing import stacked_bars


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
    # Every curve is a separable layer: the separable colour, darker for larger kernels (no channel
    # red, no depthwise brown).
    colours = (COLORS["separable"], "#b35806", "#6b3304")
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
        stacked_bars(ax, parts, 1e6)
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
