"""What every notebook's first cell does: style, device, quick mode, Colab.

The first cell of each notebook is generated from ``first_cell_source`` by
``python tools/notebooks.py header`` and checked by the tests, so the
repository address below is the only place it is written.
"""
from __future__ import annotations

import os
import platform
import sys

import torch

from .device import pick_device
from .style import apply_style

REPOSITORY_URL = "https://github.com/dwconv-notebooks/depthwise-separable-convolution"
BRANCH = "main"
# Set (to anything but "" or "0") by the test configuration: notebooks then run
# the same cells on less data / fewer epochs, so the suite stays fast.
QUICK_ENV = "DWCONV_QUICK"


def quick_mode() -> bool:
    """True when the notebooks should run their quick (test) variant."""
    return os.environ.get(QUICK_ENV, "") not in ("", "0")


def in_colab() -> bool:
    return "google.colab" in sys.modules


def colab_badge(notebook_path: str) -> str:
    """Markdown for the "Open in Colab" badge of a notebook (path relative to the repository)."""
    repo = REPOSITORY_URL.removeprefix("https://github.com/")
    link = f"https://colab.research.google.com/github/{repo}/blob/{BRANCH}/{notebook_path}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({link})"


def install_requirement(repository_url: str = REPOSITORY_URL) -> str:
    """What pip installs on Colab: the package straight from the repository.

    Its dependencies are ranges that Colab's torch, matplotlib and ipywidgets
    already satisfy, so pip leaves those alone.
    """
    return f"dwconv_utils @ git+{repository_url}@{BRANCH}"


def first_cell_source(repository_url: str = REPOSITORY_URL) -> str:
    """The source of every notebook's first code cell (tests pass a local repository)."""
    return (
        "import sys\n"
        "if \"google.colab\" in sys.modules:  # Colab: install the helper package first\n"
        f"    %pip install -q \"{install_requirement(repository_url)}\"\n"
        "from dwconv_utils.notebook import start\n"
        "device = start()"
    )


def start(device: str | None = None) -> torch.device:
    """Set up a notebook: figure style, device, and (on Colab only) a versions line.

    Outside Colab it prints nothing and takes milliseconds, so notebooks read
    cleanly and their saved outputs do not depend on the machine.
    """
    apply_style()
    chosen = pick_device(device)
    if in_colab():
        print(version_line(chosen))
    return chosen


def version_line(device: torch.device) -> str:
    import matplotlib
    try:
        import ipywidgets
        widgets = ipywidgets.__version__
    except ImportError:  # pragma: no cover - ipywidgets is a dependency
        widgets = "missing"
    gpu = f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else ""
    return (f"device: {device}{gpu} | python {platform.python_version()} | torch {torch.__version__}"
            f" | matplotlib {matplotlib.__version__} | ipywidgets {widgets}"
            f"{' | quick mode' if quick_mode() else ''}")
