"""The findings protocol: one way to run every training experiment a verdict rests on.

Notebooks 04, 06 and 07 answer questions about training runs. Each answer
rests on runs made under these rules:

1. **A validation split.** A fixed, class-stratified 10,000 of the 60,000
   training images (``validation_split``; its indices are chosen by hashing, so
   they are the same on every machine and torch version, and every result
   records the split's digest). Every choice (a learning rate, BatchNorm or
   not, a recipe) is made on it (``choose``); the test set gives the final
   numbers only, once, at the end of a schedule fixed in advance.
2. **Equal tuning effort.** Each model family gets the same grid (peak
   learning rate x BatchNorm on/off, one-cycle, ``GRID_EPOCHS`` epochs), each
   point trained with ``TUNING_SEEDS``, the winner chosen on their validation
   accuracy and then trained with all of ``SEEDS``.
3. **Five seeds** (``SEEDS``) for every comparison; differences with 95%
   intervals and verdicts by ``stats``.
4. **One clock.** Seconds that are compared come from one interleaved
   measurement on one machine (``measure_clock``, written to ``clock.json``),
   never from the runs' own epoch times, which depend on where they ran.

Runs are described by ``Spec`` (a network, its training, the data and the
seeds; a spec can follow a family's tuned winner) and grouped into the
studies of ``STUDIES``. ``python -m dwconv_utils protocol plan`` prints the
runs with an estimate of their CPU-hours; ``... protocol run`` runs what is
missing, one result file per (spec, seed), finished ones skipped, so a run set
can be spread over sessions and machines. All seeds of one spec train at
once as one packed network (``PackedNets``: the seeds' networks side by side
as groups of one grouped network, each with its own data order), which does
the same arithmetic as training them one by one and keeps a GPU busy.
"""
from __future__ import annotations

import datetime
import functools
import hashlib
import json
import math
import re
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from . import checks
from .device import keep_cpu_memory_for_reuse
from .files import write_atomically
from .layers import DepthwiseSeparableConv2d
from .models import ReferenceCNN
from .train import DEFAULT_BATCH_SIZE, SCHEDULES, check_data, prepare_images, scheduled_lr

PROTOCOL_VERSION = 1
SEEDS = (0, 1, 2, 3, 4)
TUNING_SEEDS = (0, 1)
VALIDATION_SIZE = 10_000
SPLIT_KEY = "dwconv-validation-v1"
GRID_LRS = (0.001, 0.002, 0.004, 0.008)
# A winner at an end of the learning rates may not be the best: the grid then grows one doubling
# (or halving) past it, at the winner's BatchNorm setting, at most this many times per end.
GRID_EDGE_STEPS = 2
GRID_EPOCHS = 15
DATA_MODES = ("protocol", "seed")
# CPU throughput used to estimate a plan's CPU-hours before the clock is measured: about what
# the committed runs of 2 threads on a 2-core AMD EPYC reached for both models (mult-adds/s).
ESTIMATED_MACS_PER_SECOND = 47e9


# --- 1. the validation split ------------------------------------------------------------------

@dataclass(frozen=True)
class Split:
    """Indices into the 60,000 training images: what training sees and the validation set."""

    train: torch.Tensor
    validation: torch.Tensor
    digest: str  # sha256 of the sorted validation indices, first 16 hex digits

    def parts(self, images: torch.Tensor, labels: torch.Tensor):
        """((train images, labels), (validation images, labels))."""
        return ((images[self.train], labels[self.train]),
                (images[self.validation], labels[self.validation]))


def _rank(key: str, index: int) -> bytes:
    return hashlib.sha256(f"{key}:{index}".encode()).digest()


def validation_split(labels: torch.Tensor, size: int = VALIDATION_SIZE, key: str = SPLIT_KEY) -> Split:
    """A class-stratified validation set of ``size`` of ``labels``' examples (notebook 04).

    Each class gives its share (largest remainders; 1,000 of each of Fashion-MNIST's ten
    classes): the examples whose sha256 of "key:index" is smallest. That depends on nothing but
    the labels and the key, so the split is the same on every machine and torch version.
    """
    if not isinstance(labels, torch.Tensor) or labels.dim() != 1 or labels.dtype != torch.int64:
        raise TypeError("labels must be a 1-D int64 tensor of class numbers, e.g. the training "
                        f"labels of fashion_mnist_tensors(); got {labels!r:.60}")
    size = checks.positive_int("size", size)
    n = len(labels)
    if size >= n:
        raise ValueError(f"size must be smaller than the {n:,} examples it is taken from; got {size:,}")
    classes, counts = torch.unique(labels, return_counts=True)
    exact = [size * int(c) / n for c in counts]
    quota = [int(q) for q in exact]
    for i in sorted(range(len(quota)), key=lambda i: quota[i] - exact[i])[:size - sum(quota)]:
        quota[i] += 1
    chosen = []
    for cls, take in zip(classes.tolist(), quota):
        members = (labels == cls).nonzero().flatten().tolist()
        chosen += sorted(members, key=lambda i: _rank(key, i))[:take]
    validation = torch.tensor(sorted(chosen), dtype=torch.int64)
    mask = torch.ones(n, dtype=torch.bool)
    mask[validation] = False
    train = mask.nonzero().flatten()
    digest = hashlib.sha256(validation.numpy().astype("<i8").tobytes()).hexdigest()[:16]
    return Split(train, validation, digest)


# --- 2. what a run is -------------------------------------------------------------------------

@dataclass(frozen=True)
class Net:
    """The settings of one ``ReferenceCNN`` (the protocol's default init is Xavier per group)."""

    conv: str = "separable"
    activation: str = "relu"
    batch_norm: bool = False
    init: str = "xavier-per-group"
    width: float = 1.0
    head: str = "flatten"
    act_between: bool = False
    kernel_size: int = 3

    def model(self) -> ReferenceCNN:
        return ReferenceCNN(**asdict(self))

    @property
    def key(self) -> str:
        """A file-name-safe name, e.g. ``separable-bn-w2-pool``; defaults are left out."""
        parts = [self.conv]
        parts += ["bn"] if self.batch_norm else []
        parts += ["act-between"] if self.act_between else []
        parts += [f"k{self.kernel_size}"] if self.kernel_size != 3 else []
        parts += [f"w{self.width:g}"] if self.width != 1 else []
        parts += ["pool"] if self.head == "pool" else []
        parts += [self.activation] if self.activation != "relu" else []
        parts += [f"init-{self.init}"] if self.init != "xavier-per-group" else []
        return "-".join(parts)

    def mult_adds(self) -> int:
        """Mult-adds of one image's forward pass (``cost_table``, exact)."""
        return _mult_adds(self)

    def parameters(self) -> int:
        return sum(p.numel() for p in self.model().parameters())


@functools.lru_cache(maxsize=None)
def _mult_adds(net: Net) -> int:
    from .cost import cost_table  # the exact counter, only when a budget is asked for
    return cost_table(net.model(), (1, 1, 28, 28)).total_macs


@dataclass(frozen=True)
class Training:
    """Adam with a learning-rate schedule over a length fixed in advance: ``epochs`` or
    ``steps`` (then the schedule fits the step budget, as in a race)."""

    lr: float
    schedule: str = "one-cycle"
    epochs: int | None = GRID_EPOCHS
    steps: int | None = None
    batch_size: int = DEFAULT_BATCH_SIZE

    def __post_init__(self):
        checks.positive_number("lr", self.lr)
        checks.choice("schedule", self.schedule, SCHEDULES)
        checks.positive_int("batch_size", self.batch_size)
        if (self.epochs is None) == (self.steps is None):
            raise ValueError("a Training has a length in epochs or in steps, exactly one of them; "
                             f"got epochs={self.epochs!r}, steps={self.steps!r}")
        checks.positive_int("epochs" if self.steps is None else "steps",
                            self.epochs if self.steps is None else self.steps)

    @property
    def key(self) -> str:
        length = f"{self.epochs}ep" if self.steps is None else f"{self.steps}steps"
        batch = f"-b{self.batch_size}" if self.batch_size != DEFAULT_BATCH_SIZE else ""
        return f"{self.schedule}-{self.lr:g}-{length}{batch}"

    def total_steps(self, train_size: int) -> int:
        return self.steps if self.steps is not None else self.epochs * math.ceil(train_size / self.batch_size)


SEED_TRAINING = Training(1e-3, "constant", epochs=10)  # the seed's: constant Adam 1e-3, 10 epochs


@dataclass(frozen=True)
class Tuned:
    """A training that follows a family's validation winner (``choose`` over ``grid(family)``),
    with ``net_changes`` applied to the winning network and, optionally, a length of its own:
    ``epochs``, or ``clock_seconds`` of training on the one clock (then converted to steps)."""

    family: str
    net_changes: tuple = ()  # (field, value) pairs, e.g. (("width", 2.0),)
    epochs: int | None = None
    clock_seconds: float | None = None


@dataclass(frozen=True)
class Extension:
    """The ``step``-th grid point past the end of the learning rates where the family's
    winner sits (``tuning_points``); nothing to run once the winner is inside the grid."""

    family: str
    step: int


@dataclass(frozen=True)
class Spec:
    """One setting trained with several seeds: a network and its training, or a ``Tuned``."""

    net: Net | None
    training: Training | Tuned
    data: str = "protocol"
    seeds: tuple = SEEDS


@dataclass(frozen=True)
class Run:
    """A resolved spec: what trains, fully known."""

    net: Net
    training: Training
    data: str
    seeds: tuple

    @property
    def key(self) -> str:
        return f"{self.net.key}__{self.training.key}__{self.data}"


# --- 3. the studies ---------------------------------------------------------------------------

FAMILIES = {
    "separable": Net("separable"),
    "standard": Net("standard"),
    "separable-pool": Net("separable", head="pool"),
    "standard-pool": Net("standard", head="pool"),
}
# Inside the separable block (notebook 07): BatchNorm and the activation placed differently,
# each tuned over the learning rates alone. The seed's block and the BatchNorm one are the
# separable family's grid itself.
BLOCKS = {
    "seed block": Net("separable"),
    "ReLU between": Net("separable", act_between=True),
    "BN between, no ReLU": Net("separable", batch_norm=True),
    "MobileNetV1 block": Net("separable", batch_norm=True, act_between=True),
    "5x5 depthwise, BN": Net("separable", batch_norm=True, kernel_size=5),
}
# Initialisations under the seed's training. With a constant learning rate the first epochs of
# a long run are exactly a short run, so the schemes that only show how training starts run 3
# epochs; the seed's and the per-group init of the separable model, and the standard model's
# schemes (trained first, on a GPU), run the seed's 10.
INIT_EPOCHS = 3
INIT_NETS = (
    *(Net("separable", init=i) for i in ("xavier", "xavier-per-group")),
    *(Net("standard", init=i) for i in ("xavier", "kaiming-fan-in", "kaiming-fan-out",
                                        "pytorch-default")),
)
SHORT_INIT_NETS = (
    *(Net("separable", init=i) for i in ("kaiming-fan-in", "kaiming-fan-out", "pytorch-default")),
    *(Net("separable", batch_norm=True, init=i) for i in ("xavier", "kaiming-fan-out")),
)
WIDTHS = {"separable": (0.5, 2.0, 3.0), "standard": (0.25, 0.375, 0.58),
          "separable-pool": (0.5, 2.0, 3.0), "standard-pool": (0.25, 0.36, 0.5)}
RACE_SECONDS = (90.0,)  # the lecture's race: 90 s of training on the one clock


def grid(base: Net, batch_norm: Sequence[bool] = (False, True)) -> list[tuple[Net, Training]]:
    """The tuning grid around ``base``: each peak learning rate of ``GRID_LRS`` under one-cycle
    for ``GRID_EPOCHS`` epochs, with and without BatchNorm (``batch_norm``)."""
    return [(replace(base, batch_norm=bn), Training(lr)) for bn in batch_norm for lr in GRID_LRS]


def family_grid(family: str) -> list[tuple[Net, Training]]:
    if family in FAMILIES:
        return grid(FAMILIES[family])
    if family in BLOCKS:
        return grid(BLOCKS[family], batch_norm=(BLOCKS[family].batch_norm,))
    raise ValueError(f"family must be one of {', '.join(map(repr, [*FAMILIES, *BLOCKS]))}; "
                     f"got {family!r}")


def _studies() -> dict[str, list[Spec]]:
    def specs(pairs, seeds=TUNING_SEEDS):
        return [Spec(net, training, seeds=seeds) for net, training in pairs]

    # Every grid point is trained with the tuning seeds; only each winner with all of SEEDS.
    tuning = [s for family in FAMILIES for s in specs(family_grid(family))]
    tuning += [Spec(None, Extension(family, k), seeds=TUNING_SEEDS)
               for family in FAMILIES for k in range(1, GRID_EDGE_STEPS + 1)]
    blocks = [s for name in BLOCKS for s in specs(family_grid(name)) if s not in tuning]
    return {
        "tuning": tuning,
        # Each family's validation winner with all five seeds: the runs its verdicts use.
        "winners": [Spec(None, Tuned(family)) for family in FAMILIES],
        # The seed's code as written: all 60,000 training images, tested after every epoch.
        "seed-code": [Spec(Net(conv, init="xavier"), SEED_TRAINING, data="seed")
                      for conv in ("separable", "standard")],
        # Initialisations under the seed's training (nothing tuned), validation after each epoch.
        "init": [*(Spec(net, SEED_TRAINING) for net in INIT_NETS),
                 *(Spec(net, replace(SEED_TRAINING, epochs=INIT_EPOCHS)) for net in SHORT_INIT_NETS)],
        # The seed's init under the separable family's winning recipe.
        "tuned-seed-init": [Spec(None, Tuned("separable", (("init", "xavier"),)))],
        # Inside the separable block (notebook 07): each variant's learning rates, then its winner.
        "blocks": blocks + [Spec(None, Tuned(name)) for name in BLOCKS],
        # Each family's winner at other widths (notebook 06).
        "widths": [Spec(None, Tuned(family, (("width", w),))) for family, widths in WIDTHS.items()
                   for w in widths],
        # Equal training time on the one clock, each model at its winning recipe.
        "race": [Spec(None, Tuned(family, clock_seconds=seconds))
                 for seconds in RACE_SECONDS for family in ("separable", "standard")],
    }


STUDIES = _studies()


# --- 4. choosing on validation, never on test ------------------------------------------------

@dataclass(frozen=True)
class ValidationScore:
    """What a choice may look at: one run's validation accuracy at the end of its schedule.
    Test numbers are kept in ``Result.test``, which no choosing function takes."""

    seed: int
    accuracy: float


def choose(candidates: Mapping[object, Sequence[ValidationScore]], seeds: Sequence[int] = TUNING_SEEDS):
    """The candidate whose mean validation accuracy over ``seeds`` is highest (the first such in
    order on a tie); a run that diverged counts as accuracy 0. Refuses anything that is not a
    ``ValidationScore``, so a test accuracy cannot be used to choose by mistake."""
    best, best_mean = None, -math.inf
    if not candidates:
        raise ValueError("choose needs at least one candidate")
    for candidate, scores in candidates.items():
        for score in scores:
            if not isinstance(score, ValidationScore):
                raise TypeError(f"choose takes ValidationScore values only (validation accuracy "
                                f"at the end of a run), got {type(score).__name__} for {candidate!r}")
        chosen = [s.accuracy if math.isfinite(s.accuracy) else 0.0 for s in scores if s.seed in seeds]
        if len(chosen) != len(seeds):
            raise ValueError(f"{candidate!r} has validation scores for seeds "
                             f"{sorted(s.seed for s in scores)}; choosing needs seeds {list(seeds)}")
        mean = sum(chosen) / len(chosen)
        if mean > best_mean:
            best, best_mean = candidate, mean
    return best


# --- 5. result files --------------------------------------------------------------------------

def default_folder() -> Path:
    """``results/protocol`` in the project."""
    return Path(__file__).resolve().parent.parent / "results" / "protocol"


def result_path(folder, run: Run, seed: int) -> Path:
    return Path(folder) / "runs" / f"{run.key}-seed{seed}.json"


@dataclass
class Result:
    """One (run, seed) as read from its file."""

    run: Run
    seed: int
    record: dict

    @property
    def validation(self) -> ValidationScore:
        final = self.record["final"]
        accuracy = final.get("validation_accuracy")
        return ValidationScore(self.seed, float("nan") if accuracy is None else accuracy)

    @property
    def test(self) -> float:
        """Test accuracy at the end of the schedule (NaN for a run that diverged)."""
        accuracy = self.record["final"]["test_accuracy"]
        return float("nan") if accuracy is None else accuracy

    @property
    def step_losses(self) -> list[float]:
        return self.record["step_losses"]


def read_result(path) -> Result:
    """One result file, checked; a malformed one raises ``ValueError`` naming it."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("protocol_version") != PROTOCOL_VERSION:
            raise ValueError(f"not a protocol result of version {PROTOCOL_VERSION}")
        run = Run(Net(**record["net"]), Training(**record["training"]), record["data"]["mode"],
                  tuple(record["packed_seeds"]))
        for key in ("final", "step_losses", "evaluations", "seed"):
            record[key]  # noqa: B018 - a missing field is a malformed file
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path} is not a readable protocol result: {error}") from error
    expected = result_path(path.parent.parent, run, record["seed"]).name
    if path.name != expected:
        raise ValueError(f"{path} holds {run.key} seed {record['seed']}, which belongs in {expected}")
    return Result(run, int(record["seed"]), record)


def load_results(folder=None) -> dict[str, dict[int, Result]]:
    """Every result under ``folder``/runs: {run key: {seed: Result}}."""
    folder = Path(folder) if folder is not None else default_folder()
    found: dict[str, dict[int, Result]] = {}
    for path in sorted((folder / "runs").glob("*-seed*.json")):
        result = read_result(path)
        found.setdefault(result.run.key, {})[result.seed] = result
    return found


def read_clock(folder=None) -> dict | None:
    """The one clock's measurement (``measure_clock``), or None where none was made."""
    path = (Path(folder) if folder is not None else default_folder()) / "clock.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


# --- 6. resolving specs -----------------------------------------------------------------------

class NotReady(Exception):
    """A spec that follows a winner, or the clock, whose runs are not all there yet."""


def _past_edge(points: Sequence[tuple[Net, Training]], best: tuple[Net, Training]):
    """The grid point one step past ``best`` when it has the highest (lowest) learning rate
    tried at its BatchNorm setting, within ``GRID_EDGE_STEPS``; None when it is inside."""
    net, training = best
    tried = [t.lr for n, t in points if n == net]
    if training.lr == max(tried) and training.lr < GRID_LRS[-1] * 2 ** GRID_EDGE_STEPS:
        return net, replace(training, lr=training.lr * 2)
    if training.lr == min(tried) and training.lr > GRID_LRS[0] / 2 ** GRID_EDGE_STEPS:
        return net, replace(training, lr=training.lr / 2)
    return None


def tuning_points(family: str, results: Mapping[str, Mapping[int, Result]]):
    """(points, extensions, settled): the family's grid points with the tuning seeds done,
    grid and extensions; the extension points the winner has asked for so far (each one past
    the winner of the points before it, trained or still to train); and whether the winner is
    known (no extension waits). ``NotReady`` while the fixed grid is not done."""
    points, extensions = [], []
    for net, training in family_grid(family):
        if not _has_tuning_seeds(results, net, training):
            raise NotReady(f"{family}: {Run(net, training, 'protocol', SEEDS).key} lacks tuning seeds")
        points.append((net, training))
    if family not in FAMILIES:  # the block variants keep their fixed grid
        return points, extensions, True
    while True:
        step = _past_edge(points, _choose_points(points, results))
        if step is None:
            return points, extensions, True
        extensions.append(step)
        if not _has_tuning_seeds(results, *step):
            return points, extensions, False
        points.append(step)


def _has_tuning_seeds(results, net: Net, training: Training) -> bool:
    found = results.get(Run(net, training, "protocol", SEEDS).key, {})
    return all(s in found for s in TUNING_SEEDS)


def _choose_points(points, results):
    return choose({(net, training): [results[Run(net, training, "protocol", SEEDS).key][s].validation
                                     for s in TUNING_SEEDS] for net, training in points})


def winner(family: str, results: Mapping[str, Mapping[int, Result]]) -> tuple[Net, Training]:
    """The family's grid point chosen on validation (``choose`` over ``TUNING_SEEDS``), the grid
    extended past an edge winner (``tuning_points``)."""
    points, extensions, settled = tuning_points(family, results)
    if not settled:
        net, training = extensions[-1]
        raise NotReady(f"{family}: its winner sits at the grid's edge; "
                       f"{Run(net, training, 'protocol', SEEDS).key} lacks tuning seeds")
    return _choose_points(points, results)


def resolve(spec: Spec, results: Mapping[str, Mapping[int, Result]], clock: dict | None) -> Run | None:
    """The ``Run`` a spec stands for; ``NotReady`` where it follows a winner or the clock
    that is not known yet; None for an ``Extension`` the winner does not need."""
    if isinstance(spec.training, Extension):
        points, extensions, settled = tuning_points(spec.training.family, results)
        if len(extensions) >= spec.training.step:
            net, training = extensions[spec.training.step - 1]
            return Run(net, training, spec.data, spec.seeds)
        if settled:
            return None
        raise NotReady(f"{spec.training.family}: extension {spec.training.step - 1} first")
    if not isinstance(spec.training, Tuned):
        return Run(spec.net, spec.training, spec.data, spec.seeds)
    tuned = spec.training
    net, training = winner(tuned.family, results)
    net = replace(net, **dict(tuned.net_changes))
    if tuned.epochs is not None:
        training = replace(training, epochs=tuned.epochs)
    if tuned.clock_seconds is not None:
        seconds_per_step = (clock or {}).get("seconds_per_step", {}).get(net.key)
        if seconds_per_step is None:
            raise NotReady(f"the clock has no step time for {net.key}")
        training = replace(training, epochs=None,
                           steps=max(1, round(tuned.clock_seconds / seconds_per_step)))
    return Run(net, training, spec.data, spec.seeds)


def data_sizes(mode: str) -> tuple[int, int]:
    """(training images, validation images) under a data mode."""
    return (60_000 - VALIDATION_SIZE, VALIDATION_SIZE) if mode == "protocol" else (60_000, 0)


def estimated_cpu_seconds(run: Run, clock: dict | None, seeds: Sequence[int]) -> float:
    """CPU seconds to train ``seeds`` of ``run`` on the clock's machine (its measured step
    time), or by ``ESTIMATED_MACS_PER_SECOND`` where the clock has none."""
    steps = run.training.total_steps(data_sizes(run.data)[0])
    measured = (clock or {}).get("seconds_per_step", {}).get(run.net.key)
    per_step = measured or 3 * run.net.mult_adds() * run.training.batch_size / ESTIMATED_MACS_PER_SECOND
    return len(seeds) * steps * per_step


@dataclass
class PlanRow:
    study: str
    spec: Spec
    run: Run | None
    missing: tuple
    note: str = ""


def plan(folder=None, studies: Sequence[str] | None = None,
         seeds: Sequence[int] | None = None, match: str | None = None) -> list[PlanRow]:
    """Every spec of ``studies`` (all by default) with the seeds that still have to run (only
    among ``seeds``, where given: e.g. the tuning seeds first; and only runs whose key the
    regular expression ``match`` finds, where given)."""
    folder = Path(folder) if folder is not None else default_folder()
    names = list(STUDIES) if studies is None else [checks.choice("study", s, STUDIES) for s in studies]
    results, clock = load_results(folder), read_clock(folder)
    rows, seen = [], set()
    for name in names:
        for spec in STUDIES[name]:
            try:
                run = resolve(spec, results, clock)
            except NotReady as waiting:
                rows.append(PlanRow(name, spec, None, spec.seeds, f"waits: {waiting}"))
                continue
            if run is None:
                rows.append(PlanRow(name, spec, None, (), "not needed: the winner is inside the grid"))
                continue
            if match is not None and not re.search(match, run.key):
                continue
            done = results.get(run.key, {})
            # A (run, seed) listed by an earlier spec is not listed again.
            missing = tuple(s for s in run.seeds if s not in done and (run.key, s) not in seen
                            and (seeds is None or s in seeds))
            listed = not missing and any(s not in done for s in run.seeds)
            seen.update((run.key, s) for s in run.seeds)
            rows.append(PlanRow(name, spec, run, missing, "listed above" if listed else ""))
    return rows


def format_plan(rows: list[PlanRow], clock: dict | None) -> str:
    """The plan as text: one line per run with its seeds to go and CPU-hours, then the totals."""
    lines, total, waiting = [], 0.0, 0
    for row in rows:
        if row.run is None:
            waiting += bool(row.missing)
            lines.append(f"{row.study:16} {'(waits)' if row.missing else '(none)':8} {row.note}")
            continue
        hours = estimated_cpu_seconds(row.run, clock, row.missing) / 3600
        total += hours
        state = f"{len(row.missing)} to run" if row.missing else (row.note or "done")
        lines.append(f"{row.study:16} {state:12} {row.run.key:58} {hours:6.2f} CPU-h")
    source = "the one clock" if clock else f"{ESTIMATED_MACS_PER_SECOND / 1e9:g} G mult-adds/s"
    lines.append(f"In all: {total:.1f} CPU-hours to go (2 threads, step times from {source}), "
                 f"and {waiting} specs waiting for the tuning runs or the clock.")
    return "\n".join(lines)


# --- 7. training several seeds at once --------------------------------------------------------

class PackedNets(nn.Module):
    """K ``ReferenceCNN`` with the same settings, side by side as one network.

    Each conv becomes one grouped conv (model k's channels are group k), each BatchNorm one
    over all models' channels, each Linear a batched matrix product; pooling and activations
    act per channel anyway. Model k reads input channel k and writes logits[:, k], and no
    weight is shared, so the packed network computes exactly what the K networks compute.
    ``unpack()`` returns them as separate ``ReferenceCNN``s with the trained weights.
    """

    def __init__(self, models: Sequence[ReferenceCNN]):
        super().__init__()
        if not models or not all(isinstance(m, ReferenceCNN) for m in models):
            raise TypeError("PackedNets takes a non-empty list of ReferenceCNN")
        first = models[0]
        if any(m.description() != first.description() for m in models):
            raise ValueError("every packed ReferenceCNN must have the same settings; got "
                             + "; ".join(sorted({m.description() for m in models})))
        self.count = len(models)
        self.template = first.description()
        self.settings = {k: getattr(first, a) for k, a in (
            ("conv", "conv_kind"), ("activation", "activation_name"), ("batch_norm", "batch_norm"),
            ("init", "init_scheme"), ("width", "width"), ("head", "head"),
            ("act_between", "act_between"), ("kernel_size", "kernel_size"))}
        self.activation = first.activation
        self.head = first.head
        self.pool = nn.MaxPool2d(2, 2)
        for name in ("conv1", "conv2", "conv3", "conv4", "conv5", "conv6"):
            setattr(self, name, _pack([getattr(m, name) for m in models], self.count))
        if self.head == "flatten":
            self.fc1 = _PackedLinear([m.fc1 for m in models])
        self.fc2 = _PackedLinear([m.fc2 for m in models])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: (batch, K, H, W), model k's images in channel k; returns (batch, K, 10)."""
        act, k = self.activation, self.count
        x = act(self.pool(self.conv2(act(self.conv1(x)))))
        x = act(self.pool(self.conv4(act(self.conv3(x)))))
        x = act(self.pool(self.conv6(act(self.conv5(x)))))
        batch = x.shape[0]
        if self.head == "flatten":
            # Model k's flattened features are its channel block, C-major as nn.Flatten orders them.
            x = act(self.fc1(x.reshape(batch, k, -1)))
        else:
            x = x.mean(dim=(2, 3)).reshape(batch, k, -1)
        return self.fc2(x)

    @torch.no_grad()
    def unpack(self) -> list[ReferenceCNN]:
        """The K networks as ``ReferenceCNN`` on the CPU, each holding its trained weights."""
        models = []
        for k in range(self.count):
            model = ReferenceCNN(**self.settings)
            state = {}
            for name, tensor in self.state_dict().items():
                state[name] = _slice(name, tensor, k, self.count, model.state_dict())
            model.load_state_dict({n: state[n] for n in model.state_dict()})
            models.append(model)
        return models


def _slice(name: str, tensor: torch.Tensor, k: int, count: int, target: dict) -> torch.Tensor:
    if name not in target:
        return tensor
    if tensor.dim() == 0:  # num_batches_tracked: the same count for every model
        return tensor.detach().cpu().clone()
    size = tensor.shape[0] // count if not name.startswith("fc") else 1
    piece = tensor[k * size:(k + 1) * size] if not name.startswith("fc") else tensor[k]
    return piece.detach().cpu().contiguous().reshape(target[name].shape).clone()


def _pack(modules: list[nn.Module], count: int) -> nn.Module:
    first = modules[0]
    if isinstance(first, nn.Conv2d):
        conv = nn.Conv2d(first.in_channels * count, first.out_channels * count, first.kernel_size,
                         first.stride, first.padding, first.dilation, first.groups * count,
                         bias=first.bias is not None)
        with torch.no_grad():
            conv.weight.copy_(torch.cat([m.weight for m in modules]))
            if first.bias is not None:
                conv.bias.copy_(torch.cat([m.bias for m in modules]))
        return conv
    if isinstance(first, nn.BatchNorm2d):
        norm = nn.BatchNorm2d(first.num_features * count, first.eps, first.momentum)
        with torch.no_grad():
            for name in ("weight", "bias", "running_mean", "running_var"):
                getattr(norm, name).copy_(torch.cat([getattr(m, name) for m in modules]))
        return norm
    if isinstance(first, (DepthwiseSeparableConv2d, nn.Sequential)):
        # The same child names as the models', so that state_dict names match for unpack().
        return nn.Sequential(OrderedDict((name, _pack([getattr(m, name) for m in modules], count))
                                         for name, _ in first.named_children()))
    if isinstance(first, (nn.ReLU, nn.SELU)):
        return type(first)()
    raise TypeError(f"cannot pack a {type(first).__name__}")


class _PackedLinear(nn.Module):
    def __init__(self, layers: list[nn.Linear]):
        super().__init__()
        self.weight = nn.Parameter(torch.stack([l.weight.detach() for l in layers]).clone())
        self.bias = nn.Parameter(torch.stack([l.bias.detach() for l in layers]).clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, K, in) -> (batch, K, out)
        return torch.einsum("bki,koi->bko", x, self.weight) + self.bias


@torch.no_grad()
def evaluate_packed(packed: PackedNets, data, batch_size: int = 1000,
                    channels_last: bool = False) -> tuple[list[float], list[float]]:
    """Each packed model's (accuracies, mean losses) on ``data`` = (images, labels), every model
    seeing every image."""
    images, labels = data
    was_training = packed.training
    packed.eval()
    correct = torch.zeros(packed.count, dtype=torch.float64, device=images.device)
    loss = torch.zeros(packed.count, dtype=torch.float64, device=images.device)
    try:
        for start in range(0, len(images), batch_size):
            x = images[start:start + batch_size]
            y = labels[start:start + batch_size]
            x = x.expand(-1, packed.count, -1, -1).contiguous(
                memory_format=torch.channels_last if channels_last else torch.contiguous_format)
            logits = packed(x)
            losses = F.cross_entropy(logits.permute(0, 2, 1), y[:, None].expand(-1, packed.count),
                                     reduction="none")
            loss += losses.sum(0).double()
            correct += (logits.argmax(-1) == y[:, None]).sum(0).double()
    finally:
        packed.train(was_training)
    n = len(images)
    return (correct / n).tolist(), (loss / n).tolist()


def train_packed(run: Run, seeds: Sequence[int], train, validation=None, test=None, *,
                 device=None, evaluations_per_epoch: int = 1, progress=None) -> list[dict]:
    """Train ``seeds`` of ``run`` together (``PackedNets``); return one record per seed.

    Model k is built after ``torch.manual_seed(seed_k)`` and draws its data order from its own
    generator seeded the same way, as ``fit`` does, so each model trains as it would alone.
    The learning rate follows ``run.training``'s schedule step by step. ``validation`` is
    evaluated after every epoch (``evaluations_per_epoch`` times an epoch) and at the end;
    ``test`` only at the end, unless the run's data mode is "seed" (the seed's code tests after
    every epoch and has no validation set). A model whose loss stops being finite is recorded
    as diverged at that step and left out of later steps' numbers.
    """
    images, labels = check_data("train", train)
    device = torch.device(device) if device is not None else torch.device("cpu")
    channels_last = device.type in ("cpu", "cuda")
    if device.type == "cpu":
        keep_cpu_memory_for_reuse()  # as fit does: freed activations stay for the next step
    seeds = [checks.non_negative_int("seed", s) for s in seeds]
    models = []
    for seed in seeds:
        torch.manual_seed(seed)
        models.append(run.net.model())
    packed = PackedNets(models).to(device)
    if channels_last:
        packed = packed.to(memory_format=torch.channels_last)
    k = len(seeds)
    images = images.to(device)
    labels = labels.to(device)
    evaluation_sets = {name: (prepare_images(d[0], device, channels_last), d[1].to(device))
                       for name, d in (("validation", validation), ("test", test)) if d is not None}
    training = run.training
    optimizer = torch.optim.Adam(packed.parameters(), lr=scheduled_lr(training.schedule, training.lr, 0.0))
    generators = [torch.Generator().manual_seed(s) for s in seeds]
    n, bs = len(images), training.batch_size
    steps_per_epoch = math.ceil(n / bs)
    total = training.total_steps(n)
    every = max(1, steps_per_epoch // evaluations_per_epoch)
    orders = [None] * k
    step_losses = torch.zeros(total, k, device=device)
    evaluations, diverged = [], [None] * k
    started = time.perf_counter()

    # Images in each step of an epoch (the last batch may be short), to weight the epoch's loss.
    batch_sizes = torch.tensor([min(bs, n - i * bs) for i in range(steps_per_epoch)],
                               dtype=torch.float32, device=device)

    def evaluate_all(step: int, final: bool) -> None:
        window = torch.arange(max(0, step - steps_per_epoch), step, device=device)
        weights = batch_sizes[window % steps_per_epoch, None]
        point = {"step": step, "epoch": round(step / steps_per_epoch, 4),
                 "train_loss": ((step_losses[window] * weights).sum(0) / weights.sum()).tolist()}
        for name, data in evaluation_sets.items():
            if name == "test" and not (final or run.data == "seed"):
                continue
            accuracy, loss = evaluate_packed(packed, data, channels_last=channels_last)
            point[f"{name}_accuracy"], point[f"{name}_loss"] = accuracy, loss
        # A model that diverged has no numbers from then on, as it would alone (it stops there).
        for key, values in point.items():
            if isinstance(values, list):
                point[key] = [None if diverged[j] is not None else v for j, v in enumerate(values)]
        point["seconds"] = round(time.perf_counter() - started, 2)
        evaluations.append(point)
        if progress:
            progress(point)

    packed.train()
    for step in range(total):
        epoch_step = step % steps_per_epoch
        if epoch_step == 0:
            orders = [torch.randperm(n, generator=g).to(device) for g in generators]
        idx = torch.stack([o[epoch_step * bs:(epoch_step + 1) * bs] for o in orders], dim=1)
        x = images[idx].squeeze(2)  # (batch, K, H, W): model k's batch in channel k
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        y = labels[idx]
        lr = scheduled_lr(training.schedule, training.lr, step / total)
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad(set_to_none=True)
        logits = packed(x)
        losses = F.cross_entropy(logits.permute(0, 2, 1), y, reduction="none").mean(0)
        # Each model's own mean loss: the sum's gradient for model k is that of its loss alone.
        finite = torch.isfinite(losses)
        losses.where(finite, torch.zeros_like(losses)).sum().backward()
        optimizer.step()
        step_losses[step] = losses.detach()
        if (step + 1) % every == 0 or step + 1 == total:
            bad = (~torch.isfinite(step_losses[:step + 1])).any(0).tolist()
            for j, is_bad in enumerate(bad):
                if is_bad and diverged[j] is None:
                    first = int((~torch.isfinite(step_losses[:step + 1, j])).nonzero()[0])
                    diverged[j] = first + 1
            if all(d is not None for d in diverged):
                break
            evaluate_all(step + 1, step + 1 == total)
    wall = time.perf_counter() - started
    losses_cpu = step_losses.cpu()
    records = []
    for j, seed in enumerate(seeds):
        last = evaluations[-1] if evaluations else {}

        def final_value(key, j=j, last=last):
            values = last.get(key)
            return None if diverged[j] is not None or values is None else values[j]

        steps_done = diverged[j] if diverged[j] is not None else total
        records.append({
            "seed": seed,
            "steps": steps_done,
            "diverged_at_step": diverged[j],
            "final": {key: final_value(key) for key in
                      ("validation_accuracy", "validation_loss", "test_accuracy", "test_loss",
                       "train_loss")},
            "evaluations": [{key: (value[j] if isinstance(value, list) else value)
                             for key, value in point.items()} for point in evaluations],
            "step_losses": [float(f"{v:.4g}") for v in losses_cpu[:steps_done, j].tolist()],
            "pack_wall_seconds": round(wall, 2),
        })
    return records


# --- 8. running a plan ------------------------------------------------------------------------

def protocol_data(root=None, limit: int | None = None) -> dict:
    """{"protocol": (train, validation, test), "seed": (train, None, test), "split": digest}.
    ``limit`` keeps the first ``limit`` training and test images (a smoke run: its validation
    split is a tenth of them, and its results must not mix with real ones)."""
    from .data import fashion_mnist_tensors  # the data module only when data is needed
    images, labels = fashion_mnist_tensors("train", root, limit=limit)
    test = fashion_mnist_tensors("test", root, limit=limit)
    split = validation_split(labels, VALIDATION_SIZE if limit is None else max(10, limit // 10))
    train_part, validation = split.parts(images, labels)
    return {"protocol": (train_part, validation, test), "seed": ((images, labels), None, test),
            "split": split.digest}


def run_record(run: Run, trained: dict, data: dict, device, provenance: dict, command: str) -> dict:
    train_size, validation_size = data_sizes(run.data)
    return {"protocol_version": PROTOCOL_VERSION, "run": run.key, "net": asdict(run.net),
            "training": asdict(run.training), "packed_seeds": list(run.seeds),
            "data": {"mode": run.data, "split": data["split"] if run.data == "protocol" else None,
                     "train_size": train_size, "validation_size": validation_size,
                     "test_size": 10_000},
            "device": str(device), "machine": provenance,
            "finished_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "command": command, **trained}


def run_pack(folder, run: Run, seeds: Sequence[int], data: dict, device, command: str = "") -> list[Path]:
    """Train the missing ``seeds`` of ``run`` at once and write one file per seed (atomically)."""
    from .experiments import run_provenance  # the same provenance as every other result
    provenance = run_provenance()
    on_gpu = torch.device(device).type == "cuda"
    provenance["device_name"] = torch.cuda.get_device_name(torch.device(device)) if on_gpu else None
    provenance["tf32"] = ({"convolutions": torch.backends.cudnn.allow_tf32,
                           "matmul": torch.backends.cuda.matmul.allow_tf32} if on_gpu else None)
    train, validation, test = data[run.data]
    # On a CPU a packed network is slower than its models one by one (measured: 7.8x the time
    # of one model for 5), so there each seed trains alone and is written as soon as it ends.
    packs = [list(seeds)] if on_gpu else [[seed] for seed in seeds]
    written = []
    for pack in packs:
        # Another runner may have finished a seed since the plan was made: never train it twice.
        pack = [seed for seed in pack if not result_path(folder, run, seed).exists()]
        if not pack:
            continue
        for trained in train_packed(run, pack, train, validation, test, device=device):
            path = result_path(folder, run, trained["seed"])
            path.parent.mkdir(parents=True, exist_ok=True)
            record = run_record(run, trained, data, device, provenance, command)
            written.append(write_atomically(path, (json.dumps(record) + "\n").encode()))
    return written


_WORKER: dict = {}


def _worker_start(device: str, threads: int | None, root, limit: int | None) -> None:
    if threads:
        torch.set_num_threads(threads)
    # PyTorch's defaults otherwise (on a GPU, convolutions in TF32), recorded in every result.
    torch.backends.cudnn.benchmark = device == "cuda"
    _WORKER["device"] = device
    _WORKER["data"] = protocol_data(root, limit)


def _worker_run(job) -> tuple[str, list[str], float]:
    folder, run, seeds, command, deadline = job
    if deadline is not None and time.time() > deadline:
        return run.key, [], 0.0
    start = time.perf_counter()
    paths = run_pack(folder, run, seeds, _WORKER["data"], _WORKER["device"], command)
    return run.key, [str(p) for p in paths], time.perf_counter() - start


def run_missing(folder=None, studies: Sequence[str] | None = None, *, seeds: Sequence[int] | None = None,
                match: str | None = None, device="cpu", workers: int = 1,
                threads: int | None = None, deadline_seconds: float | None = None, root=None,
                limit: int | None = None, command: str = "", log=print) -> list[str]:
    """Run every missing (spec, seed) of ``studies``, round after round: a spec that follows a
    family's winner runs once the tuning runs it needs are there. ``workers`` processes train
    packs side by side (on a GPU, several keep it busy); no pack starts after
    ``deadline_seconds``. Returns the files written."""
    import multiprocessing
    folder = Path(folder) if folder is not None else default_folder()
    if limit is not None and folder.resolve() == default_folder().resolve():
        raise ValueError("limit makes a smoke run on a subset; give another folder so that it "
                         f"cannot mix with the real results in {folder}")
    deadline = time.time() + deadline_seconds if deadline_seconds else None
    written: list[str] = []
    clock = read_clock(folder)
    on_gpu = torch.device(device).type == "cuda"
    pool = None
    if workers > 1:
        pool = multiprocessing.get_context("spawn").Pool(workers, _worker_start,
                                                         (str(device), threads, root, limit))
    else:
        _worker_start(str(device), threads, root, limit)
    failed = True
    try:
        while True:
            rows = [r for r in plan(folder, studies, seeds, match) if r.run is not None and r.missing]
            if not rows or (deadline is not None and time.time() > deadline):
                break
            # On a CPU seeds train one by one anyway (run_pack): one job per seed lets the
            # workers share a spec's seeds instead of one worker taking them all.
            jobs = [(folder, r.run, pack, command, deadline) for r in rows
                    for pack in ([r.missing] if on_gpu else [(s,) for s in r.missing])]
            # Longest first, so that no long pack starts last and holds up the next round.
            jobs.sort(key=lambda job: -estimated_cpu_seconds(job[1], clock, job[2]))
            log(f"round: {len(jobs)} packs, {sum(len(j[2]) for j in jobs)} runs")
            ran = 0
            finished = pool.imap_unordered(_worker_run, jobs) if pool else map(_worker_run, jobs)
            for key, paths, seconds in finished:
                if paths:
                    ran += 1
                    written += paths
                    log(f"{key}: {len(paths)} seeds in {seconds:.0f} s")
            if not ran:
                break
        failed = False
    finally:
        if pool is not None:
            # After an error or Ctrl-C, queued packs must not run on for hours: stop the workers.
            pool.terminate() if failed else pool.close()
            pool.join()
    return written


# --- 9. the one clock -------------------------------------------------------------------------

def measure_clock(nets: Sequence[Net], folder=None, *, steps: int = 5, repeats: int = 5,
                  batch_size: int = DEFAULT_BATCH_SIZE) -> dict:
    """Seconds per training step of each net on this machine, measured interleaved (one sample
    of each in turn, so a slow spell hits all alike) with the package's training settings, and
    written to ``clock.json`` (merged with the nets measured before on the same machine)."""
    from .device import machine_info
    from .timing import measure_interleaved
    keep_cpu_memory_for_reuse()
    generator = torch.Generator().manual_seed(0)
    images = torch.randn(batch_size * 4, 1, 28, 28, generator=generator)
    labels = torch.randint(0, 10, (batch_size * 4,), generator=generator)
    images = images.contiguous(memory_format=torch.channels_last)

    def stepper(net: Net):
        torch.manual_seed(0)
        model = net.model().to(memory_format=torch.channels_last)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
        model.train()

        def train_steps():
            for i in range(steps):
                start = (i % 4) * batch_size
                optimizer.zero_grad(set_to_none=True)
                F.cross_entropy(model(images[start:start + batch_size]),
                                labels[start:start + batch_size]).backward()
                optimizer.step()
        return train_steps

    unique = {net.key: net for net in nets}
    timings = measure_interleaved({key: stepper(net) for key, net in unique.items()},
                                  repeats=repeats, warmup=1)
    folder = Path(folder) if folder is not None else default_folder()
    machine = machine_info()
    old = read_clock(folder)
    # Times merge only with times of the very same machine and software (processor, cores,
    # threads, platform, torch): anything else starts a new clock.
    same_machine = old is not None and old.get("machine") == machine and old.get("batch_size") == batch_size
    clock = {"machine": machine, "batch_size": batch_size, "steps_per_sample": steps,
             "repeats": repeats,
             "measured_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
             "seconds_per_step": {**(old["seconds_per_step"] if same_machine else {}),
                                  **{key: round(t.median / steps, 5) for key, t in timings.items()}},
             "spread": {**(old.get("spread", {}) if same_machine else {}),
                        **{key: round(t.spread, 3) for key, t in timings.items()}}}
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / "clock.json", (json.dumps(clock, indent=1) + "\n").encode())
    return clock
