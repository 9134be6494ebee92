"""The answer, the tables and the findings of notebook 04: each sentence turns with the numbers."""
import pytest

from dwconv_utils.results import load_results
from dwconv_utils.seeds import equal_time
from dwconv_utils.verdict import (FIXED_INIT, answer_points, ceiling_table, plain_summary,
                                  results_table, summary_points)
from fake_runs import fake_run


def main_pair(folder, standard, separable, seeds=(0, 1), **kwargs):
    for seed in seeds:
        fake_run(folder, "standard", seed, standard, seconds=100, **kwargs)
        fake_run(folder, "separable", seed, separable, seconds=30, **kwargs)


def words(text: str) -> int:
    return len(text.replace("**", "").split())


def test_the_seed_init_sentence_turns_with_the_numbers(tmp_path):
    main_pair(tmp_path, [0.80, 0.88, 0.90], [0.70, 0.85, 0.89])
    point = answer_points(load_results(tmp_path))["seed's init"]
    assert point == ("**With the seed's initialisation, yes:** the separable model is behind its "
                     "standard twin after every one of the 3 epochs in both seeds, by 10.0 points "
                     "after epoch 1 and 1.0 after epoch 3.")
    main_pair(tmp_path, [0.70, 0.85, 0.88], [0.80, 0.88, 0.90])
    assert answer_points(load_results(tmp_path))["seed's init"].startswith(
        "**With the seed's initialisation, no:** the separable model is ahead")
    fake_run(tmp_path, "separable", 1, [0.60, 0.80, 0.85], seconds=30)
    assert answer_points(load_results(tmp_path))["seed's init"] == (
        "**With the seed's initialisation, not clearly:** neither model is ahead after every epoch "
        "in every seed (standard minus separable after epoch 3: -2.0 to +3.0 points).")


def test_without_the_fixed_init_runs_there_are_two_sentences(tmp_path):
    main_pair(tmp_path, [0.80, 0.88, 0.90], [0.70, 0.85, 0.89])
    assert list(answer_points(load_results(tmp_path))) == ["seed's init", "slower or lower"]


# The seed's separable model trails by 10 points after epoch 1 and 1 point after epoch 3.
@pytest.mark.parametrize("fixed, lead", [
    ([0.78, 0.87, 0.89], "mostly not"),      # 2 of the 10 points left after epoch 1, 1 after epoch 3
    ([0.74, 0.86, 0.89], "less so"),         # 6 of 10 left
    ([0.70, 0.86, 0.89], "not clearly"),     # the same 10 after epoch 1: not smaller in every seed
    ([0.82, 0.89, 0.91], "no"),              # ahead after epoch 1 and after epoch 3
    ([0.82, 0.88, 0.85], "not clearly"),     # ahead after epoch 1, further behind after epoch 3
    ([0.60, 0.80, 0.85], "more so"),         # 20 points behind, then 5: the init made it worse
])
def test_the_fixed_init_sentence_says_how_much_of_the_gap_is_left(tmp_path, fixed, lead):
    main_pair(tmp_path, [0.80, 0.88, 0.90], [0.70, 0.85, 0.89])
    for seed in (0, 1):
        fake_run(tmp_path, FIXED_INIT, seed, fixed, seconds=99)
    point = answer_points(load_results(tmp_path))["per-group init"]
    assert point.startswith(f"**With Xavier fans counted per group, {lead}:** the standard twin's lead ")
    if lead == "mostly not":
        assert point.endswith("lead shrinks from 10.0 to 2.0 points after epoch 1 (in every seed) and "
                              "stays at 1.0 after epoch 3.")
    if lead == "no":
        assert "lead of 10.0 points turns into a 2.0-point lag after epoch 1 (in every seed)" in point
    if lead == "more so":
        assert point.endswith("lead grows from 10.0 to 20.0 points after epoch 1 and grows from 1.0 "
                              "to 5.0 after epoch 3.")


def test_slower_learning_is_told_apart_from_a_lower_ceiling(tmp_path):
    # The fixed separable model approaches its own best (0.89) as fast as the standard one
    # approaches 0.92, but ends lower with a higher training loss: a lower ceiling.
    main_pair(tmp_path, [0.80, 0.90, 0.92], [0.60, 0.80, 0.86], losses=[0.5, 0.2, 0.1])
    for seed in (0, 1):
        fake_run(tmp_path, FIXED_INIT, seed, [0.79, 0.87, 0.89], seconds=30, losses=[0.9, 0.5, 0.3])
    point = answer_points(load_results(tmp_path))["slower or lower"]
    assert point == ("**What remains is a lower ceiling, not slower learning:** both reach 95% of their "
                     "own best test accuracy after 2 epochs, but the separable model's final training "
                     "loss stays higher, 0.300 against 0.100.")

    for seed in (0, 1):  # 95% of 0.89 only in the last epoch: slower, and still lower
        fake_run(tmp_path, FIXED_INIT, seed, [0.60, 0.70, 0.89], seconds=30, losses=[0.9, 0.5, 0.3])
    point = answer_points(load_results(tmp_path))["slower or lower"]
    assert point.startswith("**It still learns more slowly, and ends lower:** it reaches 95% of its own "
                            "best test accuracy after 3 epochs, the standard twin after 2 epochs")

    for seed in (0, 1):  # ends level with the standard model, as fast
        fake_run(tmp_path, FIXED_INIT, seed, [0.80, 0.90, 0.92], seconds=30, losses=[0.5, 0.2, 0.1])
    point = answer_points(load_results(tmp_path))["slower or lower"]
    assert point.startswith("**What remains is within the seeds' spread:**")
    assert point.endswith("and the final training losses are 0.100 against 0.100 (separable against standard).")

    for seed in (0, 1):  # at 95% of its best after epoch 1: faster, but lower
        fake_run(tmp_path, FIXED_INIT, seed, [0.86, 0.87, 0.88], seconds=30, losses=[0.5, 0.4, 0.3])
    assert answer_points(load_results(tmp_path))["slower or lower"].startswith(
        "**It learns faster, but ends lower:**")


def test_the_answer_fits_three_short_sentences_on_the_committed_results():
    points = answer_points(load_results())
    assert list(points) == ["seed's init", "per-group init", "slower or lower"]
    assert all(words(p) <= 60 and p.count(". ") == 0 for p in points.values()), points


def test_every_summary_point_on_the_committed_results_is_short():
    points = summary_points(load_results())
    assert all(words(p) <= 60 for p in points.values()), {k: words(p) for k, p in points.items()}


def test_results_table_shows_means_ranges_and_the_borrowed_epoch_time(tmp_path):
    fake_run(tmp_path, "standard", 0, [0.80, 0.88, 0.90], seconds=100)
    fake_run(tmp_path, "standard", 1, [0.84, 0.86, 0.92], seconds=110)
    fake_run(tmp_path, "separable", 0, [0.70, 0.85, 0.89], seconds=30)
    fake_run(tmp_path, "separable", 1, [0.72, 0.80, 0.88], seconds=40)
    fake_run(tmp_path, FIXED_INIT, 0, [0.79, 0.87, 0.89], seconds=10)  # another, faster machine
    table = results_table(load_results(tmp_path), 0.87)
    rows = {r["variant"]: r for r in table.rows}
    assert rows["standard"]["epoch 1 test acc (%)"] == "82.0 (80.0-84.0)"
    assert rows["standard"]["epoch 3 test acc (%)"] == "91.0 (90.0-92.0)"
    # 95% of 0.90 is 0.855: epoch 2 (0.88); 95% of 0.92 is 0.874: epoch 3 (0.86 falls short).
    assert rows["standard"]["epochs to 95% of best"] == "2 to 3"
    assert rows["standard"]["seconds to 87%"] == "200 to 330"
    assert rows["separable"]["seconds to 87%"] == "90 to 120"
    # Timed at the separable runs' median epoch (35 s), not its own 10 s: 2 epochs, 70 s.
    assert rows[FIXED_INIT]["s per epoch"] == "35.0" and rows[FIXED_INIT]["seconds to 87%"] == "70"
    assert results_table(load_results(tmp_path)).columns[:2] == ["variant", "seeds"]
    assert table.title == ("Results over seeds: the mean (lowest-highest seed); seconds of "
                           f"{FIXED_INIT} at separable's epoch time")
    fake_run(tmp_path, "separable", 1, [0.72, 0.80, 0.86], seconds=40)
    rows = {r["variant"]: r for r in results_table(load_results(tmp_path), 0.87).rows}
    assert rows["separable"]["seconds to 87%"] == "90 (1/2 seeds)"


def test_ceiling_table_counts_each_run_against_its_own_best(tmp_path):
    main_pair(tmp_path, [0.80, 0.88, 0.90], [0.70, 0.85, 0.89], seeds=(0,))
    rows = {r["variant"]: r for r in ceiling_table(load_results(tmp_path)).rows}
    assert rows["standard"]["best test acc (%)"] == "90.00"
    # 90% of 0.90 = 0.81: epoch 2 (0.80 falls short); 95% = 0.855: epoch 2; at 100 s an epoch.
    assert (rows["standard"]["90% of best: epoch"], rows["standard"]["90% of best: s"]) == (2, "200")
    assert (rows["separable"]["90% of best: epoch"], rows["separable"]["95% of best: epoch"]) == (2, 2)
    assert rows["separable"]["95% of best: s"] == "60"


def test_per_second_and_time_to_target_turn_with_the_numbers(tmp_path):
    # standard: 100 s epochs; separable: 30 s epochs, 3 of them = 90 s.
    fake_run(tmp_path, "standard", 0, [0.80, 0.88, 0.90], seconds=100)
    fake_run(tmp_path, "separable", 0, [0.70, 0.85, 0.89], seconds=30)
    (matched,) = equal_time(load_results(tmp_path))
    assert (matched.seconds, matched.ahead_epochs, matched.ahead_accuracy) == (90, 0, None)
    points = summary_points(load_results(tmp_path))
    assert points["per second"] == ("**Per second, no comparison yet:** a separable epoch is 3.3x "
                                    "quicker, and at the training time of its 3 epochs (90 s) the "
                                    "standard twin had finished 0 epochs in at least one seed.")
    assert "the separable model was sooner in every seed (standard 200 s, separable 90 s" in \
        points["time to target"]

    fake_run(tmp_path, "separable", 0, [0.70, 0.74, 0.76, 0.78], seconds=60)  # 240 s
    (matched,) = equal_time(load_results(tmp_path))
    assert (matched.seconds, matched.ahead_epochs) == (240, 2)
    assert matched.difference == pytest.approx(0.88 - 0.78)
    points = summary_points(load_results(tmp_path))
    # 0.88 - 0.78 after equal time; the standard model has no 4th epoch to compare with
    assert points["per second"].startswith("**Per second, the separable model does not overtake:**")
    assert "+10.0 points in every seed." in points["per second"]
    assert points["time to target"] == ("Not every run reached 87% test accuracy within its epochs "
                                        "(standard 1 of 1 seed, separable 0 of 1 seed), so time to "
                                        "87% is not compared.")

    fake_run(tmp_path, "standard", 0, [0.80, 0.88, 0.90, 0.91], seconds=100)
    assert summary_points(load_results(tmp_path))["per second"] == (
        "**Per second, the separable model narrows the gap but does not overtake:** its epoch is "
        "1.7x quicker, yet at the training time of its 4 epochs (240 s) the standard twin had "
        "finished 2 epochs and was ahead by +10.0 points in every seed, against +13.0 after equal "
        "epochs.")

    fake_run(tmp_path, "separable", 0, [0.70, 0.95, 0.96, 0.97], seconds=60)
    point = summary_points(load_results(tmp_path))["per second"]
    assert point.startswith("**Per second, the separable model is ahead:**")
    assert "behind by 9.0 points in every seed" in point

    fake_run(tmp_path, "standard", 1, [0.87, 0.90, 0.93, 0.94], seconds=100)  # 87% after 100 s
    fake_run(tmp_path, "separable", 1, [0.70, 0.85, 0.88, 0.89], seconds=60)  # after 180 s
    points = summary_points(load_results(tmp_path))
    assert points["per second"].startswith("**Per second, a draw:**")
    assert "-9.0 to +1.0 points" in points["per second"]  # 0.88-0.97, 0.90-0.89
    assert "the seeds overlap" in points["time to target"]


def test_a_slower_separable_epoch_is_called_slower(tmp_path):
    for seed in (0, 1):
        fake_run(tmp_path, "standard", seed, [0.80, 0.85, 0.86], seconds=30)
        fake_run(tmp_path, "separable", seed, [0.85, 0.88, 0.90], seconds=45)
    point = summary_points(load_results(tmp_path))["per second"]
    assert "its epoch is 1.5x slower" in point and "quicker" not in point


def test_a_separable_variant_is_placed_between_the_main_pair(tmp_path):
    main_pair(tmp_path, [0.90, 0.92], [0.80, 0.88])
    fake_run(tmp_path, "separable-bn", 0, [0.89, 0.89], seconds=35)
    fake_run(tmp_path, "separable-bn", 1, [0.91, 0.89], seconds=35)
    fake_run(tmp_path, "separable-selu", 0, [0.80, 0.87], seconds=35)
    points = summary_points(load_results(tmp_path))
    assert points["separable-bn"] == (
        "**separable-bn** (BatchNorm, 2 seeds) closes 100% of the gap after epoch 1 and 25% of it "
        "after epoch 2: 89.00% after epoch 2, above every separable seed. It reached 87% after "
        "1 epoch, 35 s, sooner than any standard or separable seed (from 60 s).")
    assert points["separable-selu"].startswith(
        "**separable-selu** (selu, 1 seed) closes 0% of the gap after epoch 1 and falls below the "
        "separable model after epoch 2: 87.00% after epoch 2, below every separable seed.")
    assert points["separable-selu"].endswith("It reached 87% after 2 epochs, 70 s.")
    assert points["seeds"].startswith("These are 1 and 2 seeds per model")
    # about 90% correct of 10,000 images: sqrt(0.9 * 0.1 / 10,000) = 0.3 points
    assert points["seeds"].endswith("uncertain by about ±0.3 points.")

    fake_run(tmp_path, "separable-bn", 1, [0.81, 0.86], seconds=35)
    fake_run(tmp_path, "separable-selu", 0, [0.95, 0.93], seconds=35)
    points = summary_points(load_results(tmp_path))
    assert points["separable-bn"].endswith("1 of its 2 seeds reached 87% test accuracy.")
    assert ("passes the standard twin after epoch 1 and passes the standard twin after epoch 2: "
            "93.00% after epoch 2") in points["separable-selu"]


def test_the_fair_twins_are_compared_with_the_plain_pair(tmp_path):
    for seed in (0, 1):
        fake_run(tmp_path, "standard", seed, [0.90, 0.92], seconds=100)
        fake_run(tmp_path, "separable", seed, [0.80, 0.88], seconds=30)
        fake_run(tmp_path, "separable-bn", seed, [0.89, 0.89], seconds=35)   # 2 epochs in 70 s
        fake_run(tmp_path, "standard-bn", seed, [0.92, 0.95], seconds=30)
    assert summary_points(load_results(tmp_path))["standard-bn"] == (
        "**standard-bn** (BatchNorm in the standard model too): its lead over separable-bn is +3.0 "
        "points after epoch 1 (smaller in every seed than without it) and +6.0 after epoch 2 "
        "(larger in every seed); at equal training time it leads by +6.0 points in every seed.")

    fake_run(tmp_path, "standard-bn", 1, [0.88, 0.88], seconds=30)
    assert summary_points(load_results(tmp_path))["standard-bn"] == (
        "**standard-bn** (BatchNorm in the standard model too): its lead over separable-bn is -1.0 "
        "to +3.0 points after epoch 1 (smaller in every seed than without it) and -1.0 to +6.0 "
        "after epoch 2 (within the plain pair's spread); at equal training time the difference is "
        "-1.0 to +6.0 points: it changes sign between seeds.")

    fake_run(tmp_path, "standard-bn", 1, [0.92, 0.95], seconds=100)  # no epoch done by 70 s
    assert summary_points(load_results(tmp_path))["standard-bn"].endswith(
        "at equal training time standard-bn had not finished an epoch in at least one seed.")


def test_the_verdict_needs_both_models(tmp_path):
    fake_run(tmp_path, "separable", 0, [0.7])
    with pytest.raises(ValueError, match="needs results for 'standard'"):
        answer_points(load_results(tmp_path))


def test_summary_points_are_keyed_and_make_the_plain_summary(tmp_path):
    for seed in (0, 1):
        fake_run(tmp_path, "standard", seed, [0.90, 0.92], seconds=100)
        fake_run(tmp_path, "separable", seed, [0.80, 0.88], seconds=30)
        fake_run(tmp_path, "separable-bn", seed, [0.89, 0.89], seconds=35)
        fake_run(tmp_path, "standard-bn", seed, [0.92, 0.95], seconds=30)
    results = load_results(tmp_path)
    points = summary_points(results)
    assert list(points) == ["per second", "time to target", "separable-bn", "standard-bn", "seeds"]
    assert plain_summary(results) == "\n".join(f"- {p}" for p in points.values())


def test_without_the_fixed_init_nothing_is_said_to_remain(tmp_path):
    main_pair(tmp_path, [0.80, 0.90, 0.92], [0.60, 0.70, 0.86], losses=[0.5, 0.2, 0.1])
    point = answer_points(load_results(tmp_path))["slower or lower"]
    # 95% of 0.86 is 0.817: epoch 3; 95% of 0.92 is 0.874: epoch 2. Same losses: not lower.
    assert point.startswith("**It learns more slowly:** it reaches 95% of its own best test accuracy "
                            "after 3 epochs, the standard twin after 2 epochs")
    assert "still" not in point and "remains" not in point


def test_a_variant_with_fewer_epochs_is_compared_at_its_own_last_epoch(tmp_path):
    main_pair(tmp_path, [0.80, 0.90, 0.92], [0.70, 0.75, 0.86])
    fake_run(tmp_path, "separable-bn", 0, [0.78, 0.84], seconds=35)  # 2 epochs only
    point = summary_points(load_results(tmp_path))["separable-bn"]
    # After epoch 2 separable is at 75%, standard at 90%: 84% closes 60% of that gap.
    assert "closes 80% of the gap after epoch 1 and 60% of it after epoch 2: 84.00% after epoch 2, above every separable seed" in point
    table = results_table(load_results(tmp_path))
    assert "epoch 2 test acc (%)" in table.columns and all(r["epoch 2 test acc (%)"] for r in table.rows)


def test_a_level_seed_is_not_called_a_change_of_sign(tmp_path):
    fake_run(tmp_path, "standard", 0, [0.80, 0.88], seconds=60)    # 1 epoch done at 60 s: 0.80
    fake_run(tmp_path, "separable", 0, [0.78, 0.80], seconds=30)   # its 2 epochs in 60 s: 0.80
    fake_run(tmp_path, "standard", 1, [0.85, 0.88], seconds=60)
    fake_run(tmp_path, "separable", 1, [0.78, 0.84], seconds=30)
    point = summary_points(load_results(tmp_path))["per second"]
    assert point.endswith("the difference was +0.0 to +1.0 points: level in at least one seed.")
    assert "had finished 1 epoch and" not in point and "had finished 1 epoch," in point


def test_ceiling_seconds_are_at_each_runs_own_median_epoch(tmp_path):
    fake_run(tmp_path, "standard", 0, [0.80, 0.88, 0.90], seconds=100)
    fake_run(tmp_path, "standard", 1, [0.84, 0.86, 0.92], seconds=110)
    fake_run(tmp_path, "separable", 0, [0.70, 0.85, 0.89], seconds=30)
    rows = [r for r in ceiling_table(load_results(tmp_path)).rows if r["variant"] == "standard"]
    # 95% of best: epoch 2 (0.88 >= 0.855) at 100 s an epoch; epoch 3 (0.92 * 0.95 = 0.874) at 110 s.
    assert [(r["95% of best: epoch"], r["95% of best: s"]) for r in rows] == [(2, "200"), (3, "330")]
