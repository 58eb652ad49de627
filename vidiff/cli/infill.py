"""`vidiff infill INPUT -o OUTPUT (--frames 10-14,30 | --auto)`: rebuild frames from their neighbours."""

from __future__ import annotations

import argparse
import json

from vidiff.cli import (
    add_deinterlace_option,
    add_input_fps_option,
    add_report_options,
    add_start_number_option,
    add_strict_option,
)
from vidiff.cli.upscale import add_learned_options, add_quality_option, method_options
from vidiff.io.sequence_out import OUTPUT_HELP


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "infill",
        help="rebuild listed frames, or repair the defects found automatically",
        description="Rewrite INPUT to OUTPUT with some frames repaired (same frame count, timing and audio). "
        "--frames lists frames to rebuild from the nearest kept frames on each side, at their real times "
        "(0-based indices and ranges). --auto finds the defects `vidiff metrics` lists and repairs each its "
        "own way: black/blank and corrupt frames and the repeats of a frozen run inside moving footage are "
        "rebuilt from the good frames around them; a flickered frame keeps its content and gets its "
        "brightness and colour matched to its neighbours'; two frames out of order are put back. Scene cuts, "
        "single repeated frames (cadence) and skips are reported and left. Every other frame is written "
        "exactly as decoded. It prints one line per defect: what it was, where, and what was done.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  vidiff infill in.mp4 -o fixed.mp4 --frames 10-14,30\n  vidiff infill in.mp4 -o fixed.mp4 --auto\n"
        "  vidiff infill in.mp4 -o fixed.mp4 --auto --quality max\n"
        "  vidiff infill frames/ -o fixed_frames/ --frames 12   # image sequences in and out (see upscale --help)\n"
        "  vidiff infill 'shot/f_%04d.png' -o 'fixed/f_%04d.png' --auto --start-number 1001\n"
        "      # a shot's missing or unreadable frames rebuilt in their slots (--frames counts slots), its numbers kept",
    )
    p.add_argument(
        "input",
        metavar="INPUT",
        help="input video, or image sequence: a folder of images or a pattern such as frames/%%05d.png "
        "(never modified)",
    )
    p.add_argument(
        "-o", "--output", required=True, help=f"output file (.gif too), or image frames: {OUTPUT_HELP}"
    )
    add_start_number_option(p)
    add_input_fps_option(p)
    add_deinterlace_option(p)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--frames", help="frames to rebuild, e.g. 10-14,30 (0-based)")
    g.add_argument(
        "--auto",
        action="store_true",
        help="find the defects (black, frozen, corrupt, flicker, out of order) and repair each its own way",
    )
    p.add_argument(
        "--method",
        default="auto",
        help="interpolator for the rebuilt frames (default auto: the model when RIFE is fetched, else dis; "
        "the methods: vidiff upscale --help)",
    )
    add_quality_option(p)
    add_learned_options(p)
    add_strict_option(p)
    add_report_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vidiff.runner.infill import infill_file

    r = infill_file(
        args.input,
        args.output,
        frames=args.frames,
        auto=args.auto,
        method=args.method,
        quality=args.quality,
        method_options=method_options(args),
        progress=not args.quiet,
        input_fps=args.input_fps,
        start_number=args.start_number,
    )
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    print_repairs(r, args.auto)
    print(f"wrote {r['output']}")
    return 0


def print_repairs(r: dict, auto: bool) -> None:
    """What an `infill_file` report says was done: one line per defect (`auto`), else the frames
    replaced; then any held frames. `vidiff infill` and `vidiff run` of a repair recipe print it."""
    if auto:
        from vidiff.metrics.report import frames_text

        for d in r["defects"]:
            print(
                f"{d['kind']} at {frames_text(d['frames'])} ({d['start']:.3f} s), confidence "
                f"{d['confidence']:.2f}: {d['detail']} -> {d['action']}"
            )
        if not r["defects"]:
            print("no defect found: every frame kept")
    elif r["replaced"]:
        print(f"replaced {len(r['replaced'])} frame(s):")
        for x in r["replaced"]:
            print(f"  frame {x['frame']} at {x['time_s']:.3f} s ({x['why']})")
    if r["held"]:
        print(f"held (no good frame on one side): {', '.join(map(str, r['held']))}")
