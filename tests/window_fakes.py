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
