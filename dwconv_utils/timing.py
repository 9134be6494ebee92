"""Careful wall-clock timing: warm-up, repeats, median and spread (notebooks 04-05).

Timings on shared machines are noisy, so every number this package reports is
a median over repeats, and comparisons are made within one run, interleaved:
``measure_interleaved`` takes one sample of each candidate in turn, so a slow
phase of the machine hits all of them alike.
"""
from __future__ import annotations

import math
import os
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import torch

from . import checks


@dataclass(frozen=True)
class Timing:
    """Seconds per call: ``median`` with ``low``/``high`` (min and max) over ``repeats`` samples."""

    median: float
    low: float
    high: float
    repeats: int

    @classmethod
    def from_samples(cls, samples: Iterable[float]) -> "Timing":
        """The median, min and max of some seconds-per-call samples (notebook 05)."""
        samples = list(samples)
        if not samples:
            raise ValueError("a Timing needs at least one sample")
        return cls(statistics.median(samples), min(samples), max(samples), len(samples))

    @property
    def spread(self) -> float:
        """(max - min) / median: 0.1 means the samples lie within 10% of the median's size."""
        return (self.high - self.low) / self.median if self.median > 0 else math.inf

    def per_second(self, items: int) -> float:
        """Throughput for ``items`` processed per call (e.g. images per second)."""
        return items / self.median

    def __str__(self) -> str:
        return (f"{1e3 * self.median:.3g} ms (min {1e3 * self.low:.3g}, max {1e3 * self.high:.3g}, "
                f"{self.repeats} repeats)")


def synchronize(device: torch.device | str | None) -> None:
    """Wait for queued GPU work, so a timer measures the work and not just its launch."""
    kind = torch.device(device).type if device is not None else "cpu"
    if kind == "cuda":
        torch.cuda.synchronize()
    elif kind == "mps":
        torch.mps.synchronize()


def measure(fn: Callable[[], object], repeats: int = 5, warmup: int = 1,
            device: torch.device | str | None = None, number: int = 1) -> Timing:
    """Time ``fn()``: ``warmup`` untimed calls, then ``repeats`` timed samples (notebook 05).

    Warm-up absorbs one-off costs (allocations, kernel selection, caches);
    on a GPU the work is synchronised before the clock starts and stops.
    Each sample times ``number`` calls in a row and keeps the time per call,
    so calls of a few microseconds rise above the clock's own overhead.
    """
    repeats = checks.positive_int("repeats", repeats)
    warmup = checks.non_negative_int("warmup", warmup)
    number = checks.positive_int("number", number)
    for _ in range(warmup):
        fn()
    synchronize(device)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        synchronize(device)
        samples.append((time.perf_counter() - start) / number)
    return Timing.from_samples(samples)


def calls_to_fill(fn: Callable[[], object], seconds: float,
                  device: torch.device | str | None = None) -> int:
    """How many calls of ``fn`` (already warmed up) take about ``seconds``; at least 1 (notebook 05)."""
    if seconds <= 0:
        return 1
    once = measure(fn, repeats=1, warmup=0, device=device).median
    return max(1, math.ceil(seconds / max(once, 1e-9)))


def measure_interleaved(fns: Mapping[str, Callable[[], object]], repeats: int = 5,
                        warmup: int = 1, device: torch.device | str | None = None,
                        min_sample_seconds: float = 0.0) -> dict[str, Timing]:
    """Time several functions in turn, one sample of each per round (notebook 05).

    Round-robin order spreads the machine's slow and fast moments evenly over
    the candidates, so their ratio is fairer than from back-to-back runs.
    With ``min_sample_seconds``, a quick function is called several times per
    sample (see ``measure``'s ``number``).
    """
    repeats = checks.positive_int("repeats", repeats)
    for _ in range(checks.non_negative_int("warmup", warmup)):
        for fn in fns.values():
            fn()
    synchronize(device)
    numbers = {name: calls_to_fill(fn, min_sample_seconds, device) for name, fn in fns.items()}
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            samples[name].append(measure(fn, 1, 0, device, numbers[name]).median)
    return {name: Timing.from_samples(s) for name, s in samples.items()}


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one; notebook 05)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def thread_counts(cores: int | None = None) -> list[int]:
    """Thread counts worth trying (notebook 05): 1, 2, 4, ... up to ``cores`` (this
    machine's by default), and ``cores`` itself."""
    cores = checks.positive_int("cores", cores if cores is not None else available_cores())
    counts = [2 ** e for e in range(cores.bit_length()) if 2 ** e <= cores]
    return counts if counts[-1] == cores else counts + [cores]


@contextmanager
def using_threads(count: int):
    """Run the block with ``count`` CPU threads for PyTorch, then restore the number (notebook 05)."""
    count = checks.positive_int("thread count", count)
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield count
    finally:
        torch.set_num_threads(before)


def measure_threads(fn: Callable[[], object], counts: Iterable[int] | None = None,
                    repeats: int = 5, warmup: int = 1) -> dict[int, Timing]:
    """Time ``fn`` on the CPU with each number of threads in ``counts``, interleaved (notebook 05).

    PyTorch splits one operation over ``torch.get_num_threads()`` threads. On an
    idle machine more threads are usually faster; on a busy one, a thread that
    waits for a core holds up all the others. The thread count is restored after.
    """
    counts = [checks.positive_int("thread count", n) for n in (counts or thread_counts())]
    repeats = checks.positive_int("repeats", repeats)
    samples: dict[int, list[float]] = {n: [] for n in counts}
    for _ in range(repeats):
        for n in counts:
            with using_threads(n):
                samples[n].append(measure(fn, 1, warmup).median)
    return {n: Timing.from_samples(s) for n, s in samples.items()}
