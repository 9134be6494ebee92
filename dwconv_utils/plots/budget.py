"""Figures of notebook 06: test accuracy against the budget, one line per family."""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ..style import color_for
from ..tables import short_count

BUDGET_LABELS = {"params": "parameters (log scale)", "mult_adds": "mult-adds per image (log scale)"}


def format_budget_axis(ax) -> None:
    """A log x axis with ticks at 1, 2 and 5 of each decade, written short (50k, 1M, 2M)."""
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: short_count(value)))
    ax.xaxis.set_minor_formatter(NullFormatter())


def draw_family(ax, points, kind: str, frontier_points=(), label: str | None = None) -> None:
    """One family on ``ax``: mean accuracy over seeds against the budget, a bar from the lowest
    to the highest seed, each point's width written beside it, the frontier ringed."""
    if not points:
        return
    family = points[0].family
    color = color_for(family)
    xs = [p.budget(kind) for p in points]
    ys = [100 * p.accuracy for p in points]
    ax.plot(xs, ys, "-o", color=color, lw=2.5, ms=7, label=label or f"{family} family")
    for p, x, y in zip(points, xs, ys):
        ax.vlines(x, 100 * p.low, 100 * p.high, color=color, lw=6, alpha=0.3)
        ax.annotate(f"{p.width:g}", (x, y), xytext=(6, -14 if family == "standard" else 6),
                    textcoords="offset points", color=color, fontsize=11)
    ringed = [p for p in points if p in frontier_points]
    ax.scatter([p.budget(kind) for p in ringed], [100 * p.accuracy for p in ringed], s=260,
               facecolors="none", edgecolors="black", linewidths=1.5, zorder=3)


def plot_budget_families(points: dict, frontiers: dict, title: str = ""):
    """Final test accuracy against parameters (left) and mult-adds (right) for both families
    (``budget.family_points``), widths written at the points, bars from the lowest to the highest
    seed, and ringed the frontier of both families together (``budget.frontier``) (notebook 06)."""
    fig, axes = plt.subplots(1, 2, figsize=(12.5, 5), layout="constrained", sharey=True)
    for ax, kind in zip(axes, ("params", "mult_adds")):
        for family, members in points.items():
            draw_family(ax, members, kind, frontiers[kind])
        format_budget_axis(ax)
        ax.set_xlabel(BUDGET_LABELS[kind])
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("test accuracy after 10 epochs (%)")
    axes[0].set_title("against parameters")
    axes[1].set_title("against mult-adds")
    axes[1].legend(loc="lower right")
    fig.suptitle(title or "Which family gets more accuracy for its budget? (ringed: the frontier; "
                 "numbers: the width)", fontsize=14)
    return fig
