import math
import statistics

import pytest

from dwconv_utils.stats import (Interval, mean_interval, paired_interval, t_cdf, t_quantile,
                                verdict, welch_interval)


@pytest.mark.parametrize("df, expected", [(1, 12.706), (2, 4.303), (4, 2.776), (10, 2.228),
                                          (30, 2.042)])
def test_t_quantiles_match_the_printed_tables(df, expected):
    # Two-sided 95% points of Student's t, as statistics tables print them.
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-3)
    assert t_cdf(t_quantile(0.975, df), df) == pytest.approx(0.975, abs=1e-9)
    assert t_quantile(0.025, df) == pytest.approx(-t_quantile(0.975, df))


@pytest.mark.parametrize("p", [0.6, 0.9, 0.975, 0.995])
def test_t_quantiles_in_closed_form(p):
    # df 1 is the Cauchy distribution; for df 2, F(t) = 1/2 + t / (2 sqrt(2 + t^2)).
    assert t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-9)
    x = 2 * p - 1
    assert t_quantile(p, 2) == pytest.approx(x * math.sqrt(2 / (1 - x * x)), rel=1e-9)
    # Welch's fractional degrees of freedom fall between the whole ones.
    assert t_quantile(p, 3) < t_quantile(p, 2.5) < t_quantile(p, 2)


def test_t_cdf_is_a_distribution():
    assert t_cdf(0.0, 3) == pytest.approx(0.5)
    assert t_cdf(-50, 3) < 1e-4 and t_cdf(50, 3) > 1 - 1e-4
    # With many degrees of freedom t tends to the normal: P(T <= 1.96) about 0.975.
    assert t_cdf(1.959964, 1e6) == pytest.approx(0.975, abs=1e-5)
    with pytest.raises(ValueError, match="df must be a positive"):
        t_cdf(1.0, 0)
    with pytest.raises(ValueError, match="p must lie strictly between 0 and 1"):
        t_quantile(1.0, 4)


def test_the_paired_interval_by_hand():
    first = {0: 0.90, 1: 0.92, 2: 0.91, 3: 0.93, 4: 0.92}
    second = {0: 0.89, 1: 0.90, 2: 0.91, 3: 0.90, 4: 0.91}
    differences = [first[s] - second[s] for s in range(5)]
    half = 2.776445 * statistics.stdev(differences) / math.sqrt(5)
    interval = paired_interval(first, second)
    assert interval.kind == "paired" and interval.df == 4 and interval.n_first == 5
    assert interval.difference == pytest.approx(statistics.mean(differences))
    assert interval.low == pytest.approx(statistics.mean(differences) - half, abs=1e-6)
    assert interval.high == pytest.approx(statistics.mean(differences) + half, abs=1e-6)
    # Only the seeds both sides have are paired.
    assert paired_interval({**first, 9: 0.5}, second) == interval
    with pytest.raises(TypeError, match="paired by seed"):
        paired_interval([0.9, 0.92], [0.9, 0.91])


def test_the_welch_interval_by_hand():
    a, b = [91.0, 92.0, 93.0, 92.5, 91.5], [90.0, 90.5, 89.0, 91.0, 90.0, 89.5]
    va, vb = statistics.variance(a) / 5, statistics.variance(b) / 6
    df = (va + vb) ** 2 / (va ** 2 / 4 + vb ** 2 / 5)
    interval = welch_interval(a, b)
    assert interval.kind == "welch" and interval.df == pytest.approx(df)
    half = t_quantile(0.975, df) * math.sqrt(va + vb)
    assert interval.difference == pytest.approx(statistics.mean(a) - statistics.mean(b))
    assert interval.half_width == pytest.approx(half)
    assert 0 < interval.p_value < 0.01


@pytest.mark.parametrize("first, second, expected", [
    ({s: 0.92 + 0.001 * s for s in range(5)}, {s: 0.90 + 0.0012 * s for s in range(5)}, "ahead"),
    ({s: 0.90 + 0.001 * s for s in range(5)}, {s: 0.92 - 0.0005 * s for s in range(5)}, "behind"),
    ({0: 0.91, 1: 0.90, 2: 0.92}, {0: 0.905, 1: 0.91, 2: 0.915}, "level"),
    # Every seed agrees (all three differences are positive), but the interval spans zero.
    ({0: 0.901, 1: 0.902, 2: 0.950}, {0: 0.900, 1: 0.900, 2: 0.900}, "level"),
])
def test_verdicts_on_synthetic_results_with_known_answers(first, second, expected):
    interval = paired_interval(first, second)
    assert verdict(interval) == expected
    if expected == "level":
        assert interval.low < 0 < interval.high


def test_all_seeds_agreeing_is_not_evidence_with_three_seeds():
    first, second = {0: 0.901, 1: 0.902, 2: 0.950}, {0: 0.900, 1: 0.900, 2: 0.900}
    assert all(first[s] > second[s] for s in first)
    assert verdict(paired_interval(first, second)) == "level"


def test_mean_interval_and_scaling():
    interval = mean_interval([0.90, 0.91, 0.92])
    assert interval.difference == pytest.approx(0.91)
    assert interval.scaled(100).low == pytest.approx(100 * interval.low)
    assert isinstance(interval.scaled(100), Interval)
    with pytest.raises(ValueError, match="at least two finite values"):
        mean_interval([0.9])
    with pytest.raises(ValueError, match="at least two finite values"):
        welch_interval([0.9, float("nan")], [0.8, 0.7])
