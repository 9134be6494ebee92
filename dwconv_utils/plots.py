"""Figures for the notebooks, in the collection's style (``style.py``).

Each function draws one kind of figure and returns the matplotlib Figure.
"""
from __future__ import annotations

import matplotlib.pyplot as plt

from .style import COLORS, apply_style, color_for  # noqa: F401  (shared by every section)


# --- Notebooks 01-02: channels, depthwise maps, pointwise mixing ---------------





# --- Notebook 03: cost ratio and where the cost goes ---------------------------





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
