"""What popular FLOP counters report about depthwise nets, beside the exact count (notebook 03).

``COUNTER_MODELS`` are the models measured: the seed's two networks, MobileNetV1, and three
small cases that show why the counters disagree (a Linear on a channels-last map, a stride-2
transposed conv, a conv done with ``F.conv2d``). ``tools/flop_counters.py`` runs fvcore, thop,
ptflops, torchinfo and torchprofile on them in a throwaway environment and commits their raw
reports, with each tool's version, to ``results/flop_counters.json``; ``load_counter_report``
reads it back and checks it against ``cost_table`` (the exact count) on this machine's package,
so a stale file fails loudly. ``counter_table`` and ``counter_findings`` are what notebook 03
shows; every number in the findings comes from the file.

All counts are mult-adds (FlopCounterMode's FLOPs are halved; the others report MACs).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .cost import cost_table
from .models import ReferenceCNN, mobilenet_v1
from .results import committed_results
from .tables import Table

REPORT_PATH = Path(__file__).resolve().parent.parent / "results" / "flop_counters.json"
# The counters and the versions measured (pinned: their rules change between releases).
COUNTER_VERSIONS = {"fvcore": "0.1.5.post20221221", "thop": "0.1.1.post2209072238", "ptflops": "0.7.5",
                    "torchinfo": "1.8.0", "torchprofile": "0.1.0"}
TOOLS = ("FlopCounterMode",) + tuple(COUNTER_VERSIONS)


class ChannelsLast(nn.Module):
    """(B, C, H, W) -> (B, H, W, C), as ConvNeXt does before its Linear layers."""

    def forward(self, x):
        return x.permute(0, 2, 3, 1)


class FunctionalConv(nn.Module):
    """A 3x3 conv written as ``F.conv2d`` in forward (its weight a plain parameter), then a Linear."""

    def __init__(self, in_channels: int = 3, out_channels: int = 8, classes: int = 10, size: int = 16):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, 3, 3) * 0.1)
        self.fc = nn.Linear(out_channels * size * size, classes)

    def forward(self, x):
        return self.fc(F.conv2d(x, self.weight, padding=1).flatten(1))


@dataclass(frozen=True)
class CounterModel:
    """One measured model: how to build it, its input shape, and what it shows."""

    name: str
    build: object
    input_shape: tuple[int, ...]
    shows: str


COUNTER_MODELS = (
    CounterModel("seed CNN, separable", lambda: ReferenceCNN(), (1, 1, 28, 28),
                 "padding='same' everywhere"),
    CounterModel("seed CNN, standard", lambda: ReferenceCNN("standard"), (1, 1, 28, 28),
                 "padding='same' everywhere"),
    CounterModel("MobileNetV1", lambda: mobilenet_v1(), (1, 3, 224, 224),
                 "biases, BatchNorm, ReLU conventions"),
    CounterModel("Linear on (B, H, W, C)", lambda: nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), ChannelsLast(),
                                                               nn.Linear(16, 64)),
                 (1, 3, 16, 16), "a Linear applied at every pixel"),
    CounterModel("stride-2 ConvTranspose2d", lambda: nn.Sequential(nn.ConvTranspose2d(4, 6, 3, stride=2)),
                 (1, 4, 5, 5), "zeros inserted between inputs"),
    CounterModel("F.conv2d in forward", lambda: FunctionalConv(), (1, 3, 16, 16),
                 "work outside any layer"),
)


def mobilenet_extras() -> dict[str, int]:
    """What MobileNetV1 does besides its convs and Linear: BatchNorm outputs and parameters,
    the values its pool averages and the outputs it makes, the Linear's biases (the counters
    that report more count some of these as work)."""
    model = mobilenet_v1().eval()
    found = {"batchnorm outputs": 0, "pooled inputs": 0, "pooled outputs": 0,
             "batchnorm parameters": sum(p.numel() for m in model.modules() if isinstance(m, nn.BatchNorm2d)
                                         for p in m.parameters()),
             "linear biases": sum(m.bias.numel() for m in model.modules()
                                  if isinstance(m, nn.Linear) and m.bias is not None)}

    def record(module, inputs, output):
        if isinstance(module, nn.BatchNorm2d):
            found["batchnorm outputs"] += output.numel()
        else:
            found["pooled inputs"] += inputs[0].numel()
            found["pooled outputs"] += output.numel()

    hooks = [m.register_forward_hook(record) for m in model.modules()
             if isinstance(m, (nn.BatchNorm2d, nn.AdaptiveAvgPool2d, nn.AvgPool2d))]
    try:
        with torch.no_grad():
            model(torch.zeros(model.input_shape))
    finally:
        for hook in hooks:
            hook.remove()
    return found


def exact_macs(model: CounterModel) -> int:
    """The exact count: ``cost_table``'s total (its functional row included)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the functional model's warning is the point of that model
        return cost_table(model.build(), model.input_shape).total_macs


class CounterReport:
    """The committed measurements: ``macs[model][tool]`` (None where the tool failed, with the
    error in ``errors``), ``versions``, ``unsupported`` (fvcore's skipped ops per model) and the
    exact counts the file was written with."""

    def __init__(self, data: dict):
        self.data = data
        self.versions: dict[str, str] = data["versions"]
        self.exact: dict[str, int] = data["exact"]
        self.macs: dict[str, dict[str, int | None]] = data["macs"]
        self.errors: dict[str, dict[str, str]] = data.get("errors", {})
        self.unsupported: dict[str, list[str]] = data.get("unsupported", {})
        self.machine: str = data.get("machine", "")

    def ratio(self, model: str, tool: str) -> float:
        """What the tool reports over the exact count."""
        return self.macs[model][tool] / self.exact[model]


def load_counter_report(path: str | Path | None = None, check: bool = True) -> CounterReport:
    """Read the committed report (by default ``results/flop_counters.json`` of this checkout, or,
    where the package was installed alone as on Colab, of a clone: ``committed_results``); with ``check``, every exact count in it must equal what
    ``cost_table`` says now and every tool must have its pinned version, or a ValueError says
    which is stale and how to refresh it (``python tools/flop_counters.py``)."""
    if path is None:
        path = REPORT_PATH if REPORT_PATH.is_file() else committed_results().parent / REPORT_PATH.name
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no counter report at {path}; make it with python tools/flop_counters.py")
    report = CounterReport(json.loads(path.read_text(encoding="utf-8")))
    if check:
        models = {m.name: m for m in COUNTER_MODELS}
        if set(report.exact) != set(models) or set(report.macs) != set(models):
            raise ValueError(f"{path} measures {sorted(report.exact)}, but the package's counter models are "
                             f"{sorted(models)}: run python tools/flop_counters.py")
        for name, model in models.items():
            if report.exact[name] != exact_macs(model):
                raise ValueError(f"{path} is stale: it has {report.exact[name]:,} mult-adds for {name!r}, "
                                 f"cost_table now says {exact_macs(model):,}: run python tools/flop_counters.py")
        wanted = dict(COUNTER_VERSIONS, FlopCounterMode=report.versions.get("FlopCounterMode"))
        if {tool: report.versions.get(tool) for tool in TOOLS} != wanted:
            raise ValueError(f"{path} was measured with {report.versions}, not the pinned "
                             f"{COUNTER_VERSIONS}: run python tools/flop_counters.py")
    return report


class CounterTable(Table):
    """Mult-adds per model: the exact count, then what each counter reports."""

    title = "Mult-adds as each counter reports them (exact: cost_table; FlopCounterMode's FLOPs / 2)"


def counter_table(report: CounterReport, as_ratio: bool = False) -> CounterTable:
    """One row per model; with ``as_ratio`` each tool's report over the exact count."""
    rows = []
    for model in COUNTER_MODELS:
        row = {"model": model.name, "exact": report.exact[model.name]}
        for tool in TOOLS:
            value = report.macs[model.name][tool]
            if value is None:
                row[tool] = "failed"
            else:
                row[tool] = f"{value / report.exact[model.name]:.3f}" if as_ratio else value
        rows.append(row)
    columns = ["model", "exact", *TOOLS]
    return CounterTable(columns, rows, numeric=tuple(columns[1:]))


def counter_findings(report: CounterReport) -> list[str]:
    """What the table shows, in sentences computed from it (notebook 03)."""
    m, e = report.macs, report.exact
    seed_std, seed_sep, mobile = "seed CNN, standard", "seed CNN, separable", "MobileNetV1"
    linear, transposed, functional = "Linear on (B, H, W, C)", "stride-2 ConvTranspose2d", "F.conv2d in forward"
    missing_same = [t for t in ("fvcore", "torchprofile") if m[seed_std][t] is not None and m[seed_std][t] < e[seed_std] / 10]
    findings = []
    if missing_same:
        worst = min(m[seed_std][t] for t in missing_same)
        findings.append(
            f"{' and '.join(missing_same)} miss every padding='same' convolution (traced as "
            f"aten::_convolution_mode, which they have no rule for; fvcore lists it among its unsupported "
            f"ops) and go on without it: for the seed's standard "
            f"CNN they report {worst:,} mult-adds instead of {e[seed_std]:,}, {e[seed_std] / worst:.0f}x too "
            f"few; for the separable one {m[seed_sep][missing_same[0]]:,} instead of {e[seed_sep]:,}.")
    small = [t for t in TOOLS if m[linear][t] is not None and m[linear][t] < e[linear] * 0.9]
    if small:
        findings.append(
            f"{', '.join(small)} count{'s' if len(small) == 1 else ''} a Linear on a (B, H, W, C) map once per "
            f"image instead of once per pixel: {m[linear][small[0]]:,} instead of {e[linear]:,}. ConvNeXt "
            "applies its Linear layers this way.")
    zeros = [t for t in TOOLS if m[transposed][t] is not None and m[transposed][t] > e[transposed] * 1.5]
    if zeros:
        findings.append(
            f"A stride-2 ConvTranspose2d does {e[transposed]:,} mult-adds; "
            + ", ".join(f"{t} reports {m[transposed][t]:,}" for t in zeros)
            + f", about {m[transposed][zeros[0]] / e[transposed]:.1f}x: they count every output position "
            "as if the zeros the stride inserts between input values were multiplied too.")
    blind = [t for t in TOOLS if m[functional][t] is not None and m[functional][t] < e[functional] * 0.9]
    if blind:
        findings.append(
            f"{', '.join(blind)} see only layers (modules), so a conv written as F.conv2d in forward is "
            f"missing: {m[functional][blind[0]]:,} instead of {e[functional]:,}.")
    extras = mobilenet_extras()
    explained = {  # what each counter adds to the exact count, where the numbers say exactly
        "fvcore": (2 * extras["batchnorm outputs"] + extras["pooled inputs"],
                   "2 per BatchNorm output and 1 per value the pool averages"),
        "torchprofile": (extras["batchnorm outputs"] + extras["pooled outputs"],
                         "1 per BatchNorm output and 1 per pooled output"),
        "torchinfo": (extras["batchnorm parameters"] + extras["linear biases"],
                      "1 per BatchNorm parameter and per Linear bias"),
    }
    parts = []
    for tool in TOOLS:
        value = m[mobile][tool]
        if value is None or value == e[mobile]:
            continue
        extra, words = explained.get(tool, (None, ""))
        if extra is not None and value == e[mobile] + extra:
            parts.append(f"{tool} {value / 1e6:.2f}M adds {words} ({extra:,})")
        else:
            per_output = (value - e[mobile]) / extras["batchnorm outputs"]
            parts.append(f"{tool} {value / 1e6:.2f}M adds about {per_output:.1f} operations per BatchNorm "
                         "output: it counts BatchNorm, ReLU and pooling as work too")
    if parts:
        findings.append(f"On MobileNetV1 ({e[mobile] / 1e6:.2f}M conv and Linear mult-adds) the totals "
                        "differ by what else each tool counts. " + ". ".join(parts) + ".")
    else:
        findings.append(f"On MobileNetV1 every counter reports the exact {e[mobile] / 1e6:.2f}M mult-adds.")
    return findings
