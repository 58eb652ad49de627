"""CogVideoX (Yang et al., "CogVideoX: Text-to-Video Diffusion Models with An Expert Transformer", 2024)
through diffusers.

`CogVideoXPipeline` (THUDM/CogVideoX-2b, THUDM/CogVideoX-5b) or `CogVideoXImageToVideoPipeline`
(THUDM/CogVideoX-5b-I2V): 8 fps, 49 frames (6 s; counts 8k+1 up to 49), sides in multiples of 16,
720x480 native and only: its keyframes are made at 720x480 whatever the output's aspect (unless
--keyframe-size says otherwise) and cropped to it. The text-to-video weights cannot start from a frame, so a clip longer than one window
needs the image-to-video weights. (CogVideoX 1.5's 16 fps / 81 frames are not this backend's rules.)
"""

from __future__ import annotations

from fractions import Fraction

from vidiff.generate.backends.base import Backend


class CogVideoX(Backend):
    name = "cogvideox"
    text_to_video = ("CogVideoXPipeline",)
    image_to_video = ("CogVideoXImageToVideoPipeline",)
    fps = Fraction(8)
    frame_step = 8
    window = 49
    max_frames = 49
    multiple = 16
    native_size = (720, 480)
    steps = 50
    guidance = 6.0
    example = "THUDM/CogVideoX-2b"

    def size(self, aspect: float, size: tuple[int, int] | None = None) -> tuple[int, int]:
        return self.native_size if size is None else super().size(aspect, size)
