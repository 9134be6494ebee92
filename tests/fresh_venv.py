"""A fresh virtual environment that already sees this environment's packages.

Like Colab's runtime, it starts with torch, matplotlib, ipywidgets and IPython
installed (this environment's, through a .pth file); whatever pip installs into
it comes first on its path.
"""
import subprocess
import sys
import venv
from pathlib import Path


def fresh_venv_seeing_ours(env_dir: Path) -> tuple[Path, Path]:
    """Create the environment; returns (its python, its site-packages folder)."""
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    ours = [p for p in sys.path if p.endswith("site-packages")]
    Path(site, "this-environment.pth").write_text("\n".join(ours) + "\n")
    return python, Path(site)
