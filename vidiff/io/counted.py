"""Random access by counting: frame i is the i-th frame the decoder gives from the start of the stream.

Seeking names a frame by its stamp (`vidiff.io.random_access.SeekReader`). Two kinds of file have stamps
that name no frame: a raw elementary stream (.h264, .hevc: no stamps at all; its index was empty, so
"0 frames") and B-frames in an .avi (it stores decode-order stamps, which the decoded frames then carry
out of order: seeking by them gave the wrong frame or `FrameLost`). `VideoReader` reads both by putting
the frames in the order the decoder gives them (`vidiff.io.stamps`), so here frames are counted the same
way: decoding runs forward from the start and goes on from where it stopped for a later frame; a frame
before it restarts from the start (slower than a seek, but the frames are the reader's).
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import av
import numpy as np

from vidiff.io.color import frame_to_rgb
from vidiff.io.cut_tail import RAW_CHECKED, found_position
from vidiff.io.probe import open_container, video_stream

DEFAULT_RATE = Fraction(25)  # a stream without stamps or packet durations (FFmpeg's raw demuxer's rate)


class Counting:
    """Gathers a stream's packets in one demux pass (`add`), and says whether its frames must be counted."""

    def __init__(self, c: av.container.InputContainer, vs: av.video.stream.VideoStream) -> None:
        self._c, self._vs = c, vs
        self.stamps: list[int] = []  # the stamps given (decode order)
        self.durations: list[int] = []  # of every packet with data
        self.untimed = 0

    def add(self, pkt: av.Packet) -> None:
        if not pkt.size:
            return
        self.durations.append(int(pkt.duration or 0))
        if pkt.pts is None:
            self.untimed += 1
        else:
            self.stamps.append(int(pkt.pts))

    def needed(self) -> bool:
        """True for a stream with no stamps, or an .avi whose codec reorders frames (B-frames)."""
        reorders = self._c.format.name == "avi" and bool(self._vs.codec_context.has_b_frames)
        return bool(self.durations) and (self.untimed == len(self.durations) or reorders)

    def frames(self) -> CountedFrames:
        """The stream's frames, reached by counting; times as `VideoReader` gives them."""
        n, tb = len(self.durations), Fraction(self._vs.time_base or 0)
        if self.stamps and not self.untimed:  # an .avi: its stamps, put in order, are the frames' times
            stamps = np.sort(np.array(self.stamps, dtype=np.int64))
            seconds = (stamps - stamps[0]) * float(tb)
        else:  # none: a step of the rate the packets' durations give (the probe's rule), else 25 fps
            span = sum(self.durations[1:]) * tb
            rate = (Fraction(n - 1) / span).limit_denominator(1001 * 1000) if span > 0 else DEFAULT_RATE
            seconds = np.arange(n) / float(rate)
        k = found_position(self._c.name) if self._c.format.name in RAW_CHECKED else None
        if k is not None and k < n:  # its last packet cut short: that frame left out, as the reader does
            return CountedFrames(self._c.name, np.delete(seconds, n - 1 - k), n - 1 - k)
        return CountedFrames(self._c.name, seconds)


class CountedFrames:
    """The frames of an open stream by their number in decode output (module docstring)."""

    def __init__(self, path: str, seconds: np.ndarray, skip: int | None = None) -> None:
        self.path, self.seconds = path, seconds
        self.skip = skip  # the decoder's frame left out (`vidiff.io.cut_tail`: a cut raw HEVC stream's)
        self._c: av.container.InputContainer | None = None  # opened for each pass: a raw stream cannot seek
        self._frames: Iterator[av.VideoFrame] | None = None
        self._next = 0  # the number of the frame `_frames` gives next
        self._given = 0  # frames the decoder gave in this pass (`skip` among them)

    def __len__(self) -> int:
        return len(self.seconds)

    def frame(self, i: int) -> np.ndarray | None:
        """Frame `i` as RGB uint8, or None where the stream ends before it (damage), or it is the last
        frame and the decoder could only conceal it (cut mid-frame: left out, as `VideoReader` does)."""
        if self._frames is None or i < self._next:
            self.close()
            self._c = open_container(self.path)
            self._frames, self._next, self._given = self._decode(self._c), 0, 0
        for f in self._frames:
            self._given += 1
            if self._given - 1 == self.skip:
                continue
            k, self._next = self._next, self._next + 1
            if k == i:
                return None if f.is_corrupt and k == len(self) - 1 else frame_to_rgb(f)
        self._frames = None
        return None

    def close(self) -> None:
        self._frames = None
        if self._c is not None:
            self._c.close()
            self._c = None

    @staticmethod
    def _decode(c: av.container.InputContainer) -> Iterator[av.VideoFrame]:
        vs = video_stream(c)
        vs.thread_type = "AUTO"
        try:
            for p in c.demux(vs):
                try:
                    yield from p.decode()
                except av.error.FFmpegError:
                    continue  # a damaged packet: no frame, as the reader counts
        except av.error.FFmpegError:
            return
