"""Random access (training's `open_frames`) to an interlaced clip's frames as `VideoReader` gives them:
deinterlaced (`vidiff.io.deinterlace`), a frame per field by default.

Random access read an interlaced clip as stored, so a model fine-tuned on a camcorder's footage learned
its combing, while every run reads it deinterlaced. bwdif makes a stored frame's fields from that frame
and the ones either side of it, so frame `j` here is made from the three stored frames around frame
`j // 2` (a frame per field) with a graph of its own: the same pixels as the whole clip's pass.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import av
import numpy as np

from vidiff.io.color import frame_to_rgb
from vidiff.io.deinterlace import Deinterlacer


@functools.lru_cache(maxsize=8)
def _rate(path: str, size: int, mtime_ns: int) -> Fraction:
    from vidiff.io.probe import probe  # (the probe reads through `vidiff.io.deinterlace`)

    return probe(path, deinterlace="off").fps


def stored_rate(path: str) -> Fraction:
    """The frame rate of `path` as stored, as the probe finds it, once per file and process: the rate
    a second field is timed by (raw DV states its 1/60000 time base as its rate)."""
    st = os.stat(path)
    return _rate(os.path.abspath(path), st.st_size, st.st_mtime_ns)


class FieldFrames:
    """`open_frames`' reader of a deinterlaced clip, over a reader of its stored frames (`base`: a
    `SeekReader`, whose `decoded(i)` gives stored frame `i` as an `av.VideoFrame`)."""

    def __init__(self, base: Any, how: str, parity: str, fps: Fraction) -> None:
        self.path, self.size, self.engine = base.path, base.size, base.engine
        self._base, self._how, self._parity, self._fps = base, how, parity, Fraction(fps)
        self.k = 2 if how == "field" else 1
        self._made: tuple[int, list[np.ndarray]] | None = None  # the last stored frame's frames
        self._stored: dict[int, av.VideoFrame] = {}  # stored frames around the last one made from

    def __len__(self) -> int:
        return len(self._base) * self.k

    def seconds(self) -> np.ndarray:
        """Each frame's time in seconds from the first (a second field's half a stored frame later)."""
        s = np.asarray(self._base.seconds(), dtype=np.float64)
        return (s[:, None] + np.arange(self.k) / (2 * float(self._fps))).ravel()

    def get(self, indices: Sequence[int]) -> list[np.ndarray]:
        """RGB uint8 frames at `indices` (any order, repeats allowed)."""
        for j in indices:
            if not 0 <= j < len(self):
                raise IndexError(f"{self.path}: frame {j} of {len(self)}")
        return [self._made_from(j // self.k)[j % self.k] for j in indices]

    def _made_from(self, i: int) -> list[np.ndarray]:
        """The frames stored frame `i` makes (bwdif: from frames i - 1, i and i + 1)."""
        if self._made is not None and self._made[0] == i:
            return self._made[1]
        lo, hi = max(0, i - 1), min(len(self._base), i + 2)
        # the stored frames kept: a window's frames in order decode each once (the base reader goes on
        # from where it stopped only for a later frame)
        self._stored = {n: f for n, f in self._stored.items() if lo <= n < hi}
        for n in range(lo, hi):
            if n not in self._stored:
                self._stored[n] = self._base.decoded(n)
        d = Deinterlacer(self._how, self.path, self._parity)
        made: list[tuple[int, int, av.VideoFrame]] = []
        for n in range(lo, hi):
            made += d.push(self._stored[n])  # (a graph takes its own reference)
        made += d.flush()
        frames = [frame_to_rgb(image) for src, _, image in made if src + lo == i]
        self._made = (i, frames)
        return frames

    def close(self) -> None:
        self._made, self._stored = None, {}
        self._base.close()


class FilmFrames:
    """`open_frames`' reader of telecined film read as its film frames (`--deinterlace film`): fieldmatch
    and the repeats dropped judge each frame by the frames around it, so frame `j` is what one pass from
    the start gives. Frames asked for in order come from one pass going on; an earlier one starts a new
    pass. Memory: the frames of one `get`."""

    def __init__(self, base: Any) -> None:
        from vidiff.io.probe import probe  # (the probe reads through `vidiff.io.deinterlace`)

        self.path, self.size, self.engine = base.path, base.size, base.engine
        self._base = base
        info = probe(self.path)
        self._n, self._fps = info.n_frames, Fraction(info.fps)
        self._pass: Any = None  # the reader's frames from where the last `get` stopped
        self._next = 0  # the index of the frame `_pass` gives next

    def __len__(self) -> int:
        return self._n

    def seconds(self) -> np.ndarray:
        """Each frame's time in seconds from the first (one film frame apart)."""
        return np.arange(self._n, dtype=np.float64) / float(self._fps)

    def get(self, indices: Sequence[int]) -> list[np.ndarray]:
        """RGB uint8 frames at `indices` (any order, repeats allowed)."""
        from vidiff.io.reader import VideoReader  # (when asked: no import cycle)

        for j in indices:
            if not 0 <= j < len(self):
                raise IndexError(f"{self.path}: frame {j} of {len(self)}")
        want = sorted(set(indices))
        if self._pass is None or want[0] < self._next:
            self._pass, self._next = iter(VideoReader(self.path)), 0
        got: dict[int, np.ndarray] = {}
        for f in self._pass:
            self._next = f.index + 1
            if f.index in want:
                got[f.index] = f.image
            if f.index >= want[-1]:
                break
        if len(got) < len(want):
            raise IndexError(f"{self.path}: frame {want[-1]} of {len(self)} did not decode")
        return [got[j] for j in indices]

    def close(self) -> None:
        self._pass = None
        self._base.close()
