"""What the protocol's runs say: numbers and verdict keys, computed once (notebooks 04, 06, 07).

Everything here returns numbers, intervals and verdict keys ("ahead", "level",
"behind") from the result files of ``protocol``; the sentences that say them
are whole templates in ``SENTENCES``, one per (question, verdict), filled by
``say``. A verdict is "ahead" or "behind" only when the 95% interval of the
difference excludes zero (``stats.verdict``).

Pairing: two networks trained with the same seed share their data order, not
their weights, and may have run on different machines, so comparisons between
architectures use Welch's interval. Two initialisations of one architecture with
the same seed draw the same random numbers, scaled differently: that pairing is
real, and ``compare`` is told so by ``paired=True``.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Mapping, Sequence

from . import protocol, stats
from .tables import Table

LOSS_WINDOW = 50           # steps in the running mean that smooths the training loss
LOSS_TARGETS = (0.35, 0.25)


@dataclass(frozen=True)
class Group:
    """The finished seeds of one run: its results by seed, with a label for tables."""

    label: str
    run: protocol.Run
    results: Mapping[int, protocol.Result]

    @property
    def seeds(self) -> list[int]:
        return sorted(self.results)

    def tests(self) -> dict[int, float]:
        """Test accuracy (0..1) at the end of the schedule, by seed."""
        return {s: r.test for s, r in sorted(self.results.items())}

    def validations(self) -> dict[int, float]:
        return {s: r.validation.accuracy for s, r in sorted(self.results.items())}

    def test_interval(self) -> stats.Interval:
        """Mean test accuracy over seeds with its 95% interval, in points."""
        return stats.mean_interval(list(self.tests().values())).scaled(100)

    def steps_to_loss(self, target: float) -> dict[int, int | None]:
        return {s: steps_to_loss(r.step_losses, target) for s, r in sorted(self.results.items())}


def group(results: Mapping[str, Mapping[int, protocol.Result]], run: protocol.Run,
          label: str = "") -> Group:
    """The runs of ``run`` among ``results`` (``protocol.load_results()``); a run with no finished
    seed is a ``LookupError`` naming it and the command that makes it."""
    found = results.get(run.key, {})
    if not found:
        raise LookupError(f"no finished seed of {run.key}; `python -m dwconv_utils protocol run` "
                          "makes it")
    return Group(label or run.net.key, run, dict(found))


def winner_group(results, family: str, label: str = "") -> Group:
    """The family's validation winner (``protocol.winner``) with all its seeds."""
    net, training = protocol.winner(family, results)
    return group(results, protocol.Run(net, training, "protocol", protocol.SEEDS), label or family)


def smoothed(losses: Sequence[float], window: int = LOSS_WINDOW) -> list[float]:
    """The running mean over the last ``window`` steps (fewer at the start)."""
    out, total = [], 0.0
    for i, value in enumerate(losses):
        total += value
        if i >= window:
            total -= losses[i - window]
        out.append(total / min(i + 1, window))
    return out


def steps_to_loss(losses: Sequence[float], target: float, window: int = LOSS_WINDOW) -> int | None:
    """The first step (counted from 1) at which the running mean of the training loss over
    ``window`` steps is at or below ``target``; None if it never gets there."""
    for step, value in enumerate(smoothed(losses, window), start=1):
        if step >= window and value <= target:
            return step
    return None


@dataclass(frozen=True)
class Comparison:
    """``first`` minus ``second`` in some quantity, with its interval and verdict key."""

    first: str
    second: str
    quantity: str          # "test accuracy (points)", "steps to a training loss of 0.25", ...
    interval: stats.Interval
    verdict: str           # stats.VERDICTS, from first's side

    @property
    def seeds(self) -> str:
        n1, n2 = self.interval.n_first, self.interval.n_second
        return f"{n1}" if n1 == n2 else f"{n1} and {n2}"


def compare(first: Group, second: Group, values: str = "tests", *, paired: bool = False,
            scale: float = 100.0, quantity: str = "test accuracy (points)") -> Comparison:
    """first minus second in ``values`` ("tests" or "validations"), scaled to points by default;
    paired by seed only where the pairing is real (``paired``), else Welch."""
    a, b = getattr(first, values)(), getattr(second, values)()
    interval = (stats.paired_interval(a, b) if paired
                else stats.welch_interval(list(a.values()), list(b.values()))).scaled(scale)
    return Comparison(first.label, second.label, quantity, interval, stats.verdict(interval))


def compare_counts(first: Mapping[int, float | None], second: Mapping[int, float | None],
                   first_label: str, second_label: str, quantity: str) -> Comparison | None:
    """first minus second in a count per seed (steps, seconds), Welch; None where a side has
    fewer than two seeds that reached the quantity."""
    a = [v for v in first.values() if v is not None]
    b = [v for v in second.values() if v is not None]
    if len(a) < 2 or len(b) < 2:
        return None
    interval = stats.welch_interval(a, b)
    return Comparison(first_label, second_label, quantity, interval, stats.verdict(interval))


def seconds(steps: Mapping[int, int | None], net: protocol.Net, clock: Mapping) -> dict[int, float | None]:
    """Steps turned into seconds of training on the one clock's machine (its step time for
    ``net``); never from the runs' own times, which depend on where they ran."""
    per_step = clock["seconds_per_step"].get(net.key)
    if per_step is None:
        raise LookupError(f"the clock has no step time for {net.key}; run "
                          "`python -m dwconv_utils protocol clock`")
    return {s: None if n is None else n * per_step for s, n in steps.items()}


# --- tables -------------------------------------------------------------------------------------

def _points(interval: stats.Interval) -> str:
    return f"{interval.difference:.2f} ({interval.low:.2f} to {interval.high:.2f})"


def tuning_table(results, families: Sequence[str]) -> Table:
    """Each family's grid: mean validation accuracy of the tuning seeds per candidate, and the
    winner marked. Test accuracy is not shown: nothing was chosen by it."""
    rows = []
    for family in families:
        net, training = protocol.winner(family, results)
        for candidate, train in protocol.family_grid(family):
            found = results.get(protocol.Run(candidate, train, "protocol", protocol.SEEDS).key, {})
            tuning = [found[s].validation.accuracy for s in protocol.TUNING_SEEDS if s in found]
            rows.append({"family": family, "BatchNorm": "yes" if candidate.batch_norm else "no",
                         "peak lr": f"{train.lr:g}",
                         "validation %": f"{100 * statistics.fmean(tuning):.2f}" if tuning else "",
                         "chosen": "<-" if (candidate, train) == (net, training) else ""})
    table = Table(["family", "BatchNorm", "peak lr", "validation %", "chosen"], rows,
                  numeric=("peak lr", "validation %"))
    table.title = (f"The tuning grid: one-cycle over {protocol.GRID_EPOCHS} epochs, mean validation "
                   f"accuracy of seeds {', '.join(map(str, protocol.TUNING_SEEDS))}")
    return table


def accuracy_table(groups: Sequence[Group], title: str) -> Table:
    """Each group's test accuracy at the end of its schedule: mean, 95% interval, seeds."""
    rows = [{"run": g.label, "recipe": g.run.training.key, "seeds": len(g.seeds),
             "test % (95% interval)": _points(g.test_interval())} for g in groups]
    table = Table(["run", "recipe", "seeds", "test % (95% interval)"], rows, numeric=("seeds",))
    table.title = title
    return table


def convergence_table(groups: Sequence[Group], clock: Mapping, targets=LOSS_TARGETS) -> Table:
    """Steps (and seconds on the one clock) until the smoothed training loss reaches each
    target: mean over the seeds that reached it, and how many did."""
    rows = []
    for g in groups:
        row = {"run": g.label}
        for target in targets:
            steps = g.steps_to_loss(target)
            reached = [v for v in steps.values() if v is not None]
            secs = [v for v in seconds(steps, g.run.net, clock).values() if v is not None]
            row[f"steps to {target:g}"] = f"{statistics.fmean(reached):,.0f}" if reached else "never"
            row[f"s to {target:g}"] = f"{statistics.fmean(secs):,.0f}" if secs else "never"
            row[f"reached {target:g}"] = f"{len(reached)}/{len(steps)}"
        rows.append(row)
    columns = list(rows[0])
    table = Table(columns, rows, numeric=tuple(columns[1:]))
    table.title = (f"Training loss (running mean of {LOSS_WINDOW} steps) reaching a target: steps, "
                   "and seconds at the one clock's step time")
    return table


# --- words --------------------------------------------------------------------------------------

SENTENCES = {
    ("accuracy", "ahead"): "{first} is ahead of {second} on the test set by {difference:.2f} points "
                           "(95% interval {low:.2f} to {high:.2f}, {seeds} seeds).",
    ("accuracy", "behind"): "{second} is ahead of {first} on the test set by {minus:.2f} points "
                            "(95% interval {mlow:.2f} to {mhigh:.2f}, {seeds} seeds).",
    ("accuracy", "level"): "{first} and {second} are level within the noise on the test set: "
                           "{difference:+.2f} points, 95% interval {low:+.2f} to {high:+.2f} "
                           "({seeds} seeds).",
    ("steps", "ahead"): "{second} gets there first: {first} needs {difference:,.0f} more {unit} "
                        "(95% interval {low:,.0f} to {high:,.0f}).",
    ("steps", "behind"): "{first} gets there first: {second} needs {minus:,.0f} more {unit} "
                         "(95% interval {mlow:,.0f} to {mhigh:,.0f}).",
    ("steps", "level"): "{first} and {second} are level within the noise: {difference:+,.0f} "
                        "{unit}, 95% interval {low:+,.0f} to {high:+,.0f}.",
}


def say(comparison: Comparison, kind: str = "accuracy", unit: str = "steps") -> str:
    """The comparison in one sentence, chosen by its verdict (``SENTENCES``)."""
    i = comparison.interval
    template = SENTENCES[(kind, comparison.verdict)]
    return template.format(first=comparison.first, second=comparison.second, seeds=comparison.seeds,
                           difference=i.difference, low=i.low, high=i.high, minus=-i.difference,
                           mlow=-i.high, mhigh=-i.low, unit=unit)
