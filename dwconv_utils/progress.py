"""Showing training as it happens: a progress bar and a live figure in a notebook, one line
per epoch in a terminal (``fit``, notebook 04)."""
from __future__ import annotations

import time

from .history import EpochStats, History

LIVE_FIGURE_EVERY_S = 2.0  # redraws cost time the training would otherwise have


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Colab), False in a terminal."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def format_epoch(name: str, stats: EpochStats, epochs: int) -> str:
    """One terminal line per epoch."""
    test = (f"  test loss {stats.test_loss:.4f}  test acc {100 * stats.test_accuracy:.2f}%"
            if stats.test_accuracy is not None else "")
    return (f"{name} epoch {stats.epoch}/{epochs}  train loss {stats.train_loss:.4f}{test}"
            f"  {stats.seconds:.1f} s  {stats.images_per_second:,.0f} img/s")


class TrainingReporter:
    """Progress bar and live figure in a notebook; one line per epoch in a terminal."""

    def __init__(self, history: History, epochs: int, steps: int, enabled: bool, live: bool):
        self.history, self.epochs, self.steps = history, epochs, steps
        self.enabled = enabled
        self.notebook = enabled and in_notebook()
        self.live = live and self.notebook
        self.bar = None
        self.figure = self.handle = None
        self.last_draw = 0.0

    def start_epoch(self, epoch: int) -> None:
        if self.notebook:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=self.steps, desc=f"{self.history.name} epoch {epoch}/{self.epochs}",
                            unit="batch", leave=True)

    def step(self, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(1)
            if self.bar.n % 20 == 0:
                self.bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
        if self.live and time.perf_counter() - self.last_draw > LIVE_FIGURE_EVERY_S:
            self.draw()

    def end_epoch(self, stats: EpochStats) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.live:
            self.draw()
        elif self.enabled and not self.notebook:
            print(format_epoch(self.history.name, stats, self.epochs), flush=True)

    def draw(self) -> None:
        # Imported here: a terminal run never needs matplotlib or IPython.
        from IPython.display import display
        from .plots import plot_histories
        self.figure = plot_histories([self.history], figure=self.figure)
        if self.handle is None:
            self.handle = display(self.figure, display_id=True)
        else:
            self.handle.update(self.figure)
        self.last_draw = time.perf_counter()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class RaceBars:
    """A text bar per model, e.g. ``separable  ████████░░░░  45.0/90 s  test accuracy 88.1%``.

    Shown through a display handle and replaced in place, so a saved notebook keeps the
    finished race (a progress widget would be saved in its first, empty state)."""

    WIDTH = 30

    def __init__(self, result, budget: float, unit: str):
        self.result, self.budget, self.unit = result, budget, unit
        self.spent: dict[str, float] = {}

    def __repr__(self) -> str:
        lines = []
        for name, lane in self.result.lanes.items():
            spent = min(self.spent.get(name, 0.0), self.budget)
            filled = round(self.WIDTH * spent / self.budget)
            accuracy = f"test accuracy {100 * lane.points[-1].accuracy:.1f}%" if lane.points else ""
            lines.append(f"{name:>9}  {'█' * filled}{'░' * (self.WIDTH - filled)}  "
                         f"{spent:6.1f}/{self.budget:g} {self.unit}  {accuracy}")
        if self.result.interrupted:
            lines.append("(stopped early)")
        return "\n".join(lines)


class RaceReporter:
    """Text bars and a live accuracy figure in a notebook, both replaced in place; one line per
    evaluation in a terminal (``race.race``, notebook 04)."""

    def __init__(self, result, budget: float, enabled: bool, live: bool):
        self.result = result
        self.enabled = enabled
        self.notebook = enabled and in_notebook()
        self.live = live and self.notebook
        self.unit = "s" if result.seconds is not None else "steps"
        self.bars = RaceBars(result, budget, self.unit)
        self.printed = {}
        self.bars_handle = self.figure = self.figure_handle = None

    def update(self, spent) -> None:
        for name, lane in self.result.lanes.items():
            self.bars.spent[name] = spent(lane)
            point = lane.points[-1] if lane.points else None
            if self.enabled and not self.notebook and point is not None \
                    and self.printed.get(name) is not point:
                used = f"{spent(lane):7.1f}" if self.unit == "s" else f"{spent(lane):7,d}"
                print(f"{name:>9} {used} {self.unit}: test accuracy {100 * point.accuracy:.2f}%",
                      flush=True)
                self.printed[name] = point
        if self.notebook:
            self.show()

    def show(self) -> None:
        # Imported here: a terminal run never needs matplotlib or IPython.
        from IPython.display import display
        if self.bars_handle is None:
            self.bars_handle = display(self.bars, display_id=True)
        else:
            self.bars_handle.update(self.bars)
        if self.live:
            self.figure = self.result.plot(figure=self.figure)
            if self.figure_handle is None:
                self.figure_handle = display(self.figure, display_id=True)
            else:
                self.figure_handle.update(self.figure)

    def close(self) -> None:
        if self.notebook:
            self.show()  # the last state, also after Ctrl-C
