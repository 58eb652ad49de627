"""Which Wan a folder holds (2.1, 2.2 TI2V-5B, 2.2 A14B) and its rules, read from its own configs.

The three load as the same `WanPipeline` / `WanImageToVideoPipeline` (and VACE's `WanVACEPipeline`), so
nothing here reads a name. What
the configs state is used as they state it: the side multiple is the VAE's spatial factor times the
transformer's patch (diffusers' `vae_scale_factor_spatial` x `patch_size`: 16 for Wan 2.1 and A14B, 32 for
TI2V-5B's 16x VAE), the frame rule the VAE's temporal factor (4k+1), two stages where model_index.json
lists a `transformer_2` and a `boundary_ratio`, first-frame conditioning through `expand_timesteps`.

The rate a model was trained at, its window and its native size are in no config. `VARIANTS` keys them on
config facts, first match wins: a VAE of z_dim 48 is Wan 2.2's (TI2V-5B: 24 fps, 121 frames, 1280x704);
two transformers are Wan 2.2 A14B (16 fps, 81 frames, 1280x720); anything else is taken as Wan 2.1 (16
fps, 81 frames, 832x480). These are the Wan 2.1 / 2.2 model cards' figures; none was run here with real
weights. A fine-tune made at another rate is not told apart: `--keyframe-fps` lowers the rate.

The sampler's defaults (steps, guidance, the low-noise transformer's guidance) follow the variant and the
task (`sampling`), as the Wan team's own inference configs give them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any


@dataclass(frozen=True)
class Variant:
    """A Wan family's figures no config states, and the config facts that pick it."""

    name: str
    fps: Fraction
    window: int  # frames per call as trained (also the most vidiff asks for)
    native_size: tuple[int, int]  # (w, h) at landscape; other aspects keep its area
    z_dim: int | None = None  # picked when the VAE's latent channels are this
    two_stage: bool | None = None  # ... when the folder has (True) two transformers


VARIANTS = (
    Variant("Wan 2.2 TI2V-5B", Fraction(24), 121, (1280, 704), z_dim=48),
    Variant("Wan 2.2 A14B", Fraction(16), 81, (1280, 720), two_stage=True),
    Variant("Wan 2.1", Fraction(16), 81, (832, 480)),
)


@dataclass(frozen=True)
class Sampling:
    """A Wan's default sampler steps and guidance (`guidance_2`: the low-noise transformer's)."""

    steps: int
    guidance: float
    guidance_2: float | None = None


# The Wan team's inference configs in the Wan 2.2 repository (wan/configs/): wan_t2v_A14B.py
# sample_steps 40, sample_guide_scale (3.0, 4.0) as (low noise, high noise); wan_i2v_A14B.py 40, (3.5,
# 3.5); wan_ti2v_5B.py 50, 5.0. Wan 2.1: 50 and 5.0, diffusers' WanPipeline's own defaults. Keyed on
# (variant name, image to video); what is not listed takes DEFAULT_SAMPLING.
SAMPLING = {
    ("Wan 2.2 A14B", False): Sampling(40, 4.0, 3.0),
    ("Wan 2.2 A14B", True): Sampling(40, 3.5, 3.5),
    ("Wan 2.2 TI2V-5B", False): Sampling(50, 5.0),
    ("Wan 2.2 TI2V-5B", True): Sampling(50, 5.0),
}
DEFAULT_SAMPLING = Sampling(50, 5.0)


def sampling(variant: Variant, image_to_video: bool) -> Sampling:
    """The default steps and guidance of `variant` run as text to video or image to video."""
    return SAMPLING.get((variant.name, image_to_video), DEFAULT_SAMPLING)


@dataclass(frozen=True)
class WanRules:
    """What a Wan folder's configs say, and the variant's figures."""

    variant: Variant
    frame_step: int  # the VAE's temporal compression: counts of frame_step*k+1
    multiple: int  # sides in multiples of this
    two_stage: bool  # transformer (high noise) then transformer_2 (low noise)
    boundary_ratio: float | None
    expand_timesteps: bool  # per-token timesteps: the first frame is kept clean (TI2V's image input)


def _get(config: Mapping[str, Any] | None, key: str, default: Any) -> Any:
    value = None if config is None else config.get(key)
    return default if value is None else value


def wan_rules(
    index: Mapping[str, Any],
    vae: Mapping[str, Any] | None,
    transformer: Mapping[str, Any] | None,
) -> WanRules:
    """The rules of a Wan pipeline from its model_index.json (`index`), its VAE's and its (first)
    transformer's config.json; a config not at hand (None) takes diffusers' own defaults (Wan 2.1's)."""
    spatial = int(_get(vae, "scale_factor_spatial", 8))
    temporal = int(_get(vae, "scale_factor_temporal", 4))
    patch = list(_get(transformer, "patch_size", (1, 2, 2)))
    two_stage = _named(index.get("transformer_2")) and index.get("boundary_ratio") is not None
    z_dim = int(_get(vae, "z_dim", 16))
    variant = next(
        v
        for v in VARIANTS
        if (v.z_dim is None or v.z_dim == z_dim) and (v.two_stage is None or v.two_stage == two_stage)
    )
    return WanRules(
        variant=variant,
        frame_step=temporal,
        multiple=math.lcm(spatial * int(patch[1]), spatial * int(patch[2])),
        two_stage=two_stage,
        boundary_ratio=index.get("boundary_ratio") if two_stage else None,
        expand_timesteps=bool(index.get("expand_timesteps")),
    )


def _named(spec: Any) -> bool:
    """Whether a model_index.json entry names a component (["diffusers", "X"], not [null, null])."""
    return isinstance(spec, (list, tuple)) and len(spec) == 2 and None not in spec
