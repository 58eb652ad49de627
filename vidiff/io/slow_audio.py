"""The audio of slow motion: a source's first audio stream re-timed with its picture, pitch kept, decoded,
stretched and encoded as the output is written, so memory stays flat however long the clip.

Made whole in memory first (`AudioTrack.from_file(tempo=...)`), 2 minutes of stereo AAC slowed 4x grew
the process by 453 MiB, streamed by 4 MiB (`python benchmarks/slow_audio_memory.py`: it grows with the
clip's length only when whole). `SlowedAudio` is what `VideoWriter(audio=...)` takes (`attach`): the file is opened on its
own (a `VideoFile` pass's seek to 0 drops the AAC priming stamped before 0, and the decoder then took the
first real packet for priming), the video's first frame is the track's time 0 (audio before it cut,
a later start led by silence: the A/V offset is stretched with the picture), and `vidiff.io.tempo` keeps
each sound in step and the length exact. It is stereo AAC at 48 kHz (Opus in WebM).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import av
import numpy as np

from vidiff.errors import InputError
from vidiff.io.tempo import CHUNK, RATE, stretch


class SlowedAudio:
    """The first audio stream of `path` played `tempo` times as fast (0.25: 4x slower), from the source
    time `start` (seconds; its video's first frame); checked here (it opens and decodes), made while the
    output is written."""

    def __init__(self, path: str | os.PathLike[str], tempo: float, start: float = 0.0) -> None:
        self.path, self.tempo, self.start = os.fspath(path), float(tempo), float(start)
        try:
            with av.open(self.path) as c:
                if not c.streams.audio:
                    raise InputError(f"{self.path}: has no audio stream")
                if next(c.decode(audio=0), None) is None:
                    raise InputError(f"{self.path}: audio stream has no samples")
        except av.error.FFmpegError as e:
            raise InputError(f"{self.path}: not a readable audio file ({e.strerror or e})") from None

    def chunks(self) -> Iterator[np.ndarray]:
        """The slowed track's planar stereo float32 samples at `RATE`, chunk by chunk."""
        return stretch(self._source(), self.tempo)

    def _source(self) -> Iterator[np.ndarray]:
        """The source's samples from `start` on (silence first where its audio starts later); a packet the
        demuxer or decoder gives up on ends the track there (the output is not failed for its audio)."""
        res = av.AudioResampler(format="fltp", layout="stereo", rate=RATE)
        cut: int | None = None  # source samples still to drop before `start` (None: not known yet)
        try:
            with av.open(self.path) as c:
                for frame in c.decode(audio=0):
                    if cut is None:
                        t = float(frame.pts * frame.time_base) if frame.pts is not None else self.start
                        lead = round((t - self.start) * RATE)
                        if lead > 0:
                            yield np.zeros((2, lead), np.float32)
                        cut = max(0, -lead)
                    for rf in res.resample(frame):
                        x = rf.to_ndarray()
                        if cut:
                            k = min(cut, x.shape[1])
                            x, cut = x[:, k:], cut - k
                        if x.shape[1]:
                            yield x
        except av.error.FFmpegError:
            pass
        for rf in res.resample(None):
            yield rf.to_ndarray()

    def attach(self, out: av.container.OutputContainer, fmt: str) -> _SlowedEncoder:
        """Add the audio stream to `out`; the writer feeds it as the video advances."""
        return _SlowedEncoder(self, out, "libopus" if fmt == "webm" else "aac")


class _SlowedEncoder:
    """Encodes a `SlowedAudio` in `CHUNK`-sample frames, up to the time the video has reached."""

    def __init__(self, track: SlowedAudio, out: av.container.OutputContainer, codec: str) -> None:
        self.stream = out.add_stream(codec, rate=RATE)
        self.stream.layout = "stereo"
        self.pos = 0
        self._chunks = track.chunks()
        self._buf = np.zeros((2, 0), np.float32)
        self._done = False

    def _take(self, n: int) -> np.ndarray:
        """The next `n` samples (fewer at the end)."""
        while self._buf.shape[1] < n and not self._done:
            nxt = next(self._chunks, None)
            if nxt is None:
                self._done = True
            else:
                self._buf = np.concatenate([self._buf, nxt], axis=1)
        x, self._buf = self._buf[:, :n], self._buf[:, n:]
        return np.ascontiguousarray(x)

    def mux_until(self, out: av.container.OutputContainer, t: float) -> None:
        """Encode the track up to `t` seconds (whole frames)."""
        end = float("inf") if t == float("inf") else t * RATE
        while self.pos < end:
            x = self._take(CHUNK)
            if not x.shape[1]:
                return
            frame = av.AudioFrame.from_ndarray(x, format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = RATE, self.pos
            out.mux(self.stream.encode(frame))
            self.pos += x.shape[1]

    def finish(self, out: av.container.OutputContainer) -> None:
        """Encode the rest and flush the encoder."""
        self.mux_until(out, float("inf"))
        out.mux(self.stream.encode(None))
