"""`--method diffusion`: the trained VideoUNet3D behind the foundation's Interpolator interface.

Each target frame is its own window: the observed frames around it (a and b, plus `context` more on each
side) and the target at its real time, times measured in units of its own pair's spacing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from vidiff.diffusion.model import DEFAULT_MODEL, VidiffModel
from vidiff.diffusion.prior import window_prior
from vidiff.diffusion.sampling import infill_batch


class DiffusionInterpolator:
    """Residual diffusion over the DIS prior, `steps` sampler steps, deterministic for a given seed."""

    name = "diffusion"

    def __init__(
        self,
        weights: str = DEFAULT_MODEL,
        steps: int = 1,
        sampler: str | None = None,
        seed: int = 0,
        device: str = "cpu",
        batch: int = 4,
    ) -> None:
        self.model = VidiffModel.load(weights, device=device)
        self.steps, self.sampler, self.seed, self.batch = steps, sampler, seed, batch
        self.context = self.model.context

    def _gens(self, n: int) -> list[torch.Generator]:
        return [torch.Generator(self.model.device).manual_seed(self.seed) for _ in range(n)]

    def interpolate(self, a: np.ndarray, b: np.ndarray, ts: Sequence[float]) -> list[np.ndarray]:
        return self.interpolate_window([a, b], [0.0, 1.0], list(ts))

    def interpolate_window(
        self, frames: Sequence[np.ndarray], times: Sequence[float], target_times: Sequence[float]
    ) -> list[np.ndarray]:
        """Frames at `target_times` from observed `frames` at sorted `times` (any unit)."""
        times = [float(t) for t in times]
        out: list[np.ndarray | None] = [None] * len(target_times)
        todo = []
        for k, tau in enumerate(target_times):
            tau = float(tau)
            hit = [i for i, t in enumerate(times) if abs(t - tau) < 1e-9]
            if hit:
                out[k] = frames[hit[0]].copy()
                continue
            # the pair around tau and `context` observed frames each side (a window of fixed shape)
            j = min(max(int(np.searchsorted(times, tau)), 1), len(times) - 1)  # the pair is (j - 1, j)
            lo, hi = max(0, j - 1 - self.context), min(len(times), j + 1 + self.context)
            todo.append((k, (tuple(range(lo, hi)), j), tau))
        # one prior per pair (the flows are shared by all targets of the pair)
        groups: dict[tuple[tuple[int, ...], int], list[tuple[int, float]]] = {}
        for k, key, tau in todo:
            groups.setdefault(key, []).append((k, tau))
        windows = []
        for (idx, j), items in groups.items():
            obs_frames = [frames[i] for i in idx]
            # time in units of the pair's own gap, so a pair's output never depends on the other pairs
            # that share the runner's window (after dedupe their gaps differ)
            unit = times[j] - times[j - 1]
            obs_times = [(times[i] - times[idx[0]]) / unit for i in idx]
            taus = [(tau - times[idx[0]]) / unit for _, tau in items]
            all_frames = obs_frames + [None] * len(taus)
            all_times = obs_times + taus
            all_obs = [True] * len(idx) + [False] * len(taus)
            pri = window_prior(all_frames, all_times, all_obs, self.model.stack())
            for m, (k, _tau) in enumerate(items):
                sel = list(range(len(idx))) + [len(idx) + m]
                windows.append(
                    (
                        k,
                        [all_frames[i] for i in sel],
                        [all_times[i] for i in sel],
                        [all_obs[i] for i in sel],
                        pri[sel],
                    )
                )
        shapes: dict[int, list] = {}
        for w in windows:
            shapes.setdefault(len(w[1]), []).append(w)
        for ws in shapes.values():
            for s in range(0, len(ws), self.batch):
                chunk = ws[s : s + self.batch]
                res = infill_batch(
                    self.model,
                    [w[1] for w in chunk],
                    [w[2] for w in chunk],
                    [w[3] for w in chunk],
                    [w[4] for w in chunk],
                    self.steps,
                    self.sampler,
                    self._gens(len(chunk)),
                )
                for w, r in zip(chunk, res, strict=True):
                    out[w[0]] = r[-1]
        return [o for o in out if o is not None]
