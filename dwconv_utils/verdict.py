"""The seed's claim judged in words: the results table, the verdict and the summary of
notebook 04, every number computed from the committed results.

What the runs show is computed once (``findings``); the table, ``verdict`` and
``summary_points`` only put it into words, each sentence chosen by the numbers, so a
change in the results changes the text. ``summary_points`` is keyed ("per epoch",
"per second", "time to target", one key per variant, "seeds"), so a notebook picks a
point by its key, never by parsing the text.
"""
from __future__ import annotations

from dataclasses import dataclass

from .results import RunResult, Variant, variant
from .seeds import Band, EqualTime, equal_time, mean, mean_std, median, paired_gap, time_to_accuracy
from .tables import Table
from .train import DEFAULT_LR

MAIN_PAIR = ("standard", "separable")


@dataclass
class Findings:
    """Everything the words say, computed once from ``results`` (fractions, not percent)."""

    results: dict[str, list[RunResult]]
    threshold: float
    gap: Band                 # standard minus separable test accuracy per epoch, paired by seed
    loss_gap: Band            # the same for the training loss
    reached: dict[str, list]  # variant -> time_to_accuracy of each seed (None: never)
    matched: list[EqualTime]  # standard against separable at separable's training time
    epoch_seconds: dict[str, float]  # variant -> median epoch time over its seeds

    @property
    def main_pair_reached(self) -> bool:
        return all(t is not None for name in MAIN_PAIR for t in self.reached[name])


def findings(results: dict[str, list[RunResult]], threshold: float = 0.87) -> Findings:
    """What ``results`` show; needs runs of both the standard and the separable model."""
    for needed in MAIN_PAIR:
        if needed not in results:
            raise ValueError(f"the verdict needs results for {needed!r}; have {', '.join(results)}")
    return Findings(
        results, threshold, paired_gap(results), paired_gap(results, key="train_loss"),
        {name: [time_to_accuracy(r.history, threshold) for r in runs] for name, runs in results.items()},
        equal_time(results),
        {name: median([e.seconds for r in runs for e in r.history.epochs])
         for name, runs in results.items()})


def _pm(values: list[float], scale: float = 1.0, digits: int = 2) -> str:
    average, std = mean_std([v * scale for v in values])
    if len(values) < 2:
        return f"{average:.{digits}f}"
    return f"{average:.{digits}f} ± {std:.{digits}f}"


class ResultsTable(Table):
    """One row per variant: seeds, final accuracy and loss, speed, time to a target accuracy."""

    def __init__(self, results: dict[str, list[RunResult]], threshold: float):
        self.threshold = threshold
        self.title = (f"Results over seeds (mean ± sample std). Seconds to {threshold:.0%} test "
                      "accuracy: training time to the end of the first epoch reaching it, at the "
                      "run's median epoch time")
        rows = []
        for name, runs in results.items():
            reached = [time_to_accuracy(r.history, threshold) for r in runs]
            hit = [t for t in reached if t is not None]
            rows.append({
                "variant": name, "seeds": len(runs),
                "epochs": min(len(r.history.epochs) for r in runs),
                "final test acc (%)": _pm([r.history.epochs[-1].test_accuracy for r in runs], 100),
                "final train loss": _pm([r.history.epochs[-1].train_loss for r in runs], 1, 3),
                "s per epoch": f"{median([e.seconds for r in runs for e in r.history.epochs]):.1f}",
                f"epoch to {threshold:.0%}": (_pm([t[0] for t in hit], 1, 1) if hit else "never")
                + (f" ({len(hit)}/{len(runs)} seeds)" if hit and len(hit) < len(runs) else ""),
                f"seconds to {threshold:.0%}": (_pm([t[1] for t in hit], 1, 0) if hit else "never"),
            })
        columns = list(rows[0]) if rows else ["variant"]
        super().__init__(columns, rows, numeric=tuple(columns[1:]))


def results_table(results: dict[str, list[RunResult]], threshold: float = 0.87) -> ResultsTable:
    return ResultsTable(results, threshold)


def verdict(results: dict[str, list[RunResult]], threshold: float = 0.87) -> str:
    """The seed's claim judged in plain words, every number computed from ``results``."""
    found = findings(results, threshold)
    std, sep = results["standard"], results["separable"]
    gap, loss_gap = found.gap, found.loss_gap  # standard - separable: negative loss = standard lower
    n = gap.seeds
    lines = []
    ahead_everywhere = all(low > 0 for low in gap.low)
    if ahead_everywhere:
        lines.append(f"Per epoch: the standard twin has the higher test accuracy at every one of the "
                     f"{len(gap.x)} epochs in {_all_seeds(n)}.")
    else:
        behind = [int(e) for e, low in zip(gap.x, gap.low) if low <= 0]
        lines.append(f"Per epoch: the standard twin is not ahead in every seed; at epochs "
                     f"{', '.join(map(str, behind))} at least one seed has the separable model level or ahead.")
    lines.append(f"The difference (standard minus separable, paired by seed) is "
                 f"{_first_and_last(gap, 'seeds: ')}.")
    lines.append(f"Training loss after the last epoch: standard {_pm([r.history.epochs[-1].train_loss for r in std], 1, 3)}, "
                 f"separable {_pm([r.history.epochs[-1].train_loss for r in sep], 1, 3)} "
                 f"(difference {loss_gap.mean[-1]:+.3f}).")
    epochs_s, epochs_p = found.reached["standard"], found.reached["separable"]
    if all(epochs_s) and all(epochs_p):
        es, ep = [t[0] for t in epochs_s], [t[0] for t in epochs_p]
        ss, sp = [t[1] for t in epochs_s], [t[1] for t in epochs_p]
        lines.append(f"To reach {threshold:.0%} test accuracy the standard twin needs {_pm(es, 1, 1)} "
                     f"epochs, the separable model {_pm(ep, 1, 1)}.")
        faster = "separable" if max(sp) < min(ss) else "standard" if max(ss) < min(sp) else None
        machine = std[0].record["machine"]
        where = f"{machine['cpu']}, {machine['torch_threads']} threads"
        timing = (f"In training time on the machine that ran them ({where}; each run at its median "
                  f"epoch time) it is {_pm(ss, 1, 0)} s for the standard twin and {_pm(sp, 1, 0)} s "
                  f"for the separable model (a median epoch takes "
                  f"{found.epoch_seconds['standard']:.0f} s vs "
                  f"{found.epoch_seconds['separable']:.0f} s)")
        if faster:
            timing += f": the {faster} model gets there sooner in every seed."
        else:
            timing += ": the seeds overlap, so neither is reliably sooner."
        lines.append(timing)
    else:
        lines.append(f"Not every run reached {threshold:.0%} test accuracy within its epochs.")
    lines.append(_equal_time_sentence(found.matched))
    for name, runs in results.items():
        if name in ("standard", "separable"):
            continue
        final = [r.history.epochs[-1].test_accuracy for r in runs]
        base = "separable" if runs[0].record["model"]["conv"] == "separable" else "standard"
        reference = [r.history.epochs[-1].test_accuracy for r in results[base]]
        first = [r.history.epochs[0].test_accuracy for r in runs]
        lines.append(f"{name} ({_seeds(len(runs))}): final test accuracy {_pm(final, 100)}% "
                     f"(epoch 1: {_pm(first, 100)}%) against {_pm(reference, 100)}% for {base}; "
                     f"the standard twin ends at {_pm([r.history.epochs[-1].test_accuracy for r in std], 100)}%.")
        twin = variant(name).twin
        if twin in results and base == "standard":
            pair = paired_gap(results, name, twin)
            lines.append(f"{name} minus {twin} (paired by seed, {_seeds(pair.seeds)}): "
                         f"{_first_and_last(pair)}.")
    return "\n".join(lines)


def _first_and_last(gap: Band, label: str = "") -> str:
    """A paired gap after the first and the last epoch: mean (range over seeds), in points."""
    return (f"{100 * gap.mean[0]:+.1f} points after epoch 1 ({label}{_span([gap.low[0], gap.high[0]])}) "
            f"and {100 * gap.mean[-1]:+.1f} after epoch {int(gap.x[-1])} "
            f"({_span([gap.low[-1], gap.high[-1]])})")


def _span(values: list[float], scale: float = 100, digits: int = 1, sign: str = "+") -> str:
    low, high = min(values) * scale, max(values) * scale
    if f"{low:{sign}.{digits}f}" == f"{high:{sign}.{digits}f}":
        return f"{low:{sign}.{digits}f}"
    return f"{low:{sign}.{digits}f} to {high:{sign}.{digits}f}"


def _equal_time_sentence(matched: list[EqualTime]) -> str:
    seconds = [m.seconds for m in matched]
    text = (f"At equal training time: when the separable model had finished its "
            f"{matched[0].behind_epochs} epochs ({_span(seconds, 1, 0, '')} s), the standard twin had "
            f"finished {_span([m.ahead_epochs for m in matched], 1, 0, '')} epochs")
    if any(m.difference is None for m in matched):
        return text + " (none in at least one seed), so it had no test accuracy yet to compare."
    return (text + f", and its test accuracy differed by {_span([m.difference for m in matched])} "
            f"points (standard minus separable, {len(matched)} seeds).")


def _share_closed(variant_value: float, low: float, high: float) -> float | None:
    """Where ``variant_value`` lies from ``low`` (0) to ``high`` (1); None if there is no gap."""
    return None if high <= low else (variant_value - low) / (high - low)


def _reached_sentence(runs: list[RunResult], main_pair: list[RunResult], threshold: float) -> str:
    """When a variant's runs first reached ``threshold``, against the standard and separable runs."""
    reached = [time_to_accuracy(r.history, threshold) for r in runs]
    if any(t is None for t in reached):
        return (f" {sum(t is not None for t in reached)} of its {_seeds(len(runs))} reached "
                f"{threshold:.0%} test accuracy.")
    seconds = [t[1] for t in reached]
    epochs = [t[0] for t in reached]
    text = (f" It first reached {threshold:.0%} after {_span(epochs, 1, 0, '')} "
            f"epoch{'s' if max(epochs) > 1 else ''}, {_span(seconds, 1, 0, '')} s")
    others = [time_to_accuracy(r.history, threshold) for r in main_pair]
    others = [t[1] for t in others if t is not None]
    if others and max(seconds) < min(others):
        return text + f": sooner than any standard or separable seed (from {min(others):.0f} s)."
    return text + "."


def _change_words(v: Variant) -> str:
    """What a variant changes in the seed's model, in words: "BatchNorm", "selu", ..."""
    changes = (["BatchNorm"] if v.batch_norm else []) + \
        ([v.activation] if v.activation != "relu" else []) + \
        ([f"learning rate {v.lr:g}"] if v.lr != DEFAULT_LR else [])
    return " and ".join(changes) or "the same settings"


def _twin_sentence(results: dict[str, list[RunResult]], standard: str, separable: str) -> str:
    """The gap between ``standard`` and its separable twin (one change made to both) against
    the gap between the plain standard and separable models: per epoch, then at equal
    training time. Spreads are compared as ranges over seeds, since a seed fixes different
    weights in different models."""
    plain, changed = paired_gap(results), paired_gap(results, standard, separable)
    last = min(len(plain.x), len(changed.x))
    both = f"With {_change_words(variant(standard))} in both models"
    if all(low > 0 for low in changed.low[:last]):
        text = (f"{both}, the standard one is ahead at every one of the {last} epochs in "
                f"{_all_seeds(changed.seeds)}.")
    elif all(high < 0 for high in changed.high[:last]):
        text = (f"{both}, the separable one is ahead at every one of the {last} epochs in "
                f"{_all_seeds(changed.seeds)}.")
    else:
        text = f"{both}, neither is ahead at every epoch in every seed."

    def compared(when: int) -> str:
        if changed.high[when] < plain.low[when]:
            return "smaller in every seed"
        if changed.low[when] > plain.high[when]:
            return "larger in every seed"
        return "within the plain pair's spread"
    text += (f" {standard} minus {separable}: {_span([changed.low[0], changed.high[0]])} points after "
             f"epoch 1 and {_span([changed.low[last - 1], changed.high[last - 1]])} after epoch "
             f"{last}, against {_span([plain.low[0], plain.high[0]])} and "
             f"{_span([plain.low[last - 1], plain.high[last - 1]])} for standard minus separable: "
             f"{compared(0)} after epoch 1, {compared(last - 1)} after epoch {last}.")
    matched = equal_time(results, standard, separable)
    diffs = [m.difference for m in matched]
    when = (f" At equal training time ({separable}'s {matched[0].behind_epochs} epochs, "
            f"{_span([m.seconds for m in matched], 1, 0, '')} s)")
    if None in diffs:
        return text + f"{when} {standard} had not finished an epoch in at least one seed."
    if min(diffs) > 0:
        return text + f"{when} {standard} was ahead by {_span(diffs)} points in every seed."
    if max(diffs) < 0:
        return text + f"{when} {separable} was ahead by {_span([-d for d in diffs], sign='')} points in every seed."
    return text + f"{when} the difference was {_span(diffs)} points: it changes sign between seeds."


def _seeds(n: int) -> str:
    return f"{n} seed" if n == 1 else f"{n} seeds"


def _all_seeds(n: int) -> str:
    return {1: "the 1 seed", 2: "both seeds"}.get(n, f"all {n} seeds")


def _share_words(share: float, when: str) -> str:
    """Where a variant lies between the separable model (0) and the standard twin (1), in words."""
    if share < 0:
        return f"falls below the separable model {when}"
    if share > 1:
        return f"passes the standard twin {when}"
    return f"closes {share:.0%} of the gap {when}"


def summary_points(results: dict[str, list[RunResult]], threshold: float = 0.87) -> dict[str, str]:
    """The verdict as a few plain sentences (Markdown) for notebook 04, keyed: "per epoch",
    "per second", "time to target", then one key per other variant, then "seeds". Which way
    each comparison went is chosen by the numbers in ``results``, with its spread over seeds."""
    found = findings(results, threshold)
    gap = found.gap
    epochs, n = int(gap.x[-1]), gap.seeds
    reached = {name: found.reached[name] for name in MAIN_PAIR}
    all_reached = found.main_pair_reached
    to_threshold = ""
    if all_reached:
        es = [t[0] for t in reached["standard"]]
        ep = [t[0] for t in reached["separable"]]
        to_threshold = (f" To reach {threshold:.0%} test accuracy it needs "
                        f"{_span(ep, 1, 0, '')} epochs, the standard twin {_span(es, 1, 0, '')}.")
    points = {}
    if all(low > 0 for low in gap.low):
        points["per epoch"] = (f"**Per epoch, the seed is right.** The separable model has the lower test "
                               f"accuracy at every one of the {epochs} epochs in {_all_seeds(n)}: "
                               f"{100 * gap.mean[0]:.1f} points behind its standard twin after epoch 1 and "
                               f"still {100 * gap.mean[-1]:.1f} behind after epoch {epochs} (means over "
                               f"seeds).{to_threshold}")
    elif all(high < 0 for high in gap.high):
        points["per epoch"] = (f"**Per epoch, the seed is wrong here.** The separable model is ahead of its "
                               f"standard twin at every epoch in {_all_seeds(n)} "
                               f"(by {-100 * gap.mean[-1]:.1f} points after epoch {epochs}).{to_threshold}")
    else:
        points["per epoch"] = (f"**Per epoch, no clear winner.** Over {_seeds(n)} neither model is ahead at "
                               f"every epoch (standard minus separable after epoch {epochs}: "
                               f"{_span([gap.low[-1], gap.high[-1]])} points).{to_threshold}")

    std_epoch, sep_epoch = found.epoch_seconds["standard"], found.epoch_seconds["separable"]
    speed = (f"{std_epoch / sep_epoch:.1f}x quicker" if std_epoch >= sep_epoch
             else f"{sep_epoch / std_epoch:.1f}x slower")
    matched = found.matched
    diffs = [m.difference for m in matched]
    same_time = (f"after the training time of the separable model's "
                 f"{_span([m.behind_epochs for m in matched], 1, 0, '')} epochs the standard "
                 f"twin had finished {_span([m.ahead_epochs for m in matched], 1, 0, '')}")
    if None in diffs:
        points["per second"] = (f"**Per second, no comparison yet.** A separable epoch is {speed}: "
                                f"{same_time} epochs in at least one seed, so it had no test accuracy "
                                "to compare.")
    elif min(diffs) > 0:
        # Narrower than the per-epoch gap after the same number of separable epochs, seed by seed.
        standard_runs = {r.seed: r for r in results["standard"]}
        per_epoch = [standard_runs[m.seed].history.epochs[m.behind_epochs - 1].test_accuracy
                     - m.behind_accuracy for m in matched
                     if len(standard_runs[m.seed].history.epochs) >= m.behind_epochs]
        narrower = len(per_epoch) == len(matched) and all(
            d < p for d, p in zip(diffs, per_epoch))
        how = ("narrows the gap but does not overtake" if narrower
               else "does not overtake")
        compared = (f", less than its {_span(per_epoch)} after the same "
                    f"{_span([m.behind_epochs for m in matched], 1, 0, '')} epochs" if narrower else "")
        points["per second"] = (f"**Per second on the machine that ran them, the separable model {how}.** "
                                f"A separable epoch is {speed}, yet {same_time} epochs and was ahead by "
                                f"{_span(diffs)} points in every seed{compared}.")
    elif max(diffs) < 0:
        points["per second"] = (f"**Per second on the machine that ran them, the separable model is ahead.** "
                                f"A separable epoch is {speed}: {same_time} epochs and was behind by "
                                f"{_span([-d for d in diffs], sign='')} points in every seed.")
    else:
        points["per second"] = (f"**Per second on the machine that ran them, a draw.** A separable epoch is "
                                f"{speed}; {same_time} epochs, and the difference (standard minus "
                                f"separable) was {_span(diffs)} points: it changes sign between seeds.")

    if all_reached:
        ss = [t[1] for t in reached["standard"]]
        sp = [t[1] for t in reached["separable"]]
        if max(sp) < min(ss) or max(ss) < min(sp):
            first = "separable model" if max(sp) < min(ss) else "standard twin"
            points["time to target"] = (f"To first reach {threshold:.0%} test accuracy the {first} was sooner in "
                                        f"every seed (standard {_span(ss, 1, 0, '')} s, separable "
                                        f"{_span(sp, 1, 0, '')} s; checked once per epoch).")
        else:
            points["time to target"] = (f"To first reach {threshold:.0%} test accuracy the seeds overlap (standard "
                                        f"{_span(ss, 1, 0, '')} s, separable {_span(sp, 1, 0, '')} s; checked "
                                        "once per epoch): neither is reliably sooner.")
    else:
        counts = ", ".join(f"{name} {sum(t is not None for t in found)} of {_seeds(len(found))}"
                           for name, found in reached.items())
        points["time to target"] = (f"Not every run reached {threshold:.0%} test accuracy within its epochs "
                                    f"({counts}), so time to {threshold:.0%} is not compared.")

    # In percent before averaging, as the results table does, so both print the same digits.
    final = {name: [100 * r.history.epochs[-1].test_accuracy for r in runs]
             for name, runs in results.items()}
    first = {name: [100 * r.history.epochs[0].test_accuracy for r in runs]
             for name, runs in results.items()}
    main_pair = results["standard"] + results["separable"]
    for name, runs in results.items():
        if name in ("standard", "separable"):
            continue
        base = "separable" if runs[0].record["model"]["conv"] == "separable" else "standard"
        last = len(runs[0].history.epochs)
        where = (f"({_seeds(len(runs))}: {mean(final[name]):.2f}% after epoch {last}, against "
                 f"{mean(final['separable']):.2f}% separable and {mean(final['standard']):.2f}% "
                 "standard")
        if min(final[name]) > max(final[base]):
            where += f"; each ends above every {base} seed)"
        elif max(final[name]) < min(final[base]):
            where += f"; each ends below every {base} seed)"
        else:
            where += f"; its seeds and the {base} ones overlap)"
        closed_first = _share_closed(mean(first[name]), mean(first["separable"]), mean(first["standard"]))
        closed_final = _share_closed(mean(final[name]), mean(final["separable"]), mean(final["standard"]))
        twin = variant(name).twin
        if base == "standard" and twin in results:
            points[name] = (f"**{name}**, the fair twin of {twin} {where}."
                            f"{_reached_sentence(runs, main_pair, threshold)} "
                            f"{_twin_sentence(results, name, twin)}")
            continue
        if base != "separable" or closed_first is None or closed_final is None:
            points[name] = f"**{name}** {where[1:-1]}.{_reached_sentence(runs, main_pair, threshold)}"
            continue
        if 0 <= closed_first <= 1 and 0 <= closed_final <= 1:
            closed = (f"closes {closed_first:.0%} of the gap after epoch 1 and {closed_final:.0%} "
                      f"of it after epoch {last}")
        else:
            closed = (f"{_share_words(closed_first, 'after epoch 1')} and "
                      f"{_share_words(closed_final, f'after epoch {last}')}")
        points[name] = f"**{name}** {closed} {where}.{_reached_sentence(runs, main_pair, threshold)}"
    counts = sorted({len(runs) for runs in results.values()})
    test_size = results["standard"][0].history.settings.get("test_size")
    noise = ""
    if test_size:
        p = mean(final["standard"] + final["separable"]) / 100
        noise = (f" One test accuracy on {test_size:,} images is itself uncertain by about "
                 f"±{100 * (p * (1 - p) / test_size) ** 0.5:.1f} points (one standard error), "
                 "so differences of that size between runs say little.")
    points["seeds"] = (f"These are {' and '.join(map(str, counts))} seeds per model: enough to see the "
                       f"direction of a gap that every seed shows, not to pin a small one down.{noise}")
    return points


def plain_summary(results: dict[str, list[RunResult]], threshold: float = 0.87) -> str:
    """``summary_points`` as a Markdown list, in their order."""
    return "\n".join(f"- {p}" for p in summary_points(results, threshold).values())
