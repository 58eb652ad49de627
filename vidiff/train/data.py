"""Training windows: real clips (train split only) and procedural motion over photos, with their priors.

Every batch is a pure function of (seed, step, rank), so a resumed run sees exactly the batches an
uninterrupted one would, and processes under `accelerate launch` see different ones.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import torch

from vidiff.codecs import frames_to_tensor
from vidiff.diffusion.prior import window_prior
from vidiff.errors import ConfigError
from vidiff.train.procedural import MotionWindow

NICE_T = (0.25, 1 / 3, 0.5, 2 / 3, 0.75)
TASKS = ("interpolate", "extrapolate")


def load_clip_frames(name: str, scales: list[float]) -> list[list[np.ndarray]]:
    """A clip's frames at each scale (a bundled clip name or a path; check_config has refused the
    evaluation-only ones)."""
    from pathlib import Path

    from vidiff.io.reader import read_frames
    from vidiff.io.samples import sample_clip

    path = Path(name) if Path(name).exists() else sample_clip(name)
    frames = read_frames(path)
    out = []
    for s in scales:
        if s == 1.0:
            out.append(frames)
        else:
            out.append([cv2.resize(f, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) for f in frames])
    return out


class WindowSampler:
    """Makes training windows of 2 + 2·context observed frames and one target at a real time.

    task `interpolate`: the target lies between the middle pair (frame-rate conversion);
    `extrapolate`: all observed frames come before it, the target up to `max_tau` intervals after the
    last (generation: clip extension, Flexible Diffusion Model's autoregressive and keyframe steps).
    """

    def __init__(self, data: dict[str, Any], context: int, seed: int, priors: str = "dis") -> None:
        self.cfg = data
        self.priors = priors
        self._stack = None  # the `fuse` prior stack, built on first use in the process that makes windows
        self.context = context
        self.seed = seed
        self.task = data["task"]
        if self.task not in TASKS:
            raise ConfigError(f"data.task: unknown task {self.task!r}; choose one of: {', '.join(TASKS)}")
        self.max_tau = float(data["max_tau"])
        if self.task == "extrapolate" and not 0.5 <= self.max_tau <= 8.0:
            raise ConfigError("data.max_tau must be in [0.5, 8]")
        reach = max(data["strides"]) * (1 + 2 * context + (self.max_tau if self.task == "extrapolate" else 0))
        self.clips = [v for c in data["clips"] for v in load_clip_frames(c, list(data["scales"]))]
        self.clips = [c for c in self.clips if len(c) > reach + 1]
        self._pool: dict[int, dict[str, np.ndarray]] = {}

    def window(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """One window: frames (T, S, S, 3) uint8, prior (T, K, S, S, 3), times (T,), observed (T,)."""
        c = self.cfg
        region = c["crop"] + 2 * c["margin"]
        n_obs = 2 + 2 * self.context
        if self.task == "extrapolate":
            obs_t = np.arange(n_obs, dtype=np.float64) - (n_obs - 1)  # ..., -1, 0: the last at 0
        else:
            obs_t = np.arange(n_obs, dtype=np.float64) - self.context  # the pair sits at 0 and 1
        if self.clips and rng.random() < c["real_fraction"]:
            frames, tau = self._real(rng, region, obs_t)
        else:
            if self.task == "extrapolate":
                nice = np.arange(1, int(2 * self.max_tau) + 1) / 2  # 0.5, 1, 1.5, ...
                tau = (
                    float(rng.choice(nice)) if rng.random() < 0.5 else float(rng.uniform(0.05, self.max_tau))
                )
            else:
                tau = float(rng.choice(NICE_T)) if rng.random() < 0.5 else float(rng.uniform(0.05, 0.95))
            scene = MotionWindow(rng, region, max_shift=c["max_shift"])
            frames = [scene.render(t) for t in list(obs_t) + [tau]]
        times = np.array(list(obs_t) + [tau])
        observed = np.array([True] * n_obs + [False])
        if rng.random() < 0.5:  # time reversal
            times = -times
        perm = rng.permutation(3)
        frames = [np.ascontiguousarray(f[..., perm]) for f in frames]
        prior = window_prior(frames, times, observed, self.stack())
        frames = np.stack(frames)
        # random crop inside the region (the prior saw the margin: flow has context at the crop's border)
        y, x = rng.integers(0, region - c["crop"] + 1, 2)
        sl = (slice(y, y + c["crop"]), slice(x, x + c["crop"]))
        frames, prior = frames[:, sl[0], sl[1]], prior[:, :, sl[0], sl[1]]
        if rng.random() < 0.5:
            frames, prior = frames[..., ::-1, :], prior[..., ::-1, :]
        if rng.random() < 0.2:
            frames, prior = frames[..., ::-1, :, :], prior[..., ::-1, :, :]
        return {
            "frames": np.ascontiguousarray(frames),
            "prior": np.ascontiguousarray(prior),
            "times": times.astype(np.float32),
            "observed": observed,
        }

    def stack(self):
        """RIFE + DIS prior stack for a `fuse` model (None for `dis`)."""
        if self.priors == "fuse" and self._stack is None:
            from vidiff.fusion import PriorStack, build_rife

            self._stack = PriorStack(build_rife())
        return self._stack

    def _real(
        self, rng: np.random.Generator, region: int, obs_t: np.ndarray
    ) -> tuple[list[np.ndarray], float]:
        clip = self.clips[rng.integers(len(self.clips))]
        k = int(rng.choice(self.cfg["strides"]))
        span = k * (len(obs_t) - 1)
        if self.task == "extrapolate":
            ahead = max(1, int(k * self.max_tau))  # frames past the last observed one
            start = int(rng.integers(0, len(clip) - span - ahead))
            m = int(rng.integers(1, ahead + 1))
            target = start + span + m
        else:
            start = int(rng.integers(0, len(clip) - span))
            m = int(rng.integers(1, k))
            target = start + k * self.context + m
        idx = [start + k * j for j in range(len(obs_t))]
        h, w = clip[0].shape[:2]
        r = min(region, h, w)
        y, x = int(rng.integers(0, h - r + 1)), int(rng.integers(0, w - r + 1))
        frames = [clip[i][y : y + r, x : x + r] for i in idx + [target]]
        if r < region:
            frames = [cv2.resize(f, (region, region), interpolation=cv2.INTER_LINEAR) for f in frames]
        return frames, m / k

    def batch(self, step: int, batch_size: int, rank: int = 0) -> dict[str, torch.Tensor]:
        """The batch of `step` for process `rank`: tensors frames (B, T, 3, S, S), prior (B, T, 3, 3, S, S)
        in [-1, 1], times (B, T), observed (B, T)."""
        rng = np.random.default_rng([self.seed, step, rank])
        pool = int(self.cfg.get("pool", 0) or 0)
        if pool:
            return collate([self.pooled(int(i)) for i in rng.integers(pool, size=batch_size)])
        return collate([self.window(rng) for _ in range(batch_size)])

    def pooled(self, i: int) -> dict[str, np.ndarray]:
        """Window `i` of the fixed pool (`data.pool` > 0): the same on every process and every step.

        Training on a small pool must drive the loss down fast: a check that the loop learns at all
        (gradients, all-reduce, optimizer, EMA), not a way to train a model that generalises.
        """
        if i not in self._pool:
            self._pool[i] = self.window(np.random.default_rng([self.seed, 1 << 30, i]))
        return self._pool[i]


def collate(ws: list[dict[str, np.ndarray]]) -> dict[str, torch.Tensor]:
    """Stack windows into tensors in [-1, 1]."""
    fr = np.stack([w["frames"] for w in ws])
    pr = np.stack([w["prior"] for w in ws])
    b, t = fr.shape[:2]
    s = fr.shape[2:4]
    return {
        "frames": frames_to_tensor(fr.reshape(-1, *fr.shape[2:])).reshape(b, t, 3, *s),
        "prior": frames_to_tensor(pr.reshape(-1, *pr.shape[3:])).reshape(b, t, pr.shape[2], 3, *s),
        "times": torch.from_numpy(np.stack([w["times"] for w in ws])),
        "observed": torch.from_numpy(np.stack([w["observed"] for w in ws])),
    }


class StepBatches(torch.utils.data.Dataset):
    """Map-style dataset: item i is the batch of global step `start + i` (for DataLoader prefetching)."""

    def __init__(self, sampler: WindowSampler, start: int, stop: int, batch_size: int, rank: int) -> None:
        self.sampler, self.start, self.stop, self.bs, self.rank = sampler, start, stop, batch_size, rank

    def __len__(self) -> int:
        return max(0, self.stop - self.start)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return self.sampler.batch(self.start + i, self.bs, self.rank)
