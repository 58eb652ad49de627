"""`--backend svd`: keyframes from Stable Video Diffusion (Blattmann et al. 2023) weights the user has on disk.

SVD makes a few frames (14 or 25) at a low frame rate from one still; vidiff then raises their frame
rate to the output's and reframes them. Nothing is downloaded: the weights directory must hold a
diffusers `StableVideoDiffusionPipeline` (model_index.json and its components). Needs the `svd` extra
(transformers, for SVD's CLIP image encoder).
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np

from vidiff.build_lock import BUILD_LOCK
from vidiff.errors import ConfigError, InputError


def load_svd(weights: str, device: str = "cpu"):
    """The pipeline stored in `weights` (a diffusers folder), float32, on `device`; one-line errors."""
    from vidiff.diffusion.model import check_device

    dev = check_device(device)
    index = Path(weights) / "model_index.json"
    if not index.is_file():
        raise InputError(f"weights {weights}: no model_index.json; give a diffusers SVD pipeline folder")
    try:
        kind = json.loads(index.read_text()).get("_class_name")
    except (ValueError, AttributeError):
        raise InputError(f"weights {weights}: model_index.json is not valid JSON") from None
    if kind != "StableVideoDiffusionPipeline":
        raise InputError(f"weights {weights}: not a StableVideoDiffusionPipeline folder ({kind})")
    try:
        import transformers  # SVD's image encoder is a transformers CLIP model
        from diffusers.utils import logging as diffusers_logging

        for lib in (diffusers_logging, transformers.utils.logging):  # vidiff shows its own progress
            lib.disable_progress_bar()
            lib.set_verbosity_error()
        from diffusers import StableVideoDiffusionPipeline
    except ImportError as e:
        raise ConfigError(f"backend svd needs the svd extra: pip install 'vidiff[svd]' ({e})") from None
    try:
        with BUILD_LOCK:  # from_pretrained patches torch for the whole process while it builds
            pipe = StableVideoDiffusionPipeline.from_pretrained(weights, local_files_only=True)
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputError(f"weights {weights}: cannot load the pipeline: {first}") from None
    return pipe.to(dev)


def svd_size(pipe, aspect: float) -> tuple[int, int]:
    """(w, h) near the model's native pixel area at `aspect`, in multiples of 64 (the UNet's stride)."""
    side = pipe.unet.config.sample_size * pipe.vae_scale_factor  # native is side x side in area
    h = max(64, round(side / math.sqrt(aspect) / 64) * 64)
    w = max(64, round(side * math.sqrt(aspect) / 64) * 64)
    return w, h


def svd_keyframes(
    pipe,
    image: np.ndarray,
    seconds: float,
    aspect: float,
    steps: int = 25,
    seed: int = 0,
    motion_bucket_id: int = 127,
    progress: bool = False,
) -> tuple[list[np.ndarray], Fraction]:
    """The model's frames from `image` (RGB uint8) spanning `seconds`; returns (frames, their fps).

    The fps conditioning is the keyframe rate the span implies, so motion speed matches the clip.
    """
    import torch
    from PIL import Image

    from vidiff.generate.social import reframe

    n = pipe.unet.config.num_frames
    fps = Fraction(n) / Fraction(seconds).limit_denominator(1000)
    w, h = svd_size(pipe, aspect)
    still = Image.fromarray(reframe(image, (w, h)))
    gen = torch.Generator(pipe.device).manual_seed(seed)
    pipe.set_progress_bar_config(disable=not progress, desc="svd keyframes")
    out = pipe(
        still,
        height=h,
        width=w,
        num_frames=n,
        num_inference_steps=steps,
        fps=max(1, round(fps)),
        motion_bucket_id=motion_bucket_id,
        decode_chunk_size=n,
        generator=gen,
        output_type="np",
    ).frames[0]
    frames = [np.clip(f * 255.0 + 0.5, 0, 255).astype(np.uint8) for f in out]
    return frames, fps
