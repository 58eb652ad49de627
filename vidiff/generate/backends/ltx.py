"""LTX-Video (HaCohen et al., "LTX-Video: Realtime Video Latent Diffusion", 2024) through diffusers.

`LTXPipeline` (e.g. Lightricks/LTX-Video), `LTXImageToVideoPipeline`, or `LTXConditionPipeline` (the
class diffusers runs LTX-Video 0.9.5 and later with; it takes a first frame through its own `image`
argument): 24 fps, frame counts 8k+1 (the VAE compresses time 8x), sides in multiples of 32, 704x480
native (the same rules for every class: not checked against real 0.9.5+ weights). The pipeline is told
the frame rate, so fewer keyframes per second (`--keyframe-fps`) are made directly, not picked from
more. Its image-to-video pipeline runs on the same parts, so the text-to-video weights continue a clip
past one window from its last frame; `LTXConditionPipeline` starts a later window on the last 9 frames of
the one before (a video condition: `vidiff.generate.keyframes.carried`).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from vidiff.generate.backends.base import Backend


class LTX(Backend):
    name = "ltx"
    text_to_video = ("LTXPipeline", "LTXConditionPipeline")
    image_to_video = ("LTXImageToVideoPipeline",)
    sibling = "LTXImageToVideoPipeline"
    rate_conditioned = True
    fps = Fraction(24)
    frame_step = 8
    window = 121
    max_frames = 257
    multiple = 32
    native_size = (704, 480)
    steps = 50
    guidance = 3.0
    example = "Lightricks/LTX-Video"

    def image_pipe(self) -> Any:
        """LTXConditionPipeline takes the first frame itself (`image`); LTXPipeline's sibling takes it."""
        return self.pipe if self.kind == "LTXConditionPipeline" else super().image_pipe()

    def end_frame_refusal(self) -> str | None:
        """LTXConditionPipeline conditions any frame (`frame_index`); LTXPipeline and its image-to-video
        sibling take the first only."""
        if self.kind == "LTXConditionPipeline":
            return None
        return (
            f"diffusers' {self.kind} takes a first frame only (LTXConditionPipeline, LTX-Video 0.9.5 and "
            "later, takes a last one)"
        )

    def with_end_frame(self, pipe: Any, kw: dict[str, Any], last: Any, n_frames: int) -> tuple[Any, dict]:
        """Both stills as the pipeline's conditions: the first at frame 0, `last` at the window's last."""
        return pipe, {**kw, "image": [kw["image"], last], "frame_index": [0, n_frames - 1]}

    @property
    def takes_video(self) -> bool:
        """LTXConditionPipeline takes a video condition (`LTXVideoCondition(video=...)`) at frame 0."""
        return self.kind == "LTXConditionPipeline"

    def with_video(self, pipe: Any, kw: dict[str, Any], video: list, last: Any = None) -> tuple[Any, dict]:
        """The frames as one condition at frame 0 (their count 8k+1: the VAE's latent frames), and `last`,
        where given, an image condition at the window's last frame (as `with_end_frame` gives it)."""
        from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

        kw = {k: v for k, v in kw.items() if k != "image"}
        conditions = [LTXVideoCondition(video=video, frame_index=0)]
        if last is not None:
            conditions.append(LTXVideoCondition(image=last, frame_index=kw["num_frames"] - 1))
        return pipe, {**kw, "conditions": conditions}

    def extra_kwargs(self, rate: Fraction, n_frames: int, guidance: float) -> dict[str, Any]:
        return {"guidance_scale": guidance, "frame_rate": max(1, round(rate))}
