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
from dataclasses import dataclass
from fractions import Fraction

import torch
from torch import nn

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
    M, N = checks.positive_int("M", M), checks.positive_int("N", N)
    return tuple(g for g in range(1, min(M, N) + 1) if M % g == 0 and N % g == 0)


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
COUNTED_KINDS = ("standard", "grouped", "depthwise", "pointwise", "linear")
OTHER_LAYERS = "other layers"


def kind_group(kind: str) -> str:
    """A ``cost_table`` kind grouped for a summary: the kinds with mult-adds stay,
    everything else (BatchNorm, ReLU, pooling, ...) is OTHER_LAYERS."""
    return kind if kind in COUNTED_KINDS else OTHER_LAYERS


def kind_of(groups: int, in_channels: int, kernel_size) -> str:
    """'standard', 'pointwise' (1x1, dense), 'depthwise' (one input channel per group) or 'grouped'."""
    if groups == 1:
        return "pointwise" if checks.pair("kernel_size", kernel_size) == (1, 1) else "standard"
    if groups == in_channels:
        return "depthwise"
    return "grouped"


def conv_kind(conv: nn.Conv2d) -> str:
    """The kind of a ``nn.Conv2d`` (``kind_of`` its groups, input channels and kernel size)."""
    return kind_of(conv.groups, conv.in_channels, tuple(conv.kernel_size))


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

    def mult_add_shares(self) -> dict[str, float]:
        """Each counted kind's share of the total mult-adds, in ``COUNTED_KINDS`` order (only
        kinds the model has; notebook 05 sets them beside the shares of the time)."""
        kinds = self.by_kind()
        return {kind: kinds[kind]["mult_adds"] / self.total_macs for kind in COUNTED_KINDS if kind in kinds}


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


def _input_shape(model, input_shape, caller: str) -> tuple[int, ...]:
    """The checked input shape: the one given, else the model's ``input_shape``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"{caller} expects a torch.nn.Module, got {type(model).__name__}")
    if input_shape is None:
        input_shape = getattr(model, "input_shape", None)
        if input_shape is None:
            raise ValueError(f"{caller} needs input_shape, e.g. (1, 1, 28, 28) for one "
                             "Fashion-MNIST image: the model has no input_shape attribute")
    return checks.shape("input_shape", input_shape)


def _zeros_for(model: nn.Module, input_shape: tuple[int, ...]) -> torch.Tensor:
    """An all-zero input on the model's device, in its floating-point dtype."""
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    return torch.zeros(input_shape, device=device, dtype=dtype)


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
    input_shape = _input_shape(model, input_shape, "cost_table")

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
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(_zeros_for(model, input_shape))
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


# --- checking the formulas against two counters (notebook 03) -----------------

def flop_counter_macs(model: nn.Module, input_shape=None) -> dict[str, int]:
    """Forward mult-adds of every module as ``FlopCounterMode`` counts them (its FLOPs / 2).

    Keys are module names as in ``model.named_modules()`` ("" is the whole
    model); a module called twice is counted twice. Forward pass only:
    ``FlopCounterMode`` overcounts the backward pass of grouped convolutions
    (notebook 03 shows by how much).
    """
    from torch.utils.flop_counter import FlopCounterMode

    input_shape = _input_shape(model, input_shape, "flop_counter_macs")
    was_training = model.training
    try:
        model.eval()
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            model(_zeros_for(model, input_shape))
    finally:
        model.train(was_training)
    macs = {}
    for path, per_op in counter.get_flop_counts().items():
        if path != "Global":
            # Paths start with the root's class name: "ReferenceCNN.conv2.depthwise_conv".
            macs[path.partition(".")[2]] = sum(per_op.values()) // 2
    return macs


def _product_text(*factors: int) -> str:
    return "·".join(str(f) for f in factors)


def _seed_formula(module: nn.Module, output_shape: tuple[int, ...]) -> tuple[str, int]:
    """The seed's formula for one call of a layer: as text in the layer's numbers, and its value."""
    batch = output_shape[0]
    if isinstance(module, nn.Linear):
        # A fully connected layer is a 1x1 conv over a single position (per leading index).
        positions = batch * torch.Size(output_shape[1:-1]).numel()
        m, n = module.in_features, module.out_features
        factors = ([positions] if positions > 1 else []) + [m, n]
        return _product_text(*factors), positions * pointwise_conv_macs(m, n, 1)
    dk, df = tuple(module.kernel_size), tuple(output_shape[-2:])
    m, n, groups = module.in_channels, module.out_channels, module.groups
    kind = conv_kind(module)
    if kind == "depthwise":
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
    """Each Conv2d and Linear layer's mult-adds three ways: the seed's formula,
    ``cost_table`` and ``FlopCounterMode`` (notebook 03)."""

    title = "Mult-adds per layer: formula = cost_table = FlopCounterMode / 2"

    def __init__(self, rows: list[dict]):
        self.all_agree = all(r["agree"] == "yes" for r in rows)
        super().__init__(["name", "kind", "formula", "= mult-adds", "cost_table",
                          "FlopCounterMode / 2", "agree"], rows,
                         numeric=("= mult-adds", "cost_table", "FlopCounterMode / 2"))


def formula_check(model: nn.Module, input_shape=None) -> FormulaCheck:
    """Count every Conv2d and Linear layer with the seed's formulas and with two counters.

    The formula column writes Dk·Dk·M·N·DF·DF (standard), Dk·Dk·M·DF·DF
    (depthwise), M·N·DF·DF (pointwise) or M·N (fully connected) in the
    layer's own numbers, DF read from its output. ``all_agree`` is True when
    the formula, ``cost_table`` and ``FlopCounterMode`` agree on every layer
    (notebook 03).
    """
    table = cost_table(model, input_shape)
    by_counter = flop_counter_macs(model, table.input_shape)
    modules = dict(model.named_modules())
    calls: dict[str, list[dict]] = {}  # a layer called twice has two rows in the cost table
    for row in table.rows:
        if isinstance(modules.get(row["name"]), (nn.Conv2d, nn.Linear)):
            calls.setdefault(row["name"], []).append(row)
    rows = []
    for name, layer_rows in calls.items():
        formulas = [_seed_formula(modules[name], r["output_shape"]) for r in layer_rows]
        value = sum(v for _, v in formulas)
        counted = sum(r["mult_adds"] for r in layer_rows)
        counter = by_counter.get(name, 0)
        rows.append({"name": name, "kind": layer_rows[0]["kind"],
                     "formula": " + ".join(text for text, _ in formulas), "= mult-adds": value,
                     "cost_table": counted, "FlopCounterMode / 2": counter,
                     "agree": "yes" if value == counted == counter else "NO"})
    return FormulaCheck(rows)


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
