"""Which network is more accurate after the same training time? ``race`` (notebook 04).

``race`` trains the separable reference CNN and its standard twin under one
``Recipe``, each for the same budget of *training* seconds (evaluation is
timed apart and left out of the budget), in turns of one evaluation interval
each, so that both curves grow side by side on screen and a slow phase of the
machine hits both. With ``steps=`` instead of ``seconds=`` the budget is a
number of training steps, and a race is reproducible step for step.

The recipes (``RECIPES``) are the steps that were measured to make 90 seconds
count; each changes one thing of the recipe it names as its base. The
runs behind notebook 04's recipe table and race table are result files under
``results/race/``, written by ``python -m dwconv_utils race`` (one file per
run, finished runs skipped).
"""
from __future__ import annotations

import datetime
import json
import math
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from . import checks
from .device import keep_cpu_memory_for_reuse, pick_device
from .files import write_atomically
from .history import History
from .models import CONV_KINDS, ReferenceCNN
from .progress import RaceReporter
from .tables import Table
from .train import (OPTIMIZERS, SCHEDULES, TrainingDiverged, check_data, default_channels_last,
                    evaluate, make_optimizer, prepare_images, scheduled_lr)

RACE_VERSION = 1
DEFAULT_SECONDS = 90.0
DEFAULT_EVALUATIONS = 9        # every 10 s of a 90-s budget
RACE_SEEDS = (0, 1, 2)


# --- recipes ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipe:
    """How both models train in a race: initialisation, BatchNorm, optimizer, learning rate
    (the peak, for one-cycle), schedule and batch size. ``base`` is the recipe this one
    changes, ``change`` says how, in words."""

    name: str
    change: str
    base: str = ""
    init: str = "xavier"
    batch_norm: bool = False
    optimizer: str = "adam"
    lr: float = 1e-3
    schedule: str = "constant"
    batch_size: int = 128

    def training(self) -> tuple:
        """What decides the training (everything but the name and the words)."""
        return (self.init, self.batch_norm, self.optimizer, self.lr, self.schedule, self.batch_size)

    def description(self) -> str:
        """The whole recipe in words, e.g. for a notebook's printout."""
        init = {"xavier": "the seed's Xavier", "xavier-per-group": "Xavier with fans per group"}[self.init]
        rate = (f"a one-cycle learning rate peaking at {self.lr:g}" if self.schedule == "one-cycle"
                else f"a constant learning rate of {self.lr:g}")
        norm = ", BatchNorm after every depthwise and pointwise step" if self.batch_norm else ""
        return f"{init}{norm}, {self.optimizer.capitalize()} with {rate}, batch {self.batch_size}"

    def model(self, conv: str) -> ReferenceCNN:
        return ReferenceCNN(conv, batch_norm=self.batch_norm, init=self.init)

    def lr_at(self, progress: float) -> float:
        """The learning rate when ``progress`` (0..1) of the budget is spent
        (``train.scheduled_lr``: the schedule fits whatever budget is given)."""
        return scheduled_lr(self.schedule, self.lr, progress)


RECIPES = (
    Recipe("seed", "the seed's: Xavier, Adam at 0.001, batch 128"),
    Recipe("per-group-init", "Xavier, fans per group", base="seed", init="xavier-per-group"),
    Recipe("one-cycle", "one-cycle rate, peak 0.003", base="per-group-init",
           init="xavier-per-group", lr=3e-3, schedule="one-cycle"),
    Recipe("peak-0.006", "peak 0.006", base="one-cycle",
           init="xavier-per-group", lr=6e-3, schedule="one-cycle"),
    Recipe("peak-0.012", "peak 0.012", base="peak-0.006",
           init="xavier-per-group", lr=1.2e-2, schedule="one-cycle"),
    Recipe("batch-64", "batch 64", base="peak-0.006",
           init="xavier-per-group", lr=6e-3, schedule="one-cycle", batch_size=64),
    Recipe("batch-norm", "BatchNorm after each conv step", base="peak-0.006",
           init="xavier-per-group", lr=6e-3, schedule="one-cycle", batch_norm=True),
)
RECIPE_NAMES = tuple(r.name for r in RECIPES)
RACE_RECIPE = "batch-norm"  # the best of RECIPES at 90 s over 3 seeds (notebook 04 checks it)
# The recipes were chosen on the separable model; the standard one is trained alone under these
# too, so that the race cannot favour the model the recipe was tuned for without it showing.
STANDARD_CHECKS = ("seed", "one-cycle", "peak-0.006")
# The best recipe without BatchNorm, raced too: the answer turns on BatchNorm.
SECOND_RACE = "peak-0.006"


def recipe(name) -> Recipe:
    """The recipe called ``name`` (one of ``RECIPE_NAMES``); a ``Recipe`` is returned as it is."""
    if isinstance(name, Recipe):
        return name
    checks.choice("recipe", name, RECIPE_NAMES)
    return next(r for r in RECIPES if r.name == name)


def check_recipe(r: Recipe) -> Recipe:
    checks.choice("schedule", r.schedule, SCHEDULES)
    checks.choice("optimizer", r.optimizer, OPTIMIZERS)
    checks.positive_number("lr", r.lr)
    checks.positive_int("batch_size", r.batch_size)
    return r


# --- what a race records ---------------------------------------------------------------------

@dataclass
class Point:
    """One evaluation: after ``seconds`` of training, ``steps`` steps and ``images`` images."""

    seconds: float
    steps: int
    images: int
    accuracy: float
    loss: float


@dataclass
class Lane:
    """One model's part of a race."""

    model: str
    train_size: int
    points: list[Point] = field(default_factory=list)
    steps: int = 0
    images: int = 0
    train_seconds: float = 0.0
    eval_seconds: float = 0.0

    @property
    def accuracy(self) -> float:
        """Test accuracy at the last evaluation (the end of the budget, unless interrupted)."""
        return self.points[-1].accuracy

    @property
    def epochs(self) -> float:
        return self.images / self.train_size

    @property
    def images_per_second(self) -> float:
        return self.images / self.train_seconds if self.train_seconds else 0.0


@dataclass
class Race:
    """The result of ``race``: one ``Lane`` per model, the recipe, the budget and the seed.

    ``interrupted`` is True when the race was stopped early (Ctrl-C): every lane then
    holds what it had reached, its last point the last evaluation it finished.
    """

    recipe: Recipe
    seed: int
    seconds: float | None
    steps: int | None
    lanes: dict[str, Lane]
    test_size: int
    interrupted: bool = False
    record: dict = field(default_factory=dict)  # machine, commit, wall time (result files)

    @property
    def budget_text(self) -> str:
        return f"{self.seconds:g} s" if self.seconds is not None else f"{self.steps:,} steps"

    def table(self) -> "RaceTable":
        rows = [{"model": name, "test accuracy": f"{100 * lane.accuracy:.2f}%",
                 "training s": f"{lane.train_seconds:.1f}", "steps": lane.steps,
                 "images seen": lane.images, "epochs": f"{lane.epochs:.2f}",
                 "images/s": round(lane.images_per_second),
                 "evaluation s": f"{lane.eval_seconds:.1f}"} for name, lane in self.lanes.items()]
        table = RaceTable(list(rows[0]), rows, numeric=tuple(list(rows[0])[1:]))
        table.title = (f"Race: {self.budget_text} of training each, recipe {self.recipe.name!r}, "
                       f"seed {self.seed}, tested on {self.test_size:,} images"
                       + (" (interrupted)" if self.interrupted else ""))
        return table

    def sentence(self) -> str:
        """What happened, in one sentence (notebook 04)."""
        if len(self.lanes) != 2:
            lane = next(iter(self.lanes.values()))
            return (f"After {self.budget_text} of training the {lane.model} model reached "
                    f"{100 * lane.accuracy:.1f}% in {lane.epochs:.1f} epochs.")
        first, second = sorted(self.lanes.values(), key=lambda lane: -lane.accuracy)
        stopped = " (stopped early)" if self.interrupted else ""
        gap = round(100 * (first.accuracy - second.accuracy), 2)
        outcome = (f"the {first.model} model is {gap:.2f} points ahead" if gap > 0
                   else "they are level")
        return (f"After {self.budget_text} of training each{stopped}, the {first.model} model "
                f"reached {100 * first.accuracy:.2f}% and the {second.model} model "
                f"{100 * second.accuracy:.2f}%: {outcome}. The {first.model} model trained on "
                f"{first.epochs:.1f} epochs of images, the {second.model} model on "
                f"{second.epochs:.1f} ({first.images_per_second:,.0f} against "
                f"{second.images_per_second:,.0f} images/s).")

    def plot(self, figure=None):
        from .plots import plot_race  # matplotlib only when a figure is asked for
        return plot_race(self, figure=figure)

    def to_dict(self) -> dict:
        return {"version": RACE_VERSION, "recipe": asdict(self.recipe), "seed": self.seed,
                "seconds": self.seconds, "steps": self.steps, "test_size": self.test_size,
                "interrupted": self.interrupted,
                "lanes": [{**{k: v for k, v in asdict(lane).items() if k != "points"},
                           "points": [asdict(p) for p in lane.points]}
                          for lane in self.lanes.values()],
                **self.record}

    @classmethod
    def from_dict(cls, data: dict) -> "Race":
        if not isinstance(data, dict) or data.get("version") != RACE_VERSION:
            raise ValueError(f"not a race result of version {RACE_VERSION}: got {str(data)[:80]!r}")
        try:
            lanes = {}
            for lane in data["lanes"]:
                points = [Point(**p) for p in lane["points"]]
                lanes[lane["model"]] = Lane(**{**lane, "points": points})
            known = {"version", "recipe", "seed", "seconds", "steps", "test_size", "interrupted", "lanes"}
            return cls(Recipe(**data["recipe"]), int(data["seed"]), data["seconds"], data["steps"],
                       lanes, int(data["test_size"]), bool(data["interrupted"]),
                       {k: v for k, v in data.items() if k not in known})
        except (KeyError, TypeError) as error:
            raise ValueError(f"race result is missing or has malformed fields: {error}") from error


class RaceTable(Table):
    title = "Race"


# --- training to a budget --------------------------------------------------------------------

class _LaneTrainer:
    """One model, trained a slice at a time, with its own clock of training seconds."""

    def __init__(self, conv: str, r: Recipe, images, labels, seed: int, device, channels_last: bool):
        torch.manual_seed(seed)  # both models start from the same seed, as in the long runs
        self.model = r.model(conv)
        memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.model.to(device=device, memory_format=memory_format)
        self.recipe, self.images, self.labels, self.device = r, images, labels, device
        self.optimizer = make_optimizer(r.optimizer, self.model.parameters(), r.lr_at(0.0))
        self.generator = torch.Generator().manual_seed(seed)
        self.order, self.position = self._shuffled(), 0
        self.lane = Lane(conv, len(images))

    def _shuffled(self) -> torch.Tensor:
        return torch.randperm(len(self.images), generator=self.generator).to(self.device)

    def train_until(self, done, progress) -> None:
        """Train step by step until ``done(lane)``; ``progress(lane)`` (0..1) sets the learning
        rate of each step."""
        model, lane, bs = self.model, self.lane, self.recipe.batch_size
        model.train()
        while not done(lane):
            if self.position >= len(self.order):
                self.order, self.position = self._shuffled(), 0
            idx = self.order[self.position:self.position + bs]
            lr = self.recipe.lr_at(progress(lane))
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            start = time.perf_counter()
            self.optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(self.images[idx]), self.labels[idx])
            value = loss.item()
            if not math.isfinite(value):
                raise TrainingDiverged(f"the {lane.model} model's training loss became {value} at "
                                       f"step {lane.steps + 1} (lr={lr:.3g}); try a smaller peak "
                                       "learning rate", History(lane.model))
            loss.backward()
            self.optimizer.step()
            lane.train_seconds += time.perf_counter() - start
            self.position += len(idx)
            lane.steps += 1
            lane.images += len(idx)

    def evaluate(self, test, channels_last: bool) -> None:
        start = time.perf_counter()
        result = evaluate(self.model, test, device=self.device, channels_last=channels_last)
        self.lane.eval_seconds += time.perf_counter() - start
        self.lane.points.append(Point(round(self.lane.train_seconds, 4), self.lane.steps,
                                      self.lane.images, result.accuracy, result.loss))


def _budget(seconds, steps) -> tuple[float | None, int | None]:
    """(seconds, None) or (None, steps); a budget that is not a positive number is a ValueError,
    whatever its type, so that one ``except ValueError`` catches every bad budget."""
    if steps is not None and seconds is not None:
        raise ValueError("give a budget of seconds or of steps, not both "
                         f"(got seconds={seconds!r}, steps={steps!r})")
    try:
        if steps is not None:
            return None, checks.positive_int("steps", steps)
        return checks.positive_number("seconds", DEFAULT_SECONDS if seconds is None else seconds), None
    except TypeError as error:
        raise ValueError(str(error)) from None


def race(train, test, seconds: float | None = None, *, steps: int | None = None,
         models=CONV_KINDS, recipe_name=RACE_RECIPE, seed: int = 0,
         evaluations: int = DEFAULT_EVALUATIONS, device=None, channels_last: bool | None = None,
         progress: bool = True, live_plot: bool = True) -> Race:
    """Train each of ``models`` for the same budget and test them along the way (notebook 04).

    ``seconds`` of training each (default 90; evaluation left out of it), or
    ``steps=`` training steps each instead (the race is then reproducible step
    for step). Both models are built from
    ``seed`` under the recipe ``recipe_name`` (``RECIPES``, default
    ``RACE_RECIPE``, or a ``Recipe``) and tested on all of ``test`` at the start
    and ``evaluations`` times over the budget, taking turns: each trains up to the
    next evaluation, then the other does. In a notebook: a progress bar per model
    and a live figure of test accuracy against training seconds; in a terminal,
    one line per evaluation. Ctrl-C stops the race and returns what it reached
    (``Race.interrupted``). A budget shorter than one training step is an error.
    """
    seconds, steps = _budget(seconds, steps)
    images, labels = check_data("train", train)
    test = check_data("test", test)
    if isinstance(models, str):
        models = (models,)
    models = tuple(checks.choice("model", m, CONV_KINDS) for m in models)
    if not models or len(set(models)) != len(models):
        raise ValueError(f"models must name each of {', '.join(CONV_KINDS)} at most once; got {models!r}")
    r = check_recipe(recipe(recipe_name))
    seed = checks.non_negative_int("seed", seed)
    evaluations = checks.positive_int("evaluations", evaluations)
    device = pick_device(device)
    channels_last = default_channels_last(device) if channels_last is None else channels_last
    checks.boolean("channels_last", channels_last)
    if device.type == "cpu":
        keep_cpu_memory_for_reuse()

    images = prepare_images(images, device, channels_last)
    labels = labels.to(device)
    trainers = {m: _LaneTrainer(m, r, images, labels, seed, device, channels_last) for m in models}
    result = Race(r, seed, seconds, steps, {m: t.lane for m, t in trainers.items()}, len(test[0]))
    budget = steps if steps is not None else seconds

    def spent(lane: Lane) -> float:
        return lane.steps if steps is not None else lane.train_seconds

    def progress_of(lane: Lane) -> float:
        return spent(lane) / budget

    reporter = RaceReporter(result, budget, progress, live_plot)
    try:
        for trainer in trainers.values():
            trainer.evaluate(test, channels_last)
        reporter.update(spent)
        for k in range(1, evaluations + 1):
            target = budget * k / evaluations
            for trainer in trainers.values():
                trainer.train_until(lambda lane: spent(lane) >= target, progress_of)
                if steps is None and trainer.lane.steps == 1 and trainer.lane.train_seconds > seconds:
                    raise ValueError(
                        f"seconds={seconds:g} is shorter than one training step of the "
                        f"{trainer.lane.model} model here ({trainer.lane.train_seconds:.3f} s); "
                        "give a budget of at least a few steps")
                trainer.evaluate(test, channels_last)
                reporter.update(spent)
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        reporter.close()
    return result


# --- the measured runs: recipes and races over seeds ------------------------------------------

def default_folder() -> Path:
    """``results/race`` in the project."""
    return Path(__file__).resolve().parent.parent / "results" / "race"


def run_name(recipe_name: str, models, seed: int) -> str:
    return f"{recipe_name}-{'-'.join(models)}-seed{seed}"


def study_plan(recipes=RECIPE_NAMES, seeds=RACE_SEEDS) -> list[tuple[str, tuple[str, ...], int]]:
    """The runs behind notebook 04's tables, for every seed: each recipe with the separable model
    alone, the race recipe with both models, the standard model alone under the
    ``STANDARD_CHECKS`` among ``recipes``, and the ``SECOND_RACE`` with both models."""
    runs = [(name, ("separable",), seed) for name in recipes for seed in seeds]
    runs += [(RACE_RECIPE, CONV_KINDS, seed) for seed in seeds]
    runs += [(name, ("standard",), seed) for name in STANDARD_CHECKS if name in recipes
             for seed in seeds]
    return runs + [(SECOND_RACE, CONV_KINDS, seed) for seed in seeds if SECOND_RACE in recipes]


def run_study(folder, train, test, *, recipes=RECIPE_NAMES, seeds=RACE_SEEDS,
              seconds: float | None = DEFAULT_SECONDS, steps: int | None = None, device=None,
              force: bool = False, data_note: str = "", command: str = "") -> list[Path]:
    """Run every planned race that has no result file in ``folder`` yet (or all, with ``force``),
    writing each file atomically as soon as it ends; an interrupted race is not saved. With
    ``steps`` (and ``seconds=None``) each race is a number of training steps instead."""
    from .experiments import run_provenance  # the same provenance as the long runs
    folder = Path(folder)
    written = []
    for name, models, seed in study_plan(recipes, seeds):
        path = folder / f"{run_name(name, models, seed)}.json"
        if path.exists() and not force:
            continue
        provenance = run_provenance()
        started = datetime.datetime.now(datetime.timezone.utc)
        wall = time.perf_counter()
        result = race(train, test, seconds, steps=steps, models=models, recipe_name=name, seed=seed,
                      device=device, progress=False, live_plot=False)
        if result.interrupted:
            raise KeyboardInterrupt
        result.record = {"machine": provenance, "started": started.isoformat(timespec="seconds"),
                         "wall_seconds": round(time.perf_counter() - wall, 1),
                         "data": data_note, "command": command}
        written.append(write_atomically(path, json.dumps(result.to_dict(), indent=1).encode()))
        accuracies = ", ".join(f"{m} {100 * lane.accuracy:.2f}%" for m, lane in result.lanes.items())
        print(f"{path.name}: {accuracies}", flush=True)
    return written


def load_races(folder=None) -> dict[tuple[str, tuple[str, ...]], list[Race]]:
    """Every result file in ``folder`` (default ``results/race``), keyed by (recipe, models),
    each list sorted by seed."""
    folder = Path(folder) if folder is not None else default_folder()
    if not folder.is_dir():
        raise FileNotFoundError(f"no race results folder at {folder}; run "
                                "`python -m dwconv_utils race` to make one")
    found: dict[tuple[str, tuple[str, ...]], list[Race]] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            result = Race.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, ValueError) as error:
            raise ValueError(f"{path} is not a race result: {error}") from error
        found.setdefault((result.recipe.name, tuple(result.lanes)), []).append(result)
    for runs in found.values():
        runs.sort(key=lambda run: run.seed)
    return found


class RecipeTable(Table):
    title = "The separable model's test accuracy after 90 s of training, by recipe"


def model_accuracies(races, recipe_name: str, model: str) -> list[float]:
    """``model``'s accuracies at the end of the budget under ``recipe_name``, one per seed: from
    its runs alone, or else from the races of both models."""
    runs = races.get((recipe_name, (model,))) or races.get((recipe_name, CONV_KINDS), [])
    return [run.lanes[model].accuracy for run in runs]


def recipe_table(races) -> RecipeTable:
    """Each recipe's separable accuracy at the end of the budget, per seed and their mean, with
    its change against its base, and the standard model's mean where it ran (notebook 04)."""
    rows = []
    for name in RECIPE_NAMES:
        runs = races.get((name, ("separable",)), [])
        if not runs:
            continue
        r = recipe(name)
        lanes = [run.lanes["separable"] for run in runs]
        mean = statistics.mean(lane.accuracy for lane in lanes)
        base = races.get((r.base, ("separable",)), [])
        row = {"recipe": name, "change": f"{r.base} + {r.change}" if r.base else r.change,
               "seeds %": ", ".join(f"{100 * lane.accuracy:.1f}" for lane in lanes),
               "mean %": f"{100 * mean:.2f}",
               "vs base": (f"{100 * (mean - statistics.mean(b.lanes['separable'].accuracy for b in base)):+.2f}"
                           if base else ""),
               "epochs": f"{statistics.mean(lane.epochs for lane in lanes):.1f}",
               "images/s": round(statistics.median(lane.images_per_second for lane in lanes))}
        standard = model_accuracies(races, name, "standard")
        row["standard %"] = f"{100 * statistics.mean(standard):.2f}" if standard else ""
        rows.append(row)
    if not rows:
        raise ValueError("no recipe runs among the results; run `python -m dwconv_utils race`")
    return RecipeTable(list(rows[0]), rows,
                       numeric=("mean %", "vs base", "epochs", "images/s", "standard %"))


def best_recipe(races, model: str = "separable") -> str:
    """The recipe under which ``model`` is most accurate at the end of the budget, on average."""
    checks.choice("model", model, CONV_KINDS)
    names = {name for name, _ in races}
    means = {name: statistics.mean(found) for name in names
             if (found := model_accuracies(races, name, model))}
    if not means:
        raise ValueError(f"no runs of the {model} model among the results")
    return max(means, key=means.get)


def race_runs(races, recipe_name: str = RACE_RECIPE) -> list[Race]:
    runs = races.get((recipe_name, CONV_KINDS), [])
    if not runs:
        raise ValueError(f"no race of both models with recipe {recipe_name!r} among the results; "
                         f"run `python -m dwconv_utils race`")
    return runs


class RaceSeedsTable(Table):
    title = "The race over seeds"


def race_seeds_table(runs: list[Race]) -> RaceSeedsTable:
    """One row per seed: each model's accuracy, epochs and images/s, and the gap (notebook 04)."""
    rows = []
    for run in runs:
        sep, std = run.lanes["separable"], run.lanes["standard"]
        rows.append({"seed": run.seed, "separable %": f"{100 * sep.accuracy:.2f}",
                     "standard %": f"{100 * std.accuracy:.2f}",
                     "separable ahead by": f"{100 * (sep.accuracy - std.accuracy):+.2f}",
                     "epochs (sep / std)": f"{sep.epochs:.1f} / {std.epochs:.1f}",
                     "images/s (sep / std)": f"{sep.images_per_second:,.0f} / {std.images_per_second:,.0f}"})
    table = RaceSeedsTable(list(rows[0]), rows, numeric=tuple(list(rows[0])))
    table.title = (f"The race over seeds, recipe {runs[0].recipe.name!r}: test accuracy after "
                   f"{runs[0].budget_text} of training each")
    return table


def _span(values: list[float]) -> str:
    low, high = min(values), max(values)
    return f"{100 * low:.1f}" if round(100 * low, 1) == round(100 * high, 1) else \
        f"{100 * low:.1f} to {100 * high:.1f}"


def race_summary(runs: list[Race]) -> str:
    """The races over seeds in one sentence, chosen by their numbers (notebook 04)."""
    gaps = [run.lanes["separable"].accuracy - run.lanes["standard"].accuracy for run in runs]
    ahead = sum(gap > 0 for gap in gaps)
    sep = [run.lanes["separable"].accuracy for run in runs]
    std = [run.lanes["standard"].accuracy for run in runs]
    speed = statistics.median(run.lanes["separable"].images_per_second
                              / run.lanes["standard"].images_per_second for run in runs)
    leader = ("the separable model was ahead in every seed" if ahead == len(runs)
              else "the standard model was ahead in every seed" if ahead == 0
              else f"the separable model was ahead in {ahead} of {len(runs)} seeds")
    return (f"Recipe {runs[0].recipe.name!r}: after {runs[0].budget_text} of training each, over "
            f"{len(runs)} seeds, {leader}: "
            f"separable {_span(sep)}%, standard {_span(std)}%, a gap of "
            f"{statistics.mean(gaps) * 100:+.1f} points on average for the separable model, "
            f"which trained on {speed:.1f}x as many images per second.")


def recipe_summary(races, target: float = 0.90) -> str:
    """How many seeds reached ``target`` under the seed's recipe and under the race recipe, and
    whether the race recipe is also the standard model's best among those it ran (notebook 04)."""
    parts = []
    for name, label in (("seed", "the seed's recipe"), (RACE_RECIPE, f"the race recipe {RACE_RECIPE!r}")):
        found = model_accuracies(races, name, "separable")
        if found:
            parts.append(f"in {sum(a >= target for a in found)} of {len(found)} seeds with {label}")
    if not parts:
        raise ValueError("no recipe runs among the results")
    budget = next(iter(races.values()))[0].budget_text
    text = f"The separable model reached {100 * target:.0f}% within {budget} " + " and ".join(parts) + "."
    standard_best = best_recipe(races, "standard")
    tried = sorted({name for name in RECIPE_NAMES if model_accuracies(races, name, "standard")},
                   key=RECIPE_NAMES.index)
    verdict = ("is also its best" if standard_best == RACE_RECIPE
               else f"is not its best: {standard_best!r} is")
    text += (f" For the standard model, trained under {', '.join(repr(n) for n in tried)}, "
             f"the race recipe {verdict}.")
    ahead = []
    for name in tried:
        raced = races.get((name, CONV_KINDS))
        if raced:  # side by side: the same machine conditions for both
            sep = [run.lanes["separable"].accuracy for run in raced]
            std = [run.lanes["standard"].accuracy for run in raced]
        else:
            sep, std = model_accuracies(races, name, "separable"), model_accuracies(races, name, "standard")
        if sep:
            gap = round(100 * (statistics.mean(sep) - statistics.mean(std)), 1)
            leader = "level" if gap == 0 else f"{'separable' if gap > 0 else 'standard'} by {abs(gap):.1f}"
            ahead.append(f"{name!r}{' (raced)' if raced else ''}: {leader}")
    if ahead:
        text += (" Who is ahead, recipe by recipe (mean over seeds; the runs not raced side by "
                 "side ran at different times, so the machine's speed may differ between them): "
                 + "; ".join(ahead) + " (points).")
    return text
