"""Statistics over seeds: bands, time to an accuracy, paired gaps, steady seconds."""
import pytest

from dwconv_utils.history import EpochStats, History
from dwconv_utils.results import load_results
from dwconv_utils.seeds import band, paired_gap, steady_seconds, time_to_accuracy
from fake_runs import fake_run


def test_band_time_to_accuracy_and_paired_gap(tmp_path):
    fake_run(tmp_path, "standard", 0, [0.80, 0.88, 0.90], seconds=100)
    fake_run(tmp_path, "standard", 1, [0.84, 0.86, 0.92], seconds=110)
    fake_run(tmp_path, "separable", 0, [0.70, 0.85, 0.89], seconds=30)
    fake_run(tmp_path, "separable", 1, [0.72, 0.80, 0.88], seconds=40)
    results = load_results(tmp_path)
    assert list(results) == ["standard", "separable"]

    b = band(results["standard"])
    assert b.x == [1, 2, 3] and b.seeds == 2
    assert b.mean == pytest.approx([0.82, 0.87, 0.91]) and b.low == [0.80, 0.86, 0.90]
    by_time = band(results["separable"], x="seconds")
    assert by_time.x == pytest.approx([35, 70, 105])

    assert time_to_accuracy(results["standard"][0].history, 0.87) == (2, 200)
    assert time_to_accuracy(results["separable"][1].history, 0.87) == (3, 120)
    assert time_to_accuracy(results["separable"][1].history, 0.95) is None
    with pytest.raises(ValueError, match="between 0 and 1"):
        time_to_accuracy(results["standard"][0].history, 87)

    gap = paired_gap(results)
    assert gap.mean == pytest.approx([0.11, 0.045, 0.025])
    assert gap.low == pytest.approx([0.10, 0.03, 0.01])


def test_steady_seconds_ignore_one_slow_epoch():
    history = History("separable", {}, [EpochStats(e + 1, 1.0, 1.0, 0.5, s, 1.0)
                                        for e, s in enumerate([10.0, 50.0, 12.0])])
    assert steady_seconds(history) == [12.0, 24.0, 36.0]
    assert history.wall_seconds == [10.0, 60.0, 72.0]  # the raw times stay available


def test_time_to_a_share_of_the_own_best(tmp_path):
    from dwconv_utils.seeds import time_to_share_of_best
    history = History("separable", {}, [EpochStats(e + 1, 1.0, 1.0, a, 10.0 + e, 1.0)
                                        for e, a in enumerate([0.50, 0.80, 0.90, 0.85])])
    # best 0.90: 90% of it is 0.81 (epoch 3), 85% is 0.765 (epoch 2); 11.5 s median epoch
    assert time_to_share_of_best(history, 0.90) == (3, 34.5)
    assert time_to_share_of_best(history, 0.85) == (2, 23.0)
    assert time_to_share_of_best(history, 1.0) == (3, 34.5)
    assert time_to_share_of_best(history, 0.85, epoch_seconds=30.0) == (2, 60.0)
    with pytest.raises(ValueError, match="share is a fraction of the run's best accuracy"):
        time_to_share_of_best(history, 1.5)


def test_a_run_timed_as_another_variant_counts_its_seconds_at_that_epoch_time(tmp_path):
    fake_run(tmp_path, "separable", 0, [0.70, 0.85], seconds=30)
    fake_run(tmp_path, "separable", 1, [0.72, 0.86], seconds=40)
    fake_run(tmp_path, "separable-per-group-init", 0, [0.85, 0.88], seconds=10)
    results = load_results(tmp_path)
    (fixed,) = results["separable-per-group-init"]
    assert fixed.epoch_seconds == 35.0  # the separable runs' median epoch, not its own 10 s
    assert [r.epoch_seconds for r in results["separable"]] == [30.0, 40.0]
    assert band(results["separable-per-group-init"], x="seconds").x == [35.0, 70.0]
    (tmp_path / "separable-seed0.json").unlink()
    (tmp_path / "separable-seed1.json").unlink()
    with pytest.raises(ValueError, match="timed at the epoch time of separable, which has no results"):
        load_results(tmp_path)
