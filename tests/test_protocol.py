import hashlib
import inspect
import json
import math
import shutil

import pytest
import torch
import torch.nn.functional as F

from dwconv_utils import ReferenceCNN
from dwconv_utils import protocol as P
from real_data import real_folder


def _labels(per_class=(60, 40, 50), seed=0):
    labels = torch.cat([torch.full((n,), c, dtype=torch.int64) for c, n in enumerate(per_class)])
    return labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))]


# --- the validation split -------------------------------------------------------------------------

def test_the_split_is_stratified_disjoint_and_complete():
    labels = _labels()
    split = P.validation_split(labels, size=30, key="k")
    assert sorted(split.train.tolist() + split.validation.tolist()) == list(range(150))
    assert not set(split.train.tolist()) & set(split.validation.tolist())
    counts = torch.bincount(labels[split.validation], minlength=3).tolist()
    assert counts == [12, 8, 10]  # 30 * 60/150, 30 * 40/150, 30 * 50/150
    # The parts hand training only the training indices.
    images = torch.arange(150.0).view(150, 1, 1, 1)
    (train_images, _), (val_images, val_labels) = split.parts(images, labels)
    assert set(train_images.flatten().long().tolist()) == set(split.train.tolist())
    assert torch.equal(val_labels, labels[split.validation])


def test_the_split_is_the_same_computed_from_scratch():
    # Stable across machines: the indices follow from the labels and the key by sha256 alone.
    labels = _labels()
    split = P.validation_split(labels, size=30, key="k")
    expected = []
    for cls, take in ((0, 12), (1, 8), (2, 10)):
        members = [i for i, label in enumerate(labels.tolist()) if label == cls]
        expected += sorted(members, key=lambda i: hashlib.sha256(f"k:{i}".encode()).digest())[:take]
    assert split.validation.tolist() == sorted(expected)
    assert split.digest == hashlib.sha256(
        b"".join(i.to_bytes(8, "little") for i in sorted(expected))).hexdigest()[:16]
    assert P.validation_split(labels, size=30, key="other").digest != split.digest


def test_the_split_rounds_by_largest_remainder():
    labels = _labels((7, 7, 7))
    counts = torch.bincount(labels[P.validation_split(labels, size=10).validation], minlength=3)
    assert sorted(counts.tolist()) == [3, 3, 4]


def test_the_split_refuses_bad_input():
    with pytest.raises(TypeError, match="1-D int64 tensor"):
        P.validation_split(torch.zeros(10))
    with pytest.raises(ValueError, match="smaller than the 150 examples"):
        P.validation_split(_labels(), size=150)


def test_the_real_split_takes_1000_of_each_class():
    from dwconv_utils.data import fashion_mnist_tensors
    _, labels = fashion_mnist_tensors("train", real_folder(), download=False)
    split = P.validation_split(labels)
    assert len(split.validation) == 10_000 and len(split.train) == 50_000
    assert torch.bincount(labels[split.validation]).tolist() == [1000] * 10
    # The same split as every committed protocol run used (its digest is in each file).
    committed = {P.read_result(path).record["data"]["split"]
                 for path in sorted((P.default_folder() / "runs").glob("*__protocol-seed0.json"))[:5]}
    assert committed == {split.digest}


# --- choosing on validation only ------------------------------------------------------------------

def test_choose_takes_the_best_mean_validation_over_the_tuning_seeds():
    scores = {"a": [P.ValidationScore(0, 0.90), P.ValidationScore(1, 0.92), P.ValidationScore(2, 0.99)],
              "b": [P.ValidationScore(0, 0.91), P.ValidationScore(1, 0.915)]}
    assert P.choose(scores) == "b"  # seed 2 is not a tuning seed
    assert P.choose({"a": scores["a"], "c": [P.ValidationScore(s, 0.93) for s in (0, 1, 2)]},
                    seeds=(0, 1, 2)) == "a"
    # A diverged run counts as 0.
    assert P.choose({"nan": [P.ValidationScore(0, math.nan), P.ValidationScore(1, 0.99)],
                     "ok": [P.ValidationScore(0, 0.6), P.ValidationScore(1, 0.6)]}) == "ok"


def test_choose_refuses_anything_but_validation_scores():
    with pytest.raises(TypeError, match="ValidationScore values only"):
        P.choose({"a": [0.9, 0.91]})
    result_like = type("Result", (), {"seed": 0, "accuracy": 0.9})()
    with pytest.raises(TypeError, match="ValidationScore values only"):
        P.choose({"a": [result_like]})
    with pytest.raises(ValueError, match="choosing needs seeds"):
        P.choose({"a": [P.ValidationScore(0, 0.9)]})
    # By design: a Result hands out its validation score and its test accuracy separately, and
    # choose's only data argument is a mapping of ValidationScore lists.
    assert list(inspect.signature(P.choose).parameters) == ["candidates", "seeds"]
    assert isinstance(P.Result.test, property) and isinstance(P.Result.validation, property)


# --- packed networks ------------------------------------------------------------------------------

NETS = [P.Net(), P.Net("standard"), P.Net(batch_norm=True), P.Net(act_between=True),
        P.Net(batch_norm=True, act_between=True), P.Net(head="pool", width=0.5),
        P.Net(kernel_size=5, activation="selu"), P.Net("standard", batch_norm=True, head="pool")]


@pytest.mark.parametrize("net", NETS, ids=lambda n: n.key)
def test_a_packed_network_computes_what_its_networks_compute(net):
    models = []
    for seed in (3, 7):
        torch.manual_seed(seed)
        models.append(net.model().train())
    packed = P.PackedNets(models).train()
    x = torch.randn(6, 2, 28, 28, generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 10, (6, 2), generator=torch.Generator().manual_seed(1))
    logits = packed(x)
    separate = [m(x[:, k:k + 1]) for k, m in enumerate(models)]
    for k in range(2):
        assert torch.allclose(logits[:, k], separate[k], atol=1e-5)
    F.cross_entropy(logits.permute(0, 2, 1), y, reduction="none").mean(0).sum().backward()
    for k, m in enumerate(models):
        F.cross_entropy(separate[k], y[:, k]).backward()
    # Gradients too: the packed weight's model-k slice has model k's gradient.
    for k, m in enumerate(models):
        assert torch.allclose(packed.fc2.weight.grad[k], m.fc2.weight.grad, atol=1e-5)
        first = dict(packed.named_parameters())["conv1.weight"].grad
        assert torch.allclose(first[32 * k:32 * (k + 1)] if net.width == 1 else first[16 * k:16 * (k + 1)],
                              m.conv1.weight.grad, atol=1e-5)
    # BatchNorm's running statistics moved per model, as in each network alone.
    for k, (back, model) in enumerate(zip(packed.unpack(), models)):
        for (name, a), (_, b) in zip(back.state_dict().items(), model.state_dict().items()):
            assert torch.allclose(a, b, atol=1e-5), name


def test_packing_refuses_mixed_settings():
    with pytest.raises(ValueError, match="same settings"):
        P.PackedNets([ReferenceCNN(), ReferenceCNN("standard")])
    with pytest.raises(TypeError, match="ReferenceCNN"):
        P.PackedNets([])


def _tiny(n=96, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 10
    return torch.randn(n, 1, 28, 28, generator=g) + labels.view(n, 1, 1, 1) * 0.3, labels


def test_packed_training_equals_training_each_seed_alone():
    # A tiny learning rate keeps the comparison free of Adam's amplification of rounding.
    run = P.Run(P.Net(batch_norm=True), P.Training(1e-5, "constant", epochs=None, steps=6, batch_size=32),
                "protocol", (3, 7))
    records = P.train_packed(run, (3, 7), _tiny(), _tiny(40, 1), _tiny(40, 2))
    alone = P.train_packed(run, (7,), _tiny(), _tiny(40, 1), _tiny(40, 2))
    assert records[1]["step_losses"] == pytest.approx(alone[0]["step_losses"], rel=2e-3)
    assert records[1]["final"]["validation_accuracy"] == alone[0]["final"]["validation_accuracy"]
    # Six steps of 32 over 96 images: two epochs, each drawing its own order.
    assert records[0]["steps"] == 6 and len(records[0]["step_losses"]) == 6
    assert [e["step"] for e in records[0]["evaluations"]] == [3, 6]


def test_protocol_runs_see_the_test_set_once_and_the_seeds_code_every_epoch():
    net = P.Net()
    protocol_run = P.Run(net, P.Training(1e-3, epochs=2, batch_size=48), "protocol", (0,))
    record = P.train_packed(protocol_run, (0,), _tiny(), _tiny(40, 1), _tiny(40, 2))[0]
    assert "test_accuracy" not in record["evaluations"][0]
    assert "test_accuracy" in record["evaluations"][-1] and record["final"]["test_accuracy"] is not None
    seed_run = P.Run(net, P.Training(1e-3, "constant", epochs=2, batch_size=48), "seed", (0,))
    record = P.train_packed(seed_run, (0,), _tiny(), None, _tiny(40, 2))[0]
    assert all("test_accuracy" in e for e in record["evaluations"])
    assert record["final"]["validation_accuracy"] is None


def test_a_diverging_model_is_recorded_and_does_not_touch_the_other(monkeypatch):
    run = P.Run(P.Net(), P.Training(1e-3, "constant", epochs=None, steps=6, batch_size=32), "protocol", (0, 1))
    alone = P.train_packed(run, (0,), _tiny(), _tiny(40, 1), _tiny(40, 2))[0]
    real_model = P.Net.model

    def broken_for_seed_1(net):
        model = real_model(net)
        if torch.initial_seed() == 1:  # train_packed seeds torch with each model's seed first
            with torch.no_grad():
                model.fc2.weight.fill_(float("inf"))
        return model
    monkeypatch.setattr(P.Net, "model", broken_for_seed_1)
    healthy, broken = P.train_packed(run, (0, 1), _tiny(), _tiny(40, 1), _tiny(40, 2))
    assert broken["diverged_at_step"] == 1 and broken["steps"] == 1
    assert broken["final"]["validation_accuracy"] is None
    assert all(point["validation_accuracy"] is None for point in broken["evaluations"])
    # The healthy model trained as it does alone, untouched by its diverged neighbour.
    assert healthy["diverged_at_step"] is None
    assert healthy["step_losses"] == pytest.approx(alone["step_losses"], rel=1e-4)
    assert healthy["final"]["validation_accuracy"] == alone["final"]["validation_accuracy"]


def test_packed_training_equals_fit_with_a_short_last_batch():
    from dwconv_utils import fit
    images, labels = _tiny(100)  # 100 images in batches of 32: the fourth batch holds 4
    run = P.Run(P.Net(init="xavier"), P.Training(1e-5, "constant", epochs=2, batch_size=32), "protocol", (3,))
    record = P.train_packed(run, (3,), (images, labels), _tiny(40, 1))[0]
    torch.manual_seed(3)
    model = ReferenceCNN()
    history = fit(model, (images, labels), _tiny(40, 1), 2, batch_size=32, lr=1e-5, seed=3,
                  progress=False, live_plot=False)
    assert len(record["step_losses"]) == len(history.step_losses) == 8
    assert record["step_losses"] == pytest.approx(history.step_losses, rel=1e-3)
    # The epoch's loss weights each step by its images, as fit's does.
    assert record["evaluations"][-1]["train_loss"] == pytest.approx(history.epochs[-1].train_loss, rel=1e-4)
    assert record["final"]["validation_accuracy"] == pytest.approx(history.epochs[-1].test_accuracy)


# --- specs, plans and files -----------------------------------------------------------------------

def test_training_lengths_and_keys():
    assert P.Training(0.004).key == "one-cycle-0.004-15ep"
    assert P.Training(0.001, "constant", epochs=None, steps=630).key == "constant-0.001-630steps"
    assert P.Training(0.004).total_steps(50_000) == 15 * 391
    with pytest.raises(ValueError, match="exactly one of them"):
        P.Training(0.004, steps=10)
    with pytest.raises(ValueError, match="schedule must be one of"):
        P.Training(0.004, "cosine")
    assert P.Net(batch_norm=True, width=2.0, head="pool").key == "separable-bn-w2-pool"
    assert P.Net("standard", init="xavier").key == "standard-init-xavier"


def test_grids_train_the_tuning_seeds_winners_all_five_and_the_grids_are_equal():
    for name, specs in P.STUDIES.items():
        for spec in specs:
            grid_point = name in ("tuning", "blocks") and not isinstance(spec.training, P.Tuned)
            assert spec.seeds == (P.TUNING_SEEDS if grid_point else P.SEEDS), (name, spec)
    assert {s.training.family for s in P.STUDIES["winners"]} == set(P.FAMILIES)
    grids = {family: [(net.batch_norm, t) for net, t in P.family_grid(family)] for family in P.FAMILIES}
    assert len({tuple(g) for g in grids.values()}) == 1  # the same grid for every family
    assert len(grids["separable"]) == 2 * len(P.GRID_LRS)
    with pytest.raises(ValueError, match="family must be one of"):
        P.family_grid("nope")


def _write_fake(folder, run, seed, validation, test=0.5):
    trained = {"seed": seed, "steps": 1, "diverged_at_step": None,
               "final": {"validation_accuracy": validation, "validation_loss": 0.3,
                         "test_accuracy": test, "test_loss": 1.0, "train_loss": 0.1},
               "evaluations": [], "step_losses": [1.0], "pack_wall_seconds": 1.0}
    path = P.result_path(folder, run, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(P.run_record(run, trained, {"split": "x"}, "cpu", {}, "")))
    return path


def _fake_tuning(folder, family, best=(True, 0.004), seeds=P.TUNING_SEEDS):
    for net, training in P.family_grid(family):
        good = (net.batch_norm, training.lr) == best
        for seed in seeds:
            # The best validation score, and a worse test score: choosing must not look at test.
            _write_fake(folder, P.Run(net, training, "protocol", P.SEEDS), seed,
                        0.93 if good else 0.90, test=0.80 if good else 0.99)


def test_specs_follow_the_validation_winner_and_the_clock(tmp_path):
    spec = P.Spec(None, P.Tuned("separable", (("width", 2.0),)))
    with pytest.raises(P.NotReady, match="lacks tuning seeds"):
        P.resolve(spec, P.load_results(tmp_path), None)
    _fake_tuning(tmp_path, "separable", best=(False, 0.002))
    results = P.load_results(tmp_path)
    run = P.resolve(spec, results, None)
    assert run.net == P.Net(width=2.0) and run.training == P.Training(0.002)
    race = P.Spec(None, P.Tuned("separable", clock_seconds=90.0))
    with pytest.raises(P.NotReady, match="clock has no step time"):
        P.resolve(race, results, None)
    run = P.resolve(race, results, {"seconds_per_step": {"separable": 0.06}})
    assert run.training.steps == 1500 and run.training.epochs is None and run.training.lr == 0.002


def test_a_winner_at_the_grids_edge_grows_the_grid_past_it(tmp_path):
    # The top learning rate with BatchNorm wins the fixed grid: 0.016 must be tried first.
    _fake_tuning(tmp_path, "separable", best=(True, P.GRID_LRS[-1]))
    results = P.load_results(tmp_path)
    with pytest.raises(P.NotReady, match="edge.*separable-bn__one-cycle-0.016-15ep"):
        P.winner("separable", results)
    step1, step2 = (P.Spec(None, P.Extension("separable", k), seeds=P.TUNING_SEEDS) for k in (1, 2))
    run = P.resolve(step1, results, None)
    assert run.net == P.Net(batch_norm=True) and run.training == P.Training(0.016)
    with pytest.raises(P.NotReady, match="extension 1 first"):
        P.resolve(step2, results, None)
    rows = [r for r in P.plan(tmp_path, ["tuning"]) if r.run is not None and r.missing]
    assert [r.run.key for r in rows if r.run.net.head == "flatten" and r.run.net.conv == "separable"] \
        == ["separable-bn__one-cycle-0.016-15ep__protocol"]
    # 0.016 scores worse on validation: the winner is 0.008, inside the grown grid; no step 2.
    for seed in P.TUNING_SEEDS:
        _write_fake(tmp_path, run, seed, 0.92, test=0.99)
    results = P.load_results(tmp_path)
    assert P.winner("separable", results) == (P.Net(batch_norm=True), P.Training(0.008))
    assert P.resolve(step2, results, None) is None
    assert P.tuning_points("separable", results)[0][-1] == (P.Net(batch_norm=True), P.Training(0.016))
    # Had 0.016 won, 0.032 would be next, and no further than GRID_EDGE_STEPS doublings.
    for seed in P.TUNING_SEEDS:
        _write_fake(tmp_path, run, seed, 0.95)
    results = P.load_results(tmp_path)
    assert P.resolve(step2, results, None).training == P.Training(0.032)
    for seed in P.TUNING_SEEDS:
        _write_fake(tmp_path, P.resolve(step2, results, None), seed, 0.96)
    results = P.load_results(tmp_path)
    assert P.winner("separable", results)[1] == P.Training(0.032)
    # A winner at the lowest learning rate grows the grid downwards, by halving.
    _fake_tuning(tmp_path / "low", "standard", best=(False, P.GRID_LRS[0]))
    low = P.load_results(tmp_path / "low")
    assert P.resolve(P.Spec(None, P.Extension("standard", 1)), low, None).training == P.Training(0.0005)
    # An interior winner grows nothing.
    _fake_tuning(tmp_path / "inside", "standard", best=(True, 0.004))
    inside = P.load_results(tmp_path / "inside")
    assert P.tuning_points("standard", inside)[1:] == ([], True)
    assert P.resolve(P.Spec(None, P.Extension("standard", 1)), inside, None) is None


def test_the_plan_counts_what_is_missing_and_its_cpu_hours(tmp_path):
    _fake_tuning(tmp_path, "separable")
    rows = P.plan(tmp_path, ["tuning", "winners"])
    separable = [r for r in rows if r.run is not None and r.run.net.conv == "separable"
                 and r.run.net.head == "flatten"]
    # The grid is done at the tuning seeds; only the winner (BatchNorm, 0.004) needs 2, 3, 4.
    assert [(r.study, r.missing) for r in separable if r.missing] == [("winners", (2, 3, 4))]
    assert separable[-1].run.net.batch_norm and separable[-1].run.training.lr == 0.004
    clock = {"seconds_per_step": {"separable-bn": 0.05}}
    text = P.format_plan(rows, clock)
    # 3 seeds x 15 epochs x 391 steps x 0.05 s.
    hours = P.estimated_cpu_seconds(separable[-1].run, clock, separable[-1].missing) / 3600
    assert hours == pytest.approx(3 * 15 * 391 * 0.05 / 3600)
    assert f"{hours:6.2f} CPU-h" in text and "CPU-hours to go" in text
    # The grid point that won is listed once with its seeds to go, not twice.
    assert sum(1 for r in rows if r.run is not None and r.run.key == separable[-1].run.key and r.missing) == 1
    widths = [r for r in P.plan(tmp_path, ["widths"]) if r.run is not None]
    assert {r.run.net.width for r in widths} == set(P.WIDTHS["separable"])
    assert all(r.run.net.batch_norm and r.run.training.lr == 0.004 for r in widths)


def test_result_files_are_checked(tmp_path):
    run = P.Run(P.Net(), P.Training(0.004), "protocol", P.SEEDS)
    path = _write_fake(tmp_path, run, 0, 0.9)
    result = P.read_result(path)
    assert result.validation == P.ValidationScore(0, 0.9) and result.test == 0.5
    shutil.copy(path, path.with_name(path.name.replace("seed0", "seed1")))
    with pytest.raises(ValueError, match="belongs in"):
        P.load_results(tmp_path)
    path.with_name(path.name.replace("seed0", "seed1")).write_text("{not json")
    with pytest.raises(ValueError, match="not a readable protocol result"):
        P.load_results(tmp_path)


def test_the_runner_writes_one_file_per_seed_and_skips_finished_ones(tmp_path, monkeypatch):
    data = {"protocol": (_tiny(), _tiny(40, 1), _tiny(40, 2)), "seed": (_tiny(), None, _tiny(40, 2)),
            "split": "tiny"}
    monkeypatch.setattr(P, "protocol_data", lambda root=None, limit=None: data)
    monkeypatch.setitem(P.STUDIES, "tiny", [
        P.Spec(P.Net(), P.Training(1e-3, epochs=None, steps=3, batch_size=32)),
        P.Spec(P.Net(), P.Training(1e-3, epochs=None, steps=3, batch_size=32))])  # the same twice
    written = P.run_missing(tmp_path, ["tiny"], seeds=(0, 2), log=lambda line: None)
    assert sorted(p.rsplit("-", 1)[-1] for p in written) == ["seed0.json", "seed2.json"]
    record = json.loads((tmp_path / "runs" / written[0].rsplit("/", 1)[-1]).read_text())
    assert record["data"]["split"] == "tiny" and record["device"] == "cpu"
    assert record["machine"]["git_commit"] is None or len(record["machine"]["git_commit"]) >= 40
    assert P.run_missing(tmp_path, ["tiny"], seeds=(0, 2), log=lambda line: None) == []
    with pytest.raises(ValueError, match="smoke run"):
        P.run_missing(None, ["tiny"], limit=10)
