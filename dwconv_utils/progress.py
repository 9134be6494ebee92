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
