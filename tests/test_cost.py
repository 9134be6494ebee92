import random
from fractions import Fraction

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from dwconv_utils import (DepthwiseSeparableConv2d, ReferenceCNN, compare_costs, conv_output_size,
                          cost_ratio, cost_table, depthwise_conv_macs, depthwise_conv_params,
                          flop_counter_macs, formula_check, mobilenet_v1, param_ratio,
                          pointwise_conv_macs, pointwise_conv_params, separable_conv_macs,
                          separable_conv_params, standard_conv_macs, standard_conv_params)
from dwconv_utils.cost import COUNTED_KINDS, FUNCTIONAL, OTHER_LAYERS, kind_group, totals_by_top_layer


def forward_flops(model, shape):
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(shape))
    return counter.get_total_flops()


def test_formulas_in_the_seed_symbols():
    # 普通卷积: Dk*Dk*M*N*DF*DF; depthwise: Dk*Dk*M*DF*DF; 1x1: M*N*DF*DF.
    assert standard_conv_macs(3, 32, 64, 14) == 3 * 3 * 32 * 64 * 14 * 14
    assert depthwise_conv_macs(3, 32, 14) == 3 * 3 * 32 * 14 * 14
    assert pointwise_conv_macs(32, 64, 14) == 32 * 64 * 14 * 14
    assert separable_conv_macs(3, 32, 64, 14) == 3 * 3 * 32 * 14 * 14 + 32 * 64 * 14 * 14
    assert standard_conv_params(3, 32, 64) == 3 * 3 * 32 * 64
    assert standard_conv_params(3, 32, 64, bias=True) == 3 * 3 * 32 * 64 + 64
    assert depthwise_conv_params(3, 32) == 3 * 3 * 32
    assert pointwise_conv_params(32, 64, bias=True) == 32 * 64 + 64
    assert separable_conv_params(3, 32, 64) == 3 * 3 * 32 + 32 * 64


def test_non_square_kernels_maps_and_depth_multiplier():
    assert standard_conv_macs((3, 5), 4, 6, (7, 9)) == 3 * 5 * 4 * 6 * 7 * 9
    assert depthwise_conv_macs((1, 7), 4, (10, 2), depth_multiplier=3) == 7 * 4 * 3 * 20
    assert separable_conv_macs(3, 4, 6, 5, depth_multiplier=2) == 9 * 8 * 25 + 8 * 6 * 25
    assert separable_conv_params((3, 1), 4, 6, depth_multiplier=2, bias=True) == 3 * 8 + 8 * 6 + 6
    assert conv_output_size(28, 3, stride=2, padding=1) == 14
    assert conv_output_size(7, 3, stride=1, padding=0) == 5


def test_mobilenet_paper_table_3_single_layer():
    # 14x14x512 input, 3x3x512x512 kernel: full conv 462M / 2.36M, separable 52.3M / 0.27M.
    assert round(standard_conv_macs(3, 512, 512, 14) / 1e6) == 462
    assert round(standard_conv_params(3, 512, 512) / 1e6, 2) == 2.36
    assert round(separable_conv_macs(3, 512, 512, 14) / 1e6, 1) == 52.3
    assert round(separable_conv_params(3, 512, 512) / 1e6, 2) == 0.27


def test_cost_ratio_is_exactly_one_over_n_plus_one_over_dk_squared():
    assert cost_ratio(64, 3) == Fraction(1, 64) + Fraction(1, 9)
    assert isinstance(cost_ratio(64, 3), Fraction)
    assert cost_ratio(64.0, 3) == pytest.approx(1 / 64 + 1 / 9)
    assert cost_ratio(64, (3, 5)) == Fraction(1, 64) + Fraction(1, 15)
    assert cost_ratio(64, 3, depth_multiplier=2) == 2 * (Fraction(1, 64) + Fraction(1, 9))
    rng = random.Random(0)
    for _ in range(200):
        n, dk, m, df = rng.randint(1, 2048), rng.randint(1, 7), rng.randint(1, 512), rng.randint(1, 56)
        k = rng.randint(1, 3)
        exact = Fraction(separable_conv_macs(dk, m, n, df, k), standard_conv_macs(dk, m, n, df))
        assert cost_ratio(n, dk, k) == exact


def test_param_ratio_is_the_seed_formula_and_equals_the_cost_ratio():
    assert param_ratio(64, 3, 32) == Fraction(9 * 32 + 32 * 64, 9 * 32 * 64)
    rng = random.Random(1)
    for _ in range(100):
        n, dk, m = rng.randint(1, 1024), rng.randint(1, 7), rng.randint(1, 1024)
        assert param_ratio(n, dk, m) == Fraction(separable_conv_params(dk, m, n),
                                                 standard_conv_params(dk, m, n))
        assert param_ratio(n, dk, m) == cost_ratio(n, dk)


@pytest.mark.parametrize("call, error, words", [
    (lambda: cost_ratio(0, 3), ValueError, "N"),
    (lambda: cost_ratio(64, -3), ValueError, "Dk"),
    (lambda: cost_ratio(64.0, float("nan")), ValueError, "Dk"),
    (lambda: cost_ratio("64", 3), TypeError, "N"),
    (lambda: param_ratio(64, 3, 0), ValueError, "M"),
    (lambda: standard_conv_macs(3, 0, 4, 5), ValueError, "M"),
    (lambda: standard_conv_macs(3, 4, 4, (5, 5, 5)), ValueError, "DF"),
    (lambda: depthwise_conv_macs(3, 4, 5, depth_multiplier=0), ValueError, "depth_multiplier"),
    (lambda: standard_conv_params(3, 4, 4, bias=1), TypeError, "bias"),
    (lambda: conv_output_size(2, 5), ValueError, "Dk=5"),
    (lambda: cost_table("model", (1, 1, 28, 28)), TypeError, "nn.Module"),
    (lambda: cost_table(ReferenceCNN()), ValueError, "input_shape"),
    (lambda: cost_table(ReferenceCNN(), (1, 0, 28, 28)), ValueError, r"input_shape\[1\]"),
    (lambda: cost_table(ReferenceCNN(), "1x28x28"), TypeError, "input_shape"),
    (lambda: cost_table(nn.Sequential(nn.LSTM(4, 4)), (1, 2, 4)), TypeError, "LSTM"),
    (lambda: cost_table(nn.Sequential(nn.Bilinear(2, 2, 2)), (1, 2)), TypeError, "Bilinear"),
])
def test_bad_input_is_named(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_cost_table_rows_for_the_reference_cnn():
    table = cost_table(ReferenceCNN(), (1, 1, 28, 28))
    rows = {r["name"]: r for r in table.rows}
    # conv3 runs on 14x14 maps, 32 -> 64 channels.
    assert rows["conv3.depthwise_conv"]["kind"] == "depthwise"
    assert rows["conv3.depthwise_conv"]["mult_adds"] == depthwise_conv_macs(3, 32, 14)
    assert rows["conv3.pointwise_conv"]["kind"] == "pointwise"
    assert rows["conv3.pointwise_conv"]["mult_adds"] == pointwise_conv_macs(32, 64, 14)
    assert rows["conv3.pointwise_conv"]["output_shape"] == (1, 64, 14, 14)
    assert rows["fc1"]["kind"] == "linear" and rows["fc1"]["params"] == 128 * 1152 + 128
    assert [r["name"] for r in table.rows].count("pool") == 3
    assert table.total_params == 184_234
    # FlopCounterMode's FLOPs are 2 per mult-add: 8,131,200 per image for the separable network,
    # 58,551,808 for the standard twin, each the sum of the seed's formulas over its layers.
    blocks = [(32, 32, 28), (32, 64, 14), (64, 64, 14), (64, 128, 7), (128, 128, 7)]
    around = standard_conv_macs(3, 1, 32, 28) + 1152 * 128 + 128 * 10
    separable_macs = around + sum(separable_conv_macs(3, m, n, size) for m, n, size in blocks)
    standard_macs = around + sum(standard_conv_macs(3, m, n, size) for m, n, size in blocks)
    assert 2 * table.total_macs == 2 * separable_macs == 8_131_200
    assert 2 * cost_table(ReferenceCNN("standard"), (1, 1, 28, 28)).total_macs == 2 * standard_macs == 58_551_808
    assert "4,065,600" in str(table) and "4,065,600" in table._repr_html_()


@pytest.mark.parametrize("model, shape", [
    (ReferenceCNN(), (3, 1, 28, 28)),
    (ReferenceCNN("standard", "selu"), (2, 1, 28, 28)),
    (mobilenet_v1(0.5, 128), (1, 3, 128, 128)),
    (mobilenet_v1(separable=False, resolution=96), (1, 3, 96, 96)),
])
def test_cost_table_equals_flop_counter_on_the_project_models(model, shape):
    table = cost_table(model, shape)
    assert 2 * table.total_macs == forward_flops(model, shape)
    assert table.total_params == sum(p.numel() for p in model.parameters())


def _random_net(rng: random.Random) -> tuple[nn.Module, tuple[int, ...]]:
    layers, channels = [], rng.randint(1, 6)
    size = rng.randint(12, 24)
    shape = (rng.randint(1, 3), channels, size, size + rng.randint(0, 5))
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(["dense", "depthwise", "grouped", "pointwise", "separable", "transposed"])
        kernel = (rng.choice([1, 3, 5]), rng.choice([1, 3]))
        padding = (kernel[0] // 2, kernel[1] // 2)
        stride, bias = rng.choice([1, 1, 2]), rng.random() < 0.5
        if kind == "dense":
            out = rng.randint(1, 8)
            layers.append(nn.Conv2d(channels, out, kernel, stride, padding, bias=bias))
        elif kind == "depthwise":
            out = channels * rng.randint(1, 3)
            layers.append(nn.Conv2d(channels, out, kernel, stride, padding, groups=channels, bias=bias))
        elif kind == "grouped":
            groups = rng.choice([g for g in (1, 2, 3) if channels % g == 0])
            out = groups * rng.randint(1, 3)
            layers.append(nn.Conv2d(channels, out, kernel, stride, padding, groups=groups, bias=bias))
        elif kind == "pointwise":
            out = rng.randint(1, 8)
            layers.append(nn.Conv2d(channels, out, 1, bias=bias))
        elif kind == "transposed":
            groups = rng.choice([g for g in (1, 2) if channels % g == 0])
            out = groups * rng.randint(1, 3)
            layers.append(nn.ConvTranspose2d(channels, out, kernel, stride, padding, groups=groups, bias=bias))
        else:
            out = rng.randint(1, 8)
            layers.append(DepthwiseSeparableConv2d(channels, out, kernel, stride, padding, bias,
                                                   depth_multiplier=rng.randint(1, 2)))
        if rng.random() < 0.3:
            layers.append(nn.BatchNorm2d(out))
        layers.append(nn.ReLU())
        channels = out
    if rng.random() < 0.5:
        layers += [nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(channels * 4, rng.randint(1, 10))]
    else:  # Linear on a 4-d tensor acts on the last axis, at every other position.
        layers += [nn.AdaptiveMaxPool2d((2, 3)), nn.Linear(3, rng.randint(1, 5))]
    return nn.Sequential(*layers), shape


def test_cost_table_equals_flop_counter_on_random_nets():
    rng = random.Random(2024)
    kinds_seen = set()
    for _ in range(80):
        model, shape = _random_net(rng)
        table = cost_table(model, shape)
        assert 2 * table.total_macs == forward_flops(model, shape)
        # Only layers here: the layers alone add up to the whole pass, with no functional row.
        assert FUNCTIONAL not in {r["kind"] for r in table.rows} and not table.outside_ops
        assert table.total_params == sum(p.numel() for p in model.parameters())
        kinds_seen.update(r["kind"] for r in table.rows)
        # The kinds with mult-adds are exactly COUNTED_KINDS, so a summary that groups the
        # rest as "other layers" (notebook 05) never hides a layer's work there.
        for r in table.rows:
            assert (r["mult_adds"] > 0) == (kind_group(r["kind"]) != OTHER_LAYERS), r
    assert {"standard", "depthwise", "grouped", "pointwise", "linear"} <= kinds_seen
    assert kinds_seen & set(COUNTED_KINDS) == set(COUNTED_KINDS) - {FUNCTIONAL}


def test_linear_on_a_sequence_counts_every_position():
    model = nn.Sequential(nn.Linear(6, 4), nn.Linear(4, 2))
    table = cost_table(model, (2, 5, 6))
    assert table.total_macs == 2 * 5 * (6 * 4 + 4 * 2)
    assert 2 * table.total_macs == forward_flops(model, (2, 5, 6))


def test_shared_layers_count_compute_per_call_and_parameters_once():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 2, 3, padding=1)
            self.unused = nn.Linear(3, 3)

        def forward(self, x):
            return self.conv(self.conv(x))

    model = Twice()
    table = cost_table(model, (1, 2, 5, 5))
    assert table.total_macs == 2 * standard_conv_macs(3, 2, 2, 5)
    assert table.total_params == sum(p.numel() for p in model.parameters())
    assert table.rows[-1]["name"] == "(parameters not used in forward)"
    assert model.training  # cost_table leaves the mode as it was.


# --- formula_check, flop_counter_macs, compare_costs (notebook 03) ----------------

def test_formula_check_writes_the_seed_formula_for_every_layer():
    check = formula_check(ReferenceCNN(), (1, 1, 28, 28))
    rows = {r["name"]: r for r in check.rows}
    assert check.all_agree
    assert rows["conv1"]["formula"] == "3·3·1·32·28·28"
    assert rows["conv3.depthwise_conv"]["formula"] == "3·3·32·14·14"
    assert rows["conv3.pointwise_conv"]["formula"] == "32·64·14·14"
    assert rows["fc1"]["formula"] == "1152·128"
    assert rows["conv5.pointwise_conv"]["= mult-adds"] == pointwise_conv_macs(64, 128, 7)
    assert len(check) == 13  # conv1, five depthwise + five pointwise, fc1, fc2


def test_formula_check_agrees_on_random_nets_batches_and_repeated_layers():
    rng = random.Random(7)
    for _ in range(30):
        model, shape = _random_net(rng)
        check = formula_check(model, shape)
        assert check.all_agree, str(check)
        assert sum(r["= mult-adds"] for r in check.rows) == cost_table(model, shape).total_macs

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 2, 3)

        def forward(self, x):
            return self.conv(self.conv(x))

    check = formula_check(Twice(), (1, 2, 9, 9))
    assert check.rows[0]["formula"] == "3·3·2·2·7·7 + 3·3·2·2·5·5" and check.all_agree


def test_flop_counter_macs_names_modules_like_named_modules():
    model = ReferenceCNN().train()
    macs = flop_counter_macs(model, (2, 1, 28, 28))
    assert macs[""] == forward_flops(model, (2, 1, 28, 28)) // 2
    assert macs["conv2.depthwise_conv"] == 2 * depthwise_conv_macs(3, 32, 28)
    assert macs["conv2"] == macs["conv2.depthwise_conv"] + macs["conv2.pointwise_conv"]
    assert model.training
    with pytest.raises(ValueError, match="input_shape"):
        flop_counter_macs(model)


def test_compare_costs_lines_up_layers_of_the_two_versions():
    standard = cost_table(ReferenceCNN("standard"), (1, 1, 28, 28))
    separable = cost_table(ReferenceCNN(), (1, 1, 28, 28))
    comparison = compare_costs(standard, separable)
    rows = {r["layer"]: r for r in comparison.rows}
    assert list(rows) == ["conv1", "conv2", "conv3", "conv4", "conv5", "conv6", "fc1", "fc2"]
    assert rows["conv3"]["params: standard"] == standard_conv_params(3, 32, 64, bias=True)
    assert rows["conv3"]["params: separable"] == separable_conv_params(3, 32, 64, bias=True)
    assert rows["conv3"]["ratio"] == f"{float(cost_ratio(64, 3)):.4f}"
    assert rows["fc1"]["mult-adds: standard"] == rows["fc1"]["mult-adds: separable"]
    assert comparison.totals["params: separable"] == separable.total_params
    layers = totals_by_top_layer(separable.rows)
    assert "pool" not in layers  # no parameters, no mult-adds
    assert layers["conv2"]["params"] == separable_conv_params(3, 32, 32, bias=True)
    with pytest.raises(ValueError, match="same layers"):
        compare_costs(standard, cost_table(mobilenet_v1(0.25, 32)))


def test_mult_add_shares_sum_to_one_in_counted_order():
    shares = cost_table(ReferenceCNN(), (1, 1, 28, 28)).mult_add_shares()
    assert list(shares) == ["standard", "depthwise", "pointwise", "linear"]
    assert sum(shares.values()) == pytest.approx(1.0)
    by_kind = cost_table(ReferenceCNN(), (1, 1, 28, 28)).by_kind()
    assert shares["depthwise"] == by_kind["depthwise"]["mult_adds"] / 4_065_600


@pytest.mark.parametrize("Dk, M, N, DF", [(3, 32, 64, 14), (1, 8, 8, 7), (5, 3, 16, 28)])
def test_conv_costs_match_the_formulas_and_the_counted_layers(Dk, M, N, DF):
    from dwconv_utils import conv_costs
    costs = conv_costs(Dk, M, N, DF)
    layer = DepthwiseSeparableConv2d(M, N, Dk, padding=Dk // 2, bias=False)
    counted = cost_table(layer, (1, M, DF, DF)).by_kind()
    assert costs.macs["depthwise"] == counted["depthwise"]["mult_adds"] == Dk * Dk * M * DF * DF
    assert costs.macs["pointwise"] == counted["pointwise"]["mult_adds"] == M * N * DF * DF
    assert costs.macs["standard"] == Dk * Dk * M * N * DF * DF
    assert costs.macs["separable"] == costs.macs["depthwise"] + costs.macs["pointwise"]
    assert costs.params["separable"] == sum(p.numel() for p in layer.parameters())
    assert costs.ratio == costs.param_ratio == Fraction(costs.macs["separable"], costs.macs["standard"])
    with pytest.raises(ValueError, match="DF must be a positive integer"):
        conv_costs(Dk, M, N, 0)


# --- exact or loud: work outside the layers, parametrized and other conv layers ----------

class FunctionalConv(nn.Module):
    """A conv done with F.conv2d in forward, then a Linear: only the Linear is a layer."""

    def __init__(self, m, n, k, groups=1):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n, m // groups, k, k))
        self.groups, self.k = groups, k
        self.fc = nn.Linear(n, 3)

    def forward(self, x):
        y = torch.nn.functional.conv2d(x, self.weight, padding=self.k // 2, groups=self.groups)
        return self.fc(y.permute(0, 2, 3, 1))  # a Linear on (B, H, W, C)


class Attention(nn.Module):
    """Attention from Linear layers and two matmuls, q @ k^T and a @ v."""

    def __init__(self, d):
        super().__init__()
        self.q, self.k, self.v, self.out = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x):
        q, k, v = self.q(x), self.k(x), self.v(x)
        a = torch.softmax(q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5, dim=-1)
        return self.out(a @ v)


def test_the_three_silent_cases_are_now_exact_and_loud():
    # F.conv2d 3 -> 8 (3x3, "same") on 8x8, then a Linear 8 -> 3 at each of the 64 positions.
    conv_macs, linear_macs = 64 * 3 * 9 * 8, 64 * 8 * 3
    with pytest.warns(UserWarning, match="outside its Conv/Linear layers, in aten.convolution"):
        table = cost_table(FunctionalConv(3, 8, 3), (1, 3, 8, 8))
    assert table.total_macs == conv_macs + linear_macs == forward_flops(FunctionalConv(3, 8, 3), (1, 3, 8, 8)) // 2
    functional = [r for r in table.rows if r["kind"] == FUNCTIONAL]
    assert [r["mult_adds"] for r in functional] == [conv_macs]
    assert table.outside_ops == {"aten.convolution": conv_macs}
    assert not formula_check(FunctionalConv(3, 8, 3), (1, 3, 8, 8)).all_agree

    # weight_norm: the conv has a child (its parametrization), so it is no leaf; counted all the same.
    conv = torch.nn.utils.parametrizations.weight_norm(nn.Conv2d(4, 6, 3))
    table = cost_table(nn.Sequential(conv), (1, 4, 10, 10))
    assert table.total_macs == 8 * 8 * 4 * 9 * 6               # 64 positions, 36 weights, 6 outputs
    assert table.rows[0]["params"] == 6 + 6 * 4 * 9 + 6         # g, v and the bias
    assert table.total_params == sum(p.numel() for p in conv.parameters())
    check = formula_check(nn.Sequential(conv), (1, 4, 10, 10))
    assert len(check) == 1 and check.all_agree

    # Attention over 5 tokens of width 4, batch 2: four Linears, two matmuls.
    linears, matmuls = 4 * 2 * 5 * 4 * 4, 2 * (2 * 5 * 5 * 4)
    with pytest.warns(UserWarning, match="aten.bmm"):
        table = cost_table(Attention(4), (2, 5, 4))
    assert table.total_macs == linears + matmuls and table.outside_ops == {"aten.bmm": matmuls}
    assert not formula_check(Attention(4), (2, 5, 4)).all_agree


def test_formula_check_fails_when_it_has_nothing_to_compare():
    check = formula_check(nn.Sequential(nn.ReLU()), (1, 3, 4, 4))
    assert len(check) == 0 and not check.all_agree


def test_conv1d_conv3d_and_transposed_convs_are_counted_by_hand():
    table = cost_table(nn.Sequential(nn.Conv1d(3, 6, 3, groups=3), nn.Conv1d(6, 4, 1)), (2, 3, 10))
    assert table.total_macs == 2 * 8 * 6 * 3 + 2 * 8 * 6 * 4       # depthwise K=2, then pointwise
    assert [r["kind"] for r in table.rows] == ["depthwise", "pointwise"]
    assert cost_table(nn.Conv3d(2, 3, 3), (1, 2, 4, 5, 6)).total_macs == 2 * 3 * 4 * 27 * 2 * 3
    # Stride 2 spreads a 5x5 input over 11x11 outputs; only the 25 real inputs are multiplied.
    transposed = nn.ConvTranspose2d(4, 6, 3, stride=2)
    table = cost_table(transposed, (1, 4, 5, 5))
    assert table.rows[0]["kind"] == "transposed" and table.total_macs == 5 * 5 * 4 * 6 * 9 == 5_400
    assert table.total_macs == forward_flops(transposed, (1, 4, 5, 5)) // 2
    assert formula_check(nn.ConvTranspose2d(4, 6, 3, stride=2, groups=2), (1, 4, 5, 5)).all_agree


@pytest.mark.parametrize("seed", range(3))
def test_cost_table_is_exact_on_random_nets_with_functional_work_and_parametrized_layers(seed):
    rng = random.Random(seed)
    for _ in range(10):
        m, n, size, batch = rng.randint(1, 4), rng.randint(1, 5), rng.randint(4, 9), rng.randint(1, 2)
        k = rng.choice([1, 3])
        positions = batch * size * size
        conv = nn.Conv2d(m, n, k, padding=k // 2)
        if rng.random() < 0.5:
            conv = torch.nn.utils.parametrizations.weight_norm(conv)
        layers, outside = positions * m * k * k * n, 0
        if rng.random() < 0.5:
            groups = rng.choice([1, n])
            middle = [FunctionalConv(n, n, 3, groups)]             # -> (B, S, S, 3)
            outside += positions * (n // groups) * 9 * n
            layers += positions * n * 3
            rows, tokens, width = batch * size, size, 3            # attention per (b, row): S tokens of 3
        else:
            middle = [nn.Flatten(2), nn.Conv1d(n, 2, 3)]           # -> (B, 2, S*S - 2)
            layers += batch * (size * size - 2) * n * 3 * 2
            rows, tokens, width = batch, 2, size * size - 2
        layers += 4 * rows * tokens * width * width                 # q, k, v and out
        outside += 2 * rows * tokens * tokens * width               # q @ k^T and a @ v
        model = nn.Sequential(conv, *middle, Attention(width))
        with pytest.warns(UserWarning, match="outside its Conv/Linear layers"):
            table = cost_table(model, (batch, m, size, size))
        assert table.total_macs == layers + outside
        assert [r["mult_adds"] for r in table.rows if r["kind"] == FUNCTIONAL] == [outside]
        assert table.total_params == sum(p.numel() for p in model.parameters())


def test_counting_leaves_the_model_as_it_was():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 36, 2))
    model.train()
    model[1].eval()                      # a BatchNorm frozen by the user inside a training model
    calls = []
    model[0].register_forward_hook(lambda *_: calls.append("hook"))
    model.register_forward_pre_hook(lambda *_: calls.append("pre-hook"))
    with torch.no_grad():
        model[1].running_mean.fill_(0.5)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    hooks = [(m, list(m._forward_hooks), list(m._forward_pre_hooks)) for m in model.modules()]
    cost_table(model, (2, 3, 8, 8))
    flop_counter_macs(model, (2, 3, 8, 8))
    formula_check(model, (2, 3, 8, 8))
    assert [m.training for m in model.modules()] == [True, True, False, True, True, True]
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in state.items())  # weights and buffers
    assert [(m, list(m._forward_hooks), list(m._forward_pre_hooks)) for m in model.modules()] == hooks
    assert calls.count("hook") == calls.count("pre-hook") > 0   # the user's hooks still run, and only theirs


def test_a_shape_without_its_batch_dimension_is_refused_before_any_layer_complains():
    with pytest.raises(ValueError, match=r"did you mean \(1, 3, 224, 224\)\? input_shape includes the batch"):
        cost_table(mobilenet_v1(), (3, 224, 224))
    with pytest.raises(ValueError, match=r"Conv2d\) takes 4 dimensions, \(batch, 3, height, width\)"):
        cost_table(nn.Conv2d(3, 4, 3), (3, 8, 8))          # a bare conv would take it as one image
    with pytest.raises(ValueError, match="takes 3 channels, .* but gets 1"):
        cost_table(mobilenet_v1(), (1, 1, 224, 224))
    with pytest.raises(ValueError, match=r"input_shape=\(1, 28, 28\) .*includes the batch dimension\): "
                                         r"ValueError: ReferenceCNN expects images of shape \(batch, 1, 28, 28\)"):
        flop_counter_macs(ReferenceCNN(), (1, 28, 28))   # the model's own check speaks first
    # A model that reshapes its input first is judged by what its first layer receives.
    reshaping = nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 2, 3))
    assert cost_table(reshaping, (4, 784)).total_macs == 4 * 26 * 26 * 9 * 2


def test_a_failing_forward_pass_names_input_shape():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(10, 2))   # the Linear never fits
    with pytest.raises(ValueError, match=r"forward pass failed on zeros of input_shape=\(1, 3, 8, 8\) "
                                         r"\(its first layer takes \(batch, 3, height, width\); input_shape "
                                         r"includes the batch dimension\): RuntimeError"):
        cost_table(model, (1, 3, 8, 8))
    model.input_shape = (1, 3, 7, 7)   # what the model says it takes is named in the note
    with pytest.raises(ValueError, match=r"the model's own input_shape is \(1, 3, 7, 7\)"):
        cost_table(model, (1, 3, 8, 8))
