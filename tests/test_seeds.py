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
