"""Choosing where tensors live: CUDA, then Apple's MPS, then the CPU."""
from __future__ import annotations

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
