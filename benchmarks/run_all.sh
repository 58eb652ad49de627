#!/usr/bin/env bash
# Every benchmark of the project, in the order the README quotes them; results land in benchmarks/results/.
# Usage: bash benchmarks/run_all.sh   (or: make bench)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
bash benchmarks/quality.sh --quiet
bash benchmarks/model_quality.sh --quiet
"$PY" benchmarks/speed.py --out benchmarks/results/speed
if [ -f benchmarks/model_speed.py ]; then "$PY" benchmarks/model_speed.py --bf16 --repeats 3 --out benchmarks/results/model_speed; fi
