"""Building blocks of VideoUNet3D: per-frame residual blocks, spatial attention, and temporal attention
with a learned bias over real-valued time differences."""

from __future__ import annotations

import math
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import nn


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding of (noise level) timesteps, shape (N,) -> (N, dim) (Vaswani et al. 2017)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def _groups(ch: int) -> int:
    for g in (32, 16, 8, 4, 2, 1):
        if ch % g == 0 and ch // g >= 2:
            return g
    return 1


class ResBlock(nn.Module):
    """2D conv residual block applied to every frame, modulated by that frame's embedding (scale, shift)."""

    def __init__(self, cin: int, cout: int, emb_dim: int) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(_groups(cin), cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * cout)
        self.norm2 = nn.GroupNorm(_groups(cout), cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        """x (N, C, H, W), emb (N, E) with N = batch·frames."""
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.emb(F.silu(emb))[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(F.silu(h))
        return self.skip(x) + h


ATTENTION_MODES = ("sdpa", "math", "xformers")


@lru_cache(maxsize=1)
def xformers_ops():
    """`xformers.ops` when the optional `xformers` extra is installed and imports, else None."""
    try:
        import xformers.ops as xops
    except Exception:  # noqa: BLE001 - absent, or built for another torch/CUDA: SDPA is used instead
        return None
    return xops


def _attend(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: torch.Tensor | None, mode: str
) -> torch.Tensor:
    """Multi-head attention (…, heads, L, d); `mode` "sdpa" (default: PyTorch's fused kernels), "math"
    (matmul-softmax) or "xformers" (`xformers.ops.memory_efficient_attention`, Lefaudeux et al. 2022,
    on CUDA tensors when xformers is installed; SDPA elsewhere)."""
    if mode == "math":
        w = (q @ k.transpose(-1, -2)) * q.shape[-1] ** -0.5
        if bias is not None:
            w = w + bias
        return w.softmax(dim=-1) @ v
    if mode == "xformers" and q.is_cuda and xformers_ops() is not None:
        return _attend_xformers(q, k, v, bias)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=bias)


def _attend_xformers(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: torch.Tensor | None):
    """xformers' kernel takes (N, L, heads, d) and a bias (N, heads, L, L) whose rows are 8-aligned in
    memory: the bias is stored padded and passed as a view."""
    lead, (h, n_q, d), n_k = q.shape[:-3], q.shape[-3:], k.shape[-2]

    def flat(x: torch.Tensor) -> torch.Tensor:
        return x.reshape(-1, *x.shape[-3:]).transpose(1, 2)

    attn_bias = None
    if bias is not None:
        full = bias.to(q.dtype).expand(*lead, h, n_q, n_k).reshape(-1, h, n_q, n_k)
        store = full.new_zeros(*full.shape[:-1], n_k + (-n_k) % 8)
        store[..., :n_k] = full
        attn_bias = store[..., :n_k]
    out = xformers_ops().memory_efficient_attention(flat(q), flat(k), flat(v), attn_bias=attn_bias)
    return out.transpose(1, 2).reshape(*lead, h, n_q, d)


class SpatialAttention(nn.Module):
    """Self-attention over the pixels of each frame (used at the lowest resolution only)."""

    def __init__(self, ch: int, heads: int, mode: str = "sdpa") -> None:
        super().__init__()
        self.heads, self.mode = heads, mode
        self.norm = nn.GroupNorm(_groups(ch), ch)
        self.qkv = nn.Linear(ch, 3 * ch)
        self.out = nn.Linear(ch, ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        tokens = self.norm(x).flatten(2).transpose(1, 2)  # (N, HW, C)
        q, k, v = self.qkv(tokens).reshape(n, h * w, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        y = _attend(q, k, v, None, self.mode).transpose(1, 2).reshape(n, h * w, c)
        return x + self.out(y).transpose(1, 2).reshape(n, c, h, w)


class DeltaTimeBias(nn.Module):
    """A learned attention bias per head as a function of the real time difference Δt = t_key − t_query.

    An MLP of (Δt, sign·log(1+|Δt|)) so that any set of real-valued times works: t = 0.4 between two
    frames is as natural as 0.5, and 3 frames as natural as 12. The first frame has no privileged position.
    """

    def __init__(self, heads: int, hidden: int = 32) -> None:
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(2, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, heads)
        )

    def forward(self, times: torch.Tensor) -> torch.Tensor:
        """times (B, T) -> bias (B, heads, T, T)."""
        dt = times[:, None, :] - times[:, :, None]  # [b, query, key]
        feats = torch.stack([dt, torch.sign(dt) * torch.log1p(dt.abs())], dim=-1)
        return self.mlp(feats).permute(0, 3, 1, 2)


class TemporalAttention(nn.Module):
    """Self-attention across the frames of a window at every pixel, with the Δt bias.

    Permutation-equivariant in the frames: the model sees times, not positions.
    """

    def __init__(self, ch: int, heads: int, mode: str = "sdpa") -> None:
        super().__init__()
        self.heads, self.mode = heads, mode
        self.norm = nn.GroupNorm(_groups(ch), ch)
        self.qkv = nn.Linear(ch, 3 * ch)
        self.out = nn.Linear(ch, ch)
        self.bias = DeltaTimeBias(heads)

    def forward(self, x: torch.Tensor, times: torch.Tensor) -> torch.Tensor:
        """x (B·T, C, H, W) with frames of a window adjacent; times (B, T)."""
        b, t = times.shape
        _, c, h, w = x.shape
        tokens = self.norm(x).reshape(b, t, c, h * w).permute(0, 3, 1, 2)  # (B, HW, T, C)
        qkv = self.qkv(tokens).reshape(b, h * w, t, 3, self.heads, c // self.heads)
        q, k, v = qkv.permute(3, 0, 1, 4, 2, 5)  # each (B, HW, heads, T, d)
        bias = self.bias(times).to(q.dtype)[:, None]  # (B, 1, heads, T, T)
        y = _attend(q, k, v, bias.expand(b, h * w, self.heads, t, t), self.mode)
        y = self.out(y.permute(0, 1, 3, 2, 4).reshape(b, h * w, t, c))  # (B, HW, T, C)
        return x + y.permute(0, 2, 3, 1).reshape(b * t, c, h, w)
