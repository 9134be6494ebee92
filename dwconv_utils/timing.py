"""Careful wall-clock timing: warm-up, repeats, median and spread (notebooks 04-05).

Timings on shared machines are noisy, so every number this package reports is
a median over repeats, and comparisons are made within one run.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable

import torch

from . import _checks


@dataclass(frozen=True)
class Timing:
    """Seconds per call: ``median`` with ``low``/``high`` (min and max) over ``repeats`` calls."""

    median: float
    low: float
    high: float
    repeats: int

    def per_second(self, items: int) -> float:
        """Throughput for ``items`` processed per call (e.g. images per second)."""
        return items / self.median


def synchronize(device: torch.device | str | None) -> None:
    """Wait for queued GPU work, so a timer measures the work and not just its launch."""
    kind = torch.device(device).type if device is not None else "cpu"
    if kind == "cuda":
        torch.cuda.synchronize()
    elif kind == "mps":
        torch.mps.synchronize()


def measure(fn: Callable[[], object], repeats: int = 5, warmup: int = 1,
            device: torch.device | str | None = None) -> Timing:
    """Time ``fn()``: ``warmup`` untimed calls, then ``repeats`` timed ones (notebook 05).

    Warm-up absorbs one-off costs (allocations, kernel selection, caches);
    on a GPU each call is synchronised before the clock stops.
    """
    repeats = _checks.positive_int("repeats", repeats)
    warmup = _checks.non_negative_int("warmup", warmup)
    for _ in range(warmup):
        fn()
    synchronize(device)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        synchronize(device)
        samples.append(time.perf_counter() - start)
    return Timing(statistics.median(samples), min(samples), max(samples), repeats)
