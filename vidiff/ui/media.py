"""Small media helpers for the web app: a frame at a timestamp, side-by-side pictures, thumbnails."""

from __future__ import annotations

import os

import av
import numpy as np


def frame_at(path: str | os.PathLike[str], t: float) -> np.ndarray | None:
    """The RGB frame shown at time `t` seconds (the last one starting at or before `t`); None if none."""
    best = None
    with av.open(os.fspath(path)) as c:
        s = c.streams.video[0]
        for f in c.decode(s):
            ft = float(f.time) if f.time is not None else 0.0
            if best is not None and ft > t + 1e-6:
                break
            best = f.to_ndarray(format="rgb24")
    return best


def side_by_side(a: np.ndarray | None, b: np.ndarray | None, height: int = 270) -> np.ndarray | None:
    """`a` and `b` scaled to one height and put next to each other with a thin gap."""
    import cv2

    imgs = [x for x in (a, b) if x is not None]
    if not imgs:
        return None
    scaled = [cv2.resize(x, (max(1, round(x.shape[1] * height / x.shape[0])), height)) for x in imgs]
    gap = np.full((height, 8, 3), 255, np.uint8)
    out = [scaled[0]]
    for x in scaled[1:]:
        out += [gap, x]
    return np.concatenate(out, axis=1)


def thumbnail(img: np.ndarray, height: int = 96) -> np.ndarray:
    """A small copy of `img`, `height` pixels high."""
    import cv2

    return cv2.resize(img, (max(1, round(img.shape[1] * height / img.shape[0])), height))
