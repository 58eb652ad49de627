#!/usr/bin/env bash
# The shipped model against DIS and RIFE v4 on the evaluation clips it never trained on (bikes,
# carphone_pristine), x2 and x4, held-out-frame protocol, same invocation (so s/frame ratios compare):
# writes benchmarks/results/model/ (results.json, results.md with the command on top, plots).
# RIFE's weights are fetched first where possible (benchmarks/setup_peers.sh). About 15 minutes on 2 CPUs.
set -euo pipefail
cd "$(dirname "$0")/.."
VIDIFF="${VIDIFF:-}"
if [ -z "$VIDIFF" ]; then
  if [ -x .venv/bin/vidiff ]; then VIDIFF=.venv/bin/vidiff; else VIDIFF=vidiff; fi
fi
bash benchmarks/setup_peers.sh
exec "$VIDIFF" bench \
  --input bikes carphone_pristine \
  --factor 2 4 \
  --methods dis,rife,diffusion \
  --out benchmarks/results/model "$@"
