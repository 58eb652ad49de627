#!/usr/bin/env python
"""RIFE's reduced flow scale for large frames: PSNR and seconds per frame at scale 1.0 against 0.5.

Practical-RIFE runs IFNet's coarse-to-fine levels at half resolution (`scale` 0.5) for 4K; issue 15 asks
whether frames above 720p can do so with PSNR within 0.05 dB. The dev clips stop at 1280x720, so each is
resized up (Lanczos) to each --size: smoother than footage shot at that size, which favours the reduced
scale; say so beside any figure. The held-out protocol at x2 (BENCHMARK.md) on the first --frames frames;
each scale's first call is an untimed warm-up (an engine's export), then the median of the calls.

Usage: .venv/bin/python benchmarks/rife_scale.py [--clip bigbuckbunny] [--sizes 1920x1080] [--frames 25]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from report import command_line, write_report

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clip", default="bigbuckbunny", help="dev clip name or file (default bigbuckbunny)")
    p.add_argument("--sizes", nargs="+", default=["1920x1080"], help="WxH each clip is resized to")
    p.add_argument("--frames", type=int, default=25, help="first frames used (default 25: 12 targets)")
    p.add_argument("--scales", nargs="+", type=float, default=[1.0, 0.5], help="RIFE scales compared")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "rife_scale"), help="output folder")
    args = p.parse_args(argv)

    from vidiff.io.reader import read_frames
    from vidiff.metrics.bench import resolve_clip
    from vidiff.metrics.quality import psnr
    from vidiff.peers.rife import RIFE

    src = read_frames(resolve_clip(args.clip), max_frames=args.frames)
    rows = []
    for size in args.sizes:
        w, h = (int(v) for v in size.split("x"))
        frames = [cv2.resize(f, (w, h), interpolation=cv2.INTER_LANCZOS4) for f in src]
        for scale in args.scales:
            rife = RIFE(scale=scale)
            rife.interpolate(frames[0], frames[2], [0.5])  # warm-up: the export and compile of this shape
            scores, secs = [], []
            for k in range(0, len(frames) - 2, 2):
                t0 = time.perf_counter()
                made = rife.interpolate(frames[k], frames[k + 2], [0.5])[0]
                secs.append(time.perf_counter() - t0)
                scores.append(psnr(made, frames[k + 1]))
            rows.append(
                {
                    "clip": Path(str(args.clip)).stem,
                    "size": size,
                    "scale": scale,
                    "psnr": round(float(np.mean(scores)), 4),
                    "s_per_frame": round(statistics.median(secs), 4),
                    "frames": len(scores),
                }
            )
            print(json.dumps(rows[-1]), file=sys.stderr)
    for r in rows:
        base = next(b for b in rows if b["size"] == r["size"] and b["scale"] == args.scales[0])
        r["psnr_vs_first"] = round(r["psnr"] - base["psnr"], 4)
        r["speedup_vs_first"] = round(base["s_per_frame"] / r["s_per_frame"], 3)
    cmd = command_line("rife_scale.py", argv)
    lines = [
        "# RIFE's flow scale on large frames (benchmarks/rife_scale.py)",
        "",
        f"Command: `{cmd}`",
        "",
        "Held-out x2 on the first frames of the clip, resized up with Lanczos (smoother than native footage).",
        "",
        "| clip | size | scale | PSNR dB | vs first scale | s/frame (median) | speedup | frames |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {r['clip']} | {r['size']} | {r['scale']} | {r['psnr']:.2f} | {r['psnr_vs_first']:+.3f} | "
        f"{r['s_per_frame']:.3f} | {r['speedup_vs_first']:.2f} | {r['frames']} |"
        for r in rows
    ]
    write_report(args.out, cmd, rows, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
