"""Where the real Fashion-MNIST is for the tests, and the rule for its absence.

Tests that need it are skipped when it is missing, except under CI (the CI
environment variable set), where a missing data set is a failure.
"""
import os
from pathlib import Path

import pytest

from dwconv_utils import data

ALL_NAMES = [name for names in data.FILES.values() for name in names]


def _real_data_folder():
    for folder in (os.environ.get(data.DATA_ENV), data.debian_folder()):
        if folder and all((Path(folder) / n).is_file() or (Path(folder) / f"{n}.gz").is_file()
                          for n in ALL_NAMES):
            return Path(folder)
    return None


REAL_FOLDER = _real_data_folder()


def real_folder() -> Path:
    if REAL_FOLDER is None:
        pytest.fail("CI is set but Fashion-MNIST is missing: install it with "
                    "`apt-get install dataset-fashion-mnist`, or set DWCONV_DATA")
    return REAL_FOLDER


# The one reason every test that needs the data gives when it is skipped (conftest.py gives it
# for the notebooks that need the data, too).
MISSING_REASON = ("Fashion-MNIST is not installed here (apt-get install dataset-fashion-mnist, or set "
                  "DWCONV_DATA to a folder with the four files); with CI set this test fails instead")
needs_real_data = pytest.mark.skipif(REAL_FOLDER is None and not os.environ.get("CI"), reason=MISSING_REASON)
