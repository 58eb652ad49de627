#!/usr/bin/env python
"""The join as the segments finish (shipped, `vidiff.io.segments.StreamJoin`) against the join after the
run (before it), seconds of a whole `vidiff upscale` x2 on this machine, runs in the order A B B A.

The clip: bigbuckbunny's frames played forth and back to --frames, resized to --size, written first (crf
18). One untimed run first. Writes results.json and results.md into --out.

Usage: python benchmarks/stream_join.py [--method diffusion] [--size 640x360] [--frames 96] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gpu_check import _classic_overlap, forth_and_back, load_frames  # noqa: E402
from report import command_line, write_report  # noqa: E402

from vidiff.io.samples import sample_clip  # noqa: E402
from vidiff.io.segments import ResumableWriter  # noqa: E402
from vidiff.io.writer import VideoWriter  # noqa: E402
from vidiff.runner.upscale import upscale_file  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--method", default="diffusion")
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--frames", type=int, default=96)
    ap.add_argument("--rounds", type=int, default=2, help="A B B A rounds")
    ap.add_argument("--out", default="benchmarks/results/stream_join")
    a = ap.parse_args()
    w, h = map(int, a.size.split("x"))
    frames = load_frames(str(sample_clip("bigbuckbunny")), 60, (w, h))
    shipped = ResumableWriter.overlap
    secs: dict[str, list[float]] = {"streaming": [], "join_after": []}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.mp4"
        with VideoWriter(src, w, h, Fraction(25)) as vw:
            vw.write_all(forth_and_back(frames, a.frames))

        def run(variant: str) -> dict:
            ResumableWriter.overlap = _classic_overlap if variant == "join_after" else shipped
            try:
                t0 = time.perf_counter()
                rep = upscale_file(
                    src, Path(tmp) / f"{variant}.mp4", factor=2, method=a.method, progress=False, workers=1
                )
                rep["wall"] = time.perf_counter() - t0
                return rep
            finally:
                ResumableWriter.overlap = shipped

        run("streaming")
        for _ in range(a.rounds):
            for v in ("streaming", "join_after", "join_after", "streaming"):
                secs[v].append(run(v)["seconds"])
        same = (Path(tmp) / "streaming.mp4").read_bytes() == (Path(tmp) / "join_after.mp4").read_bytes()
    mean = {v: statistics.mean(t) for v, t in secs.items()}
    ratio = mean["streaming"] / mean["join_after"]
    cmd = command_line("stream_join.py", None)
    lines = [
        "# The join as the segments finish vs after the run",
        "",
        f"Command: `{cmd}` ({os.cpu_count()} cores); {a.method}, {a.size}, {a.frames} frames x2.",
        "",
        "| variant | seconds (each run, A B B A order) | mean |",
        "| --- | --- | --- |",
        *[f"| {v} | {', '.join(f'{t:.2f}' for t in ts)} | {mean[v]:.2f} |" for v, ts in secs.items()],
        "",
        f"streaming / join after: {ratio:.3f}; same bytes: {same}",
    ]
    rows = [{"variant": v, "seconds": ts, "mean": mean[v]} for v, ts in secs.items()]
    write_report(a.out, cmd, rows, lines, machine=f"{os.cpu_count()} cores", method=a.method, size=a.size,
                 frames=a.frames, streaming_over_join_after=ratio, same_bytes=same)  # fmt: skip


if __name__ == "__main__":
    main()
