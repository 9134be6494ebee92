import json
import math
import sys

import pytest
import torch
from torch import nn

from dwconv_utils import ReferenceCNN
from dwconv_utils.bench import format_report
from dwconv_utils.bench import main as bench_main
from dwconv_utils.device import pick_device
from dwconv_utils.train import History, TrainingDiverged, evaluate, fit, load_weights

from real_data import needs_real_data, real_folder


def tiny_data(n=48, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 10
    images = torch.randn(n, 1, 28, 28, generator=g) + labels.view(n, 1, 1, 1) * 0.3
    return images, labels


def train_tiny(seed=0, **kwargs):
    torch.manual_seed(seed)
    model = ReferenceCNN()
    options = dict(batch_size=16, progress=False, seed=seed)
    options.update(kwargs)
    return model, fit(model, tiny_data(), tiny_data(20, seed=1), 2, **options)


def without_times(history):
    return [(e.epoch, e.train_loss, e.test_loss, e.test_accuracy) for e in history.epochs]


def test_fit_records_every_epoch_and_step():
    _, history = train_tiny()
    assert [e.epoch for e in history.epochs] == [1, 2]
    assert len(history.step_losses) == 2 * 3  # 48 images / batch 16, two epochs
    for e in history.epochs:
        assert e.seconds > 0 and e.images_per_second > 0
        assert 0 <= e.test_accuracy <= 1 and e.test_loss > 0
    assert history.settings["batch_size"] == 16 and history.settings["device"] == "cpu"
    assert history.wall_seconds[-1] == pytest.approx(sum(history.column("seconds")))


def test_same_seed_gives_the_same_history_twice():
    _, first = train_tiny(seed=3)
    _, second = train_tiny(seed=3)
    assert first.step_losses == second.step_losses
    assert without_times(first) == without_times(second)
    _, other = train_tiny(seed=4)
    assert other.step_losses != first.step_losses


def test_training_lowers_the_loss_on_learnable_data():
    torch.manual_seed(0)
    data = tiny_data(200)
    history = fit(ReferenceCNN("standard"), data, data, 4, batch_size=20, progress=False)
    assert history.epochs[-1].train_loss < 0.7 * history.epochs[0].train_loss


def test_history_json_round_trip(tmp_path):
    _, history = train_tiny()
    path = history.save(tmp_path / "runs" / "h.json")
    assert History.load(path) == history
    assert json.loads(path.read_text())["version"] == 1
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["h.json"]  # no temp files left


def test_history_load_explains_bad_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        History.load(bad)
    bad.write_text(json.dumps({"version": 1, "name": "x"}))
    with pytest.raises(ValueError, match="missing"):
        History.load(bad)
    bad.write_text(json.dumps([1, 2]))
    with pytest.raises(ValueError, match="version"):
        History.load(bad)


def test_history_plot_draws_both_panels():
    _, history = train_tiny()
    for x in ("epoch", "seconds"):
        figure = history.plot(x=x)
        assert [ax.get_title() for ax in figure.axes] == ["Loss (faint: every step)", "Test accuracy"]
    with pytest.raises(ValueError, match="x must be"):
        history.plot(x="steps")


class NaNAfter(nn.Module):
    """Returns finite logits, then NaN from the given call on."""

    def __init__(self, calls):
        super().__init__()
        self.linear = nn.Linear(28 * 28, 10)
        self.calls, self.limit = 0, calls

    def forward(self, x):
        self.calls += 1
        out = self.linear(x.flatten(1))
        return out * float("nan") if self.calls >= self.limit else out


def test_nan_loss_stops_with_epoch_and_step():
    with pytest.raises(TrainingDiverged, match=r"epoch 2, step 1 of 3") as info:
        fit(NaNAfter(4), tiny_data(), None, 3, batch_size=16, progress=False)
    assert len(info.value.history.epochs) == 1
    assert all(math.isfinite(v) for v in info.value.history.step_losses)


def test_terminal_prints_one_line_per_epoch(capsys):
    torch.manual_seed(0)
    fit(ReferenceCNN(), tiny_data(), tiny_data(20), 2, batch_size=16)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("separable epoch 1/2") and "test acc" in lines[1]


class ConstantClass(nn.Module):
    def __init__(self, cls):
        super().__init__()
        self.cls = cls
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        logits = torch.zeros(len(x), 10) + self.dummy
        logits[:, self.cls] = 5.0
        return logits


def test_evaluate_accuracy_loss_and_confusion_matrix():
    images = torch.zeros(8, 1, 28, 28)
    labels = torch.tensor([0, 0, 0, 0, 1, 1, 2, 2])
    result = evaluate(ConstantClass(0), (images, labels), batch_size=3)
    assert result.accuracy == 0.5
    assert result.predictions.tolist() == [0] * 8
    matrix = result.confusion_matrix(10)
    assert matrix[0, 0] == 4 and matrix[1, 0] == 2 and matrix[2, 0] == 2 and matrix.sum() == 8
    p_right = math.exp(5) / (math.exp(5) + 9)
    expected = -(4 * math.log(p_right) + 4 * math.log((1 - p_right) / 9)) / 8
    assert result.loss == pytest.approx(expected)


@pytest.mark.parametrize("call, error, words", [
    (lambda m: fit(m, "data"), TypeError, "train"),
    (lambda m: fit(m, (torch.zeros(4, 28, 28), torch.zeros(4, dtype=torch.int64))), ValueError,
     "shape"),
    (lambda m: fit(m, (torch.zeros(4, 1, 28, 28), torch.zeros(4))), ValueError, "int64"),
    (lambda m: fit(m, tiny_data(), epochs=0), ValueError, "epochs"),
    (lambda m: fit(m, tiny_data(), lr=-1), ValueError, "lr"),
    (lambda m: fit(m, tiny_data(), optimizer="rmsprop"), ValueError, "optimizer"),
    (lambda m: fit(m, tiny_data(), device="tpu"), ValueError, "device"),
    (lambda m: fit("model", tiny_data()), TypeError, "model"),
    (lambda m: evaluate(m, tiny_data(), batch_size=0), ValueError, "batch_size"),
])
def test_bad_arguments_are_explained(call, error, words):
    with pytest.raises(error, match=words):
        call(ReferenceCNN())


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message when no GPU is present")
def test_asking_for_a_missing_gpu_is_explained():
    with pytest.raises(ValueError, match="no CUDA GPU"):
        pick_device("cuda")


def test_weights_load_with_weights_only(tmp_path):
    from dwconv_utils._files import write_atomically
    from dwconv_utils.train import _state_dict_bytes
    model, _ = train_tiny()
    path = write_atomically(tmp_path / "w.pt", _state_dict_bytes(model))
    fresh = load_weights(ReferenceCNN(), path)
    x = torch.randn(2, 1, 28, 28)
    model.eval(), fresh.eval()
    torch.testing.assert_close(fresh(x), model(x))


def test_bench_smoke_run(capsys):
    assert bench_main(["--repeats", "1", "--steps", "1", "--batch-size", "4",
                       "--seed-batch-size", "4", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {(r["model"], r["setting"]) for r in report["results"]} == {
        (m, s) for m in ("separable", "standard")
        for s in ("seed", "in-memory", "channels_last", "package")}
    assert report["flop_ratio_standard_over_separable"] == pytest.approx(58_551_808 / 8_131_200)
    assert all(r["train_images_per_second"] > 0 for r in report["results"])
    assert report["machine"]["threads"] >= 1
    text = format_report(report)
    assert "separable / standard" in text and "images/s" in text


@needs_real_data
def test_command_line_trains_on_a_subset_and_writes_history_and_weights(tmp_path, capsys):
    from dwconv_utils.train import main
    code = main(["--model", "standard", "--epochs", "1", "--limit", "300", "--batch-size", "50",
                 "--data", str(real_folder()), "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "standard-relu epoch 1/1" in out and "test acc" in out
    history = History.load(tmp_path / "standard-relu-seed0.json")
    assert history.settings["train_size"] == 300 and history.settings["test_size"] == 50
    model = load_weights(ReferenceCNN("standard"), tmp_path / "standard-relu-seed0.pt")
    assert model(torch.zeros(1, 1, 28, 28)).shape == (1, 10)


def test_command_line_explains_missing_data(tmp_path, monkeypatch, capsys):
    from dwconv_utils.train import main
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("DWCONV_DEBIAN_DATA", str(tmp_path / "no-debian"))
    monkeypatch.delenv("DWCONV_DATA", raising=False)
    (tmp_path / "empty").mkdir()
    code = main(["--epochs", "1", "--data", str(tmp_path / "empty"), "--no-download",
                 "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "error:" in err and "dataset-fashion-mnist" in err
    assert not list(tmp_path.glob("*.json"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_memory_reuse_is_applied_on_linux_and_recorded_by_fit():
    from dwconv_utils.device import keep_cpu_memory_for_reuse
    _, history = train_tiny()
    assert history.settings["reuse_memory"] is True
    assert keep_cpu_memory_for_reuse() is True
    # Once applied it holds for the whole process, and the history says so.
    _, history = train_tiny(reuse_memory=False)
    assert history.settings["reuse_memory"] is True
