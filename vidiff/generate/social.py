"""Output presets for social platforms: frame size by aspect, reframing, retiming, and an image strip."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import cv2
import numpy as np

from vidiff.errors import ConfigError
from vidiff.flow import Interpolator
from vidiff.timeline import plan

PRESETS = {"9:16": (1080, 1920), "1:1": (1080, 1080), "16:9": (1920, 1080), "4:5": (1080, 1350)}


def preset_size(aspect: str) -> tuple[int, int]:
    """(width, height) of a platform preset."""
    if aspect not in PRESETS:
        raise ConfigError(f"unknown aspect {aspect!r}; choose one of: {', '.join(PRESETS)}")
    return PRESETS[aspect]


def reframe(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Centre-crop `image` to the aspect of `size` (w, h), then resize to it."""
    w, h = size
    ih, iw = image.shape[:2]
    if iw * h > ih * w:  # too wide: crop the sides
        cw = round(ih * w / h)
        x0 = (iw - cw) // 2
        image = image[:, x0 : x0 + cw]
    else:
        ch = round(iw * h / w)
        y0 = (ih - ch) // 2
        image = image[y0 : y0 + ch]
    interp = cv2.INTER_AREA if image.shape[1] > w else cv2.INTER_CUBIC
    return cv2.resize(np.ascontiguousarray(image), (w, h), interpolation=interp)


def retime(
    frames: Sequence[np.ndarray], src_fps: Fraction, dst_fps: Fraction, interp: Interpolator
) -> list[np.ndarray]:
    """Frames at `dst_fps` covering the same duration, interpolated at their real times."""
    if src_fps == dst_fps:
        return list(frames)
    times = [Fraction(i) / src_fps for i in range(len(frames))]
    out = []
    for tg in plan(times, Fraction(len(frames)) / src_fps, dst_fps):
        a = frames[tg.a]
        out.append(a if tg.t == 0.0 else interp.interpolate(a, frames[tg.b], [tg.t])[0])
    return out


def image_strip(frames: Sequence[np.ndarray], n: int = 6, height: int = 240) -> np.ndarray:
    """`n` frames evenly spaced over the clip, side by side, `height` pixels tall (RGB uint8)."""
    idx = np.linspace(0, len(frames) - 1, min(n, len(frames))).round().astype(int)
    tiles = []
    for i in idx:
        f = frames[i]
        w = round(f.shape[1] * height / f.shape[0])
        tiles.append(cv2.resize(f, (w, height), interpolation=cv2.INTER_AREA))
        tiles.append(np.full((height, 4, 3), 255, np.uint8))
    return np.concatenate(tiles[:-1], axis=1)
