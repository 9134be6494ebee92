"""The package's commands, ``python -m dwconv_utils data | train | bench | experiments``."""
import json

import pytest
import torch

from dwconv_utils import ReferenceCNN
from dwconv_utils.__main__ import main
from dwconv_utils.bench import format_report
from dwconv_utils.history import History
from dwconv_utils.results import load_results
from dwconv_utils.train import load_weights
from fake_runs import fake_run
from real_data import needs_real_data, real_folder


def test_bench_smoke_run(capsys):
    assert main(["bench", "--repeats", "1", "--steps", "1", "--batch-size", "4",
                 "--seed-batch-size", "4", "--threads", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert {(r["model"], r["setting"]) for r in report["results"]} == {
        (m, s) for m in ("separable", "standard")
        for s in ("seed", "in-memory", "channels_last", "reuse-memory", "package")}
    assert report["machine"]["torch_threads"] == 1
    assert report["flop_ratio_standard_over_separable"] == pytest.approx(58_551_808 / 8_131_200)
    assert all(r["train_images_per_second"] > 0 for r in report["results"])
    text = format_report(report)
    assert "separable / standard" in text and "images/s" in text


@needs_real_data
def test_command_line_trains_on_a_subset_and_writes_history_and_weights(tmp_path, capsys):
    code = main(["train", "--model", "standard", "--epochs", "1", "--limit", "300", "--batch-size", "50",
                 "--data", str(real_folder()), "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "standard-relu epoch 1/1" in out and "test acc" in out
    history = History.load(tmp_path / "standard-relu-seed0.json")
    assert history.settings["train_size"] == 300 and history.settings["test_size"] == 50
    model = load_weights(ReferenceCNN("standard"), tmp_path / "standard-relu-seed0.pt")
    assert model(torch.zeros(1, 1, 28, 28)).shape == (1, 10)


def test_command_line_explains_missing_data(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("DWCONV_DEBIAN_DATA", str(tmp_path / "no-debian"))
    monkeypatch.delenv("DWCONV_DATA", raising=False)
    (tmp_path / "empty").mkdir()
    code = main(["train", "--epochs", "1", "--data", str(tmp_path / "empty"), "--no-download",
                 "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "error:" in err and "dataset-fashion-mnist" in err
    assert not list(tmp_path.glob("*.json"))


def test_command_line_refuses_a_subset_in_the_committed_folder(capsys):
    assert main(["experiments", "--limit", "100"]) == 2
    assert "give --out another folder" in capsys.readouterr().err


def test_command_line_lists_the_plan(tmp_path, capsys):
    fake_run(tmp_path, "standard", 0, [0.8])
    assert main(["experiments", "--list", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "standard seed 0: done" in out and "separable seed 0: to run" in out


@needs_real_data
def test_command_line_runs_writes_and_resumes(tmp_path, capsys):
    args = ["experiments", "--only", "separable", "standard", "--seeds", "0", "--epochs", "1", "--limit", "300",
            "--out", str(tmp_path), "--data", str(real_folder()), "--no-download"]
    assert main(args) == 0
    runs = load_results(tmp_path)
    for name in ("separable", "standard"):
        run = runs[name][0]
        assert run.record["data"] == "Fashion-MNIST, 300 training and 50 test images"
        assert run.record["machine"]["torch"] == torch.__version__
        assert run.record["command"].startswith("python -m dwconv_utils experiments --only")
        assert run.weights_path is not None  # seed 0 of the main pair keeps its weights
        assert len(run.history.epochs) == 1
    stamp = (tmp_path / "separable-seed0.json").stat().st_mtime_ns
    capsys.readouterr()
    assert main(args) == 0  # everything done: nothing runs again
    assert "separable seed 0: done" in capsys.readouterr().out
    assert (tmp_path / "separable-seed0.json").stat().st_mtime_ns == stamp
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


@pytest.mark.parametrize("threads", ["0", "-2"])
def test_bench_refuses_a_thread_count_below_one(threads, capsys):
    assert main(["bench", "--threads", threads]) == 2
    assert "--threads must be a positive integer" in capsys.readouterr().err


def test_bench_workers_run_the_seeds_order_until_the_package_setting():
    from dwconv_utils.bench import SeedOrderCNN, settings
    chosen = {s.name: s for s in settings()}
    assert [s.name for s in chosen.values() if s.pool_first] == ["package"]
    torch.manual_seed(0)
    seed_order = SeedOrderCNN()
    package = ReferenceCNN()
    package.load_state_dict(seed_order.state_dict())
    x = torch.randn(4, 1, 28, 28)
    assert torch.equal(seed_order(x), package(x))  # ReLU and max-pool commute
