"""Wan 2.1's default sampler shift at 720P: 5.0, where the converted weights' scheduler says 3.0.

The Wan 2.1 Diffusers weights (Wan-AI/Wan2.1-*-Diffusers) ship one scheduler, UniPC on flow sigmas with `flow_shift` 3.0, for
480P and 720P alike (older conversions: FlowMatchEuler with `shift` 3.0), while diffusers' Wan pipeline docs
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


def _shift_key(scheduler: Any) -> str | None:
    """The loaded scheduler's fixed shift key (`shift.shift_key`'s rule), or None: one that sets its shift
    from the frame size or that is not flow matching keeps its own."""
    config = getattr(scheduler, "config", None) or {}
    if config.get("use_dynamic_shifting"):
        return None
    if config.get("use_flow_sigmas") and "flow_shift" in config:
        return "flow_shift"  # UniPC / DPM-Solver on flow sigmas: the hub's Wan 2.1 Diffusers weights
    if type(scheduler).__name__.startswith("FlowMatch") and "shift" in config:
        return "shift"  # FlowMatchEuler: what older conversions (convert_wan_to_diffusers.py) wrote
    return None


def default_shift(scheduler: Any, wh: tuple[int, int]) -> float | None:
    """The shift a Wan 2.1 run at keyframes `wh` takes when none is given: SHIFT_720P at 720P where the
    loaded flow-matching scheduler says another; else None (its own)."""
    key = _shift_key(scheduler)
    if keyframe_tier(wh) != "720p" or key is None:
        return None
    return None if float(scheduler.config[key]) == SHIFT_720P else SHIFT_720P
