"""The codec interface, padding to a multiple, and uint8 <-> [-1, 1] tensor conversion."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vidiff.errors import ConfigError


class Codec(nn.Module):
    """Maps frames (..., 3, H, W) in [-1, 1] to latents (..., channels, h, w) and back.

    `factor` is the spatial down-scaling, `channels` the latent channel count. `encode` pads H and W up to a
    multiple of `multiple` (replicating the border) and remembers nothing: `decode(latents, size=(H, W))`
    crops back to the original size.
    """

    factor: int = 1
    channels: int = 3
    multiple: int = 1
    linear: bool = False  # decode(a + b) == decode(a) + decode(b): lets the sampler decode a residual alone

    def _encode(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _decode(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def encode(self, frames: torch.Tensor) -> torch.Tensor:
        """Latents of `frames` (..., 3, H, W); H and W are padded to `multiple` first."""
        lead, (c, h, w) = frames.shape[:-3], frames.shape[-3:]
        x = frames.reshape(-1, c, h, w)
        ph, pw = (-h) % self.multiple, (-w) % self.multiple
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        z = self._encode(x)
        return z.reshape(*lead, *z.shape[1:])

    def decode(self, latents: torch.Tensor, size: tuple[int, int] | None = None) -> torch.Tensor:
        """Frames (..., 3, H, W) from latents, cropped to `size` = (H, W) when given."""
        lead = latents.shape[:-3]
        x = self._decode(latents.reshape(-1, *latents.shape[-3:]))
        if size is not None:
            x = x[..., : size[0], : size[1]]
        return x.reshape(*lead, *x.shape[1:])

    def latent_size(self, h: int, w: int) -> tuple[int, int]:
        """Latent (h, w) of an (H, W) frame."""
        m = self.multiple
        return (-(-h // m) * m) // self.factor, (-(-w // m) * m) // self.factor


def frames_to_tensor(
    frames: Sequence[np.ndarray] | np.ndarray, device: str | torch.device = "cpu"
) -> torch.Tensor:
    """RGB uint8 frames (T, H, W, 3) -> float32 tensor (T, 3, H, W) in [-1, 1]. A uint8 tensor (already on
    the device: the GPU stack's priors) is converted where it is."""
    if isinstance(frames, torch.Tensor):
        src = frames
    else:
        src = torch.from_numpy(
            np.ascontiguousarray(np.stack(list(frames)) if not isinstance(frames, np.ndarray) else frames)
        )
    x = src.to(device).permute(0, 3, 1, 2).to(torch.float32, copy=True)
    return x.div_(127.5).sub_(1.0)  # in place on the copy (never the caller's array): one pass fewer


def tensor_to_frames(x: torch.Tensor) -> np.ndarray:
    """Float tensor (T, 3, H, W) in [-1, 1] -> RGB uint8 (T, H, W, 3), rounded to nearest."""
    y = ((x.detach().float().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)
    return y.permute(0, 2, 3, 1).cpu().numpy()


DEFAULT_CODEC: dict[str, Any] = {"type": "pixel_unshuffle", "factor": 4}  # the lossless codec of every model


def get_codec(spec: dict[str, Any] | None) -> Codec:
    """Build a codec from its config: {"type": "pixel_unshuffle", "factor": 4} or {"type": "tiny_vae", ...}."""
    from vidiff.codecs.pixel import PixelUnshuffleCodec
    from vidiff.codecs.vae import TinyVAECodec

    spec = dict(spec or DEFAULT_CODEC)
    kind = spec.pop("type", "pixel_unshuffle")
    builders = {"pixel_unshuffle": PixelUnshuffleCodec, "tiny_vae": TinyVAECodec}
    if kind not in builders:
        raise ConfigError(f"unknown codec type {kind!r}; choose one of: {', '.join(builders)}")
    try:
        return builders[kind](**spec)
    except TypeError as e:
        raise ConfigError(f"codec {kind!r}: {e}") from None
