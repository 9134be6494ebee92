"""Experiments too slow for a lecture: ``python -m dwconv_utils.experiments``.

Notebook 04 tests the seed's claim that the separable CNN "converges more
slowly" than its standard twin. That needs several seeds and ten epochs of
full Fashion-MNIST per model, about two and a half hours on a 2-core CPU, so
this script runs them and writes one JSON file per (variant, seed) under
``results/reference_cnn/``: the training history, the settings and seed,
the machine, the library versions, the wall-clock time and how busy the
machine was. The notebook plots the committed files instantly.

Runs are interleaved (seed 0 of every main variant, then seed 1, ...), so a
busy spell on the machine hits both models alike, and a finished run is
never repeated unless ``--force`` is given: an interrupted session resumes
where it stopped. Each file is written atomically, so a crash never leaves a
half-written result.

    python -m dwconv_utils.experiments              # everything still missing
    python -m dwconv_utils.experiments --list       # what would run
    python -m dwconv_utils.experiments --only separable standard --seeds 0
"""
from __future__ import annotations

import argparse
import datetime
import functools
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from . import _checks
from ._files import write_atomically
from .models import ReferenceCNN
from .tables import Table
from .train import DEFAULT_BATCH_SIZE, DEFAULT_LR, History, fit

RESULTS_VERSION = 1
DEFAULT_EPOCHS = 10
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

    def model(self) -> ReferenceCNN:
        return ReferenceCNN(self.conv, self.activation, self.batch_norm, self.init)

    def default_seeds(self) -> tuple:
        return self.seeds or (MAIN_SEEDS if self.main else VARIANT_SEEDS)


VARIANTS = (
    Variant("standard", "standard", main=True, group=0,
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
            seeds=MAIN_SEEDS,
            question="Xavier with fans counted per group: is the slow start the seed's init?"),
)
VARIANT_NAMES = tuple(v.name for v in VARIANTS)


def variant(name: str) -> Variant:
    _checks.choice("variant", name, VARIANT_NAMES)
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
    from .data import cache_folder
    from .notebook import BRANCH, REPOSITORY_URL
    url = repository_url or REPOSITORY_URL
    clone = cache_folder().parent / f"repository-{hashlib.sha256(url.encode()).hexdigest()[:12]}"
    found = clone / "results" / "reference_cnn"
    if found.is_dir():
        return found
    clone.parent.mkdir(parents=True, exist_ok=True)
    import shutil
    import tempfile
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


def plan(names=VARIANT_NAMES, seeds=None) -> list[tuple[Variant, int]]:
    """The (variant, seed) runs in the order they run.

    Group by group (the main pair, then the variants), and within a group interleaved by seed (standard 0,
    separable 0, standard 1, ...), so a busy spell hits both models alike
    and the most important runs finish first. ``seeds`` overrides the
    default seeds (MAIN_SEEDS for the main pair, VARIANT_SEEDS otherwise).
    """
    chosen = [variant(n) for n in names]
    runs = []
    for group in sorted({v.group for v in chosen}):
        members = [v for v in chosen if v.group == group]
        all_seeds = sorted({s for v in members
                            for s in (seeds if seeds is not None else v.default_seeds())})
        for seed in all_seeds:
            runs += [(v, seed) for v in members
                     if seed in (seeds if seeds is not None else v.default_seeds())]
    return runs


def machine_info() -> dict:
    """What ran it: CPU, cores, threads, OS, Python and library versions, device."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numpy
    info = {"cpu": cpu, "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "platform": platform.platform(), "python": platform.python_version(),
            "torch": torch.__version__, "numpy": numpy.__version__,
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "git_commit": _git_commit()}
    return info


@functools.lru_cache(maxsize=None)
def _git_commit() -> str | None:
    # Cached: the commit of the code this process imported, not of later edits to the tree.
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "."],
                               cwd=Path(__file__).resolve().parent, capture_output=True,
                               text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() + ("+modified" if dirty.stdout.strip() else "")


def _load_average() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def run_one(v: Variant, seed: int, train, test, *, epochs: int = DEFAULT_EPOCHS,
            batch_size: int = DEFAULT_BATCH_SIZE, device=None, data_note: str = "",
            progress: bool = True, command: str = "") -> tuple[dict, ReferenceCNN]:
    """Train one (variant, seed); return the JSON-ready result record and the trained model."""
    # Before training: a run must record the code it ran, not the tree as it was when it ended.
    machine = machine_info()
    torch.manual_seed(seed)
    model = v.model()
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before, cpu_before, wall_before = _load_average(), time.process_time(), time.perf_counter()
    history = fit(model, train, test, epochs, batch_size=batch_size, lr=v.lr, seed=seed,
                  device=device, progress=progress, live_plot=False, name=v.name)
    wall = time.perf_counter() - wall_before
    record = {
        "version": RESULTS_VERSION, "variant": v.name, "seed": seed, "question": v.question,
        "model": {"conv": v.conv, "activation": v.activation, "batch_norm": v.batch_norm,
                  "init": v.init},
        "data": data_note,
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_seconds": round(wall, 2),  # training and every epoch's test evaluation
        # CPU seconds / wall seconds: near the thread count on a quiet machine, lower when busy.
        "cpu_per_wall": round((time.process_time() - cpu_before) / wall, 3),
        "load_average_before": load_before, "load_average_after": _load_average(),
        "machine": machine,
        "command": command,
        "history": _rounded(history.to_dict()),
    }
    return record, model


def _rounded(history: dict) -> dict:
    # Six significant digits keep a run's file near 60 KB and lose nothing a plot shows.
    history = dict(history)
    history["step_losses"] = [float(f"{v:.6g}") for v in history["step_losses"]]
    return history


def save_result(folder, record: dict, model=None) -> Path:
    path = result_path(folder, record["variant"], record["seed"])
    if model is not None:
        # Weights first: the JSON file marks the run done, so a crash between the two
        # writes leaves a run that is re-run, never one that lacks its weights.
        from .train import _state_dict_bytes
        write_atomically(path.with_suffix(".pt"), _state_dict_bytes(model))
    write_atomically(path, (json.dumps(record, indent=1) + "\n").encode())
    return path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dwconv_utils.experiments",
                                description="Train every variant of the reference CNN over "
                                            "several seeds and write the results (notebook 04).")
    p.add_argument("--only", nargs="+", choices=VARIANT_NAMES, default=list(VARIANT_NAMES),
                   metavar="VARIANT", help=f"variants to run (default: all of {', '.join(VARIANT_NAMES)})")
    p.add_argument("--seeds", nargs="+", type=int, default=None,
                   help=f"seeds (default: {' '.join(map(str, MAIN_SEEDS))} for the main pair, "
                        f"{' '.join(map(str, VARIANT_SEEDS))} for the variants)")
    p.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS)
    p.add_argument("--limit", type=int, default=None,
                   help="use only the first N training and N//6 test images (a smoke run; "
                        "never write such results into the committed folder)")
    p.add_argument("--out", default=None, help=f"folder for the results (default: {default_folder()})")
    p.add_argument("--data", default=None, help="folder with the four Fashion-MNIST files")
    p.add_argument("--no-download", action="store_true", help="use only local copies of the data")
    p.add_argument("--device", default="auto")
    p.add_argument("--force", action="store_true", help="run again even where a result exists")
    p.add_argument("--list", action="store_true", help="print the plan and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    """The command line; the notebook calls ``main([])`` to re-run what is missing."""
    args = _parser().parse_args(argv)
    command = " ".join(["python -m dwconv_utils.experiments",
                        *(sys.argv[1:] if argv is None else argv)])
    folder = Path(args.out) if args.out else default_folder()
    try:
        epochs = _checks.positive_int("--epochs", args.epochs)
        if args.limit is not None:
            _checks.positive_int("--limit", args.limit)
        if args.seeds is not None:
            for s in args.seeds:
                _checks.non_negative_int("--seeds", s)
        if args.limit is not None and folder.resolve() == default_folder().resolve():
            raise ValueError("--limit makes a smoke run on a subset; give --out another folder "
                             f"so it cannot mix with the full results in {folder}")
    except (TypeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    runs = plan(args.only, args.seeds)
    todo = [(v, s) for v, s in runs if args.force or not result_path(folder, v.name, s).exists()]
    for v, s in runs:
        state = "to run" if (v, s) in todo else "done"
        print(f"{v.name:>15} seed {s}: {state}")
    if args.list or not todo:
        return 0

    from .data import DataCorruptError, DataUnavailableError, fashion_mnist_tensors
    try:
        download = not args.no_download
        test_limit = None if args.limit is None else max(1, args.limit // 6)
        train = fashion_mnist_tensors("train", root=args.data, download=download, limit=args.limit)
        test = fashion_mnist_tensors("test", root=args.data, download=download, limit=test_limit)
    except (DataUnavailableError, DataCorruptError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    data_note = f"Fashion-MNIST, {len(train[0]):,} training and {len(test[0]):,} test images"
    print(f"{data_note}; {len(todo)} runs of {epochs} epochs; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads; writing to {folder}", flush=True)
    for v, s in todo:
        print(f"--- {v.name} seed {s}: {v.question}", flush=True)
        record, model = run_one(v, s, train, test, epochs=epochs, device=args.device,
                                data_note=data_note, progress=True, command=command)
        keep = (v.name, s) in WEIGHTS_KEPT
        path = save_result(folder, record, model if keep else None)
        print(f"wrote {path} ({record['wall_seconds']:.0f} s, cpu/wall {record['cpu_per_wall']})",
              flush=True)
    return 0


# --- reading the results back (notebook 04) ------------------------------------

@dataclass
class RunResult:
    """One finished (variant, seed) run as read from its JSON file."""

    variant: str
    seed: int
    history: History
    record: dict
    path: Path

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


def load_results(folder=None) -> dict[str, list[RunResult]]:
    """Every result in ``folder`` (default: the committed ``results/reference_cnn``).

    Returns {variant name: runs sorted by seed}, in the order of ``VARIANTS``,
    holding only variants that have at least one run.
    """
    folder = Path(folder) if folder is not None else default_folder()
    if not folder.is_dir():
        raise FileNotFoundError(f"no results folder at {folder}; run "
                                "`python -m dwconv_utils.experiments` to make it")
    runs = [read_result(p) for p in sorted(folder.glob("*-seed*.json"))]
    if not runs:
        raise FileNotFoundError(f"{folder} holds no results (*-seed*.json); run "
                                "`python -m dwconv_utils.experiments` to make them")
    by_variant = {name: sorted((r for r in runs if r.variant == name), key=lambda r: r.seed)
                  for name in VARIANT_NAMES}
    return {name: found for name, found in by_variant.items() if found}


@dataclass
class Band:
    """A per-epoch statistic over seeds: mean, lowest and highest seed, and the x positions."""

    x: list[float]
    mean: list[float]
    low: list[float]
    high: list[float]
    seeds: int


def steady_seconds(history: History) -> list[float]:
    """Training seconds at the end of each epoch, at the run's median epoch time.

    The experiments ran on a shared machine: other work during one epoch
    slows that epoch only, and would count against whichever model happened
    to be training. The median epoch time of a run is its steady speed; the
    raw times stay in the files (``history.wall_seconds``).
    """
    typical = _median([e.seconds for e in history.epochs])
    return [typical * e.epoch for e in history.epochs]


def band(runs: list[RunResult], key: str = "test_accuracy", x: str = "epoch") -> Band:
    """``key`` per epoch over the seeds in ``runs``; ``x`` is "epoch" or "seconds".

    With x="seconds" the position of epoch e is the mean, over seeds, of
    ``steady_seconds`` at its end. Only epochs that every run has are used.
    """
    if not runs:
        raise ValueError("band needs at least one run")
    _checks.choice("x", x, ("epoch", "seconds"))
    epochs = min(len(r.history.epochs) for r in runs)
    columns = [r.history.column(key)[:epochs] for r in runs]
    if x == "epoch":
        xs = [float(e) for e in range(1, epochs + 1)]
    else:
        times = [steady_seconds(r.history)[:epochs] for r in runs]
        xs = [sum(t[e] for t in times) / len(times) for e in range(epochs)]
    per_epoch = list(zip(*columns))
    return Band(xs, [sum(v) / len(v) for v in per_epoch], [min(v) for v in per_epoch],
                [max(v) for v in per_epoch], len(runs))


def time_to_accuracy(history: History, threshold: float) -> tuple[int, float] | None:
    """(epoch, training seconds) at the end of the first epoch whose test accuracy reaches
    ``threshold`` (a fraction, e.g. 0.87), or None if it never does. Seconds are
    ``steady_seconds``: the run's median epoch time times the epochs."""
    if not 0 < threshold < 1:
        raise ValueError(f"threshold is a fraction of the test set, between 0 and 1; got {threshold}")
    for stats, seconds in zip(history.epochs, steady_seconds(history)):
        if stats.test_accuracy is not None and stats.test_accuracy >= threshold:
            return stats.epoch, seconds
    return None


def _mean_std(values: list[float]) -> tuple[float, float]:
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, float("nan")
    return mean, (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5


def _pm(values: list[float], scale: float = 1.0, digits: int = 2) -> str:
    mean, std = _mean_std([v * scale for v in values])
    if len(values) < 2:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


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
                "s per epoch": f"{_median([e.seconds for r in runs for e in r.history.epochs]):.1f}",
                f"epoch to {threshold:.0%}": (_pm([t[0] for t in hit], 1, 1) if hit else "never")
                + (f" ({len(hit)}/{len(runs)} seeds)" if hit and len(hit) < len(runs) else ""),
                f"seconds to {threshold:.0%}": (_pm([t[1] for t in hit], 1, 0) if hit else "never"),
            })
        columns = list(rows[0]) if rows else ["variant"]
        super().__init__(columns, rows, numeric=tuple(columns[1:]))


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def results_table(results: dict[str, list[RunResult]], threshold: float = 0.87) -> ResultsTable:
    return ResultsTable(results, threshold)


def paired_gap(results: dict[str, list[RunResult]], ahead: str = "standard",
               behind: str = "separable", key: str = "test_accuracy") -> Band:
    """``ahead`` minus ``behind`` per epoch, paired by seed (seeds both have)."""
    a = {r.seed: r for r in results.get(ahead, [])}
    b = {r.seed: r for r in results.get(behind, [])}
    seeds = sorted(set(a) & set(b))
    if not seeds:
        raise ValueError(f"no seed has results for both {ahead!r} and {behind!r}")
    epochs = min(min(len(a[s].history.epochs), len(b[s].history.epochs)) for s in seeds)
    diffs = [[x - y for x, y in zip(a[s].history.column(key)[:epochs],
                                    b[s].history.column(key)[:epochs])] for s in seeds]
    per_epoch = list(zip(*diffs))
    return Band([float(e) for e in range(1, epochs + 1)], [sum(v) / len(v) for v in per_epoch],
                [min(v) for v in per_epoch], [max(v) for v in per_epoch], len(seeds))


def verdict(results: dict[str, list[RunResult]], threshold: float = 0.87) -> str:
    """The seed's claim judged in plain words, every number computed from ``results``."""
    for needed in ("standard", "separable"):
        if needed not in results:
            raise ValueError(f"the verdict needs results for {needed!r}; have {', '.join(results)}")
    std, sep = results["standard"], results["separable"]
    gap = paired_gap(results)
    loss_gap = paired_gap(results, key="train_loss")  # standard - separable: negative = standard lower
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
    epochs_s = [time_to_accuracy(r.history, threshold) for r in std]
    epochs_p = [time_to_accuracy(r.history, threshold) for r in sep]
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
                  f"{_median([e.seconds for r in std for e in r.history.epochs]):.0f} s vs "
                  f"{_median([e.seconds for r in sep for e in r.history.epochs]):.0f} s)")
        if faster:
            timing += f": the {faster} model gets there sooner in every seed."
        else:
            timing += ": the seeds overlap, so neither is reliably sooner."
        lines.append(timing)
    else:
        lines.append(f"Not every run reached {threshold:.0%} test accuracy within its epochs.")
    matched = equal_time(results)
    lines.append(_equal_time_sentence(matched))
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


def equal_time(results: dict[str, list[RunResult]], ahead: str = "standard",
               behind: str = "separable") -> list[EqualTime]:
    """Per seed: when the (faster per epoch) ``behind`` model has finished all its epochs,
    where the ``ahead`` model stood after the same training time. Both at their median epoch
    time (``steady_seconds``); the ahead model counts only epochs it had finished."""
    a = {r.seed: r for r in results.get(ahead, [])}
    b = {r.seed: r for r in results.get(behind, [])}
    seeds = sorted(set(a) & set(b))
    if not seeds:
        raise ValueError(f"no seed has results for both {ahead!r} and {behind!r}")
    matched = []
    for seed in seeds:
        deadline = steady_seconds(b[seed].history)[-1]
        finished = [e for e, t in zip(a[seed].history.epochs, steady_seconds(a[seed].history))
                    if t <= deadline]
        matched.append(EqualTime(seed, deadline, len(b[seed].history.epochs),
                                 b[seed].history.epochs[-1].test_accuracy, len(finished),
                                 finished[-1].test_accuracy if finished else None))
    return matched


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


def plain_summary(results: dict[str, list[RunResult]], threshold: float = 0.87) -> str:
    """The verdict in a few plain sentences (Markdown) for notebook 04: which way each
    comparison went, chosen by the numbers in ``results``, with its spread over seeds."""
    verdict(results, threshold)  # the same checks of what is there
    gap = paired_gap(results)
    epochs, n = int(gap.x[-1]), gap.seeds
    def mean(v): return sum(v) / len(v)
    reached = {name: [time_to_accuracy(r.history, threshold) for r in results[name]]
               for name in ("standard", "separable")}
    all_reached = all(t is not None for found in reached.values() for t in found)
    to_threshold = ""
    if all_reached:
        es = [t[0] for t in reached["standard"]]
        ep = [t[0] for t in reached["separable"]]
        to_threshold = (f" To reach {threshold:.0%} test accuracy it needs "
                        f"{_span(ep, 1, 0, '')} epochs, the standard twin {_span(es, 1, 0, '')}.")
    points = []
    if all(low > 0 for low in gap.low):
        points.append(f"**Per epoch, the seed is right.** The separable model has the lower test "
                      f"accuracy at every one of the {epochs} epochs in {_all_seeds(n)}: "
                      f"{100 * gap.mean[0]:.1f} points behind its standard twin after epoch 1 and "
                      f"still {100 * gap.mean[-1]:.1f} behind after epoch {epochs} (means over "
                      f"seeds).{to_threshold}")
    elif all(high < 0 for high in gap.high):
        points.append(f"**Per epoch, the seed is wrong here.** The separable model is ahead of its "
                      f"standard twin at every epoch in {_all_seeds(n)} "
                      f"(by {-100 * gap.mean[-1]:.1f} points after epoch {epochs}).{to_threshold}")
    else:
        points.append(f"**Per epoch, no clear winner.** Over {_seeds(n)} neither model is ahead at "
                      f"every epoch (standard minus separable after epoch {epochs}: "
                      f"{_span([gap.low[-1], gap.high[-1]])} points).{to_threshold}")

    std_epoch = _median([e.seconds for r in results["standard"] for e in r.history.epochs])
    sep_epoch = _median([e.seconds for r in results["separable"] for e in r.history.epochs])
    speed = (f"{std_epoch / sep_epoch:.1f}x quicker" if std_epoch >= sep_epoch
             else f"{sep_epoch / std_epoch:.1f}x slower")
    matched = equal_time(results)
    diffs = [m.difference for m in matched]
    same_time = (f"after the training time of the separable model's "
                 f"{_span([m.behind_epochs for m in matched], 1, 0, '')} epochs the standard "
                 f"twin had finished {_span([m.ahead_epochs for m in matched], 1, 0, '')}")
    if None in diffs:
        points.append(f"**Per second, no comparison yet.** A separable epoch is {speed}: "
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
        points.append(f"**Per second on the machine that ran them, the separable model {how}.** "
                      f"A separable epoch is {speed}, yet {same_time} epochs and was ahead by "
                      f"{_span(diffs)} points in every seed{compared}.")
    elif max(diffs) < 0:
        points.append(f"**Per second on the machine that ran them, the separable model is ahead.** "
                      f"A separable epoch is {speed}: {same_time} epochs and was behind by "
                      f"{_span([-d for d in diffs], sign='')} points in every seed.")
    else:
        points.append(f"**Per second on the machine that ran them, a draw.** A separable epoch is "
                      f"{speed}; {same_time} epochs, and the difference (standard minus "
                      f"separable) was {_span(diffs)} points: it changes sign between seeds.")

    if all_reached:
        ss = [t[1] for t in reached["standard"]]
        sp = [t[1] for t in reached["separable"]]
        if max(sp) < min(ss) or max(ss) < min(sp):
            first = "separable model" if max(sp) < min(ss) else "standard twin"
            points.append(f"To first reach {threshold:.0%} test accuracy the {first} was sooner in "
                          f"every seed (standard {_span(ss, 1, 0, '')} s, separable "
                          f"{_span(sp, 1, 0, '')} s; checked once per epoch).")
        else:
            points.append(f"To first reach {threshold:.0%} test accuracy the seeds overlap (standard "
                          f"{_span(ss, 1, 0, '')} s, separable {_span(sp, 1, 0, '')} s; checked "
                          "once per epoch): neither is reliably sooner.")
    else:
        counts = ", ".join(f"{name} {sum(t is not None for t in found)} of {_seeds(len(found))}"
                           for name, found in reached.items())
        points.append(f"Not every run reached {threshold:.0%} test accuracy within its epochs "
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
            points.append(f"**{name}**, the fair twin of {twin} {where}."
                          f"{_reached_sentence(runs, main_pair, threshold)} "
                          f"{_twin_sentence(results, name, twin)}")
            continue
        if base != "separable" or closed_first is None or closed_final is None:
            points.append(f"**{name}** {where[1:-1]}.{_reached_sentence(runs, main_pair, threshold)}")
            continue
        if 0 <= closed_first <= 1 and 0 <= closed_final <= 1:
            closed = (f"closes {closed_first:.0%} of the gap after epoch 1 and {closed_final:.0%} "
                      f"of it after epoch {last}")
        else:
            closed = (f"{_share_words(closed_first, 'after epoch 1')} and "
                      f"{_share_words(closed_final, f'after epoch {last}')}")
        points.append(f"**{name}** {closed} {where}.{_reached_sentence(runs, main_pair, threshold)}")
    counts = sorted({len(runs) for runs in results.values()})
    test_size = results["standard"][0].history.settings.get("test_size")
    noise = ""
    if test_size:
        p = mean(final["standard"] + final["separable"]) / 100
        noise = (f" One test accuracy on {test_size:,} images is itself uncertain by about "
                 f"±{100 * (p * (1 - p) / test_size) ** 0.5:.1f} points (one standard error), "
                 "so differences of that size between runs say little.")
    points.append(f"These are {' and '.join(map(str, counts))} seeds per model: enough to see the "
                  f"direction of a gap that every seed shows, not to pin a small one down.{noise}")
    return "\n".join(f"- {p}" for p in points)


if __name__ == "__main__":
    sys.exit(main())
