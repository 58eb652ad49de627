"""Small media helpers for the web app: a frame at a timestamp, side-by-side pictures, thumbnails."""

from __future__ import annotations

import os
from fractions import Fraction

import av
import numpy as np

from vidiff.io.clock import first_frame_at
from vidiff.io.orient import upright
from vidiff.io.probe import video_stream
from vidiff.io.reader import VideoReader


def frame_at(path: str | os.PathLike[str], t: float) -> np.ndarray | None:
    """The RGB frame shown at time `t` seconds on a player's clock, as vidiff's reports give times (from the
    file's start: the first frame's after sound that starts first, `vidiff.io.clock`; the last frame
    starting at or before `t`), upright as a player shows it (a rotated clip's display rotation
    applied); None if none.

    Read by `VideoReader`, so its times are those of vidiff's reports: the decoder's own stamps gave a
    raw .h264 stream's last frame for every time (it has none), scrambled B-frames in an .avi, and
    nothing for an animated WebP (FFmpeg cannot decode it)."""
    best = None
    reader = VideoReader(os.fspath(path))
    frames = iter(reader)
    t -= reader.info.first_at
    for f in frames:
        if best is not None and f.time > t + 1e-6:
            break
        best = f.image
    frames.close()  # (a damage warning is the run's to give, not a preview's)
    return (
        None if best is None else upright(best, reader.info.rotation, reader.info.flip, reader.info.sar)
    )  # a phone's portrait clip upright


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


# what Chromium, Firefox and Safari all play in a <video>: container (by extension) -> codecs, 8-bit 4:2:0
PLAYABLE = {
    ".mp4": {"h264", "vp9", "av1"},
    ".m4v": {"h264"},
    ".mov": {"h264"},
    ".webm": {"vp8", "vp9", "av1"},
}
PLAYABLE_PIX_FMTS = {"yuv420p", "yuvj420p"}
PREVIEW_HEIGHT = 720  # a taller clip's preview is scaled down to this height


def browser_playable(path: str | os.PathLike[str]) -> bool:
    """True if a browser's <video> plays `path` as it is (container, codec and pixel format)."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    try:
        with av.open(os.fspath(path)) as c:
            vs = video_stream(c)
            if vs is None:
                return False
            cc = vs.codec_context
            return cc.name in PLAYABLE.get(ext, ()) and (cc.pix_fmt or "") in PLAYABLE_PIX_FMTS
    except (av.FFmpegError, IndexError, OSError):
        return False


def preview(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> str:
    """`path` if a browser plays it, else an H.264 copy (no audio, at most PREVIEW_HEIGHT high, the same
    frame times) written into `folder` for the page's player; `path` again if that cannot be made (it is
    only a preview)."""
    path = os.fspath(path)
    if browser_playable(path):
        return path
    out = os.path.join(os.fspath(folder), os.path.splitext(os.path.basename(path))[0] + "_preview.mp4")
    try:
        _transcode(path, out)
    except (av.FFmpegError, IndexError, OSError, ValueError):
        if os.path.exists(out):
            os.remove(out)
        return path
    return out


def _transcode(src: str, out: str) -> None:
    """Every frame of `src` into `out` as H.264 yuv420p (even size) at its own times on a player's clock
    (the first frame's after sound that starts first, as vidiff's reports time it), moov at the front,
    as a player shows it: turned and mirrored by its display matrix and at square pixels (the preview of
    a phone's HEVC portrait clip was sideways, a 16:9 DVD's squeezed to 3:2)."""
    from vidiff.io.aspect import stream_sar
    from vidiff.io.orient import frame_orientation, quarter_turns, upright, upright_size

    with av.open(src) as c, av.open(out, "w", options={"movflags": "+faststart"}) as o:
        s = video_stream(c)
        if s is None:
            raise ValueError(f"{src}: has no video stream")
        v = o.add_stream("libx264", rate=s.average_rate or 25)
        v.codec_context.time_base = tb = s.time_base or Fraction(1, 1000)
        v.codec_context.options = {"preset": "ultrafast", "crf": "23"}
        last, size, shift = -1, None, None
        audio = [float(a.start_time * a.time_base) for a in c.streams.audio if a.start_time is not None]
        for f in c.decode(s):
            if shift is None and f.time is not None:  # the first frame's time: where the sound starts
                shift = first_frame_at(f.time, audio) - f.time
            if size is None:  # the shown size, from the first frame's display matrix and the pixel aspect
                rotation, flip = frame_orientation(f)
                shown_w, shown_h = upright_size(f.width, f.height, rotation, stream_sar(s, f))
                h = max(2, min(shown_h, PREVIEW_HEIGHT) // 2 * 2)
                w = max(2, round(shown_w * h / shown_h) // 2 * 2)
                v.width, v.height, v.pix_fmt = w, h, "yuv420p"
                size = (h, w) if quarter_turns(rotation) % 2 else (w, h)  # before the turn
                turned = bool(quarter_turns(rotation)) or flip
            if turned:
                rgb = upright(f.reformat(*size, format="rgb24").to_ndarray(), rotation, flip)
                g = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            else:
                g = f.reformat(*size, format="yuv420p")
            pts = round((f.time + (shift or 0.0)) / tb) if f.time is not None else last + 1
            g.pts, g.time_base, last = max(pts, last + 1), tb, max(pts, last + 1)
            o.mux(v.encode(g))
        o.mux(v.encode(None))
