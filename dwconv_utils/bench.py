"""How fast does the reference CNN train here? ``python -m dwconv_utils bench``.

Measures, in one run and interleaved (so machine noise hits every setting
alike), forward and training images/s of the separable model and its
standard twin under four settings, each adding one change to the last:

- ``seed``: the seed's code as written: NCHW tensors, batch 128, a
  ``DataLoader`` over a ``TensorDataset`` (one Python call per image), Adam;
- ``in-memory``: batches sliced straight from tensors, still NCHW;
- ``channels_last``: the same in the channels_last memory format;
- ``reuse-memory``: also keeps freed CPU memory for reuse;
- ``package``: what ``fit`` and ``race`` do: also the ReLU after each max-pool,
  on a 4x smaller map (the same numbers as the seed's order, ``models.py``).

The seed's order (ReLU, then max-pool) is kept in every setting before
``package``, so the ladder measures the package's changes one at a time.
``--threads N`` sets PyTorch's thread count in every worker.

Each (setting, repeat) runs in a fresh worker process, because memory reuse
changes the whole process's allocator and the seed's code must be measured
without it.

It then sets the FLOP ratio (standard / separable) beside the measured time
ratio. Inputs are random tensors of Fashion-MNIST's shape: speed does not
depend on pixel values, and the benchmark then needs no data set.
Taught in notebooks 04 and 05; numbers are printed, never asserted.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from . import checks
from .cost import cost_table
from .device import keep_cpu_memory_for_reuse, machine_info, pick_device
from .models import CONV_KINDS, ReferenceCNN
from .tables import Table
from .timing import measure
from .train import DEFAULT_BATCH_SIZE


@dataclass(frozen=True)
class Setting:
    name: str
    batch_size: int
    channels_last: bool
    data_loader: bool
    reuse_memory: bool
    description: str
    pool_first: bool = False


def settings(batch_size: int = DEFAULT_BATCH_SIZE, seed_batch_size: int = 128) -> list[Setting]:
    """The four settings; ``seed_batch_size`` is the seed's 128 except in quick smoke runs."""
    return [
        Setting("seed", seed_batch_size, False, True, False,
                f"seed as written: NCHW, batch {seed_batch_size}, DataLoader"),
        Setting("in-memory", batch_size, False, False, False,
                f"tensor batches of {batch_size}, NCHW"),
        Setting("channels_last", batch_size, True, False, False,
                f"tensor batches of {batch_size}, channels_last"),
        Setting("reuse-memory", batch_size, True, False, True,
                "as channels_last, and freed CPU memory kept for reuse"),
        Setting("package", batch_size, True, False, True,
                "as reuse-memory, and ReLU after max-pool (what fit and race do)", pool_first=True),
    ]


class SeedOrderCNN(ReferenceCNN):
    """The reference CNN with the seed's order in forward: ReLU, then max-pool."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        act = self.activation
        x = self.pool(act(self.conv2(act(self.conv1(x)))))
        x = self.pool(act(self.conv4(act(self.conv3(x)))))
        x = self.pool(act(self.conv6(act(self.conv5(x)))))
        return self.fc2(act(self.fc1(self.flatten(x))))


class _Trainer:
    """One model under one setting, ready to run a few training steps at a time."""

    def __init__(self, conv: str, setting: Setting, device: torch.device, pool: int):
        torch.manual_seed(0)
        self.setting, self.device = setting, device
        fmt = torch.channels_last if setting.channels_last else torch.contiguous_format
        model_class = ReferenceCNN if setting.pool_first else SeedOrderCNN
        self.model = model_class(conv).to(device=device, memory_format=fmt)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        images = torch.randn(pool, 1, 28, 28)
        labels = torch.randint(0, 10, (pool,))
        if setting.data_loader:
            self.loader = DataLoader(TensorDataset(images, labels), batch_size=setting.batch_size,
                                     shuffle=True, drop_last=True)
            self.batches = iter(self.loader)
        else:
            self.images = images.to(device).contiguous(memory_format=fmt)
            self.labels = labels.to(device)
            self.order = torch.randperm(pool, device=device)
            self.position = 0

    def _batch(self):
        bs = self.setting.batch_size
        if self.setting.data_loader:
            try:
                x, y = next(self.batches)
            except StopIteration:
                self.batches = iter(self.loader)
                x, y = next(self.batches)
            return x.to(self.device), y.to(self.device)
        if self.position + bs > len(self.order):
            self.position = 0
        idx = self.order[self.position:self.position + bs]
        self.position += bs
        return self.images[idx], self.labels[idx]

    def train_steps(self, steps: int) -> None:
        self.model.train()
        for _ in range(steps):
            x, y = self._batch()
            self.opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(self.model(x), y)
            loss.backward()
            self.opt.step()
            loss.item()  # as a training loop that logs its loss does

    @torch.no_grad()
    def forward_steps(self, steps: int) -> None:
        self.model.eval()
        for _ in range(steps):
            x, _ = self._batch()
            self.model(x)


@dataclass
class Result:
    model: str
    setting: str
    batch_size: int
    train_images_per_second: float
    train_spread: tuple[float, float]
    forward_images_per_second: float


def measure_setting(setting: Setting, steps: int, device: torch.device, warmup: int = 1) -> dict:
    """Train and forward images/s of both models under one setting, in this process."""
    if setting.reuse_memory and device.type == "cpu":
        keep_cpu_memory_for_reuse()
    pool = max(128, setting.batch_size) * (steps + 1)
    trainers = {conv: _Trainer(conv, setting, device, pool) for conv in CONV_KINDS}
    for t in trainers.values():  # warm-up: allocations, kernel choice, first-touch
        for _ in range(warmup):
            t.train_steps(1)
            t.forward_steps(1)
    images = setting.batch_size * steps
    return {conv: {"train": measure(lambda: t.train_steps(steps), 1, 0, device).per_second(images),
                   "forward": measure(lambda: t.forward_steps(steps), 1, 0, device).per_second(images)}
            for conv, t in trainers.items()}


def _run_worker(setting: Setting, steps: int, device: torch.device, threads: int | None) -> dict:
    command = [sys.executable, "-m", "dwconv_utils", "bench", "--worker", setting.name,
               "--steps", str(steps), "--batch-size", str(setting.batch_size),
               "--seed-batch-size", str(setting.batch_size), "--device", str(device)]
    if threads is not None:
        command += ["--threads", str(threads)]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    if done.returncode != 0:
        raise RuntimeError(f"benchmark worker for {setting.name!r} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def run_benchmark(repeats: int = 5, steps: int = 20, batch_size: int = DEFAULT_BATCH_SIZE,
                  device=None, seed_batch_size: int = 128, threads: int | None = None) -> dict:
    """Measure every (model, setting) pair; returns a JSON-ready dict (notebook 05).
    ``threads``: PyTorch threads in every worker (default: PyTorch's own choice)."""
    if threads is not None:
        threads = checks.positive_int("threads", threads)
    repeats = checks.positive_int("repeats", repeats)
    steps = checks.positive_int("steps", steps)
    batch_size = checks.positive_int("batch_size", batch_size)
    seed_batch_size = checks.positive_int("seed_batch_size", seed_batch_size)
    device = pick_device(device)
    chosen = settings(batch_size, seed_batch_size)
    samples = {(conv, s.name): {"train": [], "forward": []} for conv in CONV_KINDS for s in chosen}
    for _ in range(repeats):  # interleaved, so slow phases of the machine hit all alike
        for setting in chosen:
            for conv, speeds in _run_worker(setting, steps, device, threads).items():
                for kind, value in speeds.items():
                    samples[(conv, setting.name)][kind].append(value)

    by_name = {s.name: s for s in chosen}
    results = [Result(conv, name, by_name[name].batch_size, statistics.median(s["train"]),
                      (min(s["train"]), max(s["train"])), statistics.median(s["forward"]))
               for (conv, name), s in samples.items()]
    macs = {conv: cost_table(ReferenceCNN(conv), (1, 1, 28, 28)).total_macs for conv in CONV_KINDS}
    speed = {(r.model, r.setting): r.train_images_per_second for r in results}
    machine = machine_info(device)
    if threads is not None:
        machine["torch_threads"] = threads  # what the workers ran with
    return {
        "machine": machine,
        "repeats": repeats, "steps_per_repeat": steps,
        "settings": [asdict(s) for s in chosen],
        "results": [asdict(r) for r in results],
        "flops_per_image": {conv: 2 * m for conv, m in macs.items()},
        "flop_ratio_standard_over_separable": macs["standard"] / macs["separable"],
        "time_ratio_standard_over_separable": {
            s.name: speed[("separable", s.name)] / speed[("standard", s.name)] for s in chosen},
        "package_over_seed": {conv: speed[(conv, "package")] / speed[(conv, "seed")]
                              for conv in CONV_KINDS},
    }


class BenchTable(Table):
    title = "Training and forward throughput (images/s, median)"


def format_report(report: dict) -> str:
    m = report["machine"]
    lines = [f"machine: {m['cpu']}, {m['torch_threads']} threads, device {m['device']}"
             f"{' (' + m['cuda'] + ')' if m['cuda'] else ''}, torch {m['torch']}, python {m['python']}",
             f"{report['repeats']} repeats x {report['steps_per_repeat']} steps per setting, "
             "interleaved; random inputs of Fashion-MNIST's shape", ""]
    descriptions = {s["name"]: s["description"] for s in report["settings"]}
    rows = [{"model": r["model"], "setting": r["setting"], "batch": r["batch_size"],
             "train img/s": round(r["train_images_per_second"]),
             "train range": f"{r['train_spread'][0]:,.0f}-{r['train_spread'][1]:,.0f}",
             "forward img/s": round(r["forward_images_per_second"])} for r in report["results"]]
    lines.append(str(BenchTable(["model", "setting", "batch", "train img/s", "train range",
                                 "forward img/s"], rows,
                                numeric=("batch", "train img/s", "train range", "forward img/s"))))
    lines.append("")
    lines += [f"  {name}: {text}" for name, text in descriptions.items()]
    lines.append("")
    flops = report["flops_per_image"]
    lines.append(f"forward FLOPs per image: standard {flops['standard']:,}, separable "
                 f"{flops['separable']:,} -> standard / separable = "
                 f"{report['flop_ratio_standard_over_separable']:.2f}x")
    for name, ratio in report["time_ratio_standard_over_separable"].items():
        lines.append(f"training speed, separable / standard, {name} setting: {ratio:.2f}x")
    for conv, ratio in report["package_over_seed"].items():
        lines.append(f"{conv}: package settings / seed as written: {ratio:.2f}x")
    return "\n".join(lines)
