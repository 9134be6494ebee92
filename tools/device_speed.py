"""Notebook 05's speed story on one device: ``python tools/device_speed.py [--device cuda]``.

Separable against standard, in one run, interleaved:

1. whole models: the seed CNN and MobileNetV1 (224 x 224), a forward pass (eval, no_grad)
   and a training step (forward, backward, Adam), at several batch sizes, in NCHW and
   channels_last, with images/s and the FLOP ratio (``cost_table``) beside the time ratio;
2. every layer of the separable seed CNN and MobileNetV1 timed in place (``time_layers``),
   with GFLOP/s per layer kind;
3. a depthwise 3x3, a pointwise 1x1 and a standard 3x3 conv alone, with their least
   memory traffic (``layer_traffic``); and the device's roofs: a large float32 matmul (TF32
   off and on), large 1x1 and 3x3 convs, and copy bandwidth;
4. what ran it: device, torch, cuDNN, the TF32 and ``cudnn.benchmark`` settings.

Writes one JSON file atomically (default ``results/speed/device-<cuda|cpu>.json``) and
prints a summary. Made for a bare GPU machine: it needs torch, not Jupyter, ipywidgets or
numpy. When ``--budget-seconds`` (counted from the start) runs low, the measurements not
yet started are skipped and listed, and what was measured is written. Times are medians
over interleaved repeats with warm-up first (``dwconv_utils.timing``); numbers are
recorded, never asserted. ``--quick`` is a smoke test that runs on a CPU in well under a
minute; its numbers mean little.
"""
from __future__ import annotations

import time

STARTED = time.perf_counter()  # the budget counts the imports too: they are part of the run

import argparse  # noqa: E402
import datetime  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402
import types  # noqa: E402
import warnings  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from fractions import Fraction  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "dwconv_utils"
FORMATS = ("NCHW", "channels_last")
MODES = ("forward", "train")
CONVS = ("separable", "standard")


def _import_helpers() -> types.SimpleNamespace:
    """The package modules this script uses, and none of the notebook ones.

    ``import dwconv_utils`` runs the package's ``__init__``, which also loads the data and
    training modules (numpy, the notebooks' display code). A speed run on a bare GPU
    machine needs none of that, so the package is entered as a plain folder of modules
    and only the timing, counting and model modules are loaded. ``device`` reads numpy's
    version for ``machine_info`` and nothing else; where numpy is missing it gets a
    stand-in whose version is None, visible only while that module is imported.
    """
    if PACKAGE not in sys.modules:
        package = types.ModuleType(PACKAGE)
        package.__path__ = [str(ROOT / PACKAGE)]
        sys.modules[PACKAGE] = package
    try:
        import numpy  # noqa: F401
    except ImportError:
        sys.modules["numpy"] = types.SimpleNamespace(__version__=None)
        try:
            importlib.import_module(f"{PACKAGE}.device")
        finally:
            del sys.modules["numpy"]
    names = ("cost", "device", "files", "models", "speed", "tables", "timing")
    return types.SimpleNamespace(**{n: importlib.import_module(f"{PACKAGE}.{n}") for n in names})


du = _import_helpers()


# --- what to measure ------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """Sizes and repeats of one run (``plan_for``)."""

    repeats: int
    warmup: int
    min_sample_seconds: float   # a sample repeats a quick call until it lasts this long
    cnn_batches: tuple
    mobilenet_batches: tuple
    resolution: int             # MobileNetV1's input is resolution x resolution x 3
    layer_batch: int
    conv_channels: tuple
    conv_maps: tuple
    conv_batch: int
    matmul_size: int
    roof_conv: tuple            # (channels, map size, batch) of the roof's 1x1 and 3x3 convs
    copy_megabytes: int


def plan_for(device: torch.device, quick: bool) -> Plan:
    if quick:
        return Plan(repeats=2, warmup=1, min_sample_seconds=0.0, cnn_batches=(16,),
                    mobilenet_batches=(2,), resolution=32, layer_batch=8, conv_channels=(32, 128),
                    conv_maps=(14,), conv_batch=4, matmul_size=512, roof_conv=(64, 14, 4),
                    copy_megabytes=16)
    gpu = device.type == "cuda"
    # On a GPU one call of a small layer takes microseconds, about what launching it and
    # synchronising the clock cost; 5 ms samples make that overhead a small share of each.
    # The roofs' sizes keep one call near a millisecond or more on an H200-class GPU.
    return Plan(repeats=15, warmup=3, min_sample_seconds=0.005 if gpu else 0.02,
                cnn_batches=(32, 128, 512), mobilenet_batches=(32, 128), resolution=224,
                layer_batch=128, conv_channels=(32, 128, 512), conv_maps=(56, 14), conv_batch=128,
                matmul_size=8192 if gpu else 2048, roof_conv=(512, 28, 128),
                copy_megabytes=2048 if gpu else 256)


# --- the run's budget -----------------------------------------------------------------

class Runner:
    """Runs measurements while the budget lasts; records what was skipped or failed.

    A measurement is only started with ``reserve`` seconds of the budget left, since one
    (a MobileNetV1 pair, with cuDNN's first-call autotuning) can take a few seconds and
    the whole run must end within the budget.
    """

    def __init__(self, budget_seconds: float, device: torch.device):
        self.budget, self.device = budget_seconds, device
        self.reserve = min(8.0, 0.1 * budget_seconds)
        self.skipped: list[str] = []
        self.errors: list[dict] = []

    def elapsed(self) -> float:
        return time.perf_counter() - STARTED

    def run(self, label: str, measurement):
        if self.budget - self.elapsed() < self.reserve:
            self.skipped.append(label)
            return None
        began = time.perf_counter()
        try:
            value = measurement()
        except Exception as error:  # one failed measurement (e.g. out of memory) must not lose the rest
            traceback.print_exc()
            self.errors.append({"item": label, "error": f"{type(error).__name__}: {error}"})
            if self.device.type == "cuda":
                torch.cuda.empty_cache()
            return None
        print(f"[{self.elapsed():5.1f} s] {label} ({time.perf_counter() - began:.1f} s)", flush=True)
        return value


# --- TF32 ---------------------------------------------------------------------------------

@contextmanager
def _quiet_tf32():
    # Recent torch warns that allow_tf32 will give way to fp32_precision; the legacy flags
    # are used throughout on purpose (mixing the two APIs is an error in torch).
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="(?s).*tf32")
        yield


def tf32_flags() -> dict:
    with _quiet_tf32():
        return {"matmul": bool(torch.backends.cuda.matmul.allow_tf32),
                "cudnn": bool(torch.backends.cudnn.allow_tf32),
                "float32_matmul_precision": torch.get_float32_matmul_precision()}


@contextmanager
def tf32(matmul: bool | None = None, cudnn: bool | None = None):
    """Set TF32 for matmuls and/or cuDNN convs in the block, then restore both."""
    with _quiet_tf32():
        before = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
        try:
            if matmul is not None:
                torch.backends.cuda.matmul.allow_tf32 = matmul
            if cudnn is not None:
                torch.backends.cudnn.allow_tf32 = cudnn
            yield
        finally:
            torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before


# --- results as plain data -------------------------------------------------------------

def timing_dict(timing, items: int | None = None) -> dict:
    out = {"ms": 1e3 * timing.median, "min_ms": 1e3 * timing.low, "max_ms": 1e3 * timing.high,
           "repeats": timing.repeats}
    if items is not None:
        out["images_per_second"] = timing.per_second(items)
    return out


def plain(value):
    """JSON-ready: fractions and tuples become floats and lists; NaN and infinities None."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Fraction):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _memory_format(fmt: str):
    return torch.channels_last if fmt == "channels_last" else torch.contiguous_format


# --- 1. whole models -------------------------------------------------------------------

@dataclass(frozen=True)
class Family:
    key: str
    input_chw: tuple
    classes: int
    batches: tuple

    def build(self, conv: str):
        if self.key == "reference_cnn":
            return du.models.ReferenceCNN(conv)
        return du.models.mobilenet_v1(resolution=self.input_chw[-1], separable=conv == "separable")


def families(plan: Plan) -> list[Family]:
    return [Family("reference_cnn", (1, 28, 28), 10, plan.cnn_batches),
            Family("mobilenet_v1", (3, plan.resolution, plan.resolution), 1000, plan.mobilenet_batches)]


def flops_per_image(family: Family) -> dict:
    """Forward FLOPs (2 x mult-adds) of one image, from ``cost_table``, per conv kind."""
    return {conv: 2 * du.cost.cost_table(family.build(conv), (1, *family.input_chw)).total_macs
            for conv in CONVS}


def compare_models(family: Family, models: dict, batch: int, fmt: str, mode: str,
                   plan: Plan, device: torch.device, flop_ratio: float) -> dict:
    """The separable and the standard model, one forward pass or training step each, interleaved."""
    x = torch.randn(batch, *family.input_chw, device=device).contiguous(memory_format=_memory_format(fmt))
    y = torch.randint(0, family.classes, (batch,), device=device)
    calls = {}
    for conv, model in models.items():
        if mode == "train":
            model.train()
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

            def step(model=model, optimizer=optimizer):
                optimizer.zero_grad(set_to_none=True)
                F.cross_entropy(model(x), y).backward()
                optimizer.step()
            calls[conv] = step
        else:
            model.eval()
            calls[conv] = lambda model=model: model(x)
    with torch.set_grad_enabled(mode == "train"):
        times = du.timing.measure_interleaved(calls, plan.repeats, plan.warmup, device,
                                              plan.min_sample_seconds)
    for model in models.values():  # Adam's state and the gradients go with this comparison
        model.zero_grad(set_to_none=True)
    return {"family": family.key, "batch": batch, "format": fmt, "mode": mode,
            **{conv: timing_dict(times[conv], batch) for conv in CONVS},
            "time_ratio_separable_over_standard": times["separable"].median / times["standard"].median,
            "flop_ratio_separable_over_standard": flop_ratio}


def measure_models(runner: Runner, plan: Plan, device: torch.device, family: Family) -> dict:
    flops = runner.run(f"{family.key}: FLOPs per image (cost_table)", lambda: flops_per_image(family))
    ratio = flops["separable"] / flops["standard"] if flops else None
    runs = []
    for fmt in FORMATS:
        models = None
        for batch in family.batches:
            for mode in MODES:
                def measurement(batch=batch, mode=mode):
                    nonlocal models
                    if models is None:  # built once per format, and only if something runs
                        torch.manual_seed(0)
                        models = {conv: family.build(conv).to(device=device, memory_format=_memory_format(fmt))
                                  for conv in CONVS}
                    return compare_models(family, models, batch, fmt, mode, plan, device, ratio)
                result = runner.run(f"{family.key}: batch {batch}, {fmt}, {mode}", measurement)
                if result is not None:
                    runs.append(result)
        del models
    return {"input_shape": list(family.input_chw), "batches": list(family.batches),
            "flops_per_image": flops, "flop_ratio_separable_over_standard": ratio, "runs": runs}


# --- 2. every layer in place --------------------------------------------------------------

def measure_layers(family: Family, batch: int, fmt: str, plan: Plan, device: torch.device) -> dict:
    torch.manual_seed(0)
    model = family.build("separable").to(device)  # so cost_table's pass runs on the device too
    times = du.speed.time_layers(model, (batch, *family.input_chw), repeats=plan.repeats,
                                 warmup=plan.warmup, device=device, channels_last=fmt == "channels_last")
    shares = times.shares()
    by_kind = {kind: {"mult_adds": v["mult_adds"], "ms": 1e3 * v["seconds"],
                      "gflops": 2 * v["mult_adds"] / v["seconds"] / 1e9 if v["mult_adds"] and v["seconds"] else None,
                      "share_of_mult_adds": shares[kind][0], "share_of_time": shares[kind][1]}
               for kind, v in times.by_kind().items()}
    rows = [{"name": r["name"], "kind": r["kind"], "mult_adds": r["mult_adds"], "bytes": r["bytes"],
             "flop_per_byte": r["intensity"], "ms": 1e3 * r["seconds"],
             "gflops": r["gflops"] if r["mult_adds"] else None} for r in times.rows]
    return {"model": family.key, "conv": "separable", "batch": batch, "format": fmt,
            "hooked_pass_ms": 1e3 * times.whole.median, "layers_ms": 1e3 * times.layer_seconds,
            "between_layers_ms": 1e3 * times.between.median, "by_kind": by_kind, "rows": rows}


# --- 3. convs alone and the roofs ---------------------------------------------------------

def conv_parts_dict(speed) -> dict:
    out = {}
    for part in du.speed.CONV_PARTS:
        traffic, timing = speed.traffic[part], speed.times[part]
        out[part] = {**timing_dict(timing), "flops": traffic.flops, "bytes": traffic.bytes,
                     "flop_per_byte": traffic.intensity, "gflops": speed.gflops(part),
                     "gb_per_s": traffic.bytes / timing.median / 1e9}
    return out


def measure_convs(channels: int, size: int, fmt: str, plan: Plan, device: torch.device) -> dict:
    speed = du.speed.time_standard_vs_separable(
        3, channels, channels, size, plan.conv_batch, channels_last=fmt == "channels_last",
        device=device, repeats=plan.repeats, warmup=plan.warmup,
        min_sample_seconds=plan.min_sample_seconds)
    return {"channels": channels, "map": size, "batch": plan.conv_batch, "format": fmt,
            "parts": conv_parts_dict(speed),
            "flop_ratio_standard_over_separable": speed.flop_ratio,
            "time_ratio_standard_over_separable": speed.time_ratio}


def measure_roofs(runner: Runner, plan: Plan, device: torch.device) -> dict:
    gpu = device.type == "cuda"
    # TF32 changes nothing on a CPU, so there the roofs are measured once, as float32.
    tf32_choices = (False, True) if gpu else (False,)
    matmul = {"size": plan.matmul_size, "dtype": "float32"}
    for on in tf32_choices:
        with tf32(matmul=on):
            matmul[f"tf32_{'on' if on else 'off'}_gflops"] = runner.run(
                f"roof: {plan.matmul_size}^2 matmul, TF32 {'on' if on else 'off'}",
                lambda: du.speed.matmul_gflops(plan.matmul_size, plan.repeats, device))
    channels, size, batch = plan.roof_conv
    convs = []
    for on in tf32_choices:
        for fmt in FORMATS:
            with tf32(cudnn=on):
                speed = runner.run(
                    f"roof: {channels}-channel convs on {size}x{size} maps, {fmt}, cuDNN TF32 {'on' if on else 'off'}",
                    lambda fmt=fmt: du.speed.time_standard_vs_separable(
                        3, channels, channels, size, batch, fmt == "channels_last", device,
                        plan.repeats, plan.warmup, plan.min_sample_seconds))
            if speed is not None:
                convs.append({"tf32": on if gpu else None, "format": fmt,
                              "conv3x3_gflops": speed.gflops("standard"),
                              "conv1x1_gflops": speed.gflops("pointwise"),
                              "depthwise_gflops": speed.gflops("depthwise")})
    bandwidth = runner.run(f"roof: copy of {plan.copy_megabytes} MB",
                           lambda: du.speed.copy_bandwidth(plan.copy_megabytes, plan.repeats, device))
    return {"matmul": matmul,
            "convs": {"channels": channels, "map": size, "batch": batch, "runs": convs},
            "copy": {"megabytes": plan.copy_megabytes, "gb_per_s": bandwidth,
                     "counts": "bytes read + bytes written"}}


# --- 4. what ran it -------------------------------------------------------------------------

def environment(device: torch.device, benchmark_before: bool) -> dict:
    gpu = device.type == "cuda"
    info = {"device": str(device), "torch": torch.__version__, "cuda": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
            "tf32_allowed": tf32_flags(),
            "cudnn_benchmark": bool(torch.backends.cudnn.benchmark),
            "cudnn_benchmark_before": benchmark_before,
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": du.device.machine_info(device),
            "package_modules": sorted(m for m in sys.modules if m.startswith(f"{PACKAGE}."))}
    if gpu:
        properties = torch.cuda.get_device_properties(device)
        info.update(device_name=torch.cuda.get_device_name(device),
                    capability=list(torch.cuda.get_device_capability(device)),
                    memory_gib=properties.total_memory / 2 ** 30)
    else:
        info["device_name"] = info["machine"]["cpu"]
    return info


# --- the run ------------------------------------------------------------------------------

def measure_all(runner: Runner, plan: Plan, device: torch.device, report: dict) -> None:
    """Fill ``report`` as measurements finish, cheapest and most needed first, so that a
    spent budget or an interruption still leaves the roofs and the seed CNN."""
    report["roofs"] = measure_roofs(runner, plan, device)
    seed, mobilenet = families(plan)
    report["models"] = {}
    for family in (seed, mobilenet):
        report["models"][family.key] = measure_models(runner, plan, device, family)
    report["layers"] = []
    for family in (seed, mobilenet):
        for fmt in FORMATS:
            result = runner.run(f"layers: {family.key}, batch {plan.layer_batch}, {fmt}",
                                lambda family=family, fmt=fmt: measure_layers(family, plan.layer_batch, fmt,
                                                                              plan, device))
            if result is not None:
                report["layers"].append(result)
    report["convs"] = []
    for size in plan.conv_maps:
        for channels in plan.conv_channels:
            for fmt in FORMATS:
                result = runner.run(f"convs: C={channels}, {size}x{size}, batch {plan.conv_batch}, {fmt}",
                                    lambda c=channels, s=size, f=fmt: measure_convs(c, s, f, plan, device))
                if result is not None:
                    report["convs"].append(result)


def _f(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _rate(value) -> str:
    """A GFLOP/s or GB/s figure: whole numbers from 100 up, three digits below."""
    return "-" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def summary(report: dict, path: Path) -> str:
    env = report["environment"]
    flags = env["tf32_allowed"]
    if env["cuda"] is not None and env["device"].startswith("cuda"):
        settings = (f"cuDNN {env['cudnn']}; TF32 matmul {'on' if flags['matmul'] else 'off'}, cuDNN TF32 "
                    f"{'on' if flags['cudnn'] else 'off'}, cudnn.benchmark {'on' if env['cudnn_benchmark'] else 'off'}")
    else:
        settings = f"{env['machine']['torch_threads']} threads"
    lines = [f"{env['device_name']} ({env['device']}), torch {env['torch']}, {settings}"
             + ("; QUICK smoke run, numbers mean little" if report["settings"]["quick"] else ""), ""]
    rows = []
    for family, result in report.get("models", {}).items():
        for r in result["runs"]:
            rows.append({"model": family, "batch": r["batch"], "format": r["format"], "mode": r["mode"],
                         "sep ms": _f(r["separable"]["ms"], ".3g"), "std ms": _f(r["standard"]["ms"], ".3g"),
                         "sep img/s": f"{r['separable']['images_per_second']:,.0f}",
                         "std img/s": f"{r['standard']['images_per_second']:,.0f}",
                         "time sep/std": _f(r["time_ratio_separable_over_standard"], ".2f"),
                         "FLOPs sep/std": _f(r["flop_ratio_separable_over_standard"], ".3f")})
    if rows:
        table = du.tables.Table(list(rows[0]), rows, numeric=tuple(list(rows[0])[4:]) + ("batch",))
        table.title = "Whole models, median per call (separable / standard: below 1 is faster)"
        lines += [str(table), ""]
    if report.get("layers"):
        lines.append("Per layer kind inside the separable models' forward pass: GFLOP/s (share of time)")
        for entry in report["layers"]:
            kinds = ", ".join(f"{kind} {_rate(v['gflops'])} ({100 * v['share_of_time']:.0f}%)"
                              for kind, v in entry["by_kind"].items() if v["mult_adds"])
            lines.append(f"  {entry['model']}, batch {entry['batch']}, {entry['format']}: {kinds}")
        lines.append("")
    if report.get("convs"):
        rows = [{"C": c["channels"], "map": c["map"], "format": c["format"],
                 **{f"{part[:3]} ms": _f(c["parts"][part]["ms"], ".3g") for part in du.speed.CONV_PARTS},
                 **{f"{part[:3]} GFLOP/s": _rate(c["parts"][part]["gflops"]) for part in du.speed.CONV_PARTS},
                 "dw GB/s": _rate(c["parts"]["depthwise"]["gb_per_s"]),
                 "dw FLOP/B": _f(c["parts"]["depthwise"]["flop_per_byte"], ".1f")}
                for c in report["convs"]]
        table = du.tables.Table(list(rows[0]), rows, numeric=tuple(k for k in rows[0] if k != "format"))
        table.title = f"Convs alone (3x3 standard, depthwise, 1x1 pointwise; batch {report['convs'][0]['batch']})"
        lines += [str(table), ""]
    roofs = report.get("roofs")
    if roofs:
        m = roofs["matmul"]
        lines.append(f"Roofs: {m['size']}^2 float32 matmul {_rate(m.get('tf32_off_gflops'))} GFLOP/s"
                     + (f", with TF32 {_rate(m.get('tf32_on_gflops'))}" if "tf32_on_gflops" in m else "")
                     + f"; copy {_rate(roofs['copy']['gb_per_s'])} GB/s")
        for r in roofs["convs"]["runs"]:
            tf = "" if r["tf32"] is None else f", cuDNN TF32 {'on' if r['tf32'] else 'off'}"
            lines.append(f"  convs {r['format']}{tf}: 3x3 {_rate(r['conv3x3_gflops'])}, "
                         f"1x1 {_rate(r['conv1x1_gflops'])}, depthwise {_rate(r['depthwise_gflops'])} GFLOP/s")
        lines.append("")
    lines.append(f"{report['seconds_total']:.1f} s in all (budget {report['settings']['budget_seconds']:g} s); "
                 f"skipped {len(report['skipped'])}, failed {len(report['errors'])}; written to {path}")
    return "\n".join(lines)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default=None,
                        help="cuda or cpu (or e.g. cuda:1); default: cuda if available, else cpu")
    parser.add_argument("--quick", action="store_true",
                        help="tiny batches and repeats: a smoke test, not a measurement")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON file to write (default: results/speed/device-<cuda|cpu>.json)")
    parser.add_argument("--budget-seconds", type=float, default=90.0,
                        help="wall-clock seconds for the whole run; measurements not started in time "
                             "are skipped and listed (default 90)")
    args = parser.parse_args(argv)
    if not args.budget_seconds > 0:
        parser.error("--budget-seconds must be positive")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    device = du.device.pick_device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda" and device.index is not None:
        # The package's timers synchronise the current CUDA device, so make it this one.
        torch.cuda.set_device(device)
    out = args.out or ROOT / "results" / "speed" / f"device-{device.type}.json"
    plan = plan_for(device, args.quick)
    benchmark_before = bool(torch.backends.cudnn.benchmark)
    # Let cuDNN try its algorithms for each new shape and keep the fastest: the warm-up
    # calls pay for the search, and the timed calls get what a training run would.
    torch.backends.cudnn.benchmark = True
    runner = Runner(args.budget_seconds, device)
    report = {"about": "notebook 05's speed story on one device (tools/device_speed.py)",
              "settings": {"device": str(device), "quick": args.quick, "budget_seconds": args.budget_seconds,
                           **asdict(plan)},
              "environment": environment(device, benchmark_before)}
    report["startup_seconds"] = runner.elapsed()
    interrupted = False
    try:
        measure_all(runner, plan, device, report)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        report.update(skipped=runner.skipped, errors=runner.errors, interrupted=interrupted,
                      budget_spent=bool(runner.skipped), seconds_total=runner.elapsed())
        du.files.write_atomically(out, (json.dumps(plain(report), indent=1, allow_nan=False)
                                        + "\n").encode("utf-8"))
    print()
    print(summary(report, out))
    return 1 if interrupted or runner.errors else 0


if __name__ == "__main__":
    sys.exit(main())
