"""Figures of notebook 04: training curves, the data, results over seeds, mistakes.

Variants of one conv kind share its colour and differ by line style.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ..seeds import band
from ..stats import smoothed  # the smoothing the verdicts count with
from ..style import COLORS, apply_style, color_for
from .drawing import as_array, bare_axes


def _history_color(history, index: int) -> str:
    return COLORS.get(history.settings.get("conv"), f"C{index}")


def plot_histories(histories, x: str = "epoch", figure=None):
    """Training loss and test accuracy of one or more ``History`` objects (notebook 04).

    ``x="epoch"`` or ``x="seconds"`` (cumulative wall-clock training time). Pass
    ``figure`` to redraw an existing figure in place (live plots during ``fit``).
    """
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


def _variant_style(runs) -> tuple[str, str]:
    model = runs[0].record["model"]
    style = ("--" if model.get("batch_norm") else ":" if model.get("activation") == "selu"
             else "-." if model.get("init", "xavier") != "xavier" else "-")
    return color_for(model["conv"]), style


INIT_LABELS = {"xavier": "seed's Xavier", "xavier-per-group": "Xavier, fans per group"}


def plot_signal_spread(spreads: dict, title: str = "At initialisation: how large is the signal in each layer?"):
    """Each layer's output std (left) and loss-gradient std (right) at initialisation, on a log
    scale, one line per (conv kind, init) key of ``spreads`` (``init.signal_spread`` results;
    notebook 04). Colour: the conv kind; solid: the seed's Xavier, dashed: fans per group."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), layout="constrained")
    panels = (("std", "output std (forward signal)"), ("grad_std", "gradient std (backward signal)"))
    for ax, (key, name) in zip(axes, panels):
        for (conv, init), spread in spreads.items():
            values = getattr(spread, key)
            if any(v is None for v in values.values()):
                continue
            seed_init = init == "xavier"
            # Thinner on top: where the two inits coincide (the standard model) both stay visible.
            ax.plot(list(values), list(values.values()), "-" if seed_init else "--",
                    marker="o" if seed_init else "s", lw=3 if seed_init else 1.8, ms=8 if seed_init else 5,
                    color=color_for(conv), label=f"{conv}, {INIT_LABELS[init]}")
        ax.set_yscale("log")
        ax.set(title=name, xlabel="layer", ylabel="standard deviation (log scale)")
        ax.grid(alpha=0.3, which="major")
    axes[1].legend(loc="lower right")
    fig.suptitle(title, fontsize=15)
    return fig


def plot_class_examples(images, labels, classes, per_class: int = 8):
    """A grid with one row per class: the first ``per_class`` images of it (notebook 04)."""
    images, labels = as_array(images), as_array(labels)
    if images.ndim == 4:
        images = images[:, 0]
    fig, axes = plt.subplots(len(classes), per_class, figsize=(per_class * 0.85 + 2.2, len(classes) * 0.85),  # fits 720 px
                             squeeze=False, layout="constrained")
    for c, row in enumerate(axes):
        found = np.flatnonzero(labels == c)[:per_class]
        for ax, index in zip(row, list(found) + [None] * (per_class - len(found))):
            if index is not None:
                ax.imshow(images[index], cmap="gray_r", interpolation="nearest")
            bare_axes(ax)
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
    counts = as_array(matrix).astype(int)
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
    images, labels = as_array(images), as_array(labels)
    predictions, confidence = as_array(predictions), as_array(confidence)
    if images.ndim == 4:
        images = images[:, 0]
    wrong = np.flatnonzero(predictions != labels)
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][:count]
    columns = min(6, max(1, len(order)))
    rows = max(1, -(-len(order) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 2.1, rows * 2.5),
                             squeeze=False, layout="constrained")
    for ax in axes.flat:
        bare_axes(ax)
    for ax, index in zip(axes.flat, order):
        ax.imshow(images[index], cmap="gray_r", interpolation="nearest")
        ax.set_title(f"said {classes[predictions[index]]}\n{100 * confidence[index]:.1f}% sure\n"
                     f"is {classes[labels[index]]}", fontsize=11)
    fig.suptitle(title, fontsize=15)
    return fig, order


def plot_race(result, figure=None):
    """Test accuracy against training seconds (or steps) of every model in a ``race.Race``
    (notebook 04). Once the race has begun the y axis zooms on it, and the untrained start
    (about 10%) is written in the corner instead of squashing the lines."""
    if figure is None:
        figure = Figure(figsize=(11, 5), layout="constrained")
    figure.clear()
    apply_style()
    ax = figure.subplots()
    by_seconds = result.seconds is not None
    budget = result.seconds if by_seconds else result.steps
    started = any(len(lane.points) > 1 for lane in result.lanes.values())
    ends = []
    for name, lane in result.lanes.items():
        shown = lane.points[1:] if started else lane.points
        xs = [p.seconds if by_seconds else p.steps for p in shown]
        ys = [100 * p.accuracy for p in shown]
        ax.plot(xs, ys, "o-", color=color_for(name), linewidth=2.5, markersize=6, label=name)
        if started and ys:
            ends.append((ys[-1], xs[-1], name))
    if started:
        later = [100 * p.accuracy for lane in result.lanes.values() for p in lane.points[1:]]
        low, high = max(0.0, min(later) - 2), min(100.0, max(later) + 1.5)
        ax.set_ylim(low, high)
        # Final values, pushed apart when they would overlap.
        ends.sort()
        gap = 0.05 * (high - low)
        close = len(ends) > 1 and ends[-1][0] - ends[0][0] < gap
        for k, (y, x, name) in enumerate(ends):
            offset = (-9 if k == 0 else 9) if close else 0
            ax.annotate(f"{y:.1f}%", (x, y), xytext=(8, offset), textcoords="offset points",
                        va="center", color=color_for(name), fontsize=14, fontweight="bold")
        start = sorted({round(100 * lane.points[0].accuracy) for lane in result.lanes.values()})
        text = f"{start[0]}%" if len(start) == 1 else f"{start[0]}-{start[-1]}%"
        ax.text(0.01, 0.02, f"untrained, at 0 {'s' if by_seconds else 'steps'}: {text}",
                transform=ax.transAxes, fontsize=12, color="#555555")
    ax.axvline(budget, color="#555555", linestyle="--", linewidth=1)
    ax.set_xlim(0, budget * 1.1)
    unit = "training seconds (evaluation not counted)" if by_seconds else "training steps"
    title = (f"Same budget, {result.budget_text} each: which model is more accurate?"
             + ("  (interrupted)" if result.interrupted else ""))
    ax.set(xlabel=unit, ylabel="test accuracy (%)", title=title)
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(loc="lower right")
    return figure


def _protocol_style(net) -> tuple[str, str]:
    style = ("--" if net.batch_norm else "-." if net.init != "xavier-per-group" else "-")
    return color_for(net.conv), style


def plot_protocol_curves(groups, x: str = "steps", clock=None, window: int = 50, title: str = ""):
    """The protocol's runs over seeds (notebook 04): left, the training loss (running mean of
    ``window`` steps) against steps, or against seconds on the one clock (``x="seconds"``, with
    ``clock``); right, validation accuracy at each evaluation. Lines are the mean over seeds,
    bands span the seeds."""
    if x not in ("steps", "seconds"):
        raise ValueError(f"x must be 'steps' or 'seconds', got {x!r}")
    apply_style()
    figure = plt.figure(figsize=(13, 4.6), layout="constrained")  # shown by the notebook like the others
    loss_ax, acc_ax = figure.subplots(1, 2)
    for g in groups:
        color, style = _protocol_style(g.run.net)
        scale = 1.0
        if x == "seconds":
            if clock is None or g.run.net.key not in clock["seconds_per_step"]:
                raise ValueError(f"x='seconds' needs the one clock's step time for {g.run.net.key}")
            scale = clock["seconds_per_step"][g.run.net.key]
        curves = [smoothed(r.step_losses, window) for r in g.results.values()]
        length = min(len(c) for c in curves)
        values = np.array([c[:length] for c in curves])
        steps = np.arange(1, length + 1) * scale
        loss_ax.fill_between(steps, values.min(0), values.max(0), color=color, alpha=0.2, linewidth=0)
        loss_ax.plot(steps, values.mean(0), style, color=color, label=g.label)
        points = [[e for e in r.record["evaluations"] if e.get("validation_accuracy") is not None]
                  for r in g.results.values()]
        count = min(len(p) for p in points)
        if count:
            at = np.array([e["step"] for e in points[0][:count]]) * scale
            accuracy = 100 * np.array([[e["validation_accuracy"] for e in p[:count]] for p in points])
            acc_ax.fill_between(at, accuracy.min(0), accuracy.max(0), color=color, alpha=0.2, linewidth=0)
            acc_ax.plot(at, accuracy.mean(0), style, marker="o", markersize=4, color=color, label=g.label)
    label = "training step" if x == "steps" else "training seconds on the one clock"
    loss_ax.set(yscale="log", xlabel=label, ylabel=f"training loss (mean of {window} steps)",
                title="Training loss: lines the mean, bands the seeds")
    acc_ax.set(xlabel=label, ylabel="validation accuracy (%)", title="Validation accuracy")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
    loss_ax.legend()
    if title:
        figure.suptitle(title)
    return figure
