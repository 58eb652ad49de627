"""Frame timestamps as vidiff reads them: one rule for the probe (which counts packets, `probe`) and the
reader (which times the decoded frames, `VideoReader`), so the two count the same frames.

A stream's stamps are put in order within a few frames (`in_order`); then (`Timeline`) a frame stamped
with the previous frame's time is a repeat, left out as ffmpeg does (kept, it put every later frame a step
late and the video past its audio), and a stamp that goes back (a reset: two clips joined, an MPEG-TS
cut) or is missing is a frame all the same, stepped on by the nominal frame duration. The probe counted
distinct stamps instead, so a clip whose stamps start again at 0 was probed as fewer frames than the
reader gave (and its second half was called repeats).
"""

from __future__ import annotations

import heapq
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction
from typing import TypeVar

T = TypeVar("T")

PULLED_FROM = (Fraction(30000, 1001), Fraction(30))  # rates soft 2:3 pulldown shows film at
REORDER = 4  # frames held back to put their stamps in order (x264's B-pyramid reorders 2-3)


def on_grid(t: Fraction, fps: Fraction, tick: Fraction) -> Fraction:
    """`t` (seconds from the first frame) moved onto the nominal frame grid k / `fps` when it lies within one
    container tick of it (at most a quarter frame), else `t` unchanged.

    A container stores times in its own unit (`tick`: 1 ms in Matroska/WebM and FLV, 1/fps in AVI), so
    20/24 s is written 0.834 s in an .mkv: each stored time is rounded by up to half a tick, a time
    measured from the (rounded) first frame by up to one. Taking such a time as exact made the same frames
    plan another frame count in another container; on the grid they plan the same. A real VFR time off the
    grid by more than the container could round it is kept as it is.
    """
    k = round(t * fps)
    grid = Fraction(k) / fps
    return grid if abs(t - grid) <= min(tick, 1 / (4 * fps)) else t


def grid_rate(stamps: list[int], tb: Fraction) -> Fraction | None:
    """The rate of a clip whose frames lie on a regular grid with some of them left out (a phone in low
    light, a screen recorder dropping frames), from its stamps in order (`tb` seconds each): one over
    the commonest step, where at least half the steps are that step and every other one is a whole
    number of them; else None (a clip with no such grid: its average rate stands). Its average rate is
    lower: a 30 fps phone clip that lost a tenth of its frames averaged 27 fps, so x2 made 54 fps."""
    steps = [b - a for a, b in zip(stamps, stamps[1:], strict=False) if b > a]
    if len(steps) < 2:
        return None
    step, count = Counter(steps).most_common(1)[0]
    if 2 * count < len(steps) or any(s % step for s in steps):
        return None
    return (1 / (step * Fraction(tb))).limit_denominator(1001 * 1000)


def in_order(
    items: Iterable[T], stamp: Callable[[T], int | None], window: int = REORDER
) -> Iterator[tuple[T, int | None]]:
    """Each item with a stamp: the items' own `stamp`s, sorted within `window` items (None stays with an
    item that has none). Decoded frames come in presentation order, their stamps need not: H.264 with
    B-frames in an .avi (which stores no pts) decodes with stamps 1, 3, 2, 4, ..., which put frames a step
    late and stretched the clip; packets come in decode order. A well-timed stream's stamps rise: each
    keeps its own.

    A stamp below one already released cannot be a reordered frame (the window would have held it back),
    nor can one equal to it and below every stamp held (a repeat follows its frame): the stamps started
    again (clips joined), so the items held are released first, in their own order, and the next run is
    sorted on its own. Sorted together, a reset mixed the two runs' stamps into false repeats (clips of 7,
    5 and 9 frames joined lost 5 frames). A run too short to release a stamp (under `window` + 1 items)
    is not told apart."""
    held: deque[tuple[T, bool]] = deque()
    stamps: list[int] = []
    last: int | None = None  # the last stamp released in this run of stamps
    for item in items:
        s = stamp(item)
        if s is not None and last is not None and (s < last or (s == last and s < stamps[0])):
            while held:
                yield _release(held, stamps)
            last = None
        held.append((item, s is not None))
        if s is not None:
            heapq.heappush(stamps, s)
        if len(held) > window:
            out = _release(held, stamps)
            last = out[1] if out[1] is not None else last
            yield out
    while held:
        yield _release(held, stamps)


def _release(held: deque[tuple[T, bool]], stamps: list[int]) -> tuple[T, int | None]:
    """The oldest held item, with the smallest stamp held (None for an item without one)."""
    item, stamped = held.popleft()
    return item, heapq.heappop(stamps) if stamped else None


def pulldown_rate(stamps: list[int], tb: Fraction, stated: Fraction | None) -> Fraction | None:
    """The film rate of a stream timed by soft 2:3 pulldown (MPEG-2's repeat_first_field, H.264's
    pic_struct: a DVD's 23.976 fps film shown as 29.97i), from its stamps in order (`tb` seconds each)
    and the rate its stream states (`stated`: 29.97 or 30): its frames are shown for three fields and two
    in turn, so frame k is stamped up to a fifth of a film frame after k film frames (4/5 of `stated`),
    not on that grid. That film rate where every stamp lies within a quarter film frame of its place and
    some off it; None otherwise (video at the stated rate, film stamped evenly, an edit or a hybrid DVD
    whose 29.97 fps parts drift off the film's grid: its times stand)."""
    if stated not in PULLED_FROM or len(stamps) < 5:
        return None
    film = stated * Fraction(4, 5)
    off = [(s - stamps[0]) * Fraction(tb) * film - k for k, s in enumerate(stamps)]  # in film frames
    if any(abs(o) > Fraction(1, 4) for o in off) or all(abs(o) <= film / 1000 for o in off):
        return None
    return film


class Timeline:
    """The times of a stream's frames, given their stamps in order (`in_order`) one at a time (`add`):
    seconds from the first frame, on the nominal grid where a container's rounding put them off it
    (`on_grid`); a repeat of the previous stamp is left out (`add` gives None, counted in `repeated`); a
    stamp that goes back, or none, is stepped on by one frame (1 / `fps`). `n` frames are kept, the last
    at `last`. Memory does not grow with the stream.

    The arithmetic is in whole `ticks` of 1 / `unit` s, a unit both the stamps (`tb`) and the frame grid
    (1 / `fps`) are whole numbers of: exact, as Fractions are, and ten times faster (a two-hour clip is
    probed in a fraction of a second more, not several)."""

    def __init__(self, tb: Fraction, fps: Fraction, pulled: bool = False) -> None:
        self.tb, self.fps = Fraction(tb), Fraction(fps)
        self.pulled = pulled  # soft pulldown's times (`pulldown_rate`): on the grid within a quarter frame
        self.unit = self.tb.denominator * self.fps.numerator
        self._pts_ticks = self.tb.numerator * self.fps.numerator  # a stamp's ticks, and a container tick's
        self.step = self.fps.denominator * self.tb.denominator  # a frame's ticks
        self.t0: int | None = None  # ticks
        self.last_ticks = -self.unit  # the last frame's time (-1 s before the first)
        self.n = self.repeated = 0
        self._prev: int | None = None  # the stamp of the last frame kept

    @property
    def last(self) -> Fraction:
        """The last kept frame's time (seconds from the first frame; -1 before the first)."""
        return Fraction(self.last_ticks, self.unit)

    def add(self, pts: int | None) -> Fraction | None:
        """The next frame's time (seconds), or None when its stamp repeats the previous frame's (left out)."""
        t = self.add_ticks(pts)
        return None if t is None else Fraction(t, self.unit)

    def add_ticks(self, pts: int | None) -> int | None:
        """`add`, the time in ticks (1 / `unit` s)."""
        if pts is not None and pts == self._prev:
            self.repeated += 1
            return None
        t = (self.last_ticks + self.step if self.n else 0) if pts is None else pts * self._pts_ticks
        if self.t0 is None:
            self.t0 = t
        t = self._on_grid(t - self.t0)  # a container's rounding (ms in .mkv) is not motion
        if t <= self.last_ticks:  # a stamp that goes back (a reset): keep the order, step by a frame
            t = self.last_ticks + self.step
        self.last_ticks = t
        self.n += 1
        self._prev = pts
        return t

    def _on_grid(self, t: int) -> int:
        """`on_grid` in ticks: the nearest frame time (halves to even, as round() does) where `t` is within a
        container tick and a quarter frame of it."""
        k, r = divmod(t, self.step)
        if 2 * r > self.step or (2 * r == self.step and k % 2):
            k += 1
        off = abs(t - k * self.step)
        return k * self.step if (self.pulled or off <= self._pts_ticks) and 4 * off <= self.step else t
