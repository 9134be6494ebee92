"""Differences over seeds with their 95% intervals, and the rule that turns one into a verdict.

A claim about training runs compares two sets of runs, one per seed. The
difference of their means carries a 95% confidence interval from Student's t:
paired by seed (``paired_interval``) where the pairing is real (the two runs of
a seed share something that moves both, e.g. the same initial weights or the
same data order and the same machine), Welch's unequal-variance interval
(``welch_interval``) otherwise. ``verdict`` says "ahead" or "behind" only when
the interval excludes zero, and "level" (within the noise) otherwise: with 3
seeds, "every seed agrees" is a sign test at p = 0.25 and no evidence.
Taught in notebook 04; notebooks 06 and 07 use the same rules.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Mapping, Sequence

VERDICTS = ("ahead", "level", "behind")
CONFIDENCE = 0.95


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    # Lentz's method for the continued fraction of the incomplete beta function.
    tiny, qab, qap, qam = 1e-300, a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        for numerator in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                          -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def _regularized_beta(a: float, b: float, x: float) -> float:
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_continued_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_continued_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` (> 0, not necessarily whole) degrees of freedom."""
    if not df > 0:
        raise ValueError(f"df must be a positive number of degrees of freedom, got {df!r}")
    tail = 0.5 * _regularized_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The t value below which a share ``p`` (0 < p < 1) of Student's t(``df``) lies."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must lie strictly between 0 and 1, got {p!r}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2.0
    for _ in range(200):  # bisection: t_cdf rises monotonically
        middle = (low + high) / 2.0
        low, high = (middle, high) if t_cdf(middle, df) < p else (low, middle)
        if high - low < 1e-12 * max(1.0, high):
            break
    return (low + high) / 2.0


@dataclass(frozen=True)
class Interval:
    """A difference of means (first minus second) with its 95% confidence interval."""

    difference: float
    low: float
    high: float
    n_first: int
    n_second: int
    df: float
    kind: str  # "paired" (by seed) or "welch"

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2.0

    @property
    def p_value(self) -> float:
        """Two-sided p-value of "no difference" under the same t distribution."""
        if self.half_width == 0:
            return 0.0 if self.difference else 1.0
        t = self.difference / (self.half_width / t_quantile(0.5 + CONFIDENCE / 2, self.df))
        return 2.0 * (1.0 - t_cdf(abs(t), self.df))

    def scaled(self, factor: float) -> "Interval":
        """The same interval in other units (e.g. 100 for accuracy points)."""
        return Interval(self.difference * factor, self.low * factor, self.high * factor,
                        self.n_first, self.n_second, self.df, self.kind)


def _numbers(name: str, values) -> list[float]:
    values = [float(v) for v in values]
    if len(values) < 2 or not all(math.isfinite(v) for v in values):
        raise ValueError(f"{name} needs at least two finite values (one per seed) for an interval; "
                         f"got {values!r}")
    return values


def paired_interval(first: Mapping[int, float], second: Mapping[int, float]) -> Interval:
    """Mean of first[seed] - second[seed] over the seeds both have, with its 95% t interval
    (n - 1 degrees of freedom). Use it when the two runs of one seed share something real."""
    if not isinstance(first, Mapping) or not isinstance(second, Mapping):
        raise TypeError("paired_interval takes two {seed: value} mappings, so that values are "
                        f"paired by seed; got {type(first).__name__} and {type(second).__name__}")
    seeds = sorted(set(first) & set(second))
    differences = _numbers("a paired interval", [first[s] - second[s] for s in seeds])
    n = len(differences)
    mean = statistics.fmean(differences)
    half = t_quantile(0.5 + CONFIDENCE / 2, n - 1) * statistics.stdev(differences) / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n, n, float(n - 1), "paired")


def welch_interval(first: Sequence[float], second: Sequence[float]) -> Interval:
    """Difference of means with Welch's 95% interval (unequal variances, Welch-Satterthwaite
    degrees of freedom). Use it when the runs are not paired."""
    a, b = _numbers("first", first), _numbers("second", second)
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    mean = statistics.fmean(a) - statistics.fmean(b)
    if va + vb == 0:
        return Interval(mean, mean, mean, len(a), len(b), float(len(a) + len(b) - 2), "welch")
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    half = t_quantile(0.5 + CONFIDENCE / 2, df) * math.sqrt(va + vb)
    return Interval(mean, mean - half, mean + half, len(a), len(b), df, "welch")


def verdict(interval: Interval) -> str:
    """"ahead" if the whole interval lies above zero, "behind" if below, else "level"."""
    if interval.low > 0:
        return "ahead"
    if interval.high < 0:
        return "behind"
    return "level"


def smoothed(values: Sequence[float], window: int = 50) -> list[float]:
    """The running mean over the last ``window`` values (fewer at the start): a training loss
    per step, as notebook 04 draws it and counts when it reaches a target."""
    out, total = [], 0.0
    for i, value in enumerate(values):
        total += value
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def mean_interval(values: Sequence[float]) -> Interval:
    """A mean over seeds with its 95% t interval (a difference from zero, n - 1 degrees of freedom)."""
    values = _numbers("a mean interval", values)
    n = len(values)
    mean = statistics.fmean(values)
    half = t_quantile(0.5 + CONFIDENCE / 2, n - 1) * statistics.stdev(values) / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n, 0, float(n - 1), "mean")
