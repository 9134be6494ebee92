"""What popular FLOP counters report: ``python tools/flop_counters.py`` (about a minute).

Creates a throwaway virtual environment that sees this environment's torch (as the
ipywidgets-7.7 test does), installs the pinned counters of ``dwconv_utils.counters``
(fvcore, thop, ptflops, torchinfo, torchprofile) from the package registry, runs each of them
there on a fresh copy of every model in ``COUNTER_MODELS`` and writes their raw reports, with
each tool's version, fvcore's skipped ops and the exact counts, to
``results/flop_counters.json`` (atomically). Notebook 03 shows that file; a test checks that
its exact counts still equal ``cost_table``. Run it by hand when the counters or the models
change: it needs the registry, so it is not part of the test suite.
"""
from __future__ import annotations

import argparse
import io
import json
import platform
import subprocess
import sys
import tempfile
import warnings
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def measure() -> dict:
    """Run every counter on every model (inside the environment that has them)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from dwconv_utils.counters import COUNTER_MODELS, COUNTER_VERSIONS, exact_macs

    def flop_counter_mode(model, shape):
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            model(torch.zeros(shape))
        return counter.get_total_flops() // 2, []

    def fvcore(model, shape):
        from fvcore.nn import FlopCountAnalysis
        analysis = FlopCountAnalysis(model, torch.zeros(shape))
        analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        return int(analysis.total()), sorted(analysis.unsupported_ops())

    def thop(model, shape):
        from thop import profile
        macs, _ = profile(model, inputs=(torch.zeros(shape),), verbose=False)
        return int(macs), []

    def ptflops(model, shape):
        from ptflops import get_model_complexity_info
        macs, _ = get_model_complexity_info(model, tuple(shape[1:]), as_strings=False,
                                            print_per_layer_stat=False, verbose=False, backend="pytorch")
        return int(macs), []

    def torchinfo(model, shape):
        from torchinfo import summary
        return int(summary(model, input_size=shape, verbose=0).total_mult_adds), []

    def torchprofile(model, shape):
        from torchprofile import profile_macs
        return int(profile_macs(model, torch.zeros(shape))), []

    tools = {"FlopCounterMode": flop_counter_mode, "fvcore": fvcore, "thop": thop, "ptflops": ptflops,
             "torchinfo": torchinfo, "torchprofile": torchprofile}
    report = {"versions": {"FlopCounterMode": f"torch {torch.__version__}"}, "exact": {}, "macs": {},
              "errors": {}, "unsupported": {},
              "machine": f"{platform.machine()}, Python {platform.python_version()}, torch {torch.__version__}"}
    from importlib.metadata import version

    from packaging.version import Version
    for tool in COUNTER_VERSIONS:
        report["versions"][tool] = str(Version(version(tool)))  # thop writes 0.1.1-2209072238
    for model in COUNTER_MODELS:
        report["exact"][model.name] = exact_macs(model)
        report["macs"][model.name] = {}
        for tool, count in tools.items():
            torch.manual_seed(0)
            net = model.build().eval()  # a fresh copy: thop leaves buffers and hooks behind
            try:
                with warnings.catch_warnings(), redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                    warnings.simplefilter("ignore")
                    macs, unsupported = count(net, model.input_shape)
                report["macs"][model.name][tool] = macs
                if unsupported:
                    report["unsupported"][model.name] = unsupported
            except Exception as error:  # a counter that cannot handle a model is a finding too
                report["macs"][model.name][tool] = None
                report["errors"].setdefault(model.name, {})[tool] = f"{type(error).__name__}: {error}"[:300]
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "flop_counters.json")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure()))
        return 0

    from dwconv_utils.counters import COUNTER_VERSIONS
    from dwconv_utils.files import write_atomically
    from fresh_venv import fresh_venv_seeing_ours

    pins = [f"{tool}=={v}" for tool, v in COUNTER_VERSIONS.items() if tool != "torchprofile"]
    with tempfile.TemporaryDirectory() as folder:
        python, _ = fresh_venv_seeing_ours(Path(folder) / "venv")
        for packages in (pins, ["--no-deps", f"torchprofile=={COUNTER_VERSIONS['torchprofile']}"]):
            # torchprofile asks for torchvision, which it never imports: left out, not installed.
            subprocess.run([str(python), "-m", "pip", "install", "-q", *packages], check=True)
        run = subprocess.run([str(python), __file__, "--worker"], capture_output=True, text=True, check=True)
    report = json.loads(run.stdout)
    write_atomically(args.out, (json.dumps(report, indent=1, sort_keys=True) + "\n").encode("utf-8"))
    for model, counts in report["macs"].items():
        print(f"{model:28} exact {report['exact'][model]:>13,}  "
              + "  ".join(f"{t} {'failed' if v is None else f'{v:,}'}" for t, v in counts.items()))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
