"""`vidiff bench`: the held-out-frame protocol on real clips, every method side by side."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import sys

from vidiff.cli import add_report_options, add_strict_option
from vidiff.cli.upscale import add_engine_option

EXAMPLES = """examples:
  vidiff bench                                      # the 3 development clips, x2, every method
  vidiff bench --factor 2 4 5/2 --out results/      # x2, x4 and the 2/5 keep ratio
  vidiff bench --input any.mp4 --factor 2 --methods dis,blend --json
  vidiff bench --input carphone_pristine --methods dup,dis,minterpolate,rife
  vidiff bench --input bikes --methods dis,rife --quality fast,balanced,max   # rows fast, balanced, max

factors:
  K (2, 4, 8)  keep frames 0, K, 2K, ...; rebuild the others at t = 1/K, 2/K, ...
  5/2 or 2.5   keep rate = original x 2/5: keep frames 0, 2, 5, 7, 10, ... and rebuild the
               original rate, so targets fall at t = 1/2, 1/3 and 2/3 ('2/5', a keep ratio
               below 1, means the same)

methods: dup, blend, dis (OpenCV DIS flow), minterpolate (FFmpeg's filter, run through PyAV),
rife (RIFE v4, needs its weights: vidiff fetch rife), and any other registered method such
as diffusion; diffusion@DIR is the diffusion method with your own model (e.g. runs/mine/model), so
  vidiff bench --input bikes --methods dis,diffusion,diffusion@runs/mine/model
compares it with the shipped one. A method that cannot run here is reported as skipped, with why.

output (in --out): results.json (one record per clip x factor x method: psnr, ssim, flicker_ratio,
tdiff_err, s_per_frame, speed_ratio_vs_dis, peak_rss_mb, n_frames, per_t, ...), results.md (tables,
with this command line at the top), psnr_by_t.png and psnr_by_method.png. Each method runs in its
own process, so peak_rss_mb is that method's;
s_per_frame times the method's own work, not decoding or scoring.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bench",
        help="compare interpolators on real clips (held-out frames)",
        description="Drop frames from real clips, rebuild them with each method, and score PSNR, SSIM, "
        "flicker ratio and temporal-difference error against the originals (BENCHMARK.md protocol). "
        "All methods run in the same invocation; times are also given as ratios to OpenCV DIS.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EXAMPLES,
    )
    p.add_argument(
        "--input", "-i", nargs="+", action="extend", metavar="CLIP",
        help="video files, image sequences (a folder of images, or frames/%%05d.png) or development clip "
        "names (default: bikes carphone_pristine bigbuckbunny)",
    )  # fmt: skip
    p.add_argument(
        "--factor", "-k", nargs="+", action="extend", metavar="K",
        help="factors: 2, 4, 8, or 5/2 for the 2/5 keep ratio (default: 2)",
    )  # fmt: skip
    p.add_argument(
        "--methods", "-m", default=None,
        help="comma-separated methods (default: dup,blend,dis,minterpolate,rife and any other registered)",
    )  # fmt: skip
    from vidiff.quality import TIERS, quality_help

    p.add_argument(
        "--quality", default=None, metavar=",".join(TIERS),
        help="comma-separated quality tiers, each scored as a row of its own named by the tier, after "
        "the --methods rows: " + quality_help(),
    )  # fmt: skip
    p.add_argument(
        "--out", "-o", default="vidiff-bench", metavar="DIR", help="output folder (default ./vidiff-bench)"
    )
    p.add_argument(
        "--max-frames",
        type=int,
        default=None,
        metavar="N",
        help="use only the first N frames of each clip (quick checks)",
    )
    p.add_argument(
        "--in-process", action="store_true",
        help="run every method in this process (faster start; peak_rss_mb is then the whole process's)",
    )  # fmt: skip
    add_engine_option(p)
    add_strict_option(p)
    add_report_options(p, "the records")
    p.set_defaults(func=run)


def command_line(args: argparse.Namespace) -> str:
    """The invocation as a canonical `vidiff bench ...` line (every option that shapes the results)."""
    parts = ["vidiff", "bench"]
    if args.input:
        parts += ["--input", *args.input]
    if args.factor:
        parts += ["--factor", *args.factor]
    if args.methods:
        parts += ["--methods", args.methods]
    if args.quality:
        parts += ["--quality", args.quality]
    if args.max_frames is not None:
        parts += ["--max-frames", str(args.max_frames)]
    if args.in_process:
        parts.append("--in-process")
    parts += ["--out", args.out]
    return shlex.join(parts)


def header_lines(cmd: str) -> list[str]:
    """Command line, date, machine and tool versions, for the top of results.md."""
    import cv2
    import numpy as np

    from vidiff import __version__
    from vidiff.metrics.peers import ffmpeg_version

    versions = f"vidiff {__version__}, numpy {np.__version__}, opencv {cv2.__version__}"
    try:
        import torch

        versions += f", torch {torch.__version__}"
    except ImportError:
        pass
    return [
        f"Command: `{cmd}`",
        "",
        f"Run: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        f"Versions: {versions}, {ffmpeg_version()}",
        "",
        "PSNR over all RGB values per held-out frame, then the mean; SSIM: skimage, channel_axis=-1. "
        "s/frame: seconds of the method's own work per rebuilt frame (after one untimed warm-up window of "
        "each shape, which pays for an engine's export); × DIS time: that over OpenCV DIS's "
        "in this run. Flicker ratio 1.0 is ideal.",
    ]


def check_inputs(specs: list[str] | None, factors: list, max_frames: int | None) -> list[str]:
    """Decode every clip once before any method runs; returns their paths.

    Damaged input follows the damaged-input policy here, once (one warning line, or a refusal under
    --strict); a run in which no clip has a frame to score at any factor is refused in one line.
    With `max_frames`, decoding stops there (a long clip is not read to its end for a short run).
    """
    from vidiff.errors import InputError
    from vidiff.io.reader import VideoReader
    from vidiff.io.samples import SAMPLE_CLIPS
    from vidiff.metrics.bench import resolve_clip
    from vidiff.metrics.protocol import factor_label, targets

    paths, short = [], []
    for spec in specs or SAMPLE_CLIPS:
        path = str(resolve_clip(spec))
        n = 0
        for _ in VideoReader(path):
            n += 1
            if n == max_frames:
                break
        paths.append(path)
        short += [(path, n, f) for f in factors if not targets(n, f)]
    if len(short) == len(paths) * len(factors):
        path, n, f = short[0]
        raise InputError(
            f"nothing to score: {path} has {n} frames, too short for factor {factor_label(f)}"
            + (f" (and {len(short) - 1} more clip x factor too short)" if len(short) > 1 else "")
        )
    return paths


def run(args: argparse.Namespace) -> int:
    from vidiff.errors import InputError
    from vidiff.metrics.bench import bench, check_max_frames, resolve_methods, resolve_qualities
    from vidiff.metrics.protocol import parse_factor
    from vidiff.metrics.report import markdown, write_bench

    factors = list(dict.fromkeys(parse_factor(f) for f in (args.factor or ["2"])))
    check_max_frames(args.max_frames)  # the check the web app's Compare tab makes too
    resolve_methods(args.methods)  # an unknown method or tier is refused before any decoding
    resolve_qualities(args.quality)
    paths = check_inputs(args.input, factors, args.max_frames)
    # the method workers (other processes) follow the same policy and do not repeat its warning
    env = {"VIDIFF_DAMAGE_WARNED": os.pathsep.join(os.path.abspath(p) for p in paths)}
    if args.strict:
        env["VIDIFF_STRICT"] = "1"
    if args.engine:  # read by every learned method built without an engine (vidiff.engine.default_engine)
        env["VIDIFF_ENGINE"] = args.engine
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        records = bench(
            args.input, factors, args.methods, isolate=not args.in_process, progress=not args.quiet,
            max_frames=args.max_frames, qualities=args.quality,
        )  # fmt: skip
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if not any(r.get("status") == "ok" for r in records):
        why = next((r.get("reason") for r in records if r.get("reason")), "no method ran")
        raise InputError(f"nothing could be scored ({len(records)} runs, none ok; first: {why})")
    header = header_lines(command_line(args))
    files = write_bench(records, args.out, header)
    if args.json:
        print(json.dumps(records, indent=1))
    else:
        print(markdown(records, header))
        print("wrote " + ", ".join(str(f) for f in files))
    if not args.quiet and args.json:
        print("vidiff bench: wrote " + ", ".join(str(f) for f in files), file=sys.stderr)
    return 0
