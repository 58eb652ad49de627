#!/usr/bin/env bash
# What vidiff's fill-in is worth between a video model's keyframes: the held-out-frame protocol at x3
# (keep every third frame of a real clip, rebuild the two between at t = 1/3 and 2/3, score against the
# real ones) on the evaluation clips the shipped model never trained on: bikes (25 fps: keyframes at
# 8.33 fps rebuilt to 25, the 8 -> 24 case) and carphone_pristine (29.97 fps: 9.99 -> 29.97, about
# 10 -> 30). vidiff's default method (diffusion, what `auto` resolves to with RIFE's weights cached)
# against RIFE and DIS, same invocation. No 16 -> 48 case: no evaluation clip here runs at 48 fps or
# more, and bigbuckbunny (the training clip) may not score the model.
# Writes benchmarks/results/generate_keyframes/ (results.json, results.md with the command on top, plots).
# Usage: bash benchmarks/generate_keyframes.sh [extra vidiff bench options, e.g. --quiet --max-frames 60]
set -euo pipefail
cd "$(dirname "$0")/.."
VIDIFF="${VIDIFF:-}"
if [ -z "$VIDIFF" ]; then
  if [ -x .venv/bin/vidiff ]; then VIDIFF=.venv/bin/vidiff; else VIDIFF=vidiff; fi
fi
bash benchmarks/setup_peers.sh
exec "$VIDIFF" bench \
  --input bikes carphone_pristine \
  --factor 3 \
  --methods dis,rife,diffusion \
  --out benchmarks/results/generate_keyframes "$@"
