"""Keyframes from a video diffusion backend for a clip of any length, and how smooth its joins are.

One model call (a window) makes a few seconds. A longer clip is made as the autoregressive scheme of the
Flexible Diffusion Model (Harvey et al. 2022) makes it: each next window is conditioned on the last
frame of the one before (image to video), that frame's repeat dropped. `plan` decides the rate, counts
and windows before anything is loaded, so an impossible request fails in one line first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from vidiff.errors import ConfigError
from vidiff.generate.backends import Backend


@dataclass(frozen=True)
class Plan:
    """What the backend is asked for: `windows` calls of `window` frames at `gen_rate`, giving `need`
    frames of which `pick` (None: all) are the `total` keyframes at `rate`."""

    rate: Fraction
    gen_rate: Fraction
    total: int
    need: int
    window: int
    windows: int
    pick: tuple[int, ...] | None
    last_window: int | None = None  # the last window's frames, when fewer (it ends on a last frame)

    @property
    def seconds_per_window(self) -> float:
        return float(self.window / self.gen_rate)


def plan(
    backend: Backend, seconds: float, keyframe_fps: float | None, frames: int | None, end: bool = False
) -> Plan:
    """The keyframes for `seconds`: at `keyframe_fps` (or the model's rate), `frames` per window (or the
    model's default; fewer for a clip shorter than one default window); `end`: the last keyframe is the
    last window's last frame (a last still: `vidiff.generate.end_frame.fit`)."""
    window = backend.window_frames(frames)
    rate = backend.rate(seconds, keyframe_fps, window)
    if keyframe_fps is not None and round(seconds * rate) < 2:  # 2 keyframes at this rate: a longer clip
        least = math.ceil(150 / seconds - 1e-9) / 100  # the rate, rounded up, that makes 2 (1.5 rounds up)
        raise ConfigError(
            f"keyframe_fps {keyframe_fps:g} gives fewer than 2 keyframes in {seconds:g} s (a clip needs 2, "
            f"which at this rate last {float(2 / rate):.3g} s): give keyframe_fps {least:g} or more, "
            "or more seconds"
        )
    total = max(2, round(seconds * rate))
    if backend.rate_conditioned or rate == backend.fps:
        gen_rate, pick = rate, None
        need = total
    else:  # the model's frames are at its own rate: the keyframes are those nearest their times
        gen_rate = backend.fps
        pick = tuple(round(k * backend.fps / rate) for k in range(total))
        need = pick[-1] + 1
    if frames is None and need <= window:
        window = backend.valid_frames(need)
    windows = 1 + math.ceil(max(0, need - window) / (window - 1))
    if windows > 1 and not backend.can_condition_on_image:
        raise ConfigError(
            f"seconds {seconds:g} needs {windows} windows of {window} frames at {float(gen_rate):g} fps "
            f"and these {backend.kind} weights cannot start a window from a frame; use seconds "
            f"{float((window - 1) / gen_rate + 1 / rate):.2f} or less, or weights that start from a frame ({backend.frame_weights})"
        )
    made = Plan(rate, gen_rate, total, need, window, windows, pick)
    if end:
        from vidiff.generate.end_frame import fit

        return fit(backend, made)
    return made


def generate(
    backend: Backend,
    p: Plan,
    prompt: str | None,
    image: np.ndarray | None,
    negative_prompt: str | None,
    size: tuple[int, int],
    steps: int,
    guidance: float,
    seed: int,
    progress: bool = False,
    on_step: Callable[[int, int], None] | None = None,
    last: np.ndarray | None = None,
    video: list[np.ndarray] | None = None,
) -> tuple[list[np.ndarray], list[int]]:
    """The keyframes (RGB uint8) and the indices where a window begins after the first (its joins).
    Window k is seeded `seed + k`; from the second on it starts from the previous window's last frame.
    `on_step(done, total)` counts the sampler's steps over all windows (a progress and cancel point);
    `last`: the last window ends on this still (a plan made with `end`); `video`: the first window starts
    on these frames (a clip's last ones: `vidiff.generate.continue_clip`)."""
    seq: list[np.ndarray] = []
    starts: list[int] = []
    cond = image
    for k in range(p.windows):
        label = f" (window {k + 1} of {p.windows})" if p.windows > 1 else ""
        count = None if on_step is None else _window_steps(on_step, k * steps, p.windows * steps)
        final = k == p.windows - 1
        made = backend.keyframes(
            prompt, cond, negative_prompt, (final and p.last_window) or p.window, size, steps, guidance,
            seed + k, p.gen_rate, progress, label, count, last if final else None, None if k else video,
        )  # fmt: skip
        if k:
            starts.append(len(seq))
            made = made[1:]  # the window's first frame repeats the frame it was started from
        seq += made
        cond = seq[-1]
    seq = seq[: p.need]
    if p.pick is None:
        return seq, [j for j in starts if j < len(seq)]
    keys = [seq[i] for i in p.pick]
    return keys, sorted({next(k for k, i in enumerate(p.pick) if i >= j) for j in starts if j <= p.pick[-1]})


def _window_steps(on_step: Callable[[int, int], None], before: int, total: int) -> Callable[[int], None]:
    """A window's step count as `on_step(done, total)` over all windows."""
    return lambda done: on_step(before + done, total)


def join_ratios(frames: list[np.ndarray], joins: list[int]) -> list[float]:
    """Flicker (mean |change|) across each join over the median flicker of the sequence's transitions:
    1.0 is a join no rougher than a typical step."""
    from vidiff.metrics.temporal import frame_diff

    if not joins:
        return []
    diffs = [frame_diff(a, b) for a, b in zip(frames, frames[1:], strict=False)]
    med = float(np.median(diffs)) or 1e-9
    return [diffs[j - 1] / med for j in joins if 0 < j < len(frames)]
