"""The timing explorer of notebook 05, driven by setting its controls' values."""
import re
from fractions import Fraction

from dwconv_utils import standard_conv_macs
from dwconv_utils.widgets import MAX_MEASURED_MACS, speed_explorer


def time_ratio(explorer):
    return float(re.search(r"time ratio, standard / separable: <b>([0-9.]+)x", explorer.ratios.value)[1])


def test_every_change_remeasures_and_updates_the_readouts():
    explorer = speed_explorer(Dk=3, M=8, N=16, DF=7, batch=1, repeats=1)
    assert "exactly 144/25" in explorer.ratios.value           # 1 / (1/16 + 1/9)
    assert time_ratio(explorer) > 0 and len(explorer.speeds) == 1
    explorer.n.value = 64
    assert "<b>7.89x</b>" in explorer.ratios.value and "exactly 576/73" in explorer.ratios.value
    explorer.dk.value = 5
    assert f"exactly {Fraction(1600, 89).numerator}/89" in explorer.ratios.value   # 1/(1/64 + 1/25)
    explorer.memory_format.value = "channels_last"
    assert len(explorer.speeds) == 4 and explorer.speeds[-1].channels_last
    assert time_ratio(explorer) > 0 and "channels_last" in explorer.status.value
    assert f"{explorer.speeds[-1].traffic['standard'].macs:,}" in explorer.table.value
    assert explorer.bars.value.count("<tr>") == 4


def test_sliders_measure_only_when_let_go():
    explorer = speed_explorer(M=8, N=8, DF=7, batch=1, repeats=1)
    for slider in (explorer.dk, explorer.m, explorer.n, explorer.df, explorer.batch):
        assert slider.continuous_update is False


def test_layers_too_large_for_a_slider_are_counted_not_timed():
    explorer = speed_explorer(Dk=3, M=8, N=8, DF=7, batch=1, repeats=1)
    explorer.m.value, explorer.n.value, explorer.df.value = 1024, 1024, 56
    assert standard_conv_macs(3, 1024, 1024, 56) > MAX_MEASURED_MACS
    assert explorer.status.value.startswith("not timed") and explorer.table.value == ""
    assert "time ratio: not measured" in explorer.ratios.value
    assert "exactly 9216/1033" in explorer.ratios.value
    explorer.df.value = 1
    assert explorer.status.value.startswith("measured") and time_ratio(explorer) > 0
