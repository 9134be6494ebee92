"""Cost of convolutions: the seed's formulas, and an exact per-layer counter.

Symbols follow the seed and the MobileNets paper (notebook 03 derives them):

- ``Dk``: kernel size (int, or (height, width) for a non-square kernel)
- ``M``: input channels, ``N``: output channels
- ``DF``: size of the *output* feature map, i.e. the number of positions the
  kernel slides over (int, or (height, width)); ``conv_output_size`` turns an
  input size, stride and padding into it
- ``K``: depth multiplier (depthwise maps per input channel)

Costs are counted in mult-adds (one multiply and one add = 1 MAC). FLOP
counters such as ``torch.utils.flop_counter.FlopCounterMode`` report
2 x MACs. Biases are left out of mult-adds (one add per output, negligible
next to Dk*Dk*M); parameter formulas take ``bias=`` to count them separately.
"""
from __future__ import annotations

import numbers
from fractions import Fraction

import torch
from torch import nn

from . import _checks
from .tables import Table


def _area(name: str, size) -> int:
    h, w = _checks.pair(name, size)
    return h * w


def conv_output_size(input_size: int, Dk: int, stride: int = 1, padding: int = 0) -> int:
    """Output positions along one axis: floor((input + 2*padding - Dk) / stride) + 1."""
    input_size = _checks.positive_int("input_size", input_size)
    Dk = _checks.positive_int("Dk", Dk)
    stride = _checks.positive_int("stride", stride)
    padding = _checks.non_negative_int("padding", padding)
    if input_size + 2 * padding < Dk:
        raise ValueError(f"a kernel of size Dk={Dk} does not fit an input of size {input_size} "
                         f"with padding={padding}; need input_size + 2*padding >= Dk")
    return (input_size + 2 * padding - Dk) // stride + 1


# --- mult-adds --------------------------------------------------------------

def standard_conv_macs(Dk, M: int, N: int, DF) -> int:
    """Standard convolution: Dk*Dk*M*N*DF*DF mult-adds (seed: 普通卷积计算量)."""
    return (_area("Dk", Dk) * _checks.positive_int("M", M) * _checks.positive_int("N", N)
            * _area("DF", DF))


def depthwise_conv_macs(Dk, M: int, DF, depth_multiplier: int = 1) -> int:
    """Depthwise step: Dk*Dk*M*K*DF*DF mult-adds (K = depth multiplier, 1 in the seed)."""
    return (_area("Dk", Dk) * _checks.positive_int("M", M)
            * _checks.positive_int("depth_multiplier", depth_multiplier) * _area("DF", DF))


def pointwise_conv_macs(M: int, N: int, DF) -> int:
    """Pointwise (1x1) step: M*N*DF*DF mult-adds."""
    return _checks.positive_int("M", M) * _checks.positive_int("N", N) * _area("DF", DF)


def separable_conv_macs(Dk, M: int, N: int, DF, depth_multiplier: int = 1) -> int:
    """Depthwise + pointwise: Dk*Dk*M*K*DF*DF + (M*K)*N*DF*DF mult-adds."""
    k = _checks.positive_int("depth_multiplier", depth_multiplier)
    return depthwise_conv_macs(Dk, M, DF, k) + pointwise_conv_macs(M * k, N, DF)


# --- parameters -------------------------------------------------------------

def standard_conv_params(Dk, M: int, N: int, bias: bool = False) -> int:
    """Standard convolution: Dk*Dk*M*N weights (+ N biases if ``bias``)."""
    N = _checks.positive_int("N", N)
    return _area("Dk", Dk) * _checks.positive_int("M", M) * N + (N if _checks.boolean("bias", bias) else 0)


def depthwise_conv_params(Dk, M: int, depth_multiplier: int = 1) -> int:
    """Depthwise step: Dk*Dk*M*K weights (no bias, as in the seed)."""
    return (_area("Dk", Dk) * _checks.positive_int("M", M)
            * _checks.positive_int("depth_multiplier", depth_multiplier))


def pointwise_conv_params(M: int, N: int, bias: bool = False) -> int:
    """Pointwise step: M*N weights (+ N biases if ``bias``)."""
    return standard_conv_params(1, M, N, bias)


def separable_conv_params(Dk, M: int, N: int, depth_multiplier: int = 1, bias: bool = False) -> int:
    """Depthwise + pointwise: Dk*Dk*M*K + (M*K)*N weights (+ N pointwise biases if ``bias``)."""
    k = _checks.positive_int("depth_multiplier", depth_multiplier)
    return depthwise_conv_params(Dk, M, k) + pointwise_conv_params(M * k, N, bias)


# --- ratios -----------------------------------------------------------------

def _is_exact(*values) -> bool:
    return all(isinstance(v, numbers.Integral) for v in values)


def cost_ratio(N, Dk, depth_multiplier: int = 1):
    """Separable / standard mult-adds: K/N + K/Dk^2 (the seed's 1/N + 1/Dk^2 for K = 1).

    A ``fractions.Fraction`` when given ints (exact), else a float. For a
    non-square kernel, Dk^2 means kh*kw. It is independent of M and DF: both cancel.
    """
    k = _checks.positive_int("depth_multiplier", depth_multiplier)
    if isinstance(Dk, (tuple, list)) or _is_exact(N, Dk):
        N = _checks.positive_int("N", N)
        return Fraction(k, N) + Fraction(k, _area("Dk", Dk))
    n = _checks.positive_number("N", N)
    d = _checks.positive_number("Dk", Dk)
    return k / n + k / (d * d)


def param_ratio(N, Dk, M, depth_multiplier: int = 1):
    """Separable / standard weights: (Dk^2*M*K + M*K*N) / (Dk^2*M*N), the seed's formula.

    Exact (a Fraction) for ints. Simplified it is K/N + K/Dk^2: the same number
    as ``cost_ratio``, because both costs are the weight counts times DF*DF.
    """
    k = _checks.positive_int("depth_multiplier", depth_multiplier)
    if isinstance(Dk, (tuple, list)) or _is_exact(N, Dk, M):
        N = _checks.positive_int("N", N)
        M = _checks.positive_int("M", M)
        area = _area("Dk", Dk)
        return Fraction(area * M * k + M * k * N, area * M * N)
    n = _checks.positive_number("N", N)
    d = _checks.positive_number("Dk", Dk)
    m = _checks.positive_number("M", M)
    return (d * d * m * k + m * k * n) / (d * d * m * n)


# --- counting a real model --------------------------------------------------

def conv_kind(conv: nn.Conv2d) -> str:
    """'standard', 'pointwise' (1x1, dense), 'depthwise' or 'grouped'."""
    if conv.groups == 1:
        return "pointwise" if tuple(conv.kernel_size) == (1, 1) else "standard"
    if conv.groups == conv.in_channels:
        return "depthwise"
    return "grouped"


class CostTable(Table):
    """Per-layer cost of one forward pass, in call order, with totals.

    Rows are dicts with ``name``, ``kind``, ``params``, ``mult_adds`` and
    ``output_shape``; ``total_macs`` and ``total_params`` are the totals.
    """

    title = "Cost per layer (mult-adds exclude biases; FLOPs = 2 x mult-adds)"

    def __init__(self, rows: list[dict], input_shape: tuple[int, ...]):
        self.input_shape = input_shape
        self.total_macs = sum(r["mult_adds"] for r in rows)
        self.total_params = sum(r["params"] for r in rows)
        super().__init__(["name", "kind", "params", "mult_adds", "output_shape"], rows,
                         totals={"name": "total", "params": self.total_params,
                                 "mult_adds": self.total_macs},
                         numeric=("params", "mult_adds"))

    def by_kind(self) -> dict[str, dict[str, int]]:
        """Totals of params and mult-adds for each layer kind."""
        out: dict[str, dict[str, int]] = {}
        for r in self.rows:
            slot = out.setdefault(r["kind"], {"params": 0, "mult_adds": 0})
            slot["params"] += r["params"]
            slot["mult_adds"] += r["mult_adds"]
        return out


def _module_macs(module: nn.Module, output: torch.Tensor) -> int:
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return output.numel() * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.Linear):
        return output.numel() * module.in_features
    return 0


def _kind(module: nn.Module) -> str:
    if isinstance(module, nn.Conv2d):
        return conv_kind(module)
    if isinstance(module, nn.Linear):
        return "linear"
    return type(module).__name__


# Layers with real compute that this counter does not model: refuse rather than report 0.
_UNSUPPORTED = (nn.modules.conv._ConvNd, nn.Bilinear, nn.MultiheadAttention, nn.RNNBase)


def cost_table(model: nn.Module, input_shape=None) -> CostTable:
    """Count parameters and mult-adds of every layer in one forward pass.

    ``input_shape`` includes the batch dimension, e.g. ``(1, 1, 28, 28)`` for one
    Fashion-MNIST image; it defaults to ``model.input_shape`` where the model
    has one (``mobilenet_v1`` does). Conv2d and Linear layers are counted from
    their attributes and the traced output shapes; other layers (pooling,
    BatchNorm, ...) are listed with 0 mult-adds. Counts are per forward pass of
    the whole input, biases excluded, so ``total_macs`` equals
    ``FlopCounterMode``'s forward FLOPs / 2, and ``total_params`` equals
    ``sum(p.numel() for p in model.parameters())``. Notebook 03 checks both.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"cost_table expects a torch.nn.Module, got {type(model).__name__}")
    if input_shape is None:
        input_shape = getattr(model, "input_shape", None)
        if input_shape is None:
            raise ValueError("cost_table needs input_shape, e.g. (1, 1, 28, 28) for one "
                             "Fashion-MNIST image: the model has no input_shape attribute")
    input_shape = _checks.shape("input_shape", input_shape)

    names = {m: n for n, m in model.named_modules()}
    for name, module in model.named_modules():
        if isinstance(module, _UNSUPPORTED) and not isinstance(module, nn.Conv2d):
            raise TypeError(f"cost_table counts Conv2d and Linear layers; layer {name!r} is a "
                            f"{type(module).__name__}, whose cost it cannot count")

    rows: list[dict] = []
    params_counted: set[int] = set()

    def record(module, _inputs, output):
        own = [p for p in module.parameters(recurse=False) if id(p) not in params_counted]
        params_counted.update(id(p) for p in own)
        out_shape = tuple(output.shape) if isinstance(output, torch.Tensor) else ()
        rows.append({"name": names[module], "kind": _kind(module),
                     "params": sum(p.numel() for p in own),
                     "mult_adds": _module_macs(module, output) if isinstance(output, torch.Tensor) else 0,
                     "output_shape": out_shape})

    leaves = [m for m in model.modules() if not list(m.children())]
    hooks = [m.register_forward_hook(record) for m in leaves]
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(input_shape, device=device, dtype=dtype))
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()

    # Parameters the forward pass never reached (unused layers, parameters held by
    # containers) still count toward the model's size.
    leftover = sum(p.numel() for p in model.parameters() if id(p) not in params_counted)
    if leftover:
        rows.append({"name": "(parameters not used in forward)", "kind": "-", "params": leftover,
                     "mult_adds": 0, "output_shape": ()})
    return CostTable(rows, input_shape)
