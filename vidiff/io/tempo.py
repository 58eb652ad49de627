"""Audio played faster or slower with its pitch kept, in step with a picture re-timed as much, streamed.

FFmpeg's atempo filter (chained: one takes 0.5-2.0) does the stretching. Alone, its output runs early by a
fixed span that depends on the tempo (a burst's centre 17.5 ms early at 0.5, 43.5 ms at 0.25 through two
atempos; 4.8k-sample bursts at 5 places in 3 s), loses the sound before that span, and ends short of
n / tempo (56 ms and 168 ms short for 3 s): a 4x slow-motion track led the picture by 44 ms at its start
and 0.17 s at its end. `Stretcher` measures that span once per tempo on a burst (`atempo_lead`), leads
the input with silence and cuts as much from the output, so that sound at input sample k comes out at
k / tempo (a burst's centre within 9 ms at tempos 0.125-8, 4 ms at 0.25-2), and pads or cuts the end to
round(n / tempo) samples. It takes and gives planar stereo float32 at `RATE`, chunk by chunk: memory stays
flat however long the track.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator

import av
import numpy as np

RATE = 48000
CHUNK = 1024  # samples pushed into the filter at a time (and an AAC frame)


def tempo_steps(tempo: float) -> list[float]:
    """The atempo factors (each 0.5-2.0) whose product is `tempo` (1/64 to 64)."""
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


class _Atempo:
    """A chain of FFmpeg atempo filters of `steps`, fed and drained chunk by chunk (early and short)."""

    def __init__(self, steps: list[float]) -> None:
        self.graph = av.filter.Graph()
        node = self.graph.add_abuffer(format="fltp", sample_rate=RATE, layout="stereo", time_base=f"1/{RATE}")
        self.src = node
        for f in steps:
            nxt = self.graph.add("atempo", f"{f:.6f}")
            node.link_to(nxt)
            node = nxt
        fmt = self.graph.add("aformat", "sample_fmts=fltp:channel_layouts=stereo")
        sink = self.graph.add("abuffersink")
        node.link_to(fmt)
        fmt.link_to(sink)
        self.graph.configure()
        self.pts = 0

    def push(self, x: np.ndarray) -> list[np.ndarray]:
        """Feed planar stereo samples; what the chain gives back so far."""
        out: list[np.ndarray] = []
        for i in range(0, x.shape[1], CHUNK):
            fr = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(x[:, i : i + CHUNK], np.float32), format="fltp", layout="stereo"
            )
            fr.sample_rate, fr.pts = RATE, self.pts
            self.pts += fr.samples
            self.src.push(fr)
            out += self._drain()
        return out

    def finish(self) -> list[np.ndarray]:
        """The rest, once the input has ended."""
        self.src.push(None)
        return self._drain()

    def _drain(self) -> list[np.ndarray]:
        out = []
        while True:
            try:
                out.append(self.graph.pull().to_ndarray())
            except (av.BlockingIOError, av.error.EOFError):
                return out


@functools.lru_cache(maxsize=16)
def atempo_lead(steps: tuple[float, ...]) -> int:
    """How many samples early a chain of atempo `steps` puts its output: where the centre of a smooth
    burst lands, against where it belongs."""
    at, n = RATE // 2, RATE // 10
    x = np.zeros((2, 3 * RATE // 2), np.float32)
    x[:, at : at + n] = 0.3 * np.sin(np.arange(n) * 0.2) * np.hanning(n)
    chain = _Atempo(list(steps))
    y = chain.push(x) + chain.finish()
    e = np.abs(np.concatenate(y, axis=1)[0]).astype(np.float64) if y else np.zeros(1)
    if e.sum() == 0:
        return 0
    centre = float((e * np.arange(e.size)).sum() / e.sum())
    return round((at + n / 2) / math.prod(steps) - centre)


class Stretcher:
    """Planar stereo samples at `RATE` played `tempo` times as fast, pitch kept, in step (module docstring):
    `push` chunks, then `finish`; each gives the output samples ready so far."""

    def __init__(self, tempo: float) -> None:
        self.tempo = tempo
        steps = tempo_steps(tempo)
        self.chain = _Atempo(steps)
        lead = atempo_lead(tuple(steps))
        # atempo loses what it would put before 0: the input is led by silence that comes out longer
        pad = max(CHUNK, math.ceil(abs(lead) * tempo) + CHUNK)
        self.skip = round(pad / tempo) - lead  # output samples to drop (negative: silence to add)
        self.n_in = self.n_out = 0
        self._first = self.chain.push(np.zeros((2, pad), np.float32))

    def push(self, x: np.ndarray) -> list[np.ndarray]:
        """Feed planar stereo samples; the output ready so far."""
        self.n_in += x.shape[1]
        return self._emit(self.chain.push(x))

    def finish(self) -> list[np.ndarray]:
        """The rest of the output: round(n / tempo) samples in all, n those pushed."""
        total = round(self.n_in / self.tempo)
        out = self._emit(self.chain.finish(), total)
        if self.n_out < total:
            out.append(np.zeros((2, total - self.n_out), np.float32))
            self.n_out = total
        return out

    def _emit(self, ys: list[np.ndarray], limit: int | None = None) -> list[np.ndarray]:
        """Output chunks less the samples to skip at the start, up to `limit` samples in all."""
        if self._first is not None:
            ys, self._first = self._first + ys, None
            if self.skip < 0:
                ys.insert(0, np.zeros((2, -self.skip), np.float32))
                self.skip = 0
        out = []
        for y in ys:
            if self.skip:
                k = min(self.skip, y.shape[1])
                y, self.skip = y[:, k:], self.skip - k
            if limit is not None and self.n_out + y.shape[1] > limit:
                y = y[:, : max(0, limit - self.n_out)]
            if y.shape[1]:
                out.append(np.ascontiguousarray(y, np.float32))
                self.n_out += y.shape[1]
        return out


def stretch(chunks: Iterator[np.ndarray], tempo: float) -> Iterator[np.ndarray]:
    """The chunks of planar stereo samples played `tempo` times as fast (`Stretcher`), as they come."""
    s = Stretcher(tempo)
    for x in chunks:
        yield from s.push(x)
    yield from s.finish()
