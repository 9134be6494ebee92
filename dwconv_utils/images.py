"""The sample photo and the hand-made image kernels of notebooks 01 and 02.

The photo ships with matplotlib, so nothing is downloaded. The kernels are the
classic image filters, defined for any odd size so a student can see what a
bigger kernel changes.
"""
from __future__ import annotations

import math

import torch

from . import checks

KERNEL_NAMES = ("identity", "box blur", "gaussian", "sharpen", "sobel x", "sobel y", "emboss",
                "random")
# The kernels notebooks 01 and 02 give the R, G and B channels: a blur and two edge detectors,
# so the three depthwise maps look clearly different.
EXAMPLE_KERNELS = ("gaussian", "sobel x", "sobel y")
CHANNEL_NAMES = ("R", "G", "B")


def sample_image(downsample: int = 4) -> torch.Tensor:
    """Grace Hopper's portrait (matplotlib's sample data) as a (3, H, W) float tensor in [0, 1].

    ``downsample`` averages blocks of that many pixels, so convolutions and
    redraws stay fast (600 x 512 becomes 150 x 128). Notebooks 01-02.
    """
    import matplotlib.cbook
    import matplotlib.pyplot as plt

    downsample = checks.positive_int("downsample", downsample)
    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    pixels = torch.from_numpy(plt.imread(path).copy())          # (H, W, 3) uint8
    image = pixels.permute(2, 0, 1).float().div(255)
    return torch.nn.functional.avg_pool2d(image[None], downsample)[0]


def _binomial(length: int) -> torch.Tensor:
    """Row ``length - 1`` of Pascal's triangle: a smoothing filter that approximates a Gaussian."""
    return torch.tensor([float(math.comb(length - 1, i)) for i in range(length)])


def _centre_impulse(size: int) -> torch.Tensor:
    kernel = torch.zeros(size, size)
    kernel[size // 2, size // 2] = 1.0
    return kernel


def _sobel_x(size: int) -> torch.Tensor:
    """Smooth down the columns, differentiate along the rows (left to right).

    Scaled so its positive weights add up to 4, as in the 3x3 Sobel kernel: a
    unit step edge then gives the same response at every kernel size.
    """
    smooth = _binomial(size)
    derivative = torch.zeros(size)
    inner = _binomial(size - 2)  # the derivative [-1, 0, 1] smoothed to the full width
    derivative[:size - 2] -= inner
    derivative[2:] += inner
    kernel = torch.outer(smooth, derivative)
    return kernel * (4 / kernel.clamp(min=0).sum())


def make_kernel(name: str, size: int = 3, seed: int = 0) -> torch.Tensor:
    """A classic ``size`` x ``size`` image kernel, by name (one of ``KERNEL_NAMES``).

    PyTorch's conv2d does not flip kernels, so "sobel x" is positive where the
    image gets brighter to the right. "random" draws normal weights from
    ``seed``, so the same seed gives the same kernel. Notebooks 01-02.
    """
    checks.choice("name", name, KERNEL_NAMES)
    size = checks.positive_int("size", size)
    if size % 2 == 0:
        raise ValueError(f"size must be odd so the kernel has a centre pixel, got {size}")
    if name == "identity":
        return _centre_impulse(size)
    if name == "box blur":
        return torch.full((size, size), 1.0 / size**2)
    if name == "gaussian":
        row = _binomial(size)
        return torch.outer(row, row) / row.sum() ** 2
    if name == "sharpen":  # unsharp masking: the image plus 4 x (image - its blur)
        return 5 * _centre_impulse(size) - 4 * make_kernel("gaussian", size)
    if size < 3 and name in ("sobel x", "sobel y", "emboss"):
        raise ValueError(f"a {name} kernel needs size >= 3, got {size}")
    if name == "sobel x":
        return _sobel_x(size)
    if name == "sobel y":
        return _sobel_x(size).T.contiguous()
    if name == "emboss":  # a diagonal derivative on top of the image: light from the top left
        return _centre_impulse(size) + (_sobel_x(size) + _sobel_x(size).T) / 2
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(size, size, generator=generator) / size


def depthwise_weight(names, size: int = 3) -> torch.Tensor:
    """Stack named kernels into a depthwise weight of shape (len(names), 1, size, size).

    Kernel c is applied to input channel c alone (``groups=len(names)``); a
    "random" kernel is seeded with its channel index, so each channel gets its
    own and reruns get the same. Notebooks 01-02.
    """
    names = tuple(names)
    if not names:
        raise ValueError("depthwise_weight needs at least one kernel name")
    return torch.stack([make_kernel(n, size, seed=c) for c, n in enumerate(names)])[:, None]
