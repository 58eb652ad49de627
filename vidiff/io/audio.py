"""An audio track given as samples (e.g. music for a generated clip): trimmed, faded, encoded on the fly.

`AudioTrack.from_file` decodes any audio PyAV reads, resamples to 48 kHz stereo float, trims it to the
clip and fades it in and out; `VideoWriter(audio=track)` then encodes it (AAC, or Opus for WebM)
interleaved with the video.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import av
import numpy as np

from vidiff.errors import InputError

RATE = 48000
CHUNK = 1024  # AAC frame size


@dataclass
class AudioTrack:
    """Planar float32 samples (channels, n) at `RATE` Hz, stereo."""

    samples: np.ndarray

    @property
    def duration(self) -> float:
        return self.samples.shape[1] / RATE

    @classmethod
    def from_file(
        cls,
        path: str | os.PathLike[str],
        duration: float | None = None,
        fade_in: float = 0.05,
        fade_out: float = 1.0,
    ) -> AudioTrack:
        """Decode `path`, keep its first `duration` seconds, apply linear fades (seconds)."""
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise InputError(f"{path}: no such audio file")
        try:
            with av.open(path) as c:
                if not c.streams.audio:
                    raise InputError(f"{path}: has no audio stream")
                res = av.AudioResampler(format="fltp", layout="stereo", rate=RATE)
                chunks = []
                for frame in c.decode(audio=0):
                    for rf in res.resample(frame):
                        chunks.append(rf.to_ndarray())
                for rf in res.resample(None):
                    chunks.append(rf.to_ndarray())
        except av.error.FFmpegError as e:
            raise InputError(f"{path}: not a readable audio file ({e})") from None
        if not chunks:
            raise InputError(f"{path}: audio stream has no samples")
        x = np.concatenate(chunks, axis=1).astype(np.float32)
        if duration is not None:
            x = x[:, : int(round(duration * RATE))]
        n = x.shape[1]
        for seconds, ramp_at_end in ((fade_in, False), (fade_out, True)):
            k = min(int(seconds * RATE), n // 2)
            if k > 0:
                ramp = np.linspace(0.0, 1.0, k, dtype=np.float32)
                if ramp_at_end:
                    x[:, n - k :] *= ramp[::-1]
                else:
                    x[:, :k] *= ramp
        return cls(np.ascontiguousarray(x))

    def attach(self, out: av.container.OutputContainer, fmt: str) -> _TrackEncoder:
        """Add an audio stream to `out` that the writer feeds as the video advances."""
        return _TrackEncoder(self, out, "libopus" if fmt == "webm" else "aac")


class _TrackEncoder:
    """Encodes an `AudioTrack` chunk by chunk, up to the time the video has reached."""

    def __init__(self, track: AudioTrack, out: av.container.OutputContainer, codec: str):
        self.track = track
        self.stream = out.add_stream(codec, rate=RATE)
        self.stream.layout = "stereo"
        self.pos = 0

    def mux_until(self, out: av.container.OutputContainer, t: float) -> None:
        total = self.track.samples.shape[1]
        end = total if t * RATE >= total else int(t * RATE)
        while self.pos < end:
            n = min(CHUNK, self.track.samples.shape[1] - self.pos)
            frame = av.AudioFrame.from_ndarray(
                self.track.samples[:, self.pos : self.pos + n], format="fltp", layout="stereo"
            )
            frame.sample_rate = RATE
            frame.pts = self.pos
            out.mux(self.stream.encode(frame))
            self.pos += n

    def finish(self, out: av.container.OutputContainer) -> None:
        self.mux_until(out, float("inf"))
        out.mux(self.stream.encode(None))
