"""RGB <-> YUV conversion in the matrix and range a stream's tags say, with correct rounding where it can.

Measured here on carphone_pristine: PyAV/swscale's rgb24 <-> yuv420p round trip shifts every value by
-1.15 and caps a lossless re-encode at 43.8 dB PSNR; OpenCV's BT.601 I420 conversions round-trip at
62 dB with no shift, so untagged and BT.601 yuv420p in limited range take them. Other pixel formats,
BT.709/BT.2020 and full range go through PyAV/swscale, told the tags both ways (it takes a frame's
matrix by itself but neither its range on decode nor the target's matrix on encode: before, BT.709
outputs were written with BT.601's, and full-range input was read as limited; 10-14 levels off on
saturated colours); their round trip keeps swscale's bias (bikes, BT.709: -1.26, 44.6 dB).
"""

from __future__ import annotations

import av
import cv2
import numpy as np

_BT601_OR_UNTAGGED = {2, 5, 6}  # AVColorSpace: unspecified, bt470bg, smpte170m
_JPEG_RANGE = 2
# AVColorSpace -> swscale's matrix (SWS_CS_*): untagged and the BT.601 family take swscale's default,
# BT.601, as players do; before, every non-fast frame was converted with BT.601 whatever its tag said,
# so a BT.709-tagged output (most HD input) came back with its colours off (saturated red: 11 levels)
_SWS_DEFAULT = 5
_SWS_MATRIX = {1: 1, 4: 4, 5: 5, 6: 5, 7: 7, 9: 9, 10: 9}
_RGB_FORMATS = {"rgb24", "bgr24", "bgr0", "rgb0", "gbrp", "rgba", "bgra"}


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
    if frame.format.name in _RGB_FORMATS:
        return frame.to_ndarray(format="rgb24")
    return frame.to_ndarray(  # swscale takes the frame's matrix, but its range only when told
        format="rgb24",
        src_colorspace=_SWS_MATRIX.get(int(frame.colorspace), _SWS_DEFAULT),
        src_color_range=int(frame.color_range) or None,
    )


def rgb_to_frame(image: np.ndarray, pix_fmt: str, colorspace: int = 2, color_range: int = 0) -> av.VideoFrame:
    """(H, W, 3) RGB uint8 -> a frame in `pix_fmt`, ready for the encoder, in the matrix and range its
    tags (AVColorSpace, AVColorRange) say: what a player (and `frame_to_rgb`) decodes it with."""
    h, w = image.shape[:2]
    if _fast_path(pix_fmt, w, h, colorspace, color_range):
        return av.VideoFrame.from_ndarray(cv2.cvtColor(image, cv2.COLOR_RGB2YUV_I420), format="yuv420p")
    frame = av.VideoFrame.from_ndarray(image, format="rgb24")
    if pix_fmt in _RGB_FORMATS:
        return frame.reformat(format=pix_fmt)
    return frame.reformat(
        format=pix_fmt,
        dst_colorspace=_SWS_MATRIX.get(colorspace, _SWS_DEFAULT),
        dst_color_range=color_range or None,
    )
