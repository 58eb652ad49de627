"""Latent codecs behind one interface: `encode(frames) -> latents`, `decode(latents) -> frames`.

Frames are float tensors (..., 3, H, W) in [-1, 1]; latents are (..., channels, H / factor, W / factor).
Any size works: frames are padded (replicate) to the codec's multiple and cropped back on decode.
"""

from vidiff.codecs.base import DEFAULT_CODEC, Codec, frames_to_tensor, get_codec, tensor_to_frames
from vidiff.codecs.pixel import PixelUnshuffleCodec
from vidiff.codecs.vae import TinyVAECodec

__all__ = [
    "DEFAULT_CODEC",
    "Codec",
    "PixelUnshuffleCodec",
    "TinyVAECodec",
    "frames_to_tensor",
    "get_codec",
    "tensor_to_frames",
]
