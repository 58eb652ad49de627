#!/usr/bin/env bash
# Quality table (BENCHMARK.md held-out-frame protocol): the three development clips at x2, x4 and the
# 2/5 keep ratio (--factor 5/2), every peer side by side, into benchmarks/results/quality/
# (results.json, results.md with the command line on top, psnr_by_t.png, psnr_by_method.png).
# The peers' prerequisite (RIFE's weights) is set up first where the machine allows
# (benchmarks/setup_peers.sh; minterpolate runs in PyAV's FFmpeg); a peer that cannot run is reported as skipped. Takes some minutes on 2 CPUs (bigbuckbunny is 1280x720).
# Usage: bash benchmarks/quality.sh [extra vidiff bench options, e.g. --quiet]
set -euo pipefail
cd "$(dirname "$0")/.."
VIDIFF="${VIDIFF:-}"
if [ -z "$VIDIFF" ]; then
  if [ -x .venv/bin/vidiff ]; then VIDIFF=.venv/bin/vidiff; else VIDIFF=vidiff; fi
fi
bash benchmarks/setup_peers.sh
exec "$VIDIFF" bench \
  --input bikes carphone_pristine bigbuckbunny \
  --factor 2 4 5/2 \
  --methods dup,blend,dis,minterpolate,rife \
  --out benchmarks/results/quality "$@"
