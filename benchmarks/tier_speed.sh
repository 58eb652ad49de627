#!/usr/bin/env bash
# The quality tiers' time over RIFE's (issue 28): four runs, one after another, of vidiff bench on bikes
# (640x272) and bigbuckbunny (1280x720, a training clip: speed only), x2, 25 frames; the max tier runs after
# the one-pass model in runs 1 and 3 and before it in runs 2 and 4 (`balanced` is `diffusion` under its
# tier's name). Each run's results.json holds s_per_frame per method; a tier's time over RIFE's is the median
# over the four runs of its s_per_frame over RIFE's in the same run (benchmarks/results/tier_speed).
#
#   bash benchmarks/tier_speed.sh [OUT]   # OUT default benchmarks/results/tier_speed_runs; ~20 min on 2 cores
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-benchmarks/results/tier_speed_runs}"
VIDIFF="${VIDIFF:-}"
if [ -z "$VIDIFF" ]; then
  if [ -x .venv/bin/vidiff ]; then VIDIFF=.venv/bin/vidiff; else VIDIFF=vidiff; fi
fi
for run in 1 2 3 4; do
  if [ $((run % 2)) -eq 1 ]; then
    args=(--methods rife,diffusion --quality max)
  else
    args=(--methods rife --quality max,balanced)
  fi
  "$VIDIFF" bench --input bikes bigbuckbunny --factor 2 "${args[@]}" --max-frames 25 -q --out "$OUT/run$run"
done
