"""Result files: the variant registry, writing and reading them with checks, the committed
results themselves, and fetching them by a clone where the checkout lacks them."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dwconv_utils import results as registry
from dwconv_utils.experiments import plan
from dwconv_utils.results import committed_results, load_results, read_result
from fake_runs import fake_run
from real_data import needs_real_data, real_folder


def test_unknown_variant_is_explained():
    with pytest.raises(ValueError, match="variant must be one of"):
        plan(["separable-gelu"])


def test_bad_result_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m dwconv_utils experiments"):
        load_results(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="holds no results"):
        load_results(tmp_path)
    bad = tmp_path / "separable-seed0.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="separable-seed0.json is not valid JSON"):
        read_result(bad)
    bad.write_text(json.dumps({"version": 1, "variant": "separable"}))
    with pytest.raises(ValueError, match="lacks the fields seed"):
        read_result(bad)
    path = fake_run(tmp_path, "standard", 0, [0.8])
    record = json.loads(path.read_text())
    record["variant"] = "wide"
    path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match="unknown variant 'wide'"):
        read_result(path)
    copy = tmp_path / "standard-seed1.json"
    copy.write_text(fake_run(tmp_path, "standard", 0, [0.8]).read_text())
    with pytest.raises(ValueError, match="holds standard seed 0, which belongs in a file named "
                                         "standard-seed0.json"):
        read_result(copy)


@pytest.mark.parametrize("spoil, message", [
    (lambda r: r.update(version=2), "not an experiment result of version 1"),
    (lambda r: r["history"].update(epochs=[]), "holds no finished epoch"),
    (lambda r: r["history"]["epochs"][1].update(test_accuracy=None), r"no test accuracy for epochs \[2\]"),
    (lambda r: r["model"].pop("conv"), "the field 'model' lacks 'conv'"),
    (lambda r: r.update(machine="a laptop"), "the field 'machine' lacks 'cpu'"),
])
def test_incomplete_result_files_are_refused(tmp_path, spoil, message):
    path = fake_run(tmp_path, "separable", 0, [0.7, 0.8])
    record = json.loads(path.read_text())
    spoil(record)
    path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match=message):
        read_result(path)


def test_a_result_file_that_is_not_text_is_refused(tmp_path):
    path = tmp_path / "separable-seed0.json"
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ValueError, match="separable-seed0.json is not valid JSON text"):
        read_result(path)


def test_committed_results_are_cloned_when_the_checkout_lacks_them(tmp_path, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    fake_run(repo / "results" / "reference_cnn", "standard", 0, [0.8])
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "results"], check=True)
    monkeypatch.setattr(registry, "default_folder", lambda: tmp_path / "no-checkout")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    found = committed_results(f"file://{repo}")
    assert found.parent.parent.parent == tmp_path / "cache" / "dwconv_utils"
    assert found.relative_to(found.parent.parent) == Path("results") / "reference_cnn"
    assert list(load_results(found)) == ["standard"]
    shutil.rmtree(repo)
    assert committed_results(f"file://{repo}") == found  # cloned once, then reused

    # Another URL is never served from that clone: it is cloned (and here fails) on its own.
    with pytest.raises(FileNotFoundError, match="cloning file:///nowhere"):
        committed_results("file:///nowhere")
    assert not list((tmp_path / "cache" / "dwconv_utils").glob(".repository-*"))
    assert [p.name for p in (tmp_path / "cache" / "dwconv_utils").iterdir()] == [found.parent.parent.name]


def test_committed_results_are_full_runs_of_every_variant():
    results = load_results()  # the committed folder
    assert list(results) == list(registry.VARIANT_NAMES)  # every variant the notebook describes
    for name, runs in results.items():
        wanted = registry.variant(name).default_seeds()
        assert [r.seed for r in runs] == list(wanted), name
        for run in runs:
            settings = run.history.settings
            assert run.record["data"] == "Fashion-MNIST, 60,000 training and 10,000 test images"
            assert (settings["train_size"], settings["test_size"]) == (60_000, 10_000)
            assert (settings["epochs"], settings["batch_size"], settings["optimizer"]) == (10, 128, "adam")
            assert settings["seed"] == run.seed and len(run.history.epochs) == 10
            assert settings["model"] == f"ReferenceCNN({registry.variant(name).model().description()})"
            assert run.record["machine"]["torch"] and run.record["machine"]["cpu_count"] >= 1
            assert len(run.history.step_losses) == 10 * 469
            assert run.record["wall_seconds"] >= sum(run.history.column("seconds"))


@needs_real_data
@pytest.mark.parametrize("name", ["separable", "standard"])
def test_committed_weights_reproduce_the_recorded_accuracy(name):
    from dwconv_utils import ReferenceCNN, evaluate, fashion_mnist_tensors, load_weights
    run = load_results()[name][0]
    model = load_weights(ReferenceCNN(name), run.weights_path)
    result = evaluate(model, fashion_mnist_tensors("test", root=real_folder(), download=False))
    assert result.accuracy == pytest.approx(run.history.epochs[-1].test_accuracy, abs=0.001)


def test_each_notebook_shows_its_own_variants(tmp_path):
    assert registry.variant_names(4)[:2] == ("standard", "separable") and "standard-w0.58" not in registry.variant_names(4)
    assert "standard-w0.58" in registry.variant_names(6) and "separable-bn" not in registry.variant_names(6)
    assert registry.variant_names() == registry.VARIANT_NAMES
    with pytest.raises(ValueError, match="notebook must be one of 4, 6 or None; got 5"):
        registry.variant_names(5)
    fake_run(tmp_path, "separable", 0, [0.8], seconds=30)
    fake_run(tmp_path, "standard-w0.58", 0, [0.8], seconds=10)
    fake_run(tmp_path, "separable-per-group-init", 0, [0.85], seconds=10)
    assert list(load_results(tmp_path, notebook=4)) == ["separable", "separable-per-group-init"]
    shown = load_results(tmp_path, notebook=6)
    assert list(shown) == ["separable-per-group-init", "standard-w0.58"]
    assert shown["separable-per-group-init"][0].epoch_seconds == 30.0  # timed as separable, not shown
