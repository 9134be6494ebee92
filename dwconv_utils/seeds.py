"""Statistics over seeds for the long runs of notebook 04: bands, paired gaps, equal time,
time to an accuracy.

Plain Python on purpose (no torch, no other module of the package): a run is anything with
``.seed`` and ``.history`` (``history.epochs`` of ``EpochStats``, ``history.column(key)``),
as ``results.RunResult`` is. A run may also say at which epoch time its seconds are to be
counted (``.epoch_seconds``); without it, its own median epoch time is used.
"""
from __future__ import annotations

from dataclasses import dataclass


def median(values) -> float:
    ordered = sorted(values)
    if not ordered:
        raise ValueError("the median of no values is undefined")
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


@dataclass
class Band:
    """A per-epoch statistic over seeds: mean, lowest and highest seed, and the x positions."""

    x: list[float]
    mean: list[float]
    low: list[float]
    high: list[float]
    seeds: int


def _band(xs: list[float], columns: list[list[float]]) -> Band:
    per_epoch = list(zip(*columns))
    return Band(xs, [sum(v) / len(v) for v in per_epoch], [min(v) for v in per_epoch],
                [max(v) for v in per_epoch], len(columns))


def steady_seconds(history, epoch_seconds: float | None = None) -> list[float]:
    """Training seconds at the end of each epoch, at the run's median epoch time (or at
    ``epoch_seconds`` when given).

    The experiments ran on a shared machine: other work during one epoch
    slows that epoch only, and would count against whichever model happened
    to be training. The median epoch time of a run is its steady speed; the
    raw times stay in the files (``history.wall_seconds``).
    """
    typical = median([e.seconds for e in history.epochs]) if epoch_seconds is None else epoch_seconds
    return [typical * e.epoch for e in history.epochs]


def run_seconds(run) -> list[float]:
    """``steady_seconds`` of a run, at the epoch time the run says (``run.epoch_seconds``)."""
    return steady_seconds(run.history, getattr(run, "epoch_seconds", None))


def band(runs, key: str = "test_accuracy", x: str = "epoch") -> Band:
    """``key`` per epoch over the seeds in ``runs``; ``x`` is "epoch" or "seconds".

    With x="seconds" the position of epoch e is the mean, over seeds, of
    ``steady_seconds`` at its end. Only epochs that every run has are used.
    """
    if not runs:
        raise ValueError("band needs at least one run")
    if x not in ("epoch", "seconds"):
        raise ValueError(f"x must be one of 'epoch', 'seconds'; got {x!r}")
    epochs = min(len(r.history.epochs) for r in runs)
    columns = [r.history.column(key)[:epochs] for r in runs]
    if x == "epoch":
        xs = [float(e) for e in range(1, epochs + 1)]
    else:
        times = [run_seconds(r)[:epochs] for r in runs]
        xs = [sum(t[e] for t in times) / len(times) for e in range(epochs)]
    return _band(xs, columns)


def time_to_accuracy(history, threshold: float, epoch_seconds: float | None = None) -> tuple[int, float] | None:
    """(epoch, training seconds) at the end of the first epoch whose test accuracy reaches
    ``threshold`` (a fraction, e.g. 0.87), or None if it never does. Seconds are
    ``steady_seconds``: the run's median epoch time (or ``epoch_seconds``) times the epochs."""
    if not 0 < threshold < 1:
        raise ValueError(f"threshold is a fraction of the test set, between 0 and 1; got {threshold}")
    for stats, seconds in zip(history.epochs, steady_seconds(history, epoch_seconds)):
        if stats.test_accuracy is not None and stats.test_accuracy >= threshold:
            return stats.epoch, seconds
    return None


def time_to_share_of_best(history, share: float, epoch_seconds: float | None = None) -> tuple[int, float]:
    """(epoch, training seconds) at the end of the first epoch whose test accuracy reaches
    ``share`` (e.g. 0.95) of the run's own best test accuracy. Unlike a fixed threshold this
    measures how fast a model approaches its own ceiling, whatever that ceiling is."""
    if not 0 < share <= 1:
        raise ValueError(f"share is a fraction of the run's best accuracy, above 0 and at most 1; got {share}")
    best = max(e.test_accuracy for e in history.epochs if e.test_accuracy is not None)
    for stats, seconds in zip(history.epochs, steady_seconds(history, epoch_seconds)):
        if stats.test_accuracy is not None and stats.test_accuracy >= share * best:
            return stats.epoch, seconds
    raise AssertionError("the best epoch reaches its own best")  # pragma: no cover


def _paired(results: dict, ahead: str, behind: str) -> tuple[dict, dict, list[int]]:
    a = {r.seed: r for r in results.get(ahead, [])}
    b = {r.seed: r for r in results.get(behind, [])}
    seeds = sorted(set(a) & set(b))
    if not seeds:
        raise ValueError(f"no seed has results for both {ahead!r} and {behind!r}")
    return a, b, seeds


def paired_gap(results: dict, ahead: str = "standard", behind: str = "separable",
               key: str = "test_accuracy") -> Band:
    """``ahead`` minus ``behind`` per epoch, paired by seed (seeds both have)."""
    a, b, seeds = _paired(results, ahead, behind)
    epochs = min(min(len(a[s].history.epochs), len(b[s].history.epochs)) for s in seeds)
    diffs = [[x - y for x, y in zip(a[s].history.column(key)[:epochs],
                                    b[s].history.column(key)[:epochs])] for s in seeds]
    return _band([float(e) for e in range(1, epochs + 1)], diffs)


@dataclass
class EqualTime:
    """Two runs of one seed compared after the same training time: the time the
    ``behind`` model needed for all its epochs (at its median epoch time)."""

    seed: int
    seconds: float
    behind_epochs: int
    behind_accuracy: float
    ahead_epochs: int                # epochs the ahead model had finished by then
    ahead_accuracy: float | None     # its test accuracy after them; None if it finished none

    @property
    def difference(self) -> float | None:
        """Ahead minus behind, in accuracy (fraction); None if the ahead model had no epoch yet."""
        return None if self.ahead_accuracy is None else self.ahead_accuracy - self.behind_accuracy


def equal_time(results: dict, ahead: str = "standard", behind: str = "separable") -> list[EqualTime]:
    """Per seed: when the (faster per epoch) ``behind`` model has finished all its epochs,
    where the ``ahead`` model stood after the same training time. Both at their median epoch
    time (``run_seconds``); the ahead model counts only epochs it had finished."""
    a, b, seeds = _paired(results, ahead, behind)
    matched = []
    for seed in seeds:
        deadline = run_seconds(b[seed])[-1]
        finished = [e for e, t in zip(a[seed].history.epochs, run_seconds(a[seed])) if t <= deadline]
        matched.append(EqualTime(seed, deadline, len(b[seed].history.epochs),
                                 b[seed].history.epochs[-1].test_accuracy, len(finished),
                                 finished[-1].test_accuracy if finished else None))
    return matched
