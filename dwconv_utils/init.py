"""Initialising conv and linear weights: the seed's Xavier, Xavier with fans per group, He/Kaiming
with fan-in or fan-out, and PyTorch's own default (``INITS``).

``nn.init.xavier_uniform_`` computes fan_in = weight.size(1) * k * k and
fan_out = weight.size(0) * k * k. For a depthwise weight of shape
(M, 1, k, k) that is fan_in = k^2 but fan_out = M k^2, although each output
of a depthwise conv reads k^2 inputs and each input feeds only its own
channel's k^2 outputs. Its variance 2 / (k^2 (1 + M)) then scales the
signal's mean square by about 2 / (1 + M) per depthwise step (notebook 04).
"xavier-per-group" counts the fans of one group, as Glorot and Bengio
defined them (the connections a unit really has): fan_in = (C_in / groups) k^2,
fan_out = (C_out / groups) k^2. For an ungrouped conv or a Linear layer the
two schemes are the same, weight for weight. (Precisely: a depthwise step
scales the mean square of the signal by about 2 / (1 + M); its variance by
about as much.)

``signal_spread`` and ``depthwise_gains`` measure what an initialisation does to
the signal before any training: each layer's output spread, and each depthwise
step's gain beside the 2 / (1 + M) its fans predict.
"""
from __future__ import annotations

import math
from copy import deepcopy

import torch
import torch.nn.functional as F
from torch import nn

from . import checks
from .tables import Table

INITS = ("xavier", "xavier-per-group", "kaiming-fan-in", "kaiming-fan-out", "pytorch-default")
INIT_DESCRIPTIONS = {
    "xavier": "the seed's Xavier (nn.init.xavier_uniform_)",
    "xavier-per-group": "Xavier with fans counted per group",
    "kaiming-fan-in": "He/Kaiming normal, fan-in (ReLU gain)",
    "kaiming-fan-out": "He/Kaiming normal, fan-out (torchvision's MobileNets)",
    "pytorch-default": "PyTorch's own default (kaiming_uniform_, a=sqrt(5))",
}


def per_group_fans(conv: nn.Conv2d) -> tuple[int, int]:
    """(fan_in, fan_out) of one group of ``conv``: the inputs each output reads, and the
    outputs each input feeds."""
    receptive = math.prod(conv.kernel_size)
    return (conv.in_channels // conv.groups * receptive,
            conv.out_channels // conv.groups * receptive)


@torch.no_grad()
def xavier_uniform_per_group_(conv: nn.Conv2d) -> torch.Tensor:
    """Fill ``conv.weight`` from U(-a, a), a = sqrt(6 / (fan_in + fan_out)) with the fans of
    one group. It draws the same random numbers as ``nn.init.xavier_uniform_``, so with the
    same torch seed the two differ only by a factor per layer (1 for an ungrouped conv)."""
    fan_in, fan_out = per_group_fans(conv)
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return conv.weight.uniform_(-bound, bound)


def init_weights(model: nn.Module, scheme: str = "xavier") -> nn.Module:
    """Initialise every Conv2d and Linear of ``model`` in place (notebook 04).

    "xavier" is the seed's ``nn.init.xavier_uniform_`` on every weight, biases zero;
    "xavier-per-group" counts a grouped conv's fans per group (the same as "xavier" for every
    other layer). "kaiming-fan-in" and "kaiming-fan-out" draw each conv's weights from
    ``nn.init.kaiming_normal_`` with that mode and the ReLU gain (torchvision's MobileNets use
    fan-out); their Linear layers keep the seed's Xavier, so that only the convolutions differ.
    "pytorch-default" leaves every layer as its constructor drew it (biases included).
    """
    checks.choice("init", scheme, INITS)
    if scheme == "pytorch-default":
        return model
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            if isinstance(m, nn.Conv2d) and scheme == "xavier-per-group":
                xavier_uniform_per_group_(m)
            elif isinstance(m, nn.Conv2d) and scheme.startswith("kaiming"):
                nn.init.kaiming_normal_(m.weight, mode=scheme.removeprefix("kaiming-").replace("-", "_"),
                                        nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return model


# --- how the signal spreads at initialisation ----------------------------------

class SignalSpread(Table):
    """Each layer's output spread at initialisation (notebook 04): the standard deviation of
    its output over a batch and, with labels, of the loss gradient with respect to that output.
    ``shrink`` is the largest factor by which one layer's output std is smaller than the one
    before it."""

    title = "Spread of each layer's output at initialisation"

    def __init__(self, std: dict[str, float], grad_std: dict[str, float | None], description: str):
        self.std, self.grad_std, self.description = std, grad_std, description
        values = list(std.values())
        self.shrink = max((a / b for a, b in zip(values, values[1:])), default=1.0)
        rows = [{"layer": name, "output std": f"{value:.1e}",
                 "gradient std": "" if grad_std[name] is None else f"{grad_std[name]:.1e}"}
                for name, value in std.items()]
        super().__init__(["layer", "output std", "gradient std"], rows,
                         numeric=("output std", "gradient std"))


def _layers_of(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The model's own layers: its direct children that hold weights (for ReferenceCNN conv1 ..
    conv6, fc1, fc2)."""
    return [(name, m) for name, m in model.named_children() if any(True for _ in m.parameters())]


def signal_spread(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor | None = None,
                  description: str = "") -> SignalSpread:
    """How large each layer's output is when ``inputs`` go through ``model`` as it is now
    (at initialisation, notebook 04): the std of every weighted layer's output, and, when
    ``labels`` are given, the std of the gradient of the mean cross-entropy over the batch with
    respect to it (so it scales as 1 / batch size: compare layers and models at one batch size).
    The outputs are those of ``model``'s direct children (in a BatchNorm model, after the
    normalisation, so near 1 by design).

    Works on a copy, so ``model``'s weights, buffers, gradients and mode are left as they are.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(inputs, torch.Tensor) or not inputs.is_floating_point():
        raise TypeError(f"inputs must be a float tensor (a batch), got {type(inputs).__name__}")
    if labels is not None and (not isinstance(labels, torch.Tensor) or labels.shape != inputs.shape[:1]):
        raise ValueError(f"labels must be a tensor of shape ({len(inputs)},), one class per input")
    copy = deepcopy(model)
    layers = _layers_of(copy)
    if not layers:
        raise ValueError(f"{type(model).__name__} has no child layers with weights to measure")
    outputs: dict[str, torch.Tensor] = {}

    def keep(name):
        def hook(_module, _inputs, output):
            if output.requires_grad:
                output.retain_grad()
            outputs[name] = output
        return hook

    hooks = [m.register_forward_hook(keep(name)) for name, m in layers]
    try:
        with torch.enable_grad():
            logits = copy(inputs)
            if labels is not None:
                F.cross_entropy(logits, labels).backward()
    finally:
        for h in hooks:
            h.remove()
    std = {name: outputs[name].detach().std().item() for name, _ in layers}
    grad_std = {name: (outputs[name].grad.std().item()
                       if labels is not None and outputs[name].grad is not None else None)
                for name, _ in layers}
    return SignalSpread(std, grad_std, description)


def spread_table(spreads: dict[str, SignalSpread], key: str = "std") -> Table:
    """Several models' spreads side by side: one row per layer, one column per model
    (``key`` "std" for the outputs, "grad_std" for the gradients), and the largest shrink."""
    checks.choice("key", key, ("std", "grad_std"))
    if not spreads:
        raise ValueError("spreads is empty: give at least one label -> signal_spread result")
    layers = list(next(iter(spreads.values())).std)
    rows = [{"layer": layer, **{label: f"{getattr(s, key)[layer]:.1e}" for label, s in spreads.items()}}
            for layer in layers]
    table = Table(["layer", *spreads], rows, numeric=tuple(spreads),
                  totals={"layer": "largest shrink", **{label: f"{s.shrink:.1f}x" for label, s in spreads.items()}}
                  if key == "std" else None)
    table.title = ("Std of each layer's output at initialisation" if key == "std" else
                   "Std of the loss gradient at each layer's output, at initialisation")
    return table


class DepthwiseGains(Table):
    """For every depthwise conv: how much it scales the mean square of its input, measured,
    beside k*k Var(w) (away from borders) and the prediction with the borders counted (notebook 04)."""

    title = "Depthwise steps: mean square out / mean square in"

    def __init__(self, rows: list[dict]):
        columns = ["layer", "M", "weight variance", "k² Var(w)", "predicted gain", "measured gain"]
        super().__init__(columns, rows, numeric=tuple(columns[1:]))


def depthwise_gains(model: nn.Module, inputs: torch.Tensor) -> DepthwiseGains:
    """Each depthwise conv's gain E[y^2] / E[x^2] on ``inputs`` beside what its weights predict
    (notebook 04). Each output sums its k*k inputs times weights of variance Var(w) and mean
    near zero, so E[y^2] is about Var(w) times the sum of those inputs' squares: k*k Var(w) E[x^2]
    away from the borders, less where "same" padding reads zeros, which the prediction counts
    exactly. With the seed's Xavier, k*k Var(w) = 2 / (1 + M).

    Works on a copy, so ``model``'s weights, buffers and mode are left as they are.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(inputs, torch.Tensor) or not inputs.is_floating_point():
        raise TypeError(f"inputs must be a float tensor (a batch), got {type(inputs).__name__}")
    copy = deepcopy(model)
    convs = [(name, m) for name, m in copy.named_modules()
             if isinstance(m, nn.Conv2d) and m.groups > 1 and m.groups == m.in_channels]
    if not convs:
        raise ValueError(f"{type(model).__name__} has no depthwise convolution")
    seen: dict[str, tuple[float, float, float]] = {}

    def keep(name, conv):
        def hook(_module, args, output):
            square = args[0].pow(2)
            ones = torch.ones_like(conv.weight)
            # The sum of the squares each output reads, borders included: what Var(w) multiplies.
            reach = F.conv2d(square, ones, None, conv.stride, conv.padding, conv.dilation, conv.groups)
            seen[name] = (square.mean().item(), reach.mean().item(), output.pow(2).mean().item())
        return hook

    hooks = [m.register_forward_hook(keep(name, m)) for name, m in convs]
    try:
        with torch.no_grad():
            copy(inputs)
    finally:
        for h in hooks:
            h.remove()
    rows = []
    for name, conv in convs:
        variance = conv.weight.var().item()
        square_in, reach, square_out = seen[name]
        rows.append({"layer": name, "M": conv.in_channels, "weight variance": round(variance, 5),
                     "k² Var(w)": round(math.prod(conv.kernel_size) * variance, 4),
                     "predicted gain": round(variance * reach / square_in, 4),
                     "measured gain": round(square_out / square_in, 4)})
    return DepthwiseGains(rows)
