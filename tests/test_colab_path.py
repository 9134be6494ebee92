"""The Colab path without Colab: a fake ``google.colab``, a fresh virtual
environment that already has torch, matplotlib and ipywidgets (as Colab does),
and the notebooks' real first cell installing dwconv_utils from a local clone
of this repository. The install must work and must not touch those packages.
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dwconv_utils.notebook import BRANCH, first_cell_source

from fresh_venv import fresh_venv_seeing_ours

ROOT = Path(__file__).resolve().parent.parent

DRIVER = textwrap.dedent('''
    import json, sys
    import google.colab  # the fake: makes the first cell take its Colab branch
    import matplotlib, torch, ipywidgets
    before = {m.__name__: (m.__version__, m.__file__) for m in (torch, matplotlib, ipywidgets)}
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    result = shell.run_cell(open(sys.argv[1]).read())
    result.raise_error()
    import dwconv_utils
    print("RESULT " + json.dumps({"before": before, "package": dwconv_utils.__file__,
                                  "device": str(shell.user_ns["device"])}))
''')


@pytest.mark.skipif(sys.platform == "win32", reason="uses a POSIX virtual environment layout")
def test_first_cell_installs_the_package_on_colab_without_upgrading_its_libraries(tmp_path):
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(repo)], check=True)
    # The first cell installs from the branch BRANCH; in the clone, point it at the commit
    # under test, so the test also runs on a checkout of another branch.
    subprocess.run(["git", "-C", str(repo), "checkout", "--quiet", "-B", BRANCH], check=True)

    # Colab's preinstalled libraries: this environment's torch, matplotlib, ipywidgets, IPython.
    python, site = fresh_venv_seeing_ours(tmp_path / "colab-venv")

    fake = tmp_path / "fake"
    (fake / "google" / "colab").mkdir(parents=True)
    (fake / "google" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "__init__.py").write_text("")
    cell = tmp_path / "first_cell.py"
    # file://localhost/...: older pips reject a git+file URL with an empty host.
    cell.write_text(first_cell_source(repo.as_uri().replace("file://", "file://localhost", 1)))
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONPATH"] = str(fake)
    run = subprocess.run([str(python), str(driver), str(cell)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, run.stdout[-3000:]
    result = json.loads(lines[-1][len("RESULT "):])

    assert Path(result["package"]).resolve().is_relative_to(Path(site).resolve()), \
        "dwconv_utils was not installed into the fresh environment"
    assert "device: cpu" in run.stdout or "device: cuda" in run.stdout, "no versions line printed"
    assert result["device"] in ("cpu", "cuda", "mps")
    # pip left the preinstalled libraries where they were: nothing of theirs in the new site-packages.
    installed = {p.name.lower() for p in Path(site).iterdir()}
    for name in ("torch", "matplotlib", "ipywidgets"):
        assert name not in installed, f"pip installed its own {name} over Colab's"
