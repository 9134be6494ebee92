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
import json
import statistics
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

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


def conv_gflops(kind: str, Dk: int, M: int, N: int, DF: int, batch: int = 128,
                channels_last: bool = True, repeats: int = 5, device=None) -> float:
    """GFLOP/s of one stride-1 "same" conv of ``kind`` (``CONV_PARTS``) in a forward pass: a
    candidate for the compute roof, in the layout the timed layers use (notebook 05)."""
    device = pick_device(device)
    conv = conv_parts(Dk, M, N)[kind].to(device).eval()
    x = torch.randn(checks.positive_int("batch", batch), M, DF, DF, device=device)
    if channels_last:
        conv, x = conv.to(memory_format=torch.channels_last), x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        seconds = measure(lambda: conv(x), repeats, 1, device).median
    return layer_traffic(kind, Dk, M, N, DF, batch).flops / seconds / 1e9


@dataclass(frozen=True)
class Roof:
    """The compute roof: the best GFLOP/s among several measured kernels (notebook 05). A
    matmul and a convolution may come from different libraries (on a CPU, MKL and oneDNN), so
    no single kernel is taken for the machine's best."""

    kernels: dict  # name -> measured GFLOP/s

    @property
    def best(self) -> str:
        return max(self.kernels, key=self.kernels.get)

    @property
    def gflops(self) -> float:
        return self.kernels[self.best]


def measured_roof(kernels) -> Roof:
    """A ``Roof`` from {kernel name: measured GFLOP/s}; every value must be a positive number."""
    if not kernels:
        raise ValueError("measured_roof needs at least one measured kernel, e.g. "
                         "{'matmul 2048': matmul_gflops(), '1x1 conv': conv_gflops('pointwise', ...)}")
    for name, value in kernels.items():
        checks.positive_number(f"kernels[{name!r}]", value)
    return Roof(dict(kernels))


@dataclass(frozen=True)
class Peak:
    """The arithmetic peak from the CPU's own description: cores x clock x float32 FLOPs per
    cycle (vector lanes x 2 for a fused multiply-add x FMA units), with what had to be assumed."""

    cores: int
    ghz: float
    lanes: int
    fma: bool
    units: int
    assumed: tuple  # what the machine does not report

    @property
    def gflops(self) -> float:
        return self.cores * self.ghz * self.lanes * (2 if self.fma else 1) * self.units


def theoretical_peak(cpuinfo: str | None = None, cores: int | None = None) -> Peak | None:
    """The CPU's float32 peak from ``/proc/cpuinfo`` (or the text given): None where it names no
    clock. The number of FMA units per core is not reported anywhere: 2 is assumed (and said)."""
    from .timing import available_cores
    if cpuinfo is None:
        try:
            cpuinfo = open("/proc/cpuinfo", encoding="utf-8").read()
        except OSError:
            return None
    fields = {}
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    try:
        ghz = float(fields["cpu MHz"]) / 1000
    except (KeyError, ValueError):
        return None
    flags = set(fields.get("flags", "").split())
    lanes = 16 if "avx512f" in flags else 8 if "avx2" in flags or "avx" in flags else 4
    assumed = ["2 FMA units per core", "the clock /proc/cpuinfo reports (a virtual machine may "
               "report the nominal one)"]
    if lanes == 16:
        assumed.append("full-width AVX-512 (some cores split it into two 256-bit halves)")
    return Peak(cores or available_cores(), ghz, lanes, "fma" in flags, 2, tuple(assumed))


DEPTHWISE_LIMITS = ("bandwidth", "overhead", "compute", "occupancy")


@dataclass(frozen=True)
class DepthwisePoint:
    """One depthwise measurement: its mult-adds per call, its FLOPs per byte and GFLOP/s."""

    macs: int
    intensity: float
    gflops: float


@dataclass(frozen=True)
class Diagnosis:
    """What limits the depthwise step (``DEPTHWISE_LIMITS``) and the numbers that say so."""

    limit: str
    memory_share: float   # median share of the memory roof at each point's intensity
    compute_share: float  # median share of the compute roof
    work_gain: float      # GFLOP/s at the most work per call / at the least
    thread_gain: float | None  # GFLOP/s with all threads / with one, where measured


def diagnose_depthwise(points, roof_gflops: float, bandwidth_gbs: float,
                       thread_gain: float | None = None) -> Diagnosis:
    """Bandwidth, per-call overhead, compute, or the vector units' occupancy: which one limits
    the depthwise step, from measurements at several sizes (notebook 05). Rules, in order:
    "bandwidth" if it reaches at least 60% of the memory roof at its intensity (where that roof
    is below the compute roof) and more threads do not scale it (less than 1.6x, where
    measured); "overhead" if GFLOP/s grows at least 2x from the least to the most work per
    call; "compute" if it reaches at least 50% of the compute roof; else "occupancy": neither
    roof nor the call overhead explains it, so the kernel keeps the vector units idle."""
    points = sorted(points, key=lambda p: p.macs)
    if len(points) < 2:
        raise ValueError("diagnose_depthwise needs measurements at two or more sizes, to see how "
                         "GFLOP/s changes with the work per call")
    roof_gflops = checks.positive_number("roof_gflops", roof_gflops)
    bandwidth_gbs = checks.positive_number("bandwidth_gbs", bandwidth_gbs)
    memory = [p.gflops / min(roof_gflops, p.intensity * bandwidth_gbs) for p in points]
    memory_bound = [p.intensity * bandwidth_gbs < roof_gflops for p in points]
    memory_share = statistics.median(memory)
    compute_share = statistics.median(p.gflops / roof_gflops for p in points)
    work_gain = points[-1].gflops / points[0].gflops
    if memory_share >= 0.6 and all(memory_bound) and (thread_gain is None or thread_gain < 1.6):
        limit = "bandwidth"
    elif work_gain >= 2:
        limit = "overhead"
    elif compute_share >= 0.5:
        limit = "compute"
    else:
        limit = "occupancy"
    return Diagnosis(limit, memory_share, compute_share, work_gain, thread_gain)


OP_KINDS = ("standard", "depthwise", "pointwise", "linear", "pooling", "activation",
            "batchnorm", "loss", "optimizer", "other")
_OP_NAMES = (  # (kind, words in a top-level profiler event's name), the first match wins
    ("batchnorm", ("batch_norm", "BatchNorm")), ("pooling", ("pool", "Pool")),
    ("activation", ("relu", "Relu", "selu", "Selu", "elu", "Elu", "threshold", "clamp_min")),
    ("linear", ("linear", "Addmm", "addmm", "TBackward", "MmBackward")),
    ("loss", ("cross_entropy", "LogSoftmax", "NllLoss", "log_softmax", "nll_loss")),
    ("optimizer", ("Optimizer.", "_foreach", "AccumulateGrad")),
)


def conv_kind_from_shapes(input_shape, weight_shape) -> str:
    """"standard", "depthwise" or "pointwise" from a convolution's input and weight shapes
    (N, C/groups, kh, kw): one input channel per filter on a multi-channel input is depthwise."""
    channels, per_filter, kh, kw = input_shape[1], weight_shape[1], weight_shape[2], weight_shape[3]
    if per_filter == 1 and channels > 1:
        return "depthwise"
    return "pointwise" if (kh, kw) == (1, 1) else "standard"


def _event_kind(event) -> str:
    name = event.name
    if "onvolution" in name or name in ("aten::conv2d", "aten::conv1d", "aten::conv3d"):
        waiting = [event]
        while waiting:  # the first event below with an input's and a weight's shapes
            found = waiting.pop(0)
            shapes = [s for s in found.input_shapes if s]
            if found.name == "aten::convolution_backward":
                shapes = shapes[1:]  # (grad_output, input, weight, ...)
            if len(shapes) >= 2 and len(shapes[0]) == 4 and len(shapes[1]) == 4:
                return conv_kind_from_shapes(shapes[0], shapes[1])
            waiting += list(found.cpu_children)
        return "other"
    return next((kind for kind, words in _OP_NAMES if any(w in name for w in words)), "other")


class OpKindTimes(Table):
    """Milliseconds per call by kind of operation (``OP_KINDS``), with each kind's share."""

    title = "Where the time goes, by kind of operation"

    def __init__(self, seconds: dict, description: str = ""):
        self.seconds, self.description = seconds, description
        self.total = sum(seconds.values())
        rows = [{"kind": kind, "ms": f"{1e3 * value:.2f}", "share %": f"{100 * value / self.total:.1f}"}
                for kind, value in seconds.items() if value > 0]
        super().__init__(["kind", "ms", "share %"], rows, numeric=("ms", "share %"),
                         totals={"kind": "total", "ms": f"{1e3 * self.total:.2f}", "share %": "100.0"})

    def share(self, kinds) -> float:
        """The share of the total taken by ``kinds`` (one kind or several)."""
        kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
        return sum(self.seconds.get(k, 0.0) for k in kinds) / self.total


def op_kind_times(step, repeats: int = 5, warmup: int = 2, description: str = "") -> OpKindTimes:
    """Run ``step`` (a training step or a forward pass, as a function of no arguments) under
    PyTorch's profiler and add up its time by kind of operation: each convolution kind (from its
    shapes), Linear, pooling, activations, BatchNorm, the loss, the optimizer, and the rest
    (notebook 05's Amdahl section). Times are per call, averaged over ``repeats`` calls; the
    profiler adds a little to every operation, so compare shares and models, not milliseconds
    with an unprofiled clock."""
    from torch.profiler import ProfilerActivity, profile
    repeats = checks.positive_int("repeats", repeats)
    for _ in range(checks.non_negative_int("warmup", warmup)):
        step()
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as profiler:
        for _ in range(repeats):
            step()
    seconds = dict.fromkeys(OP_KINDS, 0.0)
    for event in profiler.events():
        if event.cpu_parent is None:
            seconds[_event_kind(event)] += event.cpu_time_total / 1e6 / repeats
    return OpKindTimes(seconds, description)


def amdahl_speedup(times: OpKindTimes, conv_ratio: float,
                   conv_kinds=("standard", "depthwise", "pointwise")) -> float:
    """The speed-up if the convolutions' time shrank by ``conv_ratio`` (their FLOP ratio) and
    everything else took as long as before: total / (rest + convs x ratio) (Amdahl's law)."""
    conv_ratio = checks.positive_number("conv_ratio", conv_ratio)
    convs = sum(times.seconds.get(k, 0.0) for k in conv_kinds)
    return times.total / (times.total - convs + convs * conv_ratio)


def device_speed_folder() -> Path:
    """``results/speed``: notebook 05's measurements made on other devices (tools/device_speed.py)."""
    return Path(__file__).resolve().parent.parent / "results" / "speed"


class DeviceSpeedTable(Table):
    title = "Whole models on another device"


def device_speed_table(path) -> DeviceSpeedTable:
    """The whole-model timings of a ``tools/device_speed.py`` file (e.g. an NVIDIA GPU's), one
    row per model, batch, memory format and pass: milliseconds of each network and the time
    ratio beside the FLOP ratio (notebook 05)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        models, environment = data["models"], data["environment"]
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(f"{path} is not a device speed file written by tools/device_speed.py "
                         f"({error})") from error
    rows = []
    for family, found in models.items():
        for run in found.get("runs", []):
            rows.append({"model": family, "batch": run["batch"], "format": run["format"],
                         "pass": run["mode"], "separable ms": f"{run['separable']['ms']:.2f}",
                         "standard ms": f"{run['standard']['ms']:.2f}",
                         "time ratio": f"{run['time_ratio_separable_over_standard']:.2f}",
                         "FLOP ratio": f"{run['flop_ratio_separable_over_standard']:.3f}"})
    if not rows:
        raise ValueError(f"{path} holds no whole-model timings")
    table = DeviceSpeedTable(list(rows[0]), rows, numeric=("batch", "separable ms", "standard ms",
                                                           "time ratio", "FLOP ratio"))
    table.title = (f"Whole models on {environment.get('device_name') or environment.get('device')} "
                   f"(torch {environment.get('torch')}): separable / standard, time beside FLOPs")
    return table


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
