"""A small learned VAE codec on diffusers' AutoencoderTiny (TAESD architecture, Bohan 2023).

Built from a config (no download); its weights come from `vidiff train` with `codec.type: tiny_vae`.
Lossy, so `decode(encode(x))` is only close to x: measure it against pixel-unshuffle before using it.
"""

from __future__ import annotations

import torch

from vidiff.codecs.base import Codec


class TinyVAECodec(Codec):
    """AutoencoderTiny with `levels` 2x down-samplings (factor 2**levels) and `latent_channels` channels."""

    def __init__(self, levels: int = 2, latent_channels: int = 16, width: int = 32, blocks: int = 1) -> None:
        super().__init__()
        from diffusers import AutoencoderTiny

        n = levels + 1
        self.vae = AutoencoderTiny(
            encoder_block_out_channels=(width,) * n,
            decoder_block_out_channels=(width,) * n,
            num_encoder_blocks=(1,) + (blocks,) * levels,
            num_decoder_blocks=(blocks,) * levels + (1,),
            latent_channels=latent_channels,
        )
        self.factor = self.multiple = 2**levels
        self.channels = latent_channels

    def _encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.vae.encode(x).latents

    def _decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.vae.decode(z).sample.clamp(-1, 1)
