#!/usr/bin/env bash
# The peers' prerequisites, where this machine allows: RIFE v4's weights (benchmarks/fetch_rife.sh).
# minterpolate needs nothing: it runs in the FFmpeg that PyAV bundles (vidiff.metrics.peers).
# What cannot be set up is reported here and later shown as "skipped" in the benchmark tables.
set -uo pipefail
cd "$(dirname "$0")/.."
bash benchmarks/fetch_rife.sh || echo "RIFE weights unavailable: rife will be reported as skipped" >&2
exit 0
