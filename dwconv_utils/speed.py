"""Fewer FLOPs, but is it faster? Time per layer next to FLOPs per layer (notebook 05).

- ``layer_traffic``, ``bytes_moved``: the least memory traffic of a layer, from
  its shapes, and its arithmetic intensity (FLOPs per byte moved);
- ``time_layers``: every layer of a model timed inside real forward passes,
  beside its mult-adds from ``cost_table``;
- ``time_standard_vs_separable``: one standard conv against its depthwise and
  pointwise steps, timed on the spot (the notebook's widget uses it);
- ``matmul_gflops``, ``copy_bandwidth``: what this machine can do at best, the
  two roofs of a roofline picture.

Every time is a median over interleaved repeats (``timing.py``); nothing here
asserts a speed.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from fractions import Fraction

import torch
from torch import nn

from . import checks
from .cost import COUNTED_KINDS, OTHER_LAYERS, cost_ratio, cost_table, conv_costs, kind_group
from .device import pick_device
from .tables import Table
from .timing import Timing, measure, measure_interleaved, synchronize

ELEMENT_BYTES = 4  # float32
CONV_PARTS = ("standard", "depthwise", "pointwise")
BETWEEN_LAYERS = "between layers"  # work outside the layer modules (functional ReLUs, glue)
SHARE_ORDER = COUNTED_KINDS + (OTHER_LAYERS, BETWEEN_LAYERS)


# --- memory traffic and arithmetic intensity ---------------------------------

def bytes_moved(input_shape, output_shape, params: int, element_size: int = ELEMENT_BYTES) -> int:
    """The least traffic of one layer call: read the input and the weights once, write the
    output once (notebook 05). Real kernels move more (caches, padding); never less."""
    elements = (torch.Size(checks.shape("input_shape", input_shape)).numel()
                + torch.Size(checks.shape("output_shape", output_shape)).numel()
                + checks.non_negative_int("params", params))
    return elements * checks.positive_int("element_size", element_size)


@dataclass(frozen=True)
class Traffic:
    """Mult-adds and least bytes moved of one layer call (notebook 05)."""

    macs: int
    bytes: int

    @property
    def flops(self) -> int:
        return 2 * self.macs

    @property
    def intensity(self) -> float:
        """Arithmetic intensity: FLOPs per byte moved."""
        return self.flops / self.bytes


def layer_traffic(kind: str, Dk: int, M: int, N: int, DF: int, batch: int = 1,
                  element_size: int = ELEMENT_BYTES) -> Traffic:
    """Mult-adds and least bytes moved of a stride-1, 'same'-padded conv (notebook 05).

    ``kind`` is "standard" (Dk x Dk, M -> N), "depthwise" (Dk x Dk, M -> M) or
    "pointwise" (1x1, M -> N); the input and the output are batch x channels x DF x DF.
    """
    checks.choice("kind", kind, CONV_PARTS)
    batch = checks.positive_int("batch", batch)
    costs = conv_costs(Dk, M, N, DF)
    out = M if kind == "depthwise" else N
    moved = bytes_moved((batch, M, DF, DF), (batch, out, DF, DF), costs.params[kind], element_size)
    return Traffic(batch * costs.macs[kind], moved)


# --- the machine's roofs ------------------------------------------------------

def matmul_gflops(size: int = 2048, repeats: int = 5, device=None) -> float:
    """GFLOP/s of a size x size float32 matrix multiply: about the best this device does
    (notebook 05). 2*size^3 FLOPs per product."""
    size = checks.positive_int("size", size)
    device = pick_device(device)
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    return 2 * size ** 3 / measure(lambda: a @ b, repeats, 1, device).median / 1e9


def copy_bandwidth(megabytes: int = 256, repeats: int = 5, device=None) -> float:
    """GB/s of copying one large float32 tensor into another (read + write), about the
    memory bandwidth a memory-bound layer can get (notebook 05)."""
    megabytes = checks.positive_int("megabytes", megabytes)
    device = pick_device(device)
    source = torch.randn(megabytes * 2 ** 20 // ELEMENT_BYTES, device=device)
    target = torch.empty_like(source)
    seconds = measure(lambda: target.copy_(source), repeats, 1, device).median
    return 2 * source.numel() * ELEMENT_BYTES / seconds / 1e9


# --- every layer of a model, timed in place -------------------------------------

def _prepared(model: nn.Module, input_shape, device, channels_last: bool):
    """A copy of ``model`` in eval mode on ``device`` and a random input for it."""
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = copy.deepcopy(model).to(device=device, memory_format=fmt).eval()
    x = torch.randn(input_shape, device=device)
    return model, x.contiguous(memory_format=fmt) if x.dim() == 4 else x


class LayerClock:
    """Forward hooks that time every call of every leaf layer during a forward pass."""

    def __init__(self, model: nn.Module, device):
        self.device, self.seconds, self.between, self.inputs = device, [], [], []
        self._pass: list[float] = []
        leaves = [m for m in model.modules() if not list(m.children())]
        self.hooks = ([m.register_forward_pre_hook(self._start) for m in leaves]
                      + [m.register_forward_hook(self._stop) for m in leaves])

    def _start(self, _module, inputs):
        if len(self.inputs) <= len(self._pass):  # first pass: keep the input shapes
            self.inputs.append(tuple(inputs[0].shape) if inputs else ())
        synchronize(self.device)
        self._started = time.perf_counter()

    def _stop(self, _module, _inputs, _output):
        synchronize(self.device)
        self._pass.append(time.perf_counter() - self._started)

    def begin_pass(self) -> None:
        self._pass, self._pass_started = [], time.perf_counter()

    def end_pass(self) -> None:
        """Keep the pass's layer times, and the time it spent outside every layer."""
        synchronize(self.device)
        self.between.append(time.perf_counter() - self._pass_started - sum(self._pass))
        self.seconds.append(self._pass)

    def remove(self) -> None:
        for hook in self.hooks:
            hook.remove()


class LayerTimes(Table):
    """Each layer call's mult-adds, least bytes moved and median time in a forward pass
    (notebook 05). ``whole`` is the Timing of the whole pass; ``shares()`` groups by kind."""

    title = "Time per layer inside the forward pass (median) beside its mult-adds"

    def __init__(self, rows: list[dict], whole: Timing, between: Timing, description: str):
        self.whole, self.between, self.description = whole, between, description
        self.total_macs = sum(r["mult_adds"] for r in rows)
        self.layer_seconds = sum(r["seconds"] for r in rows)
        columns = ["name", "kind", "mult_adds", "bytes", "FLOP/byte", "ms", "GFLOP/s"]
        super().__init__(columns, rows, totals={"name": "all layers", "mult_adds": self.total_macs,
                                                "ms": f"{1e3 * self.layer_seconds:.3f}"},
                         numeric=tuple(columns[2:]))

    def by_kind(self) -> dict[str, dict[str, float]]:
        """Mult-adds and seconds per kind: conv kinds and "linear", then OTHER_LAYERS and
        BETWEEN_LAYERS (the median time a pass spent outside every layer)."""
        out: dict[str, dict[str, float]] = {}
        for r in sorted(self.rows, key=lambda r: SHARE_ORDER.index(kind_group(r["kind"]))):
            slot = out.setdefault(kind_group(r["kind"]), {"mult_adds": 0, "seconds": 0.0})
            slot["mult_adds"] += r["mult_adds"]
            slot["seconds"] += r["seconds"]
        out[BETWEEN_LAYERS] = {"mult_adds": 0, "seconds": max(0.0, self.between.median)}
        return out

    def shares(self) -> dict[str, tuple[float, float]]:
        """(share of the mult-adds, share of the time) per kind, each summing to 1."""
        kinds = self.by_kind()
        seconds = sum(v["seconds"] for v in kinds.values())
        return {kind: (v["mult_adds"] / self.total_macs, v["seconds"] / seconds)
                for kind, v in kinds.items()}


def _layer_row(cost_row: dict, input_shape, samples: list[float]) -> dict:
    seconds = Timing.from_samples(samples).median
    traffic = Traffic(cost_row["mult_adds"],
                      bytes_moved(input_shape, cost_row["output_shape"], cost_row["params"]))
    return {"name": cost_row["name"], "kind": cost_row["kind"], "mult_adds": traffic.macs,
            "bytes": traffic.bytes, "FLOP/byte": f"{traffic.intensity:.1f}",
            "intensity": traffic.intensity, "ms": f"{1e3 * seconds:.3f}", "seconds": seconds,
            "GFLOP/s": f"{traffic.flops / seconds / 1e9:.1f}" if traffic.macs else "-",
            "gflops": traffic.flops / seconds / 1e9}


def time_layers(model: nn.Module, input_shape=None, repeats: int = 10, warmup: int = 2,
                device=None, channels_last: bool = False) -> LayerTimes:
    """Time every layer of ``model`` inside real forward passes, beside its mult-adds (notebook 05).

    A copy of the model runs ``warmup`` + ``repeats`` inference passes on a random
    input of ``input_shape`` (batch included; default ``model.input_shape``);
    hooks stop a clock around each leaf layer call (synchronising a GPU), and
    each row keeps the median over the timed passes. Mult-adds and kinds come
    from ``cost_table``; bytes are ``bytes_moved`` from the traced shapes.
    """
    device = pick_device(device)
    costs = cost_table(model, input_shape)
    model, x = _prepared(model, costs.input_shape, device, checks.boolean("channels_last", channels_last))
    clock = LayerClock(model, device)

    def forward():
        clock.begin_pass()
        model(x)
        clock.end_pass()

    try:
        with torch.no_grad():
            whole = measure(forward, repeats, warmup, device)
    finally:
        clock.remove()
    passes = clock.seconds[warmup:]
    called = [r for r in costs.rows if r["kind"] != "-"]  # not the unused-parameters row
    if len(called) != len(clock.inputs):
        raise RuntimeError("the layers called differ between passes; time_layers needs a "
                           "model that calls the same layers every time")
    rows = [_layer_row(r, shape, [p[i] for p in passes])
            for i, (r, shape) in enumerate(zip(called, clock.inputs))]
    fmt = "channels_last" if channels_last else "NCHW"
    between = Timing.from_samples(clock.between[warmup:])
    return LayerTimes(rows, whole, between,
                      f"{type(model).__name__}, input {costs.input_shape}, {fmt}, {device}")


class ShareTable(Table):
    """Rows of ``share_table``: model, kind, share of mult-adds and of time (notebook 05)."""

    title = "Share of the mult-adds vs share of the time, per layer kind"


def share_table(results: dict[str, LayerTimes]) -> ShareTable:
    """One table of (model, kind, share of mult-adds, share of time, GFLOP/s) for several
    ``time_layers`` results (notebook 05's closing table)."""
    rows = []
    for model, times in results.items():
        kinds = times.by_kind()
        for kind, (flop_share, time_share) in times.shares().items():
            seconds, macs = kinds[kind]["seconds"], kinds[kind]["mult_adds"]
            rows.append({"model": model, "kind": kind, "mult-adds": f"{100 * flop_share:.1f}%",
                         "time": f"{100 * time_share:.1f}%",
                         "GFLOP/s": f"{2 * macs / seconds / 1e9:.1f}" if macs and seconds else "-"})
    return ShareTable(["model", "kind", "mult-adds", "time", "GFLOP/s"], rows,
                      numeric=("mult-adds", "time", "GFLOP/s"))


# --- one standard conv against its separable version ------------------------------

@dataclass(frozen=True)
class LayerSpeed:
    """A standard conv and its depthwise + pointwise version, counted and timed (notebook 05)."""

    Dk: int
    M: int
    N: int
    DF: int
    batch: int
    channels_last: bool
    device: str
    traffic: dict      # part -> Traffic
    times: dict        # part -> Timing

    @property
    def flop_ratio(self) -> Fraction:
        """Standard / separable mult-adds, exactly: 1 / (1/N + 1/Dk^2)."""
        return 1 / cost_ratio(self.N, self.Dk)

    @property
    def separable_seconds(self) -> float:
        return self.times["depthwise"].median + self.times["pointwise"].median

    @property
    def time_ratio(self) -> float:
        """Standard / separable median time: how many times faster separable ran."""
        return self.times["standard"].median / self.separable_seconds

    def gflops(self, part: str) -> float:
        """Achieved GFLOP/s of one part ("standard", "depthwise" or "pointwise")."""
        return self.traffic[part].flops / self.times[part].median / 1e9


def conv_parts(Dk: int, M: int, N: int) -> dict[str, nn.Conv2d]:
    """Bias-free 'same'-padded standard, depthwise and pointwise convs for M -> N channels
    (the three layers notebook 05 times against each other)."""
    Dk = checks.positive_int("Dk", Dk)
    if Dk % 2 == 0:
        raise ValueError(f"Dk must be odd so that padding Dk//2 keeps the map size, got {Dk}")
    return {"standard": nn.Conv2d(M, N, Dk, padding=Dk // 2, bias=False),
            "depthwise": nn.Conv2d(M, M, Dk, padding=Dk // 2, groups=M, bias=False),
            "pointwise": nn.Conv2d(M, N, 1, bias=False)}


def time_standard_vs_separable(Dk: int, M: int, N: int, DF: int, batch: int = 1,
                               channels_last: bool = False, device=None, repeats: int = 5,
                               warmup: int = 1, min_sample_seconds: float = 0.002) -> LayerSpeed:
    """Time a standard Dk x Dk conv (M -> N channels, DF x DF maps) against its depthwise
    and pointwise steps, interleaved, in inference mode (notebook 05 and its widget)."""
    M, N, DF = (checks.positive_int(n, v) for n, v in (("M", M), ("N", N), ("DF", DF)))
    batch = checks.positive_int("batch", batch)
    device = pick_device(device)
    fmt = torch.channels_last if checks.boolean("channels_last", channels_last) else torch.contiguous_format
    convs = {part: conv.to(device=device, memory_format=fmt) for part, conv in conv_parts(Dk, M, N).items()}
    x = torch.randn(batch, M, DF, DF, device=device).contiguous(memory_format=fmt)
    with torch.no_grad():
        inputs = {"standard": x, "depthwise": x, "pointwise": convs["depthwise"](x)}
        calls = {part: (lambda c=conv, i=inputs[part]: c(i)) for part, conv in convs.items()}
        times = measure_interleaved(calls, repeats, warmup, device, min_sample_seconds)
    traffic = {part: layer_traffic(part, Dk, M, N, DF, batch) for part in CONV_PARTS}
    return LayerSpeed(Dk, M, N, DF, batch, channels_last, str(device), traffic, times)
