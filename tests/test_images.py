import pytest
import torch
import torch.nn.functional as F

from dwconv_utils.images import (EXAMPLE_KERNELS, KERNEL_NAMES, depthwise_weight, make_kernel,
                                 sample_image)


def test_sample_image_is_a_small_rgb_tensor_in_unit_range():
    image = sample_image()
    assert image.shape == (3, 150, 128) and image.dtype == torch.float32
    assert 0 <= image.min() < 0.1 and 0.9 < image.max() <= 1
    assert sample_image(downsample=2).shape == (3, 300, 256)


@pytest.mark.parametrize("name", KERNEL_NAMES)
@pytest.mark.parametrize("size", [3, 5, 7, 9])
def test_every_kernel_has_every_odd_size(name, size):
    assert make_kernel(name, size).shape == (size, size)


@pytest.mark.parametrize("name", ["identity", "box blur", "gaussian", "sharpen", "emboss"])
def test_kernels_that_keep_brightness_sum_to_one(name):
    for size in (3, 5, 7):
        assert make_kernel(name, size).sum().item() == pytest.approx(1.0)


def test_identity_kernel_returns_the_image():
    image = sample_image()[None]
    out = F.conv2d(image, depthwise_weight(["identity"] * 3, 5), groups=3)
    torch.testing.assert_close(out, image[..., 2:-2, 2:-2])


@pytest.mark.parametrize("size", [3, 5, 7, 9])
def test_sobel_x_sees_a_step_to_the_right_with_the_same_strength_at_every_size(size):
    step = torch.zeros(1, 1, 24, 24)
    step[..., 12:] = 1.0  # brighter on the right: the kernel sees the edge, then flat regions
    response = F.conv2d(step, make_kernel("sobel x", size)[None, None])
    assert response.max().item() == pytest.approx(4.0)
    assert response.min().item() == pytest.approx(0.0)
    flat = F.conv2d(torch.ones(1, 1, 24, 24), make_kernel("sobel x", size)[None, None])
    assert flat.abs().max().item() == pytest.approx(0.0, abs=1e-6)
    assert torch.equal(make_kernel("sobel y", size), make_kernel("sobel x", size).T)


def test_three_by_three_kernels_are_the_textbook_ones():
    assert make_kernel("sobel x").tolist() == [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    assert (make_kernel("gaussian") * 16).tolist() == [[1, 2, 1], [2, 4, 2], [1, 2, 1]]


def test_random_kernels_come_from_their_seed():
    assert torch.equal(make_kernel("random", 5, seed=3), make_kernel("random", 5, seed=3))
    assert not torch.equal(make_kernel("random", 5, seed=3), make_kernel("random", 5, seed=4))
    weight = depthwise_weight(["random"] * 3)
    assert not torch.equal(weight[0], weight[1])


def test_depthwise_weight_stacks_one_kernel_per_channel():
    weight = depthwise_weight(EXAMPLE_KERNELS, 5)
    assert weight.shape == (3, 1, 5, 5)
    for c, name in enumerate(EXAMPLE_KERNELS):
        assert torch.equal(weight[c, 0], make_kernel(name, 5))


@pytest.mark.parametrize("call, error, words", [
    (lambda: make_kernel("blur"), ValueError, "name must be one of"),
    (lambda: make_kernel("gaussian", 4), ValueError, "odd"),
    (lambda: make_kernel("sobel x", 1), ValueError, "size >= 3"),
    (lambda: depthwise_weight([]), ValueError, "at least one"),
    (lambda: sample_image(0), ValueError, "downsample"),
])
def test_bad_arguments_are_explained(call, error, words):
    with pytest.raises(error, match=words):
        call()
