"""Bad frames of a clip: isolated black frames, short frozen repeats inside moving footage, corrupt frames.

Found on small thumbnails, streaming (`BadFrameFinder`); `vidiff infill --auto` rebuilds them and
`vidiff metrics` lists them as defects.
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from vidiff.io.probe import VideoFile
from vidiff.io.reader import VideoReader
from vidiff.timeline import frames_differ

THUMB = (96, 54)
MAX_FROZEN_RUN = 4  # a longer hold is meant (a pause), not a glitch


def _thumb(img: np.ndarray) -> np.ndarray:
    return cv2.resize(img, THUMB, interpolation=cv2.INTER_AREA).astype(np.float32)


class BadFrameFinder:
    """Streaming form of `detect_bad_frames`: `push` every frame in order, then `result()`."""

    def __init__(self) -> None:
        self.thumbs: list[np.ndarray] = []
        self.same_as_prev: list[bool] = []
        self._prev: np.ndarray | None = None

    def push(self, image: np.ndarray) -> None:
        """Add the next frame (RGB uint8)."""
        self.thumbs.append(_thumb(image))
        self.same_as_prev.append(self._prev is not None and not frames_differ(self._prev, image))
        self._prev = image

    def result(self) -> dict[int, str]:
        """Frame index -> why it is bad ('black', 'corrupt' or 'frozen'), in order."""
        thumbs, same_as_prev = self.thumbs, self.same_as_prev
        n = len(thumbs)
        bad: dict[int, str] = {}
        dark = [float(t.mean()) < 12 and float(t.std()) < 8 for t in thumbs]
        for i in range(n):
            if dark[i] and not (i > 0 and dark[i - 1]) and not (i + 1 < n and dark[i + 1]):
                bad[i] = "black"
        d = lambda a, b: float(np.abs(thumbs[a] - thumbs[b]).mean())  # noqa: E731
        for i in range(1, n - 1):
            if i in bad:
                continue
            around = d(i - 1, i + 1)
            if d(i - 1, i) > 4 * around + 5 and d(i, i + 1) > 4 * around + 5:
                bad[i] = "corrupt"
        i = 1
        while i < n:
            if same_as_prev[i]:
                j = i
                while j < n and same_as_prev[j]:
                    j += 1
                # frames i..j-1 repeat frame i-1; replace a short run inside moving footage
                moving_before = i >= 2 and not same_as_prev[i - 1]
                if j < n and j - i <= MAX_FROZEN_RUN and moving_before:
                    for k in range(i, j):
                        bad.setdefault(k, "frozen")
                i = j
            else:
                i += 1
        return dict(sorted(bad.items()))


def detect_bad_frames(path: str | os.PathLike[str] | VideoFile) -> dict[int, str]:
    """Frames to replace, with why: 'black' (an isolated near-black frame), 'frozen' (a short repeat of
    the previous frame while the picture otherwise moves), 'corrupt' (far from both neighbours while
    they agree with each other). `path` may be an open `VideoFile` (one more pass over it)."""
    finder = BadFrameFinder()
    for f in VideoReader(path):
        finder.push(f.image)
    return finder.result()
