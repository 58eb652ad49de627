"""Wan VACE (Jiang et al., "VACE: All-in-One Video Creation and Editing", 2025) through diffusers'
`WanVACEPipeline` (e.g. Wan-AI/Wan2.1-VACE-1.3B-diffusers, -14B): frames the window keeps go in as its
`video`, with a `mask` saying which are kept (0) and which it makes (1), as diffusers' first-last-frame
example and ComfyUI's "extend video" workflow (WanVaceToVideo) give them. So one pipeline makes a clip from
a prompt (no video: diffusers makes every frame), starts it on a still (the first frame kept), ends it on
one (the last kept) or continues a clip's last frames or the window before's (those kept, so the motion
carries on: `vidiff.generate.keyframes.carried`). `--reference-image` is its `reference_images` (a subject
or style, ComfyUI's WanVaceToVideo reference_image: diffusers fits it on a white canvas of the frame size
and encodes it before the frames, not as one of them), given to every window, so the subject holds across
joins; `--image` stays the first frame, as for every other backend.
The rules are Wan's, from the configs (`wan_rules`: a VACE 1.3B or 14B is Wan 2.1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vidiff.generate.backends.wan import VACE, Wan

# a frame to make: mid gray, as diffusers' example fills it (the original code's 127.5, 0 in [-1, 1])
FILL = 128
KEEP, MAKE = 0, 255  # the mask's values: kept, made


def condition(kw: dict[str, Any], head: list[Any], last: Any = None) -> dict[str, Any]:
    """`kw` with the window's first frames `head` (PIL images at its size) and its `last` frame (or None)
    kept, the rest made: a `video` and `mask` of `num_frames` frames in place of `image` / `last_image`."""
    from PIL import Image

    n, size = kw["num_frames"], (kw["width"], kw["height"])
    tail = [] if last is None else [last]
    made = n - len(head) - len(tail)
    fill = Image.new("RGB", size, (FILL,) * 3)
    keep, make = Image.new("L", size, KEEP), Image.new("L", size, MAKE)
    rest = {k: v for k, v in kw.items() if k not in ("image", "last_image")}
    return {
        **rest,
        "video": [*head, *[fill] * made, *tail],
        "mask": [*[keep] * len(head), *[make] * made, *[keep] * len(tail)],
    }


class WanVACE(Wan):
    """Wan with VACE's control stream: a prompt, and frames to keep where a window has them (`condition`)."""

    text_to_video = (VACE,)
    image_to_video = ()
    requires = {VACE: ("ftfy",)}  # its prompt_clean calls ftfy, unguarded
    takes_reference = True  # `reference_images`: a subject or style, kept in every window
    example = "Wan-AI/Wan2.1-VACE-1.3B-diffusers"

    @property
    def can_condition_on_image(self) -> bool:
        return True  # the first frame kept in its `video`

    @property
    def takes_video(self) -> bool:
        return True

    def image_pipe(self) -> Any:
        return self.pipe

    def end_frame_refusal(self) -> str | None:
        return None  # the last frame kept in its `video`

    def with_end_frame(self, pipe: Any, kw: dict[str, Any], last: Any, n_frames: int) -> tuple[Any, dict]:
        return pipe, condition(kw, [kw["image"]], last)

    def with_video(self, pipe: Any, kw: dict[str, Any], video: list, last: Any = None) -> tuple[Any, dict]:
        return pipe, condition(kw, video, last)

    def call(self, pipe: Any, kw: dict[str, Any], step: Callable[..., dict]) -> Any:
        """A first frame alone (a still, or the frame a later window starts from) kept as the others are."""
        if "image" in kw:
            kw = condition(kw, [kw["image"]])
        return super().call(pipe, kw, step)
