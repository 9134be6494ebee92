"""The verdict, the summary and the table of notebook 04: each sentence turns with the numbers."""
import pytest

from dwconv_utils.results import load_results
from dwconv_utils.seeds import equal_time
from dwconv_utils.verdict import plain_summary, results_table, summary_points, verdict
from fake_runs import fake_run


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


def test_verdict_needs_both_models(tmp_path):
    fake_run(tmp_path, "separable", 0, [0.7])
    with pytest.raises(ValueError, match="needs results for 'standard'"):
        verdict(load_results(tmp_path))


def test_summary_points_are_keyed_and_make_the_plain_summary(tmp_path):
    for seed in (0, 1):
        fake_run(tmp_path, "standard", seed, [0.90, 0.92], seconds=100)
        fake_run(tmp_path, "separable", seed, [0.80, 0.88], seconds=30)
        fake_run(tmp_path, "separable-bn", seed, [0.89, 0.89], seconds=35)
        fake_run(tmp_path, "standard-bn", seed, [0.92, 0.95], seconds=30)
    results = load_results(tmp_path)
    points = summary_points(results)
    assert list(points) == ["per epoch", "per second", "time to target", "separable-bn",
                            "standard-bn", "seeds"]
    assert points["separable-bn"].startswith("**separable-bn** closes")
    assert points["standard-bn"].startswith("**standard-bn**, the fair twin of separable-bn")
    assert plain_summary(results) == "\n".join(f"- {p}" for p in points.values())
