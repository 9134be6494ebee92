import random

import pytest
import torch
from torch import nn

from dwconv_utils import DepthWiseConv2d, DepthwiseSeparableConv2d, to_standard_conv
from dwconv_utils.layers import closest_separable, kernel_ranks

from seed_code import DepthWiseConv2d as SeedDepthWiseConv2d


def test_submodules_are_named_and_shaped_as_in_the_seed():
    layer = DepthwiseSeparableConv2d(3, 8, 3, padding=1, depth_multiplier=2)
    dw, pw = layer.depthwise_conv, layer.pointwise_conv
    assert (dw.in_channels, dw.out_channels, dw.groups, dw.bias) == (3, 6, 3, None)
    assert tuple(dw.weight.shape) == (6, 1, 3, 3)
    assert (pw.in_channels, pw.out_channels, pw.kernel_size) == (6, 8, (1, 1))
    assert pw.bias is not None
    assert DepthwiseSeparableConv2d(3, 8, 3, bias=False).pointwise_conv.bias is None


def test_seed_name_is_the_same_layer():
    assert DepthWiseConv2d is DepthwiseSeparableConv2d


@pytest.mark.parametrize("kwargs", [
    dict(in_channels=4, out_channels=6, kernel_size=3),
    dict(in_channels=3, out_channels=5, kernel_size=(3, 5), stride=2, padding=(1, 2), bias=False),
    dict(in_channels=8, out_channels=8, kernel_size=3, padding="same"),
])
def test_matches_the_seed_code_given_the_same_weights(kwargs):
    torch.manual_seed(0)
    ours = DepthwiseSeparableConv2d(**kwargs)
    torch.manual_seed(0)
    seed = SeedDepthWiseConv2d(**kwargs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in seed.named_parameters()]
    for (_, a), (_, b) in zip(ours.named_parameters(), seed.named_parameters()):
        assert torch.equal(a, b)
    x = torch.randn(2, kwargs["in_channels"], 11, 13)
    assert torch.equal(ours(x), seed(x))


def test_depthwise_step_keeps_channels_separate():
    layer = DepthwiseSeparableConv2d(3, 2, 3, padding=1)
    x = torch.randn(1, 3, 9, 9)
    maps = layer.depthwise_conv(x)
    for c in range(3):
        alone = torch.nn.functional.conv2d(x[:, c:c + 1], layer.depthwise_conv.weight[c:c + 1],
                                           padding=1)
        torch.testing.assert_close(maps[:, c:c + 1], alone)


def _random_layer(rng: random.Random) -> tuple[DepthwiseSeparableConv2d, tuple[int, ...]]:
    m, n, k = rng.randint(1, 6), rng.randint(1, 7), rng.randint(1, 3)
    kernel = (rng.choice([1, 2, 3, 5]), rng.choice([1, 3, 4]))
    stride = (rng.randint(1, 3), rng.randint(1, 3))
    if stride == (1, 1) and rng.random() < 0.3:
        padding = "same"
    else:
        padding = (rng.randint(0, 2), rng.randint(0, 2))
    layer = DepthwiseSeparableConv2d(m, n, kernel, stride, padding, bias=rng.random() < 0.5,
                                     depth_multiplier=k)
    for p in layer.parameters():  # Non-zero biases, so a dropped bias would show.
        nn.init.normal_(p)
    shape = (rng.randint(1, 3), m, rng.randint(kernel[0] + 2, 14), rng.randint(kernel[1] + 2, 14))
    return layer, shape


def test_to_standard_conv_computes_the_same_output_over_random_layers():
    rng = random.Random(1234)
    torch.manual_seed(1234)
    for _ in range(200):
        layer, shape = _random_layer(rng)
        dense = to_standard_conv(layer)
        assert type(dense) is nn.Conv2d and dense.groups == 1
        assert tuple(dense.weight.shape) == (layer.out_channels, layer.in_channels,
                                             *layer.depthwise_conv.kernel_size)
        x = torch.randn(shape)
        torch.testing.assert_close(dense(x), layer(x), rtol=1e-4, atol=1e-4)


def test_dense_kernel_is_pointwise_times_depthwise():
    layer = DepthwiseSeparableConv2d(3, 4, 3)
    w = to_standard_conv(layer).weight
    p = layer.pointwise_conv.weight[:, :, 0, 0]
    d = layer.depthwise_conv.weight[:, 0]
    for o in range(4):
        for c in range(3):
            torch.testing.assert_close(w[o, c], p[o, c] * d[c])
    # Rank constraint: for each input channel all output kernels are multiples of one kernel.
    for c in range(3):
        assert torch.linalg.matrix_rank(w[:, c].reshape(4, -1)) == 1


def test_to_standard_conv_rejects_other_layers():
    with pytest.raises(TypeError, match="DepthwiseSeparableConv2d"):
        to_standard_conv(nn.Conv2d(3, 3, 3))


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(in_channels=0, out_channels=4, kernel_size=3), ValueError, "in_channels"),
    (dict(in_channels=3, out_channels=-1, kernel_size=3), ValueError, "out_channels"),
    (dict(in_channels=3.0, out_channels=4, kernel_size=3), TypeError, "in_channels"),
    (dict(in_channels=True, out_channels=4, kernel_size=3), TypeError, "in_channels"),
    (dict(in_channels=3, out_channels=4, kernel_size=0), ValueError, "kernel_size"),
    (dict(in_channels=3, out_channels=4, kernel_size=(3, 3, 3)), ValueError, "kernel_size"),
    (dict(in_channels=3, out_channels=4, kernel_size=3, stride=0), ValueError, "stride"),
    (dict(in_channels=3, out_channels=4, kernel_size=3, padding=-1), ValueError, "padding"),
    (dict(in_channels=3, out_channels=4, kernel_size=3, padding="full"), ValueError, "padding"),
    (dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding="same"), ValueError,
     "stride 1"),
    (dict(in_channels=3, out_channels=4, kernel_size=3, bias="yes"), TypeError, "bias"),
    (dict(in_channels=3, out_channels=4, kernel_size=3, depth_multiplier=0), ValueError,
     "depth_multiplier"),
])
def test_bad_arguments_are_named(kwargs, error, words):
    with pytest.raises(error, match=words) as info:
        DepthwiseSeparableConv2d(**kwargs)
    assert "got" in str(info.value)


@pytest.mark.parametrize("shape, words", [
    ((3, 8, 8, 8), "in_channels=4"),
    ((1, 4, 8, 8, 8), "shape"),
    ((8, 8), "shape"),
])
def test_bad_input_tensor_is_explained(shape, words):
    layer = DepthwiseSeparableConv2d(4, 2, 3)
    with pytest.raises(ValueError, match=words):
        layer(torch.zeros(shape))


def test_unbatched_input_works_like_conv2d():
    layer = DepthwiseSeparableConv2d(4, 2, 3)
    x = torch.randn(4, 8, 8)
    torch.testing.assert_close(layer(x), layer(x[None])[0])


# --- the closest separable layer (notebook 02) ---------------------------------

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
