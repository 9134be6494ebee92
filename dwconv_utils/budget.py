"""Equal budgets: is a separable network better than a smaller standard one? (notebook 06)

The seed says depthwise separable convolution "cuts the parameters a lot while accuracy
drops less". The fair test sets it beside standard networks with the *same budget*:
two families of ``ReferenceCNN`` widths trained with one recipe (``results.Variant.family``),
each point with its exact parameters and mult-adds, its accuracy over seeds, and its
training time per epoch measured for all points in one run on one machine.

- ``family_points``: every trained width of both families, with its budget and accuracy;
- ``frontier``: the points no other point of the family beats at a lower or equal budget;
- ``best_within``: the most accurate point of a family that fits a budget;
- ``matched_pairs``: separable and standard points of about the same budget, their
  accuracy differences paired by seed;
- ``measure_epoch_times`` / ``load_epoch_times``: seconds per training epoch of every
  point, timed interleaved in one process and kept in a file beside the results.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from . import checks
from .cost import cost_table
from .device import keep_cpu_memory_for_reuse, machine_info
from .files import write_atomically
from .results import VARIANTS, RunResult, Variant, default_folder, variant
from .seeds import mean
from .tables import Table
from .timing import measure_interleaved
from .train import DEFAULT_BATCH_SIZE

FAMILIES = ("separable", "standard")
BUDGETS = ("params", "mult_adds")
BUDGET_WORDS = {"params": "parameters", "mult_adds": "mult-adds per image"}
EPOCH_TIMES_FILE = "family-epoch-times.json"
EPOCH_TIMES_VERSION = 1
TRAIN_IMAGES = 60_000
MATCH_TOLERANCE = 0.05  # budgets within 5% count as equal


def family_variants(family: str, head: str = "flatten") -> list[Variant]:
    """The variants of one family with one head, by width."""
    checks.choice("family", family, FAMILIES)
    return sorted((v for v in VARIANTS if v.family == family and v.head == head), key=lambda v: v.width)


def model_budget(v: Variant) -> dict[str, int]:
    """Exact parameters and mult-adds per 28x28 image of a variant's model."""
    model = v.model()
    return {"params": sum(p.numel() for p in model.parameters()),
            "mult_adds": cost_table(model, (1, 1, 28, 28)).total_macs}


@dataclass
class FamilyPoint:
    """One width of one family: its budget, and its test accuracy after the last epoch per seed."""

    family: str
    width: float
    variant: str
    params: int
    mult_adds: int
    runs: list[RunResult]
    epoch_seconds: float | None = None  # from ``load_epoch_times``, when measured

    @property
    def accuracies(self) -> dict[int, float]:
        return {r.seed: r.history.epochs[-1].test_accuracy for r in self.runs}

    @property
    def accuracy(self) -> float:
        return mean(self.accuracies.values())

    @property
    def low(self) -> float:
        return min(self.accuracies.values())

    @property
    def high(self) -> float:
        return max(self.accuracies.values())

    def budget(self, kind: str) -> int:
        return self.params if kind == "params" else self.mult_adds


def family_points(results: dict[str, list[RunResult]], epoch_times: dict[str, float] | None = None,
                  head: str = "flatten") -> dict[str, list[FamilyPoint]]:
    """Both families' trained points (those with results) with ``head``, each sorted by width."""
    out = {}
    for family in FAMILIES:
        points = []
        for v in family_variants(family, head):
            if v.name in results:
                points.append(FamilyPoint(family, v.width, v.name, **model_budget(v), runs=results[v.name],
                                          epoch_seconds=(epoch_times or {}).get(v.name)))
        out[family] = points
    return out


def frontier(points: list[FamilyPoint], kind: str = "params") -> list[FamilyPoint]:
    """The points that no point of the list beats: none is at least as accurate (mean over
    seeds) for a lower or equal budget. Sorted by budget."""
    checks.choice("kind", kind, BUDGETS)
    ordered = sorted(points, key=lambda p: (p.budget(kind), -p.accuracy))
    kept, best = [], float("-inf")
    for p in ordered:
        if p.accuracy > best:
            kept.append(p)
            best = p.accuracy
    return kept


def best_within(points: list[FamilyPoint], budget: float, kind: str = "params") -> FamilyPoint | None:
    """The most accurate point (mean over seeds) whose ``kind`` budget is at most ``budget``;
    None if none fits."""
    checks.choice("kind", kind, BUDGETS)
    fitting = [p for p in points if p.budget(kind) <= budget]
    return max(fitting, key=lambda p: p.accuracy) if fitting else None


@dataclass
class MatchedPair:
    """A separable and a standard point of about the same budget, compared seed by seed."""

    kind: str
    separable: FamilyPoint
    standard: FamilyPoint

    @property
    def budget_ratio(self) -> float:
        """Standard budget / separable budget (1 is a perfect match)."""
        return self.standard.budget(self.kind) / self.separable.budget(self.kind)

    @property
    def leader(self) -> str | None:
        """"separable" or "standard" if that one is ahead in every seed, else None."""
        diffs = list(self.differences.values())
        return "separable" if min(diffs) > 0 else "standard" if max(diffs) < 0 else None

    @property
    def differences(self) -> dict[int, float]:
        """Separable minus standard final test accuracy, per seed both have."""
        a, b = self.separable.accuracies, self.standard.accuracies
        return {s: a[s] - b[s] for s in sorted(set(a) & set(b))}


def matched_pairs(points: dict[str, list[FamilyPoint]], tolerance: float = MATCH_TOLERANCE
                  ) -> list[MatchedPair]:
    """Every (separable, standard) pair whose parameters, or whose mult-adds, differ by at most
    ``tolerance`` (a fraction), params pairs first."""
    pairs = []
    for kind in BUDGETS:
        for sep in points["separable"]:
            for std in points["standard"]:
                if abs(std.budget(kind) / sep.budget(kind) - 1) <= tolerance:
                    pairs.append(MatchedPair(kind, sep, std))
    return pairs


def points_table(points: dict[str, list[FamilyPoint]]) -> Table:
    """One row per trained point: width, budget, final accuracy (mean, lowest-highest seed),
    epoch time where measured."""
    rows = []
    for family in FAMILIES:
        for p in points[family]:
            acc = f"{100 * p.accuracy:.2f}" + (f" ({100 * p.low:.2f}-{100 * p.high:.2f})" if len(p.runs) > 1 else "")
            rows.append({"family": family, "width": f"{p.width:g}", "variant": p.variant,
                         "parameters": p.params, "mult-adds": p.mult_adds, "seeds": len(p.runs),
                         "final test acc (%)": acc,
                         "s per epoch": "" if p.epoch_seconds is None else f"{p.epoch_seconds:.1f}"})
    table = Table(list(rows[0]), rows, numeric=("width", "parameters", "mult-adds", "seeds",
                                                "final test acc (%)", "s per epoch"))
    table.title = "Both families after 10 epochs: the mean over seeds (lowest-highest seed)"
    return table


def pairs_table(pairs: list[MatchedPair]) -> Table:
    """The matched pairs: which budget, how close, and separable minus standard per seed."""
    rows = []
    for pair in pairs:
        diffs = list(pair.differences.values())
        rows.append({"matched in": BUDGET_WORDS[pair.kind],
                     "separable": f"{pair.separable.variant} ({pair.separable.budget(pair.kind):,})",
                     "standard": f"{pair.standard.variant} ({pair.standard.budget(pair.kind):,})",
                     "standard / separable": f"{pair.budget_ratio:.3f}",
                     "separable - standard (points)": (f"{100 * mean(diffs):+.2f} ({100 * min(diffs):+.2f} "
                                                       f"to {100 * max(diffs):+.2f}, {len(diffs)} seeds)")})
    table = Table(list(rows[0]), rows, numeric=("standard / separable", "separable - standard (points)"))
    table.title = "Matched pairs: final test accuracy, separable minus standard, paired by seed"
    return table


def answer_points(pairs: list[MatchedPair], setting: str = "") -> dict[str, str]:
    """At equal parameters and at equal mult-adds, which family is more accurate and by how
    much: one sentence per budget kind that has a matched pair, chosen by the numbers.
    ``setting`` (e.g. "with a pooling head") is named after the budget."""
    points = {}
    for kind in BUDGETS:
        chosen = [p for p in pairs if p.kind == kind]
        if not chosen:
            continue
        parts = []
        for pair in chosen:
            diffs = list(pair.differences.values())
            if min(diffs) > 0:
                verdict = f"the separable one is ahead in every seed, by {_points(diffs)}"
            elif max(diffs) < 0:
                verdict = f"the standard one is ahead in every seed, by {_points([-d for d in diffs])}"
            else:
                verdict = f"neither is ahead in every seed ({_points(diffs, signed=True)})"
            parts.append(f"{pair.separable.variant} against {pair.standard.variant}, {verdict}")
        ahead = {p.leader for p in chosen}
        lead = ("the separable family is more accurate" if ahead == {"separable"}
                else "the standard family is more accurate" if ahead == {"standard"}
                else "neither family is reliably more accurate")
        where = f", {setting}" if setting else ""
        points[kind] = f"**At equal {BUDGET_WORDS[kind]}{where}, {lead}:** {'; '.join(parts)}."
    return points


def _points(values: list[float], signed: bool = False) -> str:
    fmt = "+.1f" if signed else ".1f"
    low, high = 100 * min(values), 100 * max(values)
    if f"{low:{fmt}}" == f"{high:{fmt}}":
        return f"{low:{fmt}} points"
    return f"{low:{fmt}} to {high:{fmt}} points"


# --- epoch times, measured for every point in one run ---------------------------------------

def measure_epoch_times(names=None, repeats: int = 5, steps: int = 10, batch_size: int = DEFAULT_BATCH_SIZE,
                        device=None) -> dict:
    """Seconds per training epoch (60,000 images at ``batch_size``) of each family variant, from
    ``repeats`` interleaved samples of ``steps`` training steps each, as ``fit`` trains (Adam,
    channels_last, memory reuse), on random images: speed does not depend on pixel values.
    Returns a JSON-ready record with the machine."""
    names = list(names) if names is not None else [v.name for v in VARIANTS if v.family]
    repeats = checks.positive_int("repeats", repeats)
    steps = checks.positive_int("steps", steps)
    batch_size = checks.positive_int("batch_size", batch_size)
    keep_cpu_memory_for_reuse()
    device = torch.device(device or "cpu")
    x = torch.randn(batch_size, 1, 28, 28, device=device).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch_size,), device=device)
    calls = {}
    for name in names:
        torch.manual_seed(0)
        model = variant(name).model().to(device=device, memory_format=torch.channels_last).train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

        def train_steps(model=model, opt=opt):
            for _ in range(steps):
                opt.zero_grad(set_to_none=True)
                F.cross_entropy(model(x), y).backward()
                opt.step()
        calls[name] = train_steps
    started = time.perf_counter()
    timings = measure_interleaved(calls, repeats, 1, device)
    steps_per_epoch = -(-TRAIN_IMAGES // batch_size)
    return {"version": EPOCH_TIMES_VERSION, "machine": machine_info(device),
            "batch_size": batch_size, "steps": steps, "repeats": repeats,
            "seconds_measuring": round(time.perf_counter() - started, 1),
            "epoch_seconds": {name: round(t.median / steps * steps_per_epoch, 2)
                              for name, t in timings.items()}}


def save_epoch_times(record: dict, folder=None) -> Path:
    folder = Path(folder) if folder is not None else default_folder()
    return write_atomically(folder / EPOCH_TIMES_FILE, (json.dumps(record, indent=1) + "\n").encode())


def load_epoch_times(folder=None) -> dict:
    """The committed epoch-time record (``measure_epoch_times``); a missing or malformed file
    raises a ``ValueError`` or ``FileNotFoundError`` naming it."""
    path = (Path(folder) if folder is not None else default_folder()) / EPOCH_TIMES_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"no epoch times at {path}; run `python -m dwconv_utils bench "
                                "--families` to measure them") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON text ({error})") from error
    if (not isinstance(record, dict) or record.get("version") != EPOCH_TIMES_VERSION
            or not isinstance(record.get("epoch_seconds"), dict)):
        raise ValueError(f"{path} is not an epoch-time record of version {EPOCH_TIMES_VERSION}")
    return record
