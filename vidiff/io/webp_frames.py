"""Random access to an animated WebP's frames, for `vidiff.io.random_access.open_frames` (training).

FFmpeg as PyAV bundles it reads still WebP only, so an animated WebP in `data.clips` stopped a training
run with "1 frame(s); at least 2 are needed", and one in a footage folder was passed over without a
word. Its frames come from `vidiff.io.webp_in.AnimatedWebP` (Pillow), at the times every other door
gives them; frames asked for in order continue one decode, a frame before the last one asked for starts
it again from the first (a sticker is short). Memory: one frame and the file's bytes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from fractions import Fraction

import numpy as np

from vidiff.io.random_access import FrameLost
from vidiff.io.webp_in import AnimatedWebP


class WebPFrames:
    """`open_frames`' reader of an animated WebP: `len()`, `size`, `seconds()`, `get(indices)`, `close()`."""

    engine = "pillow"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._webp = AnimatedWebP(self.path)  # fewer than 2 frames, a size over the limit: an InputError
        self.size = (self._webp.info.width, self._webp.info.height)
        self._times = self._webp.times()
        self._frames: Iterator[tuple[Fraction, np.ndarray]] | None = None
        self._next = 0  # the index of the frame `_frames` gives next

    def __len__(self) -> int:
        return len(self._times)

    def seconds(self) -> np.ndarray:
        """Each frame's time in seconds from the first frame (VideoReader's `Frame.time`)."""
        return np.array([float(t) for t in self._times])

    def get(self, indices: Sequence[int]) -> list[np.ndarray]:
        """RGB uint8 frames at `indices` (any order, repeats allowed)."""
        for i in indices:
            if not 0 <= i < len(self):
                raise IndexError(f"{self.path}: frame {i} of {len(self)}")
        got = {i: self._frame(i) for i in sorted(set(indices))}
        return [got[i] for i in indices]

    def _frame(self, i: int) -> np.ndarray:
        if self._frames is None or i < self._next:
            self._frames, self._next = self._webp.frames(), 0
        for _, image in self._frames:
            self._next += 1
            if self._next - 1 == i:
                return image
        self._frames = None
        raise FrameLost(f"{self.path}: frame {i} did not decode")

    def close(self) -> None:
        self._frames = None
        self._webp.close()
