"""The careful timer of notebook 05: structure only, never a speed."""
import pytest
import torch

from dwconv_utils.timing import (Timing, calls_to_fill, measure, measure_interleaved,
                                 measure_threads, thread_counts, using_threads)


def counting():
    calls = []
    return calls, lambda name="fn": calls.append(name)


def test_measure_warms_up_then_times_number_calls_per_sample():
    calls, fn = counting()
    timing = measure(fn, repeats=3, warmup=2, number=4)
    assert len(calls) == 2 + 3 * 4
    assert timing.repeats == 3 and 0 < timing.low <= timing.median <= timing.high


def test_timing_from_samples_median_spread_and_text():
    timing = Timing.from_samples([0.004, 0.001, 0.002])
    assert (timing.median, timing.low, timing.high, timing.repeats) == (0.002, 0.001, 0.004, 3)
    assert timing.spread == pytest.approx((0.004 - 0.001) / 0.002)
    assert timing.per_second(10) == pytest.approx(5000)
    assert str(timing) == "2 ms (min 1, max 4, 3 repeats)"
    with pytest.raises(ValueError, match="at least one sample"):
        Timing.from_samples([])


def test_interleaved_takes_one_sample_of_each_per_round():
    calls = []
    fns = {name: (lambda n=name: calls.append(n)) for name in ("a", "b", "c")}
    timings = measure_interleaved(fns, repeats=3, warmup=1)
    assert set(timings) == {"a", "b", "c"} and all(t.repeats == 3 for t in timings.values())
    assert calls == ["a", "b", "c"] + ["a", "b", "c"] * 3   # warm-up round, then 3 timed rounds


def test_quick_functions_are_called_several_times_per_sample():
    calls, fn = counting()
    assert calls_to_fill(fn, 0.0) == 1 and calls == []
    assert calls_to_fill(fn, 0.01) > 1 and len(calls) == 1


@pytest.mark.parametrize("cores, counts", [(1, [1]), (2, [1, 2]), (6, [1, 2, 4, 6]),
                                           (8, [1, 2, 4, 8])])
def test_thread_counts_are_powers_of_two_and_the_core_count(cores, counts):
    assert thread_counts(cores) == counts


def test_thread_settings_are_restored():
    before = torch.get_num_threads()
    seen = []
    with using_threads(1) as count:
        seen.append((count, torch.get_num_threads()))
    assert seen == [(1, 1)] and torch.get_num_threads() == before
    timings = measure_threads(lambda: seen.append(torch.get_num_threads()), counts=[1, 2], repeats=2)
    assert list(timings) == [1, 2] and torch.get_num_threads() == before
    assert seen[1:] == [1, 1, 2, 2, 1, 1, 2, 2]   # warm-up and timed call at each count
