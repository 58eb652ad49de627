"""SkyReels V2 (SkyReels Team, "SkyReels-V2: Infinite-length Film Generative Model", 2025) through diffusers:
Wan-shaped weights tuned for film-like 24 fps clips.

`SkyReelsV2Pipeline` (text to video: Skywork/SkyReels-V2-T2V-14B-540P-Diffusers) or
`SkyReelsV2ImageToVideoPipeline` (image to video: ...-I2V-14B-540P-Diffusers). What the configs state is
used as they state it: frame counts by the VAE's time compression (2 to the count of its
`temperal_downsample` steps: 4k+1), sides in multiples of its space compression (2 to the number of
stages: 8) times the transformer's patch (2): 16. A table where no config says: 24 fps (diffusers' examples
write the clip at 24), 97 frames a window and at most (the call's default, the 540P model's), 960x544
native (1280x720 where a transformer file's or the weights' name says 720P: `wan_size`; the window
stays 97), 50 steps and guidance 6.0 (the call's defaults). diffusers' example sets the sampler's shift to 8.0
(text to video) or 5.0 (image to video): `--shift` sets it; the weights' own scheduler stands without it.
The text-to-video transformer takes no image, so a clip longer than one window needs the image-to-video
weights. Both pipelines need `ftfy` for their prompt. None was run here with real weights; the diffusion
forcing pipelines (SkyReelsV2DiffusionForcing*) are not driven.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from vidiff.generate.backends.base import Backend
from vidiff.generate.end_frame import ImageEmbeds


class SkyReelsV2(ImageEmbeds, Backend):
    name = "skyreels"
    text_to_video = ("SkyReelsV2Pipeline",)
    image_to_video = ("SkyReelsV2ImageToVideoPipeline",)
    requires = {k: ("ftfy",) for k in (*text_to_video, *image_to_video)}  # prompt_clean calls ftfy, unguarded
    config_parts = ("scheduler", "vae", "transformer")
    fps = Fraction(24)
    frame_step = 4
    window = 97
    max_frames = 97
    multiple = 16
    native_size = (960, 544)
    steps = 50
    guidance = 6.0
    example = "Skywork/SkyReels-V2-T2V-14B-540P-Diffusers"

    size_rule: tuple[str, str] | None = None  # ("720p" | "540p", why): the names' (`wan_size`)

    def configure(self, configs: dict[str, dict[str, Any]]) -> None:
        super().configure(configs)
        self._apply(configs.get("vae"), configs.get("transformer"))
        self._size_from_names([])

    def load(self, *args: Any, **kwargs: Any) -> None:  # Backend.load's
        files = kwargs.get("single_files", args[5] if len(args) > 5 else None) or []
        self._size_from_names([f.source for f in files if f.part != "vae"])
        super().load(*args, **kwargs)
        self._apply(self.pipe.vae.config, self.pipe.transformer.config)

    def _size_from_names(self, files: list[str]) -> None:
        """540P and 720P weights have one shape: a transformer file's or the weights' name says which
        (`wan_size.named_tier`); nothing: 540P's 960x544."""
        from vidiff.generate.backends.wan_size import SKYREELS_SIZES, named_tier

        self.size_rule = named_tier(self.weights, files, tuple(SKYREELS_SIZES))
        self.native_size = SKYREELS_SIZES[self.size_rule[0] if self.size_rule else "540p"]

    def report_facts(self) -> dict[str, Any]:
        return {"native_size": f"{self.size_rule[0].upper()}: {self.size_rule[1]}"} if self.size_rule else {}

    def end_frame_refusal(self) -> str | None:
        """The image-to-video pipeline takes `last_image` (Wan's) where its transformer embeds two images
        (Wan's rule, `end_frame.image_embeddings`); the text-to-video one takes no image."""
        from vidiff.generate.end_frame import ONE_IMAGE

        if not self.is_image_to_video:
            return "its text-to-video transformer takes no image"
        return ONE_IMAGE if self._image_embeds() == 1 else None

    def _apply(self, vae: Any, transformer: Any) -> None:
        """The rules the configs state, as diffusers' pipeline works them out (a config not at hand: the
        class's figures stand)."""
        if vae is None or vae.get("temperal_downsample") is None:
            return
        steps = list(vae["temperal_downsample"])
        self.frame_step = 2 ** sum(bool(x) for x in steps)
        patch = (transformer or {}).get("patch_size") or (1, 2, 2)
        self.multiple = 2 ** len(steps) * int(patch[-1])
