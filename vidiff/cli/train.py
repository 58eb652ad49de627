"""`vidiff train CONFIG [key=value ...]`: train (or resume) a model from an OmegaConf config."""

from __future__ import annotations

import argparse

from vidiff.cli import add_strict_option


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train",
        help="train a model on your clips and procedural motion",
        description="Train the residual diffusion model described by CONFIG (OmegaConf YAML; see "
        "configs/train/default.yaml). key=value pairs override the file; an unknown key is an error. "
        "A run resumes automatically from OUTPUT/checkpoint when it exists. Multi-process: accelerate "
        "launch --multi_gpu --num_processes 2 -m vidiff train CONFIG (on a CPU-only machine this starts 2 "
        "gloo processes; without --multi_gpu, accelerate runs one). The log records 'processes'.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  vidiff train configs/train/default.yaml\n"
        "  vidiff train configs/train/default.yaml train.steps=200 train.output=runs/try data.clips=[my.mp4]",
    )
    p.add_argument("config", help="YAML config file")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides, e.g. train.steps=100")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add_strict_option(p)  # a broken training clip: refused instead of skipped with a warning
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vidiff.train.config import load_config
    from vidiff.train.trainer import train

    cfg = load_config(args.config, args.overrides)
    summary = train(cfg, progress=not args.quiet)
    if "model" in summary:
        print(
            f"trained {summary['steps']} steps in {summary['seconds'] / 60:.1f} min; model: {summary['model']}"
        )
    return 0
