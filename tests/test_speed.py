"""Notebook 05's helpers: traffic from shapes (exact), per-layer timing (structure only)."""
from fractions import Fraction

import pytest
import torch
from torch import nn

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


# --- the measured roof and what limits the depthwise step (notebook 05) ------------------------

def test_the_roof_is_the_best_measured_kernel_even_when_a_conv_beats_the_matmul():
    from dwconv_utils.speed import measured_roof
    roof = measured_roof({"matmul 2048": 187.0, "1x1 conv": 224.6, "3x3 conv": 351.6})
    assert roof.best == "3x3 conv" and roof.gflops == 351.6
    with pytest.raises(ValueError, match="at least one measured kernel"):
        measured_roof({})
    with pytest.raises(ValueError, match="kernels\\['matmul'\\] must be a positive, finite number"):
        measured_roof({"matmul": 0})


def test_a_conv_candidate_is_measured_in_gflops():
    from dwconv_utils.speed import conv_gflops
    assert conv_gflops("pointwise", 3, 8, 16, 7, batch=2, repeats=1) > 0


def test_the_theoretical_peak_from_the_cpus_own_words():
    from dwconv_utils.speed import theoretical_peak
    text = "processor\t: 0\ncpu MHz\t\t: 2000.000\nflags\t\t: fpu sse avx avx2 fma\n"
    peak = theoretical_peak(text, cores=2)
    # 2 cores x 2 GHz x 8 float32 lanes (AVX2) x 2 (an FMA) x 2 FMA units, the last assumed.
    assert peak.gflops == pytest.approx(2 * 2.0 * 8 * 2 * 2) and "2 FMA units per core" in peak.assumed
    assert theoretical_peak(text.replace(" avx avx2 fma", ""), cores=1).gflops == pytest.approx(2.0 * 4 * 1 * 2)
    assert theoretical_peak("flags: avx2\n", cores=2) is None  # no clock named: no peak


@pytest.mark.parametrize("points, thread_gain, expected", [
    # At 90% of the memory roof (intensity 2 x 50 GB/s = 100 GFLOP/s), flat in size and threads.
    ([(1e6, 2.0, 90.0), (1e8, 2.0, 92.0)], 1.1, "bandwidth"),
    # Far below both roofs, but 4x faster with more work per call: the call's fixed cost.
    ([(1e5, 2.0, 5.0), (1e8, 2.0, 20.0)], 1.9, "overhead"),
    # High intensity, at 70% of the compute roof.
    ([(1e6, 50.0, 140.0), (1e8, 50.0, 150.0)], 1.9, "compute"),
    # Below both roofs, flat in size, scales with threads: the vector units sit idle.
    ([(1e6, 2.0, 10.0), (1e8, 2.0, 12.0)], 1.9, "occupancy"),
    # Near the memory roof but scaling with threads: not the shared bandwidth.
    ([(1e6, 2.0, 90.0), (1e8, 2.0, 92.0)], 1.9, "occupancy"),
])
def test_the_depthwise_diagnosis_on_synthetic_timings(points, thread_gain, expected):
    from dwconv_utils.speed import DepthwisePoint, diagnose_depthwise
    diagnosis = diagnose_depthwise([DepthwisePoint(*p) for p in points], roof_gflops=200.0,
                                   bandwidth_gbs=50.0, thread_gain=thread_gain)
    assert diagnosis.limit == expected
    assert diagnosis.work_gain == pytest.approx(points[1][2] / points[0][2])


def test_the_diagnosis_needs_two_sizes():
    from dwconv_utils.speed import DepthwisePoint, diagnose_depthwise
    with pytest.raises(ValueError, match="two or more sizes"):
        diagnose_depthwise([DepthwisePoint(1, 1.0, 1.0)], 1.0, 1.0)


def test_the_device_speed_table_reads_a_device_file(tmp_path):
    from dwconv_utils.speed import device_speed_folder, device_speed_table
    table = device_speed_table(device_speed_folder() / "device-cuda.json")
    assert "NVIDIA" in table.title and all(row["model"] in ("reference_cnn", "mobilenet_v1") for row in table.rows)
    for row in table.rows:  # the ratio beside the two times it is made of
        assert float(row["time ratio"]) == pytest.approx(float(row["separable ms"]) / float(row["standard ms"]), abs=0.02)
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="not a device speed file"):
        device_speed_table(tmp_path / "bad.json")


# --- Amdahl: time by kind of operation ------------------------------------------------------------

def test_conv_kinds_from_shapes():
    from dwconv_utils.speed import conv_kind_from_shapes
    assert conv_kind_from_shapes((8, 32, 14, 14), (32, 1, 3, 3)) == "depthwise"
    assert conv_kind_from_shapes((8, 32, 14, 14), (64, 32, 1, 1)) == "pointwise"
    assert conv_kind_from_shapes((8, 32, 14, 14), (64, 32, 3, 3)) == "standard"
    # The seed's conv1 reads one channel with one-channel filters: a standard conv, not depthwise.
    assert conv_kind_from_shapes((8, 1, 28, 28), (32, 1, 3, 3)) == "standard"


def test_time_by_kind_covers_every_kind_of_a_known_model_and_adds_up():
    import torch.nn.functional as F
    from dwconv_utils.speed import OP_KINDS, op_kind_times
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.Conv2d(8, 16, 1), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(16 * 4 * 4, 10))
    optimizer = torch.optim.Adam(model.parameters())
    x, y = torch.randn(4, 3, 8, 8), torch.randint(0, 10, (4,))

    def step():
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    times = op_kind_times(step, repeats=2, warmup=1)
    assert set(times.seconds) == set(OP_KINDS)
    for kind in ("standard", "depthwise", "pointwise", "linear", "pooling", "activation",
                 "batchnorm", "loss", "optimizer"):
        assert times.seconds[kind] > 0, kind
    assert sum(times.share(k) for k in OP_KINDS) == pytest.approx(1.0)
    assert times.share(OP_KINDS) == pytest.approx(1.0)
    assert times.share("other") < 0.5  # nearly everything is put in its place


def test_amdahls_law_on_synthetic_times():
    from dwconv_utils.speed import OpKindTimes, amdahl_speedup
    times = OpKindTimes({"standard": 0.06, "pooling": 0.03, "other": 0.01})
    # Convs 60% of 100 ms shrink 7.2x: 0.1 / (0.04 + 0.06 / 7.2) = 2.07x, not 7.2x.
    assert amdahl_speedup(times, 1 / 7.2) == pytest.approx(0.1 / (0.04 + 0.06 / 7.2))
    assert amdahl_speedup(times, 1.0) == pytest.approx(1.0)
    assert times.rows[0]["share %"] == "60.0" and times.totals["ms"] == "100.00"
