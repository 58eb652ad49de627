"""Training windows: real clips (train split only) and procedural motion over photos, with their priors.

Every batch is a pure function of (seed, step, rank), so a resumed run sees exactly the batches an
uninterrupted one would, and processes under `accelerate launch` see different ones.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any

import cv2
import numpy as np
import torch

from vidiff.codecs import frames_to_tensor
from vidiff.diffusion.prior import window_prior
from vidiff.errors import ConfigError, InputError
from vidiff.io.random_access import (
    FrameLost,
    TooFewFrames,
    found_at_open,
    list_clips,
    open_frames,
    remember_open,
)
from vidiff.train.procedural import MotionWindow

MAX_OPEN = 16  # readers kept open per process (file handles), the least recent closed first
NICE_T = (0.25, 1 / 3, 0.5, 2 / 3, 0.75)
TASKS = ("interpolate", "extrapolate")


class ClipPool:
    """The training clips (`data.clips`: files, folders, globs, bundled names), read by random access in
    contiguous spans: a data process decodes a span of consecutive frames in one forward pass (one seek)
    and serves many windows from it, so a window costs a few frames of decoding however long the GOPs
    are, and memory does not grow with the footage: at most `spans` spans are kept, together within
    `cache_mb` (a clip that fits in its share is one span, decoded about once).

    Every clip is opened once here, in the process that builds the sampler, to count its frames: a
    missing or unreadable one is skipped with one warning line naming it (refused under --strict), one
    with fewer than 2 frames is refused, one shorter than a window skipped with a warning. Readers are
    opened again lazily in the process that makes windows (a DataLoader worker), never shared across fork.
    """

    def __init__(
        self,
        specs: list[str],
        min_frames: int,
        engine: str = "pyav",
        cache_mb: int = 768,
        time_range: list[float] | None = None,
        spans: int = 2,
    ) -> None:
        from vidiff.io.probe import strict_input, warn_damage

        self.engine, self.paths, self.lengths, self.sizes, self.first = engine, [], [], [], []
        for path in list_clips(specs):
            try:
                r = open_frames(path, engine)
            except InputError as e:
                if strict_input() or isinstance(e, TooFewFrames):
                    raise
                warn_damage(path, f"skipped ({str(e).removeprefix(path + ': ')})")
                continue
            first, n, size = 0, len(r), r.size
            if time_range is not None:  # only the frames in [start, end) seconds: hold the rest out
                t = r.seconds()
                first, last = np.searchsorted(t, time_range[0]), np.searchsorted(t, time_range[1])
                n = int(last - first)
            r.close()
            if n < min_frames:
                warn_damage(path, f"skipped: {n} frames, a training window spans {min_frames}")
                continue
            self.paths.append(path)
            self.first.append(int(first))
            self.lengths.append(n)
            self.sizes.append(size)
        self.min_frames, self.n_spans = min_frames, max(1, int(spans))
        self._share = (int(cache_mb) << 20) // self.n_spans  # bytes one span may take
        self._readers: dict[int, object] = {}
        self._found: dict[str, dict[str, Any]] = {}  # a spawned worker's: what its parent found at open
        self._spans: OrderedDict[tuple[int, int, int], list[np.ndarray | None]] = OrderedDict()
        self._pid = os.getpid()

    def __len__(self) -> int:
        return len(self.paths)

    def __getstate__(self) -> dict[str, Any]:
        # what this process found of each clip at open goes with it: a spawned data worker does not scan
        # its fields or decode its last frames again (`found_at_open`; a forked one has them already)
        found = {p: found_at_open(p) for p in self.paths}
        return {**self.__dict__, "_readers": {}, "_spans": OrderedDict(), "_pid": -1, "_found": found}

    def pick(self, rng: np.random.Generator) -> int:
        """A clip, in proportion to its frames: every frame of the footage equally likely."""
        w = np.asarray(self.lengths, dtype=np.float64)
        return int(rng.choice(len(w), p=w / w.sum()))

    def span_length(self, k: int) -> int:
        """Frames in a span of clip `k`: the whole clip where it fits in a span's share of `cache_mb`,
        else as many as fit, and never fewer than a window spans."""
        w, h = self.sizes[k]
        return min(self.lengths[k], max(self.min_frames, self._share // (w * h * 3)))

    def span(self, k: int, a: int, n: int) -> list[np.ndarray | None]:
        """Frames a .. a+n-1 of clip `k` (counted from the start of `time_range`; RGB uint8, full size;
        None for one that did not decode), decoded in one forward pass and kept (the `spans` most
        recent)."""
        if self._pid != os.getpid():  # a forked worker: its own readers and spans
            self._readers, self._spans, self._pid = {}, OrderedDict(), os.getpid()
        key = (k, a, n)
        if key in self._spans:
            self._spans.move_to_end(key)
            return self._spans[key]
        while len(self._spans) >= self.n_spans:  # make room first: memory stays within cache_mb
            self._spans.popitem(last=False)
        r, first = self._reader(k), self.first[k]
        frames: list[np.ndarray | None] = []
        for i in range(first + a, first + a + n):  # one index at a time: a lost frame loses only itself
            try:
                frames += r.get([i])
            except FrameLost:
                frames.append(None)
        self._spans[key] = frames
        return frames

    def _reader(self, k: int):
        if k not in self._readers:
            if len(self._readers) >= MAX_OPEN:  # many clips: close the one opened first
                self._readers.pop(next(iter(self._readers))).close()
            remember_open(self.paths[k], self._found.get(self.paths[k], {}))
            self._readers[k] = open_frames(self.paths[k], self.engine)
        return self._readers[k]


class WindowSampler:
    """Makes training windows of 2 + 2·context observed frames and one target at a real time.

    task `interpolate`: the target lies between the middle pair (frame-rate conversion);
    `extrapolate`: all observed frames come before it, the target up to `max_tau` intervals after the
    last (generation: clip extension, Flexible Diffusion Model's autoregressive and keyframe steps).
    """

    def __init__(self, data: dict[str, Any], context: int, seed: int, priors: str = "dis") -> None:
        self.cfg = data
        self.priors = priors
        self._stacks: dict[str, Any] = {}  # `fuse` prior stacks by kind, built where windows are made
        self.context = context
        self.seed = seed
        self.task = data["task"]
        if self.task not in TASKS:
            raise ConfigError(f"data.task: unknown task {self.task!r}; choose one of: {', '.join(TASKS)}")
        self.max_tau = float(data["max_tau"])
        if self.task == "extrapolate" and not 0.5 <= self.max_tau <= 8.0:
            raise ConfigError("data.max_tau must be in [0.5, 8]")
        reach = max(data["strides"]) * (1 + 2 * context + (self.max_tau if self.task == "extrapolate" else 0))
        specs = list(data["clips"]) if data["real_fraction"] > 0 else []
        self.clips = ClipPool(
            specs,
            int(np.ceil(reach)) + 2,
            data.get("engine", "pyav"),
            data.get("cache_mb", 768),
            data.get("time_range"),
            data.get("spans", 2),
        )
        if specs and not self.clips:
            raise InputError(
                f"data.clips: no clip to train on in {', '.join(specs)} (see the warnings above)"
            )
        self._pool: dict[int, dict[str, np.ndarray]] = {}
        self._block: list[tuple[int, int, int]] = []  # the spans real windows come from (clip, start, n)

    def window(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """One window: frames (T, S, S, 3) uint8, prior (T, K, S, S, 3), times (T,), observed (T,)."""
        c = self.cfg
        region = c["crop"] + 2 * c["margin"]
        n_obs = 2 + 2 * self.context
        if self.task == "extrapolate":
            obs_t = np.arange(n_obs, dtype=np.float64) - (n_obs - 1)  # ..., -1, 0: the last at 0
        else:
            obs_t = np.arange(n_obs, dtype=np.float64) - self.context  # the pair sits at 0 and 1
        real = self._real(rng, region, obs_t) if self.clips and rng.random() < c["real_fraction"] else None
        if real is not None:
            frames, tau = real
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
        kind = self.cfg.get("stack", "cpu")
        if kind == "mixed":
            kind = "gpu" if rng.random() < 0.5 else "cpu"
        prior = window_prior(frames, times, observed, self.stack(kind))
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

    def stack(self, kind: str = "cpu"):
        """The prior stack of `kind` (vidiff.fusion: cpu = OpenCV's DIS + RIFE, gpu = DIS in torch + RIFE) for a `fuse`
        or `fuse_hd` model, one set of networks shared by both (None for `dis`)."""
        from vidiff.fusion import LAYOUTS, layout_stack

        if self.priors not in LAYOUTS:
            return None
        if kind not in self._stacks:
            like = next(iter(self._stacks.values()), None)
            self._stacks[kind] = layout_stack(self.priors, kind, like=like)
        return self._stacks[kind]

    def _real(
        self, rng: np.random.Generator, region: int, obs_t: np.ndarray
    ) -> tuple[list[np.ndarray], float] | None:
        """A window from the clips: its frames (region x region) and target time; None when three draws
        in a row hit frames that do not decode (damage: the caller makes a procedural one instead)."""
        from vidiff.io.probe import warn_damage

        for _ in range(3):
            k, a, n, idx, tau = self._draw(rng, len(obs_t))
            got = [self.clips.span(k, a, n)[i - a] for i in idx]
            w, h = self.clips.sizes[k]
            s = float(rng.choice(self.cfg["scales"]))  # per window: the crop at full size, then resized
            src = min(round(region / s), h, w)
            y, x = int(rng.integers(0, h - src + 1)), int(rng.integers(0, w - src + 1))
            if any(f is None for f in got):
                lost = self.clips.first[k] + idx[[f is None for f in got].index(True)]
                why = f"frame {lost} did not decode; windows that need it are drawn again"
                warn_damage(self.clips.paths[k], why)
                continue
            frames = [f[y : y + src, x : x + src] for f in got]
            if src != region:
                how = cv2.INTER_AREA if src > region else cv2.INTER_LINEAR
                frames = [cv2.resize(f, (region, region), interpolation=how) for f in frames]
            return frames, tau
        return None

    def _draw(self, rng: np.random.Generator, n_obs: int) -> tuple[int, int, int, list[int], float]:
        """Clip, span (first frame, frames), frame indices (observed ones, then the target; in the clip)
        and target time of a real window: from one of the block's spans, at random (a shuffle buffer of
        `data.spans` spans: a batch mixes footage from each)."""
        if not self._block:
            self._use_block(0, 0)
        k, a, n = self._block[int(rng.integers(len(self._block)))]
        strides = [s for s in self.cfg["strides"] if self._reach(s, n_obs) <= n]
        stride = int(rng.choice(strides))
        start = a + int(rng.integers(0, n - self._reach(stride, n_obs) + 1))
        span = stride * (n_obs - 1)
        if self.task == "extrapolate":
            m = int(rng.integers(1, max(1, int(stride * self.max_tau)) + 1))
            target = start + span + m
        else:
            m = int(rng.integers(1, stride))
            target = start + stride * self.context + m
        return k, a, n, [start + stride * j for j in range(n_obs)] + [target], m / stride

    def _use_block(self, block: int, rank: int) -> None:
        """The spans real windows come from, a function of (seed, block, rank): `data.spans` contiguous
        stretches, each a clip drawn by its frames and a start drawn uniformly."""
        rng = np.random.default_rng([self.seed, block, rank, 0x5BA5])
        self._block = []
        for _ in range(self.clips.n_spans if self.clips else 0):
            k = self.clips.pick(rng)
            n = self.clips.span_length(k)
            self._block.append((k, int(rng.integers(0, self.clips.lengths[k] - n + 1)), n))

    def _block_steps(self, batch_size: int) -> int:
        """Steps whose real windows share a block of spans: about `data.windows_per_span` windows from
        each span (one decode, many windows)."""
        real = batch_size * float(self.cfg["real_fraction"])
        per_span = int(self.cfg.get("windows_per_span", 32))
        return max(1, round(self.clips.n_spans * per_span / real)) if real > 0 else 1

    def _reach(self, stride: int, n_obs: int) -> int:
        """Frames a window of `stride` covers from its first observed frame to its farthest target."""
        ahead = max(1, int(stride * self.max_tau)) if self.task == "extrapolate" else 0
        return stride * (n_obs - 1) + ahead + 1

    def batch(self, step: int, batch_size: int, rank: int = 0) -> dict[str, torch.Tensor]:
        """The batch of `step` for process `rank`: tensors frames (B, T, 3, S, S), prior (B, T, 3, 3, S, S)
        in [-1, 1], times (B, T), observed (B, T)."""
        rng = np.random.default_rng([self.seed, step, rank])
        self._use_block(step // self._block_steps(batch_size), rank)  # a function of (seed, step, rank)
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
            self._use_block((1 << 31) + i, 0)
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
