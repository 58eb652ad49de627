"""Whether Wan 2.1 weights were trained at 720P (1280x720) or 480P (832x480): their default keyframe size.

Wan 2.1's image-to-video weights come in two sizes with the same shape: diffusers' conversion
(scripts/convert_wan_to_diffusers.py) writes the same transformer config, the same model_index.json and
the same scheduler for Wan2.1-I2V-14B-480P and -720P, so no config tells them apart. The rule, in order of
trust, first answer wins:

1. the transformer's config: one that embeds two images (`pos_embed_seq_len`: first and last frame) is
   Wan 2.1 FLF2V, released at 720P only (Wan-AI/Wan2.1-FLF2V-14B-720P);
2. model_index.json: nothing in diffusers' Wan index states a size, so it never answers;
3. a name saying `720p` or `480p` as a word of its own (any case: `-720P-`, `_720p_`): first the
   `--transformer` files' names (ComfyUI's wan2.1_i2v_720p_14B_fp16.safetensors: the transformer run),
   then the weights' hub id or folder name (a Hugging Face cache snapshot by its repository's folder). A
   name saying both, or names that disagree at the same step, answer nothing.

No answer: 480P, Wan 2.1's size until now. Wan 2.2's sizes come from its configs (`wan_rules`). SkyReels
V2 (Wan-shaped, 540P and 720P weights of one shape) takes step 3 alone: 720P 1280x720, else 960x544.
`--keyframe-size` overrides any of them. No real weights were run here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Any

SIZES = {"720p": (1280, 720), "480p": (832, 480)}  # the Wan 2.1 model cards' sizes, landscape
# SkyReels V2's sizes (its model cards: 540P and 720P weights of the same shape), landscape
SKYREELS_SIZES = {"540p": (960, 544), "720p": (1280, 720)}
_TIER = re.compile(r"(?<![0-9a-z])(\d{3,4})p(?![0-9a-z])", re.IGNORECASE)


def name_tier(name: str, tiers: Iterable[str] = tuple(SIZES)) -> str | None:
    """One of `tiers` ("720p", "480p") when `name` (a hub id, a folder or a file name) says it as a word
    and says no other of them."""
    found = {m.group(1) + "p" for m in _TIER.finditer(name)} & set(tiers)
    return found.pop() if len(found) == 1 else None


def weights_name(weights: str) -> str:
    """The part of `weights` that names the model: a hub id's or a folder's own name, a Hugging
    Face cache snapshot (models--Org--Name/snapshots/HASH) by its repository's folder."""
    path = PurePath(weights)
    if path.parent.name == "snapshots" and path.parent.parent.name.startswith("models--"):
        return path.parent.parent.name
    return path.name  # a hub id's repository name (its owner's name says nothing of the model)


def wan21_tier(
    transformer: Mapping[str, Any] | None, weights: str, files: Iterable[str] = ()
) -> tuple[str, str] | None:
    """("720p" | "480p", why) for Wan 2.1 weights by the rule above, or None when nothing says."""
    if transformer and transformer.get("image_dim") is not None and transformer.get("pos_embed_seq_len"):
        return "720p", "its transformer embeds two images (Wan 2.1 FLF2V, released at 720P only)"
    return named_tier(weights, files, tuple(SIZES))


def named_tier(weights: str, files: Iterable[str], tiers: tuple[str, ...]) -> tuple[str, str] | None:
    """(one of `tiers`, why) as the transformer files' names, then the weights' name, say it (step 3)."""
    steps = (
        ("the transformer file's name", [PurePath(f).name for f in files]),
        ("the weights' name", [weights_name(weights)]),
    )
    for what, names in steps:
        said = {name_tier(n, tiers) for n in names} - {None}
        if len(said) == 1:
            tier = said.pop()
            return tier, f"{what} says {tier.upper()}"
    return None
