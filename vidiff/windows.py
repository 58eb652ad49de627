"""Windows of keyframes for interpolators that use context (the diffusion model), streaming.

Distinct source frames (keyframes) arrive one at a time. They are grouped into windows of `pairs`
consecutive pairs (the core: the pairs whose in-between frames this window makes) plus up to `context`
keyframes of the same scene on each side, at their real times in seconds. Consecutive windows overlap:
the last core keyframe of one is the first of the next, and each sees the other's edge frames as
context, so a pair at a window's edge gets the same observed frames as a pair inside one. A scene cut
ends a window and is never inside one; the pair across a cut comes as its own window with `cut=True`.
At most `pairs + 2 * context + 1` keyframes are held, whatever the clip's length.

The runner streams its clip through `plan_windows` (windows of `pairs` pairs) and the bench protocol its
kept frames (one pair a window); both fill a window with `fill_window`. A context model cuts each window
it gets into per-pair windows with `pair_windows`, every time in units of the pair's own gap, so a pair's
Δt does not depend on which other pairs shared its window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from vidiff.errors import VidiffError
from vidiff.flow import Interpolator
from vidiff.timeline import Target


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


def method_context(factory: Callable[..., Any], options: dict[str, Any]) -> int | None:
    """`window_context` of what `factory(**options)` would build (`vidiff.flow.interpolator_factory`),
    without building it where the factory can tell: a class with no `interpolate_window` takes pairs
    (None); one with a `context_of(**options)` classmethod reads it there (the diffusion model: from its
    weights' vidiff.json). Any other factory is built once to ask."""
    if isinstance(factory, type):
        if not callable(getattr(factory, "interpolate_window", None)):
            return None
        context_of = getattr(factory, "context_of", None)
        if callable(context_of):
            return max(0, int(context_of(**options) or 0))
    return window_context(factory(**options))


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
    w: Window, targets: Sequence[Target], interp: Interpolator, windowed: bool
) -> list[np.ndarray]:
    """Frames at `targets` of window `w` (from `Plan.pair` with `a` = k, an index into `w.frames`:
    frames[k].time <= target.time < frames[k + 1].time).

    A target on a keyframe is that keyframe; across a cut, the nearer side. Otherwise `windowed`
    interpolators get the whole window once (`interpolate_window`, times in seconds: the interpolator
    splits it per pair with `pair_windows`); pair interpolators get each pair with t in [0, 1].
    """
    out: list[np.ndarray | None] = [None] * len(targets)
    todo: list[int] = []
    for n, tg in enumerate(targets):
        if tg.time <= w.times[tg.a]:
            out[n] = w.frames[tg.a]
        elif w.cut:
            ta, tb = w.times[tg.a], w.times[tg.b]
            out[n] = w.frames[tg.a] if (tg.time - ta) / (tb - ta) < Fraction(1, 2) else w.frames[tg.b]
        else:
            todo.append(n)
    if todo and windowed:
        made = interp.interpolate_window(  # type: ignore[attr-defined]
            w.frames, [float(t) for t in w.times], [float(targets[n].time) for n in todo]
        )
        _check_count(interp, made, todo)
        for n, img in zip(todo, made, strict=True):
            out[n] = img
    elif todo:
        by_pair: dict[int, list[int]] = {}
        for n in todo:
            by_pair.setdefault(targets[n].a, []).append(n)
        for k, ns in by_pair.items():
            made = interp.interpolate(w.frames[k], w.frames[k + 1], [targets[n].t for n in ns])
            _check_count(interp, made, ns)
            for n, img in zip(ns, made, strict=True):
                out[n] = img
    return out  # type: ignore[return-value]


def _check_count(interp: Interpolator, made: Sequence[Any], asked: Sequence[int]) -> None:
    if len(made) != len(asked):
        name = getattr(interp, "name", type(interp).__name__)
        raise VidiffError(f"method {name!r} returned {len(made)} frames for {len(asked)} times")


@dataclass
class PairWindow:
    """One pair's own window: the pair and up to `context` observed frames each side, with every time in
    units of the pair's gap and the pair at [0, 1] (`times[a] == 0.0`, `times[a + 1] == 1.0`).

    So a pair's time differences, and a model's output for it, are the same whichever other pairs came
    in the window it was cut from (after dedupe their gaps differ). `targets` are the pair's target times
    in the same units, `positions` their places in the list the caller gave; `frames[0]` is the caller's
    `frames[start]`.
    """

    frames: list[Any]
    times: list[float]
    a: int
    targets: list[float]
    positions: list[int]
    start: int


def pair_windows(
    frames: Sequence[Any], times: Sequence[float], target_times: Sequence[float], context: int = 0
) -> list[PairWindow]:
    """Split a window (observed `frames` at sorted `times`, any unit) into one `PairWindow` per pair that
    holds a target, in the order their first targets come. A target belongs to the pair around it
    (times[j - 1] < tau <= times[j]); one before the first time or after the last to the first or
    last pair. The one builder of a context model's per-pair windows (the runner's `Window`s and the
    bench protocol's arrive here through `interpolate_window`)."""
    times = [float(t) for t in times]
    if len(times) < 2 or len(frames) != len(times):
        raise ValueError("a window needs at least two observed frames, one time each")
    by_pair: dict[int, list[int]] = {}
    for n, tau in enumerate(target_times):
        j = min(max(int(np.searchsorted(times, float(tau))), 1), len(times) - 1)  # the pair (j - 1, j)
        by_pair.setdefault(j - 1, []).append(n)
    out = []
    for a, ns in by_pair.items():
        lo, hi = max(0, a - context), min(len(times), a + 2 + context)
        ta, gap = times[a], times[a + 1] - times[a]
        out.append(
            PairWindow(
                list(frames[lo:hi]),
                [(t - ta) / gap for t in times[lo:hi]],
                a - lo,
                [(float(target_times[n]) - ta) / gap for n in ns],
                ns,
                lo,
            )
        )
    return out
