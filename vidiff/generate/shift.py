"""`--shift`: the flow-matching shift of a video diffusion model's sampler (ComfyUI's ModelSamplingSD3 shift).

A flow-matching scheduler spends its steps by the noise schedule's shift: higher keeps more steps at high
noise (the layout), lower refines detail. diffusers names it `flow_shift` on Wan's UniPC / DPM-Solver
schedulers (with `use_flow_sigmas`) and `shift` on `FlowMatchEulerDiscreteScheduler`; diffusers' Wan docs
give 3.0 for 480p and 5.0 for 720p. The scheduler is rebuilt from its own config with the shift replaced.
A scheduler that computes its shift from the frame size (`use_dynamic_shifting`) or that is not a
flow-matching one (CogVideoX's DDIM, SVD's Euler) is refused in one line before the model loads.
"""

from __future__ import annotations

import math
from typing import Any

from vidiff.errors import ConfigError

MAX_SHIFT = 100.0  # ComfyUI's ModelSamplingSD3 takes up to 100


def check_shift(shift: float | None) -> None:
    """A one-line ConfigError unless `shift` is None or a finite number above 0 and at most MAX_SHIFT."""
    if shift is not None and not (math.isfinite(shift) and 0 < shift <= MAX_SHIFT):
        raise ConfigError(
            f"shift {shift:g}: give a number above 0 and at most {MAX_SHIFT:g} (diffusers' Wan docs: 3.0 "
            "for 480p, 5.0 for 720p)"
        )


def shift_key(kind: str, scheduler: dict[str, Any] | None) -> str | None:
    """The key of `scheduler` (a scheduler's config, with its `_class_name`) that `--shift` sets; a
    one-line ConfigError when it has none. None when the config is not at hand (checked once loaded)."""
    if scheduler is None:
        return None
    name = scheduler.get("_class_name") or "its scheduler"
    if scheduler.get("use_dynamic_shifting"):
        raise ConfigError(
            f"shift: the {kind}'s scheduler ({name}) sets its shift from the frame size "
            "(use_dynamic_shifting); leave shift out"
        )
    if scheduler.get("use_flow_sigmas") and "flow_shift" in scheduler:
        return "flow_shift"
    if str(name).startswith("FlowMatch") and "shift" in scheduler:
        return "shift"
    raise ConfigError(f"shift: the {kind}'s scheduler ({name}) is not a flow-matching one; leave shift out")


def apply_shift(pipe: Any, kind: str, shift: float | None) -> None:
    """The loaded pipeline's scheduler rebuilt from its config with `shift` (None: unchanged)."""
    if shift is None:
        return
    scheduler = pipe.scheduler
    key = shift_key(kind, {**scheduler.config, "_class_name": type(scheduler).__name__})
    pipe.scheduler = type(scheduler).from_config(scheduler.config, **{key: float(shift)})
