"""One output value traced by hand: the sums equal the layer's own output, the counts equal the
cost formulas and cost_table, and the groups axis matches nn.Conv2d."""
import itertools
import random

import pytest
import torch
from torch import nn

from dwconv_utils import DepthwiseSeparableConv2d, cost_ratio, cost_table
from dwconv_utils.cost import check_groups, group_choices, grouped_conv_macs, grouped_conv_params
from dwconv_utils.groups import grouped_conv
from dwconv_utils.tracer import number_text, output_size, trace_conv, trace_separable


def random_convs(count: int = 60, seed: int = 0):
    """Random layers over kinds, strides, paddings, depth multipliers and biases."""
    rng = random.Random(seed)
    for _ in range(count):
        m = rng.choice([1, 2, 3, 4, 6])
        groups = rng.choice([g for g in range(1, m + 1) if m % g == 0])
        n = groups * rng.choice([1, 2, 3])
        k = rng.choice([1, 2, 3, 5, (3, 1), (1, 3)])
        stride = rng.choice([1, 2, 3, (2, 1)])
        padding = rng.choice([0, 1, 2, "valid"] + (["same"] if stride == 1 else []))
        yield nn.Conv2d(m, n, k, stride, padding, groups=groups, bias=rng.random() < 0.3), rng


@pytest.mark.parametrize("index", range(3))
def test_every_traced_value_equals_the_layers_output(index):
    torch.manual_seed(index)
    checked = 0
    for conv, rng in itertools.islice(random_convs(seed=index), 60):
        x = torch.randn(conv.in_channels, rng.randint(5, 12), rng.randint(5, 12))
        with torch.no_grad():
            expected = conv(x[None])[0]  # the module's own forward, padding and all
        rows, cols = output_size(conv, x.shape[1], x.shape[2])
        assert (rows, cols) == tuple(expected.shape[1:])
        for _ in range(3):
            row, col = rng.randrange(rows), rng.randrange(cols)
            trace = trace_conv(conv, x, row, col)
            torch.testing.assert_close(trace.output, expected, atol=1e-5, rtol=1e-5)
            assert trace.agrees
            for term in trace.terms:
                assert abs(term.total - float(expected[term.channel, row, col])) < 1e-4
            checked += 1
    assert checked == 180


def test_a_sum_worked_out_by_hand():
    x = torch.ones(1, 4, 4)
    conv = nn.Conv2d(1, 1, 3, padding=1, bias=False)
    with torch.no_grad():
        conv.weight.fill_(2.0)
    corner = trace_conv(conv, x, 0, 0)      # 4 of the 9 window cells are padding zeros
    assert corner.terms[0].inputs.sum() == 4 and corner.terms[0].total == 8.0
    inside = trace_conv(conv, x, 1, 2)      # all 9 cells are ones: 9 x 2
    assert inside.terms[0].total == 18.0 and inside.agrees
    assert (inside.top, inside.left) == (1, 2) and corner.padding == (1, 1, 1, 1)


def test_depthwise_channels_see_only_their_own_input_with_a_depth_multiplier():
    conv = nn.Conv2d(3, 6, 3, groups=3, bias=False)     # K = 2
    trace = trace_conv(conv, torch.randn(3, 7, 7), 2, 3)
    assert [t.input_channels for t in trace.terms] == [(0,), (0,), (1,), (1,), (2,), (2,)]
    assert trace.kind == "depthwise" and trace.multiplications_per_value == 9
    assert trace.formula == "Dk²·M·K·DF² = 3²·3·2·5² = 1,350"   # 9 * 3 * 2 * 25


def test_the_counts_equal_the_formulas_and_cost_table():
    for conv, rng in random_convs(40, seed=7):
        shape = (1, conv.in_channels, rng.randint(6, 11), rng.randint(6, 11))
        trace = trace_conv(conv, torch.randn(shape[1:]), 0, 0)
        kh, kw = conv.kernel_size
        rows, cols = trace.output_size
        by_hand = kh * kw * (conv.in_channels // conv.groups) * conv.out_channels * rows * cols
        assert trace.multiplications == trace.formula_macs == by_hand
        assert trace.multiplications == cost_table(conv, shape).total_macs
        assert trace.formula.endswith(f"= {by_hand:,}")


def test_the_separable_trace_goes_through_both_steps():
    torch.manual_seed(1)
    layer = DepthwiseSeparableConv2d(3, 3, 3, bias=False)
    x = torch.rand(3, 18, 16)
    trace = trace_separable(layer, x, 5, 7, out_channel=2)
    with torch.no_grad():
        assert abs(trace.value - float(layer(x[None])[0, 2, 5, 7])) < 1e-5
    assert trace.agrees
    assert trace.term.multiplications == 3                              # M pointwise products
    assert trace.standard.multiplications_per_value == 27               # Dk² * M
    assert trace.formula == ("Dk²·M·DF² + M·N·DF² = 3²·3·(16·14) + 3·3·(16·14) = "
                             "6,048 + 2,016 = 8,064")                     # 9*3*224, 3*3*224
    assert trace.standard.formula == "Dk²·M·N·DF² = 3²·3·3·(16·14) = 18,144"
    assert trace.ratio == cost_ratio(3, 3)                              # 1/3 + 1/9
    assert str(trace.ratio) == "4/9"
    assert trace.multiplications == cost_table(layer, (1, 3, 18, 16)).total_macs


def test_a_separable_layer_with_a_bias_and_padding():
    torch.manual_seed(2)
    layer = DepthwiseSeparableConv2d(4, 5, 3, padding=1, bias=True, depth_multiplier=2)
    x = torch.randn(4, 6, 6)
    trace = trace_separable(layer, x, 0, 5, out_channel=4)
    assert trace.agrees and trace.term.bias == float(layer.pointwise_conv.bias.detach()[4])
    with torch.no_grad():
        assert abs(trace.value - float(layer(x[None])[0, 4, 0, 5])) < 1e-5


def test_tracing_changes_nothing():
    conv = nn.Conv2d(3, 3, 3, groups=3)
    x = torch.rand(3, 8, 8)
    weight, bias, image = conv.weight.clone(), conv.bias.clone(), x.clone()
    trace = trace_conv(conv, x, 1, 1)
    trace.terms[0].inputs.zero_()   # the trace holds copies, so this cannot reach x
    assert torch.equal(conv.weight, weight) and torch.equal(conv.bias, bias) and torch.equal(x, image)


def test_positions_outside_the_map_are_refused():
    conv = nn.Conv2d(3, 3, 3, groups=3)
    x = torch.rand(3, 18, 16)
    for row, col in [(16, 0), (-1, 0), (0, 14), (0, 2.0), (True, 0)]:
        with pytest.raises(ValueError, match=r"from 0 to (15|13): the output map is 16 x 14"):
            trace_conv(conv, x, row, col)
    with pytest.raises(ValueError, match="out_channel must be an integer from 0 to 2"):
        trace_separable(DepthwiseSeparableConv2d(3, 3, 3), x, 0, 0, out_channel=3)


def test_other_bad_input_is_refused_clearly():
    x = torch.rand(3, 4, 4)
    with pytest.raises(ValueError, match="does not fit an input height of 4 with 0 \\+ 0 zeros"):
        trace_conv(nn.Conv2d(3, 3, 5), x, 0, 0)
    trace_conv(nn.Conv2d(3, 3, 5, padding=1), x, 0, 0)   # 4 + 2 zeros fit a 5x5 kernel
    with pytest.raises(ValueError, match="takes 3 input channels, but x has 2"):
        trace_conv(nn.Conv2d(3, 3, 3), torch.rand(2, 4, 4), 0, 0)
    with pytest.raises(ValueError, match="one image"):
        trace_conv(nn.Conv2d(3, 3, 3), torch.rand(2, 3, 4, 4), 0, 0)
    with pytest.raises(ValueError, match="dilation"):
        trace_conv(nn.Conv2d(3, 3, 3, dilation=2), torch.rand(3, 9, 9), 0, 0)
    with pytest.raises(ValueError, match="zero padding"):
        trace_conv(nn.Conv2d(3, 3, 3, padding=1, padding_mode="reflect"), x, 0, 0)
    with pytest.raises(TypeError, match="nn.Conv2d, got Linear"):
        trace_conv(nn.Linear(3, 3), x, 0, 0)
    with pytest.raises(TypeError, match="DepthwiseSeparableConv2d, got Conv2d"):
        trace_separable(nn.Conv2d(3, 3, 3), x, 0, 0)


def test_number_text():
    assert [number_text(v, 4, trim=True) for v in (0.0625, -1.0, 2.0, -0.00001)] == ["0.0625", "-1", "2", "0"]
    assert number_text(0.5, 2) == "0.50"


# --- groups: from standard to depthwise ----------------------------------------

def test_group_choices_are_the_common_divisors():
    assert group_choices(8, 8) == (1, 2, 4, 8)
    assert group_choices(6, 9) == (1, 3)
    assert group_choices(12, 8) == (1, 2, 4)


@pytest.mark.parametrize("m,n", [(8, 8), (6, 12), (4, 8), (12, 8)])
def test_the_groups_axis_matches_nn_conv2d(m, n):
    for groups in group_choices(m, n):
        conv = nn.Conv2d(m, n, 3, groups=groups, bias=False)
        layer = grouped_conv(m, n, 3, 5, groups)
        assert layer.weight_shape == tuple(conv.weight.shape)
        assert layer.params == conv.weight.numel() == grouped_conv_params(3, m, n, groups)
        assert layer.mult_adds == cost_table(conv, (1, m, 7, 7)).total_macs == grouped_conv_macs(3, m, n, 5, groups)
        # Who sees whom, measured: one input channel lit at a time, which outputs move?
        with torch.no_grad():
            conv.weight.fill_(1.0)
            seen = torch.stack([conv(torch.eye(m)[c][None, :, None, None].expand(1, m, 3, 3))[0, :, 0, 0] != 0
                                for c in range(m)], dim=1)
        assert torch.equal(layer.connections, seen)
        assert bool(layer.connections_with_pointwise.all())
        expected_kind = "standard" if groups == 1 else "depthwise" if groups == m else "grouped"
        assert layer.kind == expected_kind


def test_depthwise_plus_pointwise_on_the_groups_axis_is_the_separable_cost():
    layer = grouped_conv(8, 8, 3, 14, 8)
    assert layer.mult_adds + layer.pointwise_mult_adds == 9 * 8 * 196 + 8 * 8 * 196
    assert layer.params + layer.pointwise_params == 9 * 8 + 64


def test_groups_that_do_not_divide_are_refused():
    with pytest.raises(ValueError, match="groups must divide both M=8 and N=8; allowed: 1, 2, 4, 8; got 3"):
        grouped_conv(8, 8, 3, 14, 3)
    with pytest.raises(ValueError, match="allowed: 1, 3; got 2"):
        check_groups(6, 9, 2)
    with pytest.raises(ValueError, match="positive"):
        grouped_conv(8, 8, 3, 14, 0)


def test_the_static_pictures_draw_what_the_widgets_show():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dwconv_utils import plots
    from dwconv_utils.plots.tracer import sweep_positions

    assert sweep_positions(16, 14, 4) == [0, 74, 149, 223]   # first, evenly spread, last
    conv = nn.Conv2d(3, 3, 3, groups=3, bias=False)
    standard = nn.Conv2d(3, 1, 3, bias=False)
    x = torch.rand(3, 18, 16)
    trace = trace_conv(conv, x, 6, 5)
    fig = plots.plot_pixel_trace(trace, ["a", "b", "c"])
    titles = [ax.get_title() for ax in fig.axes]
    assert f"map 0: (6, 5) = {trace.value(0):.3f}" in titles and "\u2299 b" in titles
    plt.close(fig)
    fig = plots.plot_sliding_window(conv, standard, x)
    assert len(fig.axes) == 4 * 7   # four frames of three inputs, three depthwise maps, one sum
    plt.close(fig)
    fig = plots.plot_groups(8, 8, 3, 14)
    assert [ax.get_title().split("\n")[0] for ax in fig.axes] == [
        "groups=1 (standard)", "groups=2 (grouped)", "groups=4 (grouped)", "groups=8 (depthwise)",
        "groups=8, then 1x1"]
    plt.close(fig)
    layer = DepthwiseSeparableConv2d(3, 3, 3, bias=False)
    fig = plots.plot_separable_trace(trace_separable(layer, x, 2, 2, 1))
    assert any(ax.get_title().startswith("output 1: ") for ax in fig.axes)
    plt.close(fig)
