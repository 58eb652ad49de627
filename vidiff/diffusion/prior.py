"""The classical prior μ of a window: DIS flow warps at the target times (the foundation's `dis` method).

For a target at time τ between observed frames a (time ta) and b (time tb), t = (τ − ta)/(tb − ta):
μ is exactly what `vidiff.flow.DISFlow` makes, and the two one-sided warps (a warped forward to t, b warped
back to t) are kept as extra evidence for the network: where they disagree lies occlusion or flow failure.
A target outside the observed range (extrapolation) carries the motion of the two nearest observed frames on
its side forward at constant velocity (`carry_forward`): μ and the one warp are that, the other is the nearest
frame itself; with one observed frame on that side it is the nearest frame. An observed frame is its own prior.

With a `PriorStack` (the model's `priors: fuse`), μ is the fixed fusion of the DIS warps and RIFE v4's frame
(vidiff.fusion) and RIFE's frame is a fourth image; outside the observed range RIFE has nothing to add, so
its image there is μ too. With the GPU stack (`vidiff.fusion.DeviceStack`) the same candidates are made on the
model's device (DIS in torch, vidiff.torch_dis); `window_priors` builds the priors of many windows at once
there, the interior targets of all of them in batched DIS and RIFE passes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vidiff.flow import DISFlow, backward_warp, carry_forward, to_u8
from vidiff.fusion import LAYOUTS, PriorStack

PRIOR_IMAGES = 3  # μ, warp from the earlier frame, warp from the later frame
# a model's `priors` -> images per frame (a stack's: μ and its candidates, vidiff.fusion.LAYOUTS)
PRIORS = {"dis": PRIOR_IMAGES, **{kind: 1 + len(c) for kind, c in LAYOUTS.items()}}


def prior_images(priors: str) -> int:
    """Images per frame of a model's prior kind (`dis`: μ and the two warps; `fuse`: μ and three candidates;
    `fuse_hd`: and RIFE HDv3's frame)."""
    from vidiff.errors import ConfigError

    if priors not in PRIORS:
        raise ConfigError(f"unknown priors {priors!r}; choose one of: {', '.join(PRIORS)}")
    return PRIORS[priors]


def window_prior(
    frames: Sequence[np.ndarray | None],
    times: Sequence[float],
    observed: Sequence[bool],
    stack: PriorStack | None = None,
) -> np.ndarray:
    """Prior images (T, K, H, W, 3) uint8 of a window: [μ, warp_a, warp_b] per frame (K = 3), or with a
    `stack` [μ, warp_a, warp_b, rife(, rife_hd)] with μ their fixed fusion (K = `stack.images`).

    `frames[i]` is only read where `observed[i]`; `times` are real and need not be sorted.
    """
    obs = sorted((float(times[i]), i) for i in range(len(times)) if observed[i])
    if not obs:
        raise ValueError("a window needs at least one observed frame")
    shape = next(frames[i] for _, i in obs).shape
    k = stack.images if stack is not None else PRIOR_IMAGES
    out = np.empty((len(times), k, *shape), np.uint8)
    dis = DISFlow()
    flows: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    for i, tau in enumerate(times):
        if observed[i]:
            out[i] = frames[i]
            continue
        later = [(tt, j) for tt, j in obs if tt > tau]
        earlier = [(tt, j) for tt, j in obs if tt < tau]
        if not later or not earlier:
            side = earlier[::-1] if earlier else later  # nearest first
            if not side:  # every observed frame at the target's time
                out[i] = frames[obs[0][1]]
                continue
            (tn, jn) = side[0]
            out[i] = frames[jn]
            if len(side) > 1:
                (tf, jf) = side[1]
                mu = carry_forward(frames[jf], frames[jn], [abs(tau - tn) / abs(tn - tf)])[0]
                out[i, 0] = out[i, 1] = mu
                if stack is not None:
                    out[i, 3:] = mu
            continue
        (ta, ja), (tb, jb) = earlier[-1], later[0]
        a, b = frames[ja], frames[jb]
        if stack is not None and not stack.uses_flows:  # the GPU stack: no DIS at all
            stack.pair(a, b, [(float(tau) - ta) / (tb - ta)], out=out[i : i + 1])
            continue
        if (ja, jb) not in flows:
            flows[(ja, jb)] = dis.flows(a, b)
        f_ab, f_ba = flows[(ja, jb)]
        t = (float(tau) - ta) / (tb - ta)
        if stack is not None:
            stack.pair(a, b, [t], flows[(ja, jb)], out=out[i : i + 1])
            continue
        out[i, 0] = dis.interpolate_with_flows(a, b, [t], f_ab, f_ba)[0]
        to_u8(backward_warp(a.astype(np.float32), t * f_ba), out[i, 1])
        to_u8(backward_warp(b.astype(np.float32), (1.0 - t) * f_ab), out[i, 2])
    return out


def window_priors(
    windows: Sequence[tuple[Sequence[np.ndarray | None], Sequence[float], Sequence[bool]]],
    stack,
    batch: int = 8,
) -> list:
    """The priors of many windows (frames, times, observed) as uint8 tensors (T, K, H, W, 3) on the GPU
    stack's device: each observed frame is uploaded once, every interior target of every window goes
    through `stack.batch` in batches of `batch` pairs, and a window with a target outside its observed
    range (rare: extrapolation) is made by `window_prior` and uploaded whole."""
    import torch

    dev = stack.device
    up: dict[int, torch.Tensor] = {}

    def upload(img: np.ndarray) -> torch.Tensor:
        if id(img) not in up:
            up[id(img)] = torch.from_numpy(np.ascontiguousarray(img)).to(dev)
        return up[id(img)]

    out: list = []
    todo: list[tuple[int, int, np.ndarray, np.ndarray, float]] = []  # (window, row, a, b, t)
    for w, (frames, times, observed) in enumerate(windows):
        obs = sorted((float(times[i]), i) for i in range(len(times)) if observed[i])
        rows: list = [None] * len(times)
        pairs = []
        for i, tau in enumerate(times):
            if observed[i]:
                rows[i] = upload(frames[i]).expand(stack.images, *frames[i].shape)
                continue
            earlier = [(tt, j) for tt, j in obs if tt < tau]
            later = [(tt, j) for tt, j in obs if tt > tau]
            if not earlier or not later:
                pairs = None
                break
            (ta, ja), (tb, jb) = earlier[-1], later[0]
            pairs.append((w, i, frames[ja], frames[jb], (float(tau) - ta) / (tb - ta)))
        if pairs is None:
            out.append(torch.from_numpy(window_prior(frames, times, observed, stack)).to(dev))
            continue
        todo += pairs
        out.append(rows)
    for s in range(0, len(todo), batch):
        chunk = todo[s : s + batch]
        made = stack.batch(
            torch.stack([upload(c[2]) for c in chunk]),
            torch.stack([upload(c[3]) for c in chunk]),
            [c[4] for c in chunk],
        )
        for (w, i, *_), m in zip(chunk, made, strict=True):
            out[w][i] = m
    return [o if isinstance(o, torch.Tensor) else torch.stack(o) for o in out]
