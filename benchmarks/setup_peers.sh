#!/usr/bin/env bash
# The peers' prerequisites, where this machine allows: Debian's ffmpeg (the minterpolate peer) through
# apt-get when running as root or with password-less sudo, and RIFE v4's weights (benchmarks/fetch_rife.sh).
# What cannot be installed is reported here and later shown as "skipped" in the benchmark tables.
set -uo pipefail
cd "$(dirname "$0")/.."
if ! command -v ffmpeg >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
  echo "installing ffmpeg for the minterpolate peer (apt-get)" >&2
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq ffmpeg; } >/dev/null 2>&1 ||
    echo "could not install ffmpeg with apt-get" >&2
fi
command -v ffmpeg >/dev/null 2>&1 ||
  echo "ffmpeg not found: minterpolate will be reported as skipped (Debian: sudo apt-get install -y ffmpeg)" >&2
bash benchmarks/fetch_rife.sh || echo "RIFE weights unavailable: rife will be reported as skipped" >&2
exit 0
