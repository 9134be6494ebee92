#!/usr/bin/env bash
# Create the project's virtual environment (.venv) once and install the
# collection into it: torch (scripts/install_torch.py picks the build), then
# dwconv_utils (editable), JupyterLab and the test tools.
# Re-running is quick: pip skips what is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi

# torch first, the build that fits this machine (DWCONV_TORCH=auto|cpu|cuda; a torch already
# installed is kept): left to itself, pip would pull a 3 GB CUDA build onto any Linux laptop.
.venv/bin/python scripts/install_torch.py 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt >"$log" 2>&1; then
  status=0
else
  status=$?
fi
# Some pip configurations warn once per package about local index folders; drop that noise.
grep -v "is ignored: it is neither a file nor a directory" "$log" || true
exit "$status"
