"""python -m dwconv_utils doctor, with the data present and hidden."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dwconv_utils import doctor
from dwconv_utils.data import fashion_mnist_status
from real_data import needs_real_data

ROOT = Path(__file__).resolve().parent.parent


def hide_the_data(monkeypatch, tmp_path):
    for name, folder in (("DWCONV_DATA", "data"), ("DWCONV_DEBIAN_DATA", "debian"), ("XDG_CACHE_HOME", "cache")):
        (tmp_path / folder).mkdir()
        monkeypatch.setenv(name, str(tmp_path / folder))


def test_without_the_data_the_doctor_says_what_to_do(monkeypatch, tmp_path):
    hide_the_data(monkeypatch, tmp_path)
    assert not fashion_mnist_status().available
    checks = {c.name: c for c in doctor.checks()}
    assert not checks["Fashion-MNIST"].ok and "not found" in checks["Fashion-MNIST"].found
    assert "apt-get install dataset-fashion-mnist" in checks["Fashion-MNIST"].advice
    assert checks["torch"].found.startswith(f"{__import__('torch').__version__} (")
    text = doctor.report()
    assert text.splitlines()[-1] == "1 thing(s) to do before class (see -> above)."
    assert max(len(line) for line in text.splitlines()) <= 100
    run = subprocess.run([sys.executable, "-m", "dwconv_utils", "doctor"], capture_output=True, text=True,
                         cwd=ROOT, env=dict(os.environ))
    assert run.returncode == 1 and "TODO Fashion-MNIST" in run.stdout


def test_a_corrupt_file_is_reported_as_failing_verification(monkeypatch, tmp_path):
    hide_the_data(monkeypatch, tmp_path)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (tmp_path / "data" / name).write_bytes(b"not an idx file")
    status = fashion_mnist_status()
    assert not status.missing and status.verified is False and not status.available
    assert "FAILED verification" in status.describe()
    assert fashion_mnist_status(verify=False).verified is None


@needs_real_data
def test_with_the_data_the_doctor_is_all_set(monkeypatch):
    from real_data import real_folder
    monkeypatch.setenv("DWCONV_DATA", str(real_folder()))
    checks = {c.name: c for c in doctor.checks()}
    assert checks["Fashion-MNIST"].ok and checks["Fashion-MNIST"].found.endswith("verified")
    assert checks["committed results"].ok and checks["ipywidgets"].ok
    run = subprocess.run([sys.executable, "-m", "dwconv_utils", "doctor"], capture_output=True, text=True,
                         cwd=ROOT, env=dict(os.environ))
    lines = run.stdout.splitlines()
    assert [line.split()[1] for line in lines[:-1] if line.startswith(("ok", "TODO"))][:3] == \
        ["Python", "torch", "ipywidgets"]
    # JupyterLab is part of this environment; where it is not, the doctor says so and exits 1.
    assert run.returncode == (0 if all(c.ok for c in checks.values()) else 1)
