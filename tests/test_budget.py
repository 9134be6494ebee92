"""Equal budgets (notebook 06): the families' points, the frontier, matching, the answer."""
import json

import pytest

from dwconv_utils import budget
from dwconv_utils.budget import (answer_points, best_within, family_points, frontier, load_epoch_times,
                                 matched_pairs, model_budget, pairs_table, points_table, save_epoch_times)
from dwconv_utils.results import load_results, variant
from fake_runs import fake_run

# (variant, final accuracy per seed): the separable family beats the standard one at equal
# parameters (separable-per-group-init against standard-w0.58) and loses at equal mult-adds
# (against standard-w0.375).
FAKE = {"separable-w0.5": [0.86, 0.87], "separable-per-group-init": [0.90, 0.91, 0.92],
        "separable-w2": [0.925, 0.93, 0.935], "standard-w0.25": [0.85, 0.86],
        "standard-w0.375": [0.93, 0.94, 0.95], "standard-w0.58": [0.88, 0.89, 0.90],
        "standard": [0.91, 0.92, 0.93]}


@pytest.fixture
def points(tmp_path):
    for name, finals in FAKE.items():
        for seed, final in enumerate(finals):
            fake_run(tmp_path, name, seed, [final - 0.05, final], seconds=10)
    fake_run(tmp_path, "separable", 0, [0.8, 0.85], seconds=10)  # the per-group runs are timed as these
    return family_points(load_results(tmp_path), {"standard": 100.0, "separable-w2": 40.0})


def _standard_budget(width):
    """The standard twin at ``width`` counted by hand: channels round(32 w), round(64 w),
    round(128 w) (halves up); 3x3 convs with bias on 28, 28, 14, 14, 7, 7 maps, fc1 from the
    3x3 map after the last pool, fc2 to 10 classes."""
    c32, c64, c128 = (int(c * width + 0.5) for c in (32, 64, 128))
    convs = [(1, c32, 28), (c32, c32, 28), (c32, c64, 14), (c64, c64, 14), (c64, c128, 7), (c128, c128, 7)]
    params = sum(9 * m * n + n for m, n, _ in convs) + (9 * c128 * 128 + 128) + (128 * 10 + 10)
    macs = sum(9 * m * n * size * size for m, n, size in convs) + 9 * c128 * 128 + 128 * 10
    return {"params": params, "mult_adds": macs}


def test_points_carry_exact_budgets_and_accuracies(points):
    widths = {f: [p.width for p in members] for f, members in points.items()}
    assert widths == {"separable": [0.5, 1.0, 2.0], "standard": [0.25, 0.375, 0.58, 1.0]}
    sep1 = points["separable"][1]
    assert (sep1.variant, sep1.params, sep1.mult_adds) == ("separable-per-group-init", 184_234, 4_065_600)
    assert (points["standard"][3].params, points["standard"][3].mult_adds) == (435_306, 29_275_904)
    assert model_budget(variant("standard-w0.58")) == _standard_budget(0.58)
    assert sep1.accuracy == pytest.approx(0.91) and (sep1.low, sep1.high) == (0.90, 0.92)
    assert points["standard"][3].epoch_seconds == 100.0 and points["standard"][0].epoch_seconds is None


def test_the_frontier_keeps_only_points_nothing_beats(points):
    everything = points["separable"] + points["standard"]
    by_params = [p.variant for p in frontier(everything, "params")]
    # standard-w0.25 (56k) 85.5%, separable-w0.5 (85k) 86.5%, standard-w0.375 (97k) 94%: nothing later beats it.
    assert by_params == ["standard-w0.25", "separable-w0.5", "standard-w0.375"]
    assert [p.variant for p in frontier(points["separable"], "mult_adds")] == \
        ["separable-w0.5", "separable-per-group-init", "separable-w2"]
    with pytest.raises(ValueError, match="kind must be one of 'params', 'mult_adds'"):
        frontier(everything, "flops")


def test_best_within_a_budget(points):
    assert best_within(points["standard"], 150_000, "params").variant == "standard-w0.375"
    assert best_within(points["standard"], 1_000_000, "mult_adds") is None  # smallest: 1.9M
    assert best_within(points["separable"], 4_065_600, "mult_adds").variant == "separable-per-group-init"


def test_matched_pairs_and_the_answer(points):
    pairs = matched_pairs(points)
    assert [(p.kind, p.separable.variant, p.standard.variant) for p in pairs] == [
        ("params", "separable-per-group-init", "standard-w0.58"),
        ("params", "separable-w2", "standard"),
        ("mult_adds", "separable-per-group-init", "standard-w0.375")]
    assert pairs[0].differences == pytest.approx({0: 0.02, 1: 0.02, 2: 0.02})
    assert pairs[0].budget_ratio == pytest.approx(_standard_budget(0.58)["params"] / 184_234)
    words = answer_points(pairs)
    assert words["params"] == (
        "**At equal parameters, the separable family is more accurate:** separable-per-group-init "
        "against standard-w0.58, the separable one is ahead in every seed, by 2.0 points; "
        "separable-w2 against standard, the separable one is ahead in every seed, by 0.5 to 1.5 points.")
    assert words["mult_adds"] == (
        "**At equal mult-adds per image, the standard family is more accurate:** separable-per-group-init "
        "against standard-w0.375, the standard one is ahead in every seed, by 3.0 points.")
    assert "separable - standard (points)" in pairs_table(pairs).columns
    assert "+2.00 (+2.00 to +2.00, 3 seeds)" in str(pairs_table(pairs))
    assert len(points_table(points)) == 7


def test_mixed_pairs_name_no_winner(tmp_path):
    for seed, (a, b) in enumerate([(0.90, 0.89), (0.90, 0.91)]):
        fake_run(tmp_path, "separable-per-group-init", seed, [a], seconds=10)
        fake_run(tmp_path, "standard-w0.58", seed, [b], seconds=10)
    fake_run(tmp_path, "separable", 0, [0.8], seconds=10)
    words = answer_points(matched_pairs(family_points(load_results(tmp_path))))
    assert words == {"params": "**At equal parameters, neither family is reliably more accurate:** "
                               "separable-per-group-init against standard-w0.58, neither is ahead in "
                               "every seed (-1.0 to +1.0 points)."}


def test_epoch_times_round_trip_and_bad_files_are_named(tmp_path):
    record = budget.measure_epoch_times(["standard-w0.25", "separable-w0.5"], repeats=1, steps=1, batch_size=8)
    assert set(record["epoch_seconds"]) == {"standard-w0.25", "separable-w0.5"}
    assert all(v > 0 for v in record["epoch_seconds"].values()) and record["machine"]["cpu"]
    save_epoch_times(record, tmp_path)
    assert load_epoch_times(tmp_path) == json.loads(json.dumps(record))
    (tmp_path / budget.EPOCH_TIMES_FILE).write_text("{broken")
    with pytest.raises(ValueError, match="is not valid JSON text"):
        load_epoch_times(tmp_path)
    (tmp_path / budget.EPOCH_TIMES_FILE).write_text(json.dumps({"version": 9}))
    with pytest.raises(ValueError, match="not an epoch-time record of version 1"):
        load_epoch_times(tmp_path)
    with pytest.raises(FileNotFoundError, match="bench --families"):
        load_epoch_times(tmp_path / "nowhere")


def test_the_pooling_head_pair_is_its_own_comparison(tmp_path):
    for seed in (0, 1, 2):
        fake_run(tmp_path, "separable-pool", seed, [0.85, 0.88 + 0.01 * seed], seconds=10)
        fake_run(tmp_path, "standard-pool-w0.36", seed, [0.85, 0.87 + 0.01 * seed], seconds=10)
    pool = family_points(load_results(tmp_path), head="pool")
    assert [p.variant for f in ("separable", "standard") for p in pool[f]] == ["separable-pool", "standard-pool-w0.36"]
    assert family_points(load_results(tmp_path)) == {"separable": [], "standard": []}
    pairs = matched_pairs(pool)
    assert [p.kind for p in pairs] == ["params", "mult_adds"]  # one pair matched in both
    assert answer_points(pairs, "with a pooling head")["params"].startswith(
        "**At equal parameters, with a pooling head, the separable family is more accurate:**")


def test_a_pair_names_its_leader_only_when_every_seed_agrees(points):
    by_params, _, by_macs = matched_pairs(points)
    assert by_params.leader == "separable" and by_macs.leader == "standard"
    by_params.standard.runs[0].history.epochs[-1].test_accuracy = 0.99  # one seed now disagrees
    assert by_params.leader is None
