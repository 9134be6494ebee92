"""Experiments too slow for a lecture: ``python -m dwconv_utils experiments``.

Notebook 04 tests the seed's claim that the separable CNN "converges more
slowly" than its standard twin. That needs several seeds and ten epochs of
full Fashion-MNIST per model, about two and a half hours on a 2-core CPU, so
this runs them and writes one result file per (variant, seed) (``results.py``);
the notebook plots the committed files instantly.

Runs are interleaved (seed 0 of every main variant, then seed 1, ...), so a
busy spell on the machine hits both models alike, and a finished run is
never repeated unless forced: an interrupted session resumes where it
stopped. Each file is written atomically, so a crash never leaves a
half-written result.

    python -m dwconv_utils experiments              # everything still missing
    python -m dwconv_utils experiments --list       # what would run
    python -m dwconv_utils experiments --only separable standard --seeds 0
"""
from __future__ import annotations

import datetime
import functools
import os
import subprocess
import time
from pathlib import Path

import torch

from .device import machine_info
from .models import ReferenceCNN
from .results import (RESULTS_VERSION, VARIANT_NAMES, WEIGHTS_KEPT, Variant, compact_history,
                      result_path, save_result, variant)
from .train import DEFAULT_BATCH_SIZE, fit

DEFAULT_EPOCHS = 10


def plan(names=VARIANT_NAMES, seeds=None) -> list[tuple[Variant, int]]:
    """The (variant, seed) runs in the order they run.

    Group by group (the main pair, then the variants), and within a group interleaved by seed
    (standard 0, separable 0, standard 1, ...), so a busy spell hits both models alike and the
    most important runs finish first. ``seeds`` overrides each variant's default seeds.
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


@functools.lru_cache(maxsize=None)
def git_commit() -> str | None:
    """The commit of the code this process imported (cached: later edits to the tree do not
    count), with "+modified" when the package folder had uncommitted changes."""
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


def run_provenance() -> dict:
    """The machine (``device.machine_info``) and the commit of the code that runs."""
    return {**machine_info(), "git_commit": git_commit()}


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
    machine = run_provenance()
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
                  "init": v.init, "width": v.width, "head": v.head},
        "data": data_note,
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_seconds": round(wall, 2),  # training and every epoch's test evaluation
        # CPU seconds / wall seconds: near the thread count on a quiet machine, lower when busy.
        "cpu_per_wall": round((time.process_time() - cpu_before) / wall, 3),
        "load_average_before": load_before, "load_average_after": _load_average(),
        "machine": machine,
        "command": command,
        "history": compact_history(history.to_dict()),
    }
    return record, model


def missing_runs(folder, names=VARIANT_NAMES, seeds=None, force: bool = False) -> list[tuple[Variant, int, bool]]:
    """Every planned (variant, seed) with whether it still has to run (no result file yet,
    or ``force``)."""
    return [(v, s, force or not result_path(folder, v.name, s).exists()) for v, s in plan(names, seeds)]


def run_missing(folder, train, test, *, names=VARIANT_NAMES, seeds=None, epochs: int = DEFAULT_EPOCHS,
                force: bool = False, device=None, data_note: str = "", command: str = "") -> list[Path]:
    """Run every planned (variant, seed) that has no result in ``folder`` yet (all of them with
    ``force``), one after the other, writing each result as it finishes; returns the files
    written. The command line's ``experiments`` and notebook 04 call this."""
    written = []
    for v, s, todo in missing_runs(folder, names, seeds, force):
        if not todo:
            continue
        print(f"--- {v.name} seed {s}: {v.question}", flush=True)
        record, model = run_one(v, s, train, test, epochs=epochs, device=device,
                                data_note=data_note, progress=True, command=command)
        path = save_result(folder, record, model if (v.name, s) in WEIGHTS_KEPT else None)
        print(f"wrote {path} ({record['wall_seconds']:.0f} s, cpu/wall {record['cpu_per_wall']})",
              flush=True)
        written.append(path)
    return written
