"""Tiny clips in the codecs, containers and pixel layouts users bring (made with PyAV): a flat colour with a
small moving patch, so a matrix or range mistake moves the mean colour and an off-by-one frame shows."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

BACKGROUND, PATCH = (200, 90, 50), (40, 180, 220)


def patch_frame(i: int, w: int, h: int) -> np.ndarray:
    """Frame `i`: BACKGROUND with a PATCH an eighth of the width wide, two pixels further right each frame."""
    im = np.empty((h, w, 3), np.uint8)
    im[:] = BACKGROUND
    x = (2 * i) % w
    im[h // 4 : h // 2, x : x + max(w // 8, 1)] = PATCH
    return im


def write_clip(
    path: Path,
    codec: str,
    pix_fmt: str = "yuv420p",
    size: tuple[int, int] = (64, 48),
    n: int = 8,
    fps: Fraction | int = 25,
    options: dict[str, str] | None = None,
    time_base: Fraction | None = None,
    container: str | None = None,
    sar: Fraction | None = None,
    matrix: list[int] | None = None,
    **codec_context: Any,
) -> Path:
    """`n` frames of `patch_frame` in `codec`/`pix_fmt` at `fps` into `path` (`container`: the muxer, where
    the suffix does not name it); `time_base`: the stream's; `sar`: non-square pixels; `matrix`: a display
    matrix (9 int32s: rotation, mirror)."""
    fps = Fraction(fps)
    with av.open(str(path), "w", format=container) as c:
        s = c.add_stream(codec, rate=fps, options=options or {})
        s.width, s.height, s.pix_fmt = *size, pix_fmt
        for key, value in codec_context.items():
            setattr(s.codec_context, key, value)
        if sar is not None:
            s.codec_context.sample_aspect_ratio = sar
        if matrix is not None:
            s.set_display_matrix(matrix)
        tb = time_base or 1 / fps
        if time_base is not None:
            s.time_base = time_base
        for i in range(n):
            f = av.VideoFrame.from_ndarray(patch_frame(i, *size), format="rgb24")
            f.pts, f.time_base = int(i / fps / tb), tb
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path


def decoded(path: Path) -> tuple[int, float, np.ndarray, Fraction | None]:
    """(frames, seconds from the first frame's start to the last one's end, mean RGB, SAR) of `path` as
    PyAV decodes it."""
    with av.open(str(path)) as c:
        vs = c.streams.video[0]
        frames = list(c.decode(vs))
        rate = vs.average_rate or vs.guessed_rate
        sar = vs.sample_aspect_ratio or vs.codec_context.sample_aspect_ratio
    means = [f.to_ndarray(format="rgb24").reshape(-1, 3).mean(axis=0) for f in frames]
    times = [float(f.time) for f in frames]
    seconds = times[-1] - times[0] + 1 / float(rate)
    return len(frames), seconds, np.mean(means, axis=0), sar
