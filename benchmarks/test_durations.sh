#!/usr/bin/env bash
# Per-test seconds of the listed tests at two commits, run back to back on this machine (so under about the
# same load): pytest --durations=0 at BEFORE (a copy made with git archive), then at the worktree's files.
# usage: benchmarks/test_durations.sh BEFORE_REV TESTS_FILE OUT_DIR   (run from the repository root)
# writes OUT_DIR/before.log, OUT_DIR/after.log and OUT_DIR/table.txt (test, phase, before s, after s)
set -euo pipefail
rev=$1 tests=$2 out=$3
py=${PYTHON:-python}
root=$(pwd)
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
mkdir -p "$out"
git archive "$rev" | tar -x -C "$copy"
(cd "$copy" && PYTHONPATH="$copy" "$py" -m pytest -p no:cacheprovider $(cat "$root/$tests") --durations=0) \
  >"$out/before.log" 2>&1 || true
(PYTHONPATH="$root" "$py" -m pytest -p no:cacheprovider $(cat "$tests") --durations=0) >"$out/after.log" 2>&1 || true
for f in before after; do
  grep -E '^[0-9.]+s (call|setup) ' "$out/$f.log" | awk '{print $3"|"$2, $1}' | sort >"$copy/$f.dur"
done
join -j1 "$copy/before.dur" "$copy/after.dur" | awk '{printf "%-100s %9s %9s\n", $1, $2, $3}' >"$out/table.txt"
