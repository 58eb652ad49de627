#!/usr/bin/env bash
# The GPU check (issue 14), for a machine with an NVIDIA GPU: installs what it needs into .venv (the CUDA
# torch build through `make`'s normal path, the xformers extra when a wheel fits), fetches RIFE's weights,
# then runs benchmarks/gpu_check.py (U-Net forward with SDPA vs xformers, RIFE, an upscale with
# --device cuda) and writes benchmarks/results/gpu/gpu_check.{md,json}. Under 5 minutes once installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
[ -x "$PY" ] || make .venv/bin/vidiff
.venv/bin/pip install --quiet -e ".[xformers]" || echo "note: xformers not installed; SDPA only"
.venv/bin/vidiff fetch rife || true
exec timeout 300 "$PY" benchmarks/gpu_check.py --out benchmarks/results/gpu "$@"
