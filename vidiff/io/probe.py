"""`probe()`: what a video file holds, read with PyAV by demuxing (no full decode)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any

import av

from vidiff.errors import InputError

MAX_SIDE = 8192  # larger frames are refused: a plan for them would not fit a sane memory budget


@dataclass
class AudioInfo:
    """One audio stream of a container."""

    index: int
    codec: str
    sample_rate: int
    channels: int
    duration: float | None


@dataclass
class VideoInfo:
    """What `probe()` found in a file; `fps` is an exact fraction, times are in seconds."""

    path: str
    container: str
    codec: str
    width: int
    height: int
    fps: Fraction
    is_vfr: bool
    n_frames: int
    duration: float
    start_time: float
    rotation: int
    pix_fmt: str
    bit_depth: int
    color: dict[str, Any] = field(default_factory=dict)
    audio: list[AudioInfo] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (fps as a "num/den" string and a float)."""
        d = asdict(self)
        d["fps"] = f"{self.fps.numerator}/{self.fps.denominator}"
        d["fps_float"] = float(self.fps)
        return d


def open_container(path: str | os.PathLike[str]) -> av.container.InputContainer:
    """Open `path` for reading, turning every failure into one clear `InputError`."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a folder, not a video file")
    if os.path.getsize(path) == 0:
        raise InputError(f"{path}: file is empty (0 bytes)")
    try:
        return av.open(path, mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as e:
        raise InputError(f"{path}: not a readable video file, or truncated ({_reason(e)})") from None


def _reason(e: BaseException) -> str:
    msg = getattr(e, "strerror", None) or str(e)
    return msg.split(":")[-1].strip() or type(e).__name__


def _bit_depth(pix_fmt: str) -> int:
    for depth in (16, 14, 12, 10, 9):
        if f"p{depth}" in pix_fmt:
            return depth
    return 8


def probe(path: str | os.PathLike[str], check_frames: bool = True) -> VideoInfo:
    """Describe the first video stream of `path`: size, exact fps, VFR, frame count, rotation, audio.

    Frame count and VFR come from the packet timestamps (demux only, fast). Raises `InputError` for
    anything that is not a usable video: no video stream, zero frames, a size over `MAX_SIDE`.
    """
    path = os.fspath(path)
    with open_container(path) as c:
        if not c.streams.video:
            raise InputError(f"{path}: has no video stream")
        vs = c.streams.video[0]
        cc = vs.codec_context
        width, height = int(cc.width or 0), int(cc.height or 0)
        if width <= 0 or height <= 0:
            raise InputError(f"{path}: video stream has no frame size (corrupt or truncated file)")
        if max(width, height) > MAX_SIDE:
            raise InputError(
                f"{path}: frame size {width}x{height} is over the {MAX_SIDE}-pixel limit per side"
            )
        tb = vs.time_base
        pts: list[int] = []
        try:
            for pkt in c.demux(vs):
                if pkt.size and pkt.pts is not None:
                    pts.append(pkt.pts)
        except av.error.FFmpegError as e:
            raise InputError(f"{path}: corrupt or truncated video ({_reason(e)})") from None
        if not pts:
            raise InputError(f"{path}: video stream has zero frames")
        if vs.frames and len(pts) < vs.frames:
            raise InputError(
                f"{path}: truncated: the header lists {vs.frames} frames but only {len(pts)} are in the file"
            )
        pts.sort()
        rate = vs.average_rate or vs.guessed_rate or vs.base_rate
        is_vfr = False
        if len(pts) >= 3:
            deltas = [b - a for a, b in zip(pts, pts[1:], strict=False)]
            dmin, dmax = min(deltas), max(deltas)
            is_vfr = dmin <= 0 or (dmax - dmin) * tb > Fraction(1, 1000) and dmax > dmin * 1.05
        if rate is None or rate <= 0:
            span = (pts[-1] - pts[0]) * tb
            rate = Fraction(len(pts) - 1) / span if span > 0 else Fraction(25)
        fps = Fraction(rate).limit_denominator(1001 * 1000)
        start = float(pts[0] * tb)
        duration = float((pts[-1] - pts[0]) * tb + 1 / fps)
        rotation, color = 0, {}
        if check_frames:
            rotation, color = _first_frame_facts(path)
        audio = [
            AudioInfo(
                index=a.index,
                codec=a.codec_context.name,
                sample_rate=int(a.codec_context.sample_rate or 0),
                channels=int(a.codec_context.channels or 0),
                duration=float(a.duration * a.time_base) if a.duration else None,
            )
            for a in c.streams.audio
        ]
        return VideoInfo(
            path=path,
            container=c.format.name.split(",")[0],
            codec=cc.name,
            width=width,
            height=height,
            fps=fps,
            is_vfr=bool(is_vfr),
            n_frames=len(pts),
            duration=duration,
            start_time=start,
            rotation=rotation,
            pix_fmt=cc.pix_fmt or "unknown",
            bit_depth=_bit_depth(cc.pix_fmt or ""),
            color=color,
            audio=audio,
        )


def _first_frame_facts(path: str) -> tuple[int, dict[str, Any]]:
    """Rotation (degrees, display matrix) and color tags, from the first decoded frame."""
    with open_container(path) as c:
        try:
            for frame in c.decode(video=0):
                color = {
                    "color_range": int(frame.color_range),
                    "colorspace": int(frame.colorspace),
                    "color_primaries": int(frame.color_primaries),
                    "color_trc": int(frame.color_trc),
                }
                return int(round(frame.rotation or 0)) % 360, color
        except av.error.FFmpegError as e:
            raise InputError(f"{path}: cannot decode the first frame ({_reason(e)})") from None
    raise InputError(f"{path}: video stream has zero decodable frames")
