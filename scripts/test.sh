#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the whole test suite: unit tests of
# dwconv_utils and every notebook under nbval. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
