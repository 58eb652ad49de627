#!/bin/bash
# Per-test wall and CPU seconds of the given tests at commit BASE and in this checkout, test by test in
# turn (base, then new), so both see the same load. Appends JSON lines to OUT (benchmarks/cpu_times_plugin.py).
# Usage: benchmarks/test_times.sh BASE OUT TEST...    e.g. benchmarks/test_times.sh main times.jsonl tests/test_train.py
set -eu
base_rev=$1 out=$(realpath -m "$2"); shift 2
here=$(git rev-parse --show-toplevel)
base=$(mktemp -d)
trap 'rm -rf "$base"' EXIT
git -C "$here" archive "$base_rev" | tar -x -C "$base"
py=${PYTHON:-python}
for t in "$@"; do
  for tag in base new; do
    root=$here; [ "$tag" = base ] && root=$base
    (cd "$root" && CPUPLUG_OUT=$out CPUPLUG_TAG=$tag PYTHONPATH="$root:$here/benchmarks" \
      "$py" -m pytest -p no:cacheprovider -p cpu_times_plugin "$t" | tail -1) || true
  done
done
