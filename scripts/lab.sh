#!/usr/bin/env bash
# Set up (scripts/setup.sh) and open the collection in JupyterLab.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
extra=()
# JupyterLab refuses to run as root (containers, some lab machines) unless told to.
if [ "$(id -u)" = 0 ]; then extra+=(--allow-root); fi
target=.
if [ -d notebooks ]; then target=notebooks; fi
exec .venv/bin/jupyter lab "${extra[@]}" "$@" "$target"
