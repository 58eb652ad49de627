"""A single-file VAE in place of the weights' own: `--vae FILE`.

ComfyUI keeps a video model's VAE as one `.safetensors` file in the original release's key layout
(`models/vae/`: `wan_2.1_vae.safetensors`, `wan2.2_vae.safetensors`). diffusers' `from_single_file` on the
weights' VAE class converts it with the weights' own `vae/config.json`; every other part loads from the
weights as before. The file goes the way of a `--transformer` file (`vidiff.generate.single_file`): fetched
(a hub file too), its header checked against the VAE the config describes (built on the meta device)
through diffusers' own key conversion before the model loads, a file that cannot fill it one line, and
the kept pipeline (`vidiff.generate.loaded`) keyed on it. Which VAEs diffusers reads from one file is
diffusers' list (`SINGLE_FILE_LOADABLE_CLASSES`: Wan's `AutoencoderKLWan`, LTX-Video's, not CogVideoX's,
SVD's or HunyuanVideo's, 1.0 and 1.5); another is one line. diffusers' Wan VAE converter
(`convert_wan_vae_to_diffusers`) maps the Wan 2.1 VAE's original names only: a Wan 2.2 VAE (the TI2V-5B's
residual, 16x one: `is_residual` in its config) is taken from a file in diffusers' own layout, and a file in
any other layout is refused in one line that says so, not as tensors the file "lacks".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vidiff.errors import ConfigError, UnsupportedError
from vidiff.generate.single_file import SingleFile


def parse_vae(value: str | None) -> list[SingleFile]:
    """The VAE file `value` names, as a list of none or one (`SingleFile` with component "vae"); a
    one-line ConfigError for anything but a non-empty string."""
    if value is None:
        return []
    if not isinstance(value, str):
        raise ConfigError(f"vae {value!r}: must be a string (a .safetensors file or a hub file)")
    text = value.strip()
    if not text:
        raise ConfigError("vae '': give a .safetensors file or a hub file (owner/name/file)")
    return [SingleFile(value, text, component="vae")]


def check_convertible(f: SingleFile, name: str, config: Mapping[str, Any]) -> None:
    """A one-line UnsupportedError for a VAE file not in diffusers' own layout (`name`: the weights' VAE
    class, `config` its config) that diffusers' converter cannot map: a Wan 2.2 VAE's."""
    if name == "AutoencoderKLWan" and config.get("is_residual"):
        raise UnsupportedError(
            f"vae {f.source}: the weights' VAE is Wan 2.2's (is_residual), and diffusers converts only Wan "
            "2.1's VAE from the original layout (ComfyUI's wan2.2_vae.safetensors): use the weights' own "
            "vae/, or a file in diffusers' layout"
        )
