"""Output presets for social platforms: frame size by aspect, reframing, retiming, and an image strip."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction

import cv2
import numpy as np

from vidiff.errors import ConfigError
from vidiff.flow import Interpolator
from vidiff.timeline import Plan

PRESETS = {"9:16": (1080, 1920), "1:1": (1080, 1080), "16:9": (1920, 1080), "4:5": (1080, 1350)}
# an animated GIF's short side: 480p, GIPHY's and chat apps' size. At a preset's 1080 a 3 s GIF of a photo
# was 27-60 MB, over Discord's 10 MB and X's 15 MB (benchmarks/results/gif_generate)
GIF_SHORT_SIDE = 480


def preset_size(aspect: str) -> tuple[int, int]:
    """(width, height) of a platform preset."""
    if not isinstance(aspect, str) or aspect not in PRESETS:  # a list is unhashable: a TypeError
        raise ConfigError(f"unknown aspect {aspect!r}; choose one of: {', '.join(PRESETS)}")
    return PRESETS[aspect]


def gif_size(size: tuple[int, int]) -> tuple[int, int]:
    """A preset's (width, height) scaled to `GIF_SHORT_SIDE` on its short side, each side even."""
    w, h = size
    scale = GIF_SHORT_SIDE / min(w, h)
    return 2 * round(w * scale / 2), 2 * round(h * scale / 2)


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
    frames: Iterable[np.ndarray], src_fps: Fraction, dst_fps: Fraction, interp: Interpolator
) -> Iterator[np.ndarray]:
    """Frames at `dst_fps` covering the same duration, interpolated at their real times, streamed (two
    source frames held)."""
    if src_fps == dst_fps:
        yield from frames
        return
    p, prev, n = Plan(dst_fps), None, 0
    for f in frames:
        if prev is not None:
            for tg in p.pair(n - 1, Fraction(n - 1) / src_fps, Fraction(n) / src_fps):
                yield prev if tg.t == 0.0 else interp.interpolate(prev, f, [tg.t])[0]
        prev, n = f, n + 1
    for _ in p.hold(n - 1, Fraction(n) / src_fps) if prev is not None else ():
        yield prev


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
