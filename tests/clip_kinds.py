"""Tiny clips of the kinds random access must get right, made with PyAV: h264 with B-frames and short
GOPs (decode order differs from presentation order), variable frame rate, and intra-only MJPEG/FFV1."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

KINDS = {  # kind -> (file suffix, codec, pixel format, codec options)
    "h264_bframes": (
        ".mp4",
        "libx264",
        "yuv420p",
        {"bf": "3", "g": "10", "keyint_min": "10", "sc_threshold": "0"},
    ),
    "vfr": (".mkv", "libx264", "yuv420p", {"bf": "2", "g": "8", "sc_threshold": "0"}),
    "mjpeg": (".avi", "mjpeg", "yuvj420p", {}),
    # B-frames in an .avi (decode-order stamps) and a raw stream (none): frames found by counting
    "avi_bframes": (".avi", "libx264", "yuv420p", {"bf": "3", "g": "10", "x264-params": "b-adapt=0"}),
    "raw_h264": (".h264", "libx264", "yuv420p", {"bf": "2", "g": "8", "x264-params": "b-adapt=0"}),
    "ffv1": (".mkv", "ffv1", "yuv420p", {"g": "1"}),
}


def frame_image(i: int, w: int = 64, h: int = 48) -> np.ndarray:
    """A frame unlike its neighbours (smooth random blobs seeded by `i`), so an off-by-one shows."""
    small = np.random.default_rng(i).integers(0, 256, (h // 8, w // 8, 3), dtype=np.uint8)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def make_clip(folder: Path, kind: str, n: int = 40, w: int = 64, h: int = 48) -> Path:
    """Write an `n`-frame clip of `kind` (KINDS) into `folder`; the VFR clip's frame gaps vary 1-3 ticks."""
    suffix, codec, pix_fmt, opts = KINDS[kind]
    path = folder / f"{kind}{suffix}"
    gaps = np.random.default_rng(7).integers(1, 4, n) if kind == "vfr" else np.ones(n, int)
    with av.open(str(path), "w") as c:
        s = c.add_stream(codec, rate=25, options=opts)
        s.width, s.height, s.pix_fmt = w, h, pix_fmt
        s.codec_context.time_base = Fraction(1, 25)
        pts = 0
        for i in range(n):
            f = av.VideoFrame.from_ndarray(frame_image(i, w, h), format="rgb24")
            f.pts, f.time_base = pts, Fraction(1, 25)
            pts += int(gaps[i])
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    return path
