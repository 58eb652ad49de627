"""RGB <-> YUV conversion in the matrix and range a stream's tags say, with correct rounding.

swscale (PyAV's `reformat`) is biased: its yuv -> rgb shifts every value by about -1.1 (a lossless round
trip of carphone_pristine caps at 43.8 dB), and on encode it takes neither the target's matrix nor its
range unless told (before this module told it, BT.709 and BT.2020 outputs were written with BT.601's
matrix: saturated colours 11-25 levels off, benchmarks/results/color). So 8-bit
4:2:0 (what nearly all input and the default output are) is converted here: OpenCV's BT.601 I420
conversions where the stream is untagged or BT.601 in limited range (round trip 62 dB, no shift), else the
tag's matrix and range applied by `cv2.transform` (chroma averaged over 2x2 on encode, repeated on decode,
as OpenCV's: BT.709 round trips at 51 dB on bikes, carphone and bigbuckbunny, swscale at 43-45 with a
-1.2 shift; 2.0 ms a 1280x720 frame to RGB against swscale's 0.45, 5.3 to YUV against its 4.5). Every other
planar YUV frame (4:2:2, 4:4:4, odd sizes, 9-16 bits: x265/ProRes/phone HDR input) is decoded the same way,
by the tag's matrix and range from its planes: swscale shifted 4:2:2 and high-bit-depth 4:2:0 by -1 to -1.7
levels (yuv420p10le -1.7, -1.2, -1.4 in R, G, B). Encoding to those formats is the same conversion inverted
(swscale's, used before, put full-range chroma 0.5 of a code low: -0.7, +0.6, -0.8 levels in R, G, B).
"""

from __future__ import annotations

import re
from functools import lru_cache

import av
import cv2
import numpy as np

_BT601_OR_UNTAGGED = {2, 5, 6}  # AVColorSpace: unspecified, bt470bg, smpte170m
_JPEG_RANGE = 2
# AVColorSpace -> (Kr, Kb), the luma weights of red and blue that define a matrix (ITU-R BT.601, BT.709,
# BT.2020 (its constant-luminance form approximated by the other, as swscale does), FCC, SMPTE 240M);
# untagged is BT.601, as swscale and most players take it
_KR_KB = {1: (0.2126, 0.0722), 4: (0.30, 0.11), 7: (0.212, 0.087), 9: (0.2627, 0.0593), 10: (0.2627, 0.0593)}
_BT601 = (0.299, 0.114)
_RGB_FORMATS = {"rgb24", "bgr24", "bgr0", "rgb0", "gbrp", "rgba", "bgra"}
_I420 = {"yuv420p", "yuvj420p"}  # yuvj: a decoder's name for full-range 4:2:0
# planar YUV of any subsampling, 8 bits or little-endian 9-16 (yuv422p10le, yuvj444p, yuv420p12le...)
_PLANAR_YUV = re.compile(r"yuv(j?)4(?:20|22|44)p(?:(9|1[0-6])le)?")


@lru_cache(maxsize=16)
def _rgb_to_yuv(colorspace: int, full: bool) -> np.ndarray:
    """3x4 affine matrix RGB (0-255) -> Y, Cb, Cr (8-bit codes) of a colorspace and range."""
    kr, kb = _KR_KB.get(colorspace, _BT601)
    kg = 1 - kr - kb
    ys, cs, y0 = (1.0, 1.0, 0.0) if full else (219 / 255, 224 / 255, 16.0)
    m = np.array(
        [
            [kr * ys, kg * ys, kb * ys, y0],
            [-kr / (2 - 2 * kb) * cs, -kg / (2 - 2 * kb) * cs, 0.5 * cs, 128.0],
            [0.5 * cs, -kg / (2 - 2 * kr) * cs, -kb / (2 - 2 * kr) * cs, 128.0],
        ]
    )
    return m.astype(np.float32)


@lru_cache(maxsize=16)
def _yuv_to_rgb(colorspace: int, full: bool) -> np.ndarray:
    """The inverse of `_rgb_to_yuv`'s matrix."""
    m = np.vstack([_rgb_to_yuv(colorspace, full).astype(np.float64), [0, 0, 0, 1]])
    return np.linalg.inv(m)[:3].astype(np.float32)


def _opencv_601(pix_fmt: str, width: int, height: int, colorspace: int, color_range: int) -> bool:
    return (
        pix_fmt == "yuv420p"
        and _even(width, height)
        and colorspace in _BT601_OR_UNTAGGED
        and color_range != 2
    )


def _even(width: int, height: int) -> bool:
    return width % 2 == 0 and height % 2 == 0


def frame_to_rgb(frame: av.VideoFrame) -> np.ndarray:
    """Decoded frame -> (H, W, 3) RGB uint8, by its tags."""
    fmt, w, h = frame.format.name, frame.width, frame.height
    space, rng = int(frame.colorspace), int(frame.color_range)
    if _opencv_601(fmt, w, h, space, rng):
        return cv2.cvtColor(frame.to_ndarray(), cv2.COLOR_YUV2RGB_I420)
    if fmt in _I420 and _even(w, h):
        i420 = frame.to_ndarray()
        u = i420[h : h + h // 4].reshape(h // 2, w // 2)
        v = i420[h + h // 4 :].reshape(h // 2, w // 2)
        uv = cv2.resize(cv2.merge([u, v]), (w, h), interpolation=cv2.INTER_NEAREST)
        full = rng == _JPEG_RANGE or fmt == "yuvj420p"
        return cv2.transform(cv2.merge([i420[:h], uv]), _yuv_to_rgb(space, full))
    planar = _PLANAR_YUV.fullmatch(fmt)
    if planar:
        return _planar_to_rgb(frame, int(planar.group(2) or 8), rng == _JPEG_RANGE or bool(planar.group(1)))
    return frame.to_ndarray(format="rgb24")  # RGB, or swscale by the frame's own matrix and range


def _planar_to_rgb(frame: av.VideoFrame, bits: int, full: bool) -> np.ndarray:
    """A planar YUV frame of `bits` per sample -> RGB uint8 by its tag's matrix and `full` range, chroma
    repeated to the frame's size (as the 4:2:0 path): no shift, where swscale's took 1-1.7 levels off."""
    dtype = np.uint16 if bits > 8 else np.uint8
    y, u, v = (np.frombuffer(p, dtype).reshape(p.height, -1)[:, : p.width] for p in frame.planes[:3])
    h, w = y.shape
    uv = cv2.resize(cv2.merge([u, v]), (w, h), interpolation=cv2.INTER_NEAREST)
    rgb = cv2.transform(cv2.merge([y, uv]), _codes_to_rgb(int(frame.colorspace), full, bits))
    return rgb if bits == 8 else np.minimum(rgb, 255).astype(np.uint8)


@lru_cache(maxsize=32)
def _codes_to_rgb(colorspace: int, full: bool, bits: int) -> np.ndarray:
    """3x4 affine matrix from `bits`-bit Y, Cb, Cr codes to RGB 0-255: `_yuv_to_rgb` after scaling the
    codes to 8 bits (limited range: / 2^(bits-8); full range: by 255 / (2^bits - 1) around 2^(bits-1))."""
    m = _yuv_to_rgb(colorspace, full).astype(np.float64)
    scale = 255 / (2**bits - 1) if full else 2.0 ** (8 - bits)
    mid = 128 - 2 ** (bits - 1) * scale if full else 0.0  # an n-bit full-range chroma code's 8-bit offset
    offset = m[:, 3] + m[:, 1:3].sum(axis=1) * mid
    return np.column_stack([m[:, :3] * scale, offset]).astype(np.float32)


def rgb_to_frame(image: np.ndarray, pix_fmt: str, colorspace: int = 2, color_range: int = 0) -> av.VideoFrame:
    """(H, W, 3) RGB uint8 -> a frame in `pix_fmt`, ready for the encoder, in the matrix and range its
    tags (AVColorSpace, AVColorRange) say: what a player (and `frame_to_rgb`) decodes it with."""
    h, w = image.shape[:2]
    if _opencv_601(pix_fmt, w, h, colorspace, color_range):
        return av.VideoFrame.from_ndarray(cv2.cvtColor(image, cv2.COLOR_RGB2YUV_I420), format="yuv420p")
    if pix_fmt == "yuv420p" and _even(w, h):
        m = _rgb_to_yuv(colorspace, color_range == _JPEG_RANGE)
        y = cv2.transform(image, m[:1])
        uv = cv2.transform(cv2.resize(image, (w // 2, h // 2), interpolation=cv2.INTER_AREA), m[1:])
        planes = [y.reshape(-1), uv[..., 0].reshape(-1), uv[..., 1].reshape(-1)]
        return av.VideoFrame.from_ndarray(np.concatenate(planes).reshape(h * 3 // 2, w), format="yuv420p")
    planar = _PLANAR_YUV.fullmatch(pix_fmt)
    if planar:
        full = color_range == _JPEG_RANGE or bool(planar.group(1))
        return _rgb_to_planar(image, pix_fmt, int(planar.group(2) or 8), colorspace, full)
    if pix_fmt not in _RGB_FORMATS:
        raise ValueError(f"no conversion from RGB to {pix_fmt}")
    return av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format=pix_fmt)


def _rgb_to_planar(image: np.ndarray, pix_fmt: str, bits: int, colorspace: int, full: bool) -> av.VideoFrame:
    """RGB uint8 -> a planar YUV frame of `bits` per sample by the tag's matrix and range (`_planar_to_rgb`
    inverted), chroma from the RGB averaged over the pixels each chroma sample covers (as the 4:2:0 path):
    swscale's full-range chroma was 0.5 of a code low (0.8 of a level in RGB at 8 bits)."""
    h, w = image.shape[:2]
    frame = av.VideoFrame(w, h, pix_fmt)
    cw, ch = frame.planes[1].width, frame.planes[1].height
    small = image if (cw, ch) == (w, h) else cv2.resize(image, (cw, ch), interpolation=cv2.INTER_AREA)
    dtype = np.uint16 if bits > 8 else np.uint8
    m = _rgb_to_codes(colorspace, full, bits)
    y, uv = cv2.transform(image.astype(dtype), m[:1]), cv2.transform(small.astype(dtype), m[1:])
    for plane, values in zip(frame.planes, (y, uv[..., 0], uv[..., 1]), strict=True):
        rows = np.frombuffer(plane, dtype).reshape(plane.height, -1)  # the frame's own memory
        np.minimum(values, 2**bits - 1, out=rows[:, : plane.width])  # (full-range chroma may round past it)
    return frame


@lru_cache(maxsize=32)
def _rgb_to_codes(colorspace: int, full: bool, bits: int) -> np.ndarray:
    """3x4 affine matrix RGB 0-255 -> `bits`-bit Y, Cb, Cr codes: `_codes_to_rgb`'s inverse."""
    m = np.vstack([_codes_to_rgb(colorspace, full, bits).astype(np.float64), [0, 0, 0, 1]])
    return np.linalg.inv(m)[:3].astype(np.float32)
