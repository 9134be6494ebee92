"""Test-wide settings, loaded before any test or notebook is collected."""
import os

from dwconv_utils.notebook import QUICK_ENV

# Notebooks run their quick variant under the tests (nbval kernels inherit this).
os.environ[QUICK_ENV] = "1"
# An inherited non-interactive backend would stop notebooks from showing figures inline.
os.environ.pop("MPLBACKEND", None)
