"""Small window interpolators (`interpolate_window`) for tests of the runner's windows (cheap stand-ins for the diffusion model)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class LagrangeWindow:
    """Per target: polynomial interpolation in real time over the pair around it and up to `context`
    observed frames each side. Its output depends on the context it gets, so a runner that starved the
    pairs at a window's edge of context would change them. Records the context each target got."""

    name = "lagrange"

    def __init__(self, context: int = 1) -> None:
        self.context = context
        self.got: list[tuple[float, int, int]] = []  # (target time, context frames left, right)

    def interpolate(self, a: np.ndarray, b: np.ndarray, ts: Sequence[float]) -> list[np.ndarray]:
        return self.interpolate_window([a, b], [0.0, 1.0], ts)

    def interpolate_window(
        self, frames: Sequence[np.ndarray], times: Sequence[float], target_times: Sequence[float]
    ) -> list[np.ndarray]:
        times = [float(t) for t in times]
        assert times == sorted(times)
        out = []
        for tau in target_times:
            j = int(np.searchsorted(times, tau))
            assert 0 < j < len(times) and times[j - 1] < tau < times[j], (times, tau)
            lo, hi = max(0, j - 1 - self.context), min(len(times), j + 1 + self.context)
            self.got.append((float(tau), j - 1 - lo, hi - j - 1))
            ts = times[lo:hi]
            acc = np.zeros(frames[0].shape, np.float64)
            for i, ti in enumerate(ts):
                w = np.prod([(tau - tk) / (ti - tk) for k, tk in enumerate(ts) if k != i])
                acc += w * frames[lo + i]
            out.append(np.clip(np.rint(acc), 0, 255).astype(np.uint8))
        return out


class NoisyWindow:
    """A deliberately seamy window interpolator (negative control): a linear blend plus a noise texture drawn
    once per call, as a model sampling each window jointly with its own noise would give: consistent
    inside a window, a different look in the next."""

    name = "noisy"
    context = 0

    def __init__(self) -> None:
        self.calls = 0

    def interpolate(self, a: np.ndarray, b: np.ndarray, ts: Sequence[float]) -> list[np.ndarray]:
        return self.interpolate_window([a, b], [0.0, 1.0], ts)

    def interpolate_window(
        self, frames: Sequence[np.ndarray], times: Sequence[float], target_times: Sequence[float]
    ) -> list[np.ndarray]:
        self.calls += 1
        noise = np.random.default_rng(self.calls).normal(0, 4, frames[0].shape)
        out = []
        for tau in target_times:
            j = int(np.searchsorted(times, tau))
            t = (tau - times[j - 1]) / (times[j] - times[j - 1])
            x = (1 - t) * frames[j - 1].astype(np.float64) + t * frames[j] + noise
            out.append(np.clip(np.rint(x), 0, 255).astype(np.uint8))
        return out


class DeltaTModel:
    """A context-model stand-in whose output depends on how long its pair's Δt is in the units it measures
    time in (as the model's Δt-biased temporal attention does): the blend of the pair at its t, brightened
    by 40 per unit of the pair's length above 1.

    `per_pair=True` measures each pair in its own gap (`vidiff.windows.pair_windows`): every pair is 1
    long, so the output is the plain blend whatever window the pair came in. `per_pair=False` measures in
    the median gap of the whole window (the old interpolator's bug): after dedupe a pair's output then
    depends on the other pairs sharing its window. Records each target's pair window (`got`)."""

    name = "delta-t"

    def __init__(self, context: int = 1, per_pair: bool = True) -> None:
        self.context, self.per_pair = context, per_pair
        self.got: list[tuple[float, tuple[float, ...], tuple[float, ...]]] = []  # (tau s, times, targets)

    def interpolate(self, a: np.ndarray, b: np.ndarray, ts: Sequence[float]) -> list[np.ndarray]:
        return self.interpolate_window([a, b], [0.0, 1.0], ts)

    def interpolate_window(
        self, frames: Sequence[np.ndarray], times: Sequence[float], target_times: Sequence[float]
    ) -> list[np.ndarray]:
        from vidiff.windows import pair_windows

        out: list[np.ndarray | None] = [None] * len(target_times)
        unit = float(np.median(np.diff(times)))
        for pw in pair_windows(frames, times, target_times, self.context):
            first = pw.start + pw.a  # the pair's first frame in `frames`
            length = 1.0 if self.per_pair else (times[first + 1] - times[first]) / unit
            self.got += [(float(target_times[n]), tuple(pw.times), tuple(pw.targets)) for n in pw.positions]
            a, b = pw.frames[pw.a].astype(np.float64), pw.frames[pw.a + 1].astype(np.float64)
            for n, t in zip(pw.positions, pw.targets, strict=True):
                x = (1 - t) * a + t * b + 40 * (length - 1)
                out[n] = np.clip(np.rint(x), 0, 255).astype(np.uint8)
        return out  # type: ignore[return-value]
