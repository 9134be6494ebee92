"""The widgets under ipywidgets 7.7, the version Colab ships (JupyterLab here has 8).

A fresh virtual environment sees this environment's packages (as Colab's has
its own preinstalled ones) but gets ipywidgets 7.7.1 installed over them. In it
the widget unit tests and every notebook (nbval, quick mode) must pass just as
they do under ipywidgets 8.
"""
import os
import subprocess
from pathlib import Path

import pytest

from fresh_venv import fresh_venv_seeing_ours

ROOT = Path(__file__).resolve().parent.parent
COLAB_IPYWIDGETS = "7.7.1"
# ipywidgets 7 imports ipython_genutils, which IPython no longer brings along.
PACKAGES = [f"ipywidgets=={COLAB_IPYWIDGETS}", "ipython_genutils"]


@pytest.fixture(scope="module")
def python7(tmp_path_factory) -> Path:
    python, _ = fresh_venv_seeing_ours(tmp_path_factory.mktemp("ipywidgets7") / "venv")
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", *PACKAGES],
                             capture_output=True, text=True, timeout=300)
    if install.returncode != 0:
        message = f"could not install {' '.join(PACKAGES)}: {install.stderr.strip()[-1000:]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return python


def test_widgets_and_notebooks_work_with_colabs_ipywidgets(python7):
    version = subprocess.run([str(python7), "-c", "import ipywidgets; print(ipywidgets.__version__)"],
                             check=True, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    assert version == COLAB_IPYWIDGETS
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PYTHONPATH"] = str(ROOT)  # dwconv_utils from this checkout, as installed on Colab
    widget_tests = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_widgets_*.py"))
    notebooks = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert widget_tests and notebooks
    run = subprocess.run([str(python7), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          *widget_tests, *notebooks],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, f"under ipywidgets {version}:\n{run.stdout[-4000:]}{run.stderr[-2000:]}"
    assert " passed" in run.stdout.splitlines()[-1] and " failed" not in run.stdout.splitlines()[-1]
