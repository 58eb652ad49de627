"""An audio track given as samples (e.g. music for a generated clip): trimmed, faded, encoded on the fly.

`AudioTrack.from_file` decodes any audio PyAV reads, resamples to 48 kHz stereo float, trims it to the
clip and fades it in and out; `VideoWriter(audio=track)` then encodes it (AAC, or Opus for WebM)
interleaved with the video.
"""

from __future__ import annotations

import functools
import math
import os
import sys
from dataclasses import dataclass
from typing import Any

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
        start: float | None = None,
    ) -> AudioTrack:
        """Decode `source` (a path, or a `VideoFile`: its path), change its speed by `tempo` (pitch kept;
        0.25 = 4x slower), keep its first `duration` seconds, apply linear fades (seconds).

        The file is opened here, on its own: a `VideoFile`'s pass starts with a seek to 0, which drops the
        packets stamped before 0 (the AAC priming of an .mkv FFmpeg wrote), and the decoder then took the
        first real packet for its priming: the track lost its first 1024 samples and ran that much early.
        `start` (seconds of the source, e.g. its video's first frame) is the track's time 0: audio before
        it is cut and audio that starts after it is led by silence, so a track slowed beside the video
        keeps the source's A/V offset (stretched with it); None: the audio's own first sample."""
        path = source.path if isinstance(source, VideoFile) else os.fspath(source)
        if not os.path.isfile(path):
            raise InputError(f"{path}: no such audio file")
        try:
            with av.open(path) as c:
                if not c.streams.audio:
                    raise InputError(f"{path}: has no audio stream")
                res = av.AudioResampler(format="fltp", layout="stereo", rate=RATE)
                chunks, first = [], None
                for frame in c.decode(audio=0):
                    if first is None and frame.pts is not None and frame.time_base is not None:
                        first = float(frame.pts * frame.time_base)
                    for rf in res.resample(frame):
                        chunks.append(rf.to_ndarray())
                for rf in res.resample(None):
                    chunks.append(rf.to_ndarray())
        except av.error.FFmpegError as e:
            raise InputError(f"{path}: not a readable audio file ({e})") from None
        if not chunks:
            raise InputError(f"{path}: audio stream has no samples")
        x = np.concatenate(chunks, axis=1).astype(np.float32)
        if start is not None and first is not None:
            x = _from(x, round((first - start) * RATE))
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


def note_slowed(path: str, streams: list[Any]) -> None:
    """One note line when slowing the audio of `path` loses some of it: only the first of its audio
    `streams` (`vidiff.io.probe.AudioInfo`) is slowed, into stereo (`AudioTrack`)."""
    lost = []
    if len(streams) > 1:
        rest = ", ".join(f"#{a.index}" for a in streams[1:])
        lost.append(f"audio stream{'s' if len(streams) > 2 else ''} {rest} left out")
    if streams and streams[0].channels > 2:
        lost.append(f"its {streams[0].channels} channels mixed to stereo")
    if lost:
        print(
            f"note: {path}: slowed audio is the first audio stream, in stereo ({'; '.join(lost)})",
            file=sys.stderr,
            flush=True,
        )


def _from(x: np.ndarray, lead: int) -> np.ndarray:
    """Planar samples that start `lead` samples after time 0 (before it, if negative), from time 0: led by
    silence, or cut."""
    if lead > 0:
        return np.concatenate([np.zeros((x.shape[0], lead), x.dtype), x], axis=1)
    return x[:, -lead:]


def change_tempo(x: np.ndarray, tempo: float) -> np.ndarray:
    """Planar stereo samples played `tempo` times as fast, pitch kept (FFmpeg's atempo filter, chained
    since one atempo takes 0.5-2.0), in step with a picture sped up as much: sound at sample k of `x` at
    sample k / `tempo` (within a few ms), and round(n / `tempo`) samples long.

    atempo's output runs early by a fixed span that depends on the tempo (17.5 ms at 0.5, 43.5 ms at 0.25
    through two atempos; a 4.8k-sample burst's centre, 5 places in 3 s) and ends short of n / tempo (56 ms
    and 168 ms short for 3 s): a 4x slow-motion track led the picture by 44 ms at its start, 0.17 s at its
    end, and the sound before that span was lost. The span is measured once per tempo on a burst
    (`_atempo_lead`); the input is led by silence and the output cut so that sound lands where it belongs,
    and its end padded with silence (or cut) to the exact length."""
    steps = _tempo_steps(tempo)
    lead = _atempo_lead(tuple(steps))
    # atempo loses what it would put before 0: the input is led by silence that comes out longer than that
    pad = max(CHUNK, math.ceil(abs(lead) * tempo) + CHUNK)
    y = _atempo(_from(x, pad), steps)
    y = _from(y, lead - round(pad / tempo))
    n = round(x.shape[1] / tempo)
    if y.shape[1] < n:
        y = np.concatenate([y, np.zeros((y.shape[0], n - y.shape[1]), y.dtype)], axis=1)
    return np.ascontiguousarray(y[:, :n])


def _tempo_steps(tempo: float) -> list[float]:
    """The atempo factors (each 0.5-2.0) whose product is `tempo`."""
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
    return steps


@functools.lru_cache(maxsize=16)
def _atempo_lead(steps: tuple[float, ...]) -> int:
    """How many samples early a chain of atempo `steps` puts its output: where the centre of a smooth
    burst lands, against where it belongs."""
    at, n = RATE // 2, RATE // 10
    x = np.zeros((2, 3 * RATE // 2), np.float32)
    x[:, at : at + n] = 0.3 * np.sin(np.arange(n) * 0.2) * np.hanning(n)
    e = np.abs(_atempo(x, list(steps))[0]).astype(np.float64)
    if e.sum() == 0:
        return 0
    centre = float((e * np.arange(e.size)).sum() / e.sum())
    return round((at + n / 2) / math.prod(steps) - centre)


def _atempo(x: np.ndarray, steps: list[float]) -> np.ndarray:
    """`x` through a chain of FFmpeg atempo filters of `steps` (as they give it: early and short)."""
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
