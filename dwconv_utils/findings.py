"""What the protocol's runs say: numbers and verdict keys, computed once (notebooks 04, 06, 07).

Everything here returns numbers, intervals and verdict keys ("ahead", "level",
"behind") from the result files of ``protocol``; the sentences that say them
are whole templates in ``SENTENCES``, one per (kind, verdict), in the message
catalogue (``i18n``), filled by ``say``. A verdict is "ahead" or "behind" only when the 95% interval of the
difference excludes zero (``stats.verdict``).

Pairing: two networks trained with the same seed share their data order, not
their weights, and may have run on different machines, so comparisons between
architectures use Welch's interval. Where two runs of one seed share more (the
seed's Xavier and Xavier per group draw the same random numbers, scaled per
layer), ``compare(..., paired=True)`` uses the paired interval.

Devices: runs record where they ran (``Group.devices``); a comparison carries
both sides' devices, so that a table can say when a GPU's runs (TF32
convolutions by PyTorch's default) are set beside a CPU's.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Mapping, Sequence

from . import protocol, stats
from .stats import smoothed
from .i18n import N_, _
from .tables import Table

LOSS_WINDOW = 50           # steps in the running mean that smooths the training loss (stats.smoothed)
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

    @property
    def devices(self) -> str:
        """Where the seeds ran: "cpu", "cuda (TF32 convolutions)", or both, joined by " + "."""
        found = set()
        for result in self.results.values():
            device = result.record["device"].split(":")[0]
            if (result.record["machine"].get("tf32") or {}).get("convolutions"):
                device = _("{device} (TF32 convolutions)").format(device=device)
            found.add(device)
        return " + ".join(sorted(found))

    def test_interval(self) -> stats.Interval:
        """Mean test accuracy over seeds with its 95% interval, in points."""
        return stats.mean_interval(list(self.tests().values())).scaled(100)

    def steps_to_loss(self, target: float) -> dict[int, int | None]:
        return {s: steps_to_loss(r.step_losses, target) for s, r in sorted(self.results.items())}

    def validation_at(self, epoch: int) -> dict[int, float]:
        """Validation accuracy after ``epoch`` epochs, by seed (seeds that evaluated then)."""
        found = {}
        for seed, result in sorted(self.results.items()):
            for point in result.record["evaluations"]:
                if point.get("epoch") == epoch and point.get("validation_accuracy") is not None:
                    found[seed] = point["validation_accuracy"]
        return found


def group(results: Mapping[str, Mapping[int, protocol.Result]], run: protocol.Run,
          label: str = "") -> Group:
    """The runs of ``run`` among ``results`` (``protocol.load_results()``); a run with no finished
    seed is a ``LookupError`` naming it and the command that makes it."""
    found = results.get(run.key, {})
    if not found:
        raise LookupError(_("no finished seed of {run}; `python -m dwconv_utils protocol run` "
                            "makes it").format(run=run.key))
    return Group(label or run.net.key, run, dict(found))


def winner_group(results, family: str, label: str = "") -> Group:
    """The family's validation winner (``protocol.winner``) with all its seeds."""
    net, training = protocol.winner(family, results)
    return group(results, protocol.Run(net, training, "protocol", protocol.SEEDS), label or family)


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
    quantity: str          # a key: "test_accuracy", "steps", ...
    interval: stats.Interval
    verdict: str           # stats.VERDICTS, from first's side
    devices: tuple = ()    # (first's, second's) devices, where known



def compare(first: Group, second: Group, values: str = "tests", *, paired: bool = False,
            scale: float = 100.0, quantity: str = "test_accuracy", seeds=None) -> Comparison:
    """first minus second in ``values`` ("tests" or "validations"), scaled to points by default;
    paired by seed only where the pairing is real (``paired``), else Welch. ``seeds`` keeps only
    those seeds: e.g. the ones no choice was made on (``protocol.SEEDS`` minus ``TUNING_SEEDS``),
    to check a verdict for the winner's curse."""
    a, b = getattr(first, values)(), getattr(second, values)()
    if seeds is not None:
        a, b = ({s: v for s, v in d.items() if s in seeds} for d in (a, b))
    interval = (stats.paired_interval(a, b) if paired
                else stats.welch_interval(list(a.values()), list(b.values()))).scaled(scale)
    return Comparison(first.label, second.label, quantity, interval, stats.verdict(interval),
                      (first.devices, second.devices))


def compare_counts(first: Mapping[int, float | None], second: Mapping[int, float | None],
                   first_label: str, second_label: str, quantity: str) -> Comparison | None:
    """first minus second in a count per seed (steps, seconds), Welch; None unless every seed of
    both sides reached the quantity: leaving out the seeds that never got there would make the
    slower side look faster (the table says how many reached it)."""
    a, b = list(first.values()), list(second.values())
    if any(v is None for v in a + b) or len(a) < 2 or len(b) < 2:
        return None
    interval = stats.welch_interval(a, b)
    return Comparison(first_label, second_label, quantity, interval, stats.verdict(interval))


def compare_steps(first: Group, second: Group, target: float) -> Comparison | None:
    """first minus second in steps until the smoothed training loss reaches ``target``
    (``compare_counts``: None unless every seed of both got there)."""
    return compare_counts(first.steps_to_loss(target), second.steps_to_loss(target),
                          first.label, second.label, "steps")


def compare_seconds(first: Group, second: Group, target: float, clock: Mapping) -> Comparison | None:
    """As ``compare_steps``, in seconds of training on the one clock's machine (``seconds``)."""
    return compare_counts(seconds(first.steps_to_loss(target), first.run.net, clock),
                          seconds(second.steps_to_loss(target), second.run.net, clock),
                          first.label, second.label, "seconds")


def seconds(steps: Mapping[int, int | None], net: protocol.Net, clock: Mapping) -> dict[int, float | None]:
    """Steps turned into seconds of training on the one clock's machine (its step time for
    ``net``); never from the runs' own times, which depend on where they ran."""
    per_step = clock["seconds_per_step"].get(net.key)
    if per_step is None:
        raise LookupError(_("the clock has no step time for {net}; run "
                            "`python -m dwconv_utils protocol clock`").format(net=net.key))
    return {s: None if n is None else n * per_step for s, n in steps.items()}


# --- tables -------------------------------------------------------------------------------------

def _points(interval: stats.Interval) -> str:
    return _("{value:.2f} ({low:.2f} to {high:.2f})").format(
        value=interval.difference, low=interval.low, high=interval.high)


def tuning_table(results, families: Sequence[str]) -> Table:
    """Each family's grid (extended past an edge winner): mean validation accuracy of the
    tuning seeds per candidate, and the winner marked. Test accuracy is not shown: nothing was chosen by it."""
    rows = []
    for family in families:
        net, training = protocol.winner(family, results)
        for candidate, train in protocol.tuning_points(family, results)[0]:
            found = results.get(protocol.Run(candidate, train, "protocol", protocol.SEEDS).key, {})
            tuning = [found[s].validation.accuracy for s in protocol.TUNING_SEEDS if s in found]
            rows.append({"family": family,
                         "batch_norm": _("yes") if candidate.batch_norm else _("no"),
                         "peak_lr": f"{train.lr:g}",
                         "validation": f"{100 * statistics.fmean(tuning):.2f}" if tuning else "",
                         "chosen": "<-" if (candidate, train) == (net, training) else ""})
    table = Table(["family", "batch_norm", "peak_lr", "validation", "chosen"], rows,
                  numeric=("peak_lr", "validation"),
                  labels={"family": _("family"), "batch_norm": _("BatchNorm"),
                          "peak_lr": _("peak lr"), "validation": _("validation %"),
                          "chosen": _("chosen")})
    table.title = _("The tuning grid: one-cycle over {epochs} epochs, mean validation accuracy "
                    "of seeds {seeds}").format(epochs=protocol.GRID_EPOCHS,
                                               seeds=", ".join(map(str, protocol.TUNING_SEEDS)))
    return table


def accuracy_table(groups: Sequence[Group], title: str) -> Table:
    """Each group's test accuracy at the end of its schedule: mean, 95% interval, seeds."""
    rows = [{"run": g.label, "recipe": g.run.training.key, "seeds": len(g.seeds),
             "test": _points(g.test_interval())} for g in groups]
    return _titled(Table(["run", "recipe", "seeds", "test"], rows, numeric=("seeds",),
                         labels={"run": _("run"), "recipe": _("recipe"), "seeds": _("seeds"),
                                 "test": _("test % (95% interval)")}), title)


def _titled(table: Table, title: str) -> Table:
    table.title = title
    return table


def convergence_table(groups: Sequence[Group], clock: Mapping, targets=LOSS_TARGETS) -> Table:
    """Steps (and seconds on the one clock) until the smoothed training loss reaches each
    target: mean over the seeds that reached it, and how many did."""
    rows, labels = [], {"run": _("run")}
    for g in groups:
        row = {"run": g.label}
        for target in targets:
            steps = g.steps_to_loss(target)
            reached = [v for v in steps.values() if v is not None]
            secs = [v for v in seconds(steps, g.run.net, clock).values() if v is not None]
            row[f"steps_{target:g}"] = f"{statistics.fmean(reached):,.0f}" if reached else _("never")
            row[f"seconds_{target:g}"] = f"{statistics.fmean(secs):,.0f}" if secs else _("never")
            row[f"reached_{target:g}"] = f"{len(reached)}/{len(steps)}"
            labels.update({f"steps_{target:g}": _("steps to {loss:g}").format(loss=target),
                           f"seconds_{target:g}": _("s to {loss:g}").format(loss=target),
                           f"reached_{target:g}": _("reached {loss:g}").format(loss=target)})
        rows.append(row)
    columns = list(rows[0])
    return _titled(Table(columns, rows, numeric=tuple(columns[1:]), labels=labels),
                   _("Training loss (running mean of {window} steps) reaching a target: steps, "
                     "and seconds at the one clock's step time").format(window=LOSS_WINDOW))


def init_table(groups: Sequence[Group], epochs: Sequence[int] = (1, 3), target: float = 0.5) -> Table:
    """How each initialisation starts training (notebook 04): validation accuracy after the
    first ``epochs`` (mean and 95% interval over seeds) and the steps until the smoothed
    training loss first reaches ``target``."""
    rows, labels = [], {"run": _("run"), "init": _("initialisation")}
    for g in groups:
        row = {"run": g.label, "init": g.run.net.init}
        for epoch in epochs:
            found = list(g.validation_at(epoch).values())
            row[f"epoch_{epoch}"] = (_points(stats.mean_interval([100 * v for v in found]))
                                     if len(found) >= 2 else "")
            labels[f"epoch_{epoch}"] = _("validation % after epoch {epoch}").format(epoch=epoch)
        reached = [v for v in g.steps_to_loss(target).values() if v is not None]
        row["steps"] = f"{statistics.fmean(reached):,.0f}" if reached else _("never")
        labels["steps"] = _("steps to a loss of {loss:g}").format(loss=target)
        rows.append(row)
    columns = list(rows[0])
    return _titled(Table(columns, rows, numeric=tuple(columns[2:]), labels=labels),
                   _("How each initialisation starts: the seed's training (Adam at 0.001, constant)"))


QUANTITY_LABELS = {"test_accuracy": N_("test accuracy, points"),
                   "validation_accuracy": N_("validation accuracy, points"),
                   "steps": N_("steps"), "seconds": N_("seconds on the one clock")}
VERDICT_LABELS = {"ahead": N_("ahead"), "level": N_("level within the noise"), "behind": N_("behind")}
INTERVAL_LABELS = {"welch": N_("Welch"), "paired": N_("paired by seed")}


def comparison_table(rows: Sequence[tuple[str, Comparison | None]], title: str) -> Table:
    """One row per (question, comparison): first minus second, its 95% interval, what kind of
    interval, and the verdict (from first's side). A None comparison (a target not every seed
    reached, ``compare_counts``) is a row that says so."""
    shown = []
    for question, c in rows:
        if c is None:
            shown.append({"question": question, "first": "", "second": "", "quantity": "",
                          "difference": _("not every seed got there"), "interval": "", "verdict": ""})
            continue
        i = c.interval
        digits = 2 if c.quantity.endswith("accuracy") else 0
        shown.append({"question": question, "first": c.first, "second": c.second,
                      "quantity": _(QUANTITY_LABELS[c.quantity]),
                      "difference": _("{value:+,.{digits}f} ({low:+,.{digits}f} to {high:+,.{digits}f})").format(
                          value=i.difference, low=i.low, high=i.high, digits=digits),
                      "interval": _(INTERVAL_LABELS[i.kind]), "verdict": _(VERDICT_LABELS[c.verdict])})
    return _titled(Table(["question", "first", "second", "quantity", "difference", "interval", "verdict"],
                         shown, numeric=("difference",),
                         labels={"question": _("question"), "first": _("first"),
                                 "second": _("minus second"), "quantity": _("in"),
                                 "difference": _("difference (95% interval)"),
                                 "interval": _("interval"), "verdict": _("first is")}), title)


# --- words --------------------------------------------------------------------------------------

SENTENCES = {
    ("accuracy", "ahead"): N_("{first} is ahead of {second} on the test set by {difference:.2f} "
                              "points (95% interval {low:.2f} to {high:.2f}; seeds: {seeds})."),
    ("accuracy", "behind"): N_("{second} is ahead of {first} on the test set by {minus:.2f} "
                               "points (95% interval {mlow:.2f} to {mhigh:.2f}; seeds: {seeds})."),
    ("accuracy", "level"): N_("{first} and {second} are level within the noise on the test set: "
                              "{difference:+.2f} points, 95% interval {low:+.2f} to {high:+.2f} "
                              "(seeds: {seeds})."),
    ("steps", "ahead"): N_("{second} gets there first: {first} needs {difference:,.0f} more steps "
                           "(95% interval {low:,.0f} to {high:,.0f})."),
    ("steps", "behind"): N_("{first} gets there first: {second} needs {minus:,.0f} more steps "
                            "(95% interval {mlow:,.0f} to {mhigh:,.0f})."),
    ("steps", "level"): N_("{first} and {second} are level within the noise: {difference:+,.0f} "
                           "steps, 95% interval {low:+,.0f} to {high:+,.0f}."),
    ("seconds", "ahead"): N_("{second} gets there first: {first} needs {difference:,.0f} more "
                             "seconds (95% interval {low:,.0f} to {high:,.0f})."),
    ("seconds", "behind"): N_("{first} gets there first: {second} needs {minus:,.0f} more "
                              "seconds (95% interval {mlow:,.0f} to {mhigh:,.0f})."),
    ("seconds", "level"): N_("{first} and {second} are level within the noise: {difference:+,.0f} "
                             "seconds, 95% interval {low:+,.0f} to {high:+,.0f}."),
}


def say(comparison: Comparison, kind: str = "accuracy") -> str:
    """The comparison in one sentence, chosen by its verdict (``SENTENCES``, in the current
    language); ``kind`` is "accuracy" (points), "steps" or "seconds"."""
    i = comparison.interval
    seeds = (str(i.n_first) if i.n_first == i.n_second
             else _("{first} and {second}").format(first=i.n_first, second=i.n_second))
    return _(SENTENCES[(kind, comparison.verdict)]).format(
        first=comparison.first, second=comparison.second, seeds=seeds, difference=i.difference,
        low=i.low, high=i.high, minus=-i.difference, mlow=-i.high, mhigh=-i.low)
