"""Experiments too slow for a lecture: ``python -m dwconv_utils.experiments``.

Notebook 04 tests the seed's claim that the separable CNN "converges more
slowly" than its standard twin. That needs several seeds and ten epochs of
full Fashion-MNIST per model, about an hour and a half on a 2-core CPU, so
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
    group: int = 1      # runs go group by group: 0 the main pair, 1 the variants, 2 checks of them
    question: str = ""

    def model(self) -> ReferenceCNN:
        return ReferenceCNN(self.conv, self.activation, self.batch_norm)


VARIANTS = (
    Variant("standard", "standard", main=True, group=0,
            question="the standard twin, as the seed would build it with nn.Conv2d"),
    Variant("separable", "separable", main=True, group=0,
            question="the seed's separable CNN as written"),
    Variant("separable-bn", "separable", batch_norm=True,
            question="does BatchNorm after the depthwise and pointwise steps (as in MobileNet) close the gap?"),
    Variant("separable-selu", "separable", activation="selu",
            question="the seed's other activation: does selu change the picture?"),
    Variant("standard-bn", "standard", batch_norm=True, group=2,
            question="BatchNorm in the standard twin too: is any gain specific to separable convs?"),
)
VARIANT_NAMES = tuple(v.name for v in VARIANTS)


def variant(name: str) -> Variant:
    _checks.choice("variant", name, VARIANT_NAMES)
    return next(v for v in VARIANTS if v.name == name)


def default_folder() -> Path:
    """``results/reference_cnn`` in the project (next to ``notebooks/``)."""
    return Path(__file__).resolve().parent.parent / "results" / "reference_cnn"


def result_path(folder, name: str, seed: int) -> Path:
    return Path(folder) / f"{name}-seed{seed}.json"


def plan(names=VARIANT_NAMES, seeds=None) -> list[tuple[Variant, int]]:
    """The (variant, seed) runs in the order they run.

    Group by group (the main pair, then the variants, then checks of the
    variants), and within a group interleaved by seed (standard 0,
    separable 0, standard 1, ...), so a busy spell hits both models alike
    and the most important runs finish first. ``seeds`` overrides the
    default seeds (MAIN_SEEDS for the main pair, VARIANT_SEEDS otherwise).
    """
    chosen = [variant(n) for n in names]
    runs = []
    for group in sorted({v.group for v in chosen}):
        members = [v for v in chosen if v.group == group]
        all_seeds = sorted({s for v in members
                            for s in (seeds if seeds is not None
                                      else MAIN_SEEDS if v.main else VARIANT_SEEDS)})
        for seed in all_seeds:
            runs += [(v, seed) for v in members
                     if seed in (seeds if seeds is not None
                                 else MAIN_SEEDS if v.main else VARIANT_SEEDS)]
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


def _git_commit() -> str | None:
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
            progress: bool = True) -> tuple[dict, ReferenceCNN]:
    """Train one (variant, seed); return the JSON-ready result record and the trained model."""
    torch.manual_seed(seed)
    model = v.model()
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before, cpu_before, wall_before = _load_average(), time.process_time(), time.perf_counter()
    history = fit(model, train, test, epochs, batch_size=batch_size, lr=v.lr, seed=seed,
                  device=device, progress=progress, live_plot=False, name=v.name)
    wall = time.perf_counter() - wall_before
    record = {
        "version": RESULTS_VERSION, "variant": v.name, "seed": seed, "question": v.question,
        "model": {"conv": v.conv, "activation": v.activation, "batch_norm": v.batch_norm},
        "data": data_note,
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_seconds": round(wall, 2),  # training and every epoch's test evaluation
        # CPU seconds / wall seconds: near the thread count on a quiet machine, lower when busy.
        "cpu_per_wall": round((time.process_time() - cpu_before) / wall, 3),
        "load_average_before": load_before, "load_average_after": _load_average(),
        "machine": machine_info(),
        "command": " ".join(["python -m dwconv_utils.experiments", *sys.argv[1:]]),
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
    write_atomically(path, (json.dumps(record, indent=1) + "\n").encode())
    if model is not None:
        from .train import _state_dict_bytes
        write_atomically(path.with_suffix(".pt"), _state_dict_bytes(model))
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
    args = _parser().parse_args(argv)
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
                                data_note=data_note, progress=True)
        keep = (v.name, s) in WEIGHTS_KEPT
        path = save_result(folder, record, model if keep else None)
        print(f"wrote {path} ({record['wall_seconds']:.0f} s, cpu/wall {record['cpu_per_wall']})",
              flush=True)
    return 0


def load_history(record: dict) -> History:
    return History.from_dict(record["history"])


if __name__ == "__main__":
    sys.exit(main())
