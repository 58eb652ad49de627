"""HunyuanVideo 1.5 (Tencent Hunyuan, "HunyuanVideo 1.5 Technical Report", 2025) and HunyuanVideo 1.0
(Kong et al., "HunyuanVideo: A Systematic Framework For Large Video Generative Models", 2024) through
diffusers.

`HunyuanVideo15Pipeline` (text to video: hunyuanvideo-community/HunyuanVideo-1.5-480p_t2v, -720p_t2v) or
`HunyuanVideo15ImageToVideoPipeline` (image to video: ...-480p_i2v, -720p_i2v). What the configs state is
used as they state it: frame counts by the VAE's `temporal_compression_ratio` (4k+1), sides in multiples of
its `spatial_compression_ratio` times the transformer's `patch_size` (16), the default size the bucket of
the transformer's `target_size` (640 for the 480p weights, 960 for 720p: the side of a square of the
bucket's area, as diffusers' conversion script sets it) nearest the aspect, by diffusers' own bucket
function (what the pipeline itself picks), and the default guidance the guider's `guidance_scale` (its
guider_config.json: 1.0 for the distilled weights). The step-distilled weights (a transformer with
`use_meanflow`) take 8 steps by default, the model card's recommendation, not 50. The rate and window are
in no config: 24 fps and 121 frames (5 s) a window, up to 241 (10 s) with `--frames`, the technical
report's and diffusers' image-to-video example's figures; none was run here with real weights.

The image-to-video pipeline takes no size: it makes the bucket of the image's aspect, so vidiff reframes
the still to that bucket first, and a `--keyframe-size` that is not a bucket is one line. The text-to-video
transformer takes no image (zeros in its image slot), so a clip longer than one window needs the
image-to-video weights. diffusers' pipeline takes its guidance from its `guider` component and has no step
callback: the guider is rebuilt with `--guidance` for each call and the sampler's steps are counted
through its scheduler's `step`. Neither a single-file transformer nor a LoRA is read by diffusers for
these pipelines (refused in one line before loading); `--shift` sets its FlowMatchEuler scheduler's shift.

HunyuanVideo 1.0 (`HunyuanVideoPipeline`, text to video: hunyuanvideo-community/HunyuanVideo) is a
plainer diffusers pipeline: sides in multiples of the VAE's `spatial_compression_ratio` times the
transformer's `patch_size` (16), 4k+1 frames, 24 fps, 129 frames and 1280x720 native (the model card's 720p
figures: a table), `--guidance` its embedded (distilled) guidance, 6.0 as diffusers' default. It runs no
classifier-free pass unless told a true CFG scale, so a negative prompt would be ignored: refused in one
line. Its transformer reads from one file (`--transformer`, ComfyUI's hunyuan_video_t2v_720p file) and
takes LoRAs (diffusers' HunyuanVideo LoRA loader).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from vidiff.errors import ConfigError
from vidiff.generate.backends.base import Backend

TARGET_SIZE = 640  # the transformer's target_size when its config is not at hand (the 480p weights')
# the step-distilled weights' steps (a transformer config with use_meanflow: 480p_i2v_step_distilled): "8 or
# 12 steps (recommended)", the tencent/HunyuanVideo-1.5 model card (its Dec 05, 2025 release note)
DISTILLED_STEPS = 8


def bucket(target_size: int, multiple: int, aspect: float) -> tuple[int, int]:
    """(w, h) diffusers' HunyuanVideo 1.5 pipelines make at `aspect` (w/h): the bucket of `target_size`
    (sides in `multiple`) nearest it, by the pipeline's own image processor."""
    from diffusers.pipelines.hunyuan_video1_5.image_processor import HunyuanVideo15ImageProcessor

    processor = HunyuanVideo15ImageProcessor(vae_scale_factor=multiple)
    h, w = processor.calculate_default_height_width(1000, 1000 * aspect, target_size)
    return int(w), int(h)


class HunyuanVideo(Backend):
    name = "hunyuanvideo"
    text_to_video = ("HunyuanVideo15Pipeline", "HunyuanVideoPipeline")
    image_to_video = ("HunyuanVideo15ImageToVideoPipeline",)
    config_parts = ("scheduler", "vae", "transformer", "guider")
    fps = Fraction(24)
    frame_step = 4
    window = 121
    max_frames = 241  # 10 s, the most the technical report's "5-10 s" clips run (--frames; 121 by default)
    multiple = 16
    native_size = (848, 480)  # the 480p bucket at 16:9
    steps = 50
    guidance = 6.0  # ClassifierFreeGuidance's in the released guider_config.json (read from it when there)
    example = "hunyuanvideo-community/HunyuanVideo-1.5-480p_t2v"
    target_size = TARGET_SIZE

    def __init__(self, kind: str, weights: str, source: str | None = None) -> None:
        super().__init__(kind, weights, source)
        if not self.v15:  # HunyuanVideo 1.0's table (the model card's 720p figures)
            self.window = self.max_frames = 129
            self.native_size = (1280, 720)

    @property
    def v15(self) -> bool:
        """HunyuanVideo 1.5 (its guider, its buckets), not 1.0."""
        return self.kind.startswith("HunyuanVideo15")

    @property
    def takes_negative_prompt(self) -> bool:
        return self.v15  # 1.0's embedded guidance runs no negative pass

    def configure(self, configs: dict[str, dict[str, Any]]) -> None:
        super().configure(configs)
        self._apply(configs.get("vae"), configs.get("transformer"), configs.get("guider"))

    def load(self, *args: Any, **kwargs: Any) -> None:  # Backend.load's
        super().load(*args, **kwargs)
        pipe = self.pipe  # the loaded parts' configs: what diffusers' call itself will use
        self._apply(pipe.vae.config, pipe.transformer.config, None)

    def _apply(self, vae: Any, transformer: Any, guider: Any) -> None:
        """The rules the configs state (a config not at hand: the class's figures stand)."""
        if vae is not None:
            self.frame_step = int(vae.get("temporal_compression_ratio", self.frame_step))
            spatial = int(vae.get("spatial_compression_ratio", 16))
            patch = int((transformer or {}).get("patch_size", 1 if self.v15 else 2) or 1)
            self.multiple = spatial * patch
        if transformer is not None and self.v15:
            self.target_size = int(transformer.get("target_size") or TARGET_SIZE)
            self.steps = DISTILLED_STEPS if transformer.get("use_meanflow") else type(self).steps
        if guider is not None and guider.get("guidance_scale") is not None:
            self.guidance = float(guider["guidance_scale"])

    def size(self, aspect: float, size: tuple[int, int] | None = None) -> tuple[int, int]:
        if not self.v15:
            return super().size(aspect, size)
        if size is None:
            return bucket(self.target_size, self.multiple, aspect)
        w, h = super().size(aspect, size)
        if self.is_image_to_video and bucket(self.target_size, self.multiple, w / h) != (w, h):
            bw, bh = bucket(self.target_size, self.multiple, w / h)
            raise ConfigError(
                f"keyframe_size {w}x{h}: the {self.kind} makes its own size from the image's aspect at "
                f"its target size {self.target_size} ({bw}x{bh} at this aspect); leave keyframe_size out"
            )
        return w, h

    def extra_kwargs(self, rate: Fraction, n_frames: int, guidance: float) -> dict[str, Any]:
        if not self.v15:  # the embedded guidance
            return super().extra_kwargs(rate, n_frames, guidance)
        return {"_guidance": guidance}  # the guider's, set in `call`

    def call(self, pipe: Any, kw: dict[str, Any], step: Callable[..., dict]) -> Any:
        """1.5: the pipeline's call with the guider at `--guidance` and `step` after each sampler step."""
        if not self.v15:
            return super().call(pipe, kw, step)
        kw = dict(kw)
        pipe.guider = pipe.guider.new(guidance_scale=kw.pop("_guidance"))
        if "image" in kw:  # the image-to-video pipeline sizes itself from the (reframed) image
            kw.pop("height", None)
            kw.pop("width", None)
        scheduler = pipe.scheduler
        sample = scheduler.step

        def counted(*args: Any, **kwargs: Any) -> Any:
            out = sample(*args, **kwargs)
            step(pipe, 0, None, {})
            return out

        scheduler.step = counted
        try:
            return pipe(**kw)
        finally:
            del scheduler.step  # the class's own again
