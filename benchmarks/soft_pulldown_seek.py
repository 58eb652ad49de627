#!/usr/bin/env python
"""How soon a `--workers` job has its first frame of soft-telecined film (MPEG-2 in MPEG-PS, a DVD's
23.976 fps film shown as 29.97i by repeat_first_field), sought as the reader times it or not.

A job asks `vidiff.runner.seek.frames_at` for 3 frames at two thirds of the clip (from a frame 4k + 1:
every fourth film frame's stamp lies on the 29.97 grid too, and was found there). "nominal" times what
it decoded at the stream's stated 29.97 fps (`pulled` False: as every job did before): no stamp matched
a planned film time and the job decoded the clip from its start. "film" times it on the film's grid
(`pulled` True, the probe's rate: what a job is given now). Each try: the time to the first frame and
to all three, medians of --reps, the two alternating; whether the job fell back to decoding from the
start is counted.

The clip: bigbuckbunny's first frame panned 4 pixels a film frame at 720x480, --film frames, coded
by FFmpeg's MPEG-2 encoder (a key frame every 12) with its headers edited to soft pulldown
(`tests/test_unflagged_fields.soft_telecined`: no encoder here writes the flags).

Usage: python benchmarks/soft_pulldown_seek.py --film 720 --reps 5 --out benchmarks/results/soft_pulldown_seek
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from report import command_line, write_report

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_unflagged_fields import soft_telecined  # noqa: E402  (the test's maker of such a stream)

from vidiff.io.probe import probe  # noqa: E402
from vidiff.io.reader import VideoReader, read_frames  # noqa: E402
from vidiff.io.samples import sample_clip  # noqa: E402
from vidiff.runner import seek  # noqa: E402

SIZE = (720, 480)
STEP = 4  # pixels the picture pans a film frame


def made(where: Path, n_film: int) -> Path:
    still = read_frames(str(sample_clip("bigbuckbunny")))[0]
    wide = np.concatenate([still[100 : 100 + SIZE[1]]] * (1 + STEP * n_film // still.shape[1] + 1), 1)
    return soft_telecined(
        where / "dvd.mpg", n_film, lambda j: np.ascontiguousarray(wide[:, STEP * j : STEP * j + SIZE[0]])
    )


def job(path: str, want: dict, rate, pulled: bool) -> tuple[float, float, bool]:
    """Seconds to the first frame and to all of `want`, and whether the job decoded from the start."""
    fell = []
    start_pass = seek._from_start

    def from_start(*a):
        fell.append(True)
        yield from start_pass(*a)

    seek._from_start = from_start
    try:
        t = time.perf_counter()
        frames = seek.frames_at(path, want, rate, pulled)
        first = next(frames)
        t_first = time.perf_counter() - t
        got = [first[0], *(i for i, _ in frames)]
        t_all = time.perf_counter() - t
    finally:
        seek._from_start = start_pass
    assert got == list(want), got
    return t_first, t_all, bool(fell)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--film", type=int, default=720, help="film frames of the made clip")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--out", default="benchmarks/results/soft_pulldown_seek")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(made(Path(tmp), args.film))
        info = probe(path)
        assert info.soft_pulldown, "the made clip is not read as soft pulldown"
        ref = list(VideoReader(path))
        k = 2 * len(ref) // 3 // 4 * 4 + 1  # (one of 4k + 1: a 4k film frame's stamp lies on both grids)
        want = {i: (ref[i].time, seek.crc(ref[i].image)) for i in (k, k + 1, k + 2)}
        tries: dict[str, list[tuple[float, float, bool]]] = {"nominal": [], "film": []}
        for r in range(args.reps):
            for how in ("nominal", "film") if r % 2 == 0 else ("film", "nominal"):
                tries[how].append(job(path, want, info.fps, how == "film"))
    rows = [
        {
            "timed": how,
            "first_ms": 1000 * statistics.median(t[0] for t in got),
            "all_ms": 1000 * statistics.median(t[1] for t in got),
            "from_start": sum(t[2] for t in got),
            "tries": len(got),
        }
        for how, got in tries.items()
    ]
    ratio = rows[0]["first_ms"] / rows[1]["first_ms"]
    cmd = command_line("soft_pulldown_seek.py", argv)
    lines = [
        f"`{cmd}`",
        "",
        f"clip: {SIZE[0]}x{SIZE[1]} MPEG-2 soft pulldown, {len(ref)} film frames at {info.fps}; "
        f"a job's frames {k}-{k + 2}",
        "",
        "| timed at | first frame ms | three frames ms | decoded from the start |",
        "| --- | --- | --- | --- |",
        *(
            f"| {r['timed']} | {r['first_ms']:.0f} | {r['all_ms']:.0f} | {r['from_start']} of {r['tries']} |"
            for r in rows
        ),
        "",
        f"first frame {ratio:.1f}x sooner on the film's grid",
    ]
    write_report(args.out, cmd, rows, lines, reps=args.reps, film=args.film, first_ratio=ratio)
    return 0


if __name__ == "__main__":
    sys.exit(main())
