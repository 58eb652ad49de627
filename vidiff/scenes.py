"""Scene-cut detection on small thumbnails, streaming (one frame of state).

A cut is a frame whose thumbnail differs from the previous one by far more than both an absolute
threshold and the recent typical change, the rule of content-based detectors such as PySceneDetect's
AdaptiveDetector, written here in a few lines because it must run inside vidiff's streaming loop and
share its decoded frames. Calibrated on bikes.mp4: its five hard cuts score 19-31, its fastest motion
8.8, static footage under 2 (mean absolute YCrCb difference of 64x36 thumbnails, 0-255 units);
its cut at frame 76 follows fast motion scoring 7.5, hence a ratio of 2.5 to the recent median.
"""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

THUMB_SIZE = (64, 36)


def thumbnail(image: np.ndarray) -> np.ndarray:
    """A 64x36 YCrCb float32 thumbnail (area-averaged) of an RGB uint8 frame."""
    small = cv2.resize(image, THUMB_SIZE, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_RGB2YCrCb).astype(np.float32)


class SceneDetector:
    """Feed frames in order with `push(image)`; it returns True when that frame starts a new scene."""

    def __init__(self, threshold: float = 12.0, ratio: float = 2.5, history: int = 16):
        self.threshold = threshold
        self.ratio = ratio
        self._scores: deque[float] = deque(maxlen=history)
        self._prev: np.ndarray | None = None

    def push(self, image: np.ndarray) -> bool:
        """True if `image` is the first frame after a cut (never for the first frame pushed)."""
        th = thumbnail(image)
        prev, self._prev = self._prev, th
        if prev is None:
            return False
        score = float(np.mean(np.abs(th - prev)))
        typical = float(np.median(self._scores)) if self._scores else 0.0
        cut = score > self.threshold and score > self.ratio * max(typical, 1.0)
        if not cut:  # a cut's score would inflate the typical change of the next scene
            self._scores.append(score)
        return cut


def detect_cuts(images: list[np.ndarray], **kwargs: float) -> list[int]:
    """Indices of frames that start a new scene (batch form of `SceneDetector`)."""
    det = SceneDetector(**kwargs)
    return [i for i, im in enumerate(images) if det.push(im)]
