"""The prior stack of a target frame and its fixed fusion: `--method fuse`, and the model's candidates.

For a target at time t between frames a and b the stack holds three candidates, each a whole frame:
a warped forward to t and b warped back to t by DIS optical flow (Kroeger et al. 2016, the `dis` method's
two halves), and RIFE v4's frame (Huang et al., ECCV 2022). The fixed fusion is the per-pixel mean of the
DIS blend (1 − t)·warp_a + t·warp_b and RIFE's frame: no learning, and ahead of either alone on most clips
(benchmarks/results/quality). The learned model (`--method diffusion`) starts from this mean and predicts
per-pixel fusion weights over the candidates plus a residual (vidiff.models.unet3d).

Two stacks of that one layout serve the same weights, chosen by the device (`stack="auto"`) or by name:
`cpu`, the above (OpenCV's DIS, CPU-only), and `gpu` (`DeviceStack`), every member made on the model's
device, batched over targets: the DIS flows by vidiff.torch_dis (DIS written in torch: OpenCV's MEDIUM
preset, its sequential propagation made parallel) and RIFE's frame from its flows and mask. It runs on any
torch device, so CI tests it on the CPU; the shipped weights score within 0.02 dB of the CPU stack over it
(benchmarks/results/gpu_stack). An earlier `gpu` stack took RIFE's own one-sided warps in DIS's place and
cost 0.27 dB (benchmarks/results/gpu_stack/before_torch_dis): the fusion was trained on DIS's errors.

RIFE's test-time ensemble (the pair reversed at 1 − t, or flipped) is left out of the stack: each costs a
second RIFE pass, over the 1.5× RIFE time budget; `benchmarks/prior_stack.py` scores what each would add.
It scores RIFE's own flows and mask too (`RIFE.flows_and_mask`, free with the RIFE pass): its two warps
blended by t instead of by its mask beat RIFE's frame on carphone and lose on bikes
(benchmarks/results/prior_stack). A model given both warps as candidates was trained and scored lower
than the shipped one (benchmarks/results/rife_warps), so the stack stays at three candidates.

The `fuse_hd` layout (a model trained by configs/train/fuse_hd.yaml; benchmarks/results/max_tries) adds a
second RIFE generation with other errors, RIFE HDv3 (vidiff.peers.rife_hd): its frame is a fourth
candidate and μ is the mean of the DIS blend, RIFE v4's frame and HDv3's (`fuse`), the best fixed fusion
in benchmarks/results/prior_stack.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from vidiff.flow import DISFlow, backward_warp, to_u8

CANDIDATES = ("dis_a", "dis_b", "rife")  # the stack's order, after the fused frame itself
STACK_IMAGES = 1 + len(CANDIDATES)  # fused μ, then the candidates
# a model's `priors` kind -> its stack's candidates: `fuse_hd` adds RIFE HDv3's frame (vidiff.peers.rife_hd)
LAYOUTS = {"fuse": CANDIDATES, "fuse_hd": (*CANDIDATES, "rife_hd")}
STACKS = ("auto", "cpu", "gpu")  # auto: gpu on a CUDA device, else cpu
PRECISIONS = ("auto", "fp32", "bf16", "fp16")  # auto: fp32 (see resolve_precision)


def resolve_stack(stack: str, device: str | object) -> str:
    """`cpu` or `gpu`: the stack asked for, or for `auto` the one that suits `device` (a CUDA device gets
    the device stack, which has no CPU stage; the CPU keeps OpenCV's DIS + RIFE). A one-line ConfigError if unknown."""
    from vidiff.errors import ConfigError

    if stack not in STACKS:
        raise ConfigError(f"unknown stack {stack!r}; choose one of: {', '.join(STACKS)}")
    if stack != "auto":
        return stack
    return "gpu" if str(device).startswith("cuda") else "cpu"


def resolve_precision(precision: str, device: str | object):
    """The autocast dtype of `precision` on `device` (None: float32). `auto` is float32 everywhere: on an
    H200, bf16 and fp16 came within 0.001 dB of it but no faster (RIFE's share of the step is small and the
    U-Net stays float32; benchmarks/results/gpu)."""
    import torch

    from vidiff.errors import ConfigError

    if precision not in PRECISIONS:
        raise ConfigError(f"unknown precision {precision!r}; choose one of: {', '.join(PRECISIONS)}")
    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)


def fuse(warp_a: np.ndarray, warp_b: np.ndarray, rife: np.ndarray, t: float, *more: np.ndarray) -> np.ndarray:
    """The fixed fusion (float32): mean of the DIS blend (1 − t)·warp_a + t·warp_b, RIFE's frame and any
    `more` frames (the `fuse_hd` stack's μ: HDv3's frame too, the best fixed fusion of the four in
    benchmarks/results/prior_stack).

    Written in place on one new array (the inputs are only read): the same float32 operations, so the
    same values, as 0.5 · ((1 − t)·warp_a + t·warp_b + rife) (or their sum with `more` over 3, ...)."""
    out = np.multiply(warp_a, np.float32(1.0 - t), dtype=np.float32)
    out += np.multiply(warp_b, np.float32(t), dtype=np.float32)
    out += rife
    for frame in more:
        out += frame
    out *= np.float32(1.0 / (2 + len(more)))
    return out


class PriorStack:
    """Builds the stack (len(ts), images, H, W, 3) uint8 for the targets of a pair: [μ, candidates].

    DIS flows are computed once per pair, RIFE once per target. `rife` is anything with RIFE's
    `interpolate(a, b, ts)` (the network is built by the caller, once); `hd`, RIFE HDv3 (the `fuse_hd`
    layout: its frame a fourth candidate, and μ the mean of the DIS blend, RIFE's frame and it: `fuse`).
    """

    kind = "cpu"
    uses_flows = True  # pair() takes DIS flows computed by the caller (window_prior shares them)

    def __init__(self, rife, hd=None) -> None:
        self.rife, self.hd = rife, hd
        self.dis = DISFlow()
        self.images = STACK_IMAGES + (hd is not None)

    def pair(
        self,
        a: np.ndarray,
        b: np.ndarray,
        ts: Sequence[float],
        flows: tuple[np.ndarray, np.ndarray] | None = None,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """The stack of each t; written into `out` (len(ts), images, H, W, 3) when given."""
        f_ab, f_ba = flows if flows is not None else self.dis.flows(a, b)
        fa, fb = a.astype(np.float32), b.astype(np.float32)
        rifes = self.rife.interpolate(a, b, list(ts))
        hds = self.hd.interpolate(a, b, list(ts)) if self.hd is not None else [None] * len(ts)
        if out is None:
            out = np.empty((len(ts), self.images, *a.shape), np.uint8)
        for i, (t, r, h) in enumerate(zip(ts, rifes, hds, strict=True)):
            wa = backward_warp(fa, t * f_ba)
            wb = backward_warp(fb, (1.0 - t) * f_ab)
            to_u8(fuse(wa, wb, r, t) if h is None else fuse(wa, wb, r, t, h), out[i, 0])
            to_u8(wa, out[i, 1])  # the warps are this loop's own temporaries: scratch for the rounding
            to_u8(wb, out[i, 2])
            out[i, 3] = r
            if h is not None:
                out[i, 4] = h
        return out


class DeviceStack:
    """The stack with no CPU stage: for each target, on the device and batched over the targets given
    together, [μ, a and b warped to t by DIS flows (vidiff.torch_dis, once per distinct pair), RIFE's frame
    (its warps blended by its mask)], μ the fixed fusion of the three (`fuse`), each rounded as `to_u8`
    rounds: the CPU stack's layout and arithmetic, only the flow made otherwise.

    The warps read the unpadded frames with border replication, as OpenCV's do. `batch` takes and
    returns tensors on the device (the model's input stays there); `pair` is the numpy form the CPU
    stack has. `dtype` (torch.bfloat16 / float16) runs RIFE's network under autocast. With `hd` (RIFE
    HDv3, the `fuse_hd` layout) its frame is a fifth image and μ the mean of three, as on the CPU.
    """

    kind = "gpu"
    uses_flows = False

    def __init__(self, rife, dtype=None, hd=None) -> None:
        self.rife, self.dtype, self.hd = rife, dtype, hd
        self.device = rife.device
        self.images = STACK_IMAGES + (hd is not None)

    def batch(self, a, b, ts: Sequence[float]):
        """Stacks (N, images, H, W, 3) uint8 on the device of N pairs a, b (N, H, W, 3) uint8 on the
        device (or numpy) at ts (N,)."""
        import torch

        from vidiff.torch_dis import backward_warp as warp

        with torch.inference_mode():
            fa, fb = (_chw(x, self.device) for x in (a, b))
            t = torch.tensor([float(x) for x in ts], device=self.device, dtype=torch.float32)
            tt = t.view(-1, 1, 1, 1)
            f_ab, f_ba = _pair_flows(fa, fb)
            wa, wb = warp(fa, tt * f_ba), warp(fb, (1.0 - tt) * f_ab)
            unit = fa / 255.0, fb / 255.0
            flow, m = self.rife.flows_batch(*unit, t, self.dtype)
            # RIFE's frame (and HDv3's) rounded as to_u8 rounds, as the CPU stack's are
            frames = [(m * warp(fa, flow[:, :2]) + (1.0 - m) * warp(fb, flow[:, 2:4]) + 0.5).floor_()]
            if self.hd is not None:
                frames.append((self.hd.frames_batch(*unit, t) * 255.0 + 0.5).floor_())
            mu = sum(frames, (1.0 - tt) * wa + tt * wb) / (1 + len(frames))  # `fuse`'s mean
            out = torch.stack((mu, wa, wb, *frames), 1).add_(0.5).clamp_(0, 255).to(torch.uint8)
            return out.permute(0, 1, 3, 4, 2)

    def pair(
        self,
        a: np.ndarray,
        b: np.ndarray,
        ts: Sequence[float],
        flows: object = None,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """The CPU stack's `pair` (flows are not used): all targets of the pair in one batch."""
        n = len(ts)
        made = self.batch(np.repeat(a[None], n, 0), np.repeat(b[None], n, 0), ts).cpu().numpy()
        if out is None:
            return made
        out[...] = made
        return out


def _pair_flows(fa, fb):
    """DIS flows (F_ab, F_ba) of N pairs (N, 3, H, W) on their device (vidiff.torch_dis), each distinct
    pair once: a pair's targets come in a row, and share its flows, as on the CPU stack."""
    import torch

    from vidiff.torch_dis import dis_flows

    same = (fa[1:] == fa[:-1]).flatten(1).all(1) & (fb[1:] == fb[:-1]).flatten(1).all(1)
    new = torch.cat((torch.ones(1, dtype=torch.bool, device=fa.device), ~same))
    first = new.nonzero().squeeze(1)  # the one host sync: how many distinct pairs
    f_ab, f_ba = dis_flows(fa[first], fb[first])
    which = new.cumsum(0) - 1
    return f_ab[which], f_ba[which]


def _chw(x, device):
    """uint8 frames (N, H, W, 3), numpy or tensor -> float32 (N, 3, H, W) in 0..255 on `device`."""
    import torch

    t = x if isinstance(x, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(x))
    return t.to(device).permute(0, 3, 1, 2).float()


def make_stack(rife, kind: str, dtype=None, hd=None):
    """The stack of `kind` (`cpu` or `gpu`, as `resolve_stack` gives) over a built RIFE (and RIFE HDv3
    for the `fuse_hd` layout)."""
    return DeviceStack(rife, dtype, hd) if kind == "gpu" else PriorStack(rife, hd)


def layout_stack(
    priors: str, kind: str, dtype=None, device: str = "cpu", engine: str | None = None, like=None
):
    """The stack of `kind` for a model's `priors` layout (LAYOUTS: HDv3 built for `fuse_hd`), its networks
    taken from `like` (a stack of the same layout, another kind) or else built on `device` with `engine`."""
    rife = like.rife if like is not None else build_rife(device=device, engine=engine)
    hd = None
    if "rife_hd" in LAYOUTS[priors]:
        hd = like.hd if like is not None else build_hd(device, engine)
    return make_stack(rife, kind, dtype, hd)


def build_hd(device: str = "cpu", engine: str | None = None):
    """RIFE HDv3 for a `fuse_hd` stack (a one-line UnsupportedError naming `vidiff fetch rife-hd` when
    its weights are not cached); `engine` runs its network (vidiff.engine)."""
    from vidiff.peers.rife_hd import RIFEHD

    return RIFEHD(device=device, engine=engine)


def build_rife(weights: str | os.PathLike[str] | None = None, device: str = "cpu", engine: str | None = None):
    """RIFE v4 for the stack (a one-line UnsupportedError naming `vidiff fetch rife` when not cached);
    `engine` runs its network (vidiff.engine)."""
    from vidiff.peers.rife import RIFE

    return RIFE(weights=weights, device=device, engine=engine)


class Fuse:
    """`--method fuse`: the fixed per-pixel fusion of the prior stack (DIS warps both ways and RIFE v4,
    made on the device with `stack="gpu"`)."""

    name = "fuse"

    def __init__(
        self,
        weights: str | None = None,
        device: str = "cpu",
        engine: str | None = None,
        stack: str = "auto",
        precision: str = "auto",
    ) -> None:
        kind, dtype = resolve_stack(stack, device), resolve_precision(precision, device)
        self.stack = make_stack(build_rife(weights, device, engine), kind, dtype)

    def interpolate(self, a: np.ndarray, b: np.ndarray, ts: Sequence[float]) -> list[np.ndarray]:
        inner = [float(t) for t in ts if 0.0 < t < 1.0]
        made = iter(self.stack.pair(a, b, inner)[:, 0]) if inner else iter(())
        return [a.copy() if t <= 0.0 else b.copy() if t >= 1.0 else next(made) for t in ts]
