"""A trained vidiff model on disk and in memory: the U-Net, its latent codec and its diffusion settings.

A model folder holds `unet/` (diffusers `save_pretrained`: config.json + safetensors), `vidiff.json`
(codec spec, process, residual scale, context, and how it was trained) and, for a learned codec,
`codec.safetensors`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from vidiff.codecs import Codec, get_codec
from vidiff.errors import ConfigError, InputError
from vidiff.models import VideoUNet3D

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
DEFAULT_MODEL = "default"


@dataclass
class VidiffModel:
    """The U-Net, its codec, and how to sample it."""

    unet: VideoUNet3D
    codec: Codec
    codec_spec: dict[str, Any]
    process: str = "ddpm"
    residual_scale: float = 4.0
    context: int = 0
    priors: str = "dis"  # the prior kind: `dis` (DIS warps) or `fuse` (DIS warps + RIFE, learned fusion)
    info: dict[str, Any] = field(default_factory=dict)
    _stack: Any = field(default=None, repr=False)

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> VidiffModel:
        """Build an untrained model from a config with keys codec, unet, diffusion (see configs/model/)."""
        codec_spec = dict(cfg.get("codec") or {"type": "pixel_unshuffle", "factor": 4})
        codec = get_codec(codec_spec)
        unet_cfg = dict(cfg.get("unet") or {})
        from vidiff.diffusion.prior import prior_images

        d = dict(cfg.get("diffusion") or {})
        priors = str(d.get("priors", "dis"))
        k = prior_images(priors)
        unet_cfg["latent_channels"] = codec.channels
        unet_cfg["cond_channels"] = k * codec.channels + 1
        # `fuse`: the network also weighs the candidates per pixel (zero at start: the fixed fusion μ)
        unet_cfg["fusion_candidates"] = k - 1 if priors == "fuse" else 0
        for k in ("block_channels", "spatial_attention_levels", "temporal_attention_levels"):
            if unet_cfg.get(k) is not None:
                unet_cfg[k] = tuple(unet_cfg[k])
        try:
            unet = VideoUNet3D(**unet_cfg)
        except TypeError as e:
            raise ConfigError(f"unet config: {e}") from None
        return cls(
            unet=unet,
            codec=codec,
            codec_spec=codec_spec,
            process=d.get("process", "ddpm"),
            residual_scale=float(d.get("residual_scale", 4.0)),
            context=int(d.get("context", 0)),
            priors=priors,
        )

    def stack(self):
        """The `PriorStack` a `fuse` model's priors come from (RIFE built once, on the model's device), or
        None for a DIS-prior model. A one-line UnsupportedError when RIFE's weights are not cached."""
        if self.priors != "fuse":
            return None
        if self._stack is None:
            from vidiff.fusion import PriorStack, build_rife

            self._stack = PriorStack(build_rife(device=str(self.device)))
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
        """Write the model folder (config.json + safetensors for the U-Net, vidiff.json beside it)."""
        from safetensors.torch import save_file

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.unet.save_pretrained(path / "unet", safe_serialization=True)
        meta = {
            "codec": self.codec_spec,
            "process": self.process,
            "residual_scale": self.residual_scale,
            "context": self.context,
            "priors": self.priors,
            "info": self.info,
        }
        (path / "vidiff.json").write_text(json.dumps(meta, indent=2) + "\n")
        state = {k: v.contiguous() for k, v in self.codec.state_dict().items()}
        if state:
            save_file(state, str(path / "codec.safetensors"))

    @classmethod
    def load(cls, path: str | os.PathLike[str], device: str | torch.device = "cpu") -> VidiffModel:
        """Load a model folder written by `save` (offline: nothing is downloaded)."""
        device = check_device(device)
        path = resolve_model_path(path)
        meta = json.loads((path / "vidiff.json").read_text())
        codec = get_codec(dict(meta["codec"]))
        if (path / "codec.safetensors").exists():
            from safetensors.torch import load_file

            codec.load_state_dict(load_file(str(path / "codec.safetensors")))
        unet = VideoUNet3D.from_pretrained(path / "unet", local_files_only=True)
        m = cls(
            unet=unet,
            codec=codec,
            codec_spec=dict(meta["codec"]),
            process=meta["process"],
            residual_scale=float(meta["residual_scale"]),
            context=int(meta.get("context", 0)),
            priors=str(meta.get("priors", "dis")),
            info=meta.get("info", {}),
        )
        return m.to(device).eval()

    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.unet.parameters())


def check_device(device: str | torch.device) -> torch.device:
    """`device` as a torch.device, or a one-line ConfigError if torch cannot use it here."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ConfigError(f"unknown device {device!r}; use cpu, cuda or cuda:N") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r}: no CUDA device is available to this torch build; use cpu")
    if dev.type not in ("cpu", "cuda"):
        raise ConfigError(f"device {device!r} is not supported; use cpu, cuda or cuda:N")
    return dev


def resolve_model_path(path: str | os.PathLike[str]) -> Path:
    """A model folder, or the name of a shipped one under vidiff/weights/; a clear error if missing."""
    p = Path(path)
    if not (p / "vidiff.json").exists() and not p.is_absolute() and (WEIGHTS_DIR / str(path)).exists():
        p = WEIGHTS_DIR / str(path)
    if not (p / "vidiff.json").exists():
        shipped = (
            sorted(d.name for d in WEIGHTS_DIR.iterdir() if (d / "vidiff.json").exists())
            if WEIGHTS_DIR.exists()
            else []
        )
        hint = f"shipped models: {', '.join(shipped)}" if shipped else "no shipped weights are installed"
        raise InputError(
            f"model weights not found at {str(path)!r} ({hint}); train some with `vidiff train configs/train/default.yaml`"
        )
    return p
