#!/usr/bin/env bash
# The GPU check (issues 14, 27), ONE command on the GPU machine, no network used:
#   bash benchmarks/gpu_check.sh            (device tool: carry [".gpu-carry"]; figures go to $OUT)
# Needs .gpu-carry/ made here first by benchmarks/gpu_prepare.sh. Installs the carried wheels with
# `pip --no-index --find-links --target` into a temporary folder, imports vidiff from this tree, points
# VIDIFF_CACHE at the carried RIFE weights and runs benchmarks/gpu_check.py (under 5 minutes; extra
# arguments go to it, e.g. --small --device cpu for the dry run).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-python3}"
CARRY="${CARRY:-.gpu-carry}"
[ -d "$CARRY/wheels" ] || { echo "no $CARRY/wheels: run benchmarks/gpu_prepare.sh first (where PyPI is reachable)" >&2; exit 2; }
SITE="$(mktemp -d /tmp/vidiff-site.XXXXXX)"
trap 'rm -rf "$SITE"' EXIT
"$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --disable-pip-version-check \
  --find-links "$CARRY/wheels" --target "$SITE" av diffusers omegaconf $(ls "$CARRY"/wheels | grep -q ^xformers- && echo xformers)
"$PY" -c "import lzma, os, sys; os.makedirs(sys.argv[2], exist_ok=True); open(os.path.join(sys.argv[2], 'flownet.pkl'), 'wb').write(lzma.decompress(open(sys.argv[1], 'rb').read()))" "$CARRY/cache/rife/flownet.pkl.xz" "$SITE/cache/rife"
export PYTHONPATH="$SITE:$PWD" VIDIFF_CACHE="$SITE/cache" PYTHONUNBUFFERED=1
exec timeout 295 "$PY" benchmarks/gpu_check.py --clip "$CARRY/bigbuckbunny.mp4" --out "${OUT:-benchmarks/results/gpu}" "$@"
