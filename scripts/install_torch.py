"""Install the torch build that fits this machine: ``scripts/setup.sh`` runs this with the
project's Python before anything else, so pip never pulls a multi-GB CUDA build onto a laptop
that cannot use it.

- A torch that is already installed is kept (Colab, a lab image, CI's pinned build).
- ``DWCONV_TORCH=auto`` (the default): the CPU build on Linux machines without an NVIDIA GPU
  (no ``nvidia-smi``, no NVIDIA driver); elsewhere the default build from the package index.
  PyPI's Linux wheels are CUDA builds; its macOS and Windows wheels are CPU/MPS builds already.
- ``DWCONV_TORCH=cpu`` forces the CPU build, ``DWCONV_TORCH=cuda`` the default (CUDA) build.

The CPU build comes from PyTorch's CPU index (``pip --index-url``, as pytorch.org says to
install it; ``--isolated``, so that only that index is asked). Where that index cannot be reached, a CPU build (``+cpu``) on the indexes pip is
configured with is used, and failing that the default build, with one line saying so and how
large it is. Nothing is printed when torch is already there.
"""
from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

REQUIREMENT = "torch>=2.1"     # the range in pyproject.toml
MINIMUM = (2, 1)
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
CHOICE_ENV = "DWCONV_TORCH"
CHOICES = ("auto", "cpu", "cuda")
# Measured on Linux x86_64, Python 3.11, each alone in a fresh virtual environment
# (torch 2.13.0+cpu; torch 2.14.1 with its CUDA packages).
SIZES = {"cpu": "about 190 MB to download, 0.9 GB installed",
         "cuda": "about 3.0 GB to download (torch, 15 nvidia-* and 3 cuda-* packages, triton), 5.4 GB installed"}


def has_nvidia_gpu(which=shutil.which, exists=os.path.exists) -> bool:
    """An NVIDIA GPU with its driver: ``nvidia-smi`` on the PATH or the driver's files present."""
    return which("nvidia-smi") is not None or exists("/proc/driver/nvidia/version") or exists("/dev/nvidia0")


@dataclass(frozen=True)
class Plan:
    build: str     # "keep", "cpu" or "default"
    why: str


def plan(choice: str, system: str, gpu: bool, installed: str | None) -> Plan:
    """Which torch to install: ``choice`` from DWCONV_TORCH, ``system`` as platform.system()."""
    if choice not in CHOICES:
        raise ValueError(f"{CHOICE_ENV} must be one of {', '.join(CHOICES)}; got {choice!r}")
    if installed:
        return Plan("keep", f"torch {installed} is installed already; kept")
    if choice == "cpu":
        return Plan("cpu", f"{CHOICE_ENV}=cpu")
    if choice == "cuda":
        if system != "Linux" and system != "Windows":
            raise ValueError(f"{CHOICE_ENV}=cuda: PyTorch has no CUDA builds for {system}; use auto or cpu")
        return Plan("default", f"{CHOICE_ENV}=cuda: the default build, with CUDA ({SIZES['cuda']})")
    if system == "Linux" and not gpu:
        return Plan("cpu", "Linux without an NVIDIA GPU")
    if system == "Linux":
        return Plan("default", f"an NVIDIA GPU is present: the default build, with CUDA ({SIZES['cuda']})")
    return Plan("default", f"{system}: the default build is the right one there")


def cpu_versions_on_configured_indexes(pip_index_output: str) -> list[str]:
    """The ``+cpu`` torch versions in ``pip index versions torch`` output, newest first, in range."""
    match = re.search(r"Available versions:\s*(.+)", pip_index_output)
    if not match:
        return []
    versions = [v.strip() for v in match.group(1).split(",")]

    def release(version: str) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", version.split("+")[0])[:3])
    return [v for v in versions if v.endswith("+cpu") and release(v)[:2] >= MINIMUM]


def pip(python: str, *args: str) -> list[str]:
    return [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *args]


def install(build: str, python: str = sys.executable, run=subprocess.run, say=print) -> str:
    """Install ``build`` ("cpu" or "default"); returns how it was done, in a few words."""
    if build == "default":
        run(pip(python, REQUIREMENT), check=True)
        return "the default build"
    # --isolated: PyTorch's CPU index alone, so no index configured here can slip a CUDA build in.
    tried = run(pip(python, "--isolated", "--index-url", CPU_INDEX, "--timeout", "20", "--retries", "1",
                    REQUIREMENT), capture_output=True, text=True)
    if tried.returncode == 0:
        return f"the CPU build from {CPU_INDEX}"
    listed = run([python, "-m", "pip", "index", "versions", "torch", "--disable-pip-version-check"],
                 capture_output=True, text=True)
    local = cpu_versions_on_configured_indexes(listed.stdout if listed.returncode == 0 else "")
    if local:
        run(pip(python, f"torch=={local[0]}"), check=True)
        return f"the CPU build torch {local[0]} from the configured package index ({CPU_INDEX} unreachable)"
    say(f"setup: PyTorch's CPU index ({CPU_INDEX}) cannot be reached and no CPU build of torch is on the "
        f"configured index; installing the default build instead ({SIZES['cuda']} on Linux). "
        f"To avoid it: install a CPU build of torch into .venv yourself first, and the setup keeps it.")
    run(pip(python, REQUIREMENT), check=True)
    return "the default build (the CPU index was unreachable)"


def installed_torch(python: str = sys.executable, run=subprocess.run) -> str | None:
    found = run([python, "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 else None


def main() -> int:
    choice = os.environ.get(CHOICE_ENV, "auto").strip().lower() or "auto"
    try:
        decided = plan(choice, platform.system(), has_nvidia_gpu(), installed_torch())
    except ValueError as error:
        print(f"setup: {error}", file=sys.stderr)
        return 2
    if decided.build == "keep":
        return 0
    print(f"setup: installing torch ({decided.why}) ...", flush=True)
    how = install(decided.build)
    print(f"setup: torch installed: {how}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
