"""What training records: ``EpochStats`` per epoch and the ``History`` of a run (notebook 04).

Plain data that round-trips through JSON; ``fit`` (``train.py``) fills it, the
experiment runner (``experiments.py``) writes it into result files and
``plots.plot_histories`` draws it.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .files import write_atomically

HISTORY_VERSION = 1


@dataclass
class EpochStats:
    epoch: int
    train_loss: float
    test_loss: float | None
    test_accuracy: float | None
    seconds: float            # wall-clock seconds of the epoch's training steps
    images_per_second: float  # training throughput of the epoch


@dataclass
class History:
    """What ``fit`` recorded: per-epoch statistics and every step's loss (notebook 04).

    ``history.plot()`` draws it; ``history.save(path)`` / ``History.load(path)``
    round-trip it through JSON.
    """

    name: str
    settings: dict = field(default_factory=dict)
    epochs: list[EpochStats] = field(default_factory=list)
    step_losses: list[float] = field(default_factory=list)

    def column(self, key: str) -> list:
        """One per-epoch statistic as a list, e.g. ``history.column("test_accuracy")``."""
        if key not in EpochStats.__dataclass_fields__:
            raise ValueError(f"key must be one of {', '.join(EpochStats.__dataclass_fields__)}; "
                             f"got {key!r}")
        return [getattr(e, key) for e in self.epochs]

    @property
    def wall_seconds(self) -> list[float]:
        """Cumulative training seconds at the end of each epoch."""
        total, out = 0.0, []
        for e in self.epochs:
            total += e.seconds
            out.append(total)
        return out

    def plot(self, x: str = "epoch"):
        """Loss and test accuracy against epochs (``x="epoch"``) or wall seconds (``x="seconds"``)."""
        from .plots import plot_histories  # matplotlib only when a figure is asked for
        return plot_histories([self], x=x)

    def to_dict(self) -> dict:
        return {"version": HISTORY_VERSION, "name": self.name, "settings": self.settings,
                "epochs": [asdict(e) for e in self.epochs], "step_losses": self.step_losses}

    @classmethod
    def from_dict(cls, data: dict) -> "History":
        if not isinstance(data, dict) or data.get("version") != HISTORY_VERSION:
            raise ValueError(f"not a training history of version {HISTORY_VERSION}: "
                             f"got {str(data)[:80]!r}")
        try:
            epochs = [EpochStats(**e) for e in data["epochs"]]
            return cls(str(data["name"]), dict(data["settings"]), epochs,
                       [float(v) for v in data["step_losses"]])
        except (KeyError, TypeError) as error:
            raise ValueError(f"training history is missing or has malformed fields: {error}") from error

    def save(self, path: str | os.PathLike) -> Path:
        """Write JSON atomically (a crash never leaves a half-written file)."""
        return write_atomically(Path(path), json.dumps(self.to_dict(), indent=1).encode())

    @classmethod
    def load(cls, path: str | os.PathLike) -> "History":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not valid JSON ({error})") from error
        return cls.from_dict(data)
