#!/usr/bin/env python
"""The minterpolate peer through PyAV's libavfilter against the `ffmpeg` program: the same frames?

`vidiff bench`'s minterpolate peer runs FFmpeg's filter in-process through PyAV (no ffmpeg program to
install). Before, it ran the `ffmpeg` program on raw files. This script runs both on the same kept frames
(held-out protocol, BENCHMARK.md's filter string) and counts the output frames that are bit-identical.
The program side needs `ffmpeg` on PATH (Debian: apt-get install ffmpeg); without it only PyAV's side
runs. Times are wall seconds of each filter run, the program's including its start.

    python benchmarks/minterpolate_pyav.py --clips carphone_pristine bikes --factors 2 4 5/2 --frames 120
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from fractions import Fraction

import numpy as np
from report import command_line, write_report

from vidiff.io.probe import probe
from vidiff.metrics.bench import _frames, is_kept, resolve_clip
from vidiff.metrics.peers import MINTERPOLATE, PlanarFrames, _to_planes, ffmpeg_version, run_minterpolate


def program_run(kept: list[np.ndarray], fps: Fraction, step: Fraction, w: int, h: int) -> tuple[list, float]:
    """The `ffmpeg` program on raw yuv444p files, as vidiff ran it before: (frames, seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "kept.yuv"), os.path.join(tmp, "out.yuv")
        with open(src, "wb") as f:
            for img in [*kept, kept[-1]]:  # the last kept frame once more, one step later
                f.write(_to_planes(img).tobytes())
        rate = f"{fps.numerator}/{fps.denominator}"
        pts = f"floor(N*{step.numerator}/{step.denominator})"
        cmd = [
            "ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv444p",
            "-s", f"{w}x{h}", "-framerate", rate, "-i", src, "-vf", f"setpts={pts},{MINTERPOLATE.format(fps=rate)}",
            "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "yuv444p", dst,
        ]  # fmt: skip
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        seconds = time.perf_counter() - t0
        out = PlanarFrames(dst, w, h)
        return [out[i] for i in range(len(out))], seconds


def compare(clip: str, step: Fraction, n: int, program: bool) -> dict:
    """One clip x factor: PyAV's run, and the program's where there is one."""
    path = str(resolve_clip(clip))
    info = probe(path)
    kept = [im for i, im in enumerate(_frames(path, n)) if is_kept(i, step)]
    run = run_minterpolate(iter(kept), info.fps, step, info.width, info.height)
    ours = [run.frames[i] for i in range(len(run.frames))]
    row = {
        "clip": clip,
        "factor": str(step),
        "kept": len(kept),
        "pyav_frames": len(ours),
        "pyav_s": run.seconds,
    }
    run.close()
    if program:
        theirs, seconds = program_run(kept, info.fps, step, info.width, info.height)
        same = sum(np.array_equal(a, b) for a, b in zip(ours, theirs, strict=False))
        row.update(program_frames=len(theirs), identical=same, program_s=seconds)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", nargs="+", default=["carphone_pristine", "bikes"])
    ap.add_argument("--factors", nargs="+", default=["2", "4", "5/2"])
    ap.add_argument("--frames", type=int, default=120, help="first N frames of each clip")
    ap.add_argument("--out", default="benchmarks/results/minterpolate_pyav")
    args = ap.parse_args()
    program = shutil.which("ffmpeg") is not None
    version = None
    if program:
        version = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split(
            " Copyright"
        )[0]
    rows = [compare(c, Fraction(f), args.frames, program) for c in args.clips for f in args.factors]
    cmd = command_line("minterpolate_pyav.py", None)
    lines = [
        "# minterpolate: PyAV's libavfilter vs the ffmpeg program", "", f"Command: `{cmd}`", "",
        f"In-process: {ffmpeg_version()}; program: {version or 'not on PATH'}.", "",
        "Seconds: wall time of one run each on a shared 2-core machine, not a speed benchmark.", "",
        "| clip | x | kept frames | frames out (PyAV / program) | bit-identical | seconds (PyAV / program) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]  # fmt: skip
    for r in rows:
        prog = (r.get("program_frames", "-"), r.get("identical", "-"), r.get("program_s"))
        ps = f"{prog[2]:.2f}" if prog[2] is not None else "-"
        lines.append(
            f"| {r['clip']} | {r['factor']} | {r['kept']} | {r['pyav_frames']} / {prog[0]} | {prog[1]} | "
            f"{r['pyav_s']:.2f} / {ps} |"
        )
    write_report(args.out, cmd, rows, lines, pyav=ffmpeg_version(), program=version)


if __name__ == "__main__":
    main()
