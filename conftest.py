"""Test-wide settings, loaded before any test or notebook is collected."""
import os
import sys
from pathlib import Path

import pytest

from dwconv_utils.data import fashion_mnist_status
from dwconv_utils.notebook import QUICK_ENV

sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))
from real_data import MISSING_REASON  # noqa: E402

# Notebooks that train on Fashion-MNIST (tests/test_notebooks.py keeps this list true).
NOTEBOOKS_NEEDING_DATA = ("04_reference_cnn.ipynb",)

# Notebooks run their quick variant under the tests (nbval kernels inherit this).
os.environ[QUICK_ENV] = "1"
# An inherited non-interactive backend would stop notebooks from showing figures inline.
os.environ.pop("MPLBACKEND", None)


def pytest_collection_modifyitems(config, items):
    """The rule for the unit tests, for the notebooks too: without the data (and without CI) a
    notebook that needs it is skipped with the same reason, instead of failing cell after cell."""
    needing = [item for item in items if Path(str(item.fspath)).name in NOTEBOOKS_NEEDING_DATA]
    if not needing or os.environ.get("CI") or fashion_mnist_status(verify=False).available:
        return
    for item in needing:
        item.add_marker(pytest.mark.skip(reason=MISSING_REASON))
