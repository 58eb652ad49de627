"""Frames at their own times written at a constant rate: each one repeated until the next one is due.

`infill` writes the frames it keeps and rebuilds, one a source frame, at the clip's rate: a
variable-rate clip (a screen recording that sends a frame when the screen changes, a GIF's long delay)
came out shorter than its source, its pictures early against its audio (frames at 0, 0.1, 0.2, 0.6,
0.7 and 0.8 s: 0.6 s of video beside 0.9 s of audio). A frame is now written at the output slot
nearest its time, the one before it repeated to fill the slots between (never fewer than one slot a
frame: none is dropped), and the last repeated up to the clip's end (`vidiff.io.tail.clip_end`).
A constant-rate clip's frames each get one slot: the same frames as before.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np


class ConstantRate:
    """Writes frames given with their times (seconds from the first) to `writer` (anything with
    `write(image)`) at `fps`, each repeated until the next one's slot; `finish(end)` fills up to `end`."""

    def __init__(self, writer: Any, fps: Fraction) -> None:
        self.writer, self.fps = writer, Fraction(fps)
        self.slots = 0  # output frames written
        self.last: np.ndarray | None = None
        self.last_time: Fraction | None = None

    def write_at(self, time: Fraction, image: np.ndarray) -> None:
        """Write `image`, shown from `time`: the previous frame repeated up to `time`'s slot first."""
        self._fill(round(time * self.fps))
        self.writer.write(image)
        self.slots += 1
        self.last, self.last_time = image, time

    def finish(self, end: Fraction) -> None:
        """Repeat the last frame up to `end` (seconds: where the clip stops showing it)."""
        self._fill(round(end * self.fps))

    def _fill(self, slot: int) -> None:
        while self.last is not None and self.slots < slot:
            self.writer.write(self.last)
            self.slots += 1
