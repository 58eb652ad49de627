#!/usr/bin/env python
"""Segment joins: is there a quality step where a resumable segment starts (a forced key frame)?

Each clip's first --frames frames are written through `ResumableWriter` in segments of --segment frames
(libx264, --crf, preset medium) twice: with the CRF rate control vidiff used before (crf, MB-tree off) and
with the constant quantizer it uses now (`vidiff/io/writer.py`, X264_PARAMS, x264_qp). Per frame: its
packet's bytes, and its PSNR (all RGB values) against the frame written. At each segment start: the key
frame's bytes over the median P/B frame's, the PSNR step into it against the median step between two
other frames, and (with --metrics) `vidiff metrics`' warping error there over its median, and how many of
its 5 worst segments hold a segment start. Writes results.json and results.md to --out.

Usage: python benchmarks/segment_joins.py [--clips carphone_pristine bikes] [--frames 240] [--metrics]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import av
import numpy as np
from report import command_line, write_report

ROOT = Path(__file__).resolve().parent.parent


def _before(encoder: str, crf: int | None, preset: str | None) -> dict[str, str]:
    """libx264's options before the constant quantizer: CRF with MB-tree off."""
    return {"preset": preset or "medium", "crf": str(crf), "x264-params": "mbtree=0"}


def _encode(frames: list, info, seg: int, crf: int, out: Path) -> tuple[np.ndarray, list[np.ndarray]]:
    from vidiff.io.segments import ResumableWriter

    with ResumableWriter(out, info.width, info.height, info.fps, key={}, segment_frames=seg, crf=crf) as w:
        for im in frames:
            w.write(im)
    with av.open(str(out)) as c:
        pkts = sorted((p for p in c.demux(c.streams.video[0]) if p.dts is not None), key=lambda p: p.pts)
        sizes = np.array([p.size for p in pkts])
    with av.open(str(out)) as c:
        decoded = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    return sizes, decoded


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a.astype(np.float64) - b) ** 2).mean())
    return 10 * np.log10(255**2 / max(mse, 1e-10))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--clips", nargs="+", default=["carphone_pristine", "bikes"], help="dev clip names or files"
    )
    p.add_argument("--frames", type=int, default=240, help="first frames encoded (default 240)")
    p.add_argument("--segment", type=int, default=60, help="frames per segment (default 60)")
    p.add_argument("--crf", type=int, default=18, help="--crf (default 18, vidiff's)")
    p.add_argument("--metrics", action="store_true", help="also run `vidiff metrics` on each file (slow)")
    p.add_argument(
        "--out", default=str(ROOT / "benchmarks" / "results" / "segment_joins"), help="output folder"
    )
    args = p.parse_args(argv)

    from vidiff.io import writer
    from vidiff.io.probe import probe
    from vidiff.io.reader import read_frames
    from vidiff.metrics.bench import resolve_clip
    from vidiff.metrics.clip import analyze_clip

    now = writer._encoder_options
    rows = []
    with tempfile.TemporaryDirectory(prefix="vidiff-joins-") as tmp:
        for clip in args.clips:
            path = resolve_clip(clip)
            info = probe(path)
            frames = [getattr(f, "image", f) for f in read_frames(path, max_frames=args.frames)]
            starts = np.arange(args.segment, len(frames), args.segment)
            rest = np.setdiff1d(np.arange(1, len(frames)), starts)
            for name, opts in (("crf (before)", _before), ("constant qp (now)", now)):
                writer._encoder_options = opts
                out = Path(tmp) / f"{path.stem}_{len(rows)}.mp4"
                try:
                    sizes, decoded = _encode(frames, info, args.segment, args.crf, out)
                finally:
                    writer._encoder_options = now
                ps = np.array([_psnr(a, b) for a, b in zip(frames, decoded, strict=True)])
                step = np.abs(np.diff(ps))  # step[i - 1]: into frame i
                row = {
                    "clip": path.stem,
                    "size": f"{info.width}x{info.height}",
                    "encode": name,
                    "kbytes": round(sizes.sum() / 1024, 1),
                    "psnr": round(float(ps.mean()), 3),
                    "key_over_median_bytes": round(
                        float(np.median(sizes[starts]) / np.median(sizes[rest])), 2
                    ),
                    "psnr_step_at_starts": round(float(step[starts - 1].mean()), 3),
                    "psnr_step_median": round(float(np.median(step[rest - 1])), 3),
                }
                if args.metrics:
                    rep = analyze_clip(out, top=5)
                    we = np.array([r["warp_err"] or np.nan for r in rep["frames"]], float)
                    row["warp_at_starts_over_median"] = round(
                        float(np.nanmean(we[starts]) / np.nanmedian(we[rest])), 3
                    )
                    row["worst5_at_starts"] = sum(
                        any(s["frames"][0] <= k <= s["frames"][1] for k in starts)
                        for s in rep["summary"]["worst_segments"]
                    )
                rows.append(row)
                print(row, file=sys.stderr, flush=True)
    cols = list(rows[0])
    lines = [
        "# Segment joins: the quality step at each resumable segment's key frame",
        "",
        f"Command: `{command_line('segment_joins.py', argv)}`",
        "",
        f"First {args.frames} frames of each clip, segments of {args.segment}, --crf {args.crf}, preset medium.",
        "",
        "| " + " | ".join(cols) + " |",
        "| " + " | ".join("---" for _ in cols) + " |",
        *("| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows),
    ]
    write_report(args.out, command_line("segment_joins.py", argv), rows, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
