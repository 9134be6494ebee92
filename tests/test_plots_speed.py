"""Notebook 05's figures draw from tiny measurements (structure only, never a speed)."""
import matplotlib

matplotlib.use("Agg")  # this module only: the figures are drawn off-screen

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from dwconv_utils import ReferenceCNN, mobilenet_v1  # noqa: E402
from dwconv_utils.plots import (plot_roofline, plot_speed_settings, plot_time_by_block,  # noqa: E402
                                plot_time_shares)
from dwconv_utils.speed import time_layers, time_standard_vs_separable  # noqa: E402


@pytest.fixture(scope="module")
def timed():
    return {"seed CNN": time_layers(ReferenceCNN(), (2, 1, 28, 28), repeats=1, warmup=0),
            "MobileNet": time_layers(mobilenet_v1(0.25, 32), repeats=1, warmup=0)}


def test_share_bars_two_per_model(timed):
    fig = plot_time_shares(timed, "shares")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["seed CNN: mult-adds", "seed CNN: time", "MobileNet: mult-adds", "MobileNet: time"]
    assert _legend(fig) == ["standard conv", "depthwise", "pointwise 1x1", "fully connected",
                            "BatchNorm, ReLU, pooling", "between layers"]
    plt.close(fig)


def _legend(fig) -> list[str]:
    return [t.get_text() for t in fig.legends[0].get_texts()]


def test_figures_name_only_the_kinds_a_model_has_and_grouped_convs_as_such():
    model = torch.nn.Sequential(torch.nn.Conv2d(4, 8, 3, padding=1, groups=2), torch.nn.ReLU(),
                                torch.nn.Conv2d(8, 8, 1))
    times = time_layers(model, (1, 4, 10, 10), repeats=1, warmup=0)
    fig = plot_time_shares({"grouped": times})
    assert _legend(fig) == ["grouped conv", "pointwise 1x1", "BatchNorm, ReLU, pooling", "between layers"]
    plt.close(fig)
    fig = plot_time_by_block(times, "blocks")
    assert _legend(fig) == ["grouped conv", "pointwise 1x1", "BatchNorm, ReLU, pooling"]
    plt.close(fig)


def test_time_by_block_lists_mobilenet_blocks(timed):
    fig = plot_time_by_block(timed["MobileNet"], "blocks")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[:3] == ["conv1", "block2", "block3"] and "block14" in labels
    assert [ax.get_title() for ax in fig.axes] == ["Mult-adds per block", "Time per block (median of the passes)"]
    plt.close(fig)


def test_roofline_has_one_dot_per_counted_layer_and_both_roofs(timed):
    fig = plot_roofline(timed, peak_gflops=100.0, bandwidth_gbs=20.0)
    ax = fig.axes[0]
    dots = sum(len(c.get_offsets()) for c in ax.collections)
    assert dots == sum(1 for t in timed.values() for r in t.rows if r["mult_adds"])
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "100 GFLOP/s" in texts and "20 GB/s" in texts and "ridge 5.0 FLOP/byte" in texts
    plt.close(fig)


def test_speed_settings_lines_per_part_and_format():
    speeds = [time_standard_vs_separable(3, 8, 16, 7, batch, channels_last, repeats=1, min_sample_seconds=0)
              for batch in (1, 2) for channels_last in (False, True)]
    fig = plot_speed_settings(speeds)
    left, right = fig.axes
    assert len(left.get_lines()) == 6 and len(right.get_lines()) == 3   # + the FLOP ratio line
    assert [t.get_text() for t in left.get_xticklabels()] == ["1", "2"]
    plt.close(fig)
