import math
import sys

import pytest
import torch
from torch import nn

from dwconv_utils import ReferenceCNN
from dwconv_utils.device import pick_device
from dwconv_utils.train import TrainingDiverged, evaluate, fit, load_weights

from tiny_training import tiny_data, train_tiny




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
    from dwconv_utils.train import save_weights
    model, _ = train_tiny()
    path = save_weights(model, tmp_path / "w.pt")
    fresh = load_weights(ReferenceCNN(), path)
    x = torch.randn(2, 1, 28, 28)
    model.eval(), fresh.eval()
    torch.testing.assert_close(fresh(x), model(x))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_memory_reuse_is_applied_on_linux_and_recorded_by_fit():
    from dwconv_utils.device import keep_cpu_memory_for_reuse
    _, history = train_tiny()
    assert history.settings["reuse_memory"] is True
    assert keep_cpu_memory_for_reuse() is True
    # Once applied it holds for the whole process, and the history says so.
    _, history = train_tiny(reuse_memory=False)
    assert history.settings["reuse_memory"] is True
