"""`vidiff model-info CONFIG`: what a model config (or a trained model folder) builds, and its size."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "model-info",
        help="parameter count and shape of a model config or trained model",
        description="Build the model of CONFIG — a training config (configs/train/*.yaml, its `model:` "
        "section), a model config (a YAML of codec / unet / diffusion keys over the defaults) or a trained "
        "model folder / shipped name — and "
        "print its parameter count, codec, latent size for a frame size, and settings.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  vidiff model-info default --size 1280x720\n  vidiff model-info configs/train/extend.yaml",
    )
    p.add_argument("config", help="YAML config, model folder, or shipped model name (e.g. default)")
    p.add_argument("--size", default="640x272", help="frame size WxH for the latent shape (default 640x272)")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=run)


def load_any(spec: str):
    """A VidiffModel from a YAML config (train or model) or a model folder / shipped name."""
    from pathlib import Path

    from omegaconf import OmegaConf

    from vidiff.diffusion.model import VidiffModel, model_defaults
    from vidiff.errors import ConfigError
    from vidiff.train.config import load_config, read_yaml, to_dict

    p = Path(spec)
    if p.suffix in (".yaml", ".yml"):
        raw = read_yaml(p)  # a malformed, binary or non-mapping file: one line
        if "model" in raw or "train" in raw or "data" in raw:
            return VidiffModel.from_config(to_dict(load_config(p).model))
        # a model-only config: validate it against the model section of the defaults
        wrapped = p.with_name(p.name)  # error messages name the user's file
        base = OmegaConf.create({"model": model_defaults()})
        OmegaConf.set_struct(base, True)
        try:
            cfg = OmegaConf.merge(base, {"model": raw})
        except Exception as e:  # noqa: BLE001 - omegaconf raises several kinds
            key = getattr(e, "full_key", "") or ""
            raise ConfigError(f"{wrapped}: unknown or invalid key {key.removeprefix('model.')!r}") from None
        return VidiffModel.from_config(to_dict(cfg.model))
    return VidiffModel.load(spec)


def run(args: argparse.Namespace) -> int:
    from vidiff.errors import ConfigError
    from vidiff.io.probe import MAX_SIDE
    from vidiff.validate import check_ascii_number

    check_ascii_number(args.size, "--size")  # '6_40x272': the one number rule
    try:
        w, h = (int(x) for x in args.size.lower().split("x"))
    except ValueError:
        raise ConfigError(f"invalid --size {args.size!r}; use WxH, e.g. 640x272") from None
    if not (1 <= w <= MAX_SIDE and 1 <= h <= MAX_SIDE):  # the frame sizes vidiff reads
        raise ConfigError(f"--size {args.size}: each side must be 1 to {MAX_SIDE} pixels")
    m = load_any(args.config)
    lh, lw = m.codec.latent_size(h, w)
    parts: dict[str, int] = {}
    for name, mod in m.unet.named_children():
        parts[name] = sum(p.numel() for p in mod.parameters())
    info = {
        "parameters": m.n_parameters(),
        "codec": m.codec_spec,
        "latent": [m.codec.channels, lh, lw],
        "frame_size": [w, h],
        "unet": {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in m.unet.config.items()
            if not k.startswith("_")
        },
        "process": m.process,
        "residual_scale": m.residual_scale,
        "context": m.context,
        "priors": m.priors,
        "parameters_by_part": parts,
    }
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(
        f"VideoUNet3D: {info['parameters']:,} parameters ({info['parameters'] * 4 / 2**20:.1f} MiB float32)"
    )
    print(f"codec: {m.codec_spec} -> latent {m.codec.channels}x{lh}x{lw} for a {w}x{h} frame")
    u = info["unet"]
    print(
        f"blocks {u['block_channels']}, {u['layers_per_block']} layer(s) each, {u['heads']} heads, "
        f"spatial attention at levels {u['spatial_attention_levels']}, temporal attention at "
        + (
            "every level"
            if u["temporal_attention_levels"] is None
            else f"levels {u['temporal_attention_levels']}"
        )
        + f", middle-block attention {'on' if u['mid_attention'] else 'off'}"
    )
    fused = f", learned fusion of {u['fusion_candidates']} candidates" if u["fusion_candidates"] else ""
    print(
        f"diffusion: {m.process} process, residual x{m.residual_scale}, context {m.context} frame(s) each "
        f"side, priors {m.priors}{fused}"
    )
    for k, v in parts.items():
        if v:
            print(f"  {k:<14} {v:>10,}")
    return 0
