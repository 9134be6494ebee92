"""Before class: is everything here? ``python -m dwconv_utils doctor`` prints one line per thing
a lecturer needs (Python, torch and its build, ipywidgets, JupyterLab and the widgets' front
end, Fashion-MNIST, the committed results, threads and device) and what to do about anything
missing. Nothing is downloaded or written."""
from __future__ import annotations

import platform
import sys
import textwrap
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import torch

from .data import DATA_ENV, DEBIAN_PACKAGE, fashion_mnist_status
from .device import pick_device

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Check:
    """One line of the report: what, what was found, and what to do (empty when all is well)."""

    name: str
    found: str
    advice: str = ""

    @property
    def ok(self) -> bool:
        return not self.advice


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def torch_build() -> str:
    """"CUDA 12.8", "CPU", or "CPU, MPS" (Apple GPU), as this torch was built."""
    if torch.version.cuda:
        return f"CUDA {torch.version.cuda}"
    mps = getattr(torch.backends, "mps", None)
    return "CPU, MPS" if mps is not None and mps.is_built() else "CPU"


def checks(verify_data: bool = True) -> list[Check]:
    """Everything the report says, as ``Check``\\ s (the tests read them)."""
    found = [Check("Python", platform.python_version()
                   + ("" if sys.version_info >= (3, 9) else " (too old)"),
                   "" if sys.version_info >= (3, 9) else "use Python 3.9 or newer")]
    device = pick_device()
    build = torch_build()
    advice = ""
    if device.type == "cpu" and build.startswith("CUDA"):
        advice = ("a CUDA build without a usable GPU: it works, but a CPU build is far smaller (about "
                  "190 MB instead of 3 GB): DWCONV_TORCH=cpu bash scripts/setup.sh in a fresh .venv")
    found.append(Check("torch", f"{torch.__version__} ({build} build); device {device}, "
                                f"{torch.get_num_threads()} threads", advice))
    widgets = _version("ipywidgets")
    found.append(Check("ipywidgets", widgets or "not installed",
                       "" if widgets else "pip install 'ipywidgets>=7.6,<9' (bash scripts/setup.sh does it)"))
    lab = _version("jupyterlab")
    found.append(Check("JupyterLab", lab or "not installed",
                       "" if lab else "bash scripts/lab.sh installs and opens it (Colab needs none)"))
    front_end = _version("jupyterlab_widgets") or _version("widgetsnbextension")
    found.append(Check("widgets' front end", f"installed ({front_end})" if front_end else "not installed",
                       "" if front_end else "pip install jupyterlab_widgets, then restart JupyterLab: "
                                            "without it the sliders show as text"))
    status = fashion_mnist_status(verify=verify_data)
    data_advice = "" if status.available else (
        f"notebook 04 needs it: sudo apt-get install {DEBIAN_PACKAGE}, or set {DATA_ENV} to a folder "
        "with the four files, or run python -m dwconv_utils data where there is internet")
    found.append(Check("Fashion-MNIST", status.describe(), data_advice))
    results = [name for name in ("reference_cnn", "race") if (ROOT / "results" / name).is_dir()]
    found.append(Check("committed results", ", ".join(f"results/{r}" for r in results) or "none here",
                       "" if results else "notebooks 04 and 06 fetch them from the repository on first "
                                          "use (a clone of the project has them)"))
    return found


def report(verify_data: bool = True) -> str:
    """The report as text: one line per check, then what to do."""
    lines = []
    for check in checks(verify_data):
        mark = "ok  " if check.ok else "TODO"
        lines.append(textwrap.fill(f"{mark} {check.name:20} {check.found}", width=100,
                                   subsequent_indent=" " * 26))
        if not check.ok:
            lines.append(textwrap.fill(check.advice, width=100, initial_indent=" " * 26 + "-> ",
                                       subsequent_indent=" " * 29))
    todo = sum(line.startswith("TODO") for line in lines)
    lines.append("All set for class." if not todo else f"{todo} thing(s) to do before class (see -> above).")
    return "\n".join(lines)
