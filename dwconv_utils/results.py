"""The long runs' result files: which variants exist, where their files are, writing one
atomically and reading them back with checks (notebook 04).

One JSON file per (variant, seed) under ``results/reference_cnn/``: the training
history, the settings and seed, the machine, the library versions, the
wall-clock time and how busy the machine was; trained weights beside it for
the runs in ``WEIGHTS_KEPT``. ``python -m dwconv_utils experiments`` writes
them (``experiments.py``); notebook 04 reads them with ``load_results``, from
this checkout or, on Colab, from a clone of the project (``committed_results``).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import checks
from .data import cache_folder
from .files import write_atomically
from .history import History
from .models import ReferenceCNN
from .notebook import BRANCH, REPOSITORY_URL
from .seeds import median
from .train import DEFAULT_LR, weights_bytes

RESULTS_VERSION = 1
MAIN_SEEDS = (0, 1, 2)
VARIANT_SEEDS = (0, 1)
# Trained weights are kept for these (variant, seed) runs: notebook 04 looks inside them.
WEIGHTS_KEPT = {("separable", 0), ("standard", 0)}


@dataclass(frozen=True)
class Variant:
    name: str
    conv: str
    activation: str = "relu"
    batch_norm: bool = False
    lr: float = DEFAULT_LR
    main: bool = False  # main comparison (MAIN_SEEDS) or a variant (VARIANT_SEEDS)
    group: int = 1      # runs go group by group: 0 the main pair, 1 the variants, 2+ added later
    question: str = ""
    twin: str = ""      # the variant with the other conv and otherwise the same settings
    init: str = "xavier"
    seeds: tuple = ()   # overrides MAIN_SEEDS / VARIANT_SEEDS where given
    # A variant with the same layers as another, run on another machine: its seconds are
    # counted at the other's epoch time, so that seconds compare across the results.
    timed_as: str = ""
    width: float = 1.0
    head: str = "flatten"
    family: str = ""    # "separable" or "standard": a member of that equal-recipe family of widths
    notebooks: tuple = (4,)  # the notebooks that show it

    def model(self) -> ReferenceCNN:
        return ReferenceCNN(self.conv, self.activation, self.batch_norm, self.init, self.width, self.head)

    def default_seeds(self) -> tuple:
        return self.seeds or (MAIN_SEEDS if self.main else VARIANT_SEEDS)


VARIANTS = (
    # The seed's init equals per-group fans for the standard model: it is also its family's width 1.
    Variant("standard", "standard", main=True, group=0, family="standard", notebooks=(4, 6),
            question="the standard twin, as the seed would build it with nn.Conv2d"),
    Variant("separable", "separable", main=True, group=0,
            question="the seed's separable CNN as written"),
    Variant("separable-bn", "separable", batch_norm=True,
            question="does BatchNorm after the depthwise and pointwise steps (as in MobileNet) close the gap?"),
    Variant("separable-selu", "separable", activation="selu",
            question="the seed's other activation: does selu change the picture?"),
    Variant("standard-bn", "standard", batch_norm=True, group=2, twin="separable-bn",
            question="the fair twin of separable-bn: does BatchNorm help the standard model as much?"),
    # Per-group fans change only depthwise weights: the standard model's stay the seed's.
    Variant("separable-per-group-init", "separable", init="xavier-per-group", group=3,
            seeds=MAIN_SEEDS, timed_as="separable", family="separable", notebooks=(4, 6),
            question="Xavier with fans counted per group: is the slow start the seed's init?"),
    # The equal-budget families (notebook 04): one recipe, widths chosen so that the standard
    # family has a member matched to the separable model in parameters (0.58) and one in
    # mult-adds (0.375), and the separable family one matched to the standard twin (2).
    *(Variant(f"{conv}-w{width:g}", conv, init="xavier-per-group", width=width, group=4,
              seeds=MAIN_SEEDS if matched else VARIANT_SEEDS, family=conv, notebooks=(6,),
              question=f"the {conv} family at width {width:g}: accuracy for its budget")
      for conv, width, matched in (("standard", 0.375, True), ("standard", 0.58, True),
                                   ("separable", 2.0, True), ("standard", 0.25, False),
                                   ("separable", 0.5, False))),
    # With a pooling head the convolutions hold most parameters; standard at width 0.36 then
    # matches the separable model in parameters (+3%) and in mult-adds (+0.1%) at once.
    Variant("separable-pool", "separable", init="xavier-per-group", head="pool", group=5,
            seeds=MAIN_SEEDS, family="separable", notebooks=(6,),
            question="the separable model with a pooling head instead of flatten + fc1"),
    Variant("standard-pool-w0.36", "standard", init="xavier-per-group", width=0.36, head="pool",
            group=5, seeds=MAIN_SEEDS, family="standard", notebooks=(6,),
            question="a standard model with a pooling head, matched to separable-pool"),
)
VARIANT_NAMES = tuple(v.name for v in VARIANTS)


def variant_names(notebook: int | None = None) -> tuple[str, ...]:
    """The variants a notebook shows (all of them for ``None``), in the order of ``VARIANTS``."""
    if notebook is not None and not any(notebook in v.notebooks for v in VARIANTS):
        known = sorted({n for v in VARIANTS for n in v.notebooks})
        raise ValueError(f"notebook must be one of {', '.join(map(str, known))} or None; got {notebook!r}")
    return tuple(v.name for v in VARIANTS if notebook is None or notebook in v.notebooks)


def variant(name: str) -> Variant:
    checks.choice("variant", name, VARIANT_NAMES)
    return next(v for v in VARIANTS if v.name == name)


def default_folder() -> Path:
    """``results/reference_cnn`` in the project (next to ``notebooks/``)."""
    return Path(__file__).resolve().parent.parent / "results" / "reference_cnn"


def committed_results(repository_url: str | None = None) -> Path:
    """The folder of committed results: in this checkout, or else in a clone of the project.

    Working from a clone of the project (JupyterLab), that is
    ``results/reference_cnn`` beside the package. Where the package was
    installed from the repository without the rest of it (Colab's first
    cell), the repository is shallow-cloned once into the user cache
    (``~/.cache/dwconv_utils/repository-<hash of the URL>``) and its results
    folder used; a clone of another URL is never taken for it.
    """
    local = default_folder()
    if local.is_dir():
        return local
    url = repository_url or REPOSITORY_URL
    clone = cache_folder().parent / f"repository-{hashlib.sha256(url.encode()).hexdigest()[:12]}"
    found = clone / "results" / "reference_cnn"
    if found.is_dir():
        return found
    clone.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=clone.parent, prefix=".repository-"))
    try:
        try:
            # No password prompt: a private or mistyped URL must fail, not wait for stdin.
            done = subprocess.run(["git", "clone", "--quiet", "--depth", "1", "--branch", BRANCH,
                                   url, str(partial)], capture_output=True, text=True, timeout=300,
                                  env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
        except subprocess.TimeoutExpired as error:
            raise FileNotFoundError(f"no results folder at {local}, and cloning {url} to get the "
                                    "committed one took over 5 minutes; check the network") from error
        if done.returncode != 0:
            raise FileNotFoundError(f"no results folder at {local}, and cloning {url} to get the "
                                    f"committed one failed: {done.stderr.strip()[-300:]}")
        if not (partial / "results" / "reference_cnn").is_dir():
            raise FileNotFoundError(f"{url} has no results/reference_cnn folder on {BRANCH}")
        shutil.rmtree(clone, ignore_errors=True)
        os.replace(partial, clone)  # a clone interrupted half-way is never used
    except FileNotFoundError as error:
        if "git" == getattr(error, "filename", None):
            raise FileNotFoundError(f"no results folder at {local}, and git is not installed "
                                    "to fetch the committed one") from error
        raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return found


def result_path(folder, name: str, seed: int) -> Path:
    return Path(folder) / f"{name}-seed{seed}.json"


@dataclass
class RunResult:
    """One finished (variant, seed) run as read from its JSON file."""

    variant: str
    seed: int
    history: History
    record: dict
    path: Path
    # The epoch time its seconds are counted at: its own median, or (``Variant.timed_as``)
    # the median epoch of the variant with the same layers, as ``load_results`` sets it.
    epoch_seconds: float | None = None

    @property
    def weights_path(self) -> Path | None:
        path = self.path.with_suffix(".pt")
        return path if path.exists() else None


_REQUIRED = ("version", "variant", "seed", "model", "data", "wall_seconds", "cpu_per_wall",
             "machine", "history")


def read_result(path) -> RunResult:
    """Read and check one result file; a malformed one raises ``ValueError`` naming it."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path} is not valid JSON text ({error})") from error
    if not isinstance(record, dict) or record.get("version") != RESULTS_VERSION:
        raise ValueError(f"{path} is not an experiment result of version {RESULTS_VERSION}")
    missing = [k for k in _REQUIRED if k not in record]
    if missing:
        raise ValueError(f"{path} lacks the fields {', '.join(missing)}")
    if record["variant"] not in VARIANT_NAMES:
        raise ValueError(f"{path}: unknown variant {record['variant']!r}; "
                         f"known: {', '.join(VARIANT_NAMES)}")
    expected = result_path(path.parent, record["variant"], record["seed"]).name
    if path.name != expected:
        # A copied or renamed file would otherwise count twice, or as the wrong seed.
        raise ValueError(f"{path} holds {record['variant']} seed {record['seed']}, "
                         f"which belongs in a file named {expected}")
    for field, key in (("model", "conv"), ("machine", "cpu"), ("machine", "torch_threads")):
        if not isinstance(record[field], dict) or key not in record[field]:
            raise ValueError(f"{path}: the field {field!r} lacks {key!r}")
    try:
        history = History.from_dict(record["history"])
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error
    if not history.epochs:
        raise ValueError(f"{path} holds no finished epoch; a result needs at least one")
    untested = [e.epoch for e in history.epochs if e.test_accuracy is None]
    if untested:
        # Every comparison in notebook 04 is of test accuracy after each epoch.
        raise ValueError(f"{path} has no test accuracy for epochs {untested}; experiment "
                         "results are tested after every epoch")
    return RunResult(record["variant"], int(record["seed"]), history, record, path)


def load_results(folder=None, notebook: int | None = None) -> dict[str, list[RunResult]]:
    """Every result in ``folder`` (default: the committed ``results/reference_cnn``).

    Returns {variant name: runs sorted by seed}, in the order of ``VARIANTS``,
    holding only variants that have at least one run (with ``notebook``, only the variants
    that notebook shows, ``variant_names(notebook)``). Each run's ``epoch_seconds`` is set:
    its own median epoch time, or for a variant timed as another the pooled median of that one.
    """
    folder = Path(folder) if folder is not None else default_folder()
    if not folder.is_dir():
        raise FileNotFoundError(f"no results folder at {folder}; run "
                                "`python -m dwconv_utils experiments` to make it")
    runs = [read_result(p) for p in sorted(folder.glob("*-seed*.json"))]
    if not runs:
        raise FileNotFoundError(f"{folder} holds no results (*-seed*.json); run "
                                "`python -m dwconv_utils experiments` to make them")
    by_variant = {name: sorted((r for r in runs if r.variant == name), key=lambda r: r.seed)
                  for name in VARIANT_NAMES}
    found = {name: runs for name, runs in by_variant.items() if runs}
    for name, named_runs in found.items():
        timed = bool(variant(name).timed_as)
        for run in named_runs:
            run.epoch_seconds = (pooled_epoch_seconds(found, name) if timed
                                 else median([e.seconds for e in run.history.epochs]))
    shown = variant_names(notebook)
    return {name: runs for name, runs in found.items() if name in shown}


def pooled_epoch_seconds(results: dict[str, list[RunResult]], name: str) -> float:
    """The median epoch time over every epoch of a variant's runs, or, for a variant timed as
    another (``Variant.timed_as``), over that variant's runs: the speed its seconds are counted at."""
    source = variant(name).timed_as or name
    if source not in results:
        raise ValueError(f"{name} is timed at the epoch time of {source}, which has no results here")
    return median([e.seconds for r in results[source] for e in r.history.epochs])


def compact_history(history: dict) -> dict:
    """A history dict with step losses to six significant digits, as result files hold it."""
    # Six significant digits keep a run's file near 60 KB and lose nothing a plot shows.
    history = dict(history)
    history["step_losses"] = [float(f"{v:.6g}") for v in history["step_losses"]]
    return history


def save_result(folder, record: dict, model=None) -> Path:
    path = result_path(folder, record["variant"], record["seed"])
    if model is not None:
        # Weights first: the JSON file marks the run done, so a crash between the two
        # writes leaves a run that is re-run, never one that lacks its weights.
        write_atomically(path.with_suffix(".pt"), weights_bytes(model))
    write_atomically(path, (json.dumps(record, indent=1) + "\n").encode())
    return path
