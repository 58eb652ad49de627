"""RGB <-> YUV 4:2:0 conversion with correct rounding (OpenCV), where swscale's default path is biased.

Measured here on carphone_pristine: PyAV/swscale's rgb24 <-> yuv420p round trip shifts every value by
-1.15 and caps a lossless re-encode at 43.8 dB PSNR; OpenCV's BT.601 I420 conversions round-trip at
62 dB with no shift. Other pixel formats and tagged BT.709/BT.2020 streams go through PyAV.
"""

from __future__ import annotations

import av
import cv2
import numpy as np

_BT601_OR_UNTAGGED = {2, 5, 6}  # AVColorSpace: unspecified, bt470bg, smpte170m
_JPEG_RANGE = 2


def _fast_path(pix_fmt: str, width: int, height: int, colorspace: int, color_range: int) -> bool:
    return (
        pix_fmt == "yuv420p"
        and width % 2 == 0
        and height % 2 == 0
        and colorspace in _BT601_OR_UNTAGGED
        and color_range != _JPEG_RANGE
    )


def frame_to_rgb(frame: av.VideoFrame) -> np.ndarray:
    """Decoded frame -> (H, W, 3) RGB uint8."""
    if _fast_path(
        frame.format.name, frame.width, frame.height, int(frame.colorspace), int(frame.color_range)
    ):
        return cv2.cvtColor(frame.to_ndarray(), cv2.COLOR_YUV2RGB_I420)
    return frame.to_ndarray(format="rgb24")


def rgb_to_frame(image: np.ndarray, pix_fmt: str, colorspace: int = 2, color_range: int = 0) -> av.VideoFrame:
    """(H, W, 3) RGB uint8 -> a frame in `pix_fmt`, ready for the encoder."""
    h, w = image.shape[:2]
    if _fast_path(pix_fmt, w, h, colorspace, color_range):
        return av.VideoFrame.from_ndarray(cv2.cvtColor(image, cv2.COLOR_RGB2YUV_I420), format="yuv420p")
    return av.VideoFrame.from_ndarray(image, format="rgb24")
