#!/usr/bin/env python
"""The streaming join handed each segment's frames as they are written (shipped: `StreamJoin.take`/`offer`)
against the same join decoding every lossless part back (before it): CPU and wall milliseconds per output
frame of the write path alone (frames in, segments and the output's encode out, no model), runs in the
order A B B A, same bytes checked.

The frames: bigbuckbunny's first 60 played forth and back to --frames, at --size, in segments of 24. CPU
time is this process's (every thread's), the figure a GPU run is short of (benchmarks/results/gpu: the
part decode was 2.6 ms of wall over 5.3 cores a frame at 1280x720 on the H200's machine).

Usage: python benchmarks/tee_join.py [--size 1280x720] [--frames 120] [--preset medium] [--rounds 2]
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
from gpu_check import forth_and_back, load_frames  # noqa: E402
from report import command_line, write_report  # noqa: E402

from vidiff.io.samples import sample_clip  # noqa: E402
from vidiff.io.segments import ResumableWriter, StreamJoin  # noqa: E402

VARIANTS = ("tee", "decode")


def write(frames: list, out: Path, preset: str, tee: bool) -> tuple[float, float, int]:
    """Wall and CPU seconds of writing `frames` through the serial path's threads; segments teed."""
    h, w = frames[0].shape[:2]
    take = StreamJoin.take
    if not tee:
        StreamJoin.take = lambda self, k: False
    try:
        t, c = time.perf_counter(), time.process_time()
        with ResumableWriter(out, w, h, Fraction(25), key={}, segment_frames=24, preset=preset) as wr:
            for im in wr.overlap(frames):
                wr.write(im)
            joiner = wr._joiner
        return time.perf_counter() - t, time.process_time() - c, joiner.teed
    finally:
        StreamJoin.take = take


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--preset", default="medium")
    ap.add_argument("--rounds", type=int, default=2, help="A B B A rounds")
    ap.add_argument("--out", default="benchmarks/results/tee_join/medium")
    a = ap.parse_args()
    w, h = map(int, a.size.split("x"))
    frames = forth_and_back(load_frames(str(sample_clip("bigbuckbunny")), 60, (w, h)), a.frames)
    ms: dict[str, dict[str, list[float]]] = {v: {"wall": [], "cpu": []} for v in VARIANTS}
    teed: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        write(frames, Path(tmp) / "warm.mp4", a.preset, True)
        for _ in range(a.rounds):
            for v in (*VARIANTS, *VARIANTS[::-1]):
                wall, cpu, teed[v] = write(frames, Path(tmp) / f"{v}.mp4", a.preset, v == "tee")
                ms[v]["wall"].append(wall / len(frames) * 1000)
                ms[v]["cpu"].append(cpu / len(frames) * 1000)
        same = (Path(tmp) / "tee.mp4").read_bytes() == (Path(tmp) / "decode.mp4").read_bytes()
    mean = {v: {k: statistics.mean(x) for k, x in m.items()} for v, m in ms.items()}
    ratio = {k: mean["tee"][k] / mean["decode"][k] for k in ("wall", "cpu")}
    cmd = command_line("tee_join.py", None)
    lines = [
        "# The streaming join: frames handed over as written vs parts decoded back",
        "",
        f"Command: `{cmd}` ({os.cpu_count()} cores); {a.size}, {a.frames} frames, x264 {a.preset}.",
        "",
        "| variant | segments teed | CPU ms/frame (A B B A) | mean | wall ms/frame | mean |",
        "| --- | --- | --- | --- | --- | --- |",
        *[
            f"| {v} | {teed[v]} | {', '.join(f'{x:.1f}' for x in ms[v]['cpu'])} | {mean[v]['cpu']:.1f} "
            f"| {', '.join(f'{x:.1f}' for x in ms[v]['wall'])} | {mean[v]['wall']:.1f} |"
            for v in VARIANTS
        ],
        "",
        f"tee / decode: CPU {ratio['cpu']:.3f}, wall {ratio['wall']:.3f}; same bytes: {same}",
    ]
    rows = [{"variant": v, "teed": teed[v], **ms[v]} for v in VARIANTS]
    write_report(a.out, cmd, rows, lines, machine=f"{os.cpu_count()} cores", size=a.size, frames=a.frames,
                 preset=a.preset, tee_over_decode=ratio, same_bytes=same)  # fmt: skip


if __name__ == "__main__":
    main()
