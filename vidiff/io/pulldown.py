"""The repeated frame of each 2:3 pulldown cycle dropped, in the cadence's own phase.

After fieldmatch, telecined film holds each film frame once, except one frame in five repeated. FFmpeg's
decimate drops one frame of each five counted from the first stored frame: film cut mid-cadence (an
edit, a clip cut from a broadcast) whose first frame is the second copy of a film frame lost a film frame
in its first five (no repeat there to drop), and a short last cycle kept its repeat. `Decimator` takes
the cadence's phase (where the repeats fall: `phase_from`, over a file's first `LOOK` moving frames, a
still title skipped) and drops, in each window of five centred on a repeat's place, that frame, or one
beside it clearly more like the one before (a cadence broken by an edit): none where that place is the
first frame (its original was cut) or past the end. `kept` counts the frames it gives, for the probe.
Limit: one phase a file. An edit that shifts the cadence within its first moving second can leave the
phase between the two: a repeat kept at the start and a film frame lost at the edit (decimate's fixed
cycles, too, kept a repeat or lost a frame at such an edit).
"""

from __future__ import annotations

from collections.abc import Iterable

import av
import numpy as np

CYCLE = 5  # stored frames of one 2:3 pulldown cycle (four film frames)
LOOK = 5 * CYCLE  # frames looked at to find the cadence's phase (moving ones, where a file is scanned)
SCAN = 250  # frames a file's scan looks at, at most (`phase_from`)
BLOCK = 16  # side of the blocks whose mean difference is compared (the largest one counts)
MOVING = 2.0  # `difference` (0-255) of a frame's neighbours from which its own tells the phase
ALIKE = 1.0  # `difference` within which the frame at a repeat's place is dropped before one beside it
UNSEEN = 2  # the phase where no frame moves: windows of five from the first frame, as decimate's cycles


def difference(a: np.ndarray, b: np.ndarray) -> float:
    """How unlike two luma planes are: the largest mean |difference| of their `BLOCK`-pixel blocks
    (small local motion is not drowned by a still background)."""
    d = np.abs(a.astype(np.int16) - b.astype(np.int16)).astype(np.float32)
    h, w = (d.shape[0] // BLOCK) * BLOCK or d.shape[0], (d.shape[1] // BLOCK) * BLOCK or d.shape[1]
    d = d[:h, :w]
    bh, bw = min(BLOCK, h), min(BLOCK, w)
    blocks = d[: h // bh * bh, : w // bw * bw].reshape(h // bh, bh, w // bw, bw).mean(axis=(1, 3))
    return float(blocks.max())


def phase_of(diffs: list[float]) -> int:
    """Where the repeats fall (index mod `CYCLE`) among frames whose differences from the frame before
    are `diffs` (the first: none, `inf`): the place whose frames are least unlike their moving
    neighbours; where none move (a still title), decimate's (cycles of five from the first frame)."""
    eps = 1e-3
    best, score = UNSEEN, float("inf")
    for r in range(CYCLE):
        vals = []
        for i in range(r or CYCLE, len(diffs), CYCLE):
            near = [diffs[j] for j in range(max(1, i - 2), min(len(diffs), i + 3)) if j != i]
            if near and float(np.median(near)) >= MOVING:
                vals.append((diffs[i] + eps) / (float(np.median(near)) + eps))
        if vals and float(np.mean(vals)) < score:
            best, score = r, float(np.mean(vals))
    return best


def phase_from(frames: Iterable[av.VideoFrame]) -> int:
    """`phase_of` the first of `frames` (after fieldmatch) that move: up to `SCAN` looked at, ending
    once `LOOK` have moving neighbours (a still title first says nothing of the cadence)."""
    diffs: list[float] = []
    last, moving = None, 0
    for frame in frames:
        luma = frame.reformat(format="gray").to_ndarray()
        diffs.append(float("inf") if last is None else difference(last, luma))
        last = luma
        moving += len(diffs) > 1 and diffs[-1] >= MOVING
        if moving >= LOOK or len(diffs) >= SCAN:
            break
    return phase_of(diffs)


def kept(n: int, phase: int) -> int:
    """How many of `n` frames `Decimator` gives at `phase`: one dropped for each repeat's place from
    the second frame to the last."""
    places = range(phase or CYCLE, n, CYCLE)
    return n - len(places)


class Decimator:
    """Frames `push`ed (after fieldmatch) given back with one of each cycle dropped (`kept` of them),
    in order; `flush` at the end. Memory: `LOOK` frames at the start, a window of five after."""

    def __init__(self, phase: int | None = None) -> None:
        self._frames: list[av.VideoFrame] = []  # from frame `_base` on, not yet given
        self._diffs: list[float] = []  # every frame's difference from the one before
        self._base = 0
        self._last: np.ndarray | None = None
        self.phase = phase  # (None: found over the first `LOOK` frames pushed)

    def push(self, frame: av.VideoFrame) -> list[av.VideoFrame]:
        """The frames decided once `frame` is in."""
        luma = frame.reformat(format="gray").to_ndarray()
        self._diffs.append(float("inf") if self._last is None else difference(self._last, luma))
        self._last = luma
        self._frames.append(frame)
        if self.phase is None:
            if len(self._diffs) < LOOK:
                return []
            self.phase = phase_of(self._diffs)
        return self._give(final=False)

    def flush(self) -> list[av.VideoFrame]:
        """The frames still held."""
        if self.phase is None:
            self.phase = phase_of(self._diffs)
        return self._give(final=True)

    def _give(self, final: bool) -> list[av.VideoFrame]:
        assert self.phase is not None
        n, out = len(self._diffs), []
        while self._frames:
            # the window holding frame `_base`: centred on a repeat's place `c`
            c = self._base - ((self._base - self.phase + 2) % CYCLE) + 2
            end = min(c + 3, n)
            if not final and c + 3 > n:
                break
            idx = range(self._base, end)
            drop = None
            if 1 <= c < n:  # the repeat's place, unless a frame beside it is clearly more alike
                drop = min((i for i in idx if i >= 1), key=lambda i: self._diffs[i])
                drop = c if self._diffs[c] <= self._diffs[drop] + ALIKE else drop
            out += [self._frames[i - self._base] for i in idx if i != drop]
            self._frames = self._frames[end - self._base :]
            self._base = end
        return out
