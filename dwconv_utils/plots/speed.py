"""Figures of notebook 05: time against FLOPs, by layer kind, by block, under the roofline,
and across batch sizes and memory formats."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from ..cost import COUNTED_KINDS, OTHER_LAYERS, kind_group
from ..speed import BETWEEN_LAYERS, CONV_PARTS, SHARE_ORDER
from ..style import color_for
from .drawing import stacked_bars

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
        stacked_bars(ax, {kind: [blocks[b].get(kind, 0) for b in blocks] for kind in kinds}, scale)
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
