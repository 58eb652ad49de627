#!/usr/bin/env python
"""`vidiff generate --image STILL -o loop.gif --aspect 1:1 --loop --seconds 3` (README's example) with the
GIF at the video preset's 1080 pixels a side and at `GIF_SHORT_SIDE`: file size and wall time.

The stills are real frames: bigbuckbunny's last frame (131) and bikes' frame 9, saved as JPEG (quality 92).

    python benchmarks/gif_generate.py
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import cv2
from report import command_line, write_report

from vidiff.generate import social
from vidiff.generate.clip import make_clip
from vidiff.io.reader import read_frames
from vidiff.io.samples import sample_clip

STILLS = {"bigbuckbunny": 131, "bikes": 9}


def still(tmp: str, clip: str, index: int) -> str:
    """A frame of a sample clip as a JPEG."""
    path = os.path.join(tmp, f"{clip}.jpg")
    frame = read_frames(sample_clip(clip), index + 1)[index]
    cv2.imwrite(path, cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    return path


def one(image: str, side: int, out: str) -> tuple[float, float, tuple[int, int]]:
    """(MB, seconds, size) of the README's looping GIF with `side` on the GIF's short side."""
    old, social.GIF_SHORT_SIDE = social.GIF_SHORT_SIDE, side
    try:
        t0 = time.perf_counter()
        report = make_clip(image=image, output=out, aspect="1:1", loop=True, seconds=3, progress=False)
        seconds = time.perf_counter() - t0
    finally:
        social.GIF_SHORT_SIDE = old
    return os.path.getsize(out) / 1e6, seconds, tuple(report["size"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="benchmarks/results/gif_generate")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (clip, index) in enumerate(STILLS.items()):
            image = still(tmp, clip, index)
            sides = (1080, social.GIF_SHORT_SIDE) if i % 2 == 0 else (social.GIF_SHORT_SIDE, 1080)
            for side in sides:  # which goes first alternates
                mb, seconds, size = one(image, side, os.path.join(tmp, f"{clip}_{side}.gif"))
                rows.append({"still": clip, "side": side, "size": size, "mb": mb, "seconds": seconds})
    cmd = command_line("gif_generate.py", None)
    lines = [
        "# generate's GIF: the video preset's size or 480p", "", f"Command: `{cmd}`", "",
        "`make_clip(image=STILL, output='loop.gif', aspect='1:1', loop=True, seconds=3)` at 30 fps (90 frames); "
        "wall seconds on a shared 2-core machine.", "",
        "| still | GIF size | MB | seconds |", "| --- | --- | --- | --- |",
    ]  # fmt: skip
    lines += [
        f"| {r['still']} | {r['size'][0]}x{r['size'][1]} | {r['mb']:.1f} | {r['seconds']:.0f} |" for r in rows
    ]
    write_report(args.out, cmd, rows, lines, gif_short_side=social.GIF_SHORT_SIDE)


if __name__ == "__main__":
    main()
