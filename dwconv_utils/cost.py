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

import math
import numbers
import warnings
from dataclasses import dataclass
from fractions import Fraction

import torch
from torch import nn
from torch.nn.utils import parametrize

from . import checks
from .tables import Table


def _area(name: str, size) -> int:
    h, w = checks.pair(name, size)
    return h * w


def conv_output_size(input_size: int, Dk: int, stride: int = 1, padding: int = 0) -> int:
    """Output positions along one axis: floor((input + 2*padding - Dk) / stride) + 1."""
    input_size = checks.positive_int("input_size", input_size)
    Dk = checks.positive_int("Dk", Dk)
    stride = checks.positive_int("stride", stride)
    padding = checks.non_negative_int("padding", padding)
    if input_size + 2 * padding < Dk:
        raise ValueError(f"a kernel of size Dk={Dk} does not fit an input of size {input_size} "
                         f"with padding={padding}; need input_size + 2*padding >= Dk")
    return (input_size + 2 * padding - Dk) // stride + 1


# --- mult-adds --------------------------------------------------------------

def standard_conv_macs(Dk, M: int, N: int, DF) -> int:
    """Standard convolution: Dk*Dk*M*N*DF*DF mult-adds (seed: 普通卷积计算量)."""
    return (_area("Dk", Dk) * checks.positive_int("M", M) * checks.positive_int("N", N)
            * _area("DF", DF))


def depthwise_conv_macs(Dk, M: int, DF, depth_multiplier: int = 1) -> int:
    """Depthwise step: Dk*Dk*M*K*DF*DF mult-adds (K = depth multiplier, 1 in the seed)."""
    return (_area("Dk", Dk) * checks.positive_int("M", M)
            * checks.positive_int("depth_multiplier", depth_multiplier) * _area("DF", DF))


def pointwise_conv_macs(M: int, N: int, DF) -> int:
    """Pointwise (1x1) step: M*N*DF*DF mult-adds."""
    return checks.positive_int("M", M) * checks.positive_int("N", N) * _area("DF", DF)


def separable_conv_macs(Dk, M: int, N: int, DF, depth_multiplier: int = 1) -> int:
    """Depthwise + pointwise: Dk*Dk*M*K*DF*DF + (M*K)*N*DF*DF mult-adds."""
    k = checks.positive_int("depth_multiplier", depth_multiplier)
    return depthwise_conv_macs(Dk, M, DF, k) + pointwise_conv_macs(M * k, N, DF)


def check_groups(M: int, N: int, groups: int) -> int:
    """``groups`` if it divides both channel counts (as ``nn.Conv2d`` requires), else a clear error."""
    M, N, groups = (checks.positive_int(name, v) for name, v in (("M", M), ("N", N), ("groups", groups)))
    if M % groups or N % groups:
        raise ValueError(f"groups must divide both M={M} and N={N}; allowed: "
                         f"{', '.join(map(str, group_choices(M, N)))}; got {groups}")
    return groups


def group_choices(M: int, N: int) -> tuple[int, ...]:
    """Every ``groups`` a conv from M to N channels can have: the common divisors, 1 to gcd(M, N)."""
    common = math.gcd(checks.positive_int("M", M), checks.positive_int("N", N))
    return tuple(g for g in range(1, common + 1) if common % g == 0)


def grouped_conv_macs(Dk, M: int, N: int, DF, groups: int) -> int:
    """A conv with ``groups`` groups: Dk*Dk*(M/groups)*N*DF*DF mult-adds. groups=1 is the
    standard conv, groups=M (N = K*M) the depthwise step."""
    groups = check_groups(M, N, groups)
    return _area("Dk", Dk) * (M // groups) * N * _area("DF", DF)


def grouped_conv_params(Dk, M: int, N: int, groups: int) -> int:
    """Its weights: N kernels of shape (M/groups, Dk, Dk), no bias."""
    groups = check_groups(M, N, groups)
    return _area("Dk", Dk) * (M // groups) * N


# --- parameters -------------------------------------------------------------

def standard_conv_params(Dk, M: int, N: int, bias: bool = False) -> int:
    """Standard convolution: Dk*Dk*M*N weights (+ N biases if ``bias``)."""
    N = checks.positive_int("N", N)
    return _area("Dk", Dk) * checks.positive_int("M", M) * N + (N if checks.boolean("bias", bias) else 0)


def depthwise_conv_params(Dk, M: int, depth_multiplier: int = 1) -> int:
    """Depthwise step: Dk*Dk*M*K weights (no bias, as in the seed)."""
    return (_area("Dk", Dk) * checks.positive_int("M", M)
            * checks.positive_int("depth_multiplier", depth_multiplier))


def pointwise_conv_params(M: int, N: int, bias: bool = False) -> int:
    """Pointwise step: M*N weights (+ N biases if ``bias``)."""
    return standard_conv_params(1, M, N, bias)


def separable_conv_params(Dk, M: int, N: int, depth_multiplier: int = 1, bias: bool = False) -> int:
    """Depthwise + pointwise: Dk*Dk*M*K + (M*K)*N weights (+ N pointwise biases if ``bias``)."""
    k = checks.positive_int("depth_multiplier", depth_multiplier)
    return depthwise_conv_params(Dk, M, k) + pointwise_conv_params(M * k, N, bias)


# --- ratios -----------------------------------------------------------------

def _is_exact(*values) -> bool:
    return all(isinstance(v, numbers.Integral) for v in values)


def cost_ratio(N, Dk, depth_multiplier: int = 1):
    """Separable / standard mult-adds: K/N + K/Dk^2 (the seed's 1/N + 1/Dk^2 for K = 1).

    A ``fractions.Fraction`` when given ints (exact), else a float. For a
    non-square kernel, Dk^2 means kh*kw. It is independent of M and DF: both cancel.
    """
    k = checks.positive_int("depth_multiplier", depth_multiplier)
    if isinstance(Dk, (tuple, list)) or _is_exact(N, Dk):
        N = checks.positive_int("N", N)
        return Fraction(k, N) + Fraction(k, _area("Dk", Dk))
    n = checks.positive_number("N", N)
    d = checks.positive_number("Dk", Dk)
    return k / n + k / (d * d)


def param_ratio(N, Dk, M, depth_multiplier: int = 1):
    """Separable / standard weights: (Dk^2*M*K + M*K*N) / (Dk^2*M*N), the seed's formula.

    Exact (a Fraction) for ints. Simplified it is K/N + K/Dk^2: the same number
    as ``cost_ratio``, because both costs are the weight counts times DF*DF.
    """
    k = checks.positive_int("depth_multiplier", depth_multiplier)
    if isinstance(Dk, (tuple, list)) or _is_exact(N, Dk, M):
        N = checks.positive_int("N", N)
        M = checks.positive_int("M", M)
        area = _area("Dk", Dk)
        return Fraction(area * M * k + M * k * N, area * M * N)
    n = checks.positive_number("N", N)
    d = checks.positive_number("Dk", Dk)
    m = checks.positive_number("M", M)
    return (d * d * m * k + m * k * n) / (d * d * m * n)


# --- one layer, every part ----------------------------------------------------

@dataclass(frozen=True)
class ConvCosts:
    """What one Dk x Dk conv from M to N channels on a DF x DF output map costs, as a standard
    conv and as its depthwise + pointwise steps: mult-adds and weights (no biases) of each
    part, and the exact ratio separable / standard (notebooks 03 and 05, their widgets).
    Build it with ``conv_costs(Dk, M, N, DF)``."""

    Dk: int
    M: int
    N: int
    DF: int

    @property
    def macs(self) -> dict[str, int]:
        """Mult-adds of "standard", "depthwise", "pointwise" and "separable" (their sum)."""
        dw, pw = depthwise_conv_macs(self.Dk, self.M, self.DF), pointwise_conv_macs(self.M, self.N, self.DF)
        return {"standard": standard_conv_macs(self.Dk, self.M, self.N, self.DF),
                "depthwise": dw, "pointwise": pw, "separable": dw + pw}

    @property
    def params(self) -> dict[str, int]:
        """Weights of the same four parts."""
        dw, pw = depthwise_conv_params(self.Dk, self.M), pointwise_conv_params(self.M, self.N)
        return {"standard": standard_conv_params(self.Dk, self.M, self.N),
                "depthwise": dw, "pointwise": pw, "separable": dw + pw}

    @property
    def ratio(self) -> Fraction:
        """Separable / standard mult-adds, exactly 1/N + 1/Dk^2."""
        return cost_ratio(self.N, self.Dk)

    @property
    def param_ratio(self) -> Fraction:
        """Separable / standard weights, exactly (the same number as ``ratio``)."""
        return param_ratio(self.N, self.Dk, self.M)


def conv_costs(Dk: int, M: int, N: int, DF: int) -> ConvCosts:
    """Every part's cost of one layer (``ConvCosts``); each size must be a positive int."""
    return ConvCosts(*(checks.positive_int(name, value)
                       for name, value in (("Dk", Dk), ("M", M), ("N", N), ("DF", DF))))


# --- counting a real model --------------------------------------------------

# The kinds cost_table gives layers with mult-adds; every other layer is named by its class
# (BatchNorm2d, ReLU, ...) and does none. Notebook 05 groups those as OTHER_LAYERS.
# "functional" is the row of work no layer did (F.conv2d, matmuls), measured by FlopCounterMode.
COUNTED_KINDS = ("standard", "grouped", "depthwise", "pointwise", "transposed", "linear", "functional")
OTHER_LAYERS = "other layers"
FUNCTIONAL = "functional"


def kind_group(kind: str) -> str:
    """A ``cost_table`` kind grouped for a summary: the kinds with mult-adds stay,
    everything else (BatchNorm, ReLU, pooling, ...) is OTHER_LAYERS."""
    return kind if kind in COUNTED_KINDS else OTHER_LAYERS


def kind_of(groups: int, in_channels: int, kernel_size) -> str:
    """'standard', 'pointwise' (1x1, dense), 'depthwise' (one input channel per group) or
    'grouped'; ``kernel_size`` is an int or a tuple of any length (Conv1d, Conv2d, Conv3d)."""
    sizes = tuple(kernel_size) if isinstance(kernel_size, (tuple, list)) else (kernel_size,)
    if groups == 1:
        return "pointwise" if all(checks.positive_int("kernel_size", k) == 1 for k in sizes) else "standard"
    if groups == in_channels:
        return "depthwise"
    return "grouped"


def conv_kind(conv: nn.modules.conv._ConvNd) -> str:
    """The kind of a convolution layer: ``kind_of`` its groups, input channels and kernel size,
    or 'transposed' for a ConvTranspose layer."""
    if isinstance(conv, _TRANSPOSED):
        return "transposed"
    return kind_of(conv.groups, conv.in_channels, tuple(conv.kernel_size))


class CostTable(Table):
    """Per-layer cost of one forward pass, in call order, with totals.

    Rows are dicts with ``name``, ``kind``, ``params``, ``mult_adds`` and
    ``output_shape``; ``total_macs`` and ``total_params`` are the totals.
    ``measured_macs`` is FlopCounterMode's count of the whole forward pass (its FLOPs / 2);
    when the layers do not add up to it, the difference is a row of kind "functional" and
    ``outside_ops`` names the operations it came from.
    """

    title = "Cost per layer (mult-adds exclude biases; FLOPs = 2 x mult-adds)"

    def __init__(self, rows: list[dict], input_shape: tuple[int, ...], measured_macs: int | None = None,
                 outside_ops: dict[str, int] | None = None):
        self.input_shape = input_shape
        self.total_macs = sum(r["mult_adds"] for r in rows)
        self.total_params = sum(r["params"] for r in rows)
        self.measured_macs = self.total_macs if measured_macs is None else measured_macs
        self.outside_ops = dict(outside_ops or {})
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

    def mult_add_shares(self) -> dict[str, float]:
        """Each counted kind's share of the total mult-adds, in ``COUNTED_KINDS`` order (only
        kinds the model has; notebook 05 sets them beside the shares of the time)."""
        kinds = self.by_kind()
        return {kind: kinds[kind]["mult_adds"] / self.total_macs for kind in COUNTED_KINDS if kind in kinds}


_TRANSPOSED = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
_CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d) + _TRANSPOSED
_COUNTED = _CONVS + (nn.Linear,)


def _module_macs(module: nn.Module, inputs, output: torch.Tensor) -> int:
    if isinstance(module, _TRANSPOSED):
        # Every input value is spread over C_out/groups kernels; the zeros a stride puts between
        # input values are never multiplied (other counters multiply them too).
        return inputs[0].numel() * (module.out_channels // module.groups) * math.prod(module.kernel_size)
    if isinstance(module, _CONVS):
        return output.numel() * (module.in_channels // module.groups) * math.prod(module.kernel_size)
    if isinstance(module, nn.Linear):
        return output.numel() * module.in_features
    return 0


def _kind(module: nn.Module) -> str:
    if isinstance(module, _CONVS):
        return conv_kind(module)
    if isinstance(module, nn.Linear):
        return "linear"
    return type(module).__name__


# Layers with real compute that neither this counter nor FlopCounterMode models: refuse rather
# than report 0 (FlopCounterMode has no rule for their ops either).
_UNSUPPORTED = (nn.Bilinear, nn.MultiheadAttention, nn.RNNBase)


def _input_shape(model, input_shape, caller: str) -> tuple[int, ...]:
    """The checked input shape: the one given, else the model's ``input_shape``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"{caller} expects a torch.nn.Module, got {type(model).__name__}")
    if input_shape is None:
        input_shape = getattr(model, "input_shape", None)
        if input_shape is None:
            raise ValueError(f"{caller} needs input_shape, e.g. (1, 1, 28, 28) for one "
                             "Fashion-MNIST image: the model has no input_shape attribute")
    shape = checks.shape("input_shape", input_shape)
    if isinstance(model, _CONVS + (nn.Linear,)):
        _check_first_layer_input(caller, "the model", model, shape, shape)
    return shape


def _expected_input(layer: nn.Module) -> str:
    """What a layer takes, with the batch dimension: (batch, 3, height, width)."""
    if isinstance(layer, nn.Linear):
        return f"(batch, ..., {layer.in_features})"
    spatial = {1: "length", 2: "height, width", 3: "depth, height, width"}[len(layer.kernel_size)]
    return f"(batch, {layer.in_channels}, {spatial})"


class _ShapeMismatch(ValueError):
    """``input_shape`` does not fit the model's first layer (raised before or during the pass)."""


def _check_first_layer_input(caller: str, name: str, layer: nn.Module, received, input_shape) -> None:
    """A clear error when the first counted layer cannot take what it receives: a wrong rank
    (often a missing batch dimension) or a wrong channel count."""
    received = tuple(received)
    if isinstance(layer, nn.Linear):
        if received[-1] != layer.in_features:
            raise _ShapeMismatch(f"{caller}: input_shape={input_shape} does not fit: {name} (a Linear "
                             f"layer) takes {_expected_input(layer)}, but gets a last dimension of "
                             f"{received[-1]}")
        return
    rank = len(layer.kernel_size) + 2
    if len(received) != rank:
        hint = (f"; did you mean {(1, *received)}? input_shape includes the batch dimension"
                if len(received) == rank - 1 else "; input_shape includes the batch dimension")
        raise _ShapeMismatch(f"{caller}: input_shape={input_shape} does not fit: {name} ("
                         f"{type(layer).__name__}) takes {rank} dimensions, {_expected_input(layer)}, "
                         f"but gets {len(received)}, {received}{hint}")
    if received[1] != layer.in_channels:
        raise _ShapeMismatch(f"{caller}: input_shape={input_shape} does not fit: {name} ("
                         f"{type(layer).__name__}) takes {layer.in_channels} channels, "
                         f"{_expected_input(layer)}, but gets {received[1]} (shape {received})")


def _zeros_for(model: nn.Module, input_shape: tuple[int, ...]) -> torch.Tensor:
    """An all-zero input on the model's device, in its floating-point dtype."""
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    return torch.zeros(input_shape, device=device, dtype=dtype)


def _counted_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Every leaf module and every Conv/Linear layer (a parametrized one has children), leaving
    out the modules that compute a parametrized weight (weight_norm, ...)."""
    inside = {id(part) for m in model.modules() if parametrize.is_parametrized(m)
              for part in m.parametrizations.modules()}
    return [(name, m) for name, m in model.named_modules()
            if id(m) not in inside and (isinstance(m, _COUNTED) or not list(m.children()))]


def _own_parameters(module: nn.Module) -> list[nn.Parameter]:
    """A layer's parameters, the originals behind a parametrized weight included."""
    own = list(module.parameters(recurse=False))
    if parametrize.is_parametrized(module):
        own += list(module.parametrizations.parameters())
    return own


class _Snapshot:
    """Every module's own ``training`` flag, to put back exactly as it was (a BatchNorm frozen in
    eval inside a model in train mode stays frozen)."""

    def __init__(self, model: nn.Module):
        self.flags = [(m, m.training) for m in model.modules()]

    def restore(self) -> None:
        for module, flag in self.flags:
            module.training = flag


def _forward_once(model: nn.Module, input_shape: tuple[int, ...], caller: str, hooks=()):
    """Run the model once on zeros in eval mode with no gradients, under FlopCounterMode, with
    ``hooks`` = [(module, forward hook)] attached; everything is put back afterwards. Returns
    the FlopCounterMode. A failing forward pass is re-raised with what input_shape was."""
    from torch.utils.flop_counter import FlopCounterMode

    layers = [m for _, m in _counted_modules(model) if isinstance(m, _COUNTED)]
    first = layers[0] if layers else None
    first_seen = []

    def check_first(module, inputs):
        if not first_seen:
            first_seen.append(module)
            if inputs and isinstance(inputs[0], torch.Tensor):
                name = next(n for n, m in model.named_modules() if m is module) or "the model"
                _check_first_layer_input(caller, name, module, inputs[0].shape, input_shape)

    snapshot = _Snapshot(model)
    handles = [m.register_forward_pre_hook(check_first) for m in layers]
    handles += [m.register_forward_hook(hook) for m, hook in hooks]
    try:
        model.eval()
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            try:
                model(_zeros_for(model, input_shape))
            except _ShapeMismatch:
                raise
            except (ValueError, RuntimeError, TypeError, IndexError) as error:
                raise _forward_failed(caller, model, input_shape, first, error) from error
    finally:
        snapshot.restore()
        for handle in handles:
            handle.remove()
    return counter


def _forward_failed(caller: str, model, input_shape, first, error) -> ValueError:
    expected = getattr(model, "input_shape", None)
    if expected is not None:
        wants = f"the model's own input_shape is {tuple(expected)}"
    elif first is not None:
        wants = f"its first layer takes {_expected_input(first)}"
    else:
        wants = "the model says nothing about the shape it takes"
    return ValueError(f"{caller}: the model's forward pass failed on zeros of input_shape="
                      f"{input_shape} ({wants}; input_shape includes the batch dimension): "
                      f"{type(error).__name__}: {error}")


def _measured(counter) -> tuple[int, dict[str, dict[str, int]]]:
    """FlopCounterMode's whole-pass mult-adds, and its mult-adds per module path and op."""
    counts = counter.get_flop_counts()
    per_path = {path.partition(".")[2] if path != "Global" else None:
                {str(op): flops // 2 for op, flops in ops.items()} for path, ops in counts.items()}
    total = sum(per_path.get(None, {}).values())
    return total, per_path


def _outside_ops(per_path: dict, counted_names: set[str]) -> dict[str, int]:
    """Mult-adds per op that FlopCounterMode saw outside every counted layer."""
    outside = dict(per_path.get(None, {}))
    for path, ops in per_path.items():
        if path is not None and path in counted_names:
            for op, macs in ops.items():
                outside[op] = outside.get(op, 0) - macs
    return {op: macs for op, macs in outside.items() if macs}


def cost_table(model: nn.Module, input_shape=None) -> CostTable:
    """Count parameters and mult-adds of every layer in one forward pass, exactly or loudly.

    ``input_shape`` includes the batch dimension, e.g. ``(1, 1, 28, 28)`` for one
    Fashion-MNIST image; it defaults to ``model.input_shape`` where the model
    has one (``mobilenet_v1`` does). Conv1d/2d/3d, ConvTranspose1d/2d/3d and Linear layers
    (parametrized ones too, e.g. under ``weight_norm``) are counted from their attributes and
    the traced shapes; other layers (pooling, BatchNorm, ...) are listed with 0 mult-adds. A
    ConvTranspose counts its input values x C_out/groups x kernel size: the zeros a stride
    inserts are not multiplied. Counts are per forward pass of the whole input, biases excluded.

    The same pass runs under ``FlopCounterMode``. Work no layer did (``F.conv2d`` called in a
    forward, matmuls such as attention's ``q @ k``) becomes a row of kind "functional" and a
    warning names its ops, so ``total_macs`` always equals FlopCounterMode's FLOPs / 2.
    ``total_params`` equals ``sum(p.numel() for p in model.parameters())``. Layers neither
    counter can count (RNNs, Bilinear, MultiheadAttention) are refused with a TypeError. The
    model is left as it was: every module's training flag, parameters, buffers and hooks.
    Notebook 03 checks all this.
    """
    input_shape = _input_shape(model, input_shape, "cost_table")
    for name, module in model.named_modules():
        if isinstance(module, _UNSUPPORTED):
            raise TypeError(f"cost_table counts Conv1d/2d/3d, ConvTranspose and Linear layers; layer "
                            f"{name!r} is a {type(module).__name__}, whose cost it cannot count")

    names = {id(m): n for n, m in model.named_modules()}
    rows: list[dict] = []
    params_counted: set[int] = set()

    def record(module, inputs, output):
        own = [p for p in _own_parameters(module) if id(p) not in params_counted]
        params_counted.update(id(p) for p in own)
        is_tensor = isinstance(output, torch.Tensor)
        rows.append({"name": names[id(module)], "kind": _kind(module),
                     "params": sum(p.numel() for p in own),
                     "mult_adds": _module_macs(module, inputs, output) if is_tensor else 0,
                     "output_shape": tuple(output.shape) if is_tensor else (),
                     "input_shape": tuple(inputs[0].shape) if inputs and isinstance(inputs[0], torch.Tensor)
                     else ()})

    modules = _counted_modules(model)
    counter = _forward_once(model, input_shape, "cost_table", [(m, record) for _, m in modules])
    measured, per_path = _measured(counter)
    counted = sum(r["mult_adds"] for r in rows)
    outside = {}
    if measured != counted:
        outside = _outside_ops(per_path, {n for n, m in modules if isinstance(m, _COUNTED)})
        ops = ", ".join(f"{op} {macs:,}" for op, macs in sorted(outside.items())) or "none named"
        rows.append({"name": f"(work outside Conv/Linear layers: {ops})", "kind": FUNCTIONAL,
                     "params": 0, "mult_adds": measured - counted, "output_shape": ()})
        warnings.warn(f"cost_table: {measured - counted:,} of the model's {measured:,} mult-adds "
                      f"(FlopCounterMode) happen outside its Conv/Linear layers, in {ops} mult-adds "
                      "(functional convs, matmuls); the table shows them as one 'functional' row",
                      stacklevel=2)

    # Parameters the forward pass never reached (unused layers, parameters held by
    # containers) still count toward the model's size.
    leftover = sum(p.numel() for p in model.parameters() if id(p) not in params_counted)
    if leftover:
        rows.append({"name": "(parameters not used in forward)", "kind": "-", "params": leftover,
                     "mult_adds": 0, "output_shape": ()})
    return CostTable(rows, input_shape, measured, outside)


# --- checking the formulas against two counters (notebook 03) -----------------

def flop_counter_macs(model: nn.Module, input_shape=None) -> dict[str, int]:
    """Forward mult-adds of every module as ``FlopCounterMode`` counts them (its FLOPs / 2).

    Keys are module names as in ``model.named_modules()`` ("" is the whole
    model); a module called twice is counted twice. Forward pass only:
    ``FlopCounterMode`` overcounts the backward pass of grouped convolutions
    (notebook 03 shows by how much). The model is left as it was.
    """
    input_shape = _input_shape(model, input_shape, "flop_counter_macs")
    _, per_path = _measured(_forward_once(model, input_shape, "flop_counter_macs"))
    # Paths start with the root's class name: "ReferenceCNN.conv2.depthwise_conv".
    return {path: sum(ops.values()) for path, ops in per_path.items() if path is not None}


def _product_text(*factors: int) -> str:
    return "·".join(str(f) for f in factors)


def _seed_formula(module: nn.Module, output_shape: tuple[int, ...],
                  input_shape: tuple[int, ...] = ()) -> tuple[str, int]:
    """The seed's formula for one call of a layer: as text in the layer's numbers, and its value."""
    batch = output_shape[0]
    if isinstance(module, nn.Linear):
        # A fully connected layer is a 1x1 conv over a single position (per leading index).
        positions = batch * torch.Size(output_shape[1:-1]).numel()
        m, n = module.in_features, module.out_features
        factors = ([positions] if positions > 1 else []) + [m, n]
        return _product_text(*factors), positions * pointwise_conv_macs(m, n, 1)
    dk, df = tuple(module.kernel_size), tuple(output_shape[2:])
    m, n, groups = module.in_channels, module.out_channels, module.groups
    kind = conv_kind(module)
    if kind == "transposed":  # every input value times C_out/groups kernels
        factors = [*input_shape[2:], m, n // groups, *dk]
        value = math.prod(factors)
    elif not isinstance(module, nn.Conv2d):  # Conv1d, Conv3d: the same formula in 1 or 3 axes
        factors = [*([groups] if groups > 1 else []), *dk, m // groups, n // groups, *df]
        value = math.prod(factors)
    elif kind == "depthwise":
        k = n // m  # depth multiplier
        factors, value = [*dk, m, *([k] if k > 1 else []), *df], depthwise_conv_macs(dk, m, df, k)
    elif kind == "pointwise":
        factors, value = [m, n, *df], pointwise_conv_macs(m, n, df)
    else:  # standard, or grouped: each group is a standard conv from M/groups to N/groups channels
        factors = [*([groups] if groups > 1 else []), *dk, m // groups, n // groups, *df]
        value = groups * standard_conv_macs(dk, m // groups, n // groups, df)
    if batch > 1:
        factors, value = [batch, *factors], batch * value
    return _product_text(*factors), value


class FormulaCheck(Table):
    """Each conv and Linear layer's mult-adds three ways: the seed's formula, ``cost_table``
    and ``FlopCounterMode``, and the whole model's totals the same three ways (notebook 03)."""

    title = "Mult-adds per layer: formula = cost_table = FlopCounterMode / 2"

    def __init__(self, rows: list[dict], whole_model: dict):
        self.whole_model = whole_model
        # Nothing to compare is no agreement: a model whose work the check cannot see fails.
        self.all_agree = bool(rows) and all(r["agree"] == "yes" for r in rows + [whole_model])
        super().__init__(["name", "kind", "formula", "= mult-adds", "cost_table",
                          "FlopCounterMode / 2", "agree"], rows, totals=whole_model,
                         numeric=("= mult-adds", "cost_table", "FlopCounterMode / 2"))


def formula_check(model: nn.Module, input_shape=None) -> FormulaCheck:
    """Count every conv and Linear layer with the seed's formulas and with two counters.

    The formula column writes Dk·Dk·M·N·DF·DF (standard), Dk·Dk·M·DF·DF
    (depthwise), M·N·DF·DF (pointwise) or M·N (fully connected) in the
    layer's own numbers, DF read from its output (Conv1d/Conv3d: the same with their axes;
    ConvTranspose: input positions·M·N/groups·Dk·Dk). The last row compares the whole
    model: the formulas added up, the layers of ``cost_table`` (without its "functional" row)
    and ``FlopCounterMode`` over the whole forward pass. ``all_agree`` is True only when there
    are layers to check and all three agree on every layer and on the whole model, so work
    outside the layers (``F.conv2d``, matmuls) makes it False (notebook 03).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the whole-model row below says it, in its numbers
        table = cost_table(model, input_shape)
    by_counter = flop_counter_macs(model, table.input_shape)
    modules = dict(model.named_modules())
    calls: dict[str, list[dict]] = {}  # a layer called twice has two rows in the cost table
    for row in table.rows:
        if isinstance(modules.get(row["name"]), _COUNTED):
            calls.setdefault(row["name"], []).append(row)
    rows = []
    for name, layer_rows in calls.items():
        formulas = [_seed_formula(modules[name], r["output_shape"], r["input_shape"]) for r in layer_rows]
        value = sum(v for _, v in formulas)
        counted = sum(r["mult_adds"] for r in layer_rows)
        counter = by_counter.get(name, 0)
        rows.append({"name": name, "kind": layer_rows[0]["kind"],
                     "formula": " + ".join(text for text, _ in formulas), "= mult-adds": value,
                     "cost_table": counted, "FlopCounterMode / 2": counter,
                     "agree": "yes" if value == counted == counter else "NO"})
    formulas = sum(r["= mult-adds"] for r in rows)
    layers = sum(r["mult_adds"] for r in table.rows if r["kind"] != FUNCTIONAL)
    whole = {"name": "whole model", "formula": "sum of the layers", "= mult-adds": formulas,
             "cost_table": layers, "FlopCounterMode / 2": table.measured_macs,
             "agree": "yes" if formulas == layers == table.measured_macs else "NO"}
    return FormulaCheck(rows, whole)


# --- two versions of a model, layer by layer (notebook 03) --------------------

class CostComparison(Table):
    """Parameters and mult-adds of a standard model and its separable version, per layer."""

    title = "Standard vs separable, per layer (ratio: separable / standard mult-adds)"

    def __init__(self, rows: list[dict], standard: CostTable, separable: CostTable):
        self.standard, self.separable = standard, separable
        totals = {"layer": "total", "params: standard": standard.total_params,
                  "params: separable": separable.total_params,
                  "mult-adds: standard": standard.total_macs,
                  "mult-adds: separable": separable.total_macs,
                  "ratio": f"{separable.total_macs / standard.total_macs:.4f}"}
        super().__init__(list(totals), rows, totals=totals, numeric=tuple(list(totals)[1:]))


def totals_by_top_layer(rows: list[dict]) -> dict[str, dict[str, int]]:
    """Params and mult-adds of ``cost_table`` rows, summed per top-level layer (notebook 03).

    Rows are grouped by the first part of their names (``conv2.depthwise_conv``
    and ``conv2.pointwise_conv`` count as ``conv2``), in order of first
    appearance; layers with neither parameters nor mult-adds are left out.
    """
    layers: dict[str, dict[str, int]] = {}
    for r in rows:
        slot = layers.setdefault(r["name"].split(".")[0], {"params": 0, "mult_adds": 0})
        slot["params"] += r["params"]
        slot["mult_adds"] += r["mult_adds"]
    return {name: s for name, s in layers.items() if s["params"] or s["mult_adds"]}


def compare_costs(standard: CostTable, separable: CostTable) -> CostComparison:
    """Line up two ``cost_table``\\ s of the same network, standard and separable (notebook 03).

    Layers are matched by the first part of their names (``conv2`` holds
    ``conv2.depthwise_conv`` and ``conv2.pointwise_conv``); layers without
    parameters or mult-adds (pooling, activations) are left out.
    """
    std, sep = totals_by_top_layer(standard.rows), totals_by_top_layer(separable.rows)
    if list(std) != list(sep):
        raise ValueError("compare_costs needs the same layers in both tables; got "
                         f"{list(std)} and {list(sep)}")
    rows = []
    for name in std:
        s, p = std[name], sep[name]
        ratio = f"{p['mult_adds'] / s['mult_adds']:.4f}" if s["mult_adds"] else "-"
        rows.append({"layer": name, "params: standard": s["params"],
                     "params: separable": p["params"], "mult-adds: standard": s["mult_adds"],
                     "mult-adds: separable": p["mult_adds"], "ratio": ratio})
    return CostComparison(rows, standard, separable)
