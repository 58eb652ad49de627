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
from vidiff.io.probe import VideoFile

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
        source: str | os.PathLike[str] | VideoFile,
        duration: float | None = None,
        fade_in: float = 0.05,
        fade_out: float = 1.0,
        tempo: float = 1.0,
    ) -> AudioTrack:
        """Decode `source` (a path, or an open `VideoFile`: one more pass over it), change its speed by
        `tempo` (pitch kept; 0.25 = 4x slower), keep its first `duration` seconds, apply linear fades
        (seconds)."""
        path = source.path if isinstance(source, VideoFile) else os.fspath(source)
        if not isinstance(source, VideoFile) and not os.path.isfile(path):
            raise InputError(f"{path}: no such audio file")
        try:
            with source.reading() if isinstance(source, VideoFile) else av.open(path) as c:
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
        if tempo != 1.0:
            x = change_tempo(x, tempo)
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


def change_tempo(x: np.ndarray, tempo: float) -> np.ndarray:
    """Planar stereo samples played `tempo` times as fast, pitch kept (FFmpeg's atempo filter, chained
    since one atempo takes 0.5-2.0)."""
    if not 1 / 64 <= tempo <= 64:
        raise ValueError(f"tempo {tempo} out of range")
    steps, rest = [], tempo
    while rest < 0.5:
        steps.append(0.5)
        rest /= 0.5
    while rest > 2.0:
        steps.append(2.0)
        rest /= 2.0
    steps.append(rest)
    g = av.filter.Graph()
    node = g.add_abuffer(format="fltp", sample_rate=RATE, layout="stereo", time_base=f"1/{RATE}")
    first = node
    for f in steps:
        nxt = g.add("atempo", f"{f:.6f}")
        node.link_to(nxt)
        node = nxt
    fmt = g.add("aformat", "sample_fmts=fltp:channel_layouts=stereo")
    sink = g.add("abuffersink")
    node.link_to(fmt)
    fmt.link_to(sink)
    g.configure()
    out = []

    def drain() -> None:
        while True:
            try:
                out.append(g.pull().to_ndarray())
            except (av.BlockingIOError, av.error.EOFError):
                return

    for i in range(0, x.shape[1], CHUNK):
        fr = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(x[:, i : i + CHUNK]), format="fltp", layout="stereo"
        )
        fr.sample_rate, fr.pts = RATE, i
        first.push(fr)
        drain()
    first.push(None)
    drain()
    return np.ascontiguousarray(np.concatenate(out, axis=1).astype(np.float32)) if out else x[:, :0]


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
