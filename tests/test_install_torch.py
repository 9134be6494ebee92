"""scripts/install_torch.py: which torch build the setup installs, with the machine faked both
ways and pip faked (nothing is downloaded)."""
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import install_torch  # noqa: E402
from install_torch import CPU_INDEX, REQUIREMENT, cpu_versions_on_configured_indexes, install, plan  # noqa: E402


def test_linux_without_an_nvidia_gpu_gets_the_cpu_build_and_with_one_the_default():
    assert plan("auto", "Linux", gpu=False, installed=None).build == "cpu"
    assert plan("auto", "Linux", gpu=True, installed=None).build == "default"
    assert plan("auto", "Darwin", gpu=False, installed=None).build == "default"   # PyPI's macOS wheel is CPU/MPS
    assert plan("auto", "Windows", gpu=False, installed=None).build == "default"


def test_an_installed_torch_is_kept_and_the_choice_can_be_forced():
    assert plan("auto", "Linux", gpu=False, installed="2.11.0+cu126").build == "keep"
    assert plan("cpu", "Linux", gpu=True, installed="2.13.0").build == "keep"
    assert plan("cpu", "Linux", gpu=True, installed=None).build == "cpu"
    assert plan("cuda", "Linux", gpu=False, installed=None).build == "default"
    with pytest.raises(ValueError, match="no CUDA builds for Darwin"):
        plan("cuda", "Darwin", gpu=False, installed=None)
    with pytest.raises(ValueError, match="DWCONV_TORCH must be one of auto, cpu, cuda; got 'gpu'"):
        plan("gpu", "Linux", gpu=False, installed=None)


def test_the_gpu_is_detected_by_nvidia_smi_or_the_driver():
    assert install_torch.has_nvidia_gpu(which=lambda _: "/usr/bin/nvidia-smi", exists=lambda _: False)
    assert install_torch.has_nvidia_gpu(which=lambda _: None, exists=lambda p: p == "/dev/nvidia0")
    assert not install_torch.has_nvidia_gpu(which=lambda _: None, exists=lambda _: False)


PIP_INDEX = """torch (2.15.0)
Available versions: 2.15.0, 2.14.1, 2.13.0+cpu, 2.13.0, 2.4.1+cpu, 2.0.1+cpu, 1.13.1"""


def test_cpu_builds_on_the_configured_index_are_found_newest_first_in_range():
    assert cpu_versions_on_configured_indexes(PIP_INDEX) == ["2.13.0+cpu", "2.4.1+cpu"]
    assert cpu_versions_on_configured_indexes("ERROR: No matching distribution") == []


class FakePip:
    """Records pip calls; the CPU index and ``pip index`` answer as told."""

    def __init__(self, cpu_index_works: bool, index_output: str = ""):
        self.calls, self.cpu_index_works, self.index_output = [], cpu_index_works, index_output

    def __call__(self, command, check=False, capture_output=False, text=False):
        self.calls.append(command)
        if "index" in command and "versions" in command:
            return subprocess.CompletedProcess(command, 0, self.index_output, "")
        code = 1 if CPU_INDEX in command and not self.cpu_index_works else 0
        return subprocess.CompletedProcess(command, code, "", "")


def test_the_cpu_build_comes_from_pytorchs_cpu_index():
    pip = FakePip(cpu_index_works=True)
    assert install("cpu", "python", run=pip) == f"the CPU build from {CPU_INDEX}"
    assert pip.calls[0][-3:] == ["--retries", "1", REQUIREMENT] and CPU_INDEX in pip.calls[0]
    assert "--isolated" in pip.calls[0]   # no other configured index can answer for it
    assert len(pip.calls) == 1


def test_without_the_cpu_index_a_configured_cpu_build_then_the_default_with_one_line():
    pip = FakePip(cpu_index_works=False, index_output=PIP_INDEX)
    assert "torch 2.13.0+cpu from the configured package index" in install("cpu", "python", run=pip)
    assert pip.calls[-1][-1] == "torch==2.13.0+cpu"
    said = []
    pip = FakePip(cpu_index_works=False, index_output="torch (2.15.0)\nAvailable versions: 2.15.0, 2.14.1")
    assert install("cpu", "python", run=pip, say=said.append) == "the default build (the CPU index was unreachable)"
    assert len(said) == 1 and "cannot be reached" in said[0] and "3.0 GB" in said[0]
    assert pip.calls[-1][-1] == REQUIREMENT and CPU_INDEX not in pip.calls[-1]


def test_the_default_build_is_plain_pip():
    pip = FakePip(cpu_index_works=False)
    assert install("default", "python", run=pip) == "the default build"
    assert pip.calls == [["python", "-m", "pip", "install", "-q", "--disable-pip-version-check", REQUIREMENT]]


def test_the_script_keeps_this_environments_torch(monkeypatch, capsys):
    monkeypatch.setenv("DWCONV_TORCH", "cpu")
    monkeypatch.setattr(install_torch, "install", lambda *a, **k: pytest.fail("nothing should be installed"))
    assert install_torch.main() == 0 and capsys.readouterr().out == ""
    monkeypatch.setenv("DWCONV_TORCH", "rocm")
    assert install_torch.main() == 2 and "must be one of" in capsys.readouterr().err
