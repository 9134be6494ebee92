"""Training the reference CNN: ``fit``, ``evaluate`` and the ``History`` they return.

Taught in notebook 04. Speed comes from measurement (``python -m
dwconv_utils.bench``): the data stays in memory as tensors and is sliced in
batches (no per-sample ``Dataset``); activations use the channels_last
memory format, which the CPU's depthwise and 1x1 convolutions run several
times faster in than NCHW; and on the CPU freed activation memory is kept
for the next step instead of being returned to the OS.

Command line (trains on Fashion-MNIST, writes the history and the weights)::

    python -m dwconv_utils.train --model separable --epochs 5
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from . import _checks
from ._files import write_atomically
from .device import cpu_memory_reuse_active, keep_cpu_memory_for_reuse, pick_device
from .models import ACTIVATIONS, CONV_KINDS, ReferenceCNN

OPTIMIZERS = ("adam", "sgd")
DEFAULT_BATCH_SIZE = 128
DEFAULT_LR = 1e-3
HISTORY_VERSION = 1


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; ``history`` holds what was recorded before."""

    def __init__(self, message: str, history: "History"):
        super().__init__(message)
        self.history = history


@dataclass
class EpochStats:
    epoch: int
    train_loss: float
    test_loss: float | None
    test_accuracy: float | None
    seconds: float            # wall-clock seconds of the epoch's training steps
    images_per_second: float  # training throughput of the epoch


@dataclass
class History:
    """What ``fit`` recorded: per-epoch statistics and every step's loss (notebook 04).

    ``history.plot()`` draws it; ``history.save(path)`` / ``History.load(path)``
    round-trip it through JSON.
    """

    name: str
    settings: dict = field(default_factory=dict)
    epochs: list[EpochStats] = field(default_factory=list)
    step_losses: list[float] = field(default_factory=list)

    def column(self, key: str) -> list:
        """One per-epoch statistic as a list, e.g. ``history.column("test_accuracy")``."""
        if key not in EpochStats.__dataclass_fields__:
            raise ValueError(f"key must be one of {', '.join(EpochStats.__dataclass_fields__)}; "
                             f"got {key!r}")
        return [getattr(e, key) for e in self.epochs]

    @property
    def wall_seconds(self) -> list[float]:
        """Cumulative training seconds at the end of each epoch."""
        total, out = 0.0, []
        for e in self.epochs:
            total += e.seconds
            out.append(total)
        return out

    def plot(self, x: str = "epoch"):
        """Loss and test accuracy against epochs (``x="epoch"``) or wall seconds (``x="seconds"``)."""
        from .plots import plot_histories
        return plot_histories([self], x=x)

    def to_dict(self) -> dict:
        return {"version": HISTORY_VERSION, "name": self.name, "settings": self.settings,
                "epochs": [asdict(e) for e in self.epochs], "step_losses": self.step_losses}

    @classmethod
    def from_dict(cls, data: dict) -> "History":
        if not isinstance(data, dict) or data.get("version") != HISTORY_VERSION:
            raise ValueError(f"not a training history of version {HISTORY_VERSION}: "
                             f"got {str(data)[:80]!r}")
        try:
            epochs = [EpochStats(**e) for e in data["epochs"]]
            return cls(str(data["name"]), dict(data["settings"]), epochs,
                       [float(v) for v in data["step_losses"]])
        except (KeyError, TypeError) as error:
            raise ValueError(f"training history is missing or has malformed fields: {error}") from error

    def save(self, path: str | os.PathLike) -> Path:
        """Write JSON atomically (a crash never leaves a half-written file)."""
        return write_atomically(Path(path), json.dumps(self.to_dict(), indent=1).encode())

    @classmethod
    def load(cls, path: str | os.PathLike) -> "History":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not valid JSON ({error})") from error
        return cls.from_dict(data)


# --- data checks -------------------------------------------------------------

def _check_data(name: str, data) -> tuple[torch.Tensor, torch.Tensor]:
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


def _prepare(images: torch.Tensor, device: torch.device, channels_last: bool) -> torch.Tensor:
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
    images, labels = _check_data("data", data)
    batch_size = _checks.positive_int("batch_size", batch_size)
    device = pick_device(device) if device is not None else _model_device(model)
    channels_last = _default_channels_last(device) if channels_last is None else channels_last
    was_training = model.training
    model.eval()
    losses, predictions, confidence = [], [], []
    try:
        for start in range(0, len(images), batch_size):
            x = _prepare(images[start:start + batch_size], device, channels_last)
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


def _default_channels_last(device: torch.device) -> bool:
    # Measured faster for these convs on CPU and CUDA; MPS support for it is partial.
    return device.type in ("cpu", "cuda")


# --- progress display ------------------------------------------------------------

def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, Colab), False in a terminal."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


class _Reporter:
    """Progress bar and live figure in a notebook; one line per epoch in a terminal."""

    def __init__(self, history: History, epochs: int, steps: int, enabled: bool, live: bool):
        self.history, self.epochs, self.steps = history, epochs, steps
        self.enabled = enabled
        self.notebook = enabled and in_notebook()
        self.live = live and self.notebook
        self.bar = None
        self.figure = self.handle = None
        self.last_draw = 0.0

    def start_epoch(self, epoch: int) -> None:
        if self.notebook:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=self.steps, desc=f"{self.history.name} epoch {epoch}/{self.epochs}",
                            unit="batch", leave=True)

    def step(self, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(1)
            if self.bar.n % 20 == 0:
                self.bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
        if self.live and time.perf_counter() - self.last_draw > 2.0:
            self.draw()

    def end_epoch(self, stats: EpochStats) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self.live:
            self.draw()
        elif self.enabled and not self.notebook:
            print(format_epoch(self.history.name, stats, self.epochs), flush=True)

    def draw(self) -> None:
        from IPython.display import display
        from .plots import plot_histories
        self.figure = plot_histories([self.history], figure=self.figure)
        if self.handle is None:
            self.handle = display(self.figure, display_id=True)
        else:
            self.handle.update(self.figure)
        self.last_draw = time.perf_counter()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def format_epoch(name: str, stats: EpochStats, epochs: int) -> str:
    """One terminal line per epoch."""
    test = (f"  test loss {stats.test_loss:.4f}  test acc {100 * stats.test_accuracy:.2f}%"
            if stats.test_accuracy is not None else "")
    return (f"{name} epoch {stats.epoch}/{epochs}  train loss {stats.train_loss:.4f}{test}"
            f"  {stats.seconds:.1f} s  {stats.images_per_second:,.0f} img/s")


# --- training ----------------------------------------------------------------

def _make_optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
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
    images, labels = _check_data("train", train)
    test_data = _check_data("test", test) if test is not None else None
    epochs = _checks.positive_int("epochs", epochs)
    batch_size = _checks.positive_int("batch_size", batch_size)
    lr = _checks.positive_number("lr", lr)
    _checks.choice("optimizer", optimizer, OPTIMIZERS)
    seed = _checks.non_negative_int("seed", seed)
    device = pick_device(device)
    channels_last = _default_channels_last(device) if channels_last is None else channels_last
    _checks.boolean("channels_last", channels_last)
    _checks.boolean("reuse_memory", reuse_memory)
    if reuse_memory and device.type == "cpu":
        keep_cpu_memory_for_reuse()

    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model.to(device=device, memory_format=memory_format)
    images = _prepare(images, device, channels_last)
    labels = labels.to(device)
    opt = _make_optimizer(optimizer, model.parameters(), lr)

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
    reporter = _Reporter(history, epochs, steps, progress, live_plot)
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


def load_weights(model: nn.Module, path: str | os.PathLike) -> nn.Module:
    """Load a state_dict saved by the command line into ``model`` (safely: weights_only)."""
    state = torch.load(Path(path), map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model


# --- command line ------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dwconv_utils.train",
                                description="Train the seed's reference CNN on Fashion-MNIST.")
    p.add_argument("--model", choices=CONV_KINDS, default="separable")
    p.add_argument("--activation", choices=ACTIVATIONS, default="relu")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    p.add_argument("--lr", type=float, default=DEFAULT_LR)
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or mps (default: auto)")
    p.add_argument("--limit", type=int, default=None,
                   help="use only the first N training and N//6 test images (quick runs)")
    p.add_argument("--data", default=None, help="folder with the four Fashion-MNIST files")
    p.add_argument("--no-download", action="store_true",
                   help="never download; use only local copies of the data")
    p.add_argument("--out", default="runs", help="folder for the history JSON and weights")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from .data import DataCorruptError, DataUnavailableError, fashion_mnist_tensors
    try:
        test_limit = None if args.limit is None else max(1, args.limit // 6)
        download = not args.no_download
        train = fashion_mnist_tensors("train", root=args.data, download=download, limit=args.limit)
        test = fashion_mnist_tensors("test", root=args.data, download=download, limit=test_limit)
        torch.manual_seed(args.seed)
        model = ReferenceCNN(args.model, args.activation)
        print(f"training {repr_model(model)} on {len(train[0]):,} images, testing on "
              f"{len(test[0]):,}; device {pick_device(args.device)}, torch {torch.__version__}, "
              f"{torch.get_num_threads()} threads, {platform.machine()}", flush=True)
        history = fit(model, train, test, args.epochs, batch_size=args.batch_size, lr=args.lr,
                      optimizer=args.optimizer, seed=args.seed, device=args.device,
                      name=f"{args.model}-{args.activation}")
    except (DataUnavailableError, DataCorruptError, ValueError, TypeError,
            TrainingDiverged) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stem = Path(args.out) / f"{args.model}-{args.activation}-seed{args.seed}"
    history.save(stem.with_suffix(".json"))
    buffer = _state_dict_bytes(model)
    write_atomically(stem.with_suffix(".pt"), buffer)
    print(f"wrote {stem.with_suffix('.json')} and {stem.with_suffix('.pt')}")
    return 0


def _state_dict_bytes(model: nn.Module) -> bytes:
    import io
    buffer = io.BytesIO()
    # Contiguous CPU tensors: loadable anywhere, independent of the training memory format.
    torch.save({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, buffer)
    return buffer.getvalue()


if __name__ == "__main__":
    sys.exit(main())
