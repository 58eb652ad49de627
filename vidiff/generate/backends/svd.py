"""Stable Video Diffusion (Blattmann et al. 2023): image to video, no prompt.

`StableVideoDiffusionPipeline` (e.g. stabilityai/stable-video-diffusion-img2vid-xt): the UNet's
`num_frames` frames (25 for SVD-XT) per window, sides in multiples of 64 near its native area. The
pipeline is told the frame rate: one window spans `--seconds` at num_frames/seconds fps when that is at
least MIN_FPS (as vidiff's SVD backend always did), else windows of its native 7 fps follow each other,
each from the last frame of the one before.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from vidiff.errors import ConfigError
from vidiff.generate.backends.base import Backend, keyframe_rate

MIN_FPS = 3  # below this a window's frames are too far apart for the fps conditioning SVD was trained on


class SVD(Backend):
    name = "svd"
    image_to_video = ("StableVideoDiffusionPipeline",)
    takes_prompt = False
    rate_conditioned = True
    fps = Fraction(7)
    frame_step = 1
    window = 25
    max_frames = 25
    multiple = 64
    native_size = (1024, 576)
    steps = 25
    guidance = 3.0
    example = "stabilityai/stable-video-diffusion-img2vid-xt"

    def load(self, *args: Any, **kwargs: Any) -> None:  # Backend.load's
        super().load(*args, **kwargs)
        self.window = self.max_frames = self.pipe.unet.config.num_frames

    def valid_frames(self, n: int) -> int:
        return self.window

    def check_frames(self, n: int) -> None:
        raise ConfigError("frames: svd makes its UNet's num_frames per window (25 for SVD-XT)")

    def rate(self, seconds: float, keyframe_fps: float | None, window: int) -> Fraction:
        if keyframe_fps is not None:
            if not keyframe_fps > 0:  # NaN too
                raise ConfigError(f"keyframe_fps {keyframe_fps:g}: give a rate above 0")
            return keyframe_rate(keyframe_fps)
        span = Fraction(window) / Fraction(seconds).limit_denominator(1000)
        return span if span >= MIN_FPS else self.fps

    def size(self, aspect: float, size: tuple[int, int] | None = None) -> tuple[int, int]:
        if size is None and self.pipe is not None:
            from vidiff.generate.svd import svd_size

            return svd_size(self.pipe, aspect)
        return super().size(aspect, size)

    def extra_kwargs(self, rate: Fraction, n_frames: int, guidance: float) -> dict[str, Any]:
        # the call vidiff.generate.svd.svd_keyframes makes (same frames for the same seed)
        return {
            "fps": max(1, round(rate)),
            "motion_bucket_id": 127,
            "decode_chunk_size": n_frames,
            "max_guidance_scale": guidance,
        }
