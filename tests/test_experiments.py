"""The experiments behind notebook 04: the plan, the result files, the statistics, the verdict,
and the committed results themselves."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

from dwconv_utils import experiments
from dwconv_utils.experiments import (MAIN_SEEDS, VARIANT_SEEDS, band, committed_results,
                                      equal_time, load_results, paired_gap, plain_summary, plan,
                                      read_result, results_table, time_to_accuracy, verdict)
from dwconv_utils.train import EpochStats, History

from real_data import needs_real_data, real_folder


def fake_run(folder, variant, seed, accuracies, seconds=10.0, losses=None, conv=None):
    """A result file as the script writes it, with chosen per-epoch numbers."""
    v = experiments.variant(variant)
    losses = losses or [1.0 / (e + 1) for e in range(len(accuracies))]
    history = History(variant, {"conv": conv or v.conv, "device": "cpu", "batch_size": 128,
                                "train_size": 60_000, "test_size": 10_000},
                      [EpochStats(e + 1, losses[e], losses[e], a, seconds, 60_000 / seconds)
                       for e, a in enumerate(accuracies)], [2.3, 1.0])
    record = {"version": 1, "variant": variant, "seed": seed, "question": v.question,
              "model": {"conv": v.conv, "activation": v.activation, "batch_norm": v.batch_norm},
              "data": "Fashion-MNIST, 60,000 training and 10,000 test images",
              "wall_seconds": seconds * len(accuracies), "cpu_per_wall": 2.0,
              "machine": {"cpu": "test CPU", "torch_threads": 2}, "history": history.to_dict()}
    return experiments.save_result(folder, record)


def test_plan_runs_the_main_pair_first_interleaved_by_seed():
    runs = [(v.name, s) for v, s in plan()]
    main = [(n, s) for s in MAIN_SEEDS for n in ("standard", "separable")]
    assert runs[:len(main)] == main
    assert runs[len(main):len(main) + 4] == [("separable-bn", 0), ("separable-selu", 0),
                                             ("separable-bn", 1), ("separable-selu", 1)]
    assert runs[len(main) + 4:len(main) + 6] == [("standard-bn", 0), ("standard-bn", 1)]  # added later
    assert runs[len(main) + 6:] == [("separable-per-group-init", s) for s in MAIN_SEEDS]  # then this
    assert len(runs) == 2 * len(MAIN_SEEDS) + 3 * len(VARIANT_SEEDS) + len(MAIN_SEEDS)
    assert [(v.name, s) for v, s in plan(["separable"], [5])] == [("separable", 5)]


def test_unknown_variant_is_explained():
    with pytest.raises(ValueError, match="variant must be one of"):
        plan(["separable-gelu"])


def test_band_time_to_accuracy_and_paired_gap(tmp_path):
    fake_run(tmp_path, "standard", 0, [0.80, 0.88, 0.90], seconds=100)
    fake_run(tmp_path, "standard", 1, [0.84, 0.86, 0.92], seconds=110)
    fake_run(tmp_path, "separable", 0, [0.70, 0.85, 0.89], seconds=30)
    fake_run(tmp_path, "separable", 1, [0.72, 0.80, 0.88], seconds=40)
    results = load_results(tmp_path)
    assert list(results) == ["standard", "separable"]

    b = band(results["standard"])
    assert b.x == [1, 2, 3] and b.seeds == 2
    assert b.mean == pytest.approx([0.82, 0.87, 0.91]) and b.low == [0.80, 0.86, 0.90]
    by_time = band(results["separable"], x="seconds")
    assert by_time.x == pytest.approx([35, 70, 105])

    assert time_to_accuracy(results["standard"][0].history, 0.87) == (2, 200)
    assert time_to_accuracy(results["separable"][1].history, 0.87) == (3, 120)
    assert time_to_accuracy(results["separable"][1].history, 0.95) is None
    with pytest.raises(ValueError, match="between 0 and 1"):
        time_to_accuracy(results["standard"][0].history, 87)

    gap = paired_gap(results)
    assert gap.mean == pytest.approx([0.11, 0.045, 0.025])
    assert gap.low == pytest.approx([0.10, 0.03, 0.01])


def test_verdict_words_follow_the_numbers(tmp_path):
    fake_run(tmp_path, "standard", 0, [0.80, 0.88, 0.90], seconds=100)
    fake_run(tmp_path, "standard", 1, [0.84, 0.86, 0.92], seconds=110)
    fake_run(tmp_path, "separable", 0, [0.70, 0.85, 0.89], seconds=30)
    fake_run(tmp_path, "separable", 1, [0.72, 0.80, 0.88], seconds=40)
    text = verdict(load_results(tmp_path), 0.87)
    assert "higher test accuracy at every one of the 3 epochs in both seeds" in text
    assert "+11.0 points after epoch 1 (seeds: +10.0 to +12.0)" in text
    # standard: 200 and 330 s to 87%; separable: 90 and 120 s.
    assert "the separable model gets there sooner in every seed" in text
    assert ("when the separable model had finished its 3 epochs (90 to 120 s), the standard twin "
            "had finished 0 to 1 epochs (none in at least one seed)") in text

    # The same words must turn when the numbers do.
    fake_run(tmp_path, "separable", 1, [0.90, 0.91, 0.93], seconds=200)
    text = verdict(load_results(tmp_path), 0.87)
    assert "is not ahead in every seed" in text
    assert "neither is reliably sooner" in text
    table = str(results_table(load_results(tmp_path), 0.87))
    assert "standard" in table and "91.00 ± 1.41" in table


def test_equal_time_and_plain_summary_turn_with_the_numbers(tmp_path):
    # standard: 100 s epochs; separable: 30 s epochs, 3 of them = 90 s.
    fake_run(tmp_path, "standard", 0, [0.80, 0.88, 0.90], seconds=100)
    fake_run(tmp_path, "separable", 0, [0.70, 0.85, 0.89], seconds=30)
    (matched,) = equal_time(load_results(tmp_path))
    assert (matched.seconds, matched.ahead_epochs, matched.ahead_accuracy) == (90, 0, None)
    words = plain_summary(load_results(tmp_path))
    assert ("**Per second, no comparison yet.** A separable epoch is 3.3x quicker: after the "
            "training time of the separable model's 3 epochs the standard twin had finished 0 "
            "epochs in at least one seed") in words
    assert "To reach 87% test accuracy it needs 3 epochs, the standard twin 2." in words

    fake_run(tmp_path, "separable", 0, [0.70, 0.74, 0.76, 0.78], seconds=60)  # 240 s
    (matched,) = equal_time(load_results(tmp_path))
    assert (matched.seconds, matched.ahead_epochs) == (240, 2)
    assert matched.difference == pytest.approx(0.88 - 0.78)
    words = plain_summary(load_results(tmp_path))
    assert ("**Per epoch, the seed is right.** The separable model has the lower test accuracy at "
            "every one of the 3 epochs in the 1 seed: 10.0 points behind its standard twin after "
            "epoch 1 and still 14.0 behind after epoch 3") in words
    # 0.88 - 0.78 after equal time, 0.90 - 0.76 after the same 3 epochs (standard has only 3)
    assert "does not overtake" in words and "+10.0 points in every seed" in words
    assert "narrows" not in words  # standard has no 4th epoch to compare with
    assert ("Not every run reached 87% test accuracy within its epochs (standard 1 of 1 seed, "
            "separable 0 of 1 seed), so time to 87% is not compared.") in words
    assert "To reach 87%" not in words and "To first reach" not in words

    fake_run(tmp_path, "standard", 0, [0.80, 0.88, 0.90, 0.91], seconds=100)
    words = plain_summary(load_results(tmp_path))
    assert ("the separable model narrows the gap but does not overtake.** A separable epoch is "
            "1.7x quicker, yet after the training time of the separable model's 4 epochs the "
            "standard twin had finished 2 epochs and was ahead by +10.0 points in every seed, less "
            "than its +13.0 after the same 4 epochs.") in words

    fake_run(tmp_path, "separable", 0, [0.70, 0.95, 0.96, 0.97], seconds=60)
    words = plain_summary(load_results(tmp_path))
    assert "**Per epoch, no clear winner.**" in words
    assert ("**Per second on the machine that ran them, the separable model is ahead.**" in words
            and "behind by 9.0 points in every seed" in words)

    fake_run(tmp_path, "standard", 1, [0.87, 0.90, 0.93, 0.94], seconds=100)  # 87% after 100 s
    fake_run(tmp_path, "separable", 1, [0.70, 0.85, 0.88, 0.89], seconds=60)  # after 180 s
    words = plain_summary(load_results(tmp_path))
    assert "a draw" in words and "-9.0 to +1.0 points" in words  # 0.88-0.97, 0.90-0.89
    assert "the seeds overlap" in words


def test_plain_summary_when_the_separable_model_wins_and_is_slower(tmp_path):
    for seed in (0, 1):
        fake_run(tmp_path, "standard", seed, [0.80, 0.85, 0.86], seconds=30)
        fake_run(tmp_path, "separable", seed, [0.85, 0.88, 0.90], seconds=45)
    words = plain_summary(load_results(tmp_path))
    assert ("**Per epoch, the seed is wrong here.** The separable model is ahead of its standard "
            "twin at every epoch in both seeds (by 4.0 points after epoch 3).") in words
    assert "A separable epoch is 1.5x slower" in words and "quicker" not in words
    assert "Not every run reached 87%" in words and "standard 0 of 2 seeds" in words


def test_plain_summary_measures_what_a_variant_closes(tmp_path):
    for seed in (0, 1):
        fake_run(tmp_path, "standard", seed, [0.90, 0.92], seconds=100)
        fake_run(tmp_path, "separable", seed, [0.80, 0.88], seconds=30)
    fake_run(tmp_path, "separable-bn", 0, [0.89, 0.89], seconds=35)
    fake_run(tmp_path, "separable-bn", 1, [0.91, 0.89], seconds=35)
    fake_run(tmp_path, "separable-selu", 0, [0.80, 0.87], seconds=35)
    words = plain_summary(load_results(tmp_path))
    assert ("**separable-bn** closes 100% of the gap after epoch 1 and 25% of it after epoch 2 "
            "(2 seeds: 89.00% after epoch 2, against 88.00% separable and 92.00% standard; each "
            "ends above every separable seed)") in words
    assert ("**separable-selu** closes 0% of the gap after epoch 1 and falls below the separable "
            "model after epoch 2 (1 seed: 87.00% after epoch 2") in words
    assert "each ends below every separable seed" in words
    # To 87%: standard after 100 s, separable after 60 s, separable-bn after 35 s, selu after 70 s.
    assert ("It first reached 87% after 1 epoch, 35 s: sooner than any standard or separable seed "
            "(from 60 s).") in words
    assert "It first reached 87% after 2 epochs, 70 s." in words
    assert "These are 1 and 2 seeds per model" in words
    # about 90% correct of 10,000 images: sqrt(0.9 * 0.1 / 10,000) = 0.3 points
    assert "uncertain by about ±0.3 points" in words

    fake_run(tmp_path, "separable-bn", 1, [0.81, 0.86], seconds=35)
    fake_run(tmp_path, "separable-selu", 0, [0.95, 0.93], seconds=35)
    words = plain_summary(load_results(tmp_path))
    assert "1 of its 2 seeds reached 87% test accuracy." in words
    assert ("**separable-selu** passes the standard twin after epoch 1 and passes the standard twin "
            "after epoch 2 (1 seed: 93.00%") in words


def test_plain_summary_compares_the_fair_twins(tmp_path):
    for seed in (0, 1):
        fake_run(tmp_path, "standard", seed, [0.90, 0.92], seconds=100)
        fake_run(tmp_path, "separable", seed, [0.80, 0.88], seconds=30)
        fake_run(tmp_path, "separable-bn", seed, [0.89, 0.89], seconds=35)   # 2 epochs in 70 s
    fake_run(tmp_path, "standard-bn", 0, [0.92, 0.95], seconds=30)
    fake_run(tmp_path, "standard-bn", 1, [0.92, 0.95], seconds=30)
    words = plain_summary(load_results(tmp_path))
    assert ("**standard-bn**, the fair twin of separable-bn (2 seeds: 95.00% after epoch 2, against "
            "88.00% separable and 92.00% standard; each ends above every standard seed).") in words
    assert ("With BatchNorm in both models, the standard one is ahead at every one of the 2 epochs "
            "in both seeds. standard-bn minus separable-bn: +3.0 points after epoch 1 and +6.0 "
            "after epoch 2, against +10.0 and +4.0 for standard minus separable: smaller in every "
            "seed after epoch 1, larger in every seed after epoch 2. At equal training time "
            "(separable-bn's 2 epochs, 70 s) standard-bn was ahead by +6.0 points in every seed.") in words
    assert ("standard-bn minus separable-bn (paired by seed, 2 seeds): +3.0 points after epoch 1 "
            "(+3.0) and +6.0 after epoch 2 (+6.0).") in verdict(load_results(tmp_path))

    fake_run(tmp_path, "standard-bn", 1, [0.88, 0.88], seconds=30)
    words = plain_summary(load_results(tmp_path))
    assert ("With BatchNorm in both models, neither is ahead at every epoch in every seed. "
            "standard-bn minus separable-bn: -1.0 to +3.0 points after epoch 1 and -1.0 to +6.0 "
            "after epoch 2, against +10.0 and +4.0 for standard minus separable: smaller in every "
            "seed after epoch 1, within the plain pair's spread after epoch 2. At equal training "
            "time (separable-bn's 2 epochs, 70 s) the difference was -1.0 to +6.0 points: it "
            "changes sign between seeds.") in words

    fake_run(tmp_path, "standard-bn", 1, [0.92, 0.95], seconds=100)  # no epoch done by 70 s
    words = plain_summary(load_results(tmp_path))
    assert "standard-bn had not finished an epoch in at least one seed." in words


def test_a_run_records_the_code_and_machine_it_started_with(monkeypatch):
    # Hours of training: the tree may change meanwhile, the record must name what ran.
    state = {"tree": "as imported"}
    monkeypatch.setattr(experiments, "machine_info",
                        lambda: {"cpu": "test CPU", "torch_threads": 1, "git_commit": state["tree"]})
    real_fit = experiments.fit

    def fit_then_edit(*args, **kwargs):
        history = real_fit(*args, **kwargs)
        state["tree"] = "edited during the run"
        return history
    monkeypatch.setattr(experiments, "fit", fit_then_edit)
    images, labels = torch.zeros(8, 1, 28, 28), torch.zeros(8, dtype=torch.long)
    record, _ = experiments.run_one(experiments.variant("separable"), 0, (images, labels),
                                    (images, labels), epochs=1, progress=False)
    assert record["machine"]["git_commit"] == "as imported"
    assert state["tree"] == "edited during the run"


def test_verdict_needs_both_models(tmp_path):
    fake_run(tmp_path, "separable", 0, [0.7])
    with pytest.raises(ValueError, match="needs results for 'standard'"):
        verdict(load_results(tmp_path))


def test_bad_result_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m dwconv_utils.experiments"):
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


def test_command_line_refuses_a_subset_in_the_committed_folder(capsys):
    assert experiments.main(["--limit", "100"]) == 2
    assert "give --out another folder" in capsys.readouterr().err


def test_command_line_lists_the_plan(tmp_path, capsys):
    fake_run(tmp_path, "standard", 0, [0.8])
    assert experiments.main(["--list", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "standard seed 0: done" in out and "separable seed 0: to run" in out


@needs_real_data
def test_command_line_runs_writes_and_resumes(tmp_path, capsys):
    args = ["--only", "separable", "standard", "--seeds", "0", "--epochs", "1", "--limit", "300",
            "--out", str(tmp_path), "--data", str(real_folder()), "--no-download"]
    assert experiments.main(args) == 0
    runs = load_results(tmp_path)
    for name in ("separable", "standard"):
        run = runs[name][0]
        assert run.record["data"] == "Fashion-MNIST, 300 training and 50 test images"
        assert run.record["machine"]["torch"] == torch.__version__
        assert run.record["command"].startswith("python -m dwconv_utils.experiments --only")
        assert run.weights_path is not None  # seed 0 of the main pair keeps its weights
        assert len(run.history.epochs) == 1
    stamp = (tmp_path / "separable-seed0.json").stat().st_mtime_ns
    capsys.readouterr()
    assert experiments.main(args) == 0  # everything done: nothing runs again
    assert "separable seed 0: done" in capsys.readouterr().out
    assert (tmp_path / "separable-seed0.json").stat().st_mtime_ns == stamp
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_committed_results_are_cloned_when_the_checkout_lacks_them(tmp_path, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    fake_run(repo / "results" / "reference_cnn", "standard", 0, [0.8])
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "results"], check=True)
    monkeypatch.setattr(experiments, "default_folder", lambda: tmp_path / "no-checkout")
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
    assert list(results) == list(experiments.VARIANT_NAMES)  # every variant the notebook describes
    for name, runs in results.items():
        wanted = experiments.variant(name).default_seeds()
        assert [r.seed for r in runs] == list(wanted), name
        for run in runs:
            settings = run.history.settings
            assert run.record["data"] == "Fashion-MNIST, 60,000 training and 10,000 test images"
            assert (settings["train_size"], settings["test_size"]) == (60_000, 10_000)
            assert (settings["epochs"], settings["batch_size"], settings["optimizer"]) == (10, 128, "adam")
            assert settings["seed"] == run.seed and len(run.history.epochs) == 10
            assert settings["model"] == f"ReferenceCNN({experiments.variant(name).model().description()})"
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


def test_steady_seconds_ignore_one_slow_epoch():
    history = History("separable", {}, [EpochStats(e + 1, 1.0, 1.0, 0.5, s, 1.0)
                                        for e, s in enumerate([10.0, 50.0, 12.0])])
    assert experiments.steady_seconds(history) == [12.0, 24.0, 36.0]
    assert history.wall_seconds == [10.0, 60.0, 72.0]  # the raw times stay available
