#!/usr/bin/env python
"""The I/O threads of `vidiff upscale` beside a caller busy in Python, as a GPU model step is (it spends as
much CPU time launching kernels as the GPU spends running them: benchmarks/results/gpu/profile_1280x720.txt):
milliseconds per output frame with the switch interval vidiff sets while its threads run
(`vidiff.io.overlap.SWITCH_INTERVAL`) and with Python's default (5 ms, before), runs in the order A B B A.

Each source frame (bigbuckbunny at --size, its first 60 then backwards, --frames in all) is read through
`ResumableWriter.overlap`, then the caller spins in Python for --busy ms (the model step's share of one
made frame) and writes it twice (x2), into segments of 24 joined as they finish (x264 --preset). `alone`:
the same with no spinning, the I/O's own time. Writes results.json/results.md into --out.

Usage: python benchmarks/gil_handoffs.py [--size 640x360] [--frames 120] [--busy 6] [--preset medium]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gpu_check import forth_and_back, load_frames  # noqa: E402
from report import command_line, write_report  # noqa: E402

from vidiff.io import overlap  # noqa: E402
from vidiff.io.samples import sample_clip  # noqa: E402
from vidiff.io.segments import ResumableWriter  # noqa: E402


def spin(ms: float) -> None:
    end = time.perf_counter() + ms / 1000
    x = 0
    while time.perf_counter() < end:
        for i in range(200):
            x += i


def one(frames, size, busy: float, preset: str, out: Path) -> float:
    w, h = size
    wr = ResumableWriter(out, w, h, Fraction(25), key={}, segment_frames=24, preset=preset)
    t0 = time.perf_counter()
    with wr:
        for f in wr.overlap(iter(frames), handoffs=True):
            spin(busy)
            wr.write(f)
            wr.write(f)
    return (time.perf_counter() - t0) / (2 * len(frames)) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--busy", type=float, default=6.0, help="ms of Python per source frame")
    ap.add_argument("--preset", default="medium")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out", default="benchmarks/results/gil_handoffs")
    a = ap.parse_args()
    size = tuple(map(int, a.size.split("x")))
    frames = forth_and_back(load_frames(str(sample_clip("bigbuckbunny")), 60, size), a.frames)
    shipped = overlap.SWITCH_INTERVAL
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "tmp.mp4"
    ms: dict[str, list[float]] = {"shipped": [], "python_default": [], "alone": []}
    one(frames[:24], size, a.busy, a.preset, tmp)  # untimed
    for _ in range(a.rounds):
        for v in ("shipped", "python_default", "python_default", "shipped"):
            overlap.SWITCH_INTERVAL = shipped if v == "shipped" else 0.005
            ms[v].append(one(frames, size, a.busy, a.preset, tmp))
        overlap.SWITCH_INTERVAL = shipped
        ms["alone"].append(one(frames, size, 0.0, a.preset, tmp))
    tmp.unlink()
    mean = {k: statistics.mean(v) for k, v in ms.items()}
    ratio = mean["python_default"] / mean["shipped"]
    cmd = command_line("gil_handoffs.py", None)
    lines = [
        "# I/O threads beside a caller busy in Python: the switch interval",
        "",
        f"Command: `{cmd}` ({os.cpu_count()} cores); {a.size}, {a.frames} source frames x2, x264 "
        f"{a.preset}, the caller spinning {a.busy} ms a source frame ({a.busy / 2} ms an output frame).",
        "",
        "| switch interval | ms per output frame (runs) | mean |",
        "| --- | --- | --- |",
        *[f"| {k} | {', '.join(f'{t:.2f}' for t in v)} | {mean[k]:.2f} |" for k, v in ms.items()],
        "",
        f"Python's default over vidiff's: {ratio:.2f}×",
    ]
    rows = [{"switch_interval": k, "ms_per_output_frame": v, "mean": mean[k]} for k, v in ms.items()]
    write_report(out, cmd, rows, lines, machine=f"{os.cpu_count()} cores", busy_ms_per_source_frame=a.busy,
                 python_default_over_shipped=ratio)  # fmt: skip


if __name__ == "__main__":
    main()
