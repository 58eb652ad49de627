"""Training configs: OmegaConf YAML over the defaults below, `key=value` overrides; unknown keys are errors."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from vidiff.errors import ConfigError

DEFAULTS: dict[str, Any] = {
    "seed": 0,
    "model": {
        "codec": {"type": "pixel_unshuffle", "factor": 4},
        "unet": {
            "block_channels": [32, 64, 96],
            "layers_per_block": 1,
            "heads": 4,
            "spatial_attention_levels": [2],
            "emb_dim": 128,
            "attention": "sdpa",
        },
        "diffusion": {"process": "ddpm", "residual_scale": 10.0, "context": 0},
    },
    "data": {
        "clips": ["bigbuckbunny"],
        "eval_clips": ["bikes", "carphone_pristine"],
        "real_fraction": 0.3,
        "crop": 96,
        "margin": 32,
        "strides": [2, 3, 4],
        "scales": [1.0, 0.5],
        "max_shift": 24.0,
        "task": "interpolate",  # or extrapolate: observed frames before, the target after (generation)
        "max_tau": 2.0,  # extrapolate: targets up to this many observed intervals past the last frame
        "pool": 0,  # > 0: train on a fixed set of this many windows (a check that the loop learns)
    },
    "train": {
        "steps": 2400,
        "batch_size": 8,
        "lr": 2e-4,
        "warmup": 200,
        "weight_decay": 0.0,
        "grad_clip": 1.0,
        "ema_decay": 0.999,
        "loss": "l2_rel",
        "loss_target": "sample",
        "p_max_noise": 0.7,
        "checkpoint_every": 250,
        "log_every": 25,
        "eval_every": 500,
        "eval_windows": 48,
        "num_workers": 1,
        "threads": 0,
        "mixed_precision": "no",
        "init": None,  # a model folder or shipped name to start from (fine-tuning); same architecture
        "output": "runs/default",
        "export": None,
    },
}


def load_config(path: str | os.PathLike[str] | None, overrides: Sequence[str] = ()) -> DictConfig:
    """Defaults ← YAML file ← `key=value` overrides; an unknown key (in the file or an override) is a
    `ConfigError` naming the key and the file."""
    base = OmegaConf.create(DEFAULTS)
    OmegaConf.set_struct(base, True)
    where = str(path) if path else "overrides"
    try:
        if path:
            if not os.path.exists(path):
                raise ConfigError(f"config file not found: {path}")
            user = OmegaConf.load(path)
            base = OmegaConf.merge(base, user)
        for o in overrides:
            if "=" not in o:
                raise ConfigError(f"override {o!r} must look like key=value (e.g. train.steps=100)")
            where = f"override {o!r}"
            base = OmegaConf.merge(base, OmegaConf.from_dotlist([o]))
    except OmegaConfBaseException as e:
        key = getattr(e, "full_key", None) or ""
        line = _line_of(path, key) if path and where == str(path) else ""
        raise ConfigError(f"{where}{line}: unknown or invalid key {key!r} ({type(e).__name__})") from None
    return base


def _line_of(path: str | os.PathLike[str], key: str) -> str:
    last = key.split(".")[-1] if key else ""
    if not last:
        return ""
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.strip().startswith(f"{last}:"):
                return f" line {n}"
    return ""


def to_dict(cfg: DictConfig) -> dict[str, Any]:
    """Plain-python copy of a config."""
    return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
