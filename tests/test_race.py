"""``race``: both models trained for the same budget, tested along the way (notebook 04)."""
import json
import math

import pytest
import torch

from dwconv_utils import race as race_module
from dwconv_utils.__main__ import main
from dwconv_utils.race import (RACE_RECIPE, RECIPE_NAMES, RECIPES, Lane, Point, Race, Recipe,
                               best_recipe, load_races, race, race_runs, race_seeds_table,
                               race_summary, recipe, recipe_summary, recipe_table, run_name,
                               run_study, study_plan)
from tiny_training import tiny_data

TRAIN, TEST = tiny_data(64), tiny_data(30, seed=1)


def test_a_step_budget_gives_the_same_race_every_time():
    first = race(TRAIN, TEST, steps=6, evaluations=3, recipe_name="one-cycle", seed=3, progress=False)
    again = race(TRAIN, TEST, steps=6, evaluations=3, recipe_name="one-cycle", seed=3, progress=False)
    for model in ("separable", "standard"):
        # Everything but the clock is the same.
        assert ([(p.steps, p.images, p.accuracy, p.loss) for p in first.lanes[model].points]
                == [(p.steps, p.images, p.accuracy, p.loss) for p in again.lanes[model].points])
    for lane in first.lanes.values():
        assert lane.steps == 6 and [p.steps for p in lane.points] == [0, 2, 4, 6]
        assert lane.images == 6 * 64  # batches of 128 from 64 images: one epoch a step
    other_seed = race(TRAIN, TEST, steps=6, evaluations=3, seed=4, progress=False)
    assert [p.loss for p in other_seed.lanes["separable"].points] != \
        [p.loss for p in first.lanes["separable"].points]


def test_a_time_budget_stops_on_time_and_records_both_curves():
    result = race(TRAIN, TEST, 1.0, evaluations=4, progress=False)
    assert set(result.lanes) == {"separable", "standard"} and not result.interrupted
    for lane in result.lanes.values():
        seconds = [p.seconds for p in lane.points]
        assert len(seconds) == 5 and seconds[0] == 0 and seconds == sorted(seconds)
        # Stops at the first step that reaches the budget: over it by less than one step.
        assert 1.0 <= lane.train_seconds < 1.0 + max(0.5, 20 * lane.train_seconds / lane.steps)
        assert lane.eval_seconds > 0 and lane.images == 64 * lane.steps
        assert lane.epochs == lane.steps
        assert all(0 <= p.accuracy <= 1 for p in lane.points)
    sentence = result.sentence()
    assert ("points ahead" in sentence or "they are level" in sentence) and "1 s of training each" in sentence
    table = result.table()
    assert [row["model"] for row in table.rows] == ["separable", "standard"]
    assert f"recipe {RACE_RECIPE!r}" in table.title


def test_images_and_epochs_count_every_batch_once():
    result = race(TRAIN, TEST, steps=5, evaluations=1, models="separable", seed=0,
                  recipe_name="batch-64", progress=False)
    lane = result.lanes["separable"]
    # 64 training images in batches of 64: every step is one full epoch.
    assert (lane.steps, lane.images, lane.epochs) == (5, 320, 5.0)


def test_one_cycle_rises_to_its_peak_and_falls_to_a_thousandth():
    r = recipe("one-cycle")
    assert r.lr_at(0) == pytest.approx(r.lr / 25)
    assert r.lr_at(0.25) == pytest.approx(r.lr)
    assert r.lr_at(1) == pytest.approx(r.lr / 1000)
    rates = [r.lr_at(t / 100) for t in range(101)]
    peak = rates.index(max(rates))
    assert rates[:peak + 1] == sorted(rates[:peak + 1])
    assert rates[peak:] == sorted(rates[peak:], reverse=True)
    assert recipe("seed").lr_at(0.7) == 1e-3


def test_every_recipe_changes_one_thing_of_its_base():
    fields = ("init", "batch_norm", "optimizer", "schedule", "batch_size")
    for r in RECIPES[1:]:
        base = recipe(r.base)
        changed = [f for f in fields if getattr(r, f) != getattr(base, f)]
        # A schedule comes with its peak rate; otherwise one field, or the rate alone.
        assert changed in ([f] for f in fields) or (changed == [] and r.lr != base.lr), r.name
    assert RACE_RECIPE in RECIPE_NAMES and RECIPES[0].name == "seed"


@pytest.mark.parametrize("seconds", [0, -5, float("nan"), float("inf"), "90", True])
def test_a_budget_that_is_not_a_positive_number_is_refused(seconds):
    with pytest.raises(ValueError, match="seconds must be a positive"):
        race(TRAIN, TEST, seconds, progress=False)


@pytest.mark.parametrize("steps", [0, 2.5, "3"])
def test_a_step_budget_must_be_a_positive_integer(steps):
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        race(TRAIN, TEST, steps=steps, progress=False)


def test_seconds_and_steps_together_are_refused():
    with pytest.raises(ValueError, match="not both"):
        race(TRAIN, TEST, 5, steps=3, progress=False)


@pytest.mark.parametrize("models, message", [
    ("mobilenet", "model must be one of 'separable', 'standard'"),
    (("separable", "separable"), "models must name each of separable, standard at most once"),
    ((), "models must name each of separable, standard at most once")])
def test_unknown_or_repeated_models_are_refused(models, message):
    with pytest.raises(ValueError, match=message):
        race(TRAIN, TEST, steps=1, models=models, progress=False)


def test_an_unknown_recipe_is_refused():
    with pytest.raises(ValueError, match="recipe must be one of 'seed'"):
        race(TRAIN, TEST, steps=1, recipe_name="fast", progress=False)


def test_a_budget_shorter_than_one_step_is_refused():
    with pytest.raises(ValueError, match="shorter than one training step"):
        race(TRAIN, TEST, 1e-7, progress=False)


def test_ctrl_c_leaves_a_usable_partial_race(monkeypatch):
    calls = []
    train_until = race_module._LaneTrainer.train_until

    def interrupted_on_the_third_slice(self, done, progress):
        calls.append(self.lane.model)
        if len(calls) == 3:
            raise KeyboardInterrupt
        train_until(self, done, progress)

    monkeypatch.setattr(race_module._LaneTrainer, "train_until", interrupted_on_the_third_slice)
    result = race(TRAIN, TEST, steps=8, evaluations=4, progress=False)
    assert result.interrupted
    assert [len(lane.points) for lane in result.lanes.values()] == [2, 2]  # start, first slice
    assert "stopped early" in result.sentence() and "(interrupted)" in result.table().title
    figure = result.plot()
    assert figure.axes and "interrupted" in figure.axes[0].get_title()
    assert Race.from_dict(json.loads(json.dumps(result.to_dict()))).interrupted


def test_the_race_figure_zooms_on_the_race():
    result = race(TRAIN, TEST, steps=4, evaluations=2, progress=False)
    ax = result.plot().axes[0]
    assert ax.get_xlabel() == "training steps" and len(ax.lines) == 3  # two lanes, the budget
    later = [100 * p.accuracy for lane in result.lanes.values() for p in lane.points[1:]]
    assert ax.get_ylim()[0] == pytest.approx(max(0, min(later) - 2))


def test_the_caller_s_data_is_left_as_it_was():
    images, labels = TRAIN[0].clone(), TRAIN[1].clone()
    race(TRAIN, TEST, steps=2, evaluations=1, progress=False)
    assert torch.equal(images, TRAIN[0]) and torch.equal(labels, TRAIN[1])
    assert TRAIN[0].is_contiguous()


# --- the study: result files, tables, the best recipe -------------------------------------------

def fake_race(name, models, seed, accuracies, seconds=90.0):
    lanes = {}
    for model, accuracy in zip(models, accuracies):
        lanes[model] = Lane(model, 60_000, [Point(0.0, 0, 0, 0.1, 2.3),
                                            Point(seconds, 2000, 256_000, accuracy, 0.3)],
                            steps=2000, images=256_000, train_seconds=seconds, eval_seconds=9.0)
    return Race(recipe(name), seed, seconds, None, lanes, 10_000)


def write(folder, result):
    path = folder / f"{run_name(result.recipe.name, tuple(result.lanes), result.seed)}.json"
    path.write_text(json.dumps(result.to_dict()))


def test_recipe_table_and_best_recipe_come_from_the_files(tmp_path):
    for seed in (0, 1, 2):
        write(tmp_path, fake_race("seed", ("separable",), seed, [0.86 + seed / 100]))
        write(tmp_path, fake_race(RACE_RECIPE, ("separable",), seed, [0.90 + seed / 100]))
        write(tmp_path, fake_race(RACE_RECIPE, ("separable", "standard"), seed, [0.905, 0.9]))
    races = load_races(tmp_path)
    table = recipe_table(races)
    rows = {row["recipe"]: row for row in table.rows}
    assert list(rows) == ["seed", RACE_RECIPE]
    assert rows["seed"]["seeds %"] == "86.0, 87.0, 88.0" and rows["seed"]["mean %"] == "87.00"
    assert rows[RACE_RECIPE]["change"].startswith(recipe(RACE_RECIPE).base + " + ")
    assert rows[RACE_RECIPE]["mean %"] == "91.00" and rows["seed"]["vs base"] == ""
    assert best_recipe(races) == RACE_RECIPE
    assert rows[RACE_RECIPE]["standard %"] == "90.00" and rows["seed"]["standard %"] == ""
    assert best_recipe(races, "standard") == RACE_RECIPE
    assert "in 0 of 3 seeds with the seed's recipe and in 3 of 3 seeds with the race recipe" \
        in recipe_summary(races)
    assert "the race recipe is also its best" in recipe_summary(races)
    assert f"{RACE_RECIPE!r} (raced): separable by 0.5 (points)." in recipe_summary(races)
    write(tmp_path, fake_race("seed", ("standard",), 0, [0.95]))
    assert "the race recipe is not its best: 'seed' is" in recipe_summary(load_races(tmp_path))
    runs = race_runs(races)
    assert [run.seed for run in runs] == [0, 1, 2]
    seeds = race_seeds_table(runs)
    assert [row["separable ahead by"] for row in seeds.rows] == ["+0.50"] * 3
    assert race_summary(runs) == (
        f"Recipe {RACE_RECIPE!r}: after 90 s of training each, over 3 seeds, the separable model "
        "was ahead in every seed: "
        "separable 90.5%, standard 90.0%, a gap of +0.5 points on average for the separable model, "
        "which trained on 1.0x as many images per second.")


def test_a_broken_result_file_is_named(tmp_path):
    (tmp_path / "seed-separable-seed0.json").write_text("{not json")
    with pytest.raises(ValueError, match="seed-separable-seed0.json is not a race result"):
        load_races(tmp_path)
    with pytest.raises(FileNotFoundError, match="python -m dwconv_utils race"):
        load_races(tmp_path / "missing")


def test_the_study_writes_one_file_per_run_and_skips_finished_ones(tmp_path, capsys):
    plan = study_plan(recipes=("seed",), seeds=(0,))
    assert plan == [("seed", ("separable",), 0), (RACE_RECIPE, ("separable", "standard"), 0),
                    ("seed", ("standard",), 0)]
    # A budget of steps: the same work on a fast and a slow machine.
    written = run_study(tmp_path, TRAIN, TEST, recipes=("seed",), seeds=(0,), seconds=None, steps=2)
    assert sorted(p.name for p in written) == sorted(f"{run_name(*run)}.json" for run in plan)
    record = json.loads(written[0].read_text())
    assert record["machine"]["torch_threads"] >= 1 and record["wall_seconds"] > 0
    assert record["steps"] == 2 and all(lane["steps"] == 2 for lane in record["lanes"])
    assert run_study(tmp_path, TRAIN, TEST, recipes=("seed",), seeds=(0,), seconds=None, steps=2) == []
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_the_race_command_lists_its_plan_and_refuses_bad_options(tmp_path, capsys):
    write(tmp_path, fake_race("seed", ("separable",), 0, [0.87]))
    assert main(["race", "--list", "--out", str(tmp_path), "--recipes", "seed", "--seeds", "0"]) == 0
    out = capsys.readouterr().out
    assert "seed-separable-seed0: done" in out and f"{RACE_RECIPE}-separable-standard-seed0: to run" in out
    assert main(["race", "--seconds", "0", "--out", str(tmp_path)]) == 2
    assert "--seconds must be a positive" in capsys.readouterr().err
    assert main(["race", "--limit", "100"]) == 2
    assert "give --out another folder" in capsys.readouterr().err


def test_committed_race_results_match_the_recipes():
    races = load_races()
    committed = {(name, models, run.seed) for (name, models), runs in races.items() for run in runs}
    assert committed == set(study_plan())  # every planned run, and nothing else
    for (name, models), runs in races.items():
        for run in runs:
            assert run.recipe.training() == recipe(name).training(), f"{name} seed {run.seed} ran another recipe"
            assert run.seconds == 90 and not run.interrupted and run.test_size == 10_000
            assert all(math.isfinite(lane.accuracy) for lane in run.lanes.values())


def test_a_recipe_says_what_it_is():
    assert recipe("seed").description() == (
        "the seed's Xavier, Adam with a constant learning rate of 0.001, batch 128")
    assert recipe("batch-norm").description() == (
        "Xavier with fans per group, BatchNorm after every depthwise and pointwise step, Adam with "
        "a one-cycle learning rate peaking at 0.006, batch 128")
