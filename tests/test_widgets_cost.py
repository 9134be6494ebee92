"""The cost explorer of notebook 03, driven by setting its sliders' values."""

import matplotlib

matplotlib.use("Agg")  # this module only: the explorer draws off-screen

import pytest  # noqa: E402

from dwconv_utils import (depthwise_conv_macs, pointwise_conv_macs, separable_conv_params,  # noqa: E402
                          standard_conv_macs, standard_conv_params)
from dwconv_utils.widgets import CHANNEL_STOPS, cost_explorer  # noqa: E402


def test_ratio_label_shows_one_over_n_plus_one_over_dk_squared():
    explorer = cost_explorer(Dk=5, M=32, N=256, DF=14)
    explorer.n.value = 64
    explorer.dk.value = 3
    assert "<b>0.1267</b> = 1/64 + 1/9" in explorer.ratio.value  # 1/64 + 1/9 = 0.12673...
    assert "73/576" in explorer.ratio.value
    explorer.n.value = 2048
    assert "<b>0.1116</b> = 1/2048 + 1/9" in explorer.ratio.value


def test_cost_table_follows_every_slider():
    explorer = cost_explorer()
    explorer.m.value, explorer.n.value, explorer.dk.value, explorer.df.value = 128, 512, 5, 7
    costs = explorer.costs.value
    for number in (standard_conv_macs(5, 128, 512, 7), depthwise_conv_macs(5, 128, 7),
                   pointwise_conv_macs(128, 512, 7), standard_conv_params(5, 128, 512),
                   separable_conv_params(5, 128, 512)):
        assert f"{number:,}" in costs
    ratio_before = explorer.ratio.value
    explorer.m.value, explorer.df.value = 8, 224  # M and DF cancel out of the ratio
    assert explorer.ratio.value == ratio_before
    assert f"{standard_conv_macs(5, 8, 512, 224):,}" in explorer.costs.value


def test_figure_is_redrawn_and_a_1x1_kernel_saves_nothing():
    explorer = cost_explorer(Dk=3, N=64)
    before = explorer.image.value
    explorer.dk.value = 1
    after = bytes(explorer.image.value)  # ipywidgets 8 hands back a memoryview
    assert after != bytes(before) and after.startswith(b"\x89PNG")
    assert "<b>1.0156</b> = 1/64 + 1/1" in explorer.ratio.value  # separable costs more
    assert "more" in explorer._bars.title.get_text()
    assert explorer._bars.share_pw_text.get_text().startswith("pointwise 98.5%")
    explorer.n.value = 1  # 1/1 + 1/1 = 2: the bar runs off the axes and says so
    assert explorer._bars.separable_text.get_text().startswith("2.0000 (off scale)")


def test_pointwise_share_grows_with_n():
    explorer = cost_explorer(Dk=3, N=8)
    widths = []
    for n in (8, 64, 1024):
        explorer.n.value = n
        widths.append(explorer._bars.share_pw.get_width())
    assert widths == sorted(widths) and widths[-1] == pytest.approx(100 * 1024 / (1024 + 9))


def test_every_redraw_of_the_slider_is_timed():
    explorer = cost_explorer()
    explorer.redraw_seconds.clear()
    for n in CHANNEL_STOPS[2:12]:
        explorer.n.value = n
    assert len(explorer.redraw_seconds) == 10
    assert all(s > 0 for s in explorer.redraw_seconds)  # speed: tools/widget_redraws.py
    assert explorer.last_redraw_seconds == explorer.redraw_seconds[-1]


@pytest.mark.parametrize("kwargs, words", [(dict(M=3), "M must be one of 1, 2, 4"),
                                           (dict(DF=5), "DF must be one of 1, 3, 7"),
                                           (dict(Dk=0), "Dk"), (dict(Dk=9), "Dk must be")])
def test_bad_starting_values_are_named(kwargs, words):
    with pytest.raises(ValueError, match=words):
        cost_explorer(**kwargs)
