#!/usr/bin/env python
"""A GIF frame's palette made from the whole frame or from a small copy of it: time and fidelity.

`vidiff.io.gif_out` gives every frame its own palette (FFmpeg's palettegen, `stats_mode=single`) and maps
the frame onto it (paletteuse, error diffusion). palettegen's histogram over a 1080x1080 frame took about
as long as the mapping. Made from a copy of at most `PALETTE_PIXELS` pixels (area-averaged), the palette
should hold the same colours. This runs both graphs on the same frames, alternating which goes first, and
reports seconds per frame and the PSNR of the GIF's frame against the RGB frame (dithered, so lower than
a video's; what matters is the difference between the two).

    python benchmarks/gif_palette.py --size 1080 --frames 6
"""

from __future__ import annotations

import argparse
import time
from fractions import Fraction

import av
import cv2
import numpy as np
from report import command_line, write_report

from vidiff.io import gif_out
from vidiff.io.reader import read_frames
from vidiff.io.samples import sample_clip
from vidiff.metrics.quality import psnr


def contents(size: int, n: int) -> dict[str, list[np.ndarray]]:
    """Real frames (bigbuckbunny, bikes, carphone at their own size and at `size`²) and a gradient."""
    out = {}
    for clip in ("bigbuckbunny", "bikes", "carphone_pristine"):
        frames = read_frames(sample_clip(clip), 10 * n)[::10]
        out[f"{clip} {frames[0].shape[1]}x{frames[0].shape[0]}"] = frames
        out[f"{clip} {size}x{size}"] = [
            cv2.resize(f, (size, size), interpolation=cv2.INTER_CUBIC) for f in frames
        ]
    ramp = np.linspace(0, 255, size, dtype=np.float32)
    grad = np.stack(
        [np.tile(ramp, (size, 1)), np.tile(ramp[:, None], (1, size)), np.full((size, size), 96.0)], -1
    )
    out[f"gradient {size}x{size}"] = [np.roll(grad, 8 * k, axis=1).astype(np.uint8) for k in range(n)]
    return out


def run(frames: list[np.ndarray], pixels: int | None) -> tuple[float, float]:
    """(seconds per frame, mean PSNR in dB) of one palette graph over `frames`."""
    h, w = frames[0].shape[:2]
    old = gif_out.PALETTE_PIXELS
    gif_out.PALETTE_PIXELS = pixels if pixels is not None else w * h
    try:
        graph = gif_out._palette_graph(w, h)
    finally:
        gif_out.PALETTE_PIXELS = old
    out, t0 = [], time.perf_counter()
    for k, img in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts, frame.time_base = k, Fraction(1, 100)
        graph.push(frame)
        while True:
            try:
                out.append(graph.pull().to_ndarray(format="rgb24"))
            except (av.BlockingIOError, av.EOFError):
                break
    seconds = (time.perf_counter() - t0) / len(frames)
    return seconds, float(np.mean([psnr(a, b) for a, b in zip(out, frames, strict=True)]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1080, help="side of the square upscaled frames")
    ap.add_argument("--frames", type=int, default=6, help="frames of each content")
    ap.add_argument("--out", default="benchmarks/results/gif_palette")
    args = ap.parse_args()
    rows = []
    for i, (name, frames) in enumerate(contents(args.size, args.frames).items()):
        order = ("whole", "small") if i % 2 == 0 else ("small", "whole")  # who goes first alternates
        got = {v: run(frames, None if v == "whole" else gif_out.PALETTE_PIXELS) for v in order}
        (tw, pw), (ts, ps) = got["whole"], got["small"]
        rows.append({"content": name, "whole_s": tw, "small_s": ts, "speedup": tw / ts, "whole_db": pw,
                     "small_db": ps, "first": order[0]})  # fmt: skip
    cmd = command_line("gif_palette.py", None)
    lines = [
        "# GIF palettes from the whole frame or a small copy", "", f"Command: `{cmd}`", "",
        f"Small copy: at most {gif_out.PALETTE_PIXELS} pixels (area-averaged); dither {gif_out.DITHER}. "
        "Seconds per frame of palettegen + paletteuse, both graphs in one run on a shared 2-core machine "
        "(which goes first alternates); PSNR of the GIF frame against the RGB frame.", "",
        "| content | s/frame whole | s/frame small copy | speed-up | dB whole | dB small copy |",
        "| --- | --- | --- | --- | --- | --- |",
    ]  # fmt: skip
    for r in rows:
        lines.append(
            f"| {r['content']} | {r['whole_s']:.3f} | {r['small_s']:.3f} | {r['speedup']:.2f}x | "
            f"{r['whole_db']:.2f} | {r['small_db']:.2f} |"
        )
    write_report(args.out, cmd, rows, lines, palette_pixels=gif_out.PALETTE_PIXELS, dither=gif_out.DITHER)


if __name__ == "__main__":
    main()
