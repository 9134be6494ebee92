"""Training the reference CNN: ``fit``, ``evaluate`` and saving or loading weights.

Taught in notebook 04. Speed comes from measurement (``python -m
dwconv_utils bench``): the data stays in memory as tensors and is sliced in
batches (no per-sample ``Dataset``); activations use the channels_last
memory format, which the CPU's depthwise and 1x1 convolutions run several
times faster in than NCHW; and on the CPU freed activation memory is kept
for the next step instead of being returned to the OS. ``fit`` returns a
``History`` (``history.py``) and shows its progress with ``progress.py``.
"""
from __future__ import annotations

import io
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from . import checks
from .device import cpu_memory_reuse_active, keep_cpu_memory_for_reuse, pick_device
from .files import write_atomically
from .history import EpochStats, History
from .models import ReferenceCNN
from .progress import TrainingReporter

OPTIMIZERS = ("adam", "sgd")
DEFAULT_BATCH_SIZE = 128
DEFAULT_LR = 1e-3
SCHEDULES = ("constant", "one-cycle")
ONE_CYCLE_WARMUP = 0.25        # share of the run spent raising the learning rate
ONE_CYCLE_START = 1 / 25       # start and end of the cycle, as shares of the peak
ONE_CYCLE_END = 1 / 1000


def scheduled_lr(schedule: str, peak: float, progress: float) -> float:
    """The learning rate when ``progress`` (0..1) of a run is done (notebook 04). "constant":
    ``peak`` throughout. "one-cycle": a cosine rise from peak/25 to the peak over the first
    quarter, then a cosine fall to peak/1000 at the end, so the schedule fits any length."""
    if schedule == "constant":
        return peak
    progress = min(max(progress, 0.0), 1.0)
    if progress < ONE_CYCLE_WARMUP:
        low, high, t = peak * ONE_CYCLE_START, peak, progress / ONE_CYCLE_WARMUP
    else:
        low, high = peak * ONE_CYCLE_END, peak
        t = 1 - (progress - ONE_CYCLE_WARMUP) / (1 - ONE_CYCLE_WARMUP)
    return low + (high - low) * (1 - math.cos(math.pi * t)) / 2


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; ``history`` holds what was recorded before."""

    def __init__(self, message: str, history: History):
        super().__init__(message)
        self.history = history


# --- data checks -------------------------------------------------------------

def check_data(name: str, data) -> tuple[torch.Tensor, torch.Tensor]:
    if not (isinstance(data, (tuple, list)) and len(data) == 2
            and all(isinstance(t, torch.Tensor) for t in data)):
        raise TypeError(f"{name} must be a pair of tensors (images, labels), e.g. from "
                        f"fashion_mnist_tensors(); got {type(data).__name__}")
    images, labels = data
    if images.dim() != 4 or not images.is_floating_point():
        raise ValueError(f"{name} images must be a float tensor of shape (N, C, H, W); got "
                         f"{images.dtype} of shape {tuple(images.shape)}")
    if labels.dim() != 1 or labels.dtype != torch.int64 or len(labels) != len(images):
        raise ValueError(f"{name} labels must be an int64 tensor of shape ({len(images)},); got "
                         f"{labels.dtype} of shape {tuple(labels.shape)}")
    if len(images) == 0:
        raise ValueError(f"{name} is empty")
    return images, labels


def prepare_images(images: torch.Tensor, device: torch.device, channels_last: bool) -> torch.Tensor:
    images = images.to(device)
    return images.contiguous(memory_format=torch.channels_last) if channels_last else images


# --- evaluation --------------------------------------------------------------

@dataclass
class Evaluation:
    """Accuracy, mean loss, and every prediction (for a confusion matrix)."""

    accuracy: float
    loss: float
    predictions: torch.Tensor   # predicted class per example (int64, CPU)
    labels: torch.Tensor        # true class per example (int64, CPU)
    confidence: torch.Tensor    # softmax probability of the predicted class

    def confusion_matrix(self, num_classes: int | None = None) -> torch.Tensor:
        """Counts[true, predicted] as an int64 tensor."""
        n = num_classes or int(max(self.labels.max(), self.predictions.max())) + 1
        flat = self.labels * n + self.predictions
        return torch.bincount(flat, minlength=n * n).reshape(n, n)


@torch.no_grad()
def evaluate(model: nn.Module, data, batch_size: int = 1000, device=None,
             channels_last: bool | None = None) -> Evaluation:
    """Accuracy and loss of ``model`` on ``data`` = (images, labels) (notebook 04)."""
    images, labels = check_data("data", data)
    batch_size = checks.positive_int("batch_size", batch_size)
    device = pick_device(device) if device is not None else _model_device(model)
    channels_last = default_channels_last(device) if channels_last is None else channels_last
    was_training = model.training
    model.eval()
    losses, predictions, confidence = [], [], []
    try:
        for start in range(0, len(images), batch_size):
            x = prepare_images(images[start:start + batch_size], device, channels_last)
            y = labels[start:start + batch_size].to(device)
            logits = model(x)
            losses.append(F.cross_entropy(logits, y, reduction="sum").item())
            probs = logits.softmax(dim=1)
            conf, pred = probs.max(dim=1)
            predictions.append(pred.cpu())
            confidence.append(conf.cpu())
    finally:
        model.train(was_training)
    predictions = torch.cat(predictions)
    return Evaluation(accuracy=(predictions == labels.cpu()).double().mean().item(),
                      loss=sum(losses) / len(images), predictions=predictions,
                      labels=labels.cpu(), confidence=torch.cat(confidence))


def _model_device(model: nn.Module) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def default_channels_last(device: torch.device) -> bool:
    # Measured faster for these convs on CPU and CUDA; MPS support for it is partial.
    return device.type in ("cpu", "cuda")


# --- training ----------------------------------------------------------------

def make_optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    return torch.optim.SGD(params, lr=lr, momentum=0.9)


def fit(model: nn.Module, train, test=None, epochs: int = 2, *, batch_size: int = DEFAULT_BATCH_SIZE,
        lr: float = DEFAULT_LR, optimizer: str = "adam", seed: int = 0, device=None,
        channels_last: bool | None = None, reuse_memory: bool = True, progress: bool = True,
        live_plot: bool = True, name: str | None = None) -> History:
    """Train ``model`` on ``train`` = (images, labels) and evaluate on ``test`` each epoch.

    Defaults: Adam, learning rate 1e-3, batch 128, seed 0, device picked
    automatically (CUDA, then MPS, then CPU), channels_last on CPU and CUDA,
    and on the CPU freed memory kept for reuse (``keep_cpu_memory_for_reuse``).
    In a notebook: a progress bar per epoch and a live loss/accuracy figure
    that is updated in place; in a terminal: one line per epoch. The batch
    order depends only on ``seed``, so the same seed and the same initial
    weights give the same history on the CPU. A loss that becomes NaN or
    infinite stops training with ``TrainingDiverged`` naming the epoch and step.
    Taught in notebook 04.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    images, labels = check_data("train", train)
    test_data = check_data("test", test) if test is not None else None
    epochs = checks.positive_int("epochs", epochs)
    batch_size = checks.positive_int("batch_size", batch_size)
    lr = checks.positive_number("lr", lr)
    checks.choice("optimizer", optimizer, OPTIMIZERS)
    seed = checks.non_negative_int("seed", seed)
    device = pick_device(device)
    channels_last = default_channels_last(device) if channels_last is None else channels_last
    checks.boolean("channels_last", channels_last)
    checks.boolean("reuse_memory", reuse_memory)
    if reuse_memory and device.type == "cpu":
        keep_cpu_memory_for_reuse()

    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model.to(device=device, memory_format=memory_format)
    images = prepare_images(images, device, channels_last)
    labels = labels.to(device)
    opt = make_optimizer(optimizer, model.parameters(), lr)

    history = History(name or getattr(model, "conv_kind", type(model).__name__),
                      settings={"epochs": epochs, "batch_size": batch_size, "lr": lr,
                                "optimizer": optimizer, "seed": seed, "device": str(device),
                                "channels_last": channels_last,
                                # Process-wide once applied, so record the state, not the request.
                                "reuse_memory": device.type == "cpu" and cpu_memory_reuse_active(),
                                "train_size": len(images),
                                "test_size": len(test_data[0]) if test_data else 0,
                                "model": repr_model(model),
                                "conv": getattr(model, "conv_kind", None)})
    steps = math.ceil(len(images) / batch_size)
    reporter = TrainingReporter(history, epochs, steps, progress, live_plot)
    try:
        for epoch in range(1, epochs + 1):
            reporter.start_epoch(epoch)
            model.train()
            order = torch.randperm(len(images), generator=generator).to(device)
            start, total_loss = time.perf_counter(), 0.0
            for step in range(steps):
                idx = order[step * batch_size:(step + 1) * batch_size]
                opt.zero_grad(set_to_none=True)
                loss = F.cross_entropy(model(images[idx]), labels[idx])
                value = loss.item()
                if not math.isfinite(value):
                    raise TrainingDiverged(
                        f"the training loss became {value} at epoch {epoch}, step {step + 1} of "
                        f"{steps} (lr={lr}, batch_size={batch_size}); try a smaller learning rate",
                        history)
                loss.backward()
                opt.step()
                history.step_losses.append(value)
                total_loss += value * len(idx)
                reporter.step(value)
            seconds = time.perf_counter() - start
            result = (evaluate(model, test_data, device=device, channels_last=channels_last)
                      if test_data else None)
            stats = EpochStats(epoch, total_loss / len(images),
                               result.loss if result else None,
                               result.accuracy if result else None,
                               seconds, len(images) / seconds)
            history.epochs.append(stats)
            reporter.end_epoch(stats)
    finally:
        reporter.close()
    return history


def repr_model(model: nn.Module) -> str:
    if isinstance(model, ReferenceCNN):
        return f"ReferenceCNN({model.description()})"
    return type(model).__name__


def weights_bytes(model: nn.Module) -> bytes:
    """``model``'s state_dict as ``torch.save`` bytes: contiguous CPU tensors, loadable anywhere,
    independent of the device and memory format it trained in."""
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, buffer)
    return buffer.getvalue()


def save_weights(model: nn.Module, path: str | os.PathLike) -> Path:
    """Write ``model``'s weights to ``path`` atomically (never half a file)."""
    return write_atomically(Path(path), weights_bytes(model))


def load_weights(model: nn.Module, path: str | os.PathLike) -> nn.Module:
    """Load weights saved by ``save_weights`` into ``model`` (safely: weights_only)."""
    state = torch.load(Path(path), map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model
