"""An audio track given as samples (e.g. music for a generated clip): trimmed, faded, encoded on the fly.

`AudioTrack.from_file` decodes any audio PyAV reads, resamples to 48 kHz stereo float, trims it to the
clip and fades it in and out; `VideoWriter(audio=track)` then encodes it (AAC, or Opus for WebM)
interleaved with the video.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

import av
import numpy as np

from vidiff.errors import InputError
from vidiff.io.probe import VideoFile
from vidiff.io.tempo import CHUNK, RATE, Stretcher


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
            what = "not a regular file (a device, pipe or socket); give an audio file"
            what = "is a folder; give an audio file" if os.path.isdir(path) else what
            raise InputError(f"{path}: {what if os.path.exists(path) else 'no such audio file'}")
        try:
            with av.open(path) as c:
                if not c.streams.audio:
                    raise InputError(f"{path}: has no audio stream")
                res = av.AudioResampler(format="fltp", layout="stereo", rate=RATE)
                chunks, first, got = [], None, 0
                # the first `duration` seconds are all that is kept: a music track for a 5 s clip was an
                # album decoded whole (4 GB for 3 hours), twice (make_clip's check reads it too)
                enough = None if duration is None or tempo != 1.0 or start is not None else duration * RATE
                for frame in c.decode(audio=0):
                    if first is None and frame.pts is not None and frame.time_base is not None:
                        first = float(frame.pts * frame.time_base)
                    for rf in res.resample(frame):
                        chunks.append(rf.to_ndarray())
                        got += chunks[-1].shape[1]
                    if enough is not None and got > enough:
                        break
                for rf in res.resample(None):
                    chunks.append(rf.to_ndarray())
        except av.error.FFmpegError as e:
            # FFmpeg's reason alone: str(e) is "[Errno 1094995529] Invalid data ...: 'path'"
            raise InputError(f"{path}: not a readable audio file ({e.strerror or e})") from None
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
    """Planar stereo samples played `tempo` times as fast, pitch kept, in step with a picture re-timed as
    much: sound at sample k of `x` at sample k / `tempo` (within a few ms), round(n / `tempo`) samples
    long (`vidiff.io.tempo.Stretcher`)."""
    s = Stretcher(tempo)
    out = s.push(x) + s.finish()
    return np.ascontiguousarray(np.concatenate(out, axis=1)) if out else x[:, :0]


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
