"""The lecture edition: a 90-minute path the README lists, checks out of the reader's way,
readable output, static views of every widget, and exercises in every notebook."""
import copy
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from notebooks import (CHECK_TAG, LECTURE, LECTURE_TAG, SOLUTION_TAG, build_slides,  # noqa: E402
                       notebook_paths, refresh_tags)

NOTEBOOKS = notebook_paths()
MAX_LINE = 120
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def cells(path):
    return nbformat.read(path, as_version=4).cells


def tagged(cell, tag):
    return tag in cell.metadata.get("tags", [])


def shown_text(output) -> str:
    """The text of one output that some reader sees: streams, and the plain-text form (what a
    viewer without HTML shows), except a figure's "<Figure size ...>"."""
    if output.get("output_type") == "stream":
        return output.get("text", "")
    data = output.get("data", {})
    if "text/plain" in data and "image/png" not in data:
        return data["text/plain"]
    return ""


def test_the_lecture_path_fits_90_minutes_and_the_readme_lists_it():
    minutes = {stem: m for stem, (m, _) in LECTURE.items()}
    assert sum(minutes.values()) <= 90 and set(minutes) == {p.stem for p in NOTEBOOKS}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### A 90-minute lecture")[1].split("\n## ")[0]
    listed = {m.group(1): int(m.group(2)) for m in re.finditer(r"\]\(notebooks/(\d\d_\w+)\.ipynb\)[^|]*\|[^|]*\|\s*(\d+) min", section)}
    assert listed == minutes, "the README's lecture table and tools/notebooks.py LECTURE disagree"
    assert f"{sum(minutes.values())} minutes" in section


# What the path must cover, each by a cell it has to include.
MUST_COVER = {
    "depthwise per channel": ("01_depthwise_step", "plots.plot_channel_rows(image, depthwise.weight"),
    "pointwise mixing": ("02_pointwise_step", "mixer = mixing_explorer("),
    "the cost ratio with the slider": ("03_cost_ratio", "cost_explorer("),
    "the convergence findings": ("04_reference_cnn", "compare_steps("),
    "the budget findings": ("06_equal_budgets", "answer_points("),
    "FLOPs versus time": ("05_flops_vs_speed", "plot_time_shares("),
}


@pytest.mark.parametrize("topic", sorted(MUST_COVER))
def test_the_lecture_path_covers(topic):
    stem, code = MUST_COVER[topic]
    found = [c for c in cells(ROOT / "notebooks" / f"{stem}.ipynb") if code in c.source]
    assert found and any(tagged(c, LECTURE_TAG) for c in found), f"{topic}: {code!r} is not in the lecture"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_tags_are_current_and_checks_are_out_of_the_way(path):
    saved = cells(path)
    assert not refresh_tags(path, copy.deepcopy(saved)), \
        "stale lecture/check/solution tags: run `python tools/notebooks.py header`"
    for cell in saved:
        if tagged(cell, CHECK_TAG) or tagged(cell, SOLUTION_TAG):
            assert cell.metadata.get("jupyter", {}).get("source_hidden") is True
        if tagged(cell, CHECK_TAG):
            assert cell.metadata["slideshow"]["slide_type"] == "skip" and not tagged(cell, LECTURE_TAG)
    assert any(tagged(c, LECTURE_TAG) for c in saved) and any(tagged(c, CHECK_TAG) for c in saved)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_saved_output_line_is_too_wide_to_read(path):
    wide = [(i, len(line)) for i, cell in enumerate(cells(path)) if cell.cell_type == "code"
            for output in cell.get("outputs", []) for line in shown_text(output).splitlines()
            if len(line) > MAX_LINE]
    assert not wide, f"cells with output lines over {MAX_LINE} characters (cell, length): {wide}"


def test_the_width_check_can_fail():
    long = {"output_type": "stream", "text": "x" * (MAX_LINE + 1)}
    assert len(shown_text(long)) > MAX_LINE
    assert shown_text({"output_type": "execute_result", "data": {"text/plain": "y", "text/html": "<b>y</b>"}}) == "y"
    assert shown_text({"output_type": "display_data", "data": {"text/plain": "<Figure>", "image/png": ""}}) == ""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_widget_leaves_a_static_picture(path):
    for i, cell in enumerate(cells(path)):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                html = data.get("text/html", "")
                assert "dwconv-static-view" in html and len(html) > 1000, f"cell {i}: a widget without a static view"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_has_exercises_checked_by_the_package_and_solutions_at_the_end(path):
    nb = cells(path)
    prompts = [i for i, c in enumerate(nb) if c.cell_type == "markdown" and c.source.startswith("**Exercise")]
    assert len(prompts) >= 2
    for i in prompts:
        answer, checker = nb[i + 1], nb[i + 2]
        assert re.search(r"^answer_\d+ = \.\.\.$", answer.source, re.M), f"cell {i + 1} should hold the answer"
        assert "check(" in checker.source and "passed_" in checker.source
    solutions = [i for i, c in enumerate(nb) if c.source.startswith("### Solutions")]
    assert solutions and solutions[0] > max(prompts)
    assert any(tagged(c, SOLUTION_TAG) for c in nb[solutions[0]:])
    assert any(("from dwconv_utils.exercises import check" in c.source
                or "from dwconv_utils import exercises" in c.source) for c in nb[:solutions[0]])


def test_the_lecture_deck_builds_from_the_lecture_cells_only(tmp_path):
    path = ROOT / "notebooks" / "03_cost_ratio.ipynb"
    full = build_slides(path, tmp_path).read_text(encoding="utf-8")
    lecture = build_slides(path, tmp_path, lecture=True).read_text(encoding="utf-8")
    assert len(lecture) < len(full)
    assert "1/N + 1/Dk" in lecture and "What popular counters report" not in lecture
    assert "What popular counters report" in full


def test_teaching_cells_hold_fewer_asserts_than_check_cells():
    teaching = checking = 0
    for path in NOTEBOOKS:
        for cell in cells(path):
            count = len(re.findall(r"^\s*assert\b", cell.source, re.M)) if cell.cell_type == "code" else 0
            if tagged(cell, CHECK_TAG) or tagged(cell, SOLUTION_TAG):
                checking += count
            else:
                teaching += count
    assert checking > 2 * teaching


def test_a_table_too_wide_for_a_screen_says_so_in_its_text_form():
    from dwconv_utils.tables import TEXT_WIDTH, Table

    narrow = Table(["a", "b"], [{"a": 1, "b": 2}])
    assert repr(narrow) == str(narrow)
    wide = Table(["name", "note"], [{"name": "x", "note": "y" * 200}] * 3)
    wide.title = "A wide table"
    assert max(len(line) for line in str(wide).splitlines()) > TEXT_WIDTH
    assert repr(wide).splitlines() == ["A wide table", f"(3 rows x 2 columns: wider than {TEXT_WIDTH} "
                                                     "characters as text; print() it to see it all)"]
    assert "y" * 200 in wide._repr_html_()
