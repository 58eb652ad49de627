"""The prior stack of a target frame and its fixed fusion: `--method fuse`, and the model's candidates.

For a target at time t between frames a and b the stack holds three candidates, each a whole frame:
a warped forward to t and b warped back to t by DIS optical flow (Kroeger et al. 2016, the `dis` method's
two halves), and RIFE v4's frame (Huang et al., ECCV 2022). The fixed fusion is the per-pixel mean of the
DIS blend (1 − t)·warp_a + t·warp_b and RIFE's frame: no learning, and ahead of either alone on most clips
(benchmarks/results/quality). The learned model (`--method diffusion`) starts from this mean and predicts
per-pixel fusion weights over the candidates plus a residual (vidiff.models.unet3d).

RIFE's test-time ensemble (the pair reversed at 1 − t, or flipped) is left out of the stack: each costs a
second RIFE pass, over the 1.5× RIFE time budget; `benchmarks/prior_stack.py` scores what each would add.
It scores RIFE's own flows and mask too (`RIFE.flows_and_mask`, free with the RIFE pass): its two warps
blended by t instead of by its mask beat RIFE's frame on carphone and lose on bikes
(benchmarks/results/prior_stack). A model given both warps as candidates was trained and scored lower
than the shipped one (benchmarks/results/rife_warps), so the stack stays at three candidates.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from vidiff.flow import DISFlow, backward_warp, to_u8

CANDIDATES = ("dis_a", "dis_b", "rife")  # the stack's order, after the fused frame itself
STACK_IMAGES = 1 + len(CANDIDATES)  # fused μ, then the candidates


def fuse(warp_a: np.ndarray, warp_b: np.ndarray, rife: np.ndarray, t: float) -> np.ndarray:
    """The fixed fusion (float32): mean of the DIS blend (1 − t)·warp_a + t·warp_b and RIFE's frame.

    Written in place on one new array (the inputs are only read): the same float32 operations, so the
    same values, as 0.5 · ((1 − t)·warp_a + t·warp_b + rife)."""
    out = np.multiply(warp_a, np.float32(1.0 - t), dtype=np.float32)
    out += np.multiply(warp_b, np.float32(t), dtype=np.float32)
    out += rife
    out *= np.float32(0.5)
    return out


class PriorStack:
    """Builds the stack (len(ts), STACK_IMAGES, H, W, 3) uint8 for the targets of a pair: [μ, candidates].

    DIS flows are computed once per pair, RIFE once per target. `rife` is anything with RIFE's
    `interpolate(a, b, ts)` (the network is built by the caller, once).
    """

    def __init__(self, rife) -> None:
        self.rife = rife
        self.dis = DISFlow()

    def pair(
        self,
        a: np.ndarray,
        b: np.ndarray,
        ts: Sequence[float],
        flows: tuple[np.ndarray, np.ndarray] | None = None,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """The stack of each t; written into `out` (len(ts), STACK_IMAGES, H, W, 3) when given."""
        f_ab, f_ba = flows if flows is not None else self.dis.flows(a, b)
        fa, fb = a.astype(np.float32), b.astype(np.float32)
        rifes = self.rife.interpolate(a, b, list(ts))
        if out is None:
            out = np.empty((len(ts), STACK_IMAGES, *a.shape), np.uint8)
        for i, (t, r) in enumerate(zip(ts, rifes, strict=True)):
            wa = backward_warp(fa, t * f_ba)
            wb = backward_warp(fb, (1.0 - t) * f_ab)
            to_u8(fuse(wa, wb, r, t), out[i, 0])
            to_u8(wa, out[i, 1])  # the warps are this loop's own temporaries: scratch for the rounding
            to_u8(wb, out[i, 2])
            out[i, 3] = r
        return out


def build_rife(weights: str | os.PathLike[str] | None = None, device: str = "cpu", engine: str | None = None):
    """RIFE v4 for the stack (a one-line UnsupportedError naming `vidiff fetch rife` when not cached);
    `engine` runs its network (vidiff.engine)."""
    from vidiff.peers.rife import RIFE

    return RIFE(weights=weights, device=device, engine=engine)


class Fuse:
    """`--method fuse`: the fixed per-pixel fusion of the prior stack (DIS warps both ways and RIFE v4)."""

    name = "fuse"

    def __init__(self, weights: str | None = None, device: str = "cpu", engine: str | None = None) -> None:
        self.stack = PriorStack(build_rife(weights, device, engine))

    def interpolate(self, a: np.ndarray, b: np.ndarray, ts: Sequence[float]) -> list[np.ndarray]:
        inner = [float(t) for t in ts if 0.0 < t < 1.0]
        made = iter(self.stack.pair(a, b, inner)[:, 0]) if inner else iter(())
        return [a.copy() if t <= 0.0 else b.copy() if t >= 1.0 else next(made) for t in ts]
