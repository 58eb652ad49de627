"""Wan 2.1's default sampler shift at 720P: 5.0, where the converted weights' scheduler says 3.0.

diffusers' conversion (scripts/convert_wan_to_diffusers.py) writes one scheduler, UniPC on flow sigmas with
`flow_shift` 3.0, for Wan 2.1's 480P and 720P weights alike, while diffusers' Wan pipeline docs
(pipelines/wan/pipeline_wan.py: "5.0 for 720P, 3.0 for 480P") and the Wan team's generate.py (shift 3.0 for
image to video at 832x480, else 5.0) run 720P at 5.0. So a Wan 2.1 run whose keyframes are of 720P's area
(nearer 1280x720's than 832x480's, on a log scale: the `wan_size` rule's 720P weights at their native
size, or any weights at a `--keyframe-size` like 1280x720 or 720x1280) samples at 5.0 unless `--shift`
says otherwise; a 480P run keeps the weights' own. Wan 2.2 and SkyReels V2 ship their own schedulers and
keep them. Wan 2.1 FLF2V (720P only) takes 5.0 too, diffusers' 720P figure; the Wan team's generate.py
runs FLF2V at 16, which `--shift 16` gives. No real weights were run here.
"""

from __future__ import annotations

import math
from typing import Any

from vidiff.generate.backends.wan_size import SIZES

SHIFT_720P = 5.0  # diffusers' Wan docs and the Wan team's generate.py
_AREAS = {tier: w * h for tier, (w, h) in SIZES.items()}
_BOUNDARY = math.sqrt(_AREAS["720p"] * _AREAS["480p"])  # halfway on a log scale


def keyframe_tier(wh: tuple[int, int]) -> str:
    """The Wan 2.1 size ("720p" or "480p") whose area `wh`'s is nearer, on a log scale."""
    return "720p" if wh[0] * wh[1] >= _BOUNDARY else "480p"


def default_shift(scheduler: Any, wh: tuple[int, int]) -> float | None:
    """The shift a Wan 2.1 run at keyframes `wh` takes when none is given: SHIFT_720P at 720P where the
    loaded scheduler is Wan's flow-sigma one with another `flow_shift`; else None (its own)."""
    config = getattr(scheduler, "config", None) or {}
    if keyframe_tier(wh) != "720p" or not config.get("use_flow_sigmas") or "flow_shift" not in config:
        return None
    return None if float(config["flow_shift"]) == SHIFT_720P else SHIFT_720P
