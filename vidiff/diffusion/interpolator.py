"""`--method diffusion`: the trained VideoUNet3D behind the foundation's Interpolator interface.

Each target frame is its own window: the observed frames around it (a and b, plus `context` more on each
side) and the target at its real time, times measured in units of its own pair's spacing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from vidiff.diffusion.model import DEFAULT_MODEL, VidiffModel, load_settings
from vidiff.diffusion.prior import window_prior, window_priors
from vidiff.diffusion.sampling import Workspace, infill_batch
from vidiff.engine import EngineModule
from vidiff.errors import ConfigError
from vidiff.flow import to_u8
from vidiff.fusion import resolve_precision, resolve_stack
from vidiff.validate import check_seed, check_steps
from vidiff.windows import pair_windows

# passes -> the views averaged: "r" reversed in time, "f" mirrored left to right
ENSEMBLES: dict[int, tuple[str, ...]] = {1: ("",), 2: ("", "r"), 4: ("", "r", "f", "rf")}


class DiffusionInterpolator:
    """Residual diffusion over the prior stack, `steps` sampler steps, deterministic for a given seed;
    `engine` runs the U-Net and RIFE's network (vidiff.engine). `stack` picks the prior stack (auto: the
    device's; vidiff.fusion.resolve_stack), `precision` runs RIFE's network under autocast (bf16,
    fp16; auto and fp32: float32; the 0.2 M-parameter U-Net stays float32: its in-place index_copy_
    into the window is not autocast-safe), `batch` windows go through the U-Net (and RIFE, GPU stack) at once."""

    name = "diffusion"
    views: tuple[str, ...] = ENSEMBLES[1]  # set by __init__ from `ensemble`

    def __init__(
        self,
        weights: str = DEFAULT_MODEL,
        steps: int = 1,
        sampler: str | None = None,
        seed: int = 0,
        device: str = "cpu",
        batch: int = 4,
        engine: str | None = None,
        stack: str = "auto",
        precision: str = "auto",
        ensemble: int = 1,
    ) -> None:
        check_steps(steps)
        check_seed(seed)  # before the model loads, and before torch's generator overflows
        if isinstance(ensemble, bool) or ensemble not in ENSEMBLES:
            raise ConfigError(f"ensemble {ensemble!r}: use 1, 2 or 4 passes")
        self.views = ENSEMBLES[ensemble]
        kind, self.dtype = resolve_stack(stack, device), resolve_precision(precision, device)
        self.model = VidiffModel.load(weights, device=device)
        self.steps, self.sampler, self.seed, self.batch = steps, sampler, seed, batch
        self.context = self.model.context
        self.model.stack(engine, kind, self.dtype)  # RIFE's network on the same engine
        # the sampler calls model.unet(x, timestep, times, observed, cond): the observed mask (argument 3)
        # is baked into each export, one per window shape
        unet = EngineModule(self.model.unet, "unet", engine, device, static=(3,))
        self.run_model = dataclasses.replace(self.model, unet=unet)
        self.workspace = Workspace(seed, self.model.device)  # noise and buffers kept between windows

    @classmethod
    def context_of(cls, weights: str = DEFAULT_MODEL, **_: object) -> int:
        """The `context` an instance with these options would have, read from the weights' vidiff.json
        (nothing loaded: a parallel run's parent, which makes no frames, asks this)."""
        return int(load_settings(weights).config.context)

    def interpolate(self, a: np.ndarray, b: np.ndarray, ts: Sequence[float]) -> list[np.ndarray]:
        return self.interpolate_window([a, b], [0.0, 1.0], list(ts))

    def interpolate_window(
        self, frames: Sequence[np.ndarray], times: Sequence[float], target_times: Sequence[float]
    ) -> list[np.ndarray]:
        """Frames at `target_times` from observed `frames` at sorted `times` (any unit): the mean of the
        model's passes over the views of the window (one view unless `ensemble` > 1)."""
        if len(self.views) == 1:
            return self._window(frames, times, target_times)
        total = None
        for view in self.views:
            made = np.stack(self._view(view, frames, times, target_times)).astype(np.float32)
            total = made if total is None else total + made
        return list(to_u8(total / len(self.views)))

    def _view(
        self, view: str, frames: Sequence[np.ndarray], times: Sequence[float], target_times: Sequence[float]
    ) -> list[np.ndarray]:
        """The model's frames for one view of the window ("r": reversed in time, "f": mirrored), mapped
        back to the original orientation."""
        frames, times, targets = list(frames), [float(t) for t in times], [float(t) for t in target_times]
        if "r" in view:
            frames, times, targets = frames[::-1], [-t for t in times[::-1]], [-t for t in targets]
        if "f" in view:
            frames = [np.ascontiguousarray(f[:, ::-1]) for f in frames]
        made = self._window(frames, times, targets)
        return [np.ascontiguousarray(m[:, ::-1]) for m in made] if "f" in view else made

    def _window(
        self, frames: Sequence[np.ndarray], times: Sequence[float], target_times: Sequence[float]
    ) -> list[np.ndarray]:
        """One model pass: frames at `target_times` from observed `frames` at sorted `times`."""
        times = [float(t) for t in times]
        out: list[np.ndarray | None] = [None] * len(target_times)
        todo = []
        for k, tau in enumerate(target_times):
            hit = [i for i, t in enumerate(times) if abs(t - float(tau)) < 1e-9]
            if hit:
                out[k] = frames[hit[0]].copy()
            else:
                todo.append(k)
        # one window per pair, in units of its own gap (vidiff.windows.pair_windows): a pair's output never
        # depends on the other pairs of the runner's window; one prior per pair (its flows are shared)
        # the GPU stack's priors are made for every pair at once, batched, and stay on the device
        stack = self.model.stack()
        on_device = stack is not None and stack.kind == "gpu"
        pairs, windows = [], []
        for pw in pair_windows(frames, times, [float(target_times[k]) for k in todo], self.context):
            n = len(pw.frames)
            all_frames = list(pw.frames) + [None] * len(pw.targets)
            all_times = list(pw.times) + list(pw.targets)
            all_obs = [True] * n + [False] * len(pw.targets)
            pairs.append((all_frames, all_times, all_obs))
            pri = None if on_device else window_prior(all_frames, all_times, all_obs, stack)
            for m, pos in enumerate(pw.positions):
                sel = [*range(n), n + m]
                windows.append(
                    [todo[pos], *([p[i] for i in sel] for p in pairs[-1]), pri, len(pairs) - 1, sel]
                )
        pris = window_priors(pairs, stack, self.batch) if on_device else None
        for w in windows:
            pri = pris[w[5]] if pris is not None else w[4]
            w[4] = pri if w[6] == list(range(len(pri))) else pri[w[6]]  # no copy of a whole prior
        shapes: dict[int, list] = {}
        for w in windows:
            shapes.setdefault(len(w[1]), []).append(w)
        for ws in shapes.values():
            for s in range(0, len(ws), self.batch):
                chunk = ws[s : s + self.batch]
                res = infill_batch(
                    self.run_model,
                    [w[1] for w in chunk],
                    [w[2] for w in chunk],
                    [w[3] for w in chunk],
                    [w[4] for w in chunk],
                    self.steps,
                    self.sampler,
                    workspace=self.workspace,
                )
                for w, r in zip(chunk, res, strict=True):
                    out[w[0]] = r[-1]
        return [o for o in out if o is not None]
