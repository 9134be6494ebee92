"""Where tensors live (CUDA, then Apple's MPS, then the CPU), CPU memory reuse, and what
machine this is (``machine_info``)."""
from __future__ import annotations

import ctypes
import os
import platform
import sys

import numpy
import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """The device to use: ``None``/"auto" picks CUDA, then MPS, then CPU.

    An explicit choice ("cpu", "cuda", "cuda:1", "mps" or a ``torch.device``)
    is checked, so asking for a GPU that is not there gives a clear error
    instead of a failure deep inside a training step. Used by every notebook's
    first cell and by ``fit`` (notebook 04).
    """
    if device is None or device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"device must be one of {', '.join(DEVICE_CHOICES)} (or e.g. 'cuda:1'), "
                         f"got {device!r}") from error
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for, but this PyTorch sees no CUDA GPU; "
                         "use device='cpu' or 'auto'")
    if chosen.type == "mps" and not (getattr(torch.backends, "mps", None)
                                     and torch.backends.mps.is_available()):
        raise ValueError(f"device={device!r} was asked for, but MPS is not available here; "
                         "use device='cpu' or 'auto'")
    if chosen.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device must be one of {', '.join(DEVICE_CHOICES)}, got {device!r}")
    return chosen


# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_KEEP_BELOW_BYTES = 1 << 30
_memory_reuse: bool | None = None


def keep_cpu_memory_for_reuse() -> bool:
    """Let the C allocator keep freed tensor memory instead of returning it to the OS.

    Each training step frees and re-allocates the same activation buffers (tens
    of MB for a batch). By default glibc gives such large blocks back to the
    operating system at once, so the next step pays page faults to get them
    again: for the reference CNN on a 2-core CPU, that is a large share of a
    step (a ReLU over a 25 MB tensor: 8 ms with fresh pages, 2 ms with reused
    ones). Raising glibc's mmap and trim thresholds keeps the memory in the
    process. Linux with glibc only; process-wide, done once; returns whether it
    is in effect. ``fit`` calls it when training on the CPU (notebook 04;
    measured by ``python -m dwconv_utils bench``).
    """
    global _memory_reuse
    if _memory_reuse is None:
        _memory_reuse = False
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(None)
                mallopt = libc.mallopt
            except (OSError, AttributeError):  # not glibc (e.g. musl without mallopt)
                return False
            _memory_reuse = (mallopt(_M_MMAP_THRESHOLD, _KEEP_BELOW_BYTES) == 1
                             and mallopt(_M_TRIM_THRESHOLD, _KEEP_BELOW_BYTES) == 1)
    return _memory_reuse


def cpu_memory_reuse_active() -> bool:
    """Whether ``keep_cpu_memory_for_reuse`` is in effect in this process."""
    return bool(_memory_reuse)


def machine_info(device: str | torch.device | None = None) -> dict:
    """What runs this: CPU model, cores, PyTorch threads, OS, Python, torch and numpy versions,
    the CUDA GPU if any, and ``device`` when one is given (notebooks 04 and 05, the benchmark and
    every experiment's result file use these keys)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {"cpu": cpu, "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "platform": platform.platform(), "python": platform.python_version(),
            "torch": torch.__version__, "numpy": numpy.__version__,
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}
    if device is not None:
        info["device"] = str(pick_device(device))
    return info
