"""The seed's claim judged in words: the answer, the tables and the findings of notebook 04,
every number computed from the committed results.

What the runs show is computed once (``findings``); the rest only puts it into words, each
sentence chosen by the numbers, so a change in the results changes the text:

- ``answer_points``: the answer to "does a depthwise separable CNN converge more slowly?" in at
  most three sentences, for the seed's initialisation, for Xavier with fans per group, and
  whether what remains is slower learning or a lower ceiling;
- ``results_table``: one row per variant, the evidence behind the answer;
- ``ceiling_table``: per run, how soon it reached 90% and 95% of its own best accuracy;
- ``summary_points``: the other findings (per second, BatchNorm, selu, the fair twins, noise),
  keyed, each under about 60 words, so a notebook picks a point by its key.
"""
from __future__ import annotations

from dataclasses import dataclass

from .results import RunResult, Variant, pooled_epoch_seconds, variant
from .seeds import Band, EqualTime, equal_time, mean, paired_gap, time_to_accuracy, time_to_share_of_best
from .tables import Table
from .train import DEFAULT_LR

MAIN_PAIR = ("standard", "separable")
FIXED_INIT = "separable-per-group-init"  # the separable model with the initialisation that keeps the signal
SHARES_OF_BEST = (0.90, 0.95)


@dataclass
class Findings:
    """Everything the words say, computed once from ``results`` (fractions, not percent)."""

    results: dict[str, list[RunResult]]
    threshold: float
    gap: Band                 # standard minus separable test accuracy per epoch, paired by seed
    reached: dict[str, list]  # variant -> time_to_accuracy of each seed (None: never)
    matched: list[EqualTime]  # standard against separable at separable's training time
    epoch_seconds: dict[str, float]  # variant -> the epoch time its seconds are counted at

    @property
    def main_pair_reached(self) -> bool:
        return all(t is not None for name in MAIN_PAIR for t in self.reached[name])


def _reached(run: RunResult, threshold: float):
    return time_to_accuracy(run.history, threshold, run.epoch_seconds)


def findings(results: dict[str, list[RunResult]], threshold: float = 0.87) -> Findings:
    """What ``results`` show; needs runs of both the standard and the separable model."""
    for needed in MAIN_PAIR:
        if needed not in results:
            raise ValueError(f"the verdict needs results for {needed!r}; have {', '.join(results)}")
    return Findings(
        results, threshold, paired_gap(results),
        {name: [_reached(r, threshold) for r in runs] for name, runs in results.items()},
        equal_time(results),
        {name: pooled_epoch_seconds(results, name) for name in results})


# --- small pieces of wording ---------------------------------------------------------

def _span(values: list[float], scale: float = 100, digits: int = 1, sign: str = "+") -> str:
    low, high = min(values) * scale, max(values) * scale
    if f"{low:{sign}.{digits}f}" == f"{high:{sign}.{digits}f}":
        return f"{low:{sign}.{digits}f}"
    return f"{low:{sign}.{digits}f} to {high:{sign}.{digits}f}"


def _mean_and_range(values: list[float], scale: float = 100, digits: int = 1) -> str:
    """"85.4 (85.3-85.6)": the mean, and the lowest to the highest seed."""
    shown = [v * scale for v in values]
    text = f"{mean(shown):.{digits}f}"
    if len(shown) > 1:
        text += f" ({min(shown):.{digits}f}-{max(shown):.{digits}f})"
    return text


def _seeds(n: int) -> str:
    return f"{n} seed" if n == 1 else f"{n} seeds"


def _all_seeds(n: int) -> str:
    return {1: "the 1 seed", 2: "both seeds"}.get(n, f"all {n} seeds")


def _epochs(values: list[int]) -> str:
    """"1 epoch", "3 epochs", "2 to 4 epochs"."""
    return f"{_span(values, 1, 0, '')} epoch{'' if max(values) == 1 else 's'}"


def _mixed(differences: list[float]) -> str:
    """Why differences that are neither all positive nor all negative are no verdict."""
    if min(differences) < 0 < max(differences):
        return "it changes sign between seeds"
    return "level in at least one seed"


def _share_closed(variant_value: float, low: float, high: float) -> float | None:
    """Where ``variant_value`` lies from ``low`` (0) to ``high`` (1); None if there is no gap."""
    return None if high <= low else (variant_value - low) / (high - low)


def _share_words(share: float, when: str) -> str:
    """Where a variant lies between the separable model (0) and the standard twin (1), in words."""
    if share < 0:
        return f"falls below the separable model {when}"
    if share > 1:
        return f"passes the standard twin {when}"
    return f"closes {share:.0%} of the gap {when}"


def _change_words(v: Variant) -> str:
    """What a variant changes in the seed's model, in words: "BatchNorm", "selu", ..."""
    changes = (["BatchNorm"] if v.batch_norm else []) + \
        ([v.activation] if v.activation != "relu" else []) + \
        (["Xavier with fans per group"] if v.init != "xavier" else []) + \
        ([f"width {v.width:g}"] if v.width != 1 else []) + \
        (["a pooling head"] if v.head != "flatten" else []) + \
        ([f"learning rate {v.lr:g}"] if v.lr != DEFAULT_LR else [])
    return " and ".join(changes) or "the same settings"


def _final(runs: list[RunResult], key: str = "test_accuracy") -> list[float]:
    return [getattr(r.history.epochs[-1], key) for r in runs]


def _first(runs: list[RunResult]) -> list[float]:
    return [r.history.epochs[0].test_accuracy for r in runs]


# --- the answer, in at most three sentences ------------------------------------------------

def answer_points(results: dict[str, list[RunResult]], share: float = 0.95) -> dict[str, str]:
    """Does a depthwise separable CNN converge more slowly? One sentence each, keyed: "seed's
    init" (the seed's code), "per-group init" (Xavier with fans per group, when its runs are
    there), and "slower or lower" (is what remains slower learning or a lower ceiling: epochs to
    ``share`` of each run's own best test accuracy, and the final training loss)."""
    found = findings(results)
    gap, n = found.gap, found.gap.seeds
    epochs = int(gap.x[-1])
    points = {}
    if all(low > 0 for low in gap.low):
        points["seed's init"] = (
            f"**With the seed's initialisation, yes:** the separable model is behind its standard "
            f"twin after every one of the {epochs} epochs in {_all_seeds(n)}, by "
            f"{100 * gap.mean[0]:.1f} points after epoch 1 and {100 * gap.mean[-1]:.1f} after epoch {epochs}.")
    elif all(high < 0 for high in gap.high):
        points["seed's init"] = (
            f"**With the seed's initialisation, no:** the separable model is ahead of its standard "
            f"twin after every one of the {epochs} epochs in {_all_seeds(n)}.")
    else:
        points["seed's init"] = (
            f"**With the seed's initialisation, not clearly:** neither model is ahead after every "
            f"epoch in every seed (standard minus separable after epoch {epochs}: "
            f"{_span([gap.low[-1], gap.high[-1]])} points).")

    separable = FIXED_INIT if FIXED_INIT in results else "separable"
    if separable == FIXED_INIT:
        fixed = paired_gap(results, "standard", FIXED_INIT)
        last = min(len(fixed.x), len(gap.x)) - 1
        # Judged after epoch 1 and after the last epoch, seed ranges against seed ranges.
        smaller = fixed.high[0] < gap.low[0] and fixed.mean[last] <= gap.mean[last]
        larger = fixed.low[0] > gap.high[0] and fixed.mean[last] >= gap.mean[last]
        closed = 1 - fixed.mean[0] / gap.mean[0] if gap.mean[0] > 0 else 0.0
        lead = ("no" if fixed.high[0] < 0 and fixed.high[last] < 0
                else "more so" if larger else "mostly not" if smaller and closed >= 0.5
                else "less so" if smaller else "not clearly")
        def change(before: float, after: float) -> str:
            if after < 0 <= before:
                return f"of {100 * before:.1f} points turns into a {-100 * after:.1f}-point lag"
            if f"{100 * before:.1f}" == f"{100 * after:.1f}":
                return f"stays at {100 * after:.1f} points"
            verb = "shrinks" if after < before else "grows"
            return f"{verb} from {100 * before:.1f} to {100 * after:.1f} points"
        every = " (in every seed)" if smaller else ""
        points["per-group init"] = (
            f"**With Xavier fans counted per group, {lead}:** the standard twin's lead "
            f"{change(gap.mean[0], fixed.mean[0])} after epoch 1{every} and "
            f"{change(gap.mean[last], fixed.mean[last]).replace(' points', '')} after epoch {last + 1}.")

    to_best = {name: [time_to_share_of_best(r.history, share)[0] for r in results[name]]
               for name in ("standard", separable)}
    loss = {name: _final(results[name], "train_loss") for name in ("standard", separable)}
    ends_lower = (min(loss[separable]) > max(loss["standard"])
                  and min(_final(results["standard"])) > max(_final(results[separable])))
    slower = min(to_best[separable]) > max(to_best["standard"])
    faster = max(to_best[separable]) < min(to_best["standard"])
    fixed_init = separable == FIXED_INIT
    remains, still = ("what remains is ", "still ") if fixed_init else ("the gap is ", "")
    lead = {(False, True): f"{remains}a lower ceiling, not slower learning",
            (True, True): f"it {still}learns more slowly, and ends lower",
            (False, False): f"{remains}within the seeds' spread",
            (True, False): f"it {still}learns more slowly"}[(slower, ends_lower)]
    if faster:
        lead = "it learns faster" + (", but ends lower" if ends_lower else "")
    same = to_best["standard"] == to_best[separable] and len(set(to_best["standard"])) == 1
    reach = (f"both reach {share:.0%} of their own best test accuracy after {_epochs(to_best['standard'])}"
             if same else
             f"it reaches {share:.0%} of its own best test accuracy after {_epochs(to_best[separable])}, "
             f"the standard twin after {_epochs(to_best['standard'])}")
    losses = f"{mean(loss[separable]):.3f} against {mean(loss['standard']):.3f}"
    points["slower or lower"] = (
        f"**{lead[0].upper() + lead[1:]}:** {reach}, "
        + (f"but the separable model's final training loss stays higher, {losses}." if ends_lower
           else f"and the final training losses are {losses} (separable against standard)."))
    return points


# --- the tables ------------------------------------------------------------------------

class ResultsTable(Table):
    """One row per variant: seeds, test accuracy after the first and the last epoch, the final
    training loss, how soon each approached its own best, speed, time to a fixed target.

    Epochs to 95% of best: the first epoch reaching that share of the run's own best test
    accuracy. S per epoch: the median over all of a variant's epochs (or of the variant it is
    timed as). Seconds to 87%: training time to the first epoch reaching 87% test accuracy, at
    each run's median epoch time (or that of the variant it is timed as)."""

    def __init__(self, results: dict[str, list[RunResult]], threshold: float, share: float = 0.95):
        self.threshold, self.share = threshold, share
        # The columns are explained where the table is shown (notebook 04): a title stays one line.
        self.title = "Results over seeds: the mean (lowest-highest seed)"
        timed = [f"{name} at {variant(name).timed_as}'s" for name in results
                 if variant(name).timed_as in results]
        if timed:
            self.title += f"; seconds of {', '.join(timed)} epoch time"
        # One column for every variant: the last epoch all runs have.
        last = min(len(r.history.epochs) for runs in results.values() for r in runs)
        rows = []
        for name, runs in results.items():
            reached = [t for t in (_reached(r, threshold) for r in runs) if t is not None]
            seconds = (_span([t[1] for t in reached], 1, 0, "") if reached else "never") + \
                (f" ({len(reached)}/{len(runs)} seeds)" if reached and len(reached) < len(runs) else "")
            rows.append({
                "variant": name, "seeds": len(runs),
                "epoch 1 test acc (%)": _mean_and_range(_first(runs)),
                f"epoch {last} test acc (%)": _mean_and_range([r.history.epochs[last - 1].test_accuracy
                                                              for r in runs]),
                "final train loss": _mean_and_range(_final(runs, "train_loss"), 1, 3),
                f"epochs to {share:.0%} of best": _span([time_to_share_of_best(r.history, share)[0]
                                                         for r in runs], 1, 0, ""),
                "s per epoch": f"{pooled_epoch_seconds(results, name):.1f}",
                f"seconds to {threshold:.0%}": seconds,
            })
        columns = list(rows[0]) if rows else ["variant"]
        super().__init__(columns, rows, numeric=tuple(columns[1:]))


def results_table(results: dict[str, list[RunResult]], threshold: float = 0.87,
                  share: float = 0.95) -> ResultsTable:
    return ResultsTable(results, threshold, share)


def ceiling_table(results: dict[str, list[RunResult]], shares=SHARES_OF_BEST) -> Table:
    """Per run: its best test accuracy, the epochs and seconds it needed to reach each of
    ``shares`` of that best, and its final training loss. Against its own best, a model that
    ends lower is not counted as slower (notebook 04)."""
    rows = []
    for name, runs in results.items():
        for r in runs:
            row = {"variant": name, "seed": r.seed,
                   "best test acc (%)": f"{100 * max(r.history.column('test_accuracy')):.2f}"}
            for share in shares:
                epoch, seconds = time_to_share_of_best(r.history, share, r.epoch_seconds)
                row[f"{share:.0%} of best: epoch"] = epoch
                row[f"{share:.0%} of best: s"] = f"{seconds:.0f}"
            row["final train loss"] = f"{r.history.epochs[-1].train_loss:.3f}"
            rows.append(row)
    table = Table(list(rows[0]), rows, numeric=tuple(list(rows[0])[1:]))
    table.title = ("How soon each run approached its own best test accuracy (seconds at the "
                   "run's median epoch time, or that of the variant it is timed as)")
    return table


# --- the other findings, keyed ----------------------------------------------------------

def _per_second(found: Findings) -> str:
    std_epoch, sep_epoch = found.epoch_seconds["standard"], found.epoch_seconds["separable"]
    speed = (f"{std_epoch / sep_epoch:.1f}x quicker" if std_epoch >= sep_epoch
             else f"{sep_epoch / std_epoch:.1f}x slower")
    matched = found.matched
    diffs = [m.difference for m in matched]
    when = (f"at the training time of its {_epochs([m.behind_epochs for m in matched])} "
            f"({_span([m.seconds for m in matched], 1, 0, '')} s) the standard twin had finished "
            f"{_epochs([m.ahead_epochs for m in matched])}")
    if None in diffs:
        return (f"**Per second, no comparison yet:** a separable epoch is {speed}, and {when} "
                "in at least one seed.")
    if min(diffs) > 0:
        # Narrower than the per-epoch gap after the same number of separable epochs, seed by seed.
        standard_runs = {r.seed: r for r in found.results["standard"]}
        per_epoch = [standard_runs[m.seed].history.epochs[m.behind_epochs - 1].test_accuracy
                     - m.behind_accuracy for m in matched
                     if len(standard_runs[m.seed].history.epochs) >= m.behind_epochs]
        narrower = len(per_epoch) == len(matched) and all(d < p for d, p in zip(diffs, per_epoch))
        how = "narrows the gap but does not overtake" if narrower else "does not overtake"
        compared = f", against {_span(per_epoch)} after equal epochs" if narrower else ""
        return (f"**Per second, the separable model {how}:** its epoch is {speed}, yet {when} "
                f"and was ahead by {_span(diffs)} points in every seed{compared}.")
    if max(diffs) < 0:
        return (f"**Per second, the separable model is ahead:** its epoch is {speed}, and {when} "
                f"and was behind by {_span([-d for d in diffs], sign='')} points in every seed.")
    return (f"**Per second, a draw:** a separable epoch is {speed}; {when}, and the "
            f"difference was {_span(diffs)} points: {_mixed(diffs)}.")


def _time_to_target(found: Findings) -> str:
    threshold = found.threshold
    reached = {name: found.reached[name] for name in MAIN_PAIR}
    if not found.main_pair_reached:
        counts = ", ".join(f"{name} {sum(t is not None for t in hits)} of {_seeds(len(hits))}"
                           for name, hits in reached.items())
        return (f"Not every run reached {threshold:.0%} test accuracy within its epochs "
                f"({counts}), so time to {threshold:.0%} is not compared.")
    ss, sp = ([t[1] for t in reached[name]] for name in MAIN_PAIR)
    times = f"standard {_span(ss, 1, 0, '')} s, separable {_span(sp, 1, 0, '')} s; checked once per epoch"
    if max(sp) < min(ss) or max(ss) < min(sp):
        first = "separable model" if max(sp) < min(ss) else "standard twin"
        return f"To first reach {threshold:.0%} test accuracy the {first} was sooner in every seed ({times})."
    return f"To first reach {threshold:.0%} test accuracy the seeds overlap ({times}): neither is reliably sooner."


def _reached_words(found: Findings, name: str) -> str:
    """When a variant's runs first reached the threshold, against the standard and separable runs."""
    threshold, reached = found.threshold, found.reached[name]
    if any(t is None for t in reached):
        return (f" {sum(t is not None for t in reached)} of its {_seeds(len(reached))} reached "
                f"{threshold:.0%} test accuracy.")
    seconds = [t[1] for t in reached]
    text = f" It reached {threshold:.0%} after {_epochs([t[0] for t in reached])}, {_span(seconds, 1, 0, '')} s"
    others = [t[1] for pair in MAIN_PAIR for t in found.reached[pair] if t is not None]
    if others and max(seconds) < min(others):
        return text + f", sooner than any standard or separable seed (from {min(others):.0f} s)."
    return text + "."


def _separable_variant(found: Findings, name: str) -> str:
    runs, results = found.results[name], found.results
    # At the variant's last epoch, which the main pair's runs are compared at too.
    last = min(len(r.history.epochs) for n in (*MAIN_PAIR, name) for r in results[n])
    final = {n: [100 * r.history.epochs[last - 1].test_accuracy for r in results[n]]
             for n in (*MAIN_PAIR, name)}
    first = {n: [100 * a for a in _first(results[n])] for n in (*MAIN_PAIR, name)}
    closed_first = _share_closed(mean(first[name]), mean(first["separable"]), mean(first["standard"]))
    closed_final = _share_closed(mean(final[name]), mean(final["separable"]), mean(final["standard"]))
    ends = (f"{mean(final[name]):.2f}% after epoch {last}, "
            + ("above every separable seed" if min(final[name]) > max(final["separable"])
               else "below every separable seed" if max(final[name]) < min(final["separable"])
               else "overlapping the separable seeds"))
    change = _change_words(variant(name))
    if closed_first is None or closed_final is None:
        return f"**{name}** ({change}, {_seeds(len(runs))}): {ends}.{_reached_words(found, name)}"
    if 0 <= closed_first <= 1 and 0 <= closed_final <= 1:
        closed = (f"closes {closed_first:.0%} of the gap after epoch 1 and {closed_final:.0%} "
                  f"of it after epoch {last}")
    else:
        closed = (f"{_share_words(closed_first, 'after epoch 1')} and "
                  f"{_share_words(closed_final, f'after epoch {last}')}")
    return f"**{name}** ({change}, {_seeds(len(runs))}) {closed}: {ends}.{_reached_words(found, name)}"


def _fair_twin(found: Findings, standard: str, separable: str) -> str:
    """The gap between ``standard`` and its separable twin (one change made to both) against the
    gap between the plain standard and separable models, per epoch and at equal training time.
    Spreads are ranges over seeds, since a seed fixes different weights in different models."""
    results = found.results
    plain, changed = found.gap, paired_gap(results, standard, separable)
    last = min(len(plain.x), len(changed.x))

    def compared(when: int) -> str:
        if changed.high[when] < plain.low[when]:
            return "smaller in every seed"
        if changed.low[when] > plain.high[when]:
            return "larger in every seed"
        return "within the plain pair's spread"
    text = (f"**{standard}** ({_change_words(variant(standard))} in the standard model too): its lead "
            f"over {separable} is {_span([changed.low[0], changed.high[0]])} points after epoch 1 "
            f"({compared(0)} than without it) and {_span([changed.low[last - 1], changed.high[last - 1]])} "
            f"after epoch {last} ({compared(last - 1)})")
    diffs = [m.difference for m in equal_time(results, standard, separable)]
    if None in diffs:
        return text + f"; at equal training time {standard} had not finished an epoch in at least one seed."
    if min(diffs) > 0:
        return text + f"; at equal training time it leads by {_span(diffs)} points in every seed."
    if max(diffs) < 0:
        return text + f"; at equal training time it trails by {_span([-d for d in diffs], sign='')} points in every seed."
    return text + f"; at equal training time the difference is {_span(diffs)} points: {_mixed(diffs)}."


def _seeds_and_noise(found: Findings) -> str:
    results = found.results
    counts = sorted({len(runs) for runs in results.values()})
    text = (f"These are {' and '.join(map(str, counts))} seeds per model: enough to see the "
            "direction of a gap that every seed shows, not to pin a small one down.")
    test_size = results["standard"][0].history.settings.get("test_size")
    if test_size:
        p = mean(_final(results["standard"]) + _final(results["separable"]))
        text += (f" One test accuracy on {test_size:,} images is itself uncertain by about "
                 f"±{100 * (p * (1 - p) / test_size) ** 0.5:.1f} points.")
    return text


def summary_points(results: dict[str, list[RunResult]], threshold: float = 0.87) -> dict[str, str]:
    """The findings besides the answer, each a short Markdown sentence or two, keyed: "per
    second", "time to target", one key per variant other than the main pair, then "seeds"."""
    found = findings(results, threshold)
    points = {"per second": _per_second(found), "time to target": _time_to_target(found)}
    for name, runs in results.items():
        if name in MAIN_PAIR:
            continue
        v = variant(name)
        if v.conv == "standard" and v.twin in results:
            points[name] = _fair_twin(found, name, v.twin)
        elif v.conv == "separable":
            points[name] = _separable_variant(found, name)
        else:
            points[name] = (f"**{name}** ({_change_words(v)}, {_seeds(len(runs))}): "
                            f"{mean(_final(runs)) * 100:.2f}% after its last epoch.{_reached_words(found, name)}")
    points["seeds"] = _seeds_and_noise(found)
    return points


def plain_summary(results: dict[str, list[RunResult]], threshold: float = 0.87) -> str:
    """``summary_points`` as a Markdown list, in their order."""
    return "\n".join(f"- {p}" for p in summary_points(results, threshold).values())
