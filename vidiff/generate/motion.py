"""Camera motion over a still image (pan, zoom): a moving crop window, resampled with subpixel accuracy.

This is the exact motion prior for animating a still: each frame is the photo seen through a window
that slides (pan) or shrinks about the centre (zoom), so `--motion zoom-in` zooms by construction; a
learned model only refines the result.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

from vidiff.errors import ConfigError

MOTIONS = ("pan-left", "pan-right", "zoom-in", "zoom-out", "auto")


def _window(
    kind: str, s: float, img_w: int, img_h: int, aspect: float, strength: float
) -> tuple[float, float, float, float]:
    """Crop window (x0, y0, w, h) at progress s in [0, 1] for a window of width/height `aspect`."""
    w = min(img_w, img_h * aspect)
    h = w / aspect
    if kind in ("zoom-in", "zoom-out"):
        z = 1.0 + strength * (s if kind == "zoom-in" else 1.0 - s)
        w, h = w / z, h / z
        return (img_w - w) / 2, (img_h - h) / 2, w, h
    # pan: the window shrinks by `strength` so it has room to travel even when it spans the image
    w, h = w / (1.0 + strength), h / (1.0 + strength)
    span = img_w - w
    x0 = span * (1.0 - s) if kind == "pan-left" else span * s  # pan-left: the camera moves left
    return x0, (img_h - h) / 2, w, h


def resolve_motion(kind: str, img_w: int, img_h: int, aspect: float) -> str:
    """`auto` pans across a picture wider than the output and zooms into one that is not."""
    if kind not in MOTIONS:
        raise ConfigError(f"unknown motion {kind!r}; choose one of: {', '.join(MOTIONS)}")
    if kind != "auto":
        return kind
    return "pan-right" if img_w / img_h > aspect * 1.2 else "zoom-in"


def camera_frames(
    image: np.ndarray,
    n: int,
    size: tuple[int, int],
    kind: str = "zoom-in",
    strength: float = 0.25,
    pingpong: bool = False,
) -> list[np.ndarray]:
    """`n` frames of `size` (w, h) looking at `image` through a moving window (`iter_camera_frames`, as
    a list)."""
    return list(iter_camera_frames(image, n, size, kind, strength, pingpong))


def iter_camera_frames(
    image: np.ndarray,
    n: int,
    size: tuple[int, int],
    kind: str = "zoom-in",
    strength: float = 0.25,
    pingpong: bool = False,
) -> Iterator[np.ndarray]:
    """`n` frames of `size` (w, h) looking at `image` through a moving window, each made when it is asked
    for: a minute of 1080x1920 at 60 fps is 22 GB of frames, which a list would hold at once.

    `pingpong` goes there and back so the last frame leads smoothly into the first (a seamless loop).
    Motion is eased (smoothstep) so it starts and ends gently. `kind` is checked here, before the first
    frame is asked for.
    """
    out_w, out_h = size
    img_h, img_w = image.shape[:2]
    aspect = out_w / out_h
    kind = resolve_motion(kind, img_w, img_h, aspect)
    # a large photo is area-downscaled once so that no frame resamples more than ~1.2 pixels into one
    tightest = min(_window(kind, s, img_w, img_h, aspect, strength)[2] for s in (0.0, 1.0)) / out_w
    if tightest > 1.2:
        k = 1.2 / tightest
        image = cv2.resize(image, (round(img_w * k), round(img_h * k)), interpolation=cv2.INTER_AREA)
        img_h, img_w = image.shape[:2]
    return (_camera_frame(image, i, n, size, kind, strength, pingpong) for i in range(n))


def _camera_frame(
    image: np.ndarray, i: int, n: int, size: tuple[int, int], kind: str, strength: float, pingpong: bool
) -> np.ndarray:
    """Frame `i` of `n`: the photo through the window at eased progress `i` along the motion."""
    out_w, out_h = size
    img_h, img_w = image.shape[:2]
    s = 1.0 - abs(2.0 * i / n - 1.0) if pingpong else i / max(n - 1, 1)  # pingpong: period n
    s = s * s * (3 - 2 * s)
    x0, y0, w, h = _window(kind, s, img_w, img_h, out_w / out_h, strength)
    sx, sy = w / out_w, h / out_h
    m = np.array([[sx, 0, x0 + 0.5 * sx - 0.5], [0, sy, y0 + 0.5 * sy - 0.5]], np.float32)
    return cv2.warpAffine(
        image,
        m,
        (out_w, out_h),
        flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REFLECT,
    )
