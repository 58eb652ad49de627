"""`vidiff upscale`: raise the frame rate of a clip (x2, x4, or to a target fps such as 60)."""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction

from vidiff.cli import (
    add_deinterlace_option,
    add_input_fps_option,
    add_report_options,
    add_start_number_option,
    add_strict_option,
)
from vidiff.flow import METHOD_WHAT, method_line
from vidiff.io.encode import AUDIO_CODEC_HELP, CODEC_HELP, CRF_HELP, PIX_FMT_HELP, PRESET_HELP
from vidiff.io.sequence import DEFAULT_INPUT_FPS
from vidiff.io.sequence_out import OUTPUT_HELP
from vidiff.io.video_ext import DEFAULT_CODEC
from vidiff.quality import TIERS
from vidiff.timeline import FACTOR_HELP, FPS_HELP
from vidiff.validate import MAX_SEED, SAMPLER_STEPS

EXAMPLES = f"""examples:
  vidiff upscale in.mp4 -o out.mp4 --factor 2            # 25 fps -> 50 fps, the default method (auto)
  vidiff upscale in.mp4 -o out.mp4 --fps 60              # any rate: 24 -> 60, 25 -> 30, 29.97 -> 60
  vidiff upscale in.mp4 -o out.mkv --fps 60 --codec h265 --crf 20
  vidiff upscale in.mp4 -o out.mp4 --factor 2 --method diffusion --steps 4 --seed 0
  vidiff upscale in.mp4 -o out.mp4 --factor 2 --quality max   # the model, two passes a window
  vidiff upscale in.mp4 -o out.mp4 --factor 2 --json --quiet   # machine-readable report on stdout
  vidiff upscale frames/ -o out.mp4 --fps 60             # a folder of images -> 60 fps video
  vidiff upscale 'shot/%05d.png' -o out.mp4 --factor 2 --input-fps 30000/1001
  vidiff upscale in.mp4 -o out_frames/ --factor 2        # PNG frames out: out_frames/000000.png, ...
  vidiff upscale frames/ -o 'out/frame_%04d.jpg' --factor 2   # JPEG frames, numbered from 0
  vidiff upscale 'shot/f_%04d.png' -o 'fixed/f_%04d.png' --factor 1 --start-number 1001
                                                         # a shot's missing frames rebuilt, its numbers kept
  vidiff upscale clip.gif -o smooth.gif --fps 50         # an animated GIF in and out

image sequences: INPUT may be a folder of images (PNG, JPEG, TIFF, BMP, WebP; natural order: frame2
before frame10) or a pattern such as frames/%05d.png, from any first number (1001...); a number missing
between two files is a missing frame (one warning; refused with --strict; --factor 1, or infill, rebuilds
just those). It plays at --input-fps (default {DEFAULT_INPUT_FPS}) and is read as 8-bit RGB (16-bit and
alpha dropped, with a note). OUTPUT may be a folder (new or empty; PNG frames from 000000.png; one
named as a video, o.mp4, only with a trailing slash: o.mp4/) or a pattern (.png or .jpg), numbered
from 0 (file k is output frame k) or from --start-number N (file N+k); it appears only complete. Frames hold no audio or subtitles; the encoding options do not apply.

GIF: -o NAME.gif writes an animated GIF (a palette of 256 colours a frame, dithered; it loops forever),
which holds no audio and takes no encoding options. Its frame delays are hundredths of a second and
browsers play one under 2 as 10, so a GIF plays at most 50 fps: a faster rate is refused.
"""


def add_encode_options(p: argparse.ArgumentParser) -> None:
    """Output encoding options shared by every command that writes a clip."""
    g = p.add_argument_group("encoding")
    g.add_argument("--codec", default=DEFAULT_CODEC, help=CODEC_HELP)
    g.add_argument("--crf", type=int, default=18, help=CRF_HELP)
    g.add_argument("--preset", default=None, help=PRESET_HELP)
    g.add_argument("--pix-fmt", default="yuv420p", help=PIX_FMT_HELP)
    g.add_argument("--no-audio", action="store_true", help="drop the audio instead of copying it")
    g.add_argument("--audio-codec", default="auto", metavar="{auto,copy,aac}", help=AUDIO_CODEC_HELP)


def add_workers_option(p: argparse.ArgumentParser) -> None:
    """--workers N (upscale, run): processes that make a clip's segments in parallel."""
    p.add_argument(
        "--workers",
        default=None,
        metavar="N",
        help="processes that make the clip's segments in parallel (default: every core; 1 for "
        "a clip of under two segments); the output is byte-identical to --workers 1",
    )


def add_engine_option(p) -> None:
    """--engine (upscale, run, bench): what runs the learned networks on the CPU (vidiff.engine)."""
    from vidiff.engine import ENGINES

    p.add_argument(
        "--engine",
        default=None,
        choices=ENGINES,
        metavar="ENGINE",
        help="what runs RIFE's and the model's networks on the CPU: auto (default: OpenVINO where "
        "installed, measured fastest; else PyTorch), torch, openvino, onnxruntime; CUDA always uses torch",
    )


QUALITY_USE = (
    "a quality tier instead of --method (--steps, --seed, --weights, --device, --engine still apply): "
)


def add_quality_option(p: argparse.ArgumentParser, use: str = QUALITY_USE) -> None:
    """--quality (upscale, infill, run): a tier that names the method and its options (vidiff.quality);
    `use` says what the tier stands in for, before the tiers' lines."""
    from vidiff.quality import quality_help

    p.add_argument("--quality", default=None, metavar="{" + ",".join(TIERS) + "}", help=use + quality_help())


def add_learned_options(p: argparse.ArgumentParser) -> None:
    """--steps, --seed, --weights, --device, --engine (upscale, infill): the learned methods' options,
    read by `method_options`."""
    m = p.add_argument_group(
        "learned methods (--method auto, diffusion, --quality balanced, max; --device and --weights also "
        "for rife, fuse)"
    )
    m.add_argument(
        "--steps",
        type=int,
        default=None,
        help=f"sampler steps, {SAMPLER_STEPS[0]}-{SAMPLER_STEPS[1]} (default: the model's)",
    )
    m.add_argument(
        "--seed",
        type=int,
        default=None,
        help=f"random seed, 0 to {MAX_SEED}; same seed, same output (default 0)",
    )
    m.add_argument("--weights", default=None, help="model folder (default: the shipped weights)")
    m.add_argument("--device", default=None, help="cpu (default), cuda, cuda:1")
    add_engine_option(m)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "upscale",
        help="raise the frame rate of a clip",
        description="Raise the frame rate of a clip by a factor or to a target fps. New frames are "
        "interpolated between distinct source frames at their real times; scene cuts are never "
        "blended across; duplicate frames are collapsed; audio is copied. The output is written "
        "under a temporary name and appears only when complete. The frames are kept in lossless "
        "segments beside it (Ctrl-C, then the same command resumes; until the end they take far more "
        "disk than the output: about 1 GB a minute of 720p at 60 fps) and encoded as one stream at the end.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXAMPLES,
    )
    p.add_argument(
        "input",
        metavar="INPUT",
        help="input video file, or image sequence: a folder of images or a pattern such as "
        "frames/%%05d.png (never modified)",
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help=f"output file (.mp4, .mkv, .mov, .webm, or .gif: 50 fps at most), or image frames: {OUTPUT_HELP}",
    )
    add_start_number_option(p)
    add_input_fps_option(p)
    add_deinterlace_option(p)
    rate = p.add_mutually_exclusive_group(required=True)
    rate.add_argument("--factor", help=FACTOR_HELP)
    rate.add_argument("--fps", help=FPS_HELP)
    p.add_argument(
        "--method",
        default="auto",
        help="interpolator (default auto; measured figures: docs/benchmarks.md, benchmarks/results/model): "
        + "; ".join(f"{m}: {method_line(m)}" for m in METHOD_WHAT),
    )
    add_quality_option(p)
    add_learned_options(p)
    add_workers_option(p)
    p.add_argument("--no-dedupe", action="store_true", help="do not collapse duplicated source frames")
    p.add_argument("--no-scene-cuts", action="store_true", help="interpolate across scene cuts too")
    add_encode_options(p)
    add_strict_option(p)
    add_report_options(p, "the run report")
    p.set_defaults(func=run)


def method_options(args: argparse.Namespace) -> dict:
    """The model options given (--steps, --seed, --weights, --device, --engine), for the interpolator.
    A method that takes none of them (`dis --steps 4`, `--quality fast --steps 4`) is one error line, not
    a silent no-op; `auto` drops what the method it resolves to does not take."""
    from vidiff.flow import METHOD_OPTIONS
    from vidiff.quality import checked_method

    opts = {k: getattr(args, k) for k in METHOD_OPTIONS if getattr(args, k) is not None}
    checked_method(args.quality, args.method, opts)  # `auto`: only what every method shares (--engine)
    return opts


def run(args: argparse.Namespace) -> int:
    from vidiff.runner import upscale_file
    from vidiff.runner.options import UpscaleOptions
    from vidiff.runner.parallel import cli_workers

    options = UpscaleOptions(  # every option checked before any work
        factor=args.factor,
        fps=args.fps,
        method=args.method,
        quality=args.quality,
        method_options=method_options(args),
        codec=args.codec,
        crf=args.crf,
        preset=args.preset,
        pix_fmt=args.pix_fmt,
        audio=not args.no_audio,
        audio_codec=args.audio_codec,
        dedupe=not args.no_dedupe,
        scene_cuts=not args.no_scene_cuts,
        progress=not args.quiet,
        workers=cli_workers(args.workers),  # every core the memory can feed, by default
        input_fps=args.input_fps,
        start_number=args.start_number,
    )
    report = upscale_file(args.input, args.output, options)
    if args.json:
        print(json.dumps(report, indent=2))
    elif not args.quiet:
        print(
            f"wrote {report['output']}: {report['out_frames']} frames at {float(Fraction(report['out_fps'])):.3f} fps "
            f"from {report['src_frames']} at {float(Fraction(report['src_fps'])):.3f} "
            f"({report['method']}, {report['s_per_frame']:.3f} s/frame)",
            file=sys.stderr,
        )
    return 0
