"""Sampling schemes for frames never observed (Flexible Diffusion Model, Harvey et al. 2022, sec. 4).

- autoregressive: one step past the newest frame at a time, each new frame conditioned on the latest
  frames (observed or already generated);
- hierarchical: sparse keyframes far ahead first, each conditioned on the observed frames only, then
  the frames between them infilled, so errors do not accumulate step by step;
- loop: the last and first frames observed, the frames between them infilled.

Every generated frame starts from a deterministic prior mu (optical flow carried forward, or the
flow warp between two frames); a `Refiner` (vidiff's diffusion model, `infill`) refines mu given the
window's observed frames and their real times. Without a refiner the prior is the output.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

import numpy as np

from vidiff.api_call import checked_call
from vidiff.errors import ConfigError
from vidiff.flow import SHARP, DISFlow, backward_warp, carry_forward, dis_flow
from vidiff.generate.clip import MAX_TRANSITION, check_extend
from vidiff.timeline import check_flow_size
from vidiff.validate import MAX_FPS, check_frames, check_has, check_image, check_int, check_number

SCHEMES = ("autoregressive", "hierarchical")
# the longest loop transition: `--transition`'s bound at the highest frame rate an argument may name
MAX_LOOP_FRAMES = round(MAX_TRANSITION * MAX_FPS)
check_refiner = check_has("refine")


class Refiner(Protocol):
    """Refines prior frames of a window given its observed frames (e.g. the diffusion model's infill)."""

    def refine(
        self, frames: Sequence[np.ndarray], times: Sequence[float], observed: Sequence[bool]
    ) -> list[np.ndarray]:
        """`frames` holds observed frames and, where not observed, the prior; returns the whole window."""
        ...


def _refined(
    refiner: Refiner | None, frames: list[np.ndarray], times: list[float], observed: list[bool]
) -> list[np.ndarray]:
    return frames if refiner is None else refiner.refine(frames, times, observed)


def extrapolate(frames: Sequence[np.ndarray], steps: Sequence[float]) -> list[np.ndarray]:
    """Frames `s` frame-intervals past the last of `frames`, carrying its motion forward.

    Constant velocity from the last two frames (`vidiff.flow.carry_forward`). Generation wants a
    plausible sharp continuation, not the mean of possible futures: an earlier version damped the
    velocity, and its new frames changed 47 % / 43 % less than the real ones (flicker ratio 0.53 / 0.57,
    autoregressive / hierarchical; benchmarks/generate_flicker.py at commit b111415).
    """
    return carry_forward(frames[-2], frames[-1], steps)


@checked_call
def extend_frames(
    frames: Sequence[np.ndarray],
    n_new: int,
    scheme: str = "autoregressive",
    stride: int = 2,
    context: int = 3,
    refiner: Refiner | None = None,
) -> list[np.ndarray]:
    """`n_new` frames continuing `frames` (at least 2, equally spaced in time); times are in frame units.
    `n_new` is 0 to `MAX_EXTEND_FRAMES` (as far as extension carries a clip's motion), else `ConfigError`."""
    return list(iter_extend(frames, n_new, scheme, stride, context, refiner))


def iter_extend(
    frames: Sequence[np.ndarray],
    n_new: int,
    scheme: str = "autoregressive",
    stride: int = 2,
    context: int = 3,
    refiner: Refiner | None = None,
) -> Iterator[np.ndarray]:
    """`extend_frames`, each frame yielded as it is made (the autoregressive scheme holds `context` of
    them); the arguments are checked before the first one."""
    check_extend(n_new)
    if scheme not in SCHEMES:
        raise ConfigError(f"unknown scheme {scheme!r}; choose one of: {', '.join(SCHEMES)}")
    stride, context = check_int(stride, "stride", 1), check_int(context, "context", 2)
    check_refiner(refiner, "refiner")
    frames = check_frames(frames, "extension frames", 0)
    if len(frames) < 2:
        raise ConfigError("extension needs at least 2 frames of context")
    check_flow_size(frames[0].shape[1], frames[0].shape[0], what="extension")
    return _frames_past(frames[-context:], n_new, scheme, stride, context, refiner)


def _frames_past(
    real: list[np.ndarray], n_new: int, scheme: str, stride: int, context: int, refiner: Refiner | None
) -> Iterator[np.ndarray]:
    """The schemes, unbounded (benchmarks/generate_horizon.py measures past the bound with it)."""
    if not n_new:
        return
    t_real = [float(i - len(real) + 1) for i in range(len(real))]  # ..., -1, 0: the last real frame at 0
    if scheme == "autoregressive":
        # Each step's motion comes from the newest two frames of the window (generated ones included,
        # refined where a refiner is given), but the pixels are taken from the last real frame through
        # the composed displacement, so detail is resampled once, not once per generated frame; a
        # refiner refines that prior (a model that learned nothing returns it unchanged).
        window = list(real)
        disp = np.zeros((*real[-1].shape[:2], 2), np.float32)
        for k in range(1, n_new + 1):
            times = [float(k - len(window) + i) for i in range(len(window))] + [float(k)]
            step = dis_flow(window[-1], window[-2])  # next(x) ~ newest(x + step(x))
            disp = step + backward_warp(disp, step)
            prior = backward_warp(real[-1], disp, *SHARP)
            new = _refined(refiner, [*window, prior], times, [True] * len(window) + [False])[-1]
            window = [*window, new][-context:]
            yield new
        return
    # hierarchical: keyframes at stride, 2*stride, ..., n_new from the real frames alone
    keys = sorted({*range(stride, n_new + 1, stride), n_new})
    priors = extrapolate(real, [float(s) for s in keys])
    key_frames = _refined(
        refiner, real + priors, t_real + [float(s) for s in keys], [True] * len(real) + [False] * len(keys)
    )[len(real) :]
    dis = DISFlow()
    anchors = list(zip(keys, key_frames, strict=True))
    for (s0, f0), (s1, f1) in zip([(0, real[-1]), *anchors], anchors, strict=False):
        inner = list(range(s0 + 1, s1))
        if inner:
            prior = dis.interpolate(f0, f1, [(s - s0) / (s1 - s0) for s in inner])
            window = _refined(
                refiner,
                [f0, *prior, f1],
                [float(s0), *map(float, inner), float(s1)],
                [True] + [False] * len(inner) + [True],
            )
            yield from window[1:-1]
        yield f1


def mean_step(frames: Sequence[np.ndarray]) -> list[float]:
    """Mean absolute change between consecutive frames (0-255 units)."""
    return [
        float(np.mean(np.abs(b.astype(np.float32) - a))) for a, b in zip(frames, frames[1:], strict=False)
    ]


@checked_call
def loop_frames(
    first: np.ndarray,
    last: np.ndarray,
    n: int | None = None,
    max_step: float | None = None,
    max_n: int = 90,
    refiner: Refiner | None = None,
) -> list[np.ndarray]:
    """Frames that lead from `last` back to `first`, so the clip plays as a seamless loop.

    With `n` given, exactly n frames. Otherwise the transition grows (doubling, up to `max_n`) until
    no step along it, including the jump back to `first`, changes the picture more than `max_step`
    (e.g. the clip's median frame-to-frame change), so the seam is no rougher than the clip itself.
    """
    check_image(first, "loop first")
    check_image(last, "loop last", first.shape)
    check_flow_size(first.shape[1], first.shape[0], what="a loop transition")
    check_refiner(refiner, "refiner")
    if n is not None:
        n = check_int(n, "loop n", 0, MAX_LOOP_FRAMES)
    else:
        if max_step is None:
            raise ConfigError("loop_frames needs n or max_step")
        max_step = check_number(max_step, "loop max_step", 0)
        max_n = check_int(max_n, "loop max_n", 1, MAX_LOOP_FRAMES)
        n = min(2, max_n)
        while True:
            frames = loop_frames(first, last, n, refiner=refiner)
            if max(mean_step([last, *frames, first])) <= max_step or n >= max_n:
                return frames
            n = min(2 * n, max_n)
    ts = [k / (n + 1) for k in range(1, n + 1)]
    prior = DISFlow().interpolate(last, first, ts)
    window = _refined(refiner, [last, *prior, first], [0.0, *ts, 1.0], [True] + [False] * n + [True])
    return window[1:-1]


def seamless_loop(frames: Sequence[np.ndarray], refiner: Refiner | None = None) -> list[np.ndarray]:
    """The transition from the last of `frames` back to the first, no rougher than their median step."""
    return loop_frames(frames[0], frames[-1], max_step=float(np.median(mean_step(frames))), refiner=refiner)
