import pytest
import torch
from torch import nn

from dwconv_utils import DepthwiseSeparableConv2d, to_standard_conv
from dwconv_utils.low_rank import closest_separable, kernel_ranks


def random_separable(m, n, k, depth_multiplier, **kwargs):
    torch.manual_seed(m * 100 + n * 10 + depth_multiplier)
    return DepthwiseSeparableConv2d(m, n, k, depth_multiplier=depth_multiplier, **kwargs)


@pytest.mark.parametrize("depth_multiplier", [1, 2, 3])
def test_a_separable_layers_dense_kernel_has_rank_at_most_its_depth_multiplier(depth_multiplier):
    dense = to_standard_conv(random_separable(4, 6, 3, depth_multiplier)).weight
    assert kernel_ranks(dense) == [depth_multiplier] * 4


def test_a_random_standard_kernel_has_full_rank():
    torch.manual_seed(0)
    assert kernel_ranks(nn.Conv2d(3, 5, 3).weight) == [5, 5, 5]  # min(N, k*k) = min(5, 9)
    assert kernel_ranks(nn.Conv2d(2, 20, 3).weight) == [9, 9]


@pytest.mark.parametrize("kwargs", [dict(), dict(stride=2, padding=1), dict(padding=2, bias=False)])
def test_closest_separable_recovers_a_separable_layer_exactly(kwargs):
    original = random_separable(3, 5, 3, 2, **kwargs)
    standard = to_standard_conv(original)
    fitted = closest_separable(standard, depth_multiplier=2)
    torch.testing.assert_close(to_standard_conv(fitted).weight, standard.weight)
    x = torch.randn(2, 3, 11, 9)
    with torch.no_grad():
        torch.testing.assert_close(fitted(x), original(x), atol=1e-5, rtol=1e-4)


def test_closest_separable_error_is_the_discarded_singular_values():
    torch.manual_seed(1)
    conv = nn.Conv2d(4, 6, 3)
    singular = torch.linalg.svdvals(conv.weight.detach().reshape(6, 4, 9).transpose(0, 1))
    errors = []
    for k in range(1, 8):
        dense = to_standard_conv(closest_separable(conv, k)).weight
        error = (dense - conv.weight).norm().item()
        assert error == pytest.approx(singular[:, k:].square().sum().sqrt().item(), abs=1e-5)
        errors.append(error)
    assert errors == sorted(errors, reverse=True) and errors[-1] < 1e-5  # exact from K = N = 6


def test_closest_separable_keeps_the_bias():
    conv = nn.Conv2d(2, 3, 3)
    assert torch.equal(closest_separable(conv).pointwise_conv.bias, conv.bias)
    assert closest_separable(nn.Conv2d(2, 3, 3, bias=False)).pointwise_conv.bias is None


@pytest.mark.parametrize("conv", [nn.Conv2d(4, 4, 3, groups=2), nn.Conv2d(2, 2, 3, dilation=2),
                                  nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect")])
def test_closest_separable_refuses_what_it_cannot_represent(conv):
    with pytest.raises(ValueError, match="standard conv"):
        closest_separable(conv)


def test_bad_arguments_are_explained():
    with pytest.raises(TypeError, match="nn.Conv2d"):
        closest_separable(DepthwiseSeparableConv2d(2, 2, 3))
    with pytest.raises(ValueError, match="depth_multiplier"):
        closest_separable(nn.Conv2d(2, 2, 3), 0)
    with pytest.raises(ValueError, match="shape"):
        kernel_ranks(torch.zeros(3, 3))
