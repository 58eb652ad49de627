"""Windows of keyframes for interpolators that use context (the diffusion model), streaming.

Distinct source frames (keyframes) arrive one at a time. They are grouped into windows of `pairs`
consecutive pairs (the core: the pairs whose in-between frames this window makes) plus up to `context`
keyframes of the same scene on each side, at their real times in seconds. Consecutive windows overlap:
the last core keyframe of one is the first of the next, and each sees the other's edge frames as
context, so a pair at a window's edge gets the same observed frames as a pair inside one. A scene cut
ends a window and is never inside one; the pair across a cut comes as its own window with `cut=True`.
At most `pairs + 2 * context + 1` keyframes are held, whatever the clip's length.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from vidiff.flow import Interpolator


@dataclass
class Window:
    """Observed keyframes `frames` at `times` (seconds): context + core + context.

    The core keyframes are `frames[lo : hi + 1]`; the window makes the frames between `frames[lo]` and
    `frames[hi]`. `cut` marks the single pair across a scene cut (nothing is interpolated there).
    """

    frames: list[np.ndarray]
    times: list[Fraction]
    lo: int
    hi: int
    cut: bool = False


def window_context(interp: Interpolator) -> int | None:
    """Context frames per side the interpolator wants, or None if it only takes pairs (`interpolate`)."""
    if callable(getattr(interp, "interpolate_window", None)):
        return max(0, int(getattr(interp, "context", 0) or 0))
    return None


def plan_windows(keyframes: Iterable[Any], pairs: int = 8, context: int = 0) -> Iterator[Window]:
    """Group a stream of keyframes (objects with `.frame.image`, `.frame.time`, `.cut`) into windows."""
    if pairs < 1:
        raise ValueError("a window needs at least one pair")
    buf: list[Any] = []  # the current scene's keyframes, from `context` before the next window on
    s = 0  # index in buf of the next window's first core keyframe

    def make(b: list[Any], lo: int, hi: int) -> Window:
        left, right = max(0, lo - context), min(len(b), hi + 1 + context)
        part = b[left:right]
        return Window([k.frame.image for k in part], [k.frame.time for k in part], lo - left, hi - left)

    for kf in keyframes:
        if kf.cut and buf:
            while s < len(buf) - 1:  # the rest of the scene, with no context past its end
                e = min(s + pairs, len(buf) - 1)
                yield make(buf, s, e)
                s = e
            last = buf[-1].frame
            yield Window([last.image, kf.frame.image], [last.time, kf.frame.time], 0, 1, cut=True)
            buf, s = [kf], 0
            continue
        buf.append(kf)
        while len(buf) - 1 - s >= pairs + context:
            yield make(buf, s, s + pairs)
            s += pairs
            drop = max(0, s - context)
            del buf[:drop]
            s -= drop
    while s < len(buf) - 1:
        e = min(s + pairs, len(buf) - 1)
        yield make(buf, s, e)
        s = e


def fill_window(
    w: Window, targets: Sequence[tuple[int, Fraction]], interp: Interpolator, windowed: bool
) -> list[np.ndarray]:
    """Frames at `targets` — (k, time) with frames[k].time <= time < frames[k + 1].time — of window `w`.

    A target on a keyframe is that keyframe; across a cut, the nearer side. Otherwise `windowed`
    interpolators get the whole window once (`interpolate_window`, times in seconds); pair interpolators
    get each pair with t in [0, 1].
    """
    out: list[np.ndarray | None] = [None] * len(targets)
    todo: list[int] = []
    for n, (k, t) in enumerate(targets):
        ta, tb = w.times[k], w.times[k + 1]
        if t <= ta:
            out[n] = w.frames[k]
        elif w.cut:
            out[n] = w.frames[k] if (t - ta) / (tb - ta) < Fraction(1, 2) else w.frames[k + 1]
        else:
            todo.append(n)
    if todo and windowed:
        made = interp.interpolate_window(  # type: ignore[attr-defined]
            w.frames, [float(t) for t in w.times], [float(targets[n][1]) for n in todo]
        )
        for n, img in zip(todo, made, strict=True):
            out[n] = img
    elif todo:
        by_pair: dict[int, list[int]] = {}
        for n in todo:
            by_pair.setdefault(targets[n][0], []).append(n)
        for k, ns in by_pair.items():
            ta, tb = w.times[k], w.times[k + 1]
            ts = [float((targets[n][1] - ta) / (tb - ta)) for n in ns]
            for n, img in zip(ns, interp.interpolate(w.frames[k], w.frames[k + 1], ts), strict=True):
                out[n] = img
    return out  # type: ignore[return-value]
