"""DIS optical flow in torch, batched over pairs, on any torch device: the GPU stack's DIS warps.

Dense Inverse Search (Kroeger, Timofte, Dai, Van Gool, "Fast Optical Flow using Dense Inverse Search",
ECCV 2016) as OpenCV's MEDIUM preset runs it (the CPU stack's flow, `vidiff.flow.dis_flow`), written for
a GPU: coarse to fine over a 2x pyramid, at each scale

1. patch inverse search: overlapping patches of frame a (8x8, every 3 pixels) each find their offset in
   frame b by inverse-compositional Gauss-Newton on mean-normalized intensities, each patch keeping the
   lowest-SSD flow it meets, starting from the coarser scale's flow or a neighbour's. OpenCV propagates
   neighbours' flows in two raster sweeps, one patch after another; here the propagation is parallel:
   three rounds in which every patch tries the flows of the patches 1, 2 and 4 places away (so a good flow
   travels far in few rounds, as in jump flooding), the descent iterations shared among the rounds;
2. densification: each pixel's flow is the mean of the patches covering it, weighted by 1 / max(1, |b(x +
   u) - a(x)|), so the patch that explains the pixel wins;
3. variational refinement (Brox et al., ECCV 2004, as in DeepFlow, Weinzaepfel et al. 2013): brightness
   and gradient constancy, normalized, robust (Charbonnier) data and smoothness terms, a few fixed-point
   iterations of red-black SOR.

The flow stops at half resolution (finest scale 1) and is upsampled, as the preset's does. Every step is
a tensor operation over all patches or pixels of all pairs at once: no CPU stage, and no sequential sweep.
It is not OpenCV's bit for bit; tests/test_torch_dis.py holds it to OpenCV's flow and warp quality on real
frames, and benchmarks/results/gpu_stack what the model scores over it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class DISParams:
    """OpenCV's MEDIUM preset (patch 8, stride 3, 25 descent iterations, finest scale 1) and its
    variational refinement defaults (alpha 20, delta 5, gamma 10, 5 fixed-point x 5 SOR iterations)."""

    finest_scale: int = 1
    patch_size: int = 8
    patch_stride: int = 3
    iterations: int = 25
    refine_iterations: int = 5
    sor_iterations: int = 5
    alpha: float = 20.0
    delta: float = 5.0
    gamma: float = 10.0
    omega: float = 1.6
    zeta: float = 0.1
    epsilon: float = 0.001
    rounds: int = 3  # propagation rounds, the descent iterations shared among them
    reach: tuple[int, ...] = (1, 2, 4)  # each round takes neighbours' flows from these many patches away


MEDIUM = DISParams()
# Flows computed in one batch, in pixels (frame area x flows): a flow's working memory is about 140 bytes a
# pixel (measured on the CPU: 158 MB for one 1280x720 flow, 540 MB for four), so this many is ~2 GB, the
# sixteen flows of a 720p window of eight pairs; bigger frames go through in smaller batches (1080p: seven, 4K: one)
MAX_BATCH_PIXELS = 16 * 1280 * 720


def backward_warp(x: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """out(p) = x(p + flow(p)), bilinear, border replicated; flow (N, 2, H, W) in pixels, x at flow's size."""
    _, _, h, w = flow.shape
    ys = torch.arange(h, dtype=flow.dtype, device=flow.device).view(1, h, 1)
    xs = torch.arange(w, dtype=flow.dtype, device=flow.device).view(1, 1, w)
    # align_corners=True: pixel 0 -> -1, pixel (size-1) -> +1
    gx = (xs + flow[:, 0]) * (2.0 / max(w - 1, 1)) - 1.0
    gy = (ys + flow[:, 1]) * (2.0 / max(h - 1, 1)) - 1.0
    grid = torch.stack((gx, gy), dim=-1)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=True)


def gray(frames: torch.Tensor) -> torch.Tensor:
    """RGB (N, 3, H, W) in 0..255 -> luma (N, 1, H, W), OpenCV's RGB2GRAY weights (BT.601), rounded as
    OpenCV's 8-bit conversion rounds (DIS reads 8-bit frames)."""
    return (frames * _luma(frames.dtype, frames.device)).sum(1, keepdim=True).round_()


@functools.lru_cache(maxsize=8)
def _luma(dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """The RGB -> luma weights (1, 3, 1, 1) on `device`, made once (a host-to-device copy per call else)."""
    return torch.tensor([0.299, 0.587, 0.114], dtype=dtype, device=device).view(1, 3, 1, 1)


def dis_flows(
    a: torch.Tensor, b: torch.Tensor, params: DISParams = MEDIUM, graphs: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """(F_ab, F_ba) of N pairs of RGB frames (N, 3, H, W) in 0..255, each (N, 2, H, W) float32 in pixels
    with a(x) ~ b(x + F_ab(x)): both directions in one batch of 2N (batches of MAX_BATCH_PIXELS), from
    CUDA graphs on a GPU unless `graphs` is False (eager: what the graphs save is measured against it)."""
    ga, gb = gray(a.float()), gray(b.float())
    i0, i1 = torch.cat((ga, gb)), torch.cat((gb, ga))
    step = max(1, MAX_BATCH_PIXELS // (i0.shape[-2] * i0.shape[-1]))
    run = _GRAPHS.run if i0.is_cuda and graphs else dis_flow
    flows = torch.cat([run(i0[s : s + step], i1[s : s + step], params) for s in range(0, len(i0), step)])
    return flows[: len(a)], flows[len(a) :]


class _CudaGraphs:
    """`dis_flow` replayed from a CUDA graph per input shape: eager, it launches a few thousand small
    kernels (pyramid levels x propagation rounds x SOR sweeps), so on a GPU the launches, not the
    arithmetic, would set its pace. Each shape's graph is captured once and checked against the eager
    result; a capture that fails or disagrees turns the graphs off for the process (eager from then on).
    The graphs share one memory pool (they are replayed one at a time, their inputs and outputs kept), and
    capture and replay run in inference mode whatever the caller's, so a graph captured under it (the
    prior stack's) replays for a caller outside it."""

    def __init__(self) -> None:
        self.graphs: dict[tuple, tuple] = {}  # (shape, device, params) -> (graph, input a, input b, output)
        self.pool = None
        self.enabled = True

    def run(self, i0: torch.Tensor, i1: torch.Tensor, params: DISParams) -> torch.Tensor:
        """The flow of `dis_flow(i0, i1, params)` (CUDA tensors), from this shape's graph."""
        if not self.enabled:
            return dis_flow(i0, i1, params)
        key = (tuple(i0.shape), i0.device, params)
        if key in self.graphs:
            return self._replay(key, i0, i1)
        want = dis_flow(i0, i1, params)
        try:
            self.graphs[key] = self._capture(i0, i1, params)
            ok = torch.allclose(self._replay(key, i0, i1), want, atol=1e-3)
        except RuntimeError:
            ok = False
        if not ok:
            self.enabled = False
            self.graphs.clear()
        return want

    def _capture(self, i0: torch.Tensor, i1: torch.Tensor, params: DISParams) -> tuple:
        """(graph, its input tensors, its output tensor) of one shape, warmed up on a side stream first."""
        with torch.inference_mode(), torch.cuda.device(i0.device):
            if self.pool is None:
                self.pool = torch.cuda.graph_pool_handle()
            a, b = i0.clone(), i1.clone()
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                dis_flow(a, b, params)
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph, pool=self.pool):
                out = dis_flow(a, b, params)
        return graph, a, b, out

    def _replay(self, key: tuple, i0: torch.Tensor, i1: torch.Tensor) -> torch.Tensor:
        """The graph of `key` run on i0, i1; its output copied (the next replay overwrites it)."""
        graph, a, b, out = self.graphs[key]
        with torch.inference_mode():
            a.copy_(i0)
            b.copy_(i1)
            graph.replay()
        return out.clone()


_GRAPHS = _CudaGraphs()


def cuda_graphs_on() -> bool:
    """Whether DIS on CUDA still replays graphs (False once a capture failed or disagreed)."""
    return _GRAPHS.enabled


def dis_flow(i0: torch.Tensor, i1: torch.Tensor, params: DISParams = MEDIUM) -> torch.Tensor:
    """Flow from i0 to i1 (N, 2, H, W): gray frames (N, 1, H, W) float in 0..255."""
    h, w = i0.shape[-2:]
    finest, top = scales(h, w, params)
    pyr0, pyr1 = _pyramid(i0, top), _pyramid(i1, top)
    flow = None
    for s in range(top, finest - 1, -1):
        a, b = pyr0[s], pyr1[s]
        flow = a.new_zeros(a.shape[0], 2, *a.shape[-2:]) if flow is None else _upsample(flow, a.shape[-2:])
        flow = _refine(a, b, _inverse_search(a, b, flow, params), params)
    return flow if finest == 0 else _upsample(flow, (h, w), 2.0**finest)


def scales(h: int, w: int, params: DISParams = MEDIUM) -> tuple[int, int]:
    """(finest, coarsest) pyramid level: the preset's finest where the frame has 2 pixels a side there;
    the coarsest where patches are about a quarter of the frame's longer side (OpenCV's first term), and
    at least two patches fit the shorter side (OpenCV asks one), never below the finest."""
    ps = params.patch_size
    finest = max(0, min(params.finest_scale, int(math.log2(max(min(h, w) / 2.0, 1.0)))))
    top = int(math.log2(max(h, w) / (4.0 * ps)) + 0.5)
    top = min(top, int(math.log2(max(min(h, w) / (2.0 * ps), 1.0))))
    return finest, max(top, finest)


def _pyramid(img: torch.Tensor, top: int) -> list[torch.Tensor]:
    """Levels 0..top, each half the last (2x2 means, an odd last row or column dropped: INTER_AREA's halving)."""
    levels = [img]
    for _ in range(top):
        x = levels[-1]
        levels.append(F.avg_pool2d(x[..., : x.shape[-2] // 2 * 2, : x.shape[-1] // 2 * 2], 2))
    return levels


def _upsample(flow: torch.Tensor, size, factor: float = 2.0) -> torch.Tensor:
    """A coarser level's flow at `size`, in that level's pixels (`factor` finer)."""
    return F.interpolate(flow, size=tuple(size), mode="bilinear", align_corners=False) * factor


def _grad(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """d/dx, d/dy by central differences, edges replicated (half `_sobel1`'s)."""
    gx, gy = _sobel1(x)
    return 0.5 * gx, 0.5 * gy


class _Patches:
    """The patch grid of one scale: templates, their normal equations, and sampling of frame b."""

    def __init__(self, a: torch.Tensor, b: torch.Tensor, params: DISParams) -> None:
        ps, st = params.patch_size, params.patch_stride
        n, _, h, w = a.shape
        # pad a below and right (edges replicated) so the grid covers every pixel
        self.ph, self.pw = (_cover(x, ps, st) for x in (h, w))
        a = F.pad(a, (0, self.pw - w, 0, self.ph - h), mode="replicate")
        self.h, self.w, self.ps, self.st = h, w, ps, st
        self.gh, self.gw = (self.ph - ps) // st + 1, (self.pw - ps) // st + 1
        self.raw = F.unfold(a, ps, stride=st)  # (N, ps*ps, P)
        self.tmpl = self.raw - self.raw.mean(1, keepdim=True)
        gx, gy = (F.unfold(g, ps, stride=st) for g in _grad(a))
        self.gx, self.gy = gx - gx.mean(1, keepdim=True), gy - gy.mean(1, keepdim=True)
        hxx, hxy, hyy = (self.gx * self.gx).sum(1), (self.gx * self.gy).sum(1), (self.gy * self.gy).sum(1)
        hxx, hyy = hxx + 1.0, hyy + 1.0  # keeps a flat patch's system solvable (its step then ~ 0)
        det = hxx * hyy - hxy * hxy
        self.inv = (hyy / det, -hxy / det, hxx / det)
        self.b = b
        dev, dt = a.device, a.dtype
        k = torch.arange(ps, device=dev, dtype=dt)
        oy = torch.arange(self.gh, device=dev, dtype=dt) * st
        ox = torch.arange(self.gw, device=dev, dtype=dt) * st
        # pixel coordinates (ps*ps, P) of every patch's pixels, in unfold's order (row-major in the patch)
        self.xs = (k.repeat(ps).view(-1, 1) + ox.repeat(self.gh).view(1, -1)).unsqueeze(0)
        self.ys = (k.repeat_interleave(ps).view(-1, 1) + oy.repeat_interleave(self.gw).view(1, -1)).unsqueeze(
            0
        )
        self.sx, self.sy = 2.0 / max(w - 1, 1), 2.0 / max(h - 1, 1)

    def sample(self, u: torch.Tensor) -> torch.Tensor:
        """Frame b at every patch pixel displaced by its patch's flow u (N, 2, P): (N, ps*ps, P)."""
        gx = (self.xs + u[:, :1]) * self.sx - 1.0
        gy = (self.ys + u[:, 1:]) * self.sy - 1.0
        grid = torch.stack((gx, gy), -1)
        return F.grid_sample(self.b, grid, mode="bilinear", padding_mode="border", align_corners=True)[:, 0]

    def residual(self, u: torch.Tensor) -> torch.Tensor:
        """Mean-normalized difference of b at flow u from each patch: (N, ps*ps, P)."""
        s = self.sample(u)
        return s - s.mean(1, keepdim=True) - self.tmpl

    def ssd(self, u: torch.Tensor) -> torch.Tensor:
        """Mean-normalized sum of squared differences of each patch at flow u: (N, P)."""
        diff = self.residual(u)
        return (diff * diff).sum(1)

    def descend(self, u: torch.Tensor, iterations: int) -> torch.Tensor:
        """Inverse-compositional Gauss-Newton steps on every patch at once; each patch keeps the flow with
        the lowest SSD it met (a step that overshoots is not taken: OpenCV stops a patch there)."""
        ixx, ixy, iyy = self.inv
        best, cost = u, None
        for i in range(iterations + 1):
            diff = self.residual(u)
            c = (diff * diff).sum(1)
            if cost is None:
                cost = c
            else:
                take = (c < cost).unsqueeze(1)
                best, cost = torch.where(take, u, best), torch.minimum(c, cost)
            if i < iterations:
                bx, by = (self.gx * diff).sum(1), (self.gy * diff).sum(1)
                u = u - torch.stack((ixx * bx + ixy * by, ixy * bx + iyy * by), 1)
        return best

    def propagate(self, u: torch.Tensor, cost: torch.Tensor, reach: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(flows, their SSD) after each patch takes the flow of the patch `reach` places left, right,
        above or below where it fits its own patch better (one parallel round); `cost` is u's SSD."""
        n, r = u.shape[0], reach
        grid = u.view(n, 2, self.gh, self.gw)
        p = F.pad(grid, (r, r, r, r), mode="replicate")
        best = u
        for dy, dx in ((r, 0), (r, 2 * r), (0, r), (2 * r, r)):
            cand = p[..., dy : dy + self.gh, dx : dx + self.gw].reshape(n, 2, -1)
            c = self.ssd(cand)
            take = (c < cost).unsqueeze(1)
            best, cost = torch.where(take, cand, best), torch.minimum(c, cost)
        return best, cost

    def densify(self, u: torch.Tensor) -> torch.Tensor:
        """Dense flow (N, 2, h, w): per pixel the patches' flows weighted by 1 / max(1, |b(x + u) - a(x)|)."""
        wgt = 1.0 / (self.sample(u) - self.raw).abs().clamp_min(1.0)
        parts = torch.cat((wgt * u[:, :1], wgt * u[:, 1:], wgt), 1)
        summed = F.fold(parts, (self.ph, self.pw), self.ps, stride=self.st)[..., : self.h, : self.w]
        return summed[:, :2] / summed[:, 2:].clamp_min(1e-6)


def _cover(size: int, ps: int, st: int) -> int:
    """The smallest padded size >= size whose patch grid (patch ps, stride st) ends on its last pixel."""
    size = max(size, ps)
    return size + (-(size - ps)) % st


def _inverse_search(a: torch.Tensor, b: torch.Tensor, flow: torch.Tensor, params: DISParams) -> torch.Tensor:
    """Step 1 and 2 of one scale: patch flows from `flow`'s values at the patch centres, densified."""
    pt = _Patches(a, b, params)
    c = params.patch_size // 2
    padded = F.pad(flow, (0, pt.pw - pt.w, 0, pt.ph - pt.h), mode="replicate")
    init = padded[..., c :: params.patch_stride, c :: params.patch_stride][..., : pt.gh, : pt.gw]
    init = init.reshape(flow.shape[0], 2, -1)
    u, rounds, its = init, params.rounds, params.iterations
    for k in range(rounds):
        cost = pt.ssd(u)
        for r in params.reach:
            u, cost = pt.propagate(u, cost, r)
        start = u
        u = pt.descend(u, its * (k + 1) // rounds - its * k // rounds)
        # a patch that went further than its own size is put back (OpenCV's rule)
        u = torch.where(((u - start).norm(dim=1) > params.patch_size).unsqueeze(1), start, u)
    return pt.densify(u)


def _refine(a: torch.Tensor, b: torch.Tensor, flow: torch.Tensor, params: DISParams) -> torch.Tensor:
    """Step 3: variational refinement of the dense flow as OpenCV's VariationalRefinement sets it up: b
    warped once, derivatives (kernel (-1, 0, 1)) of the mean of a and warped b, each constancy term
    normalized by its gradient's magnitude, robust weights lagged one fixed-point iteration, each
    fixed-point iteration solved by red-black SOR."""
    if params.refine_iterations <= 0:
        return flow
    p = params
    bw = backward_warp(b, flow)
    ix, iy = _sobel1(0.5 * (a + bw))
    iz = bw - a
    ixz, iyz = _sobel1(iz)
    ixx, ixy = _sobel1(ix)
    iyy = _sobel1(iy)[1]
    z2, e2 = p.zeta * p.zeta, p.epsilon * p.epsilon
    ni, ngx, ngy = ix * ix + iy * iy + z2, ixx * ixx + ixy * ixy + z2, iyy * iyy + ixy * ixy + z2
    h, w = a.shape[-2:]
    red = (
        (torch.arange(h, device=a.device).view(-1, 1) + torch.arange(w, device=a.device).view(1, -1)) % 2
    ) == 0
    du = torch.zeros_like(flow)
    for _ in range(p.refine_iterations):
        d0, d1 = du[:, :1], du[:, 1:]
        ri = iz + ix * d0 + iy * d1
        rgx, rgy = ixz + ixx * d0 + ixy * d1, iyz + ixy * d0 + iyy * d1
        wi = 0.5 * p.delta / torch.sqrt(ri * ri / ni + e2) / ni
        wg = 0.5 * p.gamma / torch.sqrt(rgx * rgx / ngx + rgy * rgy / ngy + e2)
        wgx, wgy = wg / ngx, wg / ngy
        a11 = wi * ix * ix + wgx * ixx * ixx + wgy * ixy * ixy + z2
        a12 = wi * ix * iy + wgx * ixx * ixy + wgy * ixy * iyy
        a22 = wi * iy * iy + wgx * ixy * ixy + wgy * iyy * iyy + z2
        b1 = wi * ix * iz + wgx * ixx * ixz + wgy * ixy * iyz
        b2 = wi * iy * iz + wgx * ixy * ixz + wgy * iyy * iyz
        right, down = _smoothness(flow + du, p)
        du = _sor(flow, du, (a11, a12, a22, b1, b2), right, down, red, p)
    return flow + du


def _sobel1(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """d/dx, d/dy as OpenCV's Sobel with ksize 1 gives them: x(+1) - x(-1) (twice the central
    difference), edges replicated."""
    p = F.pad(x, (1, 1, 1, 1), mode="replicate")
    return p[..., 1:-1, 2:] - p[..., 1:-1, :-2], p[..., 2:, 1:-1] - p[..., :-2, 1:-1]


def _smoothness(total: torch.Tensor, p: DISParams) -> tuple[torch.Tensor, torch.Tensor]:
    """The robust smoothness weight alpha/2 / sqrt(|forward differences of the flow|^2 + eps^2) of each
    pixel, on its right and lower edge (0 past the border)."""
    q = F.pad(total, (0, 1, 0, 1), mode="replicate")
    gx, gy = q[..., :-1, 1:] - total, q[..., 1:, :-1] - total
    s = 0.5 * p.alpha / torch.sqrt((gx * gx + gy * gy).sum(1, keepdim=True) + p.epsilon**2)
    return F.pad(s[..., :, :-1], (0, 1)), F.pad(s[..., :-1, :], (0, 0, 0, 1))


def _sor(flow, du, system, right, down, red, p: DISParams) -> torch.Tensor:
    """`sor_iterations` red-black SOR sweeps on the linearized Euler-Lagrange equations in du."""
    a11, a12, a22, b1, b2 = system
    left = F.pad(right[..., :, :-1], (1, 0))
    up = F.pad(down[..., :-1, :], (0, 0, 1, 0))
    wsum = right + left + down + up
    # what the sweeps do not change, made once
    wflow, den0, den1, black = wsum * flow, a11 + wsum, a22 + wsum, ~red
    for _ in range(p.sor_iterations):
        for mask in (red, black):
            total = flow + du
            q = F.pad(total, (1, 1, 1, 1), mode="replicate")
            nb = (
                right * q[..., 1:-1, 2:]
                + left * q[..., 1:-1, :-2]
                + down * q[..., 2:, 1:-1]
                + up * q[..., :-2, 1:-1]
                - wflow
            )
            d0 = (nb[:, :1] - b1 - a12 * du[:, 1:]) / den0
            d0 = (1 - p.omega) * du[:, :1] + p.omega * d0
            d1 = (nb[:, 1:] - b2 - a12 * d0) / den1
            d1 = (1 - p.omega) * du[:, 1:] + p.omega * d1
            du = torch.where(mask, torch.cat((d0, d1), 1), du)
    return du
