#!/usr/bin/env python
"""What auto makes of hard-telecined film and of interlaced video flagged progressive, panning slowly:
idet's judgement over the scan (`vidiff.io.field_scan`) and how the clip is read (`deinterlace.resolve`).

Each speed (pixels a film frame) makes two clips from bigbuckbunny's first frame at 720x480, coded
progressive by x264 (crf --crf, 29.97 fps, --frames stored frames): `film`, 24 fps film pulled down
2:3 into woven fields (AA BB BC CD DD), and `video`, fields shot a field apart at the same speed (0.4
of it a field), woven: an interlaced capture. Film should be read as film (its frames once each at
23.976), video a frame per field (`field`); neither as the other. A fractional step is the picture
resampled linearly between whole pixels.

Usage: python benchmarks/film_pans.py --crf 18 --out benchmarks/results/film_pans
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
from field_scans import SIZE, _encode
from report import command_line, write_report

from vidiff.io import field_scan
from vidiff.io.deinterlace import resolve
from vidiff.io.reader import read_frames
from vidiff.io.samples import sample_clip

SPEEDS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0)


def panned(still: np.ndarray, x: float) -> np.ndarray:
    """`still`'s 720x480 window `x` pixels right (linear between whole pixels)."""
    x0, f = int(x), x - int(x)
    rows = still[100 : 100 + SIZE[1]].astype(np.float32)
    a, b = rows[:, x0 : x0 + SIZE[0]], rows[:, x0 + 1 : x0 + 1 + SIZE[0]]
    return np.ascontiguousarray(((1 - f) * a + f * b).round().astype(np.uint8))


def woven(top: list[np.ndarray], bottom: list[np.ndarray]) -> list[np.ndarray]:
    out = []
    for t, b in zip(top, bottom, strict=True):
        im = t.copy()
        im[1::2] = b[1::2]
        out.append(im)
    return out


def clips(where: Path, step: float, n: int, crf: int) -> dict[str, Path]:
    still = read_frames(str(sample_clip("bigbuckbunny")))[0]
    fields: list[np.ndarray] = []
    for j in range(n):
        fields += [panned(still, step * j)] * (2 if j % 2 == 0 else 3)
    film = woven(fields[0 : 2 * n : 2], fields[1 : 2 * n : 2])
    at = [panned(still, 0.4 * step * k) for k in range(2 * n)]
    video = woven(at[0::2], at[1::2])
    rate = Fraction(30000, 1001)
    return {
        kind: _encode(where / f"{kind}_{step}.mp4", pictures, rate, crf)
        for kind, pictures in (("film", film), ("video", video))
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--crf", type=int, default=18)
    ap.add_argument("--frames", type=int, default=100, help="stored frames of each clip")
    ap.add_argument("--out", default="benchmarks/results/film_pans")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for step in SPEEDS:
            for kind, path in clips(Path(tmp), step, args.frames, args.crf).items():
                found = field_scan.scan(str(path))
                rows.append(
                    {"px": step, "clip": kind, "read": resolve("auto", False, str(path)), **vars(found)}
                )
                print(rows[-1], file=sys.stderr)
    cmd = command_line("film_pans.py", argv)
    want = {"film": "film", "video": "field"}
    lines = [
        f"`{cmd}`",
        "",
        "| px / film frame | clip | idet tff/bff/progressive/undetermined | repeated (on the 2:3 cadence) | "
        "auto reads it | right |",
        "| --- | --- | --- | --- | --- | --- |",
        *(
            f"| {r['px']} | {r['clip']} | {r['tff']}/{r['bff']}/{r['progressive']}/{r['undetermined']} | "
            f"{r['repeated']} ({r.get('cadence', '-')}) | {r['read']} | {'yes' if r['read'] == want[r['clip']] else 'no'} |"
            for r in rows
        ),
    ]
    write_report(args.out, cmd, rows, lines, crf=args.crf, frames=args.frames)
    return 0


if __name__ == "__main__":
    sys.exit(main())
