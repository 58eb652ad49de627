"""The diffusion models as the `Refiner` of the generation schemes (`vidiff generate --method diffusion`).

A frame between observed frames (the infill step of the hierarchical scheme, a loop transition) is
refined by the frame-rate model (`vidiff/weights/default`, trained to interpolate); a frame past the
observed ones (the autoregressive step, the hierarchical keyframes) by the extension model
(`vidiff/weights/extend`, `configs/train/extend.yaml`, trained to extrapolate over the constant-velocity
prior from the two nearest observed frames). Both diffuse the residual over the classical prior the
schemes make without a refiner, so with a model that learned nothing the output equals the classical one.
A frame further past the observed ones than the extension model was trained for keeps its prior.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from vidiff.diffusion.interpolator import DiffusionInterpolator
from vidiff.diffusion.model import DEFAULT_MODEL, VidiffModel
from vidiff.diffusion.sampling import infill

EXTEND_MODEL = "extend"


class DiffusionRefiner:
    """Refines a window's unobserved frames with the interpolation or the extension model."""

    def __init__(
        self,
        weights: str = DEFAULT_MODEL,
        extend_weights: str = EXTEND_MODEL,
        steps: int = 1,
        seed: int = 0,
        device: str = "cpu",
        on_frames: Callable[[int], None] | None = None,
    ) -> None:
        """`on_frames(n)` is told each time n more frames are refined (a progress bar's update)."""
        self.on_frames = on_frames or (lambda n: None)
        self.inner = DiffusionInterpolator(weights, steps=steps, seed=seed, device=device)
        self.outer = VidiffModel.load(extend_weights, device=device)
        data = self.outer.info.get("config", {}).get("data", {})
        self.max_tau = float(data.get("max_tau", 2.0)) if data.get("task") == "extrapolate" else 0.0
        self.steps, self.seed = steps, seed

    def refine(
        self, frames: Sequence[np.ndarray], times: Sequence[float], observed: Sequence[bool]
    ) -> list[np.ndarray]:
        """The window with each unobserved frame replaced by the model's sample. Between observed frames
        the prior is the flow interpolation of its two neighbours; past them it is the frame the scheme
        passed in (its carried-forward prior)."""
        obs = sorted((float(times[i]), i) for i in range(len(times)) if observed[i])
        t_obs = [t for t, _ in obs]
        out = [np.asarray(f) for f in frames]
        inner = [i for i in range(len(times)) if not observed[i] and t_obs[0] < times[i] < t_obs[-1]]
        if inner:
            made = self.inner.interpolate_window(
                [frames[i] for _, i in obs], t_obs, [float(times[i]) for i in inner]
            )
            for i, f in zip(inner, made, strict=True):
                out[i] = f
            self.on_frames(len(inner))
        for i in range(len(times)):
            if observed[i] or i in inner:
                continue
            out[i] = self._extend([frames[j] for _, j in obs], t_obs, float(times[i]), out[i])
            self.on_frames(1)
        return out

    def _extend(
        self, frames: list[np.ndarray], t_obs: list[float], tau: float, prior: np.ndarray
    ) -> np.ndarray:
        """The frame at `tau` outside the observed times from the two nearest observed frames on its side,
        in units of their spacing with the nearer at 0 (as the extension model was trained), refining
        `prior`; beyond the model's trained reach (`data.max_tau`) the prior is kept."""
        if len(frames) < 2:
            return prior
        if tau > t_obs[-1]:
            (near, far), (t_near, t_far) = (frames[-1], frames[-2]), (t_obs[-1], t_obs[-2])
        else:
            (near, far), (t_near, t_far) = (frames[0], frames[1]), (t_obs[0], t_obs[1])
        unit = abs(t_near - t_far)
        times = [(t_far - t_near) / unit, 0.0, (tau - t_near) / unit]
        if abs(times[-1]) > self.max_tau + 1e-9:
            return prior
        window = [far, near, None]
        # what window_prior makes for this window (observed frames are their own prior; the target's
        # is [μ, μ, nearest frame]), with the scheme's carried-forward frame as μ, so no flow is redone
        pri = np.stack([np.stack([far] * 3), np.stack([near] * 3), np.stack([prior, prior, near])])
        gen = torch.Generator(self.outer.device).manual_seed(self.seed)
        return infill(self.outer, window, times, [True, True, False], pri, self.steps, None, gen)[-1]
