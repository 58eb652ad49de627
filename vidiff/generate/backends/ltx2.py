"""LTX-2 (Lightricks, "LTX-2: Efficient Joint Audio-Visual Foundation Model", 2026) through diffusers: a
clip and its sound from one model.

`LTX2Pipeline` (text to video: Lightricks/LTX-2), `LTX2ImageToVideoPipeline` (image to video, the same
parts) or `LTX2ConditionPipeline` (stills as conditions at any frame: the first, and the last with
`--last-image`; the other classes run as it, from the same parts, for a window that ends on a still).
What the configs state is used as they state it: frame counts by the VAE's
`temporal_compression_ratio` (8k+1; the class's own formula where the config leaves it out), sides in multiples of its `spatial_compression_ratio` times the
transformer's `patch_size` (32), and never less than 32 (diffusers' `check_inputs` refuses other sides).
A table where no config says: 24 fps and 121 frames a window (diffusers' `__call__` defaults), at most 257
(LTX-Video's figure, not checked against LTX-2 weights), 768x512 native, 30 steps and guidance 3.0 (the
call's defaults and its docstring example), the sound's guidance 7.0 (diffusers' `audio_guidance_scale`;
a `--guidance` given alone guides both, `--audio-guidance` the sound alone). The pipeline is told the frame rate (`frame_rate`), so fewer
keyframes per second are made directly, and its audio lasts the window's frames at that rate.

Each call's waveform (the vocoder's, at its `output_sampling_rate`) is kept in `audio` with its rate, one
entry a window, for `vidiff.generate.model_audio` to join and mux. None was run here with real weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from vidiff.generate.backends.base import Backend

CONDITION = "LTX2ConditionPipeline"  # diffusers' LTX-2 class for stills at any frame (the same parts)
MIN_SIDE_MULTIPLE = 32  # diffusers' LTX2 check_inputs: height and width divisible by 32


def compression(vae: Any) -> tuple[int, int]:
    """(spatial, temporal) compression of an AutoencoderKLLTX2Video config, as the class works it out: the
    ratio stated, else its patch size times 2 for each down block that scales space and time."""
    scaled = 2 ** sum(bool(x) for x in vae.get("spatio_temporal_scaling") or ())
    spatial = vae.get("spatial_compression_ratio") or int(vae.get("patch_size") or 1) * scaled
    temporal = vae.get("temporal_compression_ratio") or int(vae.get("patch_size_t") or 1) * scaled
    return int(spatial), int(temporal)


class LTX2(Backend):
    name = "ltx2"
    text_to_video = ("LTX2Pipeline", CONDITION)  # the condition class takes stills as its `conditions`
    image_to_video = ("LTX2ImageToVideoPipeline",)
    sibling = "LTX2ImageToVideoPipeline"
    config_parts = ("scheduler", "vae", "transformer", "vocoder")
    rate_conditioned = True
    fps = Fraction(24)
    frame_step = 8
    window = 121
    max_frames = 257
    multiple = 32
    native_size = (768, 512)
    steps = 30
    guidance = 3.0
    default_audio_guidance = 7.0  # diffusers' audio_guidance_scale default, the LTX-2 authors' figure
    example = "Lightricks/LTX-2"

    def __init__(self, kind: str, weights: str, source: str | None = None) -> None:
        super().__init__(kind, weights, source)
        self._condition: Any = None  # LTX2ConditionPipeline on the same parts (a window with an end frame)
        self.audio: list[tuple[np.ndarray, int]] = []  # (channels x samples float32, Hz) per window made
        self.sample_rate: int | None = None  # the vocoder's output rate, from its config

    def configure(self, configs: dict[str, dict[str, Any]]) -> None:
        super().configure(configs)
        self._apply(configs.get("vae"), configs.get("transformer"), configs.get("vocoder"))

    def load(self, *args: Any, **kwargs: Any) -> None:  # Backend.load's
        super().load(*args, **kwargs)
        pipe = self.pipe  # the loaded parts' configs: what diffusers' call itself uses
        self._apply(pipe.vae.config, pipe.transformer.config, pipe.vocoder.config)

    def _apply(self, vae: Any, transformer: Any, vocoder: Any) -> None:
        """The rules the configs state (a config not at hand: the class's figures stand)."""
        if vae is not None:
            spatial, self.frame_step = compression(vae)
            patch = int((transformer or {}).get("patch_size", 1) or 1)
            self.multiple = math.lcm(spatial * patch, MIN_SIDE_MULTIPLE)
        if vocoder is not None and vocoder.get("output_sampling_rate"):
            self.sample_rate = int(vocoder["output_sampling_rate"])

    def report_facts(self) -> dict[str, Any]:
        return {} if self.sample_rate is None else {"audio_sample_rate": self.sample_rate}

    def extra_kwargs(self, rate: Fraction, n_frames: int, guidance: float) -> dict[str, Any]:
        extra = {"guidance_scale": guidance, "frame_rate": float(rate)}
        if (
            self.audio_guidance is not None
        ):  # the sound's own (diffusers' 7.0 left alone, it ignored --guidance)
            extra["audio_guidance_scale"] = self.audio_guidance
        return extra

    def end_frame_refusal(self) -> str | None:
        """Both classes run as diffusers' LTX2ConditionPipeline (the same parts) for an end frame."""
        return None

    def image_pipe(self) -> Any:
        """LTX2ConditionPipeline weights take the first frame themselves (as a condition, `call`)."""
        return self.pipe if self.kind == CONDITION else super().image_pipe()

    def with_end_frame(self, pipe: Any, kw: dict[str, Any], last: Any, n_frames: int) -> tuple[Any, dict]:
        """LTX2ConditionPipeline (the weights', or one made from the loaded parts) given both stills as
        conditions: the first at latent frame 0, `last` at the last (-1: the window's last frame)."""
        from diffusers import LTX2ConditionPipeline
        from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2VideoCondition

        if self.kind == CONDITION:
            self._condition = self.pipe
        if self._condition is None:
            self._condition = LTX2ConditionPipeline.from_pipe(self.pipe)
            self._condition.set_progress_bar_config(disable=True)
        kw = dict(kw)
        first = kw.pop("image")
        kw["conditions"] = [
            LTX2VideoCondition(frames=first, index=0),
            LTX2VideoCondition(frames=last, index=-1),
        ]
        return self._condition, kw

    def call(self, pipe: Any, kw: dict[str, Any], step: Callable[..., dict]) -> Any:
        """The pipeline's call; its waveform is kept (`audio`) and the frames returned as every backend's. A
        first frame for LTX2ConditionPipeline is its condition at latent frame 0."""
        if type(pipe).__name__ == CONDITION and "image" in kw:
            from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2VideoCondition

            kw = dict(kw)
            kw["conditions"] = [LTX2VideoCondition(frames=kw.pop("image"), index=0)]
        out = pipe(**kw, callback_on_step_end=step)
        wave = out.audio[0]
        wave = wave.float().cpu().numpy() if hasattr(wave, "cpu") else np.asarray(wave, dtype=np.float32)
        rate = int(pipe.vocoder.config.output_sampling_rate)
        self.sample_rate = rate
        self.audio.append((np.asarray(wave, dtype=np.float32).reshape(-1, wave.shape[-1]), rate))
        return out
