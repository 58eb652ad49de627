"""A trained vidiff model on disk and in memory: the U-Net, its latent codec and its diffusion settings.

A model folder holds `unet/` (diffusers `save_pretrained`: config.json + safetensors), `vidiff.json`
(`ModelSettings`, a diffusers config too: codec spec, process, residual scale, context, prior kind, and how
it was trained) and, for a learned codec, `codec.safetensors`. The model's whole description is these two
diffusers configs; their signatures hold every default (`model_defaults`), which training configs and
recipes only override.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config

from vidiff.build_lock import BUILD_LOCK
from vidiff.codecs import DEFAULT_CODEC, Codec, get_codec
from vidiff.errors import ConfigError, InputError
from vidiff.fusion import LAYOUTS
from vidiff.models import VideoUNet3D
from vidiff.models.paths import resolve_model_path

DEFAULT_MODEL = "default"
DERIVED_UNET_KEYS = ("latent_channels", "cond_channels", "fusion_candidates")  # from codec and priors


class ModelSettings(ConfigMixin):
    """How a U-Net's latents are made and sampled: the codec spec, the diffusion `process`, the residual's
    scale, `context` frames each side, the prior kind (`dis`: DIS warps; `fuse`: DIS warps + RIFE, learned
    fusion) and `info` (how it was trained). The defaults are the shipped model's."""

    config_name = "vidiff.json"

    @register_to_config
    def __init__(
        self,
        codec: dict[str, Any] | None = None,
        process: str = "ddpm",
        residual_scale: float = 10.0,
        context: int = 0,
        priors: str = "fuse",
        info: dict[str, Any] | None = None,
    ) -> None:
        self.register_to_config(codec=dict(codec or DEFAULT_CODEC), info=dict(info or {}))


def _plain(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def model_defaults() -> dict[str, Any]:
    """The `model:` section of a training config with every default: read from the signatures of
    VideoUNet3D and ModelSettings (the one place they are written), less what the codec and priors set."""

    def defaults(fn, skip: tuple[str, ...]) -> dict[str, Any]:
        ps = inspect.signature(fn).parameters.values()
        return {p.name: _plain(p.default) for p in ps if p.name != "self" and p.name not in skip}

    return {
        "codec": dict(DEFAULT_CODEC),
        "unet": defaults(VideoUNet3D.__init__, DERIVED_UNET_KEYS),
        "diffusion": defaults(ModelSettings.__init__, ("codec", "info")),
    }


@dataclass
class VidiffModel:
    """The U-Net, its codec, and how to sample it (`settings`)."""

    unet: VideoUNet3D
    codec: Codec
    settings: ModelSettings = field(default_factory=ModelSettings)
    _stack: Any = field(default=None, repr=False)

    @property
    def codec_spec(self) -> dict[str, Any]:
        return dict(self.settings.config.codec)

    @property
    def process(self) -> str:
        return str(self.settings.config.process)

    @property
    def residual_scale(self) -> float:
        return float(self.settings.config.residual_scale)

    @property
    def context(self) -> int:
        return int(self.settings.config.context)

    @property
    def priors(self) -> str:
        return str(self.settings.config.priors)

    @property
    def info(self) -> dict[str, Any]:
        return dict(self.settings.config.info)

    @info.setter
    def info(self, value: dict[str, Any]) -> None:
        # every setting passed explicitly: diffusers' from_config drops the keys it recorded as defaults
        # (`_use_default_values`), which would lose the new `info`
        given = {k: v for k, v in self.settings.config.items() if not k.startswith("_")}
        self.settings = ModelSettings(**{**given, "info": dict(value)})

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> VidiffModel:
        """An untrained model from a config with sections codec, unet, diffusion, each over the defaults."""
        from vidiff.diffusion.prior import prior_images

        codec_spec = dict(cfg.get("codec") or DEFAULT_CODEC)
        codec = get_codec(codec_spec)
        d = dict(cfg.get("diffusion") or {})
        unknown = sorted(set(d) - set(model_defaults()["diffusion"]))
        if unknown:
            raise ConfigError(f"diffusion config: unknown key(s) {', '.join(unknown)}")
        settings = ModelSettings(codec=codec_spec, **d)
        k = prior_images(settings.config.priors)
        unet_cfg = dict(cfg.get("unet") or {})
        derived = sorted(set(unet_cfg) & set(DERIVED_UNET_KEYS))
        if derived:
            raise ConfigError(
                f"unet config: {', '.join(derived)} follow from the codec and priors; remove them"
            )
        unet_cfg["latent_channels"] = codec.channels
        unet_cfg["cond_channels"] = k * codec.channels + 1
        # `fuse`: the network also weighs the candidates per pixel (zero at start: the fixed fusion μ)
        unet_cfg["fusion_candidates"] = k - 1 if settings.config.priors in LAYOUTS else 0
        for key in ("block_channels", "spatial_attention_levels", "temporal_attention_levels"):
            if unet_cfg.get(key) is not None:
                unet_cfg[key] = tuple(unet_cfg[key])
        try:
            unet = VideoUNet3D(**unet_cfg)
        except TypeError as e:
            raise ConfigError(f"unet config: {e}") from None
        return cls(unet=unet, codec=codec, settings=settings)

    def stack(self, engine: str | None = None, kind: str | None = None, dtype: Any = None):
        """The prior stack a `fuse` model's priors come from (RIFE built once, on the model's device, its
        network run by `engine` (vidiff.engine) when first built), or None for a DIS-prior model. `kind`
        is `cpu` (DIS warps + RIFE) or `gpu` (DIS in torch on the device + RIFE, `vidiff.fusion.DeviceStack`, RIFE run under
        autocast to `dtype` when given); None keeps the stack built before, else follows the device. A
        one-line UnsupportedError when RIFE's weights are not cached."""
        if self.priors not in LAYOUTS:
            return None
        from vidiff.fusion import layout_stack, resolve_stack

        if kind is None and self._stack is not None:
            return self._stack
        kind = resolve_stack(kind or "auto", self.device)
        if self._stack is None or self._stack.kind != kind or getattr(self._stack, "dtype", None) != dtype:
            self._stack = layout_stack(self.priors, kind, dtype, str(self.device), engine, like=self._stack)
        return self._stack

    def to(self, device: str | torch.device) -> VidiffModel:
        self.unet.to(device)
        self.codec.to(device)
        return self

    def eval(self) -> VidiffModel:
        self.unet.eval()
        self.codec.eval()
        return self

    @property
    def device(self) -> torch.device:
        return next(self.unet.parameters()).device

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model folder: unet/ (config.json + safetensors) and vidiff.json (the settings)."""
        from safetensors.torch import save_file

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.unet.save_pretrained(path / "unet", safe_serialization=True)
        self.settings.save_config(path)
        state = {k: v.contiguous() for k, v in self.codec.state_dict().items()}
        if state:
            save_file(state, str(path / "codec.safetensors"))

    @classmethod
    def load(cls, path: str | os.PathLike[str], device: str | torch.device = "cpu") -> VidiffModel:
        """Load a model folder written by `save` (offline: nothing is downloaded)."""
        device = check_device(device)
        path = resolve_model_path(path)
        settings = load_settings(path)
        if not (path / "unet" / "config.json").is_file():
            raise InputError(f"{path}: the model folder has no unet/config.json (`vidiff train` writes both)")
        _check_unet_config(path / "unet" / "config.json")
        with BUILD_LOCK:  # from_pretrained patches torch for the whole process while it builds
            codec = get_codec(dict(settings.config.codec))
            try:
                if (path / "codec.safetensors").exists():
                    from safetensors.torch import load_file

                    codec.load_state_dict(load_file(str(path / "codec.safetensors")))
                unet = VideoUNet3D.from_pretrained(path / "unet", local_files_only=True)
            except (OSError, ValueError, RuntimeError) as e:  # a damaged or mismatched weights file
                raise InputError(f"{path}: the model's weights do not load ({str(e).strip()})") from None
            return cls(unet=unet, codec=codec, settings=settings).to(device).eval()

    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.unet.parameters())


def _check_unet_config(path: Path) -> None:
    """The U-Net's config.json is a JSON object of VideoUNet3D's own keys (diffusers' `_` keys aside): an
    unknown key (a typo, another model's config) was dropped with diffusers' warning and the model built
    from the defaults in its place; it is one `InputError` line instead."""
    import json

    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: not a model config ({str(e).splitlines()[0]})") from None
    if not isinstance(config, dict):
        raise InputError(f"{path}: not a model config (not a JSON object)")
    takes = set(inspect.signature(VideoUNet3D.__init__).parameters) - {"self"}
    unknown = sorted(k for k in config if not k.startswith("_") and k not in takes)
    if unknown:
        raise InputError(
            f"{path}: unknown key(s) {', '.join(unknown)}; a VideoUNet3D config takes {', '.join(sorted(takes))}"
        )


def load_settings(path: str | os.PathLike[str]) -> ModelSettings:
    """The settings (vidiff.json) of a model folder or shipped model's name, without its weights."""
    path = resolve_model_path(path)
    try:
        config = ModelSettings.load_config(path)
        if not isinstance(config, dict):
            raise ValueError("not a JSON object")
        takes = set(inspect.signature(ModelSettings.__init__).parameters) - {"self"}
        unknown = sorted(k for k in config if not k.startswith("_") and k not in takes)
        if unknown:  # diffusers drops them with a warning: the defaults would be used in their place
            raise ValueError(f"unknown key(s) {', '.join(unknown)}; it takes {', '.join(sorted(takes))}")
        return ModelSettings.from_config(config)
    except (OSError, ValueError, TypeError) as e:  # not JSON, or not vidiff's settings
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputError(f"{path / 'vidiff.json'}: not a vidiff model's settings ({reason})") from None


def check_device(device: str | torch.device) -> torch.device:
    """`device` as a torch.device, checked by the one device check of every learned method
    (`vidiff.flow.check_device`: a one-line ConfigError if torch cannot use it here)."""
    from vidiff.flow import check_device as check

    check(device)
    return torch.device(device)
