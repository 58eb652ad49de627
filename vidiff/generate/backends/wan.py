"""Wan 2.1 and 2.2 (Wan Team, "Wan: Open and Advanced Large-Scale Video Generative Models", 2025) through
diffusers.

Text to video (`WanPipeline`: Wan2.1-T2V-1.3B/14B, Wan2.2-TI2V-5B, Wan2.2-T2V-A14B) or image to video
(`WanImageToVideoPipeline`: Wan2.1-I2V-14B-480P/720P, Wan2.2-I2V-A14B). The rules come from the weights'
own configs (`wan_rules`): Wan 2.1 16 fps, 81 frames (4k+1), sides in multiples of 16, 832x480 native
(1280x720 for 720P weights: FLF2V, or a transformer file or weights named 720P, `wan_size`; a 720P run
samples at shift 5.0 where the scheduler says 3.0, `wan_shift`);
Wan 2.2 TI2V-5B 24 fps, 121 frames, multiples of 32 (a 16x VAE), 1280x704; Wan 2.2 A14B 16 fps, 81
frames, multiples of 16, 1280x720, two transformers (high noise, then low noise past `boundary_ratio`),
both loaded and both offloaded, 40 steps at guidance 4.0 / 3.0 (T2V) or 3.5 / 3.5 (I2V) by default. Wan 2.1's and A14B's text-to-video transformers take no image, so a clip
longer than one window needs image-to-video weights; TI2V-5B's `WanPipeline` starts a window from a frame
through `WanImageToVideoPipeline` on the same parts (its `expand_timesteps` keeps the first frame clean).
diffusers' image-to-video pipeline needs `ftfy` for its prompt. VACE weights (`WanVACEPipeline`) take the
same rules and keep given frames through their `video` and `mask` (`wan_vace`).
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any

from vidiff.generate.backends import wan_shift
from vidiff.generate.backends.base import Backend
from vidiff.generate.backends.wan_rules import VARIANTS, WanRules, sampling, wan_rules
from vidiff.generate.backends.wan_size import SIZES, wan21_tier
from vidiff.generate.end_frame import ImageEmbeds

VACE = "WanVACEPipeline"


class Wan(ImageEmbeds, Backend):
    name = "wan"
    text_to_video = ("WanPipeline",)
    image_to_video = ("WanImageToVideoPipeline",)
    also_from_frame = (VACE,)  # VACE keeps a clip's last frames: `wan_vace`
    requires = {"WanImageToVideoPipeline": ("ftfy",)}  # its prompt_clean calls ftfy, unguarded
    config_parts = ("scheduler", "vae", "transformer", "transformer_2")
    fps = VARIANTS[-1].fps  # Wan 2.1's until the weights' configs are read
    frame_step = 4
    window = 81
    max_frames = 81
    multiple = 16
    native_size = VARIANTS[-1].native_size
    steps = 50
    guidance = 5.0
    example = "Wan-AI/Wan2.1-T2V-1.3B-Diffusers"
    rules: WanRules | None = None
    file_names: list[str] = []  # the --transformer files' sources (a name may say 720P: `wan_size`)
    size_rule: tuple[str, str] | None = None  # (480p | 720p, why) for Wan 2.1 (`wan_size.wan21_tier`)

    def configure(self, configs: dict[str, dict[str, Any]]) -> None:
        super().configure(configs)
        transformer = configs.get("transformer") or configs.get("transformer_2")
        self._apply(wan_rules(configs.get("model_index") or {}, configs.get("vae"), transformer), transformer)

    def load(self, *args: Any, **kwargs: Any) -> None:  # Backend.load's
        files = kwargs.get("single_files", args[5] if len(args) > 5 else None) or []
        self.file_names = [f.source for f in files if f.part != "vae"]  # a transformer's file says 720P?
        super().load(*args, **kwargs)
        pipe = self.pipe  # the loaded parts' configs: what diffusers' call itself will use
        transformer = pipe.transformer if pipe.transformer is not None else pipe.transformer_2
        self._apply(wan_rules(pipe.config, pipe.vae.config, transformer.config), transformer.config)

    def _apply(self, rules: WanRules, transformer: Any) -> None:
        v = rules.variant
        if v.name == "Wan 2.1":  # 480P or 720P: no config says but FLF2V's (`wan_size`)
            self.size_rule = wan21_tier(transformer, self.weights, self.file_names)
            if self.size_rule is not None and self.size_rule[0] == "720p":
                v = replace(v, name="Wan 2.1 720P", native_size=SIZES["720p"])
        self.rules = rules = replace(rules, variant=v)
        self.fps, self.window, self.max_frames, self.native_size = v.fps, v.window, v.window, v.native_size
        self.frame_step, self.multiple, self.two_stage = rules.frame_step, rules.multiple, rules.two_stage
        if rules.expand_timesteps and not self.is_image_to_video:  # TI2V: the same parts take a frame
            self.sibling = "WanImageToVideoPipeline"
        defaults = sampling(v, self.is_image_to_video)  # the variant's own (wan_rules.SAMPLING)
        self.steps, self.guidance = defaults.steps, defaults.guidance
        self.default_guidance_2 = defaults.guidance_2 if rules.two_stage else None

    def extra_kwargs(self, rate: Fraction, n_frames: int, guidance: float) -> dict[str, Any]:
        extra = super().extra_kwargs(rate, n_frames, guidance)
        if self.two_stage and self.guidance_2 is not None:  # the low-noise transformer's own
            extra["guidance_scale_2"] = self.guidance_2
        return extra

    def default_shift(self, wh: tuple[int, int]) -> float | None:
        """Wan 2.1 at 720P: the documented 5.0 where its scheduler says another (`wan_shift`)."""
        if self.rules is None or not self.rules.variant.name.startswith("Wan 2.1"):
            return None
        return wan_shift.default_shift(self.pipe.scheduler, wh)

    def end_frame_refusal(self) -> str | None:
        """WanImageToVideoPipeline takes `last_image`, except with `expand_timesteps` (Wan 2.2 TI2V-5B),
        where diffusers 0.42 leaves it out of the latents without a word."""
        if self.rules is not None and self.rules.expand_timesteps:
            return (
                "diffusers' WanImageToVideoPipeline leaves the end frame out with expand_timesteps (Wan 2.2 "
                "TI2V-5B); use Wan 2.1 or Wan 2.2 I2V-A14B image-to-video weights"
            )
        if not self.is_image_to_video:
            return f"its text-to-video transformer takes no image; use weights that do ({self.frame_weights})"
        if self._image_embeds() == 1:  # diffusers embeds both stills: a one-image transformer fails
            return (
                "its transformer embeds one image (Wan 2.1 I2V); use the first-last-frame weights "
                "(Wan-AI/Wan2.1-FLF2V-14B-720P-diffusers) or Wan 2.2 I2V-A14B"
            )
        return None

    def report_facts(self) -> dict[str, Any]:
        if self.rules is None:
            return {}
        facts = {"variant": self.rules.variant.name, "boundary_ratio": self.rules.boundary_ratio}
        if self.size_rule is not None:  # why Wan 2.1's default size is 720P's or 480P's
            facts["native_size"] = f"{self.size_rule[0].upper()}: {self.size_rule[1]}"
        return facts
