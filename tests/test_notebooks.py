"""Every committed notebook: header from one source, ran top to bottom, no saved errors.

nbval (in the same test command) re-runs each notebook and compares outputs;
these checks catch what nbval does not: a notebook saved half-run, out of
order, with an error in it, or with a stale Colab header.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from notebooks import (CODE_HIDDEN_IN_SLIDES, build_slides, code_distracts_on_a_slide,  # noqa: E402
                       expected_header, notebook_paths)

NOTEBOOKS = notebook_paths()


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no notebooks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_header_is_generated_from_the_repository_url(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    badge, first_code = expected_header(path)
    assert cells[0]["cell_type"] == "markdown" and "".join(cells[0]["source"]) == badge, \
        "stale Colab badge: run `python tools/notebooks.py header`"
    assert cells[1]["cell_type"] == "code" and "".join(cells[1]["source"]) == first_code, \
        "stale first cell: run `python tools/notebooks.py header`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_was_run_top_to_bottom_without_errors(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in code]
    assert None not in counts, "the notebook has cells that never ran"
    assert counts == list(range(1, len(code) + 1)), \
        f"execution counts {counts} are not 1..n: re-run with `python tools/notebooks.py run`"
    for c in code:
        tags = c.get("metadata", {}).get("tags", [])
        errors = [o for o in c.get("outputs", []) if o["output_type"] == "error"]
        assert not errors or "raises-exception" in tags, \
            f"saved error output in cell {c['execution_count']}: {errors[0].get('ename')}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_makes_a_slide_deck(path, tmp_path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    kinds = [c.get("metadata", {}).get("slideshow", {}).get("slide_type") for c in cells]
    assert None not in kinds, "every cell needs slideshow metadata (slide, subslide, fragment, -, skip)"
    assert kinds[:2] == ["skip", "skip"], "the badge and setup cell stay out of the deck"
    deck = build_slides(path, tmp_path).read_text(encoding="utf-8")
    assert deck.count("<section") >= kinds.count("slide") >= 2
    code = [c for c in cells if c["cell_type"] == "code" and c["metadata"]["slideshow"]["slide_type"] != "skip"]
    hidden = [c for c in code if CODE_HIDDEN_IN_SLIDES in c["metadata"].get("tags", [])]
    assert [code_distracts_on_a_slide("".join(c["source"])) for c in code] == \
        [c in hidden for c in code], "stale slide tags: run `python tools/notebooks.py header`"
    # Each cell's code is shown on its slide unless tagged; its output stays either way.
    in_deck = deck.split('<div class="jp-Cell ')[1:]
    code_in_deck = [c for c in in_deck if c.startswith("jp-CodeCell")]
    assert len(code_in_deck) == len(code)
    shown = sum("jp-Cell-inputArea" in c for c in code_in_deck)
    assert shown == len(code) - len(hidden), f"{shown} code inputs in the deck, {len(code) - len(hidden)} expected"


def test_only_imports_and_prose_cells_hide_their_code():
    assert code_distracts_on_a_slide("import torch\nfrom torch import nn\n")
    assert code_distracts_on_a_slide("x = 1\ndisplay(Markdown(f'**{x}**'))")
    assert not code_distracts_on_a_slide("import torch\nprint(torch.ones(2))")
    assert not code_distracts_on_a_slide("%pip install x\nimport x")
    assert not code_distracts_on_a_slide("")


def test_the_notebooks_that_need_the_data_are_the_ones_that_load_it():
    import conftest
    loading = sorted(p.name for p in NOTEBOOKS if any(
        call in cell.source for cell in nbformat.read(p, as_version=4).cells if cell.cell_type == "code"
        for call in ("fashion_mnist_tensors(", "load_fashion_mnist(")))
    assert loading == sorted(conftest.NOTEBOOKS_NEEDING_DATA)


def _run_hidden(tmp_path, ci: bool) -> subprocess.CompletedProcess:
    """Notebook 04 under nbval with Fashion-MNIST hidden from every place it is looked for."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    for name in ("DWCONV_DATA", "DWCONV_DEBIAN_DATA", "XDG_CACHE_HOME"):
        (tmp_path / name).mkdir(exist_ok=True)
        env[name] = str(tmp_path / name)
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                           "notebooks/04_reference_cnn.ipynb"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_without_the_data_notebook_04_is_skipped_with_the_reason_and_fails_under_ci(tmp_path):
    from real_data import MISSING_REASON
    hidden = _run_hidden(tmp_path, ci=False)
    assert hidden.returncode == 0, hidden.stdout[-2000:]
    last = hidden.stdout.strip().splitlines()[-1]
    assert " skipped" in last and " passed" not in last and " failed" not in last
    assert MISSING_REASON in hidden.stdout and "NameError" not in hidden.stdout
    under_ci = _run_hidden(tmp_path, ci=True)
    assert under_ci.returncode != 0 and "DataUnavailableError" in under_ci.stdout
