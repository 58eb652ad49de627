"""Lossless pixel-unshuffle codec: each factor x factor block of pixels becomes 3·factor² channels.

Exact by construction (a reshape), free to compute, and it lets the U-Net work at 1/factor resolution
while the loss in latent space is the loss in pixel space.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

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

    def _encode(self, x: torch.Tensor) -> torch.Tensor:
        return F.pixel_unshuffle(x, self.factor)

    def _decode(self, z: torch.Tensor) -> torch.Tensor:
        return F.pixel_shuffle(z, self.factor)
