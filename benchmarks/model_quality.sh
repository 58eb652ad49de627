#!/usr/bin/env bash
# The shipped model (the learned fusion, `--method auto`) against every peer and the fixed fusion on the evaluation clips it never trained on (bikes,
# carphone_pristine), x2 and x4, held-out-frame protocol, same invocation (so s/frame ratios compare):
# writes benchmarks/results/model/ (results.json, results.md with the command on top, plots).
# RIFE's weights are fetched first where possible (benchmarks/setup_peers.sh). About 30 minutes on 2 CPUs.
# Then the speed check at 1280x720: DIS, RIFE, fuse and the model, x2 on the first 25 frames of bigbuckbunny
# (12 rebuilt frames; benchmarks/results/model_720). EXTRA_METHODS=diffusion@DIR,... adds methods (a
# candidate model) to both runs, in the same invocation as the shipped one. Both runs score the quality
# tiers too (`--quality max`: fast is the dis row, balanced the diffusion row), about 5 minutes more.
set -euo pipefail
cd "$(dirname "$0")/.."
VIDIFF="${VIDIFF:-}"
if [ -z "$VIDIFF" ]; then
  if [ -x .venv/bin/vidiff ]; then VIDIFF=.venv/bin/vidiff; else VIDIFF=vidiff; fi
fi
bash benchmarks/setup_peers.sh
"$VIDIFF" bench \
  --input bikes carphone_pristine \
  --factor 2 4 \
  --methods "dup,blend,dis,minterpolate,rife,fuse,diffusion${EXTRA_METHODS:+,$EXTRA_METHODS}" \
  --quality max \
  --out benchmarks/results/model "$@"
# speed at 1280x720 (bigbuckbunny is a training clip: its PSNR here is not an evaluation figure)
exec "$VIDIFF" bench \
  --input bigbuckbunny \
  --factor 2 \
  --methods "dis,rife,fuse,diffusion${EXTRA_METHODS:+,$EXTRA_METHODS}" \
  --max-frames 25 \
  --quality max \
  --out benchmarks/results/model_720 "$@"
