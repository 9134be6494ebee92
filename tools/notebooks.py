"""Maintain the notebooks: refresh their header cells, or re-run them in full.

    python tools/notebooks.py header            # badge + first cell from dwconv_utils.notebook,
                                                # and which cells' code the slides hide
    python tools/notebooks.py run [NOTEBOOK...] # execute top to bottom in a fresh kernel, save
    python tools/notebooks.py slides            # reveal.js decks in slides/ (one per notebook)
    python tools/notebooks.py slides --lecture  # the 90-minute lecture only, one deck per notebook

``header`` also keeps two kinds of tags true: "lecture" on the cells of the 90-minute path
(``LECTURE``: the sections of each notebook it takes, and its minutes; the README lists the
same path) and "check" on the cells that only verify what the text says (their code starts
with "# Check" or "# Redraw time"): those are left out of the slides and their code is
collapsed in JupyterLab, while their output stays. The code cells under "### Solutions" are
tagged "solution" and collapsed too.

``run`` executes in full mode (the quick-mode variable is removed), in a new
kernel of the current environment, and writes each notebook only after it ran
without error, through a temporary file, so a failed run never leaves a
half-saved notebook. With no names it runs every notebook in notebooks/.
"""
from __future__ import annotations

import argparse
import ast
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from dwconv_utils.files import write_atomically as save_file  # noqa: E402
from dwconv_utils.notebook import QUICK_ENV, colab_badge, first_cell_source  # noqa: E402

NOTEBOOK_DIR = ROOT / "notebooks"


def notebook_paths(names: list[str] | None = None) -> list[Path]:
    if names:
        paths = [Path(n).resolve() for n in names]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise SystemExit(f"no such notebook: {', '.join(missing)}")
        return paths
    return sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def expected_header(path: Path) -> tuple[str, str]:
    """(badge markdown, first code cell) that the notebook at ``path`` must start with."""
    return colab_badge(path.resolve().relative_to(ROOT).as_posix()), first_cell_source()


# Cells whose code the slide decks leave out (their output stays): see code_distracts_on_a_slide.
CODE_HIDDEN_IN_SLIDES = "hide-code-in-slides"


def code_distracts_on_a_slide(source: str) -> bool:
    """True for code a class need not read on a slide: cells that only import, and cells
    that write their finding as prose (``display(Markdown(...))``), whose output says it all."""
    if "display(Markdown(" in source:
        return True
    try:
        statements = ast.parse(source).body
    except SyntaxError:  # IPython syntax (%pip, !cmd): not plain imports
        return False
    return bool(statements) and all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in statements)


# The 90-minute lecture: for each notebook, its minutes and the headings of the parts it takes
# (a part runs from its heading to the next heading of any level). Self-study is the rest.
LECTURE = {
    "01_depthwise_step": (15, ("# 01", "## 1.", "## 2.", "## 3.", "## 4.", "### The sweep",
                               "### From one value", "## What to remember")),
    "02_pointwise_step": (15, ("# 02", "## 1.", "## 2.", "## 3.", "## 4.", "## 5.", "## What to remember")),
    "03_cost_ratio": (20, ("# 03", "## 1.", "## 2.", "## 3.", "## 6.", "## What to remember")),
    "04_reference_cnn": (20, ("# 04", "## 3.", "## 6.", "### The tuning grid", "### The answer", "## Summary")),
    "05_flops_vs_speed": (15, ("# 05", "## 2.", "## 3.", "## 4.", "## What to remember")),
    "06_equal_budgets": (5, ("# 06", "## 2.", "## Summary")),
}
LECTURE_TAG = "lecture"
CHECK_TAG = "check"
CHECK_PREFIXES = ("# Check", "# Redraw time")
SOLUTION_TAG = "solution"
SOLUTIONS_HEADING = "### Solutions"


def is_check(cell) -> bool:
    """A code cell that only verifies what the text says (and times a widget)."""
    return cell.cell_type == "code" and cell.source.startswith(CHECK_PREFIXES)


def lecture_cells(path: Path, cells) -> set[int]:
    """Indices of the cells in the lecture path of the notebook at ``path``."""
    _, headings = LECTURE.get(path.stem, (0, ()))
    inside, chosen = False, set()
    for i, cell in enumerate(cells):
        if cell.cell_type == "markdown" and cell.source.startswith("#"):
            inside = cell.source.startswith(headings)
        if inside and not is_check(cell):
            chosen.add(i)
    return chosen


def _set_tag(cell, tag: str, wanted: bool) -> bool:
    tags = cell.metadata.get("tags", [])
    if wanted == (tag in tags):
        return False
    tags = [t for t in tags if t != tag] + ([tag] if wanted else [])
    if tags:
        cell.metadata["tags"] = tags
    else:
        cell.metadata.pop("tags", None)
    return True


def write_atomically(nb, path: Path) -> None:
    save_file(path, nbformat.writes(nb).encode("utf-8"))


def refresh_header(path: Path) -> bool:
    """Make the first two cells the badge and the standard first cell; True if changed."""
    nb = nbformat.read(path, as_version=4)
    badge, code = expected_header(path)
    cells = nb.cells
    changed = False
    if not cells or cells[0].cell_type != "markdown" or "colab-badge" not in cells[0].source:
        cells.insert(0, nbformat.v4.new_markdown_cell(badge))
        changed = True
    elif cells[0].source != badge:
        cells[0].source = badge
        changed = True
    if len(cells) < 2 or cells[1].cell_type != "code" or "dwconv_utils.notebook" not in cells[1].source:
        cells.insert(1, nbformat.v4.new_code_cell(code))
        changed = True
    elif cells[1].source != code:
        cells[1].source = code
        changed = True
    for cell in cells[:2]:  # setup, not lesson: left out of the slide decks
        if cell.metadata.get("slideshow", {}).get("slide_type") != "skip":
            cell.metadata["slideshow"] = {"slide_type": "skip"}
            changed = True
    changed |= refresh_tags(path, cells)
    if changed:
        write_atomically(nb, path)
    return changed


def refresh_tags(path: Path, cells) -> bool:
    """Set the slide, lecture, check and solution tags of ``cells`` (the notebook at ``path``);
    True if anything changed."""
    changed = False
    lecture = lecture_cells(path, cells)
    in_solutions = False
    for i, cell in enumerate(cells):
        if cell.cell_type == "markdown" and cell.source.startswith("#"):
            in_solutions = cell.source.startswith(SOLUTIONS_HEADING)
        solution = in_solutions and cell.cell_type == "code"
        changed |= _set_tag(cell, SOLUTION_TAG, solution)
        if solution and cell.metadata.get("jupyter") != {"source_hidden": True}:
            cell.metadata["jupyter"] = {"source_hidden": True}  # collapsed: try before you look
            changed = True
        changed |= _set_tag(cell, CODE_HIDDEN_IN_SLIDES,
                            cell.cell_type == "code" and code_distracts_on_a_slide(cell.source))
        changed |= _set_tag(cell, LECTURE_TAG, i in lecture)
        check = is_check(cell)
        changed |= _set_tag(cell, CHECK_TAG, check)
        if check:
            wanted = {"slideshow": {"slide_type": "skip"}, "jupyter": {"source_hidden": True}}
            for key, value in wanted.items():
                if cell.metadata.get(key) != value:
                    cell.metadata[key] = value
                    changed = True
    return changed


def run_notebook(path: Path, timeout: int = 3600) -> float:
    """Execute ``path`` top to bottom in a fresh kernel (full mode) and save it; seconds taken."""
    nb = nbformat.read(path, as_version=4)
    env_backup = {k: os.environ.pop(k) for k in (QUICK_ENV, "MPLBACKEND") if k in os.environ}
    start = time.perf_counter()
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        os.environ.update(env_backup)
    write_atomically(nb, path)
    return time.perf_counter() - start


def build_slides(path: Path, out_dir: Path = ROOT / "slides", lecture: bool = False) -> Path:
    """A reveal.js deck of the notebook's saved outputs, laid out by its slideshow metadata;
    with ``lecture``, only the cells of the lecture path (``LECTURE``)."""
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_input_tags = {CODE_HIDDEN_IN_SLIDES}
    nb = nbformat.read(path, as_version=4)
    if lecture:
        nb.cells = [c for c in nb.cells if LECTURE_TAG in c.metadata.get("tags", [])]
        if not nb.cells:
            raise SystemExit(f"{path.name} has no cells in the lecture path")
        nb.cells[0].metadata["slideshow"] = {"slide_type": "slide"}
    body, _ = SlidesExporter(config=config).from_notebook_node(nb)
    name = f"{path.stem}.lecture.slides.html" if lecture else f"{path.stem}.slides.html"
    return save_file(out_dir / name, body.encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("header", help="refresh the badge, first cell and slide tags of every notebook")
    run = sub.add_parser("run", help="execute notebooks in full mode and save their outputs")
    run.add_argument("notebooks", nargs="*", help="notebook files (default: all in notebooks/)")
    slides = sub.add_parser("slides", help="build a slide deck per notebook into slides/")
    slides.add_argument("--lecture", action="store_true", help="only the 90-minute lecture path")
    args = parser.parse_args(argv)

    if args.command == "slides":
        for path in notebook_paths():
            if args.lecture and path.stem not in LECTURE:
                continue
            print(f"{path.name}: {build_slides(path, lecture=args.lecture).relative_to(ROOT)}")
        return 0
    if args.command == "header":
        for path in notebook_paths():
            print(f"{path.name}: {'updated' if refresh_header(path) else 'up to date'}")
        return 0
    for path in notebook_paths(args.notebooks):
        refresh_header(path)
        print(f"{path.name}: running...", flush=True)
        print(f"{path.name}: saved after {run_notebook(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
