"""A clip's pixel aspect ratio (SAR: non-square pixels), read from the stream and written into outputs.

DVD and DV video (720x480 or 720x576) and HDV (1440x1080) store their pictures in pixels that are not
square: a 16:9 NTSC DVD is 720x480 with a SAR of 32:27, shown 853x480. Players stretch the stored frames
on the way to the screen, as they turn a phone's rotated ones (`vidiff.io.orient`). vidiff keeps the frames
as stored and writes the SAR into the output, so it is shown at the input's shape; written without it, the
output of a 16:9 DVD clip was shown at 3:2, everything in it squeezed. Where a stage makes frames of
another shape (a reframe, a generated clip) or images (PNG frames, a GIF: no player stretches those), the
frames are first resampled to square pixels at the size they are shown at (`square_pixels`, applied with
the rotation by `vidiff.io.orient.upright`), and the output has square pixels: a reframe to 9:16 of a 16:9
DVD clip cropped the stored picture and showed it squeezed to 27/32 of its width.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import cv2
import numpy as np

# the pixel aspects taken as stated: a 2x anamorphic lens's 2:1 and a DVD's 8:9 lie well inside; a damaged
# header's 1000:1 would have made frames a million pixels wide where they are shown square (`square_pixels`)
SAR_RANGE = (Fraction(1, 4), Fraction(4))


def stream_sar(stream: Any, frame: Any = None) -> Fraction | None:
    """The pixel aspect of a video stream as FFmpeg guesses it (the container's, else the codec's, else
    the first decoded `frame`'s); None for square pixels, none stated or one outside `SAR_RANGE`."""
    for owner in (stream, getattr(stream, "codec_context", None), frame):
        sar = getattr(owner, "sample_aspect_ratio", None) if owner is not None else None
        if sar is not None and sar > 0:
            sar = Fraction(sar).limit_denominator(65535)
            return None if sar == 1 or not SAR_RANGE[0] <= sar <= SAR_RANGE[1] else sar
    return None


def shown_size(width: int, height: int, sar: Fraction | None) -> tuple[int, int]:
    """The (width, height) a player shows a `width` x `height` frame of pixel aspect `sar` at (the width
    stretched, as players show it: 720x480 at 32:27 is 853x480)."""
    if not sar or sar == 1:
        return width, height
    return max(1, round(width * sar)), height


def square_pixels(image: np.ndarray, sar: Fraction | None) -> np.ndarray:
    """`image` (H, W, ...) resampled to square pixels at its shown size (`shown_size`: the width
    stretched); the frame itself when its pixels are square."""
    if not sar:
        return image
    w, h = shown_size(image.shape[1], image.shape[0], sar)
    if w == image.shape[1]:
        return image
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if w < image.shape[1] else cv2.INTER_CUBIC)


def describe_sar(width: int, height: int, sar: Fraction | None, rotation: int = 0) -> str:
    """`probe`'s words for the pixels: "square", or e.g. "32:27 (non-square: shown 853x480)"."""
    if not sar:
        return "square"
    w, h = shown_size(width, height, sar)
    if round(rotation / 90) % 2:  # (a quarter turn: `vidiff.io.orient.quarter_turns`)
        w, h = h, w
    return f"{sar.numerator}:{sar.denominator} (non-square: shown {w}x{h})"


def written_sar(
    sar: Fraction | None, transform: Callable[[np.ndarray], np.ndarray] | None
) -> Fraction | None:
    """The SAR an output is tagged with: the source's where its frames are kept as stored (none, or an
    identity transform); none where a transform makes frames of its own shape."""
    from vidiff.io.orient import IDENTITY_KEY

    if transform is None or getattr(transform, "key", None) == IDENTITY_KEY:
        return sar
    return None


# encoders whose bitstream states the pixel aspect; a Matroska or WebM file of any other holds none, as its
# muxer takes the aspect only from the stream, which PyAV does not set (an .mp4 or .mov of any codec does:
# its pasp box is written from the encoder's)
_SAR_IN_STREAM = {"libx264", "libx265", "mpeg4", "mpeg2video", "mpeg1video"}


def note_sar_lost(path: str | os.PathLike[str], encoder: str, sar: Fraction | None) -> None:
    """One note line when a video output `path` made by `encoder` cannot hold the pixel aspect `sar` of
    the frames it is given (VP9, AV1 or FFV1 in .mkv or .webm): shown with square pixels."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if not sar or ext not in (".mkv", ".webm") or encoder in _SAR_IN_STREAM:
        return
    print(
        f"note: {os.fspath(path)}: a {ext} file of {encoder} holds no pixel aspect here: the input's "
        f"{sar.numerator}:{sar.denominator} is left out and the output is shown with square pixels; an .mp4 "
        "(or .mov), or codec h264 or h265, keeps it",
        file=sys.stderr,
        flush=True,
    )


def sar_text(sar: Fraction | None) -> str | None:
    """`sar` as "num:den" (JSON, a run's key), or None for square pixels."""
    return None if not sar else f"{sar.numerator}:{sar.denominator}"
