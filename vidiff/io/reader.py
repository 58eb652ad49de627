"""Streaming frame reader: decodes with PyAV (threaded) and yields RGB frames with their times in seconds."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

from vidiff.errors import InputError
from vidiff.io.color import frame_to_rgb
from vidiff.io.probe import VideoInfo, _reason, open_container, probe


@dataclass
class Frame:
    """One decoded frame: `index` in presentation order, `time` in seconds from the stream start."""

    index: int
    time: Fraction  # exact: pts * time_base
    image: np.ndarray  # (H, W, 3) uint8 RGB


class VideoReader:
    """Iterate the frames of the first video stream, in presentation order, with bounded memory.

    Times are taken from the frames' timestamps (so variable-frame-rate clips keep their real timing),
    measured from the first frame. A decode failure mid-stream is an `InputError` naming the time.
    """

    def __init__(self, path: str | os.PathLike[str], info: VideoInfo | None = None, threads: int = 0):
        self.path = os.fspath(path)
        self.info = info or probe(self.path)
        self.threads = threads

    def __iter__(self) -> Iterator[Frame]:
        with open_container(self.path) as c:
            vs = c.streams.video[0]
            vs.thread_type = "AUTO"
            if self.threads:
                vs.codec_context.thread_count = self.threads
            tb = vs.time_base
            step = 1 / self.info.fps
            t0: Fraction | None = None
            last_t = Fraction(-1)
            i = 0
            it = c.decode(vs)
            while True:
                try:
                    frame = next(it)
                except StopIteration:
                    break
                except av.error.FFmpegError as e:
                    raise InputError(
                        f"{self.path}: corrupt or truncated video after frame {i} ({_reason(e)})"
                    ) from None
                t = (last_t + step if i else Fraction(0)) if frame.pts is None else frame.pts * tb
                if t0 is None:
                    t0 = t
                t -= t0
                if t <= last_t:  # broken timestamps: keep order, step by the nominal rate
                    t = last_t + step
                last_t = t
                yield Frame(i, t, frame_to_rgb(frame))
                i += 1
        if i == 0:
            raise InputError(f"{self.path}: no frame could be decoded")


def read_frames(path: str | os.PathLike[str], max_frames: int | None = None) -> list[np.ndarray]:
    """All frames (or the first `max_frames`) of a clip as RGB uint8 arrays, in presentation order."""
    out = []
    for f in VideoReader(path):
        if max_frames is not None and len(out) >= max_frames:
            break
        out.append(f.image)
    return out
