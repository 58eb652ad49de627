#!/usr/bin/env python
"""What libx264's MB-tree off costs (vidiff/io/writer.py, X264_PARAMS): bytes and PSNR at one crf.

Each clip's first --frames frames are encoded with vidiff's VideoWriter (libx264, crf 18, preset medium,
yuv420p) once with MB-tree on and once off, decoded back, and scored against the decoded source frames
(PSNR over all RGB values per frame, then the mean). Writes results.json and results.md to --out.

Usage: .venv/bin/python benchmarks/mbtree.py [--clips carphone_pristine bikes] [--frames 150]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from report import command_line, write_report

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--clips", nargs="+", default=["carphone_pristine", "bikes"], help="dev clip names or files"
    )
    p.add_argument("--frames", type=int, default=150, help="first frames encoded (default 150)")
    p.add_argument("--crf", type=int, default=18, help="libx264 crf (default 18, vidiff's)")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "mbtree"), help="output folder")
    args = p.parse_args(argv)

    from vidiff.io import writer
    from vidiff.io.probe import probe
    from vidiff.io.reader import read_frames
    from vidiff.metrics.bench import resolve_clip
    from vidiff.metrics.quality import psnr

    rows = []
    with tempfile.TemporaryDirectory(prefix="vidiff-mbtree-") as tmp:
        for clip in args.clips:
            path = resolve_clip(clip)
            info = probe(path)
            src = read_frames(path, max_frames=args.frames)
            for params in ("mbtree=1", "mbtree=0"):
                writer.X264_PARAMS = params
                out = Path(tmp) / f"{path.stem}_{params.replace('=', '')}.mp4"
                with writer.VideoWriter(out, info.width, info.height, info.fps, crf=args.crf) as w:
                    for im in src:
                        w.write(im)
                back = read_frames(out)
                rows.append(
                    {
                        "clip": path.stem,
                        "x264_params": params,
                        "bytes": out.stat().st_size,
                        "psnr": round(
                            float(np.mean([psnr(a, b) for a, b in zip(src, back, strict=True)])), 3
                        ),
                        "frames": len(back),
                    }
                )
                print(json.dumps(rows[-1]), file=sys.stderr)
    for r in rows:
        on = next(o for o in rows if o["clip"] == r["clip"] and o["x264_params"] == "mbtree=1")
        r["bytes_vs_on"] = round(r["bytes"] / on["bytes"], 4)
        r["psnr_vs_on"] = round(r["psnr"] - on["psnr"], 3)
    cmd = command_line("mbtree.py", argv)
    lines = [
        "# libx264 MB-tree on and off (benchmarks/mbtree.py)",
        "",
        f"Command: `{cmd}`",
        "",
        f"crf {args.crf}, preset medium, yuv420p, first {args.frames} frames; PSNR of the decoded file against the source.",
        "",
        "| clip | x264 params | bytes | vs MB-tree on | PSNR dB | vs MB-tree on | frames |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {r['clip']} | {r['x264_params']} | {r['bytes']} | {r['bytes_vs_on']:.3f} | {r['psnr']:.2f} | "
        f"{r['psnr_vs_on']:+.2f} | {r['frames']} |"
        for r in rows
    ]
    write_report(args.out, cmd, rows, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
