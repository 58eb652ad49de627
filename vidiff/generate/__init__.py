"""Short-clip generation: extend a clip, animate a still with camera motion, make a seamless loop.

`make_clip` (vidiff.generate.clip) is the whole job as one call, used by `vidiff generate` and the
`social_clip` recipe; `make_clips` (vidiff.generate.variations) makes one per seed and prompt. Names load on first use, so `vidiff.generate.clip`'s constants cost no cv2.
"""

from __future__ import annotations

from vidiff import lazy_names

_NAMES = {
    "MOTIONS": "vidiff.generate.motion",
    "camera_frames": "vidiff.generate.motion",
    "extend_frames": "vidiff.generate.schemes",
    "free_models": "vidiff.generate.loaded",
    "loop_frames": "vidiff.generate.schemes",
    "make_clip": "vidiff.generate.clip",
    "make_clips": "vidiff.generate.variations",
}
__all__ = sorted(_NAMES)


__getattr__ = lazy_names(__name__, _NAMES)
