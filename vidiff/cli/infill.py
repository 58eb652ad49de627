"""`vidiff infill INPUT -o OUTPUT (--frames 10-14,30 | --auto)`: rebuild frames from their neighbours."""

from __future__ import annotations

import argparse
import json

from vidiff.cli import add_report_options, add_strict_option


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "infill",
        help="regenerate listed frames, or frozen/black/corrupt ones found automatically",
        description="Rewrite INPUT to OUTPUT with some frames rebuilt from the nearest kept frames on each "
        "side, at their real times (same frame count, timing and audio). --frames lists them (0-based "
        "indices and ranges); --auto finds them: short frozen repeats inside moving footage, isolated black "
        "frames, and corrupt frames (far from both neighbours while those agree), and says which it replaced.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  vidiff infill in.mp4 -o fixed.mp4 --frames 10-14,30\n  vidiff infill in.mp4 -o fixed.mp4 --auto",
    )
    p.add_argument("input", metavar="INPUT", help="input video (never modified)")
    p.add_argument("-o", "--output", required=True, help="output file")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--frames", help="frames to rebuild, e.g. 10-14,30 (0-based)")
    g.add_argument(
        "--auto", action="store_true", help="find frozen, black and corrupt frames and rebuild them"
    )
    p.add_argument(
        "--method",
        default="auto",
        help="interpolator for the rebuilt frames (default auto: the model when RIFE is fetched, else dis)",
    )
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
        progress=not args.quiet,
    )
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    if r["replaced"]:
        print(f"replaced {len(r['replaced'])} frame(s):")
        for x in r["replaced"]:
            print(f"  frame {x['frame']} at {x['time_s']:.3f} s ({x['why']})")
    else:
        print("no frame replaced" + (" (none found)" if args.auto else ""))
    if r["held"]:
        print(f"held (no good frame on one side): {', '.join(map(str, r['held']))}")
    print(f"wrote {r['output']}")
    return 0
