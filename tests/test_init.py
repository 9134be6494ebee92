"""The two initialisations: the seed's Xavier, and Xavier with fans counted per group."""
import math

import pytest
import torch
from torch import nn

from dwconv_utils import ReferenceCNN
from dwconv_utils.init import INITS, init_weights, per_group_fans
from seed_code import CNN as SeedCNN


def _same_weights(a: nn.Module, b: nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return list(sa) == list(sb) and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_default_init_is_bit_identical_to_the_seed_code():
    torch.manual_seed(3)
    seed = SeedCNN()
    torch.manual_seed(3)
    ours = ReferenceCNN()
    assert ours.init_scheme == "xavier"
    assert _same_weights(seed, ours)


def test_per_group_fans_leave_the_standard_model_as_the_seed_made_it():
    torch.manual_seed(5)
    plain = ReferenceCNN("standard")
    torch.manual_seed(5)
    grouped = ReferenceCNN("standard", init="xavier-per-group")
    assert _same_weights(plain, grouped)


def test_per_group_fans_scale_only_the_depthwise_kernels_by_sqrt_of_1_plus_m_over_2():
    torch.manual_seed(7)
    plain = ReferenceCNN()
    torch.manual_seed(7)
    grouped = ReferenceCNN(init="xavier-per-group")
    a, b = plain.state_dict(), grouped.state_dict()
    for key in a:
        if "depthwise" in key:
            m = a[key].shape[0]
            torch.testing.assert_close(b[key], a[key] * math.sqrt((1 + m) / 2))
        else:
            assert torch.equal(a[key], b[key]), key


def test_fans_of_a_depthwise_and_a_dense_conv():
    assert per_group_fans(nn.Conv2d(32, 32, 3, groups=32)) == (9, 9)
    assert per_group_fans(nn.Conv2d(32, 64, 3, groups=32)) == (9, 18)  # depth multiplier 2
    assert per_group_fans(nn.Conv2d(32, 64, 5)) == (32 * 25, 64 * 25)
    assert per_group_fans(nn.Conv2d(8, 12, 3, groups=4)) == (2 * 9, 3 * 9)


def test_depthwise_weight_variance_follows_the_fans():
    torch.manual_seed(0)
    m, k = 64, 3
    conv = nn.Conv2d(m, m, k, groups=m, bias=False)
    for scheme, variance in (("xavier", 2 / (k * k * (1 + m))), ("xavier-per-group", 1 / (k * k))):
        init_weights(conv, scheme)
        assert conv.weight.var().item() == pytest.approx(variance, rel=0.1)


@pytest.mark.parametrize("bad", ["he", "Xavier", None, 1])
def test_unknown_init_names_the_allowed_ones(bad):
    with pytest.raises(ValueError, match="init must be one of 'xavier', 'xavier-per-group'"):
        ReferenceCNN(init=bad)
    with pytest.raises(ValueError, match="init must be one of"):
        init_weights(nn.Linear(2, 2), bad)


def test_init_is_named_in_the_description_only_when_not_the_seed_one():
    assert "init" not in ReferenceCNN().description()
    assert ReferenceCNN(init="xavier-per-group").description().endswith("init='xavier-per-group'")


# --- what an initialisation does to the signal ------------------------------------------

def _batch(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g)


@pytest.mark.parametrize("m", [32, 64, 128])
def test_a_depthwise_step_with_the_seed_init_scales_the_mean_square_by_2_over_1_plus_m(m):
    from dwconv_utils.init import depthwise_gains
    torch.manual_seed(m)
    layer = nn.Sequential(nn.Conv2d(m, m, 3, groups=m, bias=False))  # no padding: no border zeros
    x = torch.randn(16, m, 28, 28)
    for scheme, expected in (("xavier", 2 / (1 + m)), ("xavier-per-group", 1.0)):
        init_weights(layer, scheme)
        (row,) = depthwise_gains(layer, x).rows
        assert row["M"] == m
        assert row["measured gain"] == pytest.approx(expected, rel=0.15)
        assert row["predicted gain"] == pytest.approx(expected, rel=0.15)
        assert row["predicted gain"] == pytest.approx(row["k² Var(w)"], rel=1e-3)  # no borders


def test_same_padding_lowers_the_predicted_gain_by_the_border_zeros():
    from dwconv_utils.init import depthwise_gains
    torch.manual_seed(0)
    layer = nn.Sequential(nn.Conv2d(64, 64, 3, padding=1, groups=64, bias=False))
    (row,) = depthwise_gains(layer, torch.randn(16, 64, 7, 7)).rows
    # On a 7x7 map an output reads on average (19/21)^2 of its 9 taps: 18% fewer.
    assert row["predicted gain"] == pytest.approx(row["k² Var(w)"] * (19 / 21) ** 2, rel=0.02)
    assert row["measured gain"] == pytest.approx(row["predicted gain"], rel=0.15)


def test_the_measurements_leave_a_batch_norm_model_alone():
    from dwconv_utils.init import depthwise_gains, signal_spread
    torch.manual_seed(0)
    model = ReferenceCNN(batch_norm=True).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x, y = _batch()
    depthwise_gains(model, x)
    signal_spread(model, x, y)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # running stats too
    assert model.training and all(p.grad is None for p in model.parameters())
    with pytest.raises(TypeError, match="inputs must be a float tensor"):
        depthwise_gains(model, torch.zeros(2, 1, 28, 28, dtype=torch.long))
    with pytest.raises(ValueError, match="has no depthwise convolution"):
        depthwise_gains(ReferenceCNN("standard"), x)


def test_signal_spread_measures_a_copy_and_leaves_the_model_alone():
    from dwconv_utils.init import signal_spread
    torch.manual_seed(0)
    model = ReferenceCNN().train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x, y = _batch()
    spread = signal_spread(model, x, y)
    assert list(spread.std) == ["conv1", "conv2", "conv3", "conv4", "conv5", "conv6", "fc1", "fc2"]
    assert all(v > 0 for v in spread.grad_std.values())
    assert all(p.grad is None for p in model.parameters()) and model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(v is None for v in signal_spread(model, x).grad_std.values())  # no labels: no gradients
    with pytest.raises(ValueError, match="labels must be a tensor of shape"):
        signal_spread(model, x, y[:3])
    with pytest.raises(TypeError, match="inputs must be a float tensor"):
        signal_spread(model, [1, 2])


def test_the_seed_init_silences_the_separable_model_and_per_group_fans_keep_the_signal():
    from dwconv_utils.init import signal_spread, spread_table
    x, y = _batch(256)
    spreads = {}
    for conv in ("separable", "standard"):
        for scheme in INITS:
            torch.manual_seed(0)
            spreads[(conv, scheme)] = signal_spread(ReferenceCNN(conv, init=scheme), x, y)
    seed_separable = spreads[("separable", "xavier")]
    # Five depthwise steps at about 2 / (1 + M) each: the logits are thousands of times smaller.
    assert seed_separable.std["fc2"] < 1e-3 * spreads[("standard", "xavier")].std["fc2"]
    assert seed_separable.shrink > 3
    # With fans per group no layer of either model shrinks the signal by more than about 3x.
    assert all(spreads[(conv, "xavier-per-group")].shrink < 3 for conv in ("separable", "standard"))
    assert spreads[("standard", "xavier")].std == spreads[("standard", "xavier-per-group")].std
    table = spread_table({f"{c}, {s}": v for (c, s), v in spreads.items()})
    assert table.columns[0] == "layer" and len(table.rows) == 8
    assert table.totals["separable, xavier"] == f"{seed_separable.shrink:.1f}x"
    with pytest.raises(ValueError, match="spreads is empty"):
        spread_table({})


@pytest.mark.parametrize("scheme, variance", [
    # A depthwise weight (M, 1, k, k): PyTorch's fan_in is k^2 (right), its fan_out M k^2.
    ("kaiming-fan-in", lambda m, k: 2 / (k * k)), ("kaiming-fan-out", lambda m, k: 2 / (m * k * k))])
def test_he_initialisations_of_a_depthwise_weight(scheme, variance):
    torch.manual_seed(0)
    model = ReferenceCNN(init=scheme)
    weight = model.conv6.depthwise_conv.weight  # M = 128, k = 3
    assert weight.var().item() == pytest.approx(variance(128, 3), rel=0.15)
    # Linear layers keep the seed's Xavier, so only the convolutions differ between schemes.
    torch.manual_seed(0)
    assert model.fc1.weight.var().item() == pytest.approx(2 / (1152 + 128), rel=0.05)
    assert model.conv6.pointwise_conv.bias.abs().sum() == 0


def test_pytorch_default_leaves_the_constructors_draws():
    torch.manual_seed(0)
    model = ReferenceCNN(init="pytorch-default")
    torch.manual_seed(0)
    plain = torch.nn.Conv2d(1, 32, 3, padding="same")
    assert model.conv1.weight.equal(plain.weight) and model.conv1.bias.equal(plain.bias)
    assert model.conv1.bias.abs().sum() > 0  # biases drawn too, not zero
