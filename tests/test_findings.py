import json

import pytest

from dwconv_utils import findings as Fd
from dwconv_utils import protocol as P


def test_smoothing_and_steps_to_a_loss():
    losses = [1.0] * 10 + [0.0] * 10
    assert Fd.smoothed(losses, window=4)[:5] == [1.0, 1.0, 1.0, 1.0, 1.0]
    assert Fd.smoothed(losses, window=4)[11] == pytest.approx(0.5)  # steps 9-12: 1, 1, 0, 0
    # The first full window whose mean is at or below the target.
    assert Fd.steps_to_loss(losses, 0.5, window=4) == 12
    assert Fd.steps_to_loss(losses, 0.0, window=4) == 14
    assert Fd.steps_to_loss(losses, -1.0, window=4) is None
    # A single low step inside a window does not count as reaching the target.
    assert Fd.steps_to_loss([1.0, 0.0, 1.0, 1.0, 1.0], 0.3, window=2) is None


def _group(folder, net, accuracies, losses=None, training=P.Training(0.004)):
    run = P.Run(net, training, "protocol", P.SEEDS)
    for seed, accuracy in accuracies.items():
        trained = {"seed": seed, "steps": 1, "diverged_at_step": None,
                   "final": {"validation_accuracy": accuracy, "validation_loss": 0.3,
                             "test_accuracy": accuracy, "test_loss": 0.3, "train_loss": 0.1},
                   "evaluations": [], "step_losses": losses or [1.0], "pack_wall_seconds": 1.0}
        path = P.result_path(folder, run, seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(P.run_record(run, trained, {"split": "x"}, "cpu", {}, "")))
    return run


def test_comparisons_and_their_sentences(tmp_path):
    a = _group(tmp_path, P.Net(), {s: 0.92 + 0.001 * s for s in range(5)})
    b = _group(tmp_path, P.Net("standard"), {s: 0.90 + 0.0015 * s for s in range(5)})
    c = _group(tmp_path, P.Net(batch_norm=True), {0: 0.91, 1: 0.93, 2: 0.90, 3: 0.94, 4: 0.92})
    results = P.load_results(tmp_path)
    sep, std, noisy = (Fd.group(results, r, label) for r, label in
                       ((a, "separable"), (b, "standard"), (c, "noisy")))
    ahead = Fd.compare(sep, std)
    assert ahead.verdict == "ahead" and ahead.interval.kind == "welch"
    assert ahead.interval.difference == pytest.approx(100 * (0.922 - 0.903))
    assert Fd.say(ahead).startswith("separable is ahead of standard on the test set by 1.90 points")
    behind = Fd.compare(std, sep)
    assert behind.verdict == "behind" and Fd.say(behind).startswith("separable is ahead of standard")
    level = Fd.compare(noisy, sep)
    assert level.verdict == "level" and "level within the noise" in Fd.say(level)
    assert Fd.compare(sep, noisy, paired=True).interval.kind == "paired"
    with pytest.raises(LookupError, match="no finished seed"):
        Fd.group(results, P.Run(P.Net(width=2.0), P.Training(0.004), "protocol", P.SEEDS))
    table = Fd.accuracy_table([sep, std], "t")
    assert table.rows[0]["test"].startswith("92.20 (")


def test_convergence_in_steps_and_on_the_one_clock(tmp_path):
    fast = _group(tmp_path, P.Net(), {s: 0.9 for s in range(3)}, losses=[1.0] * 60 + [0.1] * 200)
    results = P.load_results(tmp_path)
    g = Fd.group(results, fast, "fast")
    # At step t the window holds 110 - t ones and t - 60 tenths: mean <= 0.35 from t = 96.1 on.
    assert g.steps_to_loss(0.35) == {0: 97, 1: 97, 2: 97}
    clock = {"seconds_per_step": {"separable": 0.4}}
    assert Fd.seconds(g.steps_to_loss(0.35), P.Net(), clock) == pytest.approx({0: 38.8, 1: 38.8, 2: 38.8})
    table = Fd.convergence_table([g], clock, targets=(0.35, 0.05))
    assert table.rows[0]["steps_0.35"] == "97" and table.rows[0]["seconds_0.35"] == "39"
    assert table.rows[0]["steps_0.05"] == "never" and table.rows[0]["reached_0.05"] == "0/3"
    with pytest.raises(LookupError, match="clock has no step time"):
        Fd.seconds({0: 1}, P.Net("standard"), clock)
    # A seed that never reached the target: no interval (the table says how many reached it).
    assert Fd.compare_counts({0: 1, 1: None, 2: 2}, {0: 2, 1: 3}, "a", "b", "steps") is None
    counted = Fd.compare_counts({0: 100, 1: 110, 2: 105}, {0: 200, 1: 190, 2: 210}, "a", "b", "steps")
    assert counted.verdict == "behind" and "a gets there first" in Fd.say(counted, "steps")


def test_the_tuning_table_marks_the_validation_winner(tmp_path):
    for net, training in P.family_grid("separable"):
        good = net.batch_norm and training.lr == 0.002
        _group(tmp_path, net, {0: 0.93 if good else 0.9, 1: 0.93 if good else 0.9}, training=training)
    table = Fd.tuning_table(P.load_results(tmp_path), ["separable"])
    chosen = [r for r in table.rows if r["chosen"]]
    assert len(chosen) == 1 and chosen[0]["batch_norm"] == "yes" and chosen[0]["peak_lr"] == "0.002"
    assert "test" not in " ".join(table.columns + list(table.labels.values()))


def test_the_protocol_curves_figure(tmp_path):
    from dwconv_utils.plots import plot_protocol_curves
    run = _group(tmp_path, P.Net(), {s: 0.9 for s in range(3)}, losses=[1.0] * 60 + [0.1] * 200)
    path = P.result_path(tmp_path, run, 0)
    record = json.loads(path.read_text())
    record["evaluations"] = [{"step": 130, "validation_accuracy": 0.8}, {"step": 260, "validation_accuracy": 0.9}]
    path.write_text(json.dumps(record))
    g = Fd.group(P.load_results(tmp_path), run, "separable")
    figure = plot_protocol_curves([g], title="t")
    loss_ax, acc_ax = figure.axes
    assert loss_ax.get_yscale() == "log" and loss_ax.lines[0].get_label() == "separable"
    assert len(loss_ax.lines[0].get_xdata()) == 260
    # Only seed 0 has evaluations here: the accuracy curve needs every seed's, so none is drawn.
    assert not acc_ax.lines
    seconds = plot_protocol_curves([g], x="seconds", clock={"seconds_per_step": {"separable": 0.5}})
    assert seconds.axes[0].lines[0].get_xdata()[-1] == pytest.approx(130.0)
    with pytest.raises(ValueError, match="one clock's step time for separable"):
        plot_protocol_curves([g], x="seconds", clock={"seconds_per_step": {}})


def test_the_init_table_reads_each_epochs_validation(tmp_path):
    run = _group(tmp_path, P.Net(init="xavier"), {s: 0.9 for s in range(3)}, losses=[1.0] * 60 + [0.1] * 200,
                 training=P.SEED_TRAINING)
    for seed, first in zip(range(3), (0.70, 0.72, 0.74)):
        path = P.result_path(tmp_path, run, seed)
        record = json.loads(path.read_text())
        record["evaluations"] = [{"step": 391, "epoch": 1.0, "validation_accuracy": first},
                                 {"step": 1173, "epoch": 3.0, "validation_accuracy": first + 0.1}]
        path.write_text(json.dumps(record))
    g = Fd.group(P.load_results(tmp_path), run, "separable, seed's init")
    assert g.validation_at(1) == {0: 0.70, 1: 0.72, 2: 0.74} and g.validation_at(2) == {}
    table = Fd.init_table([g], epochs=(1, 3), target=0.35)
    row = table.rows[0]
    assert row["init"] == "xavier" and row["epoch_1"].startswith("72.00 (") and row["epoch_3"].startswith("82.00 (")
    assert row["steps"] == "97" and table.labels["epoch_1"] == "validation % after epoch 1"


def test_comparisons_carry_where_each_side_ran_and_can_leave_out_the_tuning_seeds(tmp_path):
    a = _group(tmp_path, P.Net(), {s: 0.92 + 0.001 * s for s in range(5)})
    b = _group(tmp_path, P.Net("standard"), {0: 0.99, 1: 0.99, 2: 0.90, 3: 0.901, 4: 0.902})
    for seed in range(5):  # the standard runs ran on a GPU, with TF32 convolutions
        path = P.result_path(tmp_path, b, seed)
        record = json.loads(path.read_text())
        record["device"], record["machine"] = "cuda", {"tf32": {"convolutions": True}}
        path.write_text(json.dumps(record))
    results = P.load_results(tmp_path)
    sep, std = Fd.group(results, a, "separable"), Fd.group(results, b, "standard")
    assert sep.devices == "cpu" and std.devices == "cuda (TF32 convolutions)"
    everything = Fd.compare(sep, std)
    assert everything.devices == ("cpu", "cuda (TF32 convolutions)") and everything.verdict == "level"
    fresh = Fd.compare(sep, std, seeds=(2, 3, 4))  # the seeds no choice was made on
    assert fresh.interval.n_first == 3 and fresh.verdict == "ahead"


def test_steps_and_seconds_compared_and_tabled(tmp_path):
    # Two models whose loss drops at steps 60/62/64 and 120/126/132; the second's steps are 3x dearer.
    quick = P.Run(P.Net(), P.SEED_TRAINING, "protocol", P.SEEDS)
    slow = P.Run(P.Net("standard"), P.SEED_TRAINING, "protocol", P.SEEDS)
    for run, drops in ((quick, (60, 62, 64)), (slow, (120, 126, 132))):
        for seed, drop in enumerate(drops):
            _group(tmp_path, run.net, {seed: 0.9}, losses=[1.0] * drop + [0.1] * 200, training=run.training)
    results = P.load_results(tmp_path)
    sep, std = Fd.group(results, quick, "separable"), Fd.group(results, slow, "standard")
    steps = Fd.compare_steps(sep, std, 0.35)
    assert steps.quantity == "steps" and steps.interval.difference == pytest.approx(-64)
    assert steps.verdict == "behind" and "separable gets there first" in Fd.say(steps, "steps")
    clock = {"seconds_per_step": {"separable": 0.1, "standard": 0.3}}
    secs = Fd.compare_seconds(sep, std, 0.35, clock)
    # (97, 99, 101) x 0.1 against (157, 163, 169) x 0.3: 9.9 - 48.9 s.
    assert secs.interval.difference == pytest.approx(9.9 - 48.9) and secs.quantity == "seconds"
    assert Fd.compare_steps(sep, std, 0.01) is None  # no seed got there
    level = Fd.compare(sep, std)  # equal accuracies: an interval of zero width, level
    table = Fd.comparison_table([("per step", steps), ("per second", secs), ("to 0.01", None),
                                 ("accuracy", level)], "t")
    assert [r["verdict"] for r in table.rows] == ["behind", "behind", "", "level within the noise"]
    assert table.rows[0]["difference"].startswith("-64 (") and table.rows[0]["interval"] == "Welch"
    assert table.rows[1]["quantity"] == "seconds on the one clock"
    assert table.rows[2]["difference"] == "not every seed got there"
    assert table.rows[3]["difference"] == "+0.00 (+0.00 to +0.00)" and table.title == "t"
