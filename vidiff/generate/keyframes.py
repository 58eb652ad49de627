"""Keyframes from a video diffusion backend for a clip of any length, and how smooth its joins are.

One model call (a window) makes a few seconds. A longer clip is made as the autoregressive scheme of the
Flexible Diffusion Model (Harvey et al. 2022) makes it: each next window is conditioned on the last frames
of the one before, their remakes dropped. Where the pipeline takes a video condition (LTX-Video 0.9.5+'s
`LTXConditionPipeline`, Wan VACE) it starts on the previous window's last `CARRY_FRAMES` frames, so the
motion carries across the join, as ComfyUI's LTX "extend" and Wan VACE extend-video workflows chain
windows; else on its last frame (image to video). `plan` decides the rate, counts and windows before
anything is loaded, so an impossible request fails in one line first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from vidiff.errors import ConfigError
from vidiff.generate.backends import Backend

# frames a window starts on where its pipeline takes a video condition: a clip's last ones
# (`vidiff.generate.continue_clip`) or the window before's (LTX-Video: 8k+1, 9 = two of its VAE's latent
# frames; Wan VACE: 4k+1)
CARRY_FRAMES = 9


def carried(backend: Backend, window: int, most: int = CARRY_FRAMES) -> int:
    """How many frames a window of `window` starts on when it continues frames before it: up to `most`, in
    counts of `frame_step`k+1 that leave it k frames to make, where the pipeline takes a video condition
    (`Backend.takes_video`); else 1 (the last frame, image to video)."""
    if not backend.takes_video:
        return 1
    k = backend.frame_step
    return max(1, (min(most, window - k) - 1) // k * k + 1)


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
    carry: int = 1  # the frames a later window starts on, the window before's last (`carried`)
    lead: int = 1  # the first keyframes are a clip's last frames remade, at `gen_rate` (`continue_clip`)

    @property
    def seconds_per_window(self) -> float:
        return float(self.window / self.gen_rate)


def model_rate(backend: Backend, rate: Fraction) -> Fraction:
    """The rate the model makes its frames at for keyframes at `rate`: `rate` where it is told the rate
    (`rate_conditioned`) or makes frames at it, else its own (the keyframes then picked from its frames)."""
    return rate if backend.rate_conditioned or rate == backend.fps else backend.fps


def picked(step: Fraction, total: int, lead: int = 1) -> tuple[int, ...]:
    """The model's frames (`step` of them a keyframe interval) that are the `total` keyframes: the first
    `lead` (a clip's last frames, remade at the model's rate: `continue_clip`) each, then every `step`th
    frame from the last of them."""
    return (*range(lead - 1), *(lead - 1 + round(k * step) for k in range(total - lead + 1)))


def windows_for(need: int, window: int, carry: int) -> int:
    """Windows of `window` frames that make `need`, each later one adding `window - carry`."""
    return 1 + math.ceil(max(0, need - window) / (window - carry))


def plan(
    backend: Backend,
    seconds: float,
    keyframe_fps: float | None,
    frames: int | None,
    end: bool = False,
    lead: int = 1,
) -> Plan:
    """The keyframes for `seconds`: at `keyframe_fps` (or the model's rate), `frames` per window (or the
    model's default; fewer for a clip shorter than one default window); `end`: the last keyframe is the
    last window's last frame (a last still: `vidiff.generate.end_frame.fit`); `lead`: the first keyframes
    are a clip's last frames at the model's rate (`continue_clip.ClipTail.fit`)."""
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
    gen_rate = model_rate(backend, rate)
    pick = None if gen_rate == rate else picked(gen_rate / rate, total, lead)  # those nearest their times
    need = total if pick is None else pick[-1] + 1
    if frames is None and need <= window:
        window = backend.valid_frames(need)
    carry = carried(backend, window)
    windows = windows_for(need, window, carry)
    if windows > 1 and not backend.can_condition_on_image:
        raise ConfigError(
            f"seconds {seconds:g} needs {windows} windows of {window} frames at {float(gen_rate):g} fps "
            f"and these {backend.kind} weights cannot start a window from a frame; use seconds "
            f"{float((window - 1) / gen_rate + 1 / rate):.2f} or less, or weights that start from a frame ({backend.frame_weights})"
        )
    made = Plan(rate, gen_rate, total, need, window, windows, pick, carry=carry, lead=lead)
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
    reference: np.ndarray | None = None,
) -> tuple[list[np.ndarray], list[int]]:
    """The keyframes (RGB uint8) and the indices where a window begins after the first (its joins).
    Window k is seeded `seed + k`; from the second on it starts on the previous window's last `p.carry`
    frames (one: image to video; more: a video condition), and its remakes of them are dropped.
    `on_step(done, total)` counts the sampler's steps over all windows (a progress and cancel point);
    `last`: the last window ends on this still (a plan made with `end`); `video`: the first window starts
    on these frames (a clip's last ones: `vidiff.generate.continue_clip`); `reference`: a subject/style
    still every window keeps (`Backend.takes_reference`)."""
    seq: list[np.ndarray] = []
    starts: list[int] = []
    cond, head = image, video
    for k in range(p.windows):
        label = f" (window {k + 1} of {p.windows})" if p.windows > 1 else ""
        count = None if on_step is None else _window_steps(on_step, k * steps, p.windows * steps)
        final = k == p.windows - 1
        made = backend.keyframes(
            prompt, cond, negative_prompt, (final and p.last_window) or p.window, size, steps, guidance,
            seed + k, p.gen_rate, progress, label, count, last if final else None, head, reference,
        )  # fmt: skip
        if k:
            starts.append(len(seq))
            made = made[p.carry :]  # the window's first frames remake the ones it started on
        seq += made
        cond, head = (seq[-1], None) if p.carry == 1 else (None, seq[-p.carry :])
    seq = seq[: p.need]
    if p.pick is None:
        return seq, [j for j in starts if j < len(seq)]
    keys = [seq[i] for i in p.pick]
    return keys, sorted({next(k for k, i in enumerate(p.pick) if i >= j) for j in starts if j <= p.pick[-1]})


def _window_steps(on_step: Callable[[int, int], None], before: int, total: int) -> Callable[[int], None]:
    """A window's step count as `on_step(done, total)` over all windows."""
    return lambda done: on_step(before + done, total)


def window_joins(keys: list[np.ndarray], joins: list[int], carry: int) -> list[dict]:
    """Each window join of the keyframes `keys` for the report: where it is (`keyframe`), how the window
    after it was conditioned (`carry` frames of the one before: a video condition, or one, an image) and
    its flicker (`join_ratios`)."""
    how = {"conditioning": "video" if carry > 1 else "image", "frames_carried": carry}
    joins = [j for j in joins if 0 < j < len(keys)]  # as `join_ratios` takes them
    ratios = join_ratios(keys, joins)
    return [{"keyframe": j, **how, "flicker": round(r, 3)} for j, r in zip(joins, ratios, strict=True)]


def join_ratios(frames: list[np.ndarray], joins: list[int]) -> list[float]:
    """Flicker (mean |change|) across each join over the median flicker of the sequence's transitions:
    1.0 is a join no rougher than a typical step."""
    from vidiff.metrics.temporal import frame_diff

    if not joins:
        return []
    diffs = [frame_diff(a, b) for a, b in zip(frames, frames[1:], strict=False)]
    med = float(np.median(diffs)) or 1e-9
    return [diffs[j - 1] / med for j in joins if 0 < j < len(frames)]
