"""Notebook 05's helpers: traffic from shapes (exact), per-layer timing (structure only)."""
from fractions import Fraction

import pytest
import torch

from dwconv_utils import ReferenceCNN, cost_table, mobilenet_v1
from dwconv_utils.speed import (BETWEEN_LAYERS, OTHER_LAYERS, bytes_moved, copy_bandwidth,
                                layer_traffic, matmul_gflops, share_table, time_layers,
                                time_standard_vs_separable)


def test_bytes_moved_reads_input_and_weights_and_writes_output_once():
    assert bytes_moved((2, 3, 4, 4), (2, 5, 4, 4), params=7) == 4 * (96 + 160 + 7)
    assert bytes_moved((1, 8), (1, 2), params=0, element_size=2) == 2 * 10


def test_layer_traffic_of_a_known_layer():
    # Dk=3, M=32, N=64, DF=14, batch 2, float32
    dw = layer_traffic("depthwise", 3, 32, 64, 14, batch=2)
    assert dw.macs == 2 * 3 * 3 * 32 * 14 * 14 == 112_896
    assert dw.bytes == 4 * (2 * 32 * 196 + 2 * 32 * 196 + 3 * 3 * 32) == 101_504
    assert dw.intensity == 2 * 112_896 / 101_504
    pw = layer_traffic("pointwise", 3, 32, 64, 14, batch=2)
    assert (pw.macs, pw.bytes) == (2 * 32 * 64 * 196, 4 * (2 * 32 * 196 + 2 * 64 * 196 + 32 * 64))
    std = layer_traffic("standard", 3, 32, 64, 14, batch=2)
    assert (std.macs, std.bytes) == (2 * 9 * 32 * 64 * 196, 4 * (2 * 32 * 196 + 2 * 64 * 196 + 9 * 32 * 64))
    # Depthwise 3x3 does about 9 mult-adds per value read and written: ~2.25 FLOPs per byte.
    assert dw.intensity < 2.25 < pw.intensity < std.intensity
    with pytest.raises(ValueError, match="kind must be one of"):
        layer_traffic("grouped", 3, 32, 64, 14)


def test_time_layers_rows_follow_cost_table():
    model = ReferenceCNN()
    times = time_layers(model, (2, 1, 28, 28), repeats=2, warmup=1)
    costs = cost_table(model, (2, 1, 28, 28))
    assert [r["name"] for r in times.rows] == [r["name"] for r in costs.rows]
    assert [r["mult_adds"] for r in times.rows] == [r["mult_adds"] for r in costs.rows]
    assert times.total_macs == costs.total_macs
    assert all(r["seconds"] > 0 for r in times.rows) and times.whole.repeats == 2
    row = next(r for r in times.rows if r["name"] == "conv2.depthwise_conv")
    assert row["bytes"] == 4 * (2 * 2 * 32 * 28 * 28 + 3 * 3 * 32)
    shares = times.shares()
    assert set(shares) <= {"standard", "depthwise", "pointwise", "linear", OTHER_LAYERS, BETWEEN_LAYERS}
    assert {"standard", "depthwise", "pointwise", "linear", OTHER_LAYERS} <= set(shares)
    assert sum(f for f, _ in shares.values()) == pytest.approx(1)
    assert sum(t for _, t in shares.values()) == pytest.approx(1)
    assert shares[OTHER_LAYERS][0] == 0 and shares["depthwise"][0] == pytest.approx(
        sum(r["mult_adds"] for r in costs.rows if r["kind"] == "depthwise") / costs.total_macs)
    assert model.training  # the caller's model is left as it was (time_layers uses a copy)
    assert next(model.parameters()).is_contiguous()


def test_a_grouped_conv_keeps_its_own_kind_in_the_shares():
    # ResNeXt-style grouped convs do mult-adds: they must not be lumped with BatchNorm and ReLU.
    model = torch.nn.Sequential(torch.nn.Conv2d(4, 8, 3, padding=1, groups=2), torch.nn.ReLU(),
                                torch.nn.Conv2d(8, 8, 1))
    times = time_layers(model, (1, 4, 10, 10), repeats=1, warmup=0)
    shares = times.shares()
    grouped, pointwise = 3 * 3 * 2 * 8 * 100, 8 * 8 * 100
    assert shares["grouped"][0] == pytest.approx(grouped / (grouped + pointwise))
    assert shares[OTHER_LAYERS][0] == 0 and "standard" not in shares


def test_time_layers_in_channels_last_leaves_the_model_alone():
    model = mobilenet_v1(width_multiplier=0.25, resolution=32)
    model.train()
    times = time_layers(model, repeats=1, warmup=0, channels_last=True)
    assert model.training and model.conv1.conv.weight.is_contiguous()
    assert "channels_last" in times.description
    assert sum(r["kind"] == "depthwise" for r in times.rows) == 13


def test_share_table_has_a_row_per_model_and_kind():
    a = time_layers(ReferenceCNN(), (1, 1, 28, 28), repeats=1, warmup=0)
    b = time_layers(ReferenceCNN("standard"), (1, 1, 28, 28), repeats=1, warmup=0)
    table = share_table({"separable": a, "standard": b})
    assert [r["model"] for r in table.rows] == ["separable"] * len(a.shares()) + ["standard"] * len(b.shares())
    assert "depthwise" not in {r["kind"] for r in table.rows if r["model"] == "standard"}


def test_standard_vs_separable_counts_exactly_and_times_every_part():
    speed = time_standard_vs_separable(3, 8, 16, 7, batch=2, repeats=2, min_sample_seconds=0)
    assert speed.flop_ratio == 1 / (Fraction(1, 16) + Fraction(1, 9))
    assert speed.traffic["standard"].macs == 2 * 9 * 8 * 16 * 49
    assert speed.traffic["depthwise"].macs + speed.traffic["pointwise"].macs == 2 * (9 * 8 + 8 * 16) * 49
    assert set(speed.times) == {"standard", "depthwise", "pointwise"}
    assert speed.time_ratio > 0 and all(speed.gflops(p) > 0 for p in speed.times)
    with pytest.raises(ValueError, match="Dk must be odd"):
        time_standard_vs_separable(2, 8, 16, 7)


def test_machine_roofs_are_positive():
    assert matmul_gflops(64, repeats=1) > 0
    assert copy_bandwidth(1, repeats=1) > 0
