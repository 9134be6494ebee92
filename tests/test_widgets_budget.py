"""The budget explorer of notebook 06: a budget change picks the best model of each family."""

import matplotlib
matplotlib.use("Agg")

import pytest  # noqa: E402

from dwconv_utils.budget import family_points  # noqa: E402
from dwconv_utils.results import load_results  # noqa: E402
from dwconv_utils.widgets import budget_explorer, time_control  # noqa: E402
from fake_runs import fake_run  # noqa: E402
from test_budget import FAKE  # noqa: E402


@pytest.fixture
def points(tmp_path):
    for name, finals in FAKE.items():
        for seed, final in enumerate(finals):
            fake_run(tmp_path, name, seed, [final - 0.05, final], seconds=10)
    fake_run(tmp_path, "separable", 0, [0.8, 0.85], seconds=10)
    return family_points(load_results(tmp_path))


def test_a_budget_change_updates_the_chosen_models(points):
    explorer = budget_explorer(points, "params", budget=184_234)
    assert explorer.budget.value == 184_234  # every point's own budget is a stop
    assert explorer.chosen["separable"].variant == "separable-per-group-init"
    assert explorer.chosen["standard"].variant == "standard-w0.375"  # 94% beats w0.58's 89%
    assert "separable-per-group-init" not in explorer.table.value and "width 1" in explorer.table.value
    explorer.budget.value = min(explorer.budget.options, key=lambda o: o[1])[1]
    assert explorer.chosen["separable"] is None and explorer.chosen["standard"].variant == "standard-w0.25"
    assert "no trained width fits this budget" in explorer.table.value
    assert explorer.image.value[:4] == b"\x89PNG"


def test_switching_to_mult_adds_keeps_the_separable_choice(points):
    explorer = budget_explorer(points, "params", budget=184_234)
    explorer.kind.value = "mult_adds"
    assert explorer.budget.value == 4_065_600
    assert explorer.chosen["separable"].variant == "separable-per-group-init"
    assert explorer.chosen["standard"].variant == "standard-w0.25"  # w0.375 needs 4.2M mult-adds


def test_bad_arguments_are_explained(points):
    with pytest.raises(ValueError, match="kind must be one of 'params', 'mult_adds'"):
        budget_explorer(points, "flops")
    with pytest.raises(ValueError, match="points must hold trained points of both families"):
        budget_explorer({"separable": points["separable"], "standard": []})


def test_every_redraw_of_the_slider_is_timed(points):
    # How fast is a machine's business: tools/widget_redraws.py prints it; a test only checks
    # that every move was timed.
    explorer = budget_explorer(points)
    values = [v for _, v in explorer.budget.options][::2]
    seconds = time_control(explorer, explorer.budget, values)
    assert len(seconds) >= 5 and all(s > 0 for s in seconds)
