"""The seed's reference CNN (separable or standard) and MobileNetV1 for counting.

``ReferenceCNN`` is trained in notebook 04; ``mobilenet_v1`` reproduces the
MobileNets paper's tables in notebook 03 and is timed in notebook 05.
"""
from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from . import checks
from .init import INITS, init_weights
from .layers import DepthwiseSeparableConv2d
from .tables import Table

CONV_KINDS = ("separable", "standard")
ACTIVATIONS = ("relu", "selu")
HEADS = ("flatten", "pool")



def scaled_channels(channels: int, width: float) -> int:
    """``channels`` times the width multiplier, rounded to a whole channel (halves up); a width
    that leaves a layer without channels is refused."""
    scaled = int(channels * width + 0.5)
    if scaled < 1:
        raise ValueError(f"width={width!r} leaves a {channels}-channel layer with 0 channels; width "
                         f"must be at least {1 / 64:g} (1/64), so that conv1's 32 channels keep one")
    return scaled


class ReferenceCNN(nn.Module):
    """The seed's Fashion-MNIST network, layer for layer (notebook 04).

    conv1 is a standard 3x3 conv 1->32; conv2..conv6 are 3x3 convs
    (32->32, 32->64, 64->64, 64->128, 128->128) with padding "same", either
    ``DepthwiseSeparableConv2d`` (``conv="separable"``, the seed) or a plain
    ``nn.Conv2d`` with the same in/out/kernel/padding (``conv="standard"``, its
    twin). A 2x2 max-pool follows conv2, conv4 and conv6 (28 -> 14 -> 7 -> 3),
    then fc1 (128*3*3 -> 128) and fc2 (128 -> 10). Weights are Xavier-uniform,
    biases zero. Input: (batch, 1, 28, 28).

    ``batch_norm=True`` is not in the seed: it adds BatchNorm where MobileNet
    has it, after the depthwise step and after the pointwise step of each
    separable conv (after each conv2..conv6 in the standard twin), and drops
    those convs' biases, which BatchNorm's shift makes redundant. Unlike
    MobileNet it adds no ReLU between the two steps: the activations stay the
    seed's, so BatchNorm is the only change. Notebook 04 tests whether it
    closes the separable model's gap.

    ``init`` is "xavier" (the seed's ``nn.init.xavier_uniform_``), "xavier-per-group"
    (fans counted per group: it changes only the depthwise kernels, which the seed's
    init makes about sqrt((1 + M) / 2) times too small), "kaiming-fan-in",
    "kaiming-fan-out" or "pytorch-default" (``init.init_weights``, notebook 04).

    ``width`` (alpha, as MobileNet's width multiplier) scales the channels of
    conv1..conv6 (32, 64, 128 -> round(alpha * 32), ...; fc1's input follows).
    ``head="pool"`` replaces flatten + fc1 by a global average pool, so fc2 reads
    the 128 * alpha channel means and the convolutions hold most parameters.
    ``act_between=True`` (separable only) adds the activation between the depthwise and the
    pointwise step too, as MobileNetV1 does; with ``batch_norm`` that is MobileNetV1's block
    (conv, BatchNorm, ReLU after both steps). ``kernel_size`` (odd) is the kernel of conv2..conv6
    (a 5x5 depthwise kernel costs little). ``block_ops()`` lists one block's operations in order.
    The defaults are exactly the seed's network.
    """

    def __init__(self, conv: str = "separable", activation: str = "relu",
                 batch_norm: bool = False, init: str = "xavier", width: float = 1.0,
                 head: str = "flatten", act_between: bool = False, kernel_size: int = 3):
        super().__init__()
        self.conv_kind = checks.choice("conv", conv, CONV_KINDS)
        self.activation_name = checks.choice("activation", activation, ACTIVATIONS)
        self.batch_norm = checks.boolean("batch_norm", batch_norm)
        self.init_scheme = checks.choice("init", init, INITS)
        self.width = checks.positive_number("width", width)
        self.head = checks.choice("head", head, HEADS)
        self.act_between = checks.boolean("act_between", act_between)
        if act_between and conv != "separable":
            raise ValueError("act_between=True puts an activation between the depthwise and the "
                             f"pointwise step, so it needs conv='separable'; got conv={conv!r}")
        self.kernel_size = checks.positive_int("kernel_size", kernel_size)
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (3, 5, 7, ...) so that padding 'same' is "
                             f"symmetric; got {kernel_size}")
        c32, c64, c128 = (scaled_channels(c, width) for c in (32, 64, 128))
        self.activation = F.relu if activation == "relu" else F.selu
        plain = DepthwiseSeparableConv2d if conv == "separable" else nn.Conv2d

        def layer(in_channels: int, out_channels: int, **options) -> nn.Module:
            options["kernel_size"] = kernel_size
            if not (batch_norm or act_between):
                return plain(in_channels, out_channels, **options)
            return _block(plain(in_channels, out_channels, bias=not batch_norm, **options),
                          batch_norm, nn.ReLU() if activation == "relu" else nn.SELU(),
                          act_between)

        # Registration order matches the seed so the same torch seed gives the same weights.
        self.conv1 = nn.Conv2d(in_channels=1, out_channels=c32, kernel_size=3, padding="same")
        self.conv2 = layer(c32, c32, padding="same")
        self.pool = nn.MaxPool2d(2, 2)
        self.conv3 = layer(c32, c64, padding="same")
        self.conv4 = layer(c64, c64, padding="same")
        self.conv5 = layer(c64, c128, padding="same")
        self.conv6 = layer(c128, c128, padding="same")
        if head == "flatten":
            self.flatten = nn.Flatten()
            self.fc1 = nn.Linear(c128 * 3 * 3, 128)
            self.fc2 = nn.Linear(128, 10)
        else:
            self.global_pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
            self.fc2 = nn.Linear(c128, 10)
        self.init_weights()

    def init_weights(self) -> None:
        """Weights by ``self.init_scheme`` and zero biases for every Conv2d and Linear
        (with "xavier", exactly the seed's ``init_weights``)."""
        init_weights(self, self.init_scheme)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"ReferenceCNN expects a torch.Tensor, got {type(x).__name__}")
        if x.dim() != 4 or x.shape[1] != 1 or x.shape[2] // 8 != 3 or x.shape[3] // 8 != 3:
            raise ValueError("ReferenceCNN expects images of shape (batch, 1, 28, 28) "
                             f"(height and width 24..31 also fit fc1); got {tuple(x.shape)}")
        act = self.activation
        # The seed activates, then pools. Max-pooling commutes with a rising activation, so
        # pooling first gives the same numbers and gradients, with the activation on a 4x
        # smaller map: training is faster (``python -m dwconv_utils bench``).
        x = act(self.pool(self.conv2(act(self.conv1(x)))))
        x = act(self.pool(self.conv4(act(self.conv3(x)))))
        x = act(self.pool(self.conv6(act(self.conv5(x)))))
        if self.head == "flatten":
            x = act(self.fc1(self.flatten(x)))
        else:
            x = self.global_pool(x)
        return self.fc2(x)

    def extra_repr(self) -> str:
        return self.description()

    def description(self) -> str:
        """The constructor arguments, e.g. ``conv='separable', activation='relu'``."""
        text = f"conv={self.conv_kind!r}, activation={self.activation_name!r}"
        text += ", batch_norm=True" if self.batch_norm else ""
        text += f", init={self.init_scheme!r}" if self.init_scheme != "xavier" else ""
        text += f", width={self.width:g}" if self.width != 1 else ""
        text += f", head={self.head!r}" if self.head != "flatten" else ""
        text += ", act_between=True" if self.act_between else ""
        return text + (f", kernel_size={self.kernel_size}" if self.kernel_size != 3 else "")

    def block_ops(self) -> list[str]:
        """One block's operations in order (conv2..conv6 alike), e.g. ``["depthwise 3x3",
        "pointwise 1x1", "relu"]`` for the seed's; the activation after the block is the one
        ``forward`` applies (after the max-pool where one follows, which gives the same numbers)."""
        k = f"{self.kernel_size}x{self.kernel_size}"
        if self.conv_kind == "standard":
            ops = [f"conv {k}"] + (["batchnorm"] if self.batch_norm else [])
        else:
            ops = [f"depthwise {k}"] + (["batchnorm"] if self.batch_norm else [])
            ops += [self.activation_name] if self.act_between else []
            ops += ["pointwise 1x1"] + (["batchnorm"] if self.batch_norm else [])
        return ops + [self.activation_name]


def _block(layer: nn.Module, batch_norm: bool, activation: nn.Module,
           act_between: bool) -> nn.Sequential:
    """``layer`` with BatchNorm after each of its convolution steps (MobileNet's order) and, with
    ``act_between``, ``activation`` between the depthwise and the pointwise step."""
    def step(name: str, conv: nn.Conv2d) -> list[tuple[str, nn.Module]]:
        norm = [(f"{name}bn", nn.BatchNorm2d(conv.out_channels))] if batch_norm else []
        return [(f"{name}conv", conv), *norm]

    if isinstance(layer, DepthwiseSeparableConv2d):
        between = [("depthwise_act", activation)] if act_between else []
        return nn.Sequential(OrderedDict([*step("depthwise_", layer.depthwise_conv), *between,
                                          *step("pointwise_", layer.pointwise_conv)]))
    return nn.Sequential(OrderedDict(step("", layer)))


class ParameterTable(Table):
    """Every parameter tensor with its shape and element count, plus the total."""

    title = "Parameters"

    def __init__(self, rows: list[dict]):
        self.total = sum(r["count"] for r in rows)
        super().__init__(["name", "shape", "count"], rows,
                         totals={"name": "total", "count": self.total}, numeric=("count",))


def parameter_table(model: nn.Module) -> ParameterTable:
    """The seed's per-parameter listing: name, shape and element count, with a total.

    The seed printed ``f"{key}\\tparamerters num: {np.prod(value.shape)}"`` for
    each of ``CNN().named_parameters()``; the total is 184,234 for the
    separable ReferenceCNN and 435,306 for the standard twin (notebook 04).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"parameter_table expects a torch.nn.Module, got {type(model).__name__}")
    rows = [{"name": name, "shape": tuple(p.shape), "count": p.numel()}
            for name, p in model.named_parameters()]
    return ParameterTable(rows)


# MobileNets (Howard et al. 2017) Table 1, after the first 3x3 conv:
# (stride of the depthwise step, output channels of the pointwise step).
# The table's second-to-last "Conv dw / s2" on a 7x7 map is a known misprint:
# the map stays 7x7, so its stride is 1.
MOBILENET_V1_BLOCKS = [(1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512),
                       (1, 512), (1, 512), (1, 512), (1, 512), (1, 512),
                       (2, 1024), (1, 1024)]


def _conv_bn_relu(prefix: str, conv: nn.Conv2d) -> list[tuple[str, nn.Module]]:
    return [(f"{prefix}conv", conv),
            (f"{prefix}bn", nn.BatchNorm2d(conv.out_channels)),
            (f"{prefix}relu", nn.ReLU(inplace=True))]


def mobilenet_v1(width_multiplier: float = 1.0, resolution: int = 224,
                 separable: bool = True, num_classes: int = 1000) -> nn.Module:
    """MobileNetV1 as in the MobileNets paper's Table 1, for counting cost.

    Every conv is followed by BatchNorm and ReLU; convs have no bias.
    ``width_multiplier`` (alpha) scales every layer's channels,
    ``resolution`` (the input is ``resolution x resolution x 3``) is stored on
    the model as ``model.input_shape`` for ``cost_table``. With
    ``separable=False`` every depthwise + pointwise pair becomes one standard
    3x3 conv ("Conv MobileNet" in the paper's Table 4). Counting, not training,
    is the purpose: notebook 03 reproduces Tables 2, 4, 6 and 7 with it.
    """
    alpha = checks.positive_number("width_multiplier", width_multiplier)
    resolution = checks.positive_int("resolution", resolution)
    checks.boolean("separable", separable)
    num_classes = checks.positive_int("num_classes", num_classes)

    def width(channels: int) -> int:
        return max(1, int(channels * alpha))

    channels = width(32)
    layers: list[tuple[str, nn.Module]] = [
        ("conv1", nn.Sequential(OrderedDict(_conv_bn_relu("", nn.Conv2d(3, channels, 3, 2, 1, bias=False)))))]
    for i, (stride, out) in enumerate(MOBILENET_V1_BLOCKS, start=2):
        out = width(out)
        if separable:
            parts = (_conv_bn_relu("depthwise_", nn.Conv2d(channels, channels, 3, stride, 1,
                                                           groups=channels, bias=False))
                     + _conv_bn_relu("pointwise_", nn.Conv2d(channels, out, 1, bias=False)))
        else:
            parts = _conv_bn_relu("", nn.Conv2d(channels, out, 3, stride, 1, bias=False))
        layers.append((f"block{i}", nn.Sequential(OrderedDict(parts))))
        channels = out
    layers += [("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()),
               ("fc", nn.Linear(channels, num_classes))]
    model = nn.Sequential(OrderedDict(layers))
    model.input_shape = (1, 3, resolution, resolution)
    return model
