"""VideoUNet3D: a factorized space-time U-Net over the frames of a window at real-valued times.

- 2D conv residual blocks per frame; spatial self-attention at the lowest resolution only; temporal
  self-attention across the window's frames at every level, biased by a learned function of Δt
  (`DeltaTimeBias`), so frame positions are real timestamps (a video U-Net in the line of Ho et al.,
  "Video Diffusion Models", 2022, with FDM-style flexible conditioning, Harvey et al. 2022).
- Flexible conditioning: per frame the input holds the noisy latent, and `cond` = the clean latent where
  observed (zero elsewhere), the observed mask and the prior μ (plus optional extra prior channels).
- Residual parameterisation (Residual Video Diffusion, Yang et al. 2023): the network predicts the clean
  residual x − μ; its output layer starts at zero, so the untrained model returns μ exactly.
- Learned fusion (`fusion_candidates` K > 0): μ is a fixed fusion of K candidate frames whose differences
  from μ are in `cond`; a second zero-initialised head gives per-pixel weights in (−1, 1) on them, added to
  the residual — the network learns where each candidate (DIS warps, RIFE) is right, not detail from scratch.

A diffusers `ModelMixin` + `ConfigMixin`: `save_pretrained(dir)` / `from_pretrained(dir)` work offline with
config.json + safetensors.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn

from vidiff.errors import ConfigError
from vidiff.models.layers import (
    ATTENTION_MODES,
    ResBlock,
    SpatialAttention,
    TemporalAttention,
    _groups,
    timestep_embedding,
)


class VideoUNet3D(ModelMixin, ConfigMixin):
    """Space-time U-Net: (B, T, C, h, w) noisy residual latents + per-frame conditions -> clean residual."""

    config_name = "config.json"

    @register_to_config
    def __init__(
        self,
        latent_channels: int = 48,
        cond_channels: int = 193,
        block_channels: tuple[int, ...] = (8, 16, 32),
        layers_per_block: int = 1,
        heads: int = 4,
        spatial_attention_levels: tuple[int, ...] = (),
        emb_dim: int = 128,
        attention: str = "sdpa",
        fusion_candidates: int = 3,
        mid_attention: bool = False,
        temporal_attention_levels: tuple[int, ...] | None = (1, 2),
    ) -> None:
        """The defaults are the shipped model's (vidiff/weights/default) and the only place they are
        written: training configs state what differs (vidiff.diffusion.model.model_defaults).
        latent/cond channels and fusion_candidates follow from the codec and prior kind (from_config);
        temporal_attention_levels None means every level."""
        super().__init__()
        _check_attention(attention)
        self.levels = len(block_channels)
        self.emb_dim = emb_dim
        temporal = range(self.levels) if temporal_attention_levels is None else temporal_attention_levels

        def layer(cin: int, cout: int, lvl: int) -> _SpaceTimeLayer:
            spatial = lvl in spatial_attention_levels
            return _SpaceTimeLayer(cin, cout, emb_dim, heads, spatial, attention, lvl in temporal)

        self.time_mlp = nn.Sequential(nn.Linear(emb_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.observed_emb = nn.Embedding(2, emb_dim)
        self.conv_in = nn.Conv2d(latent_channels + cond_channels, block_channels[0], 3, padding=1)

        self.down = nn.ModuleList()
        ch = block_channels[0]
        skips = []
        for lvl, out_ch in enumerate(block_channels):
            stage = nn.ModuleList()
            for _ in range(layers_per_block):
                stage.append(layer(ch, out_ch, lvl))
                ch = out_ch
                skips.append(ch)
            self.down.append(stage)
        self.downsample = nn.ModuleList(nn.Conv2d(c, c, 3, stride=2, padding=1) for c in block_channels[:-1])
        self.mid = _SpaceTimeLayer(ch, ch, emb_dim, heads, mid_attention, attention)
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for lvl in reversed(range(self.levels)):
            out_ch = block_channels[lvl]
            stage = nn.ModuleList()
            for _ in range(layers_per_block):
                stage.append(layer(ch + skips.pop(), out_ch, lvl))
                ch = out_ch
            self.up.append(stage)
            if lvl > 0:
                self.upsample.append(nn.Conv2d(ch, block_channels[lvl - 1], 3, padding=1))
                ch = block_channels[lvl - 1]
        self.norm_out = nn.GroupNorm(_groups(ch), ch)
        self.conv_out = nn.Conv2d(ch, latent_channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)  # untrained model: residual 0, output = prior μ
        nn.init.zeros_(self.conv_out.bias)
        # Learned fusion: per latent pixel and channel, a weight in (-1, 1) on each candidate's difference
        # from μ (cond channels C .. C + K·C); zero at start, so the untrained model returns μ exactly.
        self.fusion_candidates = fusion_candidates
        if fusion_candidates:
            self.conv_fuse = nn.Conv2d(ch, fusion_candidates * latent_channels, 3, padding=1)
            nn.init.zeros_(self.conv_fuse.weight)
            nn.init.zeros_(self.conv_fuse.bias)

    def set_attention(self, mode: str) -> None:
        """Switch every attention layer's kernel ("sdpa", "math" or "xformers"); the weights are the same."""
        _check_attention(mode)
        for m in self.modules():
            if isinstance(m, SpatialAttention | TemporalAttention):
                m.mode = mode
        self.register_to_config(attention=mode)

    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor | float,
        times: torch.Tensor,
        observed: torch.Tensor,
        cond: torch.Tensor,
    ) -> torch.Tensor:
        """Predict the clean residual latents.

        sample (B, T, C, h, w): noisy residual latents (any value on observed frames: they are ignored);
        timestep: diffusion step per window (B,) or a scalar; times (B, T): real frame times, any unit
        (differences matter, not order or origin); observed (B, T) bool; cond (B, T, cond_channels, h, w).
        Returns (B, T, C, h, w), zero on the observed frames (only the generated ones are computed).
        """
        b, t, c, h, w = sample.shape
        m = 2 ** (self.levels - 1)
        ph, pw = (-h) % m, (-w) % m
        gen = ~observed.to(device=sample.device, dtype=torch.bool).reshape(-1)
        gi, oi = gen.nonzero().flatten(), (~gen).nonzero().flatten()
        cond_g = cond.reshape(b * t, -1, h, w).index_select(0, gi)  # the generated frames' conditions
        x = self._embed(sample, cond, cond_g, gi, oi, (0, pw, 0, ph))
        ts = torch.as_tensor(timestep, device=sample.device, dtype=torch.float32).reshape(-1).expand(b)
        emb = self.time_mlp(timestep_embedding(ts, self.emb_dim))  # (B, E)
        emb = (emb[:, None] + self.observed_emb(observed.long())).reshape(b * t, -1)
        times = times.to(device=sample.device, dtype=torch.float32)
        # normalise to the window's own scale-free origin: only differences enter the attention bias
        times = times - times.mean(dim=1, keepdim=True)

        hs = []
        for lvl, stage in enumerate(self.down):
            for layer in stage:
                x = layer(x, emb, times)
                hs.append(x)
            if lvl < self.levels - 1:
                x = self.downsample[lvl](x)
        x = self.mid(x, emb, times)
        # after the up path's last temporal attention, frames no longer see each other: the rest runs on
        # the generated frames only (an observed frame's output is ignored), with the same result
        last = max((i for i, st in enumerate(self.up) for ly in st if ly.temporal is not None), default=-1)
        rows = None
        for i, stage in enumerate(self.up):
            for layer in stage:
                skip = hs.pop()
                if rows is not None:
                    skip = skip.index_select(0, rows)
                if x.shape[-2:] != skip.shape[-2:]:
                    x = x[..., : skip.shape[-2], : skip.shape[-1]]
                x = layer(torch.cat([x, skip], dim=1), emb, times)
            if i == last and rows is None:
                rows = gi
                x, emb = x.index_select(0, gi), emb.index_select(0, gi)
            if i < self.levels - 1:
                x = self.upsample[i](F.interpolate(x, scale_factor=2.0, mode="nearest"))
        # the output heads run on the generated frames only
        out = torch.zeros_like(sample)
        if not len(gi):
            return out
        x = F.silu(self.norm_out(x if rows is not None else x.index_select(0, gi)))
        res = self.conv_out(x)[..., :h, :w]
        if self.fusion_candidates:
            k = self.fusion_candidates
            wts = torch.tanh(self.conv_fuse(x)[..., :h, :w]).reshape(-1, k, c, h, w)
            rel = cond_g[:, c : c + k * c].reshape(-1, k, c, h, w)
            res = res + (wts * rel).sum(dim=1)
        out.reshape(b * t, c, h, w).index_copy_(0, gi, res)
        return out

    def _embed(
        self,
        sample: torch.Tensor,
        cond: torch.Tensor,
        cond_g: torch.Tensor,
        gi: torch.Tensor,
        oi: torch.Tensor,
        pad: tuple,
    ):
        """`conv_in` per frame, (B·T, ch, H, W); gi / oi index the generated / observed frames of B·T and
        cond_g holds the generated frames' conditions.

        An observed frame's noisy latent and candidates carry nothing (zero by construction), so only its
        μ and mask channels are read and convolved: the same result for a fraction of the cost.
        """
        b, t, c, h, w = sample.shape
        x = sample.new_empty((b * t, self.conv_in.out_channels, h + pad[3], w + pad[1]))
        if len(gi):
            full = torch.cat([sample.reshape(b * t, c, h, w).index_select(0, gi), cond_g], dim=1)
            x.index_copy_(0, gi, self.conv_in(F.pad(full, pad, mode="replicate") if any(pad) else full))
        if len(oi):
            flat_c = cond.reshape(b * t, -1, h, w)
            seen = torch.cat([flat_c[:, :c].index_select(0, oi), flat_c[:, -1:].index_select(0, oi)], dim=1)
            wt = torch.cat([self.conv_in.weight[:, c : 2 * c], self.conv_in.weight[:, -1:]], dim=1)
            seen = F.pad(seen, pad, mode="replicate") if any(pad) else seen
            x.index_copy_(0, oi, F.conv2d(seen, wt, self.conv_in.bias, padding=1))
        return x


def _check_attention(mode: str) -> None:
    if mode not in ATTENTION_MODES:
        raise ConfigError(f"unknown attention {mode!r}; choose one of: {', '.join(ATTENTION_MODES)}")


class _SpaceTimeLayer(nn.Module):
    """ResBlock per frame, then (optionally) spatial attention per frame and temporal attention."""

    def __init__(
        self,
        cin: int,
        cout: int,
        emb_dim: int,
        heads: int,
        spatial: bool,
        attention: str,
        temporal: bool = True,
    ) -> None:
        super().__init__()
        self.res = ResBlock(cin, cout, emb_dim)
        self.spatial = SpatialAttention(cout, heads, attention) if spatial else None
        self.temporal = TemporalAttention(cout, heads, attention) if temporal else None

    def forward(self, x: torch.Tensor, emb: torch.Tensor, times: torch.Tensor) -> torch.Tensor:
        x = self.res(x, emb)
        if self.spatial is not None:
            x = self.spatial(x)
        return x if self.temporal is None else self.temporal(x, times)
