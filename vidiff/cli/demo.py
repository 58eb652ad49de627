"""`vidiff demo`: raise the frame rate of a bundled real clip x2 and say what it measured."""

from __future__ import annotations

import argparse
import os
from fractions import Fraction

from vidiff.errors import OutputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="upscale a bundled real clip x2 and report",
        description="Raise the frame rate of the bundled bikes.mp4 clip (640x272, 25 fps) x2 with the "
        "default method, write it to OUT_DIR, and score the method on the held-out-frame protocol "
        "(drop every other frame, rebuild it, compare) against a linear blend.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  vidiff demo --out-dir out",
    )
    p.add_argument("--out-dir", default="out", help="where to write bikes_x2.mp4 (default ./out)")
    p.add_argument(
        "--clip", default="bikes", help="bundled clip: bikes (default), carphone_pristine, bigbuckbunny"
    )
    p.add_argument(
        "--method", default="auto", help="interpolator to demonstrate (default auto, as `vidiff upscale`)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from vidiff.flow import get_interpolator
    from vidiff.io.probe import probe
    from vidiff.io.reader import read_frames
    from vidiff.io.samples import sample_clip
    from vidiff.metrics.protocol import score_interpolator
    from vidiff.runner import upscale_file

    src = sample_clip(args.clip)
    if os.path.exists(args.out_dir) and not os.path.isdir(args.out_dir):
        raise OutputError(f"--out-dir {args.out_dir}: is a file; give a folder (made if missing)")
    try:
        os.makedirs(args.out_dir, exist_ok=True)
    except OSError as e:
        raise OutputError(f"--out-dir {args.out_dir}: cannot make this folder ({e.strerror or e})") from None
    out = os.path.join(args.out_dir, f"{args.clip}_x2.mp4")
    report = upscale_file(src, out, factor=2, method=args.method)
    info = probe(out)
    print(f"\nwrote {os.path.abspath(out)}")
    print(
        f"  {report['src_frames']} frames at {float(Fraction(report['src_fps'])):g} fps -> "
        f"{info.n_frames} frames at {float(info.fps):g} fps, {info.duration:.2f} s, "
        f"{report['s_per_frame'] * 1000:.0f} ms per output frame ({report['method']})"
    )
    if report["scene_cuts_s"]:
        print(f"  scene cuts kept sharp at {', '.join(f'{t:g}' for t in report['scene_cuts_s'])} s")
    print("\nheld-out-frame check (keep every 2nd frame, rebuild the others, PSNR vs the real frames):")
    frames = read_frames(src, max_frames=61)
    for method in ("blend", args.method):
        s = score_interpolator(frames, Fraction(2), get_interpolator(method)).summary()
        print(f"  {method:<10} {s['psnr']:.2f} dB  SSIM {s['ssim']:.4f}  ({s['n_frames']} frames)")
    print("\nfull benchmark: vidiff bench --help")
    return 0
