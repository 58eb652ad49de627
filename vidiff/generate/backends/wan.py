"""Wan 2.1 (Wan Team, "Wan: Open and Advanced Large-Scale Video Generative Models", 2025) through diffusers.

Text to video (`WanPipeline`, e.g. Wan-AI/Wan2.1-T2V-1.3B-Diffusers) or image to video
(`WanImageToVideoPipeline`, e.g. Wan-AI/Wan2.1-I2V-14B-480P-Diffusers): 16 fps, 81 frames (4k+1: the VAE
compresses time 4x), sides in multiples of 16 (8x VAE, 2x2 patches), 832x480 native. The text-to-video
weights cannot start from a frame (their transformer has no image input), so a clip longer than one
window needs the image-to-video weights; diffusers' image-to-video pipeline needs `ftfy` for its prompt.
"""

from __future__ import annotations

from fractions import Fraction

from vidiff.generate.backends.base import Backend


class Wan(Backend):
    name = "wan"
    text_to_video = ("WanPipeline",)
    image_to_video = ("WanImageToVideoPipeline",)
    requires = {"WanImageToVideoPipeline": ("ftfy",)}  # its prompt_clean calls ftfy, unguarded
    fps = Fraction(16)
    frame_step = 4
    window = 81
    max_frames = 81
    multiple = 16
    native_size = (832, 480)
    steps = 50
    guidance = 5.0
    example = "Wan-AI/Wan2.1-T2V-1.3B-Diffusers"
