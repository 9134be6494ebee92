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
    assert INITS == ("xavier", "xavier-per-group")


def test_init_is_named_in_the_description_only_when_not_the_seed_one():
    assert "init" not in ReferenceCNN().description()
    assert ReferenceCNN(init="xavier-per-group").description().endswith("init='xavier-per-group'")
