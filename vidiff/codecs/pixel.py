"""Lossless pixel-unshuffle codec: each factor x factor block of pixels becomes 3·factor² channels.

Exact by construction (a reshape), free to compute, and it lets the U-Net work at 1/factor resolution
while the loss in latent space is the loss in pixel space.
"""

from __future__ import annotations

import torch

from vidiff.codecs.base import Codec
from vidiff.errors import ConfigError


class PixelUnshuffleCodec(Codec):
    """Space-to-depth by `factor` (2, 4 or 8); decode(encode(x)) == x exactly."""

    linear = True

    def __init__(self, factor: int = 4) -> None:
        super().__init__()
        if factor not in (1, 2, 4, 8):
            raise ConfigError(f"pixel_unshuffle factor must be 1, 2, 4 or 8, not {factor!r}")
        self.factor = self.multiple = int(factor)
        self.channels = 3 * self.factor**2

    # F.pixel_unshuffle / F.pixel_shuffle written as a reshape, a permute and one copy: the same values in
    # the same layout (tests/test_model.py checks it against torch's), and faster on the CPU than torch's

    def _encode(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        f = self.factor
        z = x.reshape(n, c, h // f, f, w // f, f).permute(0, 1, 3, 5, 2, 4)
        return z.reshape(n, c * f * f, h // f, w // f)

    def _decode(self, z: torch.Tensor) -> torch.Tensor:
        n, cc, h, w = z.shape
        f = self.factor
        x = z.reshape(n, cc // (f * f), f, f, h, w).permute(0, 1, 4, 2, 5, 3)
        return x.reshape(n, cc // (f * f), h * f, w * f)
