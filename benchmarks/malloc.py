#!/usr/bin/env python
"""What keeping freed memory for reuse (vidiff/malloc.py) saves: seconds and page faults per frame.

Each method (built with vidiff.flow.get_interpolator, as every command builds it) makes the middle
frame of --pairs pairs of each clip's first frames, after one untimed pair, in a process of its own:
once as vidiff runs (glibc's thresholds fixed) and once with glibc's defaults. The two settings
alternate, --repeats times; the median is reported. Faults are the process's minor page faults
(getrusage) over the timed pairs. Writes results.json and results.md to --out.

Usage: .venv/bin/python benchmarks/malloc.py [--clips bikes bigbuckbunny] [--methods dis rife diffusion]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from report import command_line, write_report

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
import vidiff.malloc
if sys.argv[1] == "default":
    vidiff.malloc.keep_freed_memory = lambda: False  # before vidiff.flow binds the name
from vidiff.flow import get_interpolator
from vidiff.io.reader import read_frames
from vidiff.metrics.bench import resolve_clip
clip, method, pairs = sys.argv[2], sys.argv[3], int(sys.argv[4])
fr = read_frames(resolve_clip(clip), max_frames=2 * pairs + 3)
m = get_interpolator(method)
m.interpolate(fr[0], fr[2], [0.5])  # untimed: an engine's export or compile, first allocations
f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
t0 = time.perf_counter()
for i in range(pairs):
    m.interpolate(fr[2 * i], fr[2 * i + 2], [0.5])
dt = time.perf_counter() - t0
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0
h, w = fr[0].shape[:2]
print(json.dumps({"s_per_frame": dt / pairs, "faults_per_frame": faults / pairs, "size": f"{w}x{h}"}))
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clips", nargs="+", default=["bikes", "bigbuckbunny"], help="dev clip names or files")
    p.add_argument("--methods", nargs="+", default=["dis", "rife", "diffusion"], help="vidiff methods")
    p.add_argument("--pairs", type=int, default=6, help="timed pairs per process (default 6)")
    p.add_argument("--repeats", type=int, default=3, help="processes per setting (default 3)")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "malloc"), help="output folder")
    args = p.parse_args(argv)

    rows = []
    for clip in args.clips:
        for method in args.methods:
            runs: dict[str, list[dict]] = {"kept": [], "default": []}
            for _ in range(args.repeats):
                for setting in runs:  # alternating, so drift in the machine's load hits both
                    out = subprocess.run(
                        [sys.executable, "-c", CHILD, setting, clip, method, str(args.pairs)],
                        capture_output=True,
                        text=True,
                        check=True,
                        env={**os.environ, "PYTHONPATH": str(ROOT)},
                    )
                    runs[setting].append(json.loads(out.stdout.strip().splitlines()[-1]))
            row = {"clip": clip, "method": method, "size": runs["kept"][0]["size"]}
            for setting, rs in runs.items():
                row[f"{setting}_s"] = round(statistics.median(r["s_per_frame"] for r in rs), 4)
                row[f"{setting}_faults"] = round(statistics.median(r["faults_per_frame"] for r in rs))
            row["time_ratio"] = round(row["kept_s"] / row["default_s"], 3)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    cmd = command_line("malloc.py", argv)
    when = datetime.now(timezone.utc).isoformat(timespec="seconds")
    lines = [
        "# Freed memory kept for reuse (vidiff/malloc.py) against glibc's defaults",
        "",
        f"Command: `{cmd}`",
        "",
        f"Run: {when} on {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"{args.pairs} timed pairs per process after one untimed, median of {args.repeats} processes per "
        "setting, the settings alternating. Faults: minor page faults per frame (getrusage).",
        "",
        "| clip | size | method | s/frame kept | s/frame glibc default | ratio | faults/frame kept | "
        "faults/frame default |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {r['clip']} | {r['size']} | {r['method']} | {r['kept_s']:.4f} | {r['default_s']:.4f} | "
        f"{r['time_ratio']:.3f} | {r['kept_faults']} | {r['default_faults']} |"
        for r in rows
    ]
    write_report(args.out, cmd, rows, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
