#!/usr/bin/env python
"""Peak memory of `vidiff generate --clip X --extend E` against the clip's length (issue 33 item 7: 24 s
held 7.25 GB, every output frame in memory). The first 2 s and the whole 10 s of bikes (640x272, 25 fps)
are extended by `--extend` seconds into a 1080x1080 30 fps clip, by this checkout's vidiff and by the
one at `--before` (a commit, unpacked with `git archive`); each run is a child process, its peak RSS read
from `wait4`.

Usage: python benchmarks/generate_memory.py [--before 5f9c7a0] [--extend 0.8]
       [--out benchmarks/results/generate_memory]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import av

from vidiff.io.reader import read_frames
from vidiff.io.samples import sample_clip

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import command_line, write_report  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VIDIFF = [sys.executable, "-m", "vidiff"]


def _cut(frames: int, path: Path) -> Path:
    """The first `frames` frames of bikes, near-lossless H.264 at its 25 fps."""
    images = read_frames(sample_clip("bikes"), frames)
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = images[0].shape[1], images[0].shape[0], "yuv420p"
        s.codec_context.options = {"crf": "0", "preset": "ultrafast"}
        for im in images:
            c.mux(s.encode(av.VideoFrame.from_ndarray(im, format="rgb24")))
        c.mux(s.encode(None))
    return path


def _checkout(commit: str, into: Path) -> Path:
    """The `vidiff` package of `commit`, unpacked into `into`."""
    data = subprocess.run(
        ["git", "archive", commit, "vidiff"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(data)) as t:
        t.extractall(into, filter="data")
    return into


def _run(code: Path, clip: Path, out: Path, extend: float) -> tuple[float, float, int]:
    """(peak RSS in MiB, seconds, exit code) of one `vidiff generate` in a child process."""
    args = ["generate", "--clip", str(clip), "-o", str(out), "--extend", str(extend), "--aspect", "1:1"]
    env = {**os.environ, "PYTHONPATH": str(code)}
    t0 = time.perf_counter()
    # run from the output's folder: `python -m` puts the working folder first on sys.path
    proc = subprocess.Popen([*VIDIFF, *args, "--preset", "ultrafast", "--quiet"], env=env, cwd=out.parent)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, time.perf_counter() - t0, proc.returncode


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default="5f9c7a0", help="the commit to compare with (the code before)")
    ap.add_argument("--extend", type=float, default=0.8, help="seconds past the end (0.8 s = 20 frames)")
    ap.add_argument("--out", default="benchmarks/results/generate_memory")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        codes = {
            f"before ({args.before})": _checkout(args.before, d / "before"),
            "after (this checkout)": ROOT,
        }
        for n in (50, 250):
            clip = _cut(n, d / f"bikes_{n}.mp4")
            for label, code in codes.items():
                rss, secs, rc = _run(code, clip, d / "out.mp4", args.extend)
                assert rc == 0, f"{label} failed on {clip}"
                rows.append({"code": label, "clip_frames": n, "peak_rss_mib": round(rss), "seconds": round(secs, 1),
                             "exit": rc})  # fmt: skip
                print(rows[-1], flush=True)
    lines = [
        "# Peak memory of generate --clip --extend against the clip's length",
        "",
        f"Command: `{command_line('generate_memory.py', argv)}`",
        "",
        f"bikes (640x272, 25 fps) cut to its first 2 s / 10 s, extended {args.extend:g} s, written at 1080x1080 "
        "30 fps (x264 ultrafast); peak RSS of the `vidiff generate` process (`wait4`).",
        "",
        "| code | clip | peak RSS (MiB) | seconds | exit |",
        "| --- | --- | --- | --- | --- |",
        *(
            f"| {r['code']} | {r['clip_frames'] / 25:g} s | {r['peak_rss_mib']} | {r['seconds']} | {r['exit']} |"
            for r in rows
        ),
    ]
    write_report(args.out, command_line("generate_memory.py", argv), rows, lines)


if __name__ == "__main__":
    main()
