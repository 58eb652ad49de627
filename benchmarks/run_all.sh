#!/usr/bin/env bash
# Every benchmark of the project, in the order the README quotes them; results land in benchmarks/results/.
# Usage: bash benchmarks/run_all.sh   (or: make bench)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
if ! command -v ffmpeg >/dev/null 2>&1; then
  echo "ffmpeg not found: minterpolate will be reported as skipped (Debian: sudo apt-get install -y ffmpeg)" >&2
fi
bash benchmarks/fetch_rife.sh || echo "RIFE weights unavailable: rife will be reported as skipped" >&2
bash benchmarks/quality.sh --quiet
bash benchmarks/model_quality.sh --quiet
"$PY" benchmarks/speed.py --out benchmarks/results/speed
if [ -f benchmarks/model_speed.py ]; then "$PY" benchmarks/model_speed.py --out benchmarks/results/model_speed; fi
